"""A person's rights over their data: download everything about me (a ZIP with data.json and my photos), and
delete my account (what I posted stays, anonymised; my personal data, follows, notifications, sign-ups and
sessions go). One list, PERSONAL_TABLES below, says where personal data lives; a test checks it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, select, update

from civic.accounts.models import User
from civic.accounts.passwords import password_matches
from civic.api.models import ApiToken
from civic.database import utcnow
from civic.errors import PermissionDenied, ValidationError
from civic.events.models import Event, EventOrganiser, EventPhoto, EventReport, Rsvp, RsvpStatus
from civic.extensions import db
from civic.issues.models import Comment, CommentRevision, Issue, IssueRevision, Photo, StatusChange, Upvote
from civic.mail.models import OutgoingMail
from civic.media import storage
from civic.moderation.models import Flag
from civic.notifications.models import AreaFollow, Follow, Notification
from civic.staff.models import FixConfirmation, InternalNote

CONFIRM_WORD = "DELETE"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _rows(stmt: Select, fields: tuple[str, ...]) -> list[dict]:
    out = []
    for row in db.session.scalars(stmt):
        item = {}
        for name in fields:
            value = getattr(row, name)
            item[name] = _iso(value) if isinstance(value, datetime) else getattr(value, "value", value)
        out.append(item)
    return out


def collect(user: User) -> dict:
    """Everything civic holds about this person, as plain JSON-ready data."""
    uid = user.id
    return {
        "generated_at": _iso(utcnow()),
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role.value,
            "department": user.department.name if user.department else None,
            "verified_at": _iso(user.verified_at),
            "locale": user.locale,
            "home": {"lat": user.home_lat, "lon": user.home_lon, "neighbourhood": user.home_neighbourhood},
            "email_frequency": user.email_frequency.value,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "issues_reported": _rows(
            select(Issue).where(Issue.reporter_id == uid).order_by(Issue.id),
            (
                "id",
                "title",
                "description",
                "lat",
                "lon",
                "address",
                "status",
                "show_reporter_name",
                "on_behalf_name",
                "on_behalf_contact",
                "created_at",
            ),
        ),
        "issue_earlier_versions_by_me": _rows(
            select(IssueRevision).where(IssueRevision.editor_id == uid),
            ("issue_id", "title", "description", "reason", "created_at"),
        ),
        "comments": _rows(
            select(Comment).where(Comment.author_id == uid).order_by(Comment.id),
            ("id", "issue_id", "body", "official", "created_at", "edited_at", "deleted_at"),
        ),
        "comment_earlier_versions_by_me": _rows(
            select(CommentRevision).where(CommentRevision.editor_id == uid),
            ("comment_id", "body", "reason", "created_at"),
        ),
        "photos": _rows(
            select(Photo).where(Photo.uploader_id == uid).order_by(Photo.id),
            ("id", "issue_id", "comment_id", "key", "created_at", "removed_at"),
        ),
        "upvotes": _rows(select(Upvote).where(Upvote.user_id == uid), ("issue_id", "created_at")),
        "follows": _rows(select(Follow).where(Follow.user_id == uid), ("issue_id", "active", "reason", "created_at")),
        "followed_areas": _rows(
            select(AreaFollow).where(AreaFollow.user_id == uid),
            ("id", "name", "kind", "lat", "lon", "radius_m", "neighbourhood", "shape", "created_at"),
        ),
        "notifications": _rows(
            select(Notification).where(Notification.user_id == uid).order_by(Notification.id),
            ("id", "kind", "issue_id", "payload", "created_at", "read_at", "emailed_at"),
        ),
        "status_changes_by_me": _rows(
            select(StatusChange).where(StatusChange.actor_id == uid),
            ("issue_id", "from_status", "to_status", "reason", "created_at"),
        ),
        "fix_answers": _rows(
            select(FixConfirmation).where(FixConfirmation.user_id == uid), ("issue_id", "confirmed", "created_at")
        ),
        "internal_notes_by_me": _rows(
            select(InternalNote).where(InternalNote.author_id == uid), ("issue_id", "body", "created_at")
        ),
        "events_organised": _rows(
            select(Event).where(Event.organiser_id == uid).order_by(Event.id),
            (
                "id",
                "title",
                "description",
                "starts_at",
                "ends_at",
                "meeting_point",
                "lat",
                "lon",
                "capacity",
                "what_to_bring",
                "supplies_request",
                "cancelled_at",
            ),
        ),
        "events_co_organised": _rows(select(EventOrganiser).where(EventOrganiser.user_id == uid), ("event_id",)),
        "event_sign_ups": _rows(
            select(Rsvp).where(Rsvp.user_id == uid).order_by(Rsvp.id),
            ("event_id", "status", "created_at", "checkin_code", "checked_in_at"),
        ),
        "event_reports": _rows(
            select(EventReport).where(EventReport.author_id == uid), ("event_id", "summary", "created_at")
        ),
        "event_photos": _rows(
            select(EventPhoto).where(EventPhoto.uploader_id == uid), ("event_id", "moment", "key", "created_at")
        ),
        "flags_i_raised": _rows(
            select(Flag).where(Flag.user_id == uid), ("kind", "target_id", "reason", "note", "created_at")
        ),
        # Never the token's hash: what the person named it, how it starts, and when it was made, used, revoked.
        "api_tokens": _rows(
            select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id),
            ("name", "prefix", "created_at", "last_used_at", "revoked_at"),
        ),
        "emails_sent_to_me": _rows(
            select(OutgoingMail).where(OutgoingMail.to_address == user.email).order_by(OutgoingMail.id),
            ("subject", "created_at", "sent_at"),
        ),
    }


def export_zip(user: User) -> bytes:
    """data.json and the photos I uploaded, in a ZIP."""
    data = collect(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr(
            "README.txt",
            _(
                "Everything civic holds about you, as of %(when)s. data.json is the data; "
                "photos/ holds the photos you uploaded.",
                when=data["generated_at"],
            ),
        )
        for photo in data["photos"] + data["event_photos"]:
            path = storage.path_for(photo["key"])
            if path.exists():
                archive.write(path, f"photos/{photo['key']}")
    return buffer.getvalue()


def delete_account(user: User, password: str, confirmation: str) -> None:
    """Erase the account. Reports, comments and events stay, without a name ("a neighbour"); votes are
    removed and recounted; follows, areas, notifications, sign-ups (places go to the waiting list), flags
    and sessions go; mail sent to the address is scrubbed from the outbox."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to delete your account."))
    if not password_matches(user.password_hash, password or ""):
        raise ValidationError(_("That is not your password."), field="password")
    if (confirmation or "").strip().upper() != CONFIRM_WORD:
        raise ValidationError(_("Type %(word)s to confirm.", word=CONFIRM_WORD), field="confirm")
    if (
        user.is_admin
        and (db.session.scalar(select(func.count()).select_from(User).where(User.role == user.role)) or 0) <= 1
    ):
        raise ValidationError(_("You are the last administrator: make someone else an administrator first."))
    from civic.events import services as events

    for event_id in db.session.scalars(
        select(Rsvp.event_id).where(Rsvp.user_id == user.id, Rsvp.status.in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED]))
    ).all():
        events.withdraw(user, event_id)  # the next person on the waiting list takes the place
    voted = list(db.session.scalars(select(Upvote.issue_id).where(Upvote.user_id == user.id)))
    email, user_id = user.email, user.id
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.to_address == email)
        .values(to_address="erased@deleted.invalid", body_text="", subject="", headers={})
    )
    db.session.execute(delete(User).where(User.id == user_id))  # foreign keys anonymise or remove the rest
    recount = select(func.count()).select_from(Upvote).where(Upvote.issue_id == Issue.id).scalar_subquery()
    if voted:
        db.session.execute(update(Issue).where(Issue.id.in_(voted)).values(upvote_count=recount))
    db.session.flush()
    db.session.expunge_all()
