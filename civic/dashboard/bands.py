"""Colour bands for the neighbourhood map, computed from the figures themselves.

Fixed limits ("under 2 days", "7 to 30 days") put every neighbourhood of a real city in one band. Here the limits
are the quartiles of the measured neighbourhoods' medians, rounded to whole days; a limit is kept only when
there is a value on both sides of it (below it and above the previous limit, and at or above it), so no band is
ever empty or the same as its neighbour, and few distinct values give fewer bands. A value goes in the band
whose lower limit it reaches: limits [5, 9] over values 3..20 give "3 to 5 days", "5 to 9 days", "9 to 20 days".

Colours are ColorBrewer's OrRd (sequential, colour-blind safe; darker is slower). Neighbourhoods with fewer than
MIN_MEASURED fixed issues are not measured: the map draws them "too few to judge", never in a band.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_MEASURED = 5  # the same threshold as shares: fewer fixed issues than this are too few to judge

# ColorBrewer OrRd, by number of classes (1 and 2 taken from the 3-class scheme).
ORRD = {
    1: ("#fdbb84",),
    2: ("#fee8c8", "#e34a33"),
    3: ("#fee8c8", "#fdbb84", "#e34a33"),
    4: ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f"),
}


@dataclass(frozen=True)
class Band:
    low: int  # whole days; a value belongs here when low <= value < high (the last band includes high)
    high: int
    colour: str


def limits(days: Sequence[float]) -> list[int]:
    """The inner band limits, whole days, ascending: rounded quartiles with a value on each side."""
    values = sorted(days)
    if len(set(values)) < 2:
        return []
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    kept: list[int] = []
    for cut in sorted({math.floor(q + 0.5) for q in quartiles}):  # half days round up
        floor = kept[-1] if kept else -math.inf
        if any(floor <= v < cut for v in values) and any(v >= cut for v in values):
            kept.append(cut)
    return kept


def bands(days: Sequence[float]) -> list[Band]:
    """The bands for these medians (in days): none without values, else one to four."""
    if not days:
        return []
    inner = limits(days)
    edges = [math.floor(min(days)), *inner, math.ceil(max(days))]
    colours = ORRD[len(edges) - 1]
    return [Band(low, high, colour) for low, high, colour in zip(edges[:-1], edges[1:], colours, strict=True)]


def band_of(value_days: float, scale: Sequence[Band]) -> int | None:
    """The index of the band a value falls in (values beyond the ends go in the end bands)."""
    if not scale:
        return None
    return next((n for n, band in enumerate(scale) if value_days < band.high), len(scale) - 1)
