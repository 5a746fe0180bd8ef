"""The API's requests as pydantic models: one schema per request body and per query string, used both to
validate the request (civic/api/validation.py) and to write the OpenAPI document (civic/api/openapi.py), so
the two cannot drift.

Where a service is stricter than a schema can say (a point must be inside one of the city's neighbourhoods,
not only inside their bounding box; a category must exist), the field's description says so and the service
refuses it with the same 400."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from civic.accounts.services import SUPPORTED_LOCALES
from civic.geo.geocoding import city_bounds
from civic.issues.models import IssueStatus
from civic.issues.queries import MAX_DAYS
from civic.issues.search import MAX_QUERY_LENGTH, MAX_WORDS
from civic.issues.services import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN
from civic.text import BIDI_CONTROL_CHARS, CONTROL_CHARS, INVISIBLE_CHARS

MAX_ID = 2**31 - 1
DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
MAX_PAGE = 100_000  # beyond it the offset is only work for the database
STATUSES = "|".join(s.value for s in IssueStatus)


# civic.text's rule, in patterns: control characters are refused; invisible and bidi characters do not count.
_TEXT_CHAR = f"[^{CONTROL_CHARS}]"
_UNCOUNTED = f"[{INVISIBLE_CHARS}{BIDI_CONTROL_CHARS}]"
_SEEN = rf"[^\s{CONTROL_CHARS}{INVISIBLE_CHARS}{BIDI_CONTROL_CHARS}]"  # a visible character, not a space
_COUNTED = rf"[^{CONTROL_CHARS}{INVISIBLE_CHARS}{BIDI_CONTROL_CHARS}]"  # visible or a space
PLAIN_TEXT = f"^{_TEXT_CHAR}*$"


def at_least(n: int) -> str:
    """A pattern for text of at least `n` characters once trimmed, as the services count them (civic.text:
    invisible and bidi characters do not count, control characters are refused): its first and last visible
    characters hold at least n-2 counted characters between them."""
    lead = rf"(?:[^\S{CONTROL_CHARS}]|{_UNCOUNTED})*"  # spaces (not the control ones) and uncounted characters
    if n <= 1:
        return rf"^{lead}{_SEEN}{_TEXT_CHAR}*$"
    return rf"^{lead}{_SEEN}(?:{_UNCOUNTED}*{_COUNTED}){{{n - 2},}}{_UNCOUNTED}*{_SEEN}{_TEXT_CHAR}*$"


# --- the city's bounds: checked on the way in and written into the document, from city_bounds() -----------


def _bound(axis: int):
    """A validator and a schema hook for a latitude (axis 1) or longitude (axis 0) inside the city's box."""

    def check(value: float) -> float:
        bounds = city_bounds()
        if not bounds[axis] <= value <= bounds[axis + 2]:
            raise ValueError("outside the city")
        return value

    def document(schema: dict[str, Any]) -> None:
        bounds = city_bounds()
        schema["minimum"], schema["maximum"] = bounds[axis], bounds[axis + 2]

    return check, document


_lat_check, _lat_doc = _bound(1)
_lon_check, _lon_doc = _bound(0)
INSIDE_CITY = " Inside the city: its bounding box here; the service also wants the point inside a neighbourhood."
# Bodies take JSON numbers only (not "39.9", not true); query strings are text, so there it is parsed.
BodyLat = Annotated[
    float,
    Field(strict=True, description="Latitude." + INSIDE_CITY, json_schema_extra=_lat_doc),
    AfterValidator(_lat_check),
]
BodyLon = Annotated[
    float,
    Field(strict=True, description="Longitude." + INSIDE_CITY, json_schema_extra=_lon_doc),
    AfterValidator(_lon_check),
]
QueryLat = Annotated[
    float, Field(description="Latitude." + INSIDE_CITY, json_schema_extra=_lat_doc), AfterValidator(_lat_check)
]
QueryLon = Annotated[
    float, Field(description="Longitude." + INSIDE_CITY, json_schema_extra=_lon_doc), AfterValidator(_lon_check)
]


def _outside_city() -> str:
    return _("That point is outside %(city)s. Move the pin inside the city.", city=current_app.config["CITY_NAME"])


class RequestModel(BaseModel):
    """A request's schema. `messages` gives, per field, what to tell the caller when a value breaks its rule
    (too short, out of range…); type errors have their own messages (civic/api/validation.py)."""

    # python-re: patterns see white space as str.strip() does; no NaN or infinity from "nan" or 1e999
    model_config = ConfigDict(extra="forbid", regex_engine="python-re", allow_inf_nan=False)
    messages: ClassVar[dict[str, Any]] = {}


class QueryModel(RequestModel):
    """A query string: parameters it does not name are ignored, as the views always have."""

    model_config = ConfigDict(extra="ignore", regex_engine="python-re", allow_inf_nan=False)


# --- bodies ---------------------------------------------------------------------------------------


AttributeValue = Annotated[float, Field(strict=True)] | Annotated[StrictStr, Field(pattern=PLAIN_TEXT)]


class NewIssue(RequestModel):
    category_id: StrictInt = Field(
        ge=1, le=MAX_ID, description="A category's id (GET /api/v1/categories); it must exist and be active."
    )
    title: str = Field(
        max_length=TITLE_MAX,
        pattern=at_least(TITLE_MIN),
        description=f"{TITLE_MIN} to {TITLE_MAX} characters, not counting spaces around it.",
    )
    description: str = Field(
        max_length=DESCRIPTION_MAX,
        pattern=at_least(1),
        description=f"Up to {DESCRIPTION_MAX} characters, not only spaces.",
    )
    lat: BodyLat
    lon: BodyLon
    address: str | None = Field(default=None, max_length=200, pattern=PLAIN_TEXT)
    attributes: dict[str, AttributeValue | list[AttributeValue]] | None = Field(
        default=None,
        description="The city's service attributes for the category, by code (GET /open311/v2/services/{code}.json"
        " lists them); a list for a multivaluelist. The city checks them (required ones, known values).",
    )

    messages: ClassVar[dict[str, Any]] = {
        "category_id": _l("Choose what kind of problem it is."),
        "title": _l("Give the problem a short title (at least 3 characters)."),
        "description": _l("Describe the problem so the city can find and fix it."),
        "lat": _outside_city,
        "lon": _outside_city,
        "address": _l("Use at most %(n)d characters.", n=200),
        "attributes": _l("Each attribute value must be text or a number."),
    }


class Home(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    lat: float = Field(strict=True, ge=-90, le=90)
    lon: float = Field(strict=True, ge=-180, le=180)


class MeChange(RequestModel):
    """Fields left out stay as they are."""

    display_name: str = Field(
        default="",
        max_length=80,
        pattern=at_least(1),
        description="The name neighbours see: up to 80 characters, not only spaces.",
    )
    show_name: StrictBool = Field(
        default=False,
        description='Neighbours see the name next to my reports and comments; otherwise "a neighbour".',
    )
    locale: Literal[SUPPORTED_LOCALES + ("",)] | None = Field(  # type: ignore[valid-type]  # the tuple is constant
        default=None, description="The site's language; \"\" or null: the browser's."
    )
    home: Home | None = Field(default=None, description="A point anywhere on Earth, or null for no home.")

    messages: ClassVar[dict[str, Any]] = {
        "display_name": _l("Enter the name neighbours will see."),
        "locale": _l("Choose English or Spanish."),
        "home": _l("home must be null or an object with numeric lat and lon."),
        "home.lat": _l("That is not a place on Earth: check latitude and longitude."),
        "home.lon": _l("That is not a place on Earth: check latitude and longitude."),
    }


class NewComment(RequestModel):
    body: str = Field(max_length=COMMENT_MAX, pattern=at_least(1), description=f"Up to {COMMENT_MAX} characters.")

    messages: ClassVar[dict[str, Any]] = {"body": _l("Write your comment first.")}


class Upvote(RequestModel):
    """Omit the body (or upvoted) to toggle. Unknown fields are refused, as everywhere."""

    upvoted: StrictBool | None = None


class Following(RequestModel):
    following: StrictBool


class Rsvp(RequestModel):
    going: StrictBool


# --- query strings ------------------------------------------------------------------------------------


class PageQuery(QueryModel):
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description=f"Page number, from 1 to {MAX_PAGE}.")
    per_page: int = Field(
        default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description=f"Items per page (at most {MAX_PER_PAGE})."
    )


NUMBER = r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*"


class IssuesQuery(QueryModel):
    bbox: str = Field(
        pattern=f"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$",
        description="minLon,minLat,maxLon,maxLat: longitudes from -180 to 180, latitudes from -90 to 90, each"
        " minimum below its maximum, at most 2 degrees across (the service checks the order and the size).",
    )
    zoom: int | None = Field(default=None, ge=0, le=22, description="The map's zoom: at low zoom, clusters.")
    category: str | None = Field(
        default=None, description="Category slugs, comma-separated (GET /api/v1/categories); unknown ones are refused."
    )
    status: str | None = Field(
        default=None,
        pattern=rf"^\s*({STATUSES})?\s*(,\s*({STATUSES})?\s*)*$",
        description=f"Statuses, comma-separated: {STATUSES.replace('|', ', ')}.",
    )
    days: int | None = Field(default=None, ge=1, le=MAX_DAYS, description="Reported in the last N days.")
    q: str | None = Field(
        default=None,
        max_length=MAX_QUERY_LENGTH,
        pattern=PLAIN_TEXT,
        description="Words in the title or description, all of them (the last may be the start of a word; accents"
        f" and punctuation ignored; at most {MAX_WORDS} words count). At low zoom a search is clustered from the"
        " matching issues themselves.",
    )

    messages: ClassVar[dict[str, Any]] = {
        "bbox": _l("bbox must be four numbers: minLon,minLat,maxLon,maxLat."),
        "bbox:missing": _l("bbox is required: minLon,minLat,maxLon,maxLat."),
        "status": lambda: _("Unknown status. Use: %(names)s.", names=", ".join(s.value for s in IssueStatus)),
        "zoom": _l("zoom must be a whole number from 0 to 22."),
        "days": _l("days must be a whole number from 1 to %(n)d.", n=MAX_DAYS),
        "q": _l("The search is too long: at most %(n)d characters.", n=MAX_QUERY_LENGTH),
    }


class NearbyQuery(QueryModel):
    lat: QueryLat
    lon: QueryLon
    category_id: int | None = Field(default=None, ge=0, le=MAX_ID, description="Only this category.")

    messages: ClassVar[dict[str, Any]] = {
        "lat": _outside_city,
        "lon": _outside_city,
    }


class GeocodeQuery(QueryModel):
    q: str = Field(
        max_length=200,
        pattern=at_least(3),
        description="What to look for: at least 3 characters not counting spaces around them, at most 200.",
    )

    messages: ClassVar[dict[str, Any]] = {"q": _l("Type at least 3 characters (and at most 200).")}
