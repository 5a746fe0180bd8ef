"""Where an issue is, in words a reader knows: the block of its street when the city's street gazetteer
knows it, else its neighbourhood. One function for pages, lists, popups, feeds and the APIs."""

from __future__ import annotations

from civic.geo import neighbourhoods


def place_label(issue) -> str:
    """"1400 block of E Columbia Ave" once streets are known; the neighbourhood's name until then."""
    hood = neighbourhoods.by_slug(issue.neighbourhood) if issue.neighbourhood else None
    return hood.name if hood else ""
