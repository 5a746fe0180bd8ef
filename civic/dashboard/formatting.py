"""How the dashboard writes its figures: durations in words (days past two days), shares, counts per 1,000,
short dates. Shared by the views, the plain sentences (summary.py) and the templates."""

from __future__ import annotations

from babel.dates import format_skeleton
from flask_babel import format_decimal, format_percent, get_locale, get_timezone, ngettext
from flask_babel import gettext as _

from civic.dashboard import stats


def human_duration(hours: float | None) -> str:
    """ "45 minutes", "5 hours", "2.5 days": minutes under an hour, hours under two days, then days."""
    if hours is None:
        return "—"
    minutes = round(hours * 60)
    if minutes < 60:
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)
    if hours < 48:
        value = round(float(hours), 1)
        if value.is_integer():
            return ngettext("%(num)d hour", "%(num)d hours", int(value))
        return _("%(value)s hours", value=format_decimal(value, "#,##0.#"))
    value = round(hours / 24, 1)
    if value.is_integer():
        return ngettext("%(num)d day", "%(num)d days", int(value))
    return _("%(value)s days", value=format_decimal(value, "#,##0.#"))


def hours_label(hours: float) -> str:
    return _("%(hours)s h", hours=format_decimal(round(hours, 1), "#,##0.#"))


def percent(share: stats.Share) -> str:
    return "—" if share.percent is None else format_percent(share.percent / 100, "#,##0.#%")


def rate(value: float | None) -> str:
    """A figure per 1,000 residents: "12.5", "0.4"."""
    return "—" if value is None else format_decimal(round(value, 1), "#,##0.0")


def whole(number: int) -> str:
    return format_decimal(number, "#,##0")


def short_date(moment) -> str:
    return format_skeleton("MMMd", moment, tzinfo=get_timezone(), locale=get_locale())
