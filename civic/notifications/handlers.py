"""Signal receivers: taking part follows the issue; what happens to a followed issue or inside a
followed area becomes a notification for the followers (never for the person who did it). Events, above
this package, turn their own changes into notifications (civic/events/notices.py)."""

from __future__ import annotations

from civic import signals
from civic.extensions import db
from civic.notifications import services
from civic.notifications.models import Follow, FollowReason, NotificationKind


@signals.issue_reported.connect
def _reported(app, issue, **_extra) -> None:
    if issue.reporter_id:
        services.auto_follow(issue.reporter_id, issue.id, FollowReason.REPORTED)
    for user_id, area in services.area_followers_of(issue):
        services.notify(
            [user_id],
            NotificationKind.NEW_ISSUE_NEARBY,
            issue=issue,
            actor_id=issue.reporter_id,
            payload={"area": area.name, "area_id": area.id},
        )


@signals.comment_posted.connect
def _commented(app, issue, comment, **_extra) -> None:
    if comment.author_id:
        services.auto_follow(comment.author_id, issue.id, FollowReason.COMMENTED)
    # No name kept: whose name the reader sees is decided when it is shown, from the author's current choice
    # (civic/notifications/messages.py, the one rule for names), so changing it later changes old notifications.
    payload: dict = {"comment_id": comment.id}
    if comment.official and comment.department is not None:
        # An official reply speaks for the department; its name is looked up when shown, in the reader's language.
        payload["department"] = comment.department.name
        payload["department_id"] = comment.department.id
    services.notify(
        services.issue_followers(issue.id),
        NotificationKind.COMMENT,
        issue=issue,
        actor_id=comment.author_id,
        payload=payload,
    )


@signals.issue_upvoted.connect
def _upvoted(app, issue_id, user_id, voted, **_extra) -> None:
    if voted:
        services.auto_follow(user_id, issue_id, FollowReason.UPVOTED)


@signals.status_changed.connect
def _status_changed(app, issue, change, **_extra) -> None:
    services.notify(
        services.issue_followers(issue.id),
        NotificationKind.STATUS,
        issue=issue,
        actor_id=change.actor_id,
        payload={
            "from": change.from_status.value if change.from_status else None,
            "to": change.to_status.value,
            "reason": change.reason or "",
            # a reason civic worded itself is worded again in each reader's language
            **(
                {"reason_code": change.reason_code, "reason_params": change.reason_params} if change.reason_code else {}
            ),
        },
    )


@signals.follows_issue.connect
def _follows(app, user_id, issue_id, **_extra) -> dict:
    """Answers staff's question before a resident confirms a fix: an active follow counts as taking part."""
    follow = db.session.get(Follow, (user_id, issue_id))
    return {"follows": True} if follow is not None and follow.active else {}


@signals.issue_merged.connect
def _merged(app, duplicate, original, **_extra) -> None:
    """Followers of a duplicate follow the original from now on (unless they stopped following it)."""
    for user_id in services.issue_followers(duplicate.id):
        services.auto_follow(user_id, original.id, FollowReason.CHOSEN)
