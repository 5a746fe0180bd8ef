"""Where an issue is, in words a reader knows: the block of its street when the city's street gazetteer
knows it ("1400 block of E Columbia Ave"), else its neighbourhood. One function for pages, lists, popups,
feeds and the APIs (`place_label`), and the writing of each issue's nearest block (`assign_block` on report,
`assign_blocks` for the issues already filed: `flask geo assign-blocks`, and the demo after its import)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from civic.extensions import db
from civic.geo import neighbourhoods, streets
from civic.issues.models import Issue

ASSIGN_BATCH = 500


def block_label(number: int | None, street: str | None) -> str | None:
    """ "1400 block of E Columbia Ave"; the street alone when its segment has no addresses; None when unknown."""
    if not street:
        return None
    if number is None:
        return street
    return _("%(number)s block of %(street)s", number=str(number), street=street)


def _neighbourhood_name(slug: str | None) -> str:
    hood = neighbourhoods.by_slug(slug) if slug else None
    return hood.name if hood else ""


def label_for(number: int | None, street: str | None, neighbourhood: str | None) -> str:
    """place_label from the columns alone (the map's marker rows carry no Issue object)."""
    return block_label(number, street) or _neighbourhood_name(neighbourhood)


def place_label(issue) -> str:
    """ "1400 block of E Columbia Ave" when the issue's block is known; the neighbourhood's name otherwise."""
    return label_for(issue.block_number, issue.block_street, issue.neighbourhood)


def issue_block_label(issue) -> str | None:
    """The block alone, or None: what the GeoReport `address` says when the resident typed none."""
    return block_label(issue.block_number, issue.block_street)


def assign_block(issue: Issue) -> None:
    """Store the issue's nearest block (within streets.NEAREST_BLOCK_M), or clear it when there is none."""
    block = streets.nearest_block(issue.lat, issue.lon)
    issue.block_number = block.number if block else None
    issue.block_street = block.street if block else None


def assign_blocks(batch: int = ASSIGN_BATCH) -> int:
    """Give every issue its nearest block, `batch` issues at a time (flushed after each batch, in the
    caller's transaction). Returns how many issues now have a block. Safe to run again, e.g. after a new
    street import."""
    assigned = 0
    last_id = 0
    while True:
        issues = list(db.session.scalars(select(Issue).where(Issue.id > last_id).order_by(Issue.id).limit(batch)))
        if not issues:
            return assigned
        for issue in issues:
            assign_block(issue)
            assigned += issue.block_street is not None
        db.session.flush()
        last_id = issues[-1].id


def point_label(lat: float, lon: float) -> str:
    """Where a point is, in words: its nearest block within reach, else its neighbourhood, else ""."""
    block = streets.nearest_block(lat, lon)
    if block is not None:
        return block_label(block.number, block.street) or ""
    hood = neighbourhoods.containing(lat, lon)
    return hood.name if hood else ""
