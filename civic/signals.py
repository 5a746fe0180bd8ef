"""Blinker signals: producers send them, other domains connect to them (never the other way round)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

user_registered = _signals.signal("user-registered")
password_reset = _signals.signal("password-reset")
role_changed = _signals.signal("role-changed")

# Issues. Receivers get the issue (and comment) as keyword arguments.
issue_reported = _signals.signal("issue-reported")
issue_edited = _signals.signal("issue-edited")
issue_upvoted = _signals.signal("issue-upvoted")      # voted=True/False, count=N
comment_posted = _signals.signal("comment-posted")
comment_changed = _signals.signal("comment-changed")  # edited or deleted
status_changed = _signals.signal("status-changed")

# Notifications: sent for each new notification (and with notification=None, user_id=N when the unread
# count of user N changed for another reason, such as "mark all read").
notification_created = _signals.signal("notification-created")

# Staff workflow: an issue closed as a duplicate of another (followers carry over in notifications).
issue_merged = _signals.signal("issue-merged")      # duplicate=Issue, original=Issue

# Open311: a community issue's 311 ticket changed (queued, accepted, refused, city status).
ticket_changed = _signals.signal("ticket-changed")   # submission=Submission

# Sent by the report form before an issue is created: receivers check extra fields they own (the city's
# service attributes) and return a dict of extras, or raise ValidationError to refuse the report.
report_submitted = _signals.signal("report-submitted")   # category_id=int, data=MultiDict

# Events.
event_changed = _signals.signal("event-changed")     # event=Event, change="edited"|"cancelled"
rsvp_promoted = _signals.signal("rsvp-promoted")     # rsvp=Rsvp (off the waiting list)
