"""Reading and checking the GeoReport request parameters: paging, the date window, id lists, the POST's
point and the title made from its description. Every refusal is a ValidationError (a 400 error array).

- start_date/end_date without an offset are read in the city's zone (BABEL_DEFAULT_TIMEZONE); "+" turned
  into a space by an unencoded query string is read as "+". They may be at most 90 days apart.
- A location must be lat+long: civic needs a point inside the city (address_string alone is refused).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import gettext as _

from civic.database import utcnow
from civic.errors import ValidationError
from civic.issues import services as issue_services

MAX_WINDOW = timedelta(days=90)
PAGE_SIZE_MAX = 1000
PAGE_MAX = 1_000_000  # keeps OFFSET within what every database accepts
TITLE_LENGTH = 80
DEFAULT_TITLE = "Service request"  # stored data, not interface text: not translated
MAX_DB_ID = 2**31 - 1  # larger numbers are no issue of ours (and PostgreSQL's integer would refuse them)

_SPACE_FOR_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def city_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def comma_list(name: str) -> list[str]:
    return [part.strip() for part in request.args.get(name, "").split(",") if part.strip()]


def issue_id(value: str) -> int | None:
    """A service_request_id as one of our issue ids; None for anything that cannot be one."""
    value = value.strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_DB_ID else None


def page() -> tuple[int, int]:
    """?page (from 1) and ?page_size (1 to 1000, default 1000)."""
    try:
        number = int(request.args.get("page") or 1)
        size = int(request.args.get("page_size") or PAGE_SIZE_MAX)
    except ValueError:
        number = size = 0
    if not 1 <= number <= PAGE_MAX or not 1 <= size <= PAGE_SIZE_MAX:
        raise ValidationError(
            _("page must be a whole number from 1, and page_size one from 1 to %(n)d.", n=PAGE_SIZE_MAX)
        )
    return number, size


def _datetime(name: str) -> datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(_SPACE_FOR_PLUS.sub(r"\1+\2", raw))
    except ValueError:
        raise ValidationError(
            _("%(name)s must be an ISO 8601 date and time, e.g. 2026-11-24T10:00:00-05:00.", name=name), field=name
        ) from None
    return parsed.replace(tzinfo=city_zone()) if parsed.tzinfo is None else parsed


def window() -> tuple[datetime, datetime]:
    """start_date..end_date, at most 90 days; one alone reaches 90 days from it; neither: the last 90 days."""
    start, end = _datetime("start_date"), _datetime("end_date")
    try:
        if start is None:
            end = end if end is not None else utcnow()
            start = end - MAX_WINDOW
        elif end is None:
            end = start + MAX_WINDOW
    except OverflowError:  # 90 days from the year 1 or 9999
        raise ValidationError(_("start_date and end_date may be at most 90 days apart."), field="end_date") from None
    if end < start:
        raise ValidationError(_("end_date must not be before start_date."), field="end_date")
    if end - start > MAX_WINDOW:
        raise ValidationError(_("start_date and end_date may be at most 90 days apart."), field="end_date")
    return start, end


def statuses() -> set[str]:
    """?status: a comma list of open and closed (empty: both)."""
    wanted = {s.lower() for s in comma_list("status")}
    if wanted - {"open", "closed"}:
        raise ValidationError(_("status must be open or closed."), field="status")
    return wanted


def point() -> tuple[float, float]:
    """The POST's lat and long, both required, finite numbers."""
    raw_lat, raw_long = request.form.get("lat", "").strip(), request.form.get("long", "").strip()
    if not raw_lat or not raw_long:
        raise ValidationError(_("lat and long are required."), field="lat")
    try:
        lat, lon = float(raw_lat), float(raw_long)
    except ValueError:
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValidationError(_("lat and long must be numbers."), field="lat")
    return lat, lon


def title_from(description: str) -> str:
    """The description's first ~80 characters, cut at a word; "Service request" when there is too little."""
    text = " ".join((description or "").split())
    if len(text) < issue_services.TITLE_MIN:
        return DEFAULT_TITLE
    if len(text) <= TITLE_LENGTH:
        return text
    cut = text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-")
    if len(cut) < TITLE_LENGTH // 2:  # one very long word: cut inside it
        cut = text[: TITLE_LENGTH - 1]
    return cut + "…"
