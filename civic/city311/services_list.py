"""The city's service catalogue: fetch its service list (and service definitions), map its services to our
categories, and read the attributes the city asks for. Writes only flush (the command's unit of work commits)."""

from __future__ import annotations

import re

from sqlalchemy import select

from civic.city311.client import GeoReportClient
from civic.city311.models import CityService, Endpoint
from civic.database import utcnow
from civic.extensions import db
from civic.issues.models import Category

# Words in a city's service name that point at one of our default categories (a first guess an admin can fix).
HINTS = {
    "pothole": "pothole",
    "light": "street-light",
    "dump": "illegal-dumping",
    "graffiti": "graffiti",
    "vehicle": "abandoned-vehicle",
    "trash": "trash-collection",
    "rubbish": "trash-collection",
}


def refresh(endpoint: Endpoint, client: GeoReportClient | None = None) -> list[CityService]:
    client = client or GeoReportClient.for_endpoint(endpoint)
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    known = {
        s.service_code: s for s in db.session.scalars(select(CityService).where(CityService.endpoint_id == endpoint.id))
    }
    seen = []
    for record in client.services():
        code = str(record.get("service_code", "")).strip()
        if not code:
            continue
        service = known.get(code) or CityService(endpoint_id=endpoint.id, service_code=code)
        service.service_name = str(record.get("service_name") or code)[:200]
        service.has_metadata = str(record.get("metadata", "false")).lower() == "true"
        service.attributes = client.service_definition(code).get("attributes", []) if service.has_metadata else []
        if service.category_id is None:
            name = service.service_name.lower()
            guess = next((slug for word, slug in HINTS.items() if word in name), None)
            service.category_id = categories[guess].id if guess in categories else None
        service.fetched_at = utcnow()
        db.session.add(service)
        seen.append(service)
    if client.fmt != endpoint.format:
        endpoint.format = client.fmt  # the server turned out to speak XML only
    db.session.flush()
    return seen


def required_attributes(category_id: int) -> list[dict]:
    """The city's required attributes for the service mapped to this category (shown on the report form)."""
    service = db.session.scalar(select(CityService).where(CityService.category_id == category_id).limit(1))
    if service is None:
        return []
    attributes = [a for a in service.attributes or [] if isinstance(a, dict)]
    return sorted(attributes, key=lambda a: int(a.get("order") or 0))


# --- suggestions for the admin's mapping table -----------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")
# Words that say nothing about which problem a service is about.
_STOPWORDS = frozenset(
    "a an and are at be by for from in is it its of on or that the this to with request requests report service "
    "services problem issue other".split()
)


def _words(text: str | None) -> set[str]:
    """The meaningful words of a text, lower-cased, a plural's "s" dropped ("Lights" is "light")."""
    found = set()
    for word in _WORD.findall((text or "").lower()):
        if len(word) < 3 or word in _STOPWORDS:
            continue
        found.add(word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word)
    return found


def _same(a: str, b: str) -> bool:
    """One word, or one the start of the other ("dump" and "dumping"), when the shorter has 4 letters or more."""
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= 4 and long.startswith(short))


def _overlap(words: set[str], others: set[str]) -> int:
    return sum(1 for word in words if any(_same(word, other) for other in others))


def suggest_category(service_name: str, description: str | None, categories) -> Category | None:
    """The category whose name or slug shares the most words with the city's service name (counted twice)
    and its description or keywords; None when nothing is shared. A suggestion for an admin, never applied
    by itself. Ties go to the category listed first."""
    name_words, other_words = _words(service_name), _words(description) - _words(service_name)
    best, best_score = None, 0
    for category in categories:
        own = _words(category.name) | _words(category.slug.replace("-", " "))
        score = 2 * _overlap(name_words, own) + _overlap(other_words, own)
        if score > best_score:
            best, best_score = category, score
    return best
