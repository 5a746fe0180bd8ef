"""Moderation rules. Anyone signed in flags content; FLAG_HIDE_THRESHOLD flags from different people hide it
until a moderator reviews it. Moderators hide, restore, edit with a reason, replace a photo to redact it,
purge earlier versions for good, and suspend accounts. Authors remove personal details from their own
posts at any time. Every moderation action is written to the audit log, which admins read."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, overload

from flask import current_app
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import delete, func, select, update
from werkzeug.datastructures import FileStorage

from civic.accounts.models import Role, User
from civic.database import insert_ignoring_duplicates, on_commit, on_rollback, utcnow
from civic.errors import NotFound, PermissionDenied, ValidationError
from civic.events.models import Event
from civic.extensions import db
from civic.issues import services as issue_services
from civic.issues.models import Comment, CommentRevision, Issue, IssueRevision, Photo
from civic.media import storage
from civic.media.images import process_upload
from civic.moderation.models import ActionKind, ContentKind, Flag, FlagReason, ModerationAction
from civic.text import clean_text

NOTE_MAX = 500
REASON_MAX = 1000
MODELS = {ContentKind.ISSUE: Issue, ContentKind.COMMENT: Comment, ContentKind.PHOTO: Photo, ContentKind.EVENT: Event}
EVENT_TEXT_FIELDS = ("title", "description", "meeting_point", "what_to_bring")


# --- looking things up ----------------------------------------------------------------------------


def parse_kind(value: str) -> ContentKind:
    try:
        return ContentKind(value)
    except ValueError:
        raise NotFound(_("There is nothing of that kind to moderate.")) from None


def get_target(kind: ContentKind, target_id: int) -> Any:  # an instance of MODELS[kind]
    target = db.session.get(MODELS[kind], target_id)
    if target is None or getattr(target, "deleted_at", None) is not None or getattr(target, "removed_at", None):
        raise NotFound(_("That content does not exist or was removed."))
    return target


def owner_id(kind: ContentKind, target: Any) -> int | None:
    return {
        ContentKind.ISSUE: lambda t: t.reporter_id,
        ContentKind.COMMENT: lambda t: t.author_id,
        ContentKind.PHOTO: lambda t: t.uploader_id,
        ContentKind.EVENT: lambda t: t.organiser_id,
    }[kind](target)


def issue_of(kind: ContentKind, target: Any) -> int | None:
    """The issue a piece of content belongs to (for links back), if any."""
    return target.id if kind is ContentKind.ISSUE else getattr(target, "issue_id", None)


def is_moderator(user: User | AnonymousUserMixin | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_moderator and not user.is_suspended)


def require_moderator(user: User | AnonymousUserMixin | None) -> None:
    if not is_moderator(user):
        raise PermissionDenied(_("Only moderators can do this."))


def _log(
    moderator: User | None, action: ActionKind, kind: str, target_id: int, reason: str | None, **details: Any
) -> ModerationAction:
    entry = ModerationAction(
        moderator_id=moderator.id if moderator else None,
        action=action,
        target_kind=kind,
        target_id=target_id,
        reason=reason,
        details=details,
    )
    db.session.add(entry)
    return entry


@overload
def _clean_reason(reason: str | None, *, required: Literal[True] = True) -> str: ...
@overload
def _clean_reason(reason: str | None, *, required: bool) -> str | None: ...
def _clean_reason(reason: str | None, *, required: bool = True) -> str | None:
    return clean_text(
        reason,
        field="reason",
        max_len=REASON_MAX,
        required=_("Give a reason: it goes into the audit log.") if required else None,
    )


def _resolve_flags(kind: ContentKind, target_id: int) -> None:
    db.session.execute(
        update(Flag)
        .where(Flag.kind == kind, Flag.target_id == target_id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    )


# --- flags ------------------------------------------------------------------------------------------


def hide_threshold() -> int:
    return int(current_app.config.get("FLAG_HIDE_THRESHOLD", 3))


def flag(user: User, kind: ContentKind, target_id: int, reason: str, note: str | None = None) -> bool:
    """Record one person's flag (a second flag from the same person changes nothing). Returns True when
    this flag hid the content."""
    if user is None or not user.is_authenticated or user.is_suspended:
        raise PermissionDenied(_("Sign in to flag content."))
    target = get_target(kind, target_id)
    if owner_id(kind, target) == user.id:
        raise ValidationError(_("This is your own post: edit or remove it instead of flagging it."))
    try:
        reason = FlagReason(reason)
    except ValueError:
        raise ValidationError(_("Choose why you are flagging it."), field="reason") from None
    note = (note or "").strip()[:NOTE_MAX] or None
    db.session.execute(
        insert_ignoring_duplicates(
            Flag,
            kind=kind.value,
            target_id=target_id,
            user_id=user.id,
            reason=reason.value,
            note=note,
            created_at=utcnow(),
        )
    )
    count = db.session.scalar(
        select(func.count(func.distinct(Flag.user_id))).where(
            Flag.kind == kind, Flag.target_id == target_id, Flag.resolved_at.is_(None)
        )
    )
    hidden_now = (count or 0) >= hide_threshold() and target.hidden_at is None
    if hidden_now:
        target.hidden_at = utcnow()
        _log(None, ActionKind.AUTO_HIDE, kind.value, target_id, None, flags=count)
    db.session.flush()
    return hidden_now


@dataclass
class QueueItem:
    kind: ContentKind
    target_id: int
    target: Any  # an Issue, Comment, Photo or Event (MODELS)
    flags: int
    reasons: Counter = field(default_factory=Counter)
    first_flagged_at: datetime | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.target.hidden_at is not None


def review_queue(user: User) -> list[QueueItem]:
    """Content with flags nobody has acted on yet: hidden first, then the most flagged, oldest first."""
    require_moderator(user)
    items: dict[tuple[ContentKind, int], QueueItem] = {}
    for row in db.session.scalars(select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.created_at)):
        key = (row.kind, row.target_id)
        if key not in items:
            target = db.session.get(MODELS[row.kind], row.target_id)
            if target is None:
                continue
            items[key] = QueueItem(row.kind, row.target_id, target, 0, first_flagged_at=row.created_at)
        item = items[key]
        item.flags += 1
        item.reasons[row.reason] += 1
        if row.note:
            item.notes.append(row.note)
    return sorted(items.values(), key=lambda i: (not i.hidden, -i.flags, i.first_flagged_at))


def flags_on(kind: ContentKind, target_id: int) -> list[Flag]:
    return list(
        db.session.scalars(select(Flag).where(Flag.kind == kind, Flag.target_id == target_id).order_by(Flag.created_at))
    )


# --- hide, restore, dismiss ---------------------------------------------------------------------------


def hide(moderator: User, kind: ContentKind, target_id: int, reason: str) -> None:
    require_moderator(moderator)
    reason = _clean_reason(reason)
    target = get_target(kind, target_id)
    target.hidden_at = target.hidden_at or utcnow()
    _resolve_flags(kind, target_id)
    _log(moderator, ActionKind.HIDE, kind.value, target_id, reason)
    db.session.flush()


def restore(moderator: User, kind: ContentKind, target_id: int, reason: str) -> None:
    require_moderator(moderator)
    reason = _clean_reason(reason)
    target = get_target(kind, target_id)
    target.hidden_at = None
    _resolve_flags(kind, target_id)
    _log(moderator, ActionKind.RESTORE, kind.value, target_id, reason)
    db.session.flush()


def dismiss(moderator: User, kind: ContentKind, target_id: int, reason: str | None = None) -> None:
    """The flags were looked at and nothing is wrong: they leave the queue (the content stays as it is)."""
    require_moderator(moderator)
    get_target(kind, target_id)
    _resolve_flags(kind, target_id)
    _log(moderator, ActionKind.DISMISS, kind.value, target_id, _clean_reason(reason, required=False))
    db.session.flush()


# --- edits and history ------------------------------------------------------------------------------


def text_of(kind: ContentKind, target: Any) -> dict[str, str]:
    if kind is ContentKind.ISSUE:
        return {"title": target.title, "description": target.description}
    if kind is ContentKind.COMMENT:
        return {"body": target.body}
    if kind is ContentKind.EVENT:
        return {name: getattr(target, name) or "" for name in EVENT_TEXT_FIELDS}
    return {}


def _rewrite(editor: User, kind: ContentKind, target: Any, fields: dict[str, str], reason: str) -> None:
    if kind is ContentKind.ISSUE:
        issue_services.rewrite_issue(
            editor,
            target,
            title=fields.get("title", target.title),
            description=fields.get("description", target.description),
            reason=reason,
        )
    elif kind is ContentKind.COMMENT:
        issue_services.rewrite_comment(editor, target, fields.get("body", target.body), reason=reason)
    elif kind is ContentKind.EVENT:
        before = text_of(kind, target)
        for name in EVENT_TEXT_FIELDS:
            if name not in fields:
                continue
            value = (fields[name] or "").strip()
            if not value and name in ("title", "meeting_point"):
                raise ValidationError(_("This field cannot be empty."), field=name)
            setattr(target, name, value if value or name != "what_to_bring" else None)
        # Events keep no revision table: the earlier text lives in the audit entry (moderators only).
        _log(editor, ActionKind.EDIT, kind.value, target.id, reason, before=before)
        db.session.flush()
    else:
        raise ValidationError(_("A photo cannot be edited: replace it instead."))


def moderator_edit(moderator: User, kind: ContentKind, target_id: int, fields: dict[str, str], reason: str) -> None:
    """Edit someone's post, with a reason; the earlier version stays in the history for moderators."""
    require_moderator(moderator)
    reason = _clean_reason(reason)
    target = get_target(kind, target_id)
    _rewrite(moderator, kind, target, fields, reason)
    if kind is not ContentKind.EVENT:
        _log(moderator, ActionKind.EDIT, kind.value, target_id, reason)
    _resolve_flags(kind, target_id)
    db.session.flush()


def can_remove_personal_data(user: User | AnonymousUserMixin, kind: ContentKind, target: Any) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and kind in (ContentKind.ISSUE, ContentKind.COMMENT)
        and owner_id(kind, target) == user.id
    )


def remove_personal_data(user: User, kind: ContentKind, target_id: int, fields: dict[str, str]) -> None:
    """The author takes their own phone number, address or name out of a post, at any time. The earlier
    version is kept for moderators only, until they purge it."""
    target = get_target(kind, target_id)
    if not can_remove_personal_data(user, kind, target):
        raise PermissionDenied(_("You can only change your own reports and comments."))
    _rewrite(user, kind, target, fields, _("Personal details removed by the author."))


def history(kind: ContentKind, target_id: int) -> list:
    """Earlier versions (for moderators): IssueRevision / CommentRevision rows, or the audit entries of
    event edits."""
    if kind is ContentKind.ISSUE:
        return list(
            db.session.scalars(
                select(IssueRevision).where(IssueRevision.issue_id == target_id).order_by(IssueRevision.id)
            )
        )
    if kind is ContentKind.COMMENT:
        return list(
            db.session.scalars(
                select(CommentRevision).where(CommentRevision.comment_id == target_id).order_by(CommentRevision.id)
            )
        )
    if kind is ContentKind.EVENT:
        return [a for a in actions_on(kind.value, target_id) if a.action is ActionKind.EDIT and a.details.get("before")]
    return []


def purge_history(moderator: User, kind: ContentKind, target_id: int, reason: str) -> int:
    """Delete every earlier version for good (personal data that must not be kept). Returns how many."""
    require_moderator(moderator)
    reason = _clean_reason(reason)
    get_target(kind, target_id)
    if kind is ContentKind.ISSUE:
        removed = db.session.execute(delete(IssueRevision).where(IssueRevision.issue_id == target_id)).rowcount  # type: ignore[attr-defined]  # a CursorResult
    elif kind is ContentKind.COMMENT:
        removed = db.session.execute(delete(CommentRevision).where(CommentRevision.comment_id == target_id)).rowcount  # type: ignore[attr-defined]  # a CursorResult
    elif kind is ContentKind.EVENT:
        entries = history(kind, target_id)
        for entry in entries:
            entry.details = {**entry.details, "before": None, "purged": True}
        removed = len(entries)
    else:
        removed = 0
    _log(moderator, ActionKind.PURGE, kind.value, target_id, reason, versions=removed)
    db.session.flush()
    return removed


def replace_photo(moderator: User, photo_id: int, upload: FileStorage | None, reason: str) -> Photo:
    """Redact part of a photo: the moderator uploads an edited copy; the original files are deleted."""
    require_moderator(moderator)
    reason = _clean_reason(reason)
    photo = get_target(ContentKind.PHOTO, photo_id)
    if upload is None or not getattr(upload, "filename", ""):
        raise ValidationError(_("Choose the edited photo to upload."), field="photo")
    image = process_upload(upload)
    old_keys = (photo.key, photo.thumb_key)
    new_key, new_thumb = storage.save(image.full), storage.save(image.thumb)

    def delete_new_files() -> None:
        storage.delete(new_key)
        storage.delete(new_thumb)

    try:
        photo.key, photo.thumb_key, photo.width, photo.height = new_key, new_thumb, image.width, image.height
        _resolve_flags(ContentKind.PHOTO, photo_id)
        _log(moderator, ActionKind.REPLACE_PHOTO, ContentKind.PHOTO.value, photo_id, reason)
        db.session.flush()
    except Exception:
        delete_new_files()
        raise
    on_rollback(delete_new_files)
    for key in old_keys:  # the original files go only once the redaction is committed
        on_commit(functools.partial(storage.delete, key))
    return photo


# --- accounts ---------------------------------------------------------------------------------------


def _may_act_on(moderator: User, person: User) -> None:
    if person.id == moderator.id:
        raise ValidationError(_("You cannot suspend or restore your own account."))
    if person.role in (Role.MODERATOR, Role.ADMIN) and not moderator.is_admin:
        raise PermissionDenied(_("Only an administrator can suspend a moderator or an administrator."))


def _account_for(moderator: User, user_id: int, reason: str) -> tuple[User, str]:
    require_moderator(moderator)
    reason = _clean_reason(reason)
    person = db.session.get(User, user_id)
    if person is None:
        raise NotFound(_("There is no such account."))
    _may_act_on(moderator, person)
    return person, reason


def suspend(moderator: User, user_id: int, reason: str) -> User:
    """The account cannot sign in; every open session ends. Its posts stay (hide them separately)."""
    person, reason = _account_for(moderator, user_id, reason)
    person.suspended_at, person.suspended_reason = utcnow(), reason
    person.rotate_session_nonce()
    _log(moderator, ActionKind.SUSPEND, "user", person.id, reason)
    db.session.flush()
    return person


def unsuspend(moderator: User, user_id: int, reason: str) -> User:
    person, reason = _account_for(moderator, user_id, reason)
    person.suspended_at = person.suspended_reason = None
    _log(moderator, ActionKind.UNSUSPEND, "user", person.id, reason)
    db.session.flush()
    return person


# --- the audit log ------------------------------------------------------------------------------------


def actions_on(target_kind: str, target_id: int) -> list[ModerationAction]:
    return list(
        db.session.scalars(
            select(ModerationAction)
            .where(ModerationAction.target_kind == target_kind, ModerationAction.target_id == target_id)
            .order_by(ModerationAction.id)
        )
    )


def audit_log(user: User, *, page: int = 1, per_page: int = 50) -> Pagination:
    if user is None or not user.is_authenticated or not user.is_admin:
        raise PermissionDenied(_("Only administrators can read the audit log."))
    return db.paginate(
        select(ModerationAction).order_by(ModerationAction.id.desc()), page=page, per_page=per_page, error_out=False
    )
