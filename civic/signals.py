"""The two kinds of signal, by which other domains take part in a domain's work without being imported by it.

- **Validating hooks** (`Hook`) run inside a service *before* it writes. A receiver may refuse the action by
  raising `ValidationError`, or return a dict of extra data the service hands on (to the event signal that
  follows). `validate_report` is one: the city's 311 domain checks the service attributes it needs.
- **Event signals** fire *after* the service has written (flushed) its change, in the same transaction.
  Receivers may write in that transaction too (a 311 outbox row, notifications: both or neither are kept);
  anything outside the database (a push, a mail) goes through `civic.database.on_commit`.

Producers send them; other domains connect to them, never the other way round.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from flask import Flask, current_app

_signals = Namespace()
_hooks = Namespace()


class Hook:
    """A validating hook: `collect()` calls every receiver and merges the dicts they return."""

    def __init__(self, name: str) -> None:
        self.signal = _hooks.signal(name)

    def connect(self, receiver):
        self.signal.connect(receiver)
        return receiver

    def collect(self, sender: Any, **kwargs: Any) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        for _receiver, returned in self.signal.send(sender, **kwargs):
            extras.update(returned or {})
        return extras


def sender() -> Flask:
    """The app itself, not the `current_app` proxy: what every hook and signal is sent by."""
    return current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own method, untyped


# --- validating hooks ---------------------------------------------------------------------------

# Run by issues.services.report_issue before the issue is written, for every channel (form, JSON API,
# civic's own GeoReport POST). Receivers get category=Category, draft=IssueDraft (draft.extra_fields holds
# the submitted fields issues does not know, such as "attribute[code]" -> [values]).
validate_report = Hook("validate-report")

# Asked by staff.workflow before a resident answers "is it fixed?": does this person follow the issue?
# Receivers get user_id=, issue_id= and return {"follows": True} when they do (notifications owns follows).
follows_issue = Hook("follows-issue")


# --- event signals ------------------------------------------------------------------------------

user_registered = _signals.signal("user-registered")
password_reset = _signals.signal("password-reset")
# The password changed (by the person, or through a reset link): user=User. Receivers revoke the credentials
# they own for that person and return how many they revoked (the page tells the person the total).
password_changed = _signals.signal("password-changed")
role_changed = _signals.signal("role-changed")

# Issues. Receivers get the issue (and comment) as keyword arguments.
# issue_reported: issue=Issue, extras=dict (what validate_report's receivers returned), origin="web"|"api"|"georeport"
issue_reported = _signals.signal("issue-reported")
issue_edited = _signals.signal("issue-edited")
issue_upvoted = _signals.signal("issue-upvoted")  # voted=True/False, count=N
comment_posted = _signals.signal("comment-posted")
comment_changed = _signals.signal("comment-changed")  # edited or deleted
status_changed = _signals.signal("status-changed")

# Notifications: sent for each new notification (and with notification=None, user_id=N when the unread
# count of user N changed for another reason, such as "mark all read").
notification_created = _signals.signal("notification-created")

# Staff workflow: an issue closed as a duplicate of another (followers carry over in notifications).
issue_merged = _signals.signal("issue-merged")  # duplicate=Issue, original=Issue

# Open311: a community issue's 311 ticket changed (queued, accepted, refused, city status).
ticket_changed = _signals.signal("ticket-changed")  # submission=Submission


# Events.
event_changed = _signals.signal("event-changed")  # event=Event, change="edited"|"cancelled"
rsvp_promoted = _signals.signal("rsvp-promoted")  # rsvp=Rsvp (off the waiting list)
