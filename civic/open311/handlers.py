"""Signal receivers: a new community issue goes to the city's 311 system when its category is mapped."""
from __future__ import annotations

from civic import signals
from civic.open311 import outbox


@signals.issue_reported.connect
def _file_with_the_city(app, issue, **_extra) -> None:
    if outbox.route_for(issue) is not None:
        outbox.queue(issue, issue.reporter)  # sent by the background job; contact details never without consent
