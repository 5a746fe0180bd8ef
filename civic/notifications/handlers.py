"""Signal receivers: taking part follows the issue; what happens to a followed issue or inside a
followed area becomes a notification for the followers (never for the person who did it)."""
from __future__ import annotations

from civic import signals
from civic.accounts.models import User
from civic.extensions import db
from civic.notifications import services
from civic.notifications.models import FollowReason, NotificationKind


@signals.issue_reported.connect
def _reported(app, issue, **_extra) -> None:
    if issue.reporter_id:
        services.auto_follow(issue.reporter_id, issue.id, FollowReason.REPORTED)
    for user_id, area in services.area_followers_of(issue):
        services.notify([user_id], NotificationKind.NEW_ISSUE_NEARBY, issue=issue, actor_id=issue.reporter_id,
                        payload={"area": area.name, "area_id": area.id})


@signals.comment_posted.connect
def _commented(app, issue, comment, **_extra) -> None:
    if comment.author_id:
        services.auto_follow(comment.author_id, issue.id, FollowReason.COMMENTED)
    author = db.session.get(User, comment.author_id) if comment.author_id else None
    services.notify(services.issue_followers(issue.id), NotificationKind.COMMENT, issue=issue,
                    actor_id=comment.author_id,
                    payload={"comment_id": comment.id, "actor": author.display_name if author else ""})


@signals.issue_upvoted.connect
def _upvoted(app, issue_id, user_id, voted, **_extra) -> None:
    if voted:
        services.auto_follow(user_id, issue_id, FollowReason.UPVOTED)


@signals.status_changed.connect
def _status_changed(app, issue, change, **_extra) -> None:
    services.notify(services.issue_followers(issue.id), NotificationKind.STATUS, issue=issue,
                    actor_id=change.actor_id,
                    payload={"from": change.from_status.value if change.from_status else None,
                             "to": change.to_status.value, "reason": change.reason or ""})


@signals.issue_merged.connect
def _merged(app, duplicate, original, **_extra) -> None:
    """Followers of a duplicate follow the original from now on (unless they stopped following it)."""
    for user_id in services.issue_followers(duplicate.id):
        services.auto_follow(user_id, original.id, FollowReason.CHOSEN)


@signals.event_changed.connect
def _event_changed(app, event, change, what=(), **_extra) -> None:
    """Everyone signed up (or waiting) hears of a cancellation or a new time or place; the organisers
    hear the city's answer to their request for supplies."""
    from sqlalchemy import select

    from civic.events.models import EventOrganiser, Rsvp, RsvpStatus

    payload = {"event_id": event.id, "event_title": event.title}
    organisers = {event.organiser_id, *db.session.scalars(
        select(EventOrganiser.user_id).where(EventOrganiser.event_id == event.id))} - {None}
    if change == "supplies":
        services.notify(sorted(organisers), NotificationKind.SUPPLIES, issue=None,
                        actor_id=event.supplies_decided_by_id,
                        payload={**payload, "supplies": event.supplies_status.value})
        return
    kind = {"cancelled": NotificationKind.EVENT_CANCELLED, "edited": NotificationKind.EVENT_EDITED}.get(change)
    if kind is None:
        return
    people = db.session.scalars(select(Rsvp.user_id).where(
        Rsvp.event_id == event.id, Rsvp.user_id.is_not(None),
        Rsvp.status.in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED])))
    # The organisers made the change: they need no notice of it.
    services.notify([p for p in people if p not in organisers], kind, issue=None, payload={**payload, "what": list(what)})


@signals.rsvp_promoted.connect
def _promoted(app, rsvp, **_extra) -> None:
    if rsvp.user_id:
        from civic.events.models import Event

        event = db.session.get(Event, rsvp.event_id)
        services.notify([rsvp.user_id], NotificationKind.EVENT_PLACE, issue=None,
                        payload={"event_id": event.id, "event_title": event.title})
