"""The city's service catalogue: fetch its service list (and service definitions), map its services to our
categories, and read the attributes the city asks for. Writes only flush (the command's unit of work commits)."""

from __future__ import annotations

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
