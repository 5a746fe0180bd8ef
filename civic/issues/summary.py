"""The printable progress summary of one issue: what a liaison reads out or hands to a neighbour without
internet. Who may see it (the reporter, staff), and what it holds: the status history and the official
replies, oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civic.accounts.models import User
from civic.errors import PermissionDenied
from civic.extensions import db
from civic.issues.models import Comment, Issue, StatusChange
from civic.issues.services import can_see_summary, get_visible_issue


@dataclass
class IssueSummary:
    issue: Issue
    history: list[StatusChange]
    replies: list[Comment]  # the city's official replies still shown on the issue page


def issue_summary(viewer: User | AnonymousUserMixin, issue_id: int) -> IssueSummary:
    issue = get_visible_issue(issue_id, viewer, for_page=True)
    if not can_see_summary(viewer, issue):
        raise PermissionDenied(_("Only the person who reported this issue and city staff can print its summary."))
    replies = db.session.scalars(
        select(Comment)
        .where(
            Comment.issue_id == issue.id,
            Comment.official.is_(True),
            Comment.deleted_at.is_(None),
            Comment.hidden_at.is_(None),
        )
        .order_by(Comment.created_at, Comment.id)
        .options(joinedload(Comment.department))
    )
    return IssueSummary(issue=issue, history=list(issue.status_changes), replies=list(replies))
