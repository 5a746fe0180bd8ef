"""Saving a city endpoint: by a command (`flask open311 add-endpoint`, the pretend city's --connect), or
from the environment: CIVIC_OPEN311_URL, _API_KEY, _JURISDICTION, _FORMAT, _PAGE_SIZE, _NEEDS_ADDRESS,
saved as the endpoint named "environment" when the worker or a command runs. Writes only flush."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from civic.city311.models import Endpoint
from civic.extensions import db

NAME = "environment"


def save_endpoint(name: str, base_url: str, **fields) -> Endpoint:
    """Create or update the endpoint called `name`; `fields` are Endpoint columns (api_key, format, ...),
    `fmt` standing for `format`."""
    if "fmt" in fields:
        fields["format"] = fields.pop("fmt")
    endpoint = db.session.scalar(select(Endpoint).where(Endpoint.name == name)) or Endpoint(name=name)
    endpoint.base_url = base_url
    for column, value in fields.items():
        setattr(endpoint, column, value)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def ensure_environment_endpoint() -> Endpoint | None:
    cfg = current_app.config
    url = cfg.get("OPEN311_URL")
    if not url:
        return None
    return save_endpoint(
        NAME,
        url,
        api_key=cfg.get("OPEN311_API_KEY"),
        jurisdiction_id=cfg.get("OPEN311_JURISDICTION"),
        format=str(cfg.get("OPEN311_FORMAT") or "json").lower(),
        page_size=int(cfg.get("OPEN311_PAGE_SIZE") or 50),
        needs_address=bool(cfg.get("OPEN311_NEEDS_ADDRESS", False)),
        active=True,
    )
