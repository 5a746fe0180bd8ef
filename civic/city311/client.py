"""An HTTP client for a city's GeoReport v2 endpoint. Tolerant of what real endpoints do: token-only
POST replies, datetimes without a timezone, "nothing found" as a 404, XML-only servers, page limits.

Errors: CityUnavailable (down, slow, 5xx, garbage: try again later) and CityRefused (4xx: the city said
no, with its own words). Nothing here touches the database: outbox.py and sync.py decide what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as ET  # noqa: N817 - the usual name; the city's XML is untrusted: no entities
import httpx

DEFAULT_TIMEOUT = 10.0


class Open311Error(Exception):
    pass


class CityUnavailable(Open311Error):
    """Worth retrying: the city is down, slow, broken or answered something unreadable."""


class CityRefused(Open311Error):
    """The city rejected the request (4xx). `str(error)` is the city's own error text."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass
class Ticket:
    service_request_id: str
    status: str  # open | closed
    status_notes: str = ""
    agency_responsible: str = ""
    service_notice: str = ""
    description: str = ""
    updated_at: datetime | None = None
    expected_at: datetime | None = None


def parse_datetime(value: str | None, city_zone: str = "America/New_York") -> datetime | None:
    """ISO 8601; a value without a timezone is read in the city's zone (some endpoints omit it)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(city_zone))
    return parsed.astimezone(UTC)


def _xml_to_list(text: str) -> list[dict]:
    """GeoReport XML is a root holding repeated records of simple fields (plus nested attribute lists)."""
    root = ET.fromstring(text)

    def convert(element):
        children = list(element)
        if not children:
            return (element.text or "").strip()
        if len({c.tag for c in children}) == 1 and len(children) > 1 or element.tag in ("attributes", "values"):
            return [convert(c) for c in children]
        return {c.tag: convert(c) for c in children}

    children = list(root)
    if (
        children
        and len({c.tag for c in children}) == len(children)
        and root.tag not in ("services", "service_requests", "errors", "service_request_updates")
    ):
        return [convert(root)]  # a single record at the root, e.g. <service_definition>
    return [convert(record) for record in children]


class GeoReportClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        jurisdiction_id: str | None = None,
        fmt: str = "json",
        page_size: int = 50,
        timeout: float = DEFAULT_TIMEOUT,
        city_zone: str = "America/New_York",
    ):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.api_key, self.jurisdiction_id = api_key, jurisdiction_id
        self.fmt, self.page_size, self.timeout, self.city_zone = fmt, max(1, page_size), timeout, city_zone

    @classmethod
    def for_endpoint(cls, endpoint, **kwargs) -> GeoReportClient:
        return cls(
            endpoint.base_url,
            api_key=endpoint.api_key,
            jurisdiction_id=endpoint.jurisdiction_id,
            fmt=endpoint.format,
            page_size=endpoint.page_size,
            **kwargs,
        )

    # --- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, params: dict | None = None, data=None) -> list[dict] | None:
        """Returns the response's records; None for a 404 (callers decide what "not found" means)."""
        params = dict(params or {})
        if self.jurisdiction_id:
            params.setdefault("jurisdiction_id", self.jurisdiction_id)
        url = f"{self.base_url}{path}.{self.fmt}"
        try:
            response = httpx.request(method, url, params=params, data=data, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            raise CityUnavailable(f"the city did not answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise CityUnavailable(f"could not reach the city: {exc}") from exc
        if response.status_code >= 500:
            raise CityUnavailable(f"the city answered {response.status_code}")
        if self.fmt == "json" and response.status_code in (404, 406) and not self._is_error_array(response):
            self.fmt = "xml"  # an XML-only server: say it once, then keep to XML
            return self._call(method, path, params=params, data=data)
        records = self._parse(response)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise CityRefused(
                self._error_text(records) or f"the city refused the request ({response.status_code})",
                response.status_code,
            )
        return records

    def _is_error_array(self, response: httpx.Response) -> bool:
        try:
            body = response.json()
        except ValueError:
            return False
        return isinstance(body, list) and all(isinstance(e, dict) and "description" in e for e in body)

    def _parse(self, response: httpx.Response) -> list[dict]:
        text = response.text.strip()
        try:
            data = response.json() if self.fmt == "json" else _xml_to_list(text)
        except (ValueError, ET.ParseError):
            raise CityUnavailable(
                f"the city answered something that is not GeoReport {self.fmt.upper()}: {text[:120]!r}"
            ) from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise CityUnavailable(f"the city's answer is not a list of records: {text[:120]!r}")
        return data

    @staticmethod
    def _error_text(records: list[dict]) -> str:
        return "; ".join(str(r.get("description", "")).strip() for r in records if r.get("description"))

    # --- the standard's calls ----------------------------------------------------------------

    def services(self) -> list[dict]:
        return self._call("GET", "services") or []

    def service_definition(self, code: str) -> dict:
        records = self._call("GET", f"services/{code}") or []
        return records[0] if records else {"service_code": code, "attributes": []}

    def post_request(self, fields: dict) -> dict:
        """Returns {"service_request_id": ...} or {"token": ...}, plus "service_notice"."""
        data = dict(fields)
        if self.api_key:
            data["api_key"] = self.api_key
        records = self._call("POST", "requests", data=data)
        if not records or not (records[0].get("service_request_id") or records[0].get("token")):
            raise CityUnavailable("the city's reply held neither a service_request_id nor a token")
        reply = records[0]
        return {
            "service_request_id": str(reply["service_request_id"]) if reply.get("service_request_id") else None,
            "token": str(reply["token"]) if reply.get("token") else None,
            "service_notice": reply.get("service_notice") or "",
        }

    def ticket_for_token(self, token: str) -> str | None:
        records = self._call("GET", f"tokens/{token}") or []
        found = [r.get("service_request_id") for r in records if r.get("service_request_id")]
        return str(found[0]) if found else None

    def _ticket(self, record: dict) -> Ticket:
        return Ticket(
            service_request_id=str(record.get("service_request_id", "")),
            status=str(record.get("status", "open")).lower(),
            status_notes=str(record.get("status_notes") or ""),
            agency_responsible=str(record.get("agency_responsible") or ""),
            service_notice=str(record.get("service_notice") or ""),
            description=str(record.get("description") or ""),
            updated_at=parse_datetime(record.get("updated_datetime"), self.city_zone),
            expected_at=parse_datetime(record.get("expected_datetime"), self.city_zone),
        )

    def get_request(self, service_request_id: str) -> Ticket | None:
        records = self._call("GET", f"requests/{service_request_id}") or []
        tickets = [self._ticket(r) for r in records if str(r.get("service_request_id")) == str(service_request_id)]
        return tickets[0] if tickets else None

    def get_requests(self, ids: list[str]) -> list[Ticket]:
        """Many tickets by id, in comma lists no longer than the city's page size."""
        tickets: list[Ticket] = []
        for start in range(0, len(ids), self.page_size):
            batch = ids[start : start + self.page_size]
            records = self._call("GET", "requests", params={"service_request_id": ",".join(batch)}) or []
            tickets.extend(self._ticket(r) for r in records)
        return tickets

    def find_by_reference(
        self, reference: str, start: datetime, end: datetime, service_code: str | None = None
    ) -> Ticket | None:
        """A ticket whose description carries our reference (we put it there before sending), so a
        submission that reached the city before we crashed is found instead of sent twice."""
        params = {"start_date": start.isoformat(), "end_date": end.isoformat()}
        if service_code:
            params["service_code"] = service_code
        for record in self._call("GET", "requests", params=params) or []:
            if reference in str(record.get("description", "")):
                return self._ticket(record)
        return None

    def updates(self, start: datetime, end: datetime) -> list[dict]:
        """FixMyStreet's servicerequestupdates extension; an endpoint without it gives []."""
        try:
            records = self._call(
                "GET", "servicerequestupdates", params={"start_date": start.isoformat(), "end_date": end.isoformat()}
            )
        except CityRefused:
            return []
        return records or []
