"""Signal receivers: a new community issue goes to the city's 311 system when its category is mapped."""
from __future__ import annotations

from sqlalchemy import select

from civic import signals
from civic.extensions import db
from civic.open311 import outbox
from civic.open311.models import ApiKey


@signals.issue_reported.connect
def _file_with_the_city(app, issue, **_extra) -> None:
    # Requests that arrived through civic's own GeoReport endpoint came from another 311 app (perhaps the
    # city's own): filing them back would make a second ticket.
    from_api = db.session.scalar(select(ApiKey.id).where(ApiKey.user_id == issue.reporter_id).limit(1))
    if from_api is None and outbox.route_for(issue) is not None:
        outbox.queue(issue, issue.reporter)  # sent by the background job; contact details never without consent
