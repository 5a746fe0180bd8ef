"""How event times read: in the city's zone and the reader's language, without seconds, with the short zone
("Saturday, December 5, 2026, 10:00 AM EST"; "sábado, 5 de diciembre de 2026, 10:00 GMT-05:00")."""

from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import get_locale

from civic.events import bp
from civic.events.services import city_zone as _zone


def _locale() -> Locale:
    return get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])


def short_zone(value: datetime, locale: Locale | None = None) -> str:
    """The zone's short name where the language has one (EST, EDT), else its offset (GMT-05:00)."""
    locale = locale or _locale()
    name = format_time(value, "z", tzinfo=_zone(), locale=locale)
    if name[:1] in "+-":  # Babel's fallback is a bare offset; CLDR's is the localized GMT format
        name = format_time(value, "ZZZZ", tzinfo=_zone(), locale=locale)
    return name


def clock(value: datetime, locale: Locale | None = None) -> str:
    """The time of day, no seconds: "10:00 AM" / "10:00"."""
    locale = locale or _locale()
    return format_time(value, "short", tzinfo=_zone(), locale=locale)


@bp.app_template_filter("event_time")
def event_time(value: datetime, until: datetime | None = None) -> str:
    """The full date, the start time (and the end time, when given) and the short zone."""
    locale, zone = _locale(), _zone()
    day = format_date(value.astimezone(zone), "full", locale=locale)
    if until is not None and until.astimezone(zone).date() != value.astimezone(zone).date():
        return f"{event_time(value)} – {event_time(until)}"  # over midnight: both days in full
    hours = clock(value, locale) + (f" – {clock(until, locale)}" if until is not None else "")
    return (
        str(locale.datetime_formats["full"]).replace("{1}", day).replace("{0}", f"{hours} {short_zone(value, locale)}")
    )
