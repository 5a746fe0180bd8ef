"""The status workflow: every change has a reason; closed is never fixed; duplicates merge into the
original (votes here, followers through the issue_merged signal); residents answer "is it fixed?"."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from civic import signals, stored_text
from civic.accounts.models import User
from civic.database import fits_id, insert_ignoring_duplicates, utcnow
from civic.errors import PermissionDenied, ValidationError
from civic.extensions import db
from civic.issues import services as issue_services
from civic.issues.models import OPEN_STATUSES, Comment, Issue, IssueStatus, StatusChange, Upvote
from civic.staff.models import ClosedReason, FixConfirmation
from civic.staff.permissions import owns, require_owner
from civic.text import clean_text

CONFIRM_WINDOW = timedelta(days=30)
REASON_MAX = 2000

# Where each status may go next. Reopening a fixed issue is the residents' (or staff's) way back.
TRANSITIONS = {
    IssueStatus.OPEN: {IssueStatus.ACKNOWLEDGED, IssueStatus.IN_PROGRESS, IssueStatus.FIXED, IssueStatus.CLOSED},
    IssueStatus.ACKNOWLEDGED: {IssueStatus.IN_PROGRESS, IssueStatus.FIXED, IssueStatus.CLOSED},
    IssueStatus.IN_PROGRESS: {IssueStatus.ACKNOWLEDGED, IssueStatus.FIXED, IssueStatus.CLOSED},
    IssueStatus.FIXED: {IssueStatus.OPEN},
    IssueStatus.CLOSED: {IssueStatus.OPEN},
}


# Reasons civic writes itself, rendered in each reader's language (civic.stored_text).
REOPENED_BY_RESIDENT = "reopened_by_resident"
FIXED_AT_CLEANUP = "fixed_at_cleanup"
stored_text.register(REOPENED_BY_RESIDENT, lambda p: _("Reopened by a resident: %(text)s", text=p["text"]))
stored_text.register(
    FIXED_AT_CLEANUP,
    lambda p: _(
        "Fixed by the neighbourhood at the clean-up “%(title)s” on %(day)s.",
        title=p["title"],
        day=format_date(date.fromisoformat(p["day"]), "long"),
    ),
)


def _record(
    issue: Issue,
    new: IssueStatus,
    reason: str,
    actor_id: int | None,
    *,
    by_community: bool = False,
    code: tuple[str, dict] | None = None,
) -> StatusChange:
    """Record a change; `code` (a stored_text code and its parameters) when civic words the reason itself."""
    if code is not None:
        reason = stored_text.english(*code)
    change = StatusChange(
        issue_id=issue.id,
        from_status=issue.status,
        to_status=new,
        reason=reason,
        reason_code=code[0] if code else None,
        reason_params=code[1] if code else None,
        actor_id=actor_id,
        by_community=by_community,
    )
    db.session.add(change)
    issue.status, issue.updated_at = new, utcnow()
    if new is IssueStatus.FIXED:
        issue.fixed_at = utcnow()
    # Whoever fixed it last: a later city fix, or a reopening, ends the neighbourhood's claim.
    issue.fixed_by_community = by_community and new is IssueStatus.FIXED
    issue.community_fix_confirmed_at = issue.community_fix_confirmed_by_id = None
    if new in OPEN_STATUSES:
        issue.closed_reason = issue.duplicate_of_id = None
    return change


def _clean_reason(reason: str | None) -> str:
    return clean_text(
        reason, field="reason", max_len=REASON_MAX, required=_("Give a reason: residents see it in the status history.")
    )


def change_status(
    actor: User,
    issue: Issue,
    new: IssueStatus,
    reason: str,
    *,
    closed_reason: ClosedReason | None = None,
    duplicate_of_id: int | None = None,
) -> StatusChange:
    require_owner(actor, issue)
    reason = _clean_reason(reason)
    if new not in TRANSITIONS[issue.status]:
        raise ValidationError(
            _("An issue that is “%(old)s” cannot become “%(new)s”.", old=issue.status.label, new=new.label),
            field="status",
        )
    original = None
    if new is IssueStatus.CLOSED:
        if closed_reason is None:
            raise ValidationError(_("Say why it is closed without a fix."), field="closed_reason")
        if closed_reason is ClosedReason.DUPLICATE:
            original = _original_of(issue, duplicate_of_id)
    change = _record(issue, new, reason, actor.id)
    if new is IssueStatus.CLOSED:
        issue.closed_reason = closed_reason.value  # type: ignore[union-attr]  # CLOSED needs a reason (checked above)
        if original is not None:
            issue.duplicate_of_id = original.id
            _carry_votes(issue, original)
    db.session.flush()
    app = signals.sender()
    signals.status_changed.send(app, issue=issue, change=change)
    if original is not None:
        signals.issue_merged.send(app, duplicate=issue, original=original)
    return change


def _original_of(issue: Issue, duplicate_of_id: int | None) -> Issue:
    """The issue a duplicate points to: never itself, and never another duplicate (follow to the root)."""
    if not duplicate_of_id:
        raise ValidationError(_("Give the number of the issue this one duplicates."), field="duplicate_of")
    original = db.session.get(Issue, duplicate_of_id) if fits_id(duplicate_of_id) else None
    seen = {issue.id}
    while original is not None and original.duplicate_of_id and original.id not in seen:
        seen.add(original.id)
        original = db.session.get(Issue, original.duplicate_of_id)
    if original is None or original.id in seen:
        raise ValidationError(
            _("Issue %(id)d cannot be the original: choose another issue.", id=duplicate_of_id), field="duplicate_of"
        )
    return original


def _carry_votes(duplicate: Issue, original: Issue) -> None:
    """Votes on the duplicate count for the original; one per person still."""
    voters = list(db.session.scalars(select(Upvote.user_id).where(Upvote.issue_id == duplicate.id)))
    if not voters:
        return
    now = utcnow()
    for user_id in voters:
        db.session.execute(insert_ignoring_duplicates(Upvote, issue_id=original.id, user_id=user_id, created_at=now))
    recount = select(func.count()).select_from(Upvote).where(Upvote.issue_id == original.id).scalar_subquery()
    db.session.execute(update(Issue).where(Issue.id == original.id).values(upvote_count=recount))


# --- fixed by the neighbourhood ----------------------------------------------------------------


def mark_fixed_by_community(actor: User, issue: Issue, event_title: str, day: date) -> StatusChange | None:
    """An event's organiser reports the issue fixed at the clean-up `event_title` held on `day` (civic.events
    checks who may). The caller commits and then calls `announce`. Issues no longer open are left as they are."""
    if issue.status not in OPEN_STATUSES:
        return None
    code = (FIXED_AT_CLEANUP, {"title": event_title, "day": day.isoformat()})
    return _record(issue, IssueStatus.FIXED, "", actor.id, by_community=True, code=code)


def announce(changes: list[StatusChange]) -> None:
    """After the commit: tell followers and live pages about status changes made elsewhere."""
    app = signals.sender()
    for change in changes:
        issue = db.session.get(Issue, change.issue_id)
        signals.status_changed.send(app, issue=issue, change=change)


def confirm_community_fix(actor: User, issue: Issue) -> None:
    """Staff of the owning department confirm that the neighbours' fix holds (shown on the issue)."""
    require_owner(actor, issue)
    if issue.status is not IssueStatus.FIXED or not issue.fixed_by_community:
        raise ValidationError(_("Only an issue fixed by the neighbourhood can be confirmed."))
    if issue.community_fix_confirmed_at is None:
        issue.community_fix_confirmed_at, issue.community_fix_confirmed_by_id = utcnow(), actor.id
        db.session.flush()


# --- "is it fixed?" ---------------------------------------------------------------------------


def can_answer_fixed(user, issue: Issue) -> bool:
    """The reporter and followers (anyone who voted, commented or follows) within 30 days of the fix."""
    if user is None or not user.is_authenticated or issue.status is not IssueStatus.FIXED or issue.fixed_at is None:
        return False
    if utcnow() - issue.fixed_at > CONFIRM_WINDOW:
        return False
    if user.id == issue.reporter_id:
        return True
    # A residents' question: the staff who own the issue do not confirm their own fix.
    return not owns(user, issue) and _takes_part(user.id, issue.id)


def _takes_part(user_id: int, issue_id: int) -> bool:
    voted = db.session.get(Upvote, (issue_id, user_id)) is not None
    commented = (
        db.session.scalar(
            select(func.count()).select_from(Comment).where(Comment.issue_id == issue_id, Comment.author_id == user_id)
        )
        or 0
    ) > 0
    return voted or commented or _follows(user_id, issue_id)


def _follows(user_id: int, issue_id: int) -> bool:
    # The follows belong to notifications, a sibling: asked through a hook, so staff does not import it.
    answers = signals.follows_issue.collect(signals.sender(), user_id=user_id, issue_id=issue_id)
    return bool(answers.get("follows"))


def answer_fixed(user: User, issue: Issue, fixed: bool, comment_text: str) -> FixConfirmation:
    """Confirm the fix, or reopen the issue, with a comment. A reopened issue is open again, so it is back
    in its department's queue."""
    if not can_answer_fixed(user, issue):
        raise PermissionDenied(
            _("The reporter and the people following an issue can answer this, within 30 days of the fix.")
        )
    comment = issue_services.add_comment(user, issue, comment_text)
    answer = FixConfirmation(issue_id=issue.id, user_id=user.id, confirmed=fixed, comment_id=comment.id)
    db.session.add(answer)
    change = None
    if not fixed:
        change = _record(
            issue, IssueStatus.OPEN, "", user.id, code=(REOPENED_BY_RESIDENT, {"text": comment.body[:500]})
        )
    db.session.flush()
    if change is not None:
        signals.status_changed.send(signals.sender(), issue=issue, change=change)
    return answer


def fix_answers(issue: Issue) -> tuple[int, int]:
    """(confirmed, reopened) answers since the last fix."""
    if issue.fixed_at is None:
        return 0, 0
    rows = db.session.execute(
        select(FixConfirmation.confirmed, func.count())
        .where(FixConfirmation.issue_id == issue.id, FixConfirmation.created_at >= issue.fixed_at)
        .group_by(FixConfirmation.confirmed)
    ).all()
    counts = dict(rows)
    return counts.get(True, 0), counts.get(False, 0)
