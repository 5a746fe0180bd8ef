"""How each city endpoint is doing, for staff and for the jobs: the last call that worked, the last that failed
with the city's own words, and which optional endpoints the city has (re-checked daily). Writes only flush."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic.city311.models import Endpoint
from civic.database import utcnow

RECHECK = timedelta(days=1)  # a missing optional endpoint is asked for again after this


def succeeded(endpoint: Endpoint) -> None:
    endpoint.last_success_at = utcnow()


def failed(endpoint: Endpoint, error: Exception | str) -> None:
    endpoint.last_error, endpoint.last_error_at = str(error)[:1000], utcnow()


def offers(endpoint: Endpoint, name: str, now: datetime | None = None) -> bool:
    """Whether to call this optional endpoint now: yes unless it was found missing less than a day ago."""
    known = (endpoint.capabilities or {}).get(name)
    if not known or known.get("available", True):
        return True
    checked = datetime.fromisoformat(known.get("checked_at") or "2000-01-01T00:00:00+00:00")
    return (now or utcnow()) - checked >= RECHECK


def record(endpoint: Endpoint, name: str, available: bool, message: str = "") -> None:
    capabilities = dict(endpoint.capabilities or {})
    capabilities[name] = {"available": available, "checked_at": utcnow().isoformat(), "message": message[:500]}
    endpoint.capabilities = capabilities  # a new dict, so the JSON column is seen as changed


def missing_endpoints(endpoint: Endpoint) -> list[str]:
    return sorted(name for name, known in (endpoint.capabilities or {}).items() if not known.get("available", True))
