"""The demo liaison's reports for residents without internet: a few seeded issues are re-attributed to
Carmen, filed on behalf of a named neighbour, so "Reports I filed for others" has something to show."""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import User
from civic.extensions import db
from civic.issues.models import Issue, IssueStatus

# Who Carmen reported for, and how the city's staff can reach them (private to staff and the liaison).
ON_BEHALF = [
    ("Mrs. Dolores Vega", "Phone 215-555-0142, mornings"),
    ("Mr. Harold Brooks", "Letters to the house; no phone"),
    ("Ana Lucía Torres", "Through her daughter: 215-555-0187"),
]


def seed_reports_for_others() -> int:
    """Give the demo liaison a few recent open reports filed for others; returns how many."""
    carmen = db.session.scalar(select(User).where(User.email == "carmen@demo.civic"))
    if carmen is None:
        return 0
    issues = db.session.scalars(
        select(Issue)
        .where(Issue.status == IssueStatus.OPEN, Issue.on_behalf_name.is_(None))
        .order_by(Issue.created_at.desc())
        .limit(len(ON_BEHALF))
    ).all()
    for issue, (name, contact) in zip(issues, ON_BEHALF, strict=False):
        issue.reporter_id = carmen.id
        issue.on_behalf_name, issue.on_behalf_contact = name, contact
        issue.show_reporter_name = False
    db.session.flush()
    return len(issues)
