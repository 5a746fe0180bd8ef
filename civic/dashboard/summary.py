"""The plain sentences atop /dashboard ("Half of reports get a city reply within 10 days; nine in ten within 25
days."), written from the same Figures as the tables below them, so the two can never disagree.

A time is only told when at least MIN_MEASURED issues make it up; with fewer the sentence says so instead.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from civic.dashboard.bands import MIN_MEASURED
from civic.dashboard.formatting import human_duration
from civic.dashboard.stats import Figures


def response_sentence(f: Figures) -> str:
    if f.response.count < MIN_MEASURED:
        return _("Too few reports yet to say how long a reply takes.")
    return _(
        "Half of reports get a city reply within %(median)s; nine in ten within %(p90)s.",
        median=human_duration(f.response.median),
        p90=human_duration(f.response.p90),
    )


def fix_sentence(f: Figures) -> str:
    if f.fix.count < MIN_MEASURED:
        return _("Too few issues fixed yet to say how long a fix takes.")
    return _(
        "Half of the issues the city fixed were fixed within %(median)s; nine in ten within %(p90)s.",
        median=human_duration(f.fix.median),
        p90=human_duration(f.fix.p90),
    )


def counts_sentence(f: Figures) -> str:
    if not f.issues:
        return _("No issue has been reported yet.")
    return ngettext(
        "Of %(num)d report so far: %(fixed)d fixed, %(closed)d closed without a fix, %(open)d still open.",
        "Of %(num)d reports so far: %(fixed)d fixed, %(closed)d closed without a fix, %(open)d still open.",
        f.issues,
        fixed=f.fixed + f.community_fixed,
        closed=f.closed,
        open=f.open,
    )


def community_sentence(f: Figures) -> str | None:
    if not f.community_fixed:
        return None
    return ngettext(
        "Neighbours fixed %(num)d of them themselves, at a clean-up.",
        "Neighbours fixed %(num)d of them themselves, at clean-ups.",
        f.community_fixed,
    )


def sentences(f: Figures) -> list[str]:
    """The block's sentences, in reading order."""
    if not f.issues:
        return [counts_sentence(f)]
    lines = [response_sentence(f), fix_sentence(f), counts_sentence(f), community_sentence(f)]
    return [line for line in lines if line]
