"""A city endpoint configured by environment: CIVIC_OPEN311_URL, _API_KEY, _JURISDICTION, _FORMAT,
_PAGE_SIZE, _NEEDS_ADDRESS. Saved as the endpoint named "environment" when the worker or a command runs."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from civic.extensions import db
from civic.open311.models import Endpoint

NAME = "environment"


def ensure_environment_endpoint() -> Endpoint | None:
    cfg = current_app.config
    url = cfg.get("OPEN311_URL")
    if not url:
        return None
    endpoint = db.session.scalar(select(Endpoint).where(Endpoint.name == NAME)) or Endpoint(name=NAME)
    endpoint.base_url = url
    endpoint.api_key = cfg.get("OPEN311_API_KEY")
    endpoint.jurisdiction_id = cfg.get("OPEN311_JURISDICTION")
    endpoint.format = str(cfg.get("OPEN311_FORMAT") or "json").lower()
    endpoint.page_size = int(cfg.get("OPEN311_PAGE_SIZE") or 50)
    endpoint.needs_address = bool(cfg.get("OPEN311_NEEDS_ADDRESS", False))
    endpoint.active = True
    db.session.add(endpoint)
    db.session.commit()
    return endpoint
