"""Notification text, made when shown or mailed, in the reader's language."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from civic import stored_text
from civic.accounts.models import Department, User
from civic.extensions import db
from civic.issues.models import IssueStatus
from civic.issues.services import shown_name
from civic.notifications.models import Notification, NotificationKind


def describe(notification: Notification) -> str:
    payload, issue = notification.payload or {}, notification.issue
    title = issue.title if issue else _("a removed issue")
    if notification.kind is NotificationKind.COMMENT and payload.get("department"):
        return _("The %(department)s replied to “%(title)s”", department=_department(payload), title=title)
    if notification.kind is NotificationKind.COMMENT:
        return _("%(who)s commented on “%(title)s”", who=_commenter(notification), title=title)
    if notification.kind is NotificationKind.STATUS:
        status = IssueStatus(payload["to"]).label if payload.get("to") in IssueStatus._value2member_map_ else "?"
        text = _("“%(title)s” is now: %(status)s", title=title, status=status)
        reason = stored_text.render(payload.get("reason_code"), payload.get("reason_params"), payload.get("reason", ""))
        return f"{text} — {reason}" if reason else text
    if notification.kind is NotificationKind.EVENT_CANCELLED:
        return _("The event “%(title)s” is cancelled.", title=payload.get("event_title", ""))
    if notification.kind is NotificationKind.EVENT_PLACE:
        return _("A place freed up: you are going to “%(title)s”.", title=payload.get("event_title", ""))
    if notification.kind is NotificationKind.EVENT_EDITED:
        return _event_edited(payload)
    if notification.kind is NotificationKind.EVENT_REMINDER:
        return _("Tomorrow: “%(title)s”. See you there!", title=payload.get("event_title", ""))
    if notification.kind is NotificationKind.SUPPLIES:
        if payload.get("supplies") == "accepted":
            return _(
                "The city accepted your request for supplies for “%(title)s”.", title=payload.get("event_title", "")
            )
        return _("The city declined your request for supplies for “%(title)s”.", title=payload.get("event_title", ""))
    return _("New in %(area)s: “%(title)s”", area=payload.get("area", ""), title=title)


def _commenter(notification: Notification) -> str:
    """Who commented, as the notification's reader may see them (the one rule for names): decided now, from the
    author's current choice, not from what was true when the notification was made. An account removed since
    (its actor_id is emptied) is "A neighbour", like one whose name was never kept."""
    actor = db.session.get(User, notification.actor_id) if notification.actor_id else None
    if actor is None:
        return _("A neighbour")
    return shown_name(actor, db.session.get(User, notification.user_id)).label


def _department(payload: dict) -> str:
    """The replying department's name in the reader's language (the stored name if it has gone)."""
    department = db.session.get(Department, payload["department_id"]) if payload.get("department_id") else None
    return department.label if department is not None else payload["department"]


def link(notification: Notification, external: bool = False) -> str:
    if notification.payload.get("event_id"):
        return url_for("events.detail", event_id=notification.payload["event_id"], _external=external)
    if notification.issue_id is None:
        return url_for("notifications.centre", _external=external)
    anchor = f"comment-{notification.payload['comment_id']}" if notification.payload.get("comment_id") else None
    return url_for("issues.detail", issue_id=notification.issue_id, _anchor=anchor, _external=external)


def _event_edited(payload: dict) -> str:
    title, what = payload.get("event_title", ""), set(payload.get("what") or [])
    if {"time", "place"} <= what:
        return _("“%(title)s” has a new time and meeting point.", title=title)
    if "time" in what:
        return _("“%(title)s” has a new time.", title=title)
    if "place" in what:
        return _("“%(title)s” has a new meeting point.", title=title)
    return _("“%(title)s” has changed.", title=title)
