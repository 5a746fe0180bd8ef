"""Named rate limits, read from config at request time, and the small helpers around them.

Every limit is a Flask-Limiter string in config under a name ending in _RATE_LIMIT (REPORT_RATE_LIMIT =
"10 per hour"; CIVIC_REPORT_RATE_LIMIT overrides it; an empty value turns it off). A view opts in by name:

    @bp.post("/things/<int:thing_id>/flag")
    @login_required
    @limited("FLAG_RATE_LIMIT")
    def flag(thing_id): ...

- Only writes count (POST, PUT, PATCH, DELETE): reading a page or a form is free.
- Who is counted: the signed-in user (so neighbours behind one address do not share a budget), otherwise
  the remote address (behind a proxy, set CIVIC_PROXY_HOPS so it is the visitor's).
- One budget per name: every route limited by the same name draws from the same count (voting on the
  site and through the API is one budget).
- Put the decorator below @login_required, so an anonymous request is sent to sign in without counting.
- `limited_when_done(name)` is the variant for multi-step forms: only a post that did its work counts.
  `limit_blueprint(bp, name)` limits every route of a blueprint (the API's read and write budgets).
- The counts live in the limiter's storage: memory by default, Redis with CIVIC_REDIS_URL (shared by every
  process). `counter_key` gives other counters (the sign-in back-off) a key in that same storage.

Refusals are 429 with a Retry-After header (civic/errorpages.py, civic/georeport/responses.py);
`seconds_to_wait()` and `wait_message()` say how long to wait.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Blueprint, current_app, has_request_context
from flask.wrappers import Response
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits.storage import Storage

from civic.errors import DomainError
from civic.extensions import limiter

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
READ_METHODS = ["GET", "HEAD"]
REDIRECTS = (301, 302, 303, 307, 308)


class RateLimited(DomainError):
    """Refused for now; `retry_after` is the number of seconds until it may be tried again."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))


def rate_limit_key() -> str:
    """The signed-in user's id, otherwise the remote address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"addr:{get_remote_address()}"


def _limit_value(config_key: str) -> Callable[[], str]:
    def value() -> str:
        return str(current_app.config.get(config_key) or "")

    return value


def _shared(config_key: str, methods: list[str], deduct_when: Callable[[Response], bool] | None = None):
    return limiter.shared_limit(
        _limit_value(config_key),
        scope=config_key,
        key_func=rate_limit_key,
        methods=methods,
        deduct_when=deduct_when,
        # Keep the blueprint's own limits (the API's read and write budgets) on a decorated route too.
        override_defaults=False,
    )


def limited(config_key: str):
    """Decorator: every write to this route counts against config[config_key]."""
    return _shared(config_key, WRITE_METHODS)


def _redirected(response: Response) -> bool:
    return response.status_code in REDIRECTS


def limited_when_done(config_key: str):
    """Decorator for form posts that take several steps (Post/Redirect/Get): a write is refused once the
    budget is spent, but only a post that did its work (answered with a redirect) counts. A resident who
    fixes a mistake in the form, or sees the "Already reported?" step, does not use up a report."""
    return _shared(config_key, WRITE_METHODS, deduct_when=_redirected)


def limit_blueprint(bp: Blueprint, config_key: str, *, reads: bool = False) -> None:
    """Every route of `bp`, present and future, draws writes (or, with reads=True, reads) from config_key."""
    _shared(config_key, READ_METHODS if reads else WRITE_METHODS)(bp)


# --- how long to wait ---------------------------------------------------------------------------


def seconds_to_wait(exc: Exception | None = None) -> int:
    """Seconds until the refused request may be tried again (at least 1).

    From the exception when it knows (RateLimited, werkzeug's TooManyRequests(retry_after=...)), else from
    the limit Flask-Limiter found breached on this request, computed as its Retry-After header is.
    """
    known = getattr(exc, "retry_after", None)
    if isinstance(known, (int, float)):
        return max(1, math.ceil(known))
    current = limiter.current_limit if has_request_context() else None
    if current is not None and current.breached:
        return max(1, int(current.reset_at - time.time()))
    return 60


def wait_message(seconds: int) -> str:
    """'You can try again in 45 seconds.' / '... in 3 minutes.' / '... in 2 hours.' (rounded up)."""
    if seconds < 60:
        return ngettext("You can try again in %(num)d second.", "You can try again in %(num)d seconds.", seconds)
    minutes = math.ceil(seconds / 60)
    if minutes <= 120:
        return ngettext("You can try again in %(num)d minute.", "You can try again in %(num)d minutes.", minutes)
    hours = math.ceil(seconds / 3600)
    return ngettext("You can try again in %(num)d hour.", "You can try again in %(num)d hours.", hours)


# --- other counters in the limiter's storage ----------------------------------------------------


def storage() -> Storage | None:
    """The limiter's storage (memory, or Redis shared by every process); None when limits are switched off."""
    if not (limiter.enabled and limiter.initialized and current_app.config.get("RATELIMIT_ENABLED", True)):
        return None
    return limiter.storage


def counter_key(*parts: str) -> str:
    """A key for a counter of our own, next to the limiter's (and under the same RATELIMIT_KEY_PREFIX)."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return "/".join([*([prefix] if prefix else []), "civic", *parts])
