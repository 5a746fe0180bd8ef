"""Official replies, response templates, internal notes, assignment and bulk acknowledgement."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from civic import signals
from civic.accounts.models import Role, User
from civic.database import utcnow
from civic.errors import NotFound, ValidationError
from civic.extensions import db
from civic.issues.models import Comment, CommentRevision, Issue, IssueStatus
from civic.issues.services import COMMENT_MAX
from civic.staff import template_replies
from civic.staff.models import InternalNote, ResponseTemplate, ResponseTemplateRevision
from civic.staff.permissions import owns, require_any_staff, require_owner
from civic.staff.workflow import change_status
from civic.text import clean_text

NOTE_MAX = 5000


def _text(value: str | None, *, field: str, limit: int, missing: str) -> str:
    return clean_text(value, field=field, max_len=limit, required=missing)


def post_official_reply(actor: User, issue: Issue, body: str) -> Comment:
    """A public reply on behalf of the actor's department, shown as the official response."""
    require_any_staff(actor)
    body = _text(body, field="body", limit=COMMENT_MAX, missing=_("Write the reply first."))
    department_id = actor.department_id or issue.category.department_id  # an admin answers for the owner
    comment = Comment(issue_id=issue.id, author_id=actor.id, body=body, official=True, department_id=department_id)
    # Exactly a template's text (the picker offers the issue's department's): each reader gets their language.
    offered = templates_for(issue.category.department_id, issue.category_id)
    if department_id != issue.category.department_id:
        offered += templates_for(department_id, issue.category_id)
    params = template_replies.matching_params(body, offered)
    if params is not None:
        comment.system_code, comment.system_params = template_replies.TEMPLATE_REPLY, params
    db.session.add(comment)
    issue.comment_count = Issue.comment_count + 1
    if issue.first_response_at is None:
        issue.first_response_at = utcnow()
    db.session.flush()
    db.session.refresh(issue)
    signals.comment_posted.send(signals.sender(), issue=issue, comment=comment)
    return comment


def official_replies(issue: Issue) -> list[Comment]:
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.issue_id == issue.id, Comment.official.is_(True), Comment.deleted_at.is_(None))
            .order_by(Comment.created_at.desc())
        )
    )


def official_reply_revisions(viewer: User, issue: Issue) -> list[tuple[CommentRevision, str | None]]:
    """What the issue's official replies said before an edit (their author's, within the edit window, or a
    moderator's), with the editor's name, oldest first: for staff, who answer for what the department said."""
    require_any_staff(viewer)
    return [
        (revision, name)
        for revision, name in db.session.execute(
            select(CommentRevision, User.display_name)
            .join(Comment, Comment.id == CommentRevision.comment_id)
            .outerjoin(User, User.id == CommentRevision.editor_id)
            .where(Comment.issue_id == issue.id, Comment.official.is_(True))
            .order_by(CommentRevision.id)
        )
    ]


# --- templates ----------------------------------------------------------------------------------


def templates_for(department_id: int, category_id: int | None = None) -> list[ResponseTemplate]:
    stmt = select(ResponseTemplate).where(ResponseTemplate.department_id == department_id)
    if category_id is not None:
        stmt = stmt.where(or_(ResponseTemplate.category_id.is_(None), ResponseTemplate.category_id == category_id))
    return list(db.session.scalars(stmt.order_by(ResponseTemplate.title)))


def suggested_template(
    issue: Issue, status: IssueStatus, templates: list[ResponseTemplate] | None = None
) -> ResponseTemplate | None:
    """The department's template for this category and status (a category-specific one first).
    Pass `templates` (from templates_for) when asking for several statuses, to query once."""
    if templates is None:
        templates = templates_for(issue.category.department_id, issue.category_id)
    candidates = [t for t in templates if t.status is status]
    candidates.sort(key=lambda t: t.category_id is None)
    return candidates[0] if candidates else None


def save_template(
    actor: User,
    template: ResponseTemplate | None,
    *,
    title: str,
    body: str,
    category_id: int | None,
    status: IssueStatus | None,
    title_es: str | None = None,
    body_es: str | None = None,
) -> ResponseTemplate:
    """Add or change a template; a change keeps the version it replaces (ResponseTemplateRevision) and the
    editor. The Spanish version is optional, but comes whole: a title and a text."""
    require_any_staff(actor)
    if actor.department_id is None and template is None:
        raise ValidationError(_("Templates belong to a department; administrators without one cannot add them."))
    if template is not None and not (actor.is_admin or template.department_id == actor.department_id):
        raise NotFound(_("That template does not exist."))
    title = _text(title, field="title", limit=120, missing=_("Give the template a short title."))
    body = _text(body, field="body", limit=COMMENT_MAX, missing=_("Write the text of the template."))
    spanish = (title_es or "").strip() or (body_es or "").strip()
    title_es = (
        _text(title_es, field="title_es", limit=120, missing=_("Give the Spanish version a short title too."))
        if spanish
        else None
    )
    body_es = (
        _text(body_es, field="body_es", limit=COMMENT_MAX, missing=_("Write the text of the Spanish version too."))
        if spanish
        else None
    )
    wanted = (title, body, title_es, body_es, category_id, status)
    if template is None:
        template = ResponseTemplate(department_id=actor.department_id)
        db.session.add(template)
    elif wanted != (
        template.title,
        template.body,
        template.title_es,
        template.body_es,
        template.category_id,
        template.status,
    ):
        db.session.add(
            ResponseTemplateRevision(
                template_id=template.id,
                editor_id=actor.id,
                title=template.title,
                body=template.body,
                title_es=template.title_es,
                body_es=template.body_es,
                status=template.status,
                category_id=template.category_id,
            )
        )
        template.updated_at = utcnow()
    else:
        return template  # saved unchanged: no history line
    template.title, template.body, template.category_id, template.status = title, body, category_id, status
    template.title_es, template.body_es = title_es, body_es
    db.session.flush()
    db.session.expire(template, ["revisions"])  # a view-only relationship: load the new row on next access
    return template


# --- notes, assignment, bulk acknowledgement -----------------------------------------------------


def add_internal_note(actor: User, issue: Issue, body: str) -> InternalNote:
    require_owner(actor, issue)
    note = InternalNote(
        issue_id=issue.id,
        author_id=actor.id,
        body=_text(body, field="note", limit=NOTE_MAX, missing=_("Write the note first.")),
    )
    db.session.add(note)
    db.session.flush()
    return note


def internal_notes(viewer, issue: Issue) -> list[InternalNote]:
    require_owner(viewer, issue)
    return list(
        db.session.scalars(
            select(InternalNote).where(InternalNote.issue_id == issue.id).order_by(InternalNote.created_at)
        )
    )


def colleagues(department_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.department_id == department_id, User.role == Role.STAFF, User.verified_at.is_not(None))
            .order_by(User.display_name)
        )
    )


def assign(actor: User, issue: Issue, assignee_id: int | None) -> None:
    require_owner(actor, issue)
    if assignee_id is not None and assignee_id not in {u.id for u in colleagues(issue.category.department_id)}:
        raise ValidationError(
            _("Assign it to verified staff of %(dept)s.", dept=issue.category.department.label), field="assignee"
        )
    issue.assignee_id = assignee_id
    db.session.flush()


def bulk_acknowledge(actor: User, issue_ids: list[int], reason: str) -> int:
    """Acknowledge every open issue among these that the actor may change; returns how many."""
    done = 0
    for issue_id in issue_ids:
        issue = db.session.get(Issue, issue_id)
        if issue is None or issue.status is not IssueStatus.OPEN or not owns(actor, issue):
            continue
        change_status(actor, issue, IssueStatus.ACKNOWLEDGED, reason)
        done += 1
    return done
