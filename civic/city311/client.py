"""An HTTP client for a city's GeoReport v2 endpoint, tolerant of what real servers do.

Every answer is classified per call (`Answer.kind`): GeoReport data, a GeoReport error array, another error
body (`{"message": ...}`, `{"type": "forbidden", ...}`), HTML, plain text or nothing. From that:

- 5xx, an unreadable 2xx, a timeout or a dropped connection: `CityUnavailable` (try again later). After a POST
  that went out, `maybe_created` says the city may hold the ticket although we never heard back (not so when
  the city could not be reached at all).
- 4xx: `CityRefused`, with the city's own words whatever their shape (its first 500 characters).
- an optional endpoint (`servicerequestupdates`, `tokens`) answering 404/405/501 with anything but a GeoReport
  error array: `EndpointMissing` for that endpoint only; the format never changes because of it.
- the format (JSON or XML) is discovered from the service list only (`services`), never mid-sync.

Integer ids and codes become strings; null or missing fields are allowed; the filters a city applies are
never trusted (ids and references are matched here). Reads are bounded: at most `max_bytes` and
`max_records` per call, and `timeout` seconds per step, so a city that answers everything cannot stall a job.
Nothing here touches the database: sending.py and sync.py decide what to do.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as ET  # noqa: N817 - the usual name; the city's XML is untrusted: no entities
import httpx

DEFAULT_TIMEOUT = 10.0
MAX_BYTES = 2_000_000  # per answer: a default list of 20,000 records is about 5 MB
MAX_RECORDS = 5_000  # per answer
MESSAGE_MAX = 500  # how much of the city's own error text is kept
OPTIONAL = ("servicerequestupdates", "tokens")  # endpoints the standard (or FixMyStreet) makes optional


class Open311Error(Exception):
    pass


class CityUnavailable(Open311Error):
    """Worth retrying: the city is down, slow, broken or answered something unreadable."""

    def __init__(self, message: str, *, maybe_created: bool = False):
        super().__init__(message)
        self.maybe_created = maybe_created  # a POST went out and no answer came back: the ticket may exist


class CityRefused(Open311Error):
    """The city rejected the request (4xx). `str(error)` is the city's own error text."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status

    @property
    def about_our_credentials(self) -> bool:
        """401/403: the city refused civic's key, not the report itself."""
        return self.status in (401, 403)


class EndpointMissing(Open311Error):
    """An optional endpoint this city does not have."""

    def __init__(self, endpoint: str, message: str):
        super().__init__(message)
        self.endpoint = endpoint


@dataclass
class Answer:
    """One HTTP answer, classified."""

    status: int
    kind: str  # data | error_array | error_body | html | text | empty
    records: list[dict] = field(default_factory=list)
    message: str = ""  # the city's own words (errors), at most MESSAGE_MAX characters
    truncated: bool = False  # the byte or record cap was reached


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
    requested_at: datetime | None = None
    service_code: str = ""
    service_name: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""


@dataclass
class Lookup:
    """Every ticket carrying a reference, over all the reads the city offers; `reads` says how many worked."""

    tickets: list[Ticket]
    reads: int


def parse_datetime(value, city_zone: str = "America/New_York") -> datetime | None:
    """ISO 8601; a value without a timezone is read in the city's zone (some endpoints omit it)."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(city_zone))
    return parsed.astimezone(UTC)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _float(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# --- reading answers ------------------------------------------------------------------------------


def _json_records(text: str, limit: int) -> tuple[object, bool]:
    """The JSON body; a top-level array cut short (by the byte cap) gives the records that arrived whole."""
    try:
        return json.loads(text), False
    except ValueError:
        stripped = text.lstrip()
        if not stripped.startswith("["):
            raise
    decoder, position = json.JSONDecoder(), stripped.index("[") + 1
    records: list = []
    while len(records) < limit:
        while position < len(stripped) and stripped[position] in " \t\r\n,":
            position += 1
        try:
            item, position = decoder.raw_decode(stripped, position)
        except ValueError:
            break  # the cut-off record
        records.append(item)
    if not records:
        raise ValueError("no whole record")
    return records, True


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


def _is_error_array(records: list) -> bool:
    return bool(records) and all(
        isinstance(r, dict) and "description" in r and not ({"service_request_id", "service_code", "token"} & set(r))
        for r in records
    )


def _message_of(body: object) -> str:
    """The city's words in an error body of its own shape."""
    if isinstance(body, list):
        return "; ".join(m for m in (_message_of(item) for item in body) if m)
    if isinstance(body, dict):
        for key in ("description", "message", "error_description", "detail", "error", "title", "errors"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, (dict, list)) and (inner := _message_of(value)):
                return inner
        return json.dumps(body)[:MESSAGE_MAX]
    return _text(body)


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)


def _html_message(text: str) -> str:
    title = _TITLE.search(text)
    words = " ".join(unescape(_TAGS.sub(" ", text)).split())
    if title and (heading := " ".join(unescape(title.group(1)).split())):
        rest = words.replace(heading, "", 1).strip()
        return f"{heading}: {rest}" if rest else heading
    return words


def classify(status: int, content_type: str, text: str, fmt: str, *, truncated: bool = False) -> Answer:
    """What the city answered, whatever its shape."""
    body = text.strip()
    if not body:
        return Answer(status, "empty")
    looks_html = "html" in content_type or body[:15].lower().startswith(("<!doctype html", "<html"))
    if looks_html:
        return Answer(status, "html", message=_html_message(body)[:MESSAGE_MAX], truncated=truncated)
    data: object
    try:
        if fmt == "xml" and body.startswith("<"):
            data = _xml_to_list(body)
        else:
            data, cut = _json_records(body, MAX_RECORDS)
            truncated = truncated or cut
    except (ValueError, ET.ParseError):
        return Answer(status, "text", message=body[:MESSAGE_MAX], truncated=truncated)
    if isinstance(data, dict):
        if status >= 400 or not ({"service_request_id", "service_code", "token", "attributes"} & set(data)):
            return Answer(status, "error_body", message=_message_of(data)[:MESSAGE_MAX], truncated=truncated)
        data = [data]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        return Answer(status, "text", message=body[:MESSAGE_MAX], truncated=truncated)
    if _is_error_array(data):
        return Answer(status, "error_array", message=_message_of(data)[:MESSAGE_MAX])
    if len(data) > MAX_RECORDS:
        data, truncated = data[:MAX_RECORDS], True
    return Answer(status, "data", records=data, truncated=truncated)


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
        max_bytes: int = MAX_BYTES,
    ):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.api_key, self.jurisdiction_id = api_key, jurisdiction_id
        self.fmt, self.page_size, self.timeout, self.city_zone = fmt, max(1, page_size), timeout, city_zone
        self.max_bytes = max_bytes

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

    def fetch(self, method: str, path: str, *, params: dict | None = None, data=None, fmt: str | None = None) -> Answer:
        """One call, its answer read within the byte cap and the time limit, then classified."""
        fmt = fmt or self.fmt
        params = dict(params or {})
        if self.jurisdiction_id:
            params.setdefault("jurisdiction_id", self.jurisdiction_id)
        url = f"{self.base_url}{path}.{fmt}"
        deadline = time.monotonic() + self.timeout * 3  # a trickling answer is cut off too
        try:
            with httpx.stream(method, url, params=params, data=data, timeout=self.timeout) as response:
                chunks, size, truncated = [], 0, False
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= self.max_bytes:
                        truncated = True
                        break
                    if time.monotonic() > deadline:
                        raise CityUnavailable(
                            f"the city's answer took longer than {self.timeout * 3:g} s", maybe_created=method == "POST"
                        )
                raw = b"".join(chunks)[: self.max_bytes]
                encoding = response.encoding or "utf-8"
                status, content_type = response.status_code, response.headers.get("content-type", "")
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise CityUnavailable(f"could not reach the city: {exc or type(exc).__name__}") from exc
        except httpx.TimeoutException as exc:
            raise CityUnavailable(
                f"the city did not answer within {self.timeout:g} s", maybe_created=method == "POST"
            ) from exc
        except httpx.HTTPError as exc:  # the connection dropped after the request went out
            raise CityUnavailable(
                f"the city closed the connection: {exc or type(exc).__name__}", maybe_created=method == "POST"
            ) from exc
        return classify(status, content_type, raw.decode(encoding, errors="replace"), fmt, truncated=truncated)

    def _call(
        self, method: str, path: str, *, params: dict | None = None, data=None, optional: str | None = None
    ) -> list[dict] | None:
        """The answer's records; None for "not found" (a 404 in GeoReport's words, or an empty 404)."""
        answer = self.fetch(method, path, params=params, data=data)
        words = answer.message
        posted = method == "POST"  # an answer we cannot read may come after the city made the ticket
        if answer.status >= 500:
            raise CityUnavailable(
                f"the city answered {answer.status}" + (f": {words}" if words else ""), maybe_created=posted
            )
        if optional and answer.status in (404, 405, 501) and answer.kind != "error_array":
            raise EndpointMissing(optional, f"{optional}: {words or answer.status}")
        if answer.status == 404 and answer.kind in ("error_array", "empty", "data"):
            return None
        if answer.status >= 400:
            raise CityRefused(words or f"the city refused the request ({answer.status})", answer.status)
        if answer.kind == "error_array":  # a 200 carrying errors: some servers do
            raise CityRefused(words, 400)
        if answer.kind in ("html", "text", "error_body"):
            raise CityUnavailable(
                f"the city answered something that is not GeoReport {self.fmt.upper()}: {words!r}", maybe_created=posted
            )
        return answer.records

    # --- the standard's calls ----------------------------------------------------------------

    def services(self) -> list[dict]:
        """The service list; where JSON is refused and XML answers, the client keeps to XML (and says so
        through `fmt`, which services_list.py saves on the endpoint)."""
        if self.fmt == "json":
            answer = self.fetch("GET", "services")
            if answer.status in (404, 406, 415) or (answer.status < 300 and answer.kind in ("html", "text")):
                try:
                    xml = self.fetch("GET", "services", fmt="xml")
                except CityUnavailable:
                    xml = None
                if xml is not None and xml.status < 300 and xml.kind in ("data", "empty"):
                    self.fmt = "xml"
                    return xml.records
        return self._call("GET", "services") or []

    def service_definition(self, code: str) -> dict:
        records = self._call("GET", f"services/{code}") or []
        return records[0] if records else {"service_code": code, "attributes": []}

    def post_request(self, fields: dict) -> dict:
        """Returns {"service_request_id": ...} or {"token": ...}, plus "service_notice". 200 and 201 alike."""
        data = dict(fields)
        if self.api_key:
            data["api_key"] = self.api_key  # in the form body: where every server reads it
        records = self._call("POST", "requests", data=data) or []
        reply = next((r for r in records if r.get("service_request_id") or r.get("token")), None)
        if reply is None:
            raise CityUnavailable("the city's reply held neither a service_request_id nor a token", maybe_created=True)
        return {
            "service_request_id": _text(reply.get("service_request_id")) or None,
            "token": _text(reply.get("token")) or None,
            "service_notice": _text(reply.get("service_notice")),
        }

    def ticket_for_token(self, token: str) -> str | None:
        records = self._call("GET", f"tokens/{token}", optional="tokens") or []
        found = [_text(r.get("service_request_id")) for r in records if _text(r.get("service_request_id"))]
        return found[0] if found else None

    def ticket(self, record: dict) -> Ticket:
        return Ticket(
            service_request_id=_text(record.get("service_request_id")),
            status=_text(record.get("status")).lower() or "open",
            status_notes=_text(record.get("status_notes")),
            agency_responsible=_text(record.get("agency_responsible")),
            service_notice=_text(record.get("service_notice")),
            description=_text(record.get("description")),
            updated_at=parse_datetime(record.get("updated_datetime"), self.city_zone),
            expected_at=parse_datetime(record.get("expected_datetime"), self.city_zone),
            requested_at=parse_datetime(record.get("requested_datetime"), self.city_zone),
            service_code=_text(record.get("service_code")),
            service_name=_text(record.get("service_name")),
            lat=_float(record.get("lat")),
            lon=_float(record.get("long")),
            address=_text(record.get("address")),
        )

    def get_request(self, service_request_id: str) -> Ticket | None:
        records = self._call("GET", f"requests/{service_request_id}") or []
        wanted = _text(service_request_id)
        tickets = [self.ticket(r) for r in records if _text(r.get("service_request_id")) == wanted]
        return tickets[0] if tickets else None

    def get_requests(self, ids: list[str]) -> list[Ticket]:
        """Many tickets by id, in comma lists no longer than the city's page size; a city that ignores the
        id filter and answers its whole list gives only the tickets asked for."""
        tickets: list[Ticket] = []
        for start in range(0, len(ids), self.page_size):
            batch = ids[start : start + self.page_size]
            wanted = set(batch)
            records = self._call("GET", "requests", params={"service_request_id": ",".join(batch)}) or []
            found = {t.service_request_id: t for t in map(self.ticket, records) if t.service_request_id in wanted}
            if len(batch) > 1 and len(found) < len(batch) and records and not (set(found) & wanted):
                # The city ignored the id list (it answered other tickets): ask for each on its own.
                for number in batch:
                    if (ticket := self.get_request(number)) is not None:
                        found[number] = ticket
            tickets.extend(found.values())
        return tickets

    def find_by_reference(
        self, reference: str, start: datetime, end: datetime, service_code: str | None = None
    ) -> Lookup:
        """Every ticket whose description carries our reference (put there before sending), so a submission
        that reached the city before we heard back is found instead of sent twice. No filter of the city's is
        trusted (real servers ignore or invert date filters): the date window, the default list, by service,
        by service and status, each matched here. A read the city refuses (4xx) is skipped; a read that fails
        (5xx, timeout) fails the lookup."""
        reads = [{"start_date": start.isoformat(), "end_date": end.isoformat()}, {}]
        if service_code:
            reads += [{"service_code": service_code}, {"service_code": service_code, "status": "open"}]
        found: dict[str, Ticket] = {}
        worked = 0
        for params in reads:
            try:
                records = self._call("GET", "requests", params=params) or []
            except CityRefused:
                continue
            worked += 1
            for record in records:
                if reference in _text(record.get("description")):
                    ticket = self.ticket(record)
                    found.setdefault(ticket.service_request_id, ticket)
        far = datetime.max.replace(tzinfo=UTC)
        ordered = sorted(found.values(), key=lambda t: (t.requested_at or far, _number_order(t.service_request_id)))
        return Lookup(ordered, worked)

    def updates(self, start: datetime, end: datetime) -> list[dict]:
        """FixMyStreet's servicerequestupdates extension. EndpointMissing where the city has none."""
        params = {"start_date": start.isoformat(), "end_date": end.isoformat()}
        return self._call("GET", "servicerequestupdates", params=params, optional="servicerequestupdates") or []


def _number_order(service_request_id: str) -> tuple[int, str]:
    """Numeric ids in number order, others after them in text order."""
    return (int(service_request_id), "") if service_request_id.isdigit() else (1 << 62, service_request_id)
