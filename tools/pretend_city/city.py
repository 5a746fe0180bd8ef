"""The pretend city: a sandbox GeoReport v2 ("Open311") 311 server over real HTTP, standard library only.

civic's Open311 client is tested against it over real HTTP, and demos can point an endpoint at it:

    python -m tools.pretend_city --port 8311         # prints http://127.0.0.1:8311/open311/v2/
    python -m tools.pretend_city --connect           # and saves it as civic's endpoint, services mapped

In tests:

    with SandboxCity() as city:                      # serves on a free port in a daemon thread
        client = GeoReportClient(city.base_url, api_key=city.api_key)
        city.mode = "token"                          # or normal, fail, hang, garbage, xml_only
        city.fail_next(2); city.crash_after_accept_next()
        city.close(ticket_id, "Filled", status="FIXED"); city.bulk(20_000)
        city.posts, city.tickets, city.request_log, city.response_log, city.updates

What it serves under /open311/v2/ (`.json` or `.xml` on every path):
  GET  services                 the four services below
  GET  services/{code}          the service definition (one object, as the spec shows; attributes for STREETLIGHT)
  POST requests                 form-encoded; answers [{service_request_id | token, service_notice, account_id}]
  GET  requests                 filters: service_request_id (comma list, overrides the rest), service_code,
                                start_date, end_date (at most 90 days apart), status (open, closed; comma list)
  GET  requests/{id}
  GET  tokens/{token}
  GET  servicerequestupdates    FixMyStreet's extension: start_date, end_date

Every other answer is an array, errors included ([{code, description}]). Datetimes are ISO 8601 in the
city's zone (America/New_York by default) with their offset, or without one when `naive_datetimes` is set.
Lists of requests are newest first. The api_key of a POST is read from its form body only, never from the
query string (as the spec says; `api_key_in_body_only = False` accepts a query-string one too).

Knobs: plain attributes, read once per request; defaults give the behaviour above; * = checked when set
(ValueError for an unknown value, faults.check_knob). Defaults in brackets.
  mode*                     normal | token (POST answers a token) | fail (503 HTML) | hang | garbage | xml_only
  fail_next(n)              the next n requests answer 503 HTML, whatever the mode
  crash_after_accept_next() the next POST that creates a ticket closes the connection without answering
  hang_seconds              "hang" mode sleeps this long, then closes without answering [30]
  token_polls_before_ready  GET tokens/{token} answers 404 this many times before the id [1]
  require_address_string    a POST without address_string is a 400 [False]
  naive_datetimes           datetimes without their UTC offset [False]
  page_size                 at most this many records in any listing, id lists included [1000]
  not_found_is_404          a listing that finds nothing is a 404 error, not [] [False]
  clock                     what "now" is for new tickets and updates [datetime.now(UTC)]
  missing_endpoints*        routes the city lacks, of faults.ROUTE_NAMES (services, service_definition, ...) [{}]
  missing_style*            their 404: json {"message": "GET endpoint not available"} | html (nginx) | georeport
  date_filters*             honour | inverted (start_date = upper bound, end_date = lower; no 400) | ignored
  post_delay_seconds        a creating POST makes the ticket, then sleeps this long before answering [0]
  error_style*              errors: georeport [{code, description}] | own {type, code, message} | text (plain)
  default_list_limit*       a listing without service_request_id is cut here; None: never ["page_size": page_size]
  integer_ids               services coded 1..N; ids and codes JSON integers; integer codes accepted too [False]
  post_status               the HTTP status of a POST that creates a ticket [200; some servers send 201]
  unknown_id*               GET requests/{id} for an unknown id: 404 (the error array) | empty (200 [])
  omit_nulls                records (requests, updates, POST replies) leave out their null fields [False]
  omit_service_fields       request records leave out service_code and service_name [False]
  id_filter*                GET requests' service_request_id list: honour | ignored (the default list instead)
  fail_status               what mode "fail" and fail_next answer: 503 (an HTML page) | 500 (in error_style)
  page_param*               a GET with page= in its query: ignored | 400 | 500 (both errors in error_style)
  api_key_in_body_only      POST's api_key counts from the form body only; False: the query string's too [True]
  services_override         service dicts replacing the four, e.g. faults.OTHER_CITY_SERVICES [None]
Staff: update(), close(), add_ticket(), bulk(n) (n tickets over the last 90 days, no HTTP).
Logs: posts (every POST form), request_log (method, path, query), response_log (method, path, status; in
step with request_log, status 0 while unanswered or when the connection closed without an answer).
"""

from __future__ import annotations

import json
import os
import re
import threading
import traceback
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

from tools.pretend_city import faults, state

PREFIX = "/open311/v2/"
MODES = ("normal", "token", "fail", "hang", "garbage", "xml_only")
DEFAULT_API_KEY = "sandbox-key"
DEFAULT_ZONE = "America/New_York"
MAX_DESCRIPTION = 4000
MAX_RANGE = timedelta(days=90)
EXPECTED_AFTER = timedelta(days=3)

SERVICES: list[dict] = [
    {
        "service_code": "POTHOLE",
        "service_name": "Pothole",
        "description": "A hole or broken surface in a street.",
        "metadata": False,
        "type": "realtime",
        "keywords": "pothole,street,road",
        "group": "Streets",
    },
    {
        "service_code": "STREETLIGHT",
        "service_name": "Street Light Outage",
        "description": "A street light that is out, flickering or on during the day.",
        "metadata": True,
        "type": "realtime",
        "keywords": "light,lamp,pole,dark",
        "group": "Streets",
    },
    {
        "service_code": "DUMPING",
        "service_name": "Illegal Dumping",
        "description": "Trash, furniture, tyres or construction waste left on public or vacant land.",
        "metadata": False,
        "type": "realtime",
        "keywords": "dumping,trash,rubbish",
        "group": "Sanitation",
    },
    {
        "service_code": "GRAFFITI",
        "service_name": "Graffiti Removal",
        "description": "Graffiti on a building, wall or street furniture.",
        "metadata": False,
        "type": "realtime",
        "keywords": "graffiti,tag,paint",
        "group": "Cleanliness",
    },
]

ATTRIBUTES: dict[str, list[dict]] = {
    "STREETLIGHT": [
        {
            "variable": True,
            "code": "pole_type",
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": "",
            "order": 1,
            "description": "What is the pole made of?",
            "values": [{"key": "wood", "name": "Wood"}, {"key": "metal", "name": "Metal"}],
        },
        {
            "variable": True,
            "code": "pole_number",
            "datatype": "string",
            "required": False,
            "datatype_description": "The number on the tag fixed to the pole, if there is one.",
            "order": 2,
            "description": "Pole number",
        },
    ],
}

AGENCIES = {
    "POTHOLE": "Streets Department",
    "STREETLIGHT": "Streets Department",
    "DUMPING": "Sanitation",
    "GRAFFITI": "CLIP",
}

NOTICES = {
    "POTHOLE": "Potholes are usually repaired within 3 business days.",
    "STREETLIGHT": "Street lights are usually repaired within 3 business days.",
    "DUMPING": "Illegal dumping is usually cleared within 3 business days.",
    "GRAFFITI": "Graffiti is usually removed within 3 business days.",
}

# The fields of a request record, in the order the spec lists them (what GET requests answers).
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
UPDATE_FIELDS = ("update_id", "service_request_id", "status", "updated_datetime", "description", "media_url")
DATETIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")

# Extended statuses (FixMyStreet's) and the plain open|closed each implies; any other keeps the ticket's.
OPEN_STATUSES = {"open", "reopened", "investigating", "in_progress", "action_scheduled", "acknowledged"}
CLOSED_STATUSES = {
    "closed",
    "fixed",
    "duplicate",
    "not_councils_responsibility",
    "no_further_action",
    "internal_referral",
    "unable_to_fix",
    "wont_fix",
    "not_responsible",
}

ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
ZIPCODE = re.compile(r"\b(\d{5})(?:-\d{4})?\b")

HTML_503 = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The 311 system is temporarily unavailable. "
    b"Please try again later.</p></body></html>\n"
)
# Ordinary HTML (a void <meta>, an &nbsp;), so it is neither JSON nor well-formed XML.
HTML_GARBAGE = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>City Services Portal</title></head>'
    b"<body><h1>Welcome to the City Services Portal</h1><p>This site is undergoing scheduled&nbsp;"
    b'maintenance.<br><a href="/">Return to the home page</a>.</p></body></html>\n'
)

XML_ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
    "updates": ("service_request_updates", "request_update"),
}
XML_LIST_ITEMS = {"attributes": "attribute", "values": "value"}

_DROP = object()  # a route's answer meaning "close the connection without a response"


class _Refusal(Exception):
    """An error answer: HTTP status plus the description for the error array; `code` and `message` are what
    error_style "own" says (by default the status's code, and the description)."""

    def __init__(self, status: int, description: str, code: str | None = None, message: str | None = None):
        super().__init__(description)
        self.status, self.description, self.code, self.message = status, description, code, message


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    city: SandboxCity


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "SandboxCity/1.0"
    log_index = -1  # its entry in request_log and response_log

    def do_GET(self):  # http.server's naming
        self.server.city._handle(self, "GET")

    def do_POST(self):
        self.server.city._handle(self, "POST")

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        if self.server.city.verbose:
            super().log_message(format, *args)


class SandboxCity:
    """A GeoReport v2 city on `host:port` (port 0: a free one). See the module docstring. With `state_path`, it
    starts from the tickets saved in that JSON file and saves them there after every change (state.py)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str = DEFAULT_API_KEY,
        tz: tzinfo | str = DEFAULT_ZONE,
        verbose: bool = False,
        state_path: str | os.PathLike | None = None,
    ):
        self.api_key = api_key
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.verbose = verbose
        # Knobs (plain attributes; each request reads them once, under the lock).
        self._mode = "normal"
        self.hang_seconds = 30.0
        self.token_polls_before_ready = 1
        self.require_address_string = False
        self.naive_datetimes = False
        self.page_size = 1000
        self.not_found_is_404 = False
        # Real servers' misbehaviours (see the module docstring; faults.check_knob checks the values).
        self.missing_endpoints: set[str] = set()
        self.missing_style = "json"
        self.date_filters = "honour"
        self.post_delay_seconds = 0.0
        self.error_style = "georeport"
        self.default_list_limit: int | str | None = faults.PAGE_SIZE
        self.integer_ids = False
        self.post_status = 200
        self.unknown_id = "404"
        self.omit_nulls = False
        self.omit_service_fields = False
        self.page_param = "ignored"
        self.api_key_in_body_only = True
        self.services_override: list[dict] | None = None
        self.id_filter = "honour"  # or "ignored": GET requests?service_request_id=… answers the default list
        self.fail_status = 503  # what "fail" mode and fail_next answer: 503 (an HTML page) or 500 (error_style)
        self.clock = lambda: datetime.now(UTC)  # what "now" is for new tickets and updates
        # What the city received and holds.
        self.posts: list[dict] = []
        self.tickets: dict[str, dict] = {}
        self.updates: list[dict] = []
        self.tokens: dict[str, dict] = {}  # token -> {"service_request_id", "polls"}
        self.request_log: list[tuple[str, str, dict]] = []
        self.response_log: list[tuple[str, str, int]] = []  # in step with request_log; 0: no answer (yet)
        self._lock = threading.RLock()
        self._fail_next = 0
        self._crash_next = False
        self._next_id = 1001
        self._next_update_id = 1
        self._bulk_count = 0
        self._stopping = threading.Event()
        # With a state file, what the city holds survives a restart (state.py); written after every change.
        self.state_path = Path(state_path) if state_path is not None else None
        if self.state_path is not None and (saved := state.read(self.state_path)) is not None:
            state.restore(self, saved)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.city = self
        self.host, self.port = host, self._httpd.server_address[1]
        self.base_url = f"http://{host}:{self.port}{PREFIX}"
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SandboxCity:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sandbox-city-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for `main`)."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stopping.set()
            self._httpd.server_close()

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in "hang" mode; they close without answering
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SandboxCity:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- knobs -------------------------------------------------------------------------------

    def __setattr__(self, name: str, value) -> None:
        super().__setattr__(name, faults.check_knob(name, value))

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"unknown mode {value!r}; one of {', '.join(MODES)}")
        with self._lock:
            self._mode = value

    def fail_next(self, n: int = 1) -> None:
        """The next n requests of any kind answer 503; then the current mode again."""
        with self._lock:
            self._fail_next = int(n)

    def crash_after_accept_next(self) -> None:
        """The next POST that creates a ticket closes the connection instead of answering."""
        with self._lock:
            self._crash_next = True

    # --- the city's staff --------------------------------------------------------------------

    def update(
        self,
        service_request_id,
        status: str,
        notes: str | None = None,
        *,
        media_url: str | None = None,
        plain: str | None = None,
        at: datetime | None = None,
    ) -> dict:
        """Set a ticket's status_notes and status, bump its updated_datetime, and add an entry to the
        updates feed with `status` as given (an extended one such as "IN_PROGRESS" or "FIXED" too). The
        ticket's own status stays open|closed: `plain` if given, else what the extended status implies
        (an unknown one leaves it as it was). KeyError for an unknown ticket."""
        with self._lock:
            ticket = self.tickets[str(service_request_id)]
            when = self._aware(at) if at is not None else self._now()
            key = status.strip().lower()
            if plain is None:
                plain = "open" if key in OPEN_STATUSES else "closed" if key in CLOSED_STATUSES else ticket["status"]
            if plain not in ("open", "closed"):
                raise ValueError(f"plain status must be open or closed, not {plain!r}")
            ticket.update(status=plain, status_notes=notes, updated_datetime=when)
            entry = {
                "update_id": str(self._next_update_id),
                "service_request_id": ticket["service_request_id"],
                "status": status,
                "updated_datetime": when,
                "description": notes,
                "media_url": media_url,
            }
            self._next_update_id += 1
            self.updates.append(entry)
            self._save()
            return dict(entry)

    def close(self, service_request_id, notes: str | None = None, status: str = "closed", **kwargs) -> dict:
        """Close a ticket; `status` is what the updates feed says (e.g. "FIXED", "DUPLICATE")."""
        return self.update(service_request_id, status, notes, plain="closed", **kwargs)

    def add_ticket(
        self,
        service_code: str,
        description: str = "",
        *,
        lat: float | None = None,
        long: float | None = None,
        address: str | None = None,
        address_id: str | None = None,
        media_url: str | None = None,
        requested: datetime | None = None,
    ) -> dict:
        """A ticket the city got some other way (phone, another app); returns its record."""
        with self._lock:
            service = self._service(service_code)
            if service is None:
                raise KeyError(service_code)
            ticket = self._new_ticket(
                service,
                description,
                lat,
                long,
                address,
                address_id,
                media_url,
                self._aware(requested) if requested is not None else None,
            )
            self._save()
            return ticket

    def bulk(self, n: int, service_code: str = "POTHOLE") -> list[str]:
        """Add n tickets at once, without HTTP ("Bulk ticket <k>", k counting on over calls), requested at
        even steps over the last 90 days, the last one newest; returns their ids, oldest first."""
        with self._lock:
            service = self._service(service_code)
            if service is None:
                raise KeyError(service_code)
            now, ids = self._now(), []
            for i in range(n):
                self._bulk_count += 1
                requested = now - MAX_RANGE * (n - i) / (n + 1)
                lat, lon = 39.9526 + (i % 100) * 0.0004, -75.1652 + (i // 100 % 100) * 0.0004
                ticket = self._new_ticket(
                    service, f"Bulk ticket {self._bulk_count}", lat, lon, None, None, None, requested
                )
                ids.append(ticket["service_request_id"])
            self._save()
            return ids

    def _save(self) -> None:
        """After every change (the caller holds the lock): the state file, when there is one."""
        if self.state_path is not None:
            state.write(self.state_path, state.snapshot(self))

    # --- request handling --------------------------------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        parts = urlsplit(handler.path)
        body = b""
        if method == "POST":  # always read the body, so closing the socket never resets the connection
            length = int(handler.headers.get("Content-Length") or 0)
            body = handler.rfile.read(length) if length > 0 else b""
        fmt, route = _split_path(parts.path)
        with self._lock:
            handler.log_index = len(self.request_log)
            self.request_log.append((method, parts.path, _flatten(parse_qsl(parts.query, keep_blank_values=True))))
            self.response_log.append((method, parts.path, 0))
            failing = self._fail_next > 0
            if failing:
                self._fail_next -= 1
            mode, hang_seconds, fail_status = self._mode, float(self.hang_seconds), int(self.fail_status)
            missing = fmt is not None and bool(faults.route_names(route) & self.missing_endpoints)
            missing_style, error_style = self.missing_style, self.error_style
            post_delay, post_status = float(self.post_delay_seconds), int(self.post_status)
            numbers = self._numbers() if self.integer_ids else None
            omit_nulls, omit_service_fields = bool(self.omit_nulls), bool(self.omit_service_fields)

        if failing or mode == "fail":
            if fail_status == 500:  # an application error, in the server's error style
                return self._send_error(handler, error_style, fmt or "json", _Refusal(500, "internal server error"))
            return self._send(handler, 503, "text/html; charset=utf-8", HTML_503)
        if mode == "garbage":
            return self._send(handler, 200, "text/html; charset=utf-8", HTML_GARBAGE)
        if mode == "hang" and self._stopping.wait(hang_seconds):
            handler.close_connection = True
            return None

        if missing and missing_style != "georeport":
            return self._send(handler, 404, *faults.missing_page(missing_style, method))
        if fmt == "json" and mode == "xml_only":
            return self._send(
                handler,
                406,
                "text/plain; charset=utf-8",
                b"406 Not Acceptable: this endpoint only serves XML; use .xml\n",
            )
        try:
            if fmt is None:
                raise _Refusal(404, f"no such resource: {parts.path} (paths end in .json or .xml)")
            if missing:
                raise _Refusal(404, f"no such resource: {'/'.join(route)}")
            answer = self._route(method, route, fmt, parts.query, body, token_mode=mode == "token")
        except _Refusal as refusal:
            return self._send_error(handler, error_style, fmt, refusal)
        except Exception:  # noqa: BLE001 - a bug here: say so like a real server would, and show it on stderr
            traceback.print_exc()
            return self._send_error(handler, error_style, fmt, _Refusal(500, "internal server error"))
        if answer is _DROP:
            handler.close_connection = True
            return None
        created = method == "POST"  # the only POST that answers is one that made a ticket
        if created and post_delay > 0 and self._stopping.wait(post_delay):
            handler.close_connection = True  # stopped while sleeping: the ticket is made, the answer lost
            return None
        kind, data = answer
        data = faults.reshape(
            kind, data, numbers=numbers, omit_nulls=omit_nulls, omit_service_fields=omit_service_fields
        )
        return self._send_data(handler, post_status if created else 200, fmt, kind, data)

    def _route(self, method: str, route: list[str], fmt: str, query: str, body: bytes, *, token_mode: bool):
        params = _flatten(parse_qsl(query, keep_blank_values=True))
        allowed = None
        with self._lock:
            if method == "GET" and "page" in params and self.page_param != "ignored":
                if self.page_param == "500":
                    raise _Refusal(500, "internal server error")
                raise _Refusal(400, "unknown parameter: page", "INVALID_PARAMETER", "Unexpected query parameter page")
            if route == ["services"]:
                allowed = "GET"
                if method == "GET":
                    return "services", [faults.listing(s) for s in self._catalogue()]
            elif len(route) == 2 and route[0] == "services":
                allowed = "GET"
                if method == "GET":
                    return "definition", self._definition(route[1])
            elif route == ["requests"]:
                if method == "POST":
                    return self._create(body, params, token_mode)
                return "requests", [self._render(t) for t in self._search(params)]
            elif len(route) == 2 and route[0] == "requests":
                allowed = "GET"
                if method == "GET":
                    ticket = self.tickets.get(route[1])
                    if ticket is not None:
                        return "requests", [self._render(ticket)]
                    if self.unknown_id == "empty":
                        return "requests", []
                    raise _Refusal(404, f"service request {route[1]} not found", "REQUEST_NOT_FOUND")
            elif len(route) == 2 and route[0] == "tokens":
                allowed = "GET"
                if method == "GET":
                    return "requests", [self._token(route[1])]
            elif route == ["servicerequestupdates"]:
                allowed = "GET"
                if method == "GET":
                    return "updates", [self._render(u, UPDATE_FIELDS) for u in self._updates(params)]
            if allowed is None:
                raise _Refusal(404, f"no such resource: {'/'.join(route)}")
            raise _Refusal(405, f"method {method} not allowed here; use {allowed}")

    def _definition(self, code: str) -> dict:
        service = self._service(code)
        if service is None:
            raise _Refusal(404, f"service_code {code} not found", "SERVICE_NOT_FOUND")
        return {
            "service_code": service["service_code"],
            "attributes": [
                dict(a, values=[dict(v) for v in a["values"]]) if "values" in a else dict(a)
                for a in service["attributes"]
            ],
        }

    def _create(self, body: bytes, params: dict, token_mode: bool):
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise _Refusal(400, "the request body is not UTF-8 form data") from None
        form = _flatten(pairs)
        self.posts.append(form)
        api_key = _one(form, "api_key")
        if api_key is None and not self.api_key_in_body_only:
            api_key = _one(params, "api_key")
        if api_key != self.api_key:
            raise _Refusal(
                403,
                "invalid api_key",
                "AUTH_MISSING",
                "No API key provided or the key is not valid for this jurisdiction",
            )
        code = _one(form, "service_code")
        if not code:
            raise _Refusal(400, "service_code required", "MISSING_PARAMETER")
        service = self._service(code)
        if service is None:
            raise _Refusal(404, f"service_code {code} not found", "SERVICE_NOT_FOUND")

        lat_text, long_text = _one(form, "lat"), _one(form, "long")
        address_string, address_id = _one(form, "address_string"), _one(form, "address_id")
        if bool(lat_text) != bool(long_text):
            raise _Refusal(400, "lat and long must be given together")
        lat = lon = None
        if lat_text:
            try:
                lat, lon = float(lat_text), float(long_text or "")
            except ValueError:
                raise _Refusal(400, "lat and long must be decimal degrees") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise _Refusal(400, "lat or long out of range")
        if lat is None and not address_string and not address_id:
            raise _Refusal(400, "a location is required: lat and long, address_string or address_id")
        if self.require_address_string and not address_string:
            raise _Refusal(400, "address_string required")
        description = _one(form, "description") or ""
        if len(description) > MAX_DESCRIPTION:
            raise _Refusal(400, f"description longer than {MAX_DESCRIPTION} characters")

        given = {}
        for key, value in form.items():
            match = ATTRIBUTE_KEY.match(key)
            if match:
                given[match.group(1)] = value
        for attribute in service["attributes"]:
            value = given.get(attribute["code"])
            values = [v for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]
            if not values:
                if attribute["required"]:
                    raise _Refusal(400, f"attribute[{attribute['code']}] required: {attribute['description']}")
                continue
            if attribute["datatype"] == "singlevaluelist":
                keys = [v["key"] for v in attribute["values"]]
                if len(values) > 1 or values[0] not in keys:
                    raise _Refusal(400, f"attribute[{attribute['code']}] must be one of: {', '.join(keys)}")

        ticket = self._new_ticket(
            service, description, lat, lon, address_string, address_id, _one(form, "media_url"), None
        )
        reply = {"service_notice": ticket["service_notice"], "account_id": _one(form, "account_id")}
        if token_mode:
            token = uuid.uuid4().hex
            self.tokens[token] = {"service_request_id": ticket["service_request_id"], "polls": 0}
            reply = {"token": token, **reply}
        else:
            reply = {"service_request_id": ticket["service_request_id"], **reply}
        self._save()
        if self._crash_next:
            self._crash_next = False
            return _DROP
        return "requests", [reply]

    def _new_ticket(self, service, description, lat, lon, address, address_id, media_url, requested) -> dict:
        now = requested or self._now()
        code = service["service_code"]
        zipcode = ZIPCODE.search(address or "")
        ticket = {
            "service_request_id": str(self._next_id),
            "status": "open",
            "status_notes": None,
            "service_name": service["service_name"],
            "service_code": code,
            "description": description,
            "agency_responsible": service["agency_responsible"],
            "service_notice": service["service_notice"],
            "requested_datetime": now,
            "updated_datetime": now,
            "expected_datetime": now + EXPECTED_AFTER,
            "address": address or None,
            "address_id": address_id or None,
            "zipcode": zipcode.group(1) if zipcode else None,
            "lat": lat,
            "long": lon,
            "media_url": media_url or None,
        }
        self._next_id += 1
        self.tickets[ticket["service_request_id"]] = ticket
        return ticket

    def _search(self, params: dict) -> list[dict]:
        limit: int | None = max(0, int(self.page_size))
        ids = _one(params, "service_request_id") if self.id_filter == "honour" else None
        if ids:
            wanted = [i.strip() for i in ids.split(",") if i.strip()]
            found = [self.tickets[i] for i in wanted if i in self.tickets]
        else:
            if self.default_list_limit != faults.PAGE_SIZE:
                limit = None if self.default_list_limit is None else max(0, int(self.default_list_limit))
            start, end = self._date_range(params)
            codes = [self._code(c) for c in _comma_list(_one(params, "service_code"))]
            statuses = [s.lower() for s in _comma_list(_one(params, "status"))]
            if any(s not in ("open", "closed") for s in statuses):
                raise _Refusal(400, "status must be open or closed")
            found = [
                t
                for t in self.tickets.values()
                if (start is None or t["requested_datetime"] >= start)
                and (end is None or t["requested_datetime"] <= end)
                and (not codes or t["service_code"] in codes)
                and (not statuses or t["status"] in statuses)
            ]
            found.sort(key=lambda t: (t["requested_datetime"], int(t["service_request_id"])), reverse=True)
        if limit is not None:
            found = found[:limit]
        if not found and self.not_found_is_404:
            raise _Refusal(404, "no service requests found")
        return found

    def _token(self, token: str) -> dict:
        entry = self.tokens.get(token)
        if entry is None:
            raise _Refusal(404, f"token {token} not found")
        if entry["polls"] < int(self.token_polls_before_ready):
            entry["polls"] += 1
            self._save()
            raise _Refusal(404, f"token {token} has not been processed yet")
        return {"service_request_id": entry["service_request_id"], "token": token}

    def _updates(self, params: dict) -> list[dict]:
        start, end = self._date_range(params)
        found = [
            u
            for u in self.updates
            if (start is None or u["updated_datetime"] >= start) and (end is None or u["updated_datetime"] <= end)
        ]
        return sorted(found, key=lambda u: (u["updated_datetime"], int(u["update_id"])))

    def _date_range(self, params: dict) -> tuple[datetime | None, datetime | None]:
        """The (lower, upper) bounds a listing applies: start_date and end_date, unless date_filters says."""
        if self.date_filters == "ignored":
            return None, None
        start, end = self._parse_date(params, "start_date"), self._parse_date(params, "end_date")
        if self.date_filters == "inverted":  # a server that swapped them: no sane window finds anything
            if start and end and abs(end - start) > MAX_RANGE:
                raise _Refusal(400, "start_date and end_date may be at most 90 days apart")
            return end, start
        if start and end:
            if end < start:
                raise _Refusal(400, "end_date is before start_date")
            if end - start > MAX_RANGE:
                raise _Refusal(400, "start_date and end_date may be at most 90 days apart")
        return start, end

    def _parse_date(self, params: dict, name: str) -> datetime | None:
        text = _one(params, name)
        if not text:
            return None
        try:
            return self._aware(datetime.fromisoformat(text))
        except ValueError:
            raise _Refusal(400, f"{name} is not an ISO 8601 datetime: {text!r}") from None

    # --- rendering ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._aware(self.clock())

    def _aware(self, value: datetime) -> datetime:
        """A datetime without a timezone is the city's local time."""
        return value.replace(tzinfo=self.tz) if value.tzinfo is None else value

    def _datetime_text(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        local = value.astimezone(self.tz)
        if self.naive_datetimes:
            local = local.replace(tzinfo=None)
        return local.isoformat(timespec="seconds")

    def _render(self, record: dict, fields=REQUEST_FIELDS) -> dict:
        return {f: self._datetime_text(record.get(f)) if f in DATETIME_FIELDS else record.get(f) for f in fields}

    def _send_data(self, handler: _Handler, status: int, fmt: str, kind: str, data) -> None:
        if fmt == "xml":
            if kind == "definition":
                root = ET.Element("service_definition")
                _xml_fill(root, data)
            else:
                root_tag, item_tag = XML_ROOTS[kind]
                root = ET.Element(root_tag)
                for item in data:
                    _xml_fill(ET.SubElement(root, item_tag), item)
            body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
            return self._send(handler, status, "text/xml; charset=utf-8", body)
        return self._send(handler, status, "application/json; charset=utf-8", json.dumps(data).encode())

    def _send_error(self, handler: _Handler, style: str, fmt: str | None, refusal: _Refusal) -> None:
        if style == "georeport":
            errors = [{"code": refusal.status, "description": refusal.description}]
            return self._send_data(handler, refusal.status, fmt or "json", "errors", errors)
        page = faults.error_page(style, refusal.status, refusal.description, refusal.code, refusal.message)
        return self._send(handler, refusal.status, *page)

    def _send(self, handler: _Handler, status: int, content_type: str, body: bytes) -> None:
        with self._lock:
            if 0 <= handler.log_index < len(self.response_log):
                method, path, _ = self.response_log[handler.log_index]
                self.response_log[handler.log_index] = (method, path, status)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:  # the client gave up (its timeout fired while we hung)
            handler.close_connection = True

    # --- the services ------------------------------------------------------------------------

    def _catalogue(self) -> list[dict]:
        """The city's services: each one's listing, agency_responsible, service_notice and attributes."""
        if self.services_override is not None:
            return [faults.catalogue_entry(s) for s in self.services_override]
        return [
            dict(
                s,
                agency_responsible=AGENCIES[s["service_code"]],
                service_notice=NOTICES[s["service_code"]],
                attributes=ATTRIBUTES.get(s["service_code"], []),
            )
            for s in SERVICES
        ]

    def _numbers(self) -> dict[str, int]:
        """integer_ids: each service's integer code, 1..N in list order."""
        return {s["service_code"]: n for n, s in enumerate(self._catalogue(), start=1)}

    def _service(self, code: str) -> dict | None:
        """The service with this code (with integer_ids, its integer code's text too)."""
        catalogue = self._catalogue()
        found = next((s for s in catalogue if s["service_code"] == code), None)
        if found is None and self.integer_ids and code.isdigit() and 1 <= int(code) <= len(catalogue):
            found = catalogue[int(code) - 1]
        return found

    def _code(self, code: str) -> str:
        """A service_code filter's value as the tickets hold it (an integer code's text is its service's)."""
        service = self._service(code)
        return service["service_code"] if service else code


def _split_path(path: str) -> tuple[str | None, list[str]]:
    """ "/open311/v2/requests/1001.json" -> ("json", ["requests", "1001"]); (None, []) when not ours."""
    if not path.startswith(PREFIX):
        return None, []
    rest = path[len(PREFIX) :]
    stem, dot, ext = rest.rpartition(".")
    if not dot or ext.lower() not in ("json", "xml") or not stem:
        return None, []
    return ext.lower(), [unquote(p) for p in stem.split("/")]


def _flatten(pairs: list[tuple[str, str]]) -> dict:
    """Form or query pairs as a dict: one value -> str; a repeated name, or one ending in [], -> list."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = [value] if key.endswith("[]") else value
    return out


def _one(params: dict, name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _comma_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _xml_fill(element: ET.Element, record: dict) -> None:
    for key, value in record.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            for item in value:
                grandchild = ET.SubElement(child, XML_LIST_ITEMS.get(key, "item"))
                if isinstance(item, dict):
                    _xml_fill(grandchild, item)
                else:
                    grandchild.text = str(item)
        elif isinstance(value, dict):
            _xml_fill(child, value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)
