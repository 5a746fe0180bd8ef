"""Notification e-mail: one message per notification (immediate), or one digest per day (daily);
every message carries a one-click unsubscribe link (RFC 8058) signed for its recipient."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from civic import signals
from civic.accounts.models import EmailFrequency, User
from civic.accounts.tokens import make_standing_token, user_from_standing_token
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.mail.services import send_mail
from civic.notifications.messages import describe, link
from civic.notifications.models import Notification, NotificationKind

_SALT = "civic.unsubscribe"
# Mailed at once even to daily-digest readers: tomorrow's digest would come too late.
TIME_SENSITIVE = frozenset(
    {
        NotificationKind.EVENT_REMINDER,
        NotificationKind.EVENT_EDITED,
        NotificationKind.EVENT_CANCELLED,
        NotificationKind.EVENT_PLACE,
    }
)


def unsubscribe_token(user: User) -> str:
    """No expiry: an unsubscribe link in an old e-mail must still work."""
    return make_standing_token(user, _SALT)


def user_from_unsubscribe_token(token: str) -> User:
    return user_from_standing_token(
        token, _SALT, _("This unsubscribe link is not valid. Change your e-mail settings on your account page.")
    )


def _unsubscribe_headers(user: User) -> tuple[str, dict]:
    url = url_for("notifications.unsubscribe", token=unsubscribe_token(user), _external=True)
    return url, {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


@signals.notification_created.connect
def _send_immediately(app, notification: Notification | None = None, **_extra) -> None:
    if notification is None:
        return
    user = db.session.get(User, notification.user_id)
    if user is None or user.email_frequency is EmailFrequency.NEVER:
        return
    if user.email_frequency is not EmailFrequency.IMMEDIATE and notification.kind not in TIME_SENSITIVE:
        return
    with force_locale(user.locale or "en"):
        unsubscribe, headers = _unsubscribe_headers(user)
        send_mail(
            user.email,
            describe(notification),
            "notification",
            headers=headers,
            user=user,
            text=describe(notification),
            link=link(notification, external=True),
            unsubscribe=unsubscribe,
        )
    notification.emailed_at = utcnow()  # in the notification's own transaction; the mail leaves after commit


def send_digests(now: datetime | None = None) -> int:
    """One e-mail per daily-digest user with notifications not yet mailed. Returns the number sent.

    Safe to run again: what was mailed is marked, so a second run the same day sends nothing.
    """
    now = now or utcnow()
    pending = db.session.scalars(
        select(Notification)
        .join(User, User.id == Notification.user_id)
        .where(
            User.email_frequency == EmailFrequency.DAILY,
            Notification.emailed_at.is_(None),
            Notification.created_at <= now,
        )
        .order_by(Notification.user_id, Notification.created_at)
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in pending:
        by_user[notification.user_id].append(notification)
    for user_id, notifications in by_user.items():
        with unit_of_work():  # each digest commits on its own: a later failure leaves it marked as sent
            _send_digest(db.session.get_one(User, user_id), notifications, now)
    return len(by_user)


def _send_digest(user: User, notifications: list[Notification], now: datetime) -> None:
    with force_locale(user.locale or "en"):
        by_issue: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for n in notifications:
            heading = n.issue.title if n.issue else _("Other news")
            by_issue[heading].append((describe(n), link(n, external=True)))
        unsubscribe, headers = _unsubscribe_headers(user)
        subject = ngettext("civic: %(num)d update near you", "civic: %(num)d updates near you", len(notifications))
        send_mail(user.email, subject, "digest", headers=headers, user=user, groups=by_issue, unsubscribe=unsubscribe)
    for n in notifications:
        n.emailed_at = now
