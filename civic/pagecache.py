"""Whole pages kept in memory for anonymous readers: an issue shared around the city is rendered once per
change, not once per reader.

A page is kept when an anonymous reader with nothing pending in their session (no flash message) gets a 200
HTML answer, under the 'content' change counter (civic/caching.py, migration 0013: every write to what public
pages show bumps it), the language and the URL, for at most CIVIC_PAGE_CACHE_SECONDS (relative times such as
"2 hours ago" age too). The two per-request secrets in a page, the CSP nonce and the CSRF token, are cut out
when it is kept and each reader's own are put back when it is served. Signed-in readers always get a fresh
page (their own buttons, drafts and names). CIVIC_PAGE_CACHE_SECONDS=0 turns it off.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from civic.caching import LruCache, app_cache, counter
from civic.security import csp_nonce

_NONCE = "\x00civic-nonce\x00"
_CSRF = "\x00civic-csrf\x00"


def _cache() -> LruCache | None:
    seconds = float(current_app.config.get("PAGE_CACHE_SECONDS", 30))
    if seconds <= 0:
        return None
    return app_cache("pages", int(current_app.config.get("PAGE_CACHE_ENTRIES", 1000)), ttl=seconds)


def _key() -> tuple | None:
    if request.method != "GET" or current_user.is_authenticated or session.get("_flashes"):
        return None
    # The host too: pages carry absolute links (the canonical and Open Graph tags) built from it.
    return counter("content"), str(get_locale()), request.host, request.full_path


def for_anonymous_readers(view):
    """Decorate a GET view whose page is the same for every anonymous reader."""

    @wraps(view)
    def cached_view(*args, **kwargs):
        cache = _cache()
        key = _key() if cache is not None else None
        kept = cache.get(key) if cache is not None and key is not None else None
        if kept is not None:
            body = kept.replace(_NONCE, csp_nonce()).replace(_CSRF, generate_csrf())
            return current_app.response_class(body, mimetype="text/html")
        response = make_response(view(*args, **kwargs))
        if cache is not None and key is not None and response.status_code == 200 and response.mimetype == "text/html":
            cache.put(key, _without_secrets(response.get_data(as_text=True)))
        return response

    return cached_view


def _without_secrets(body: str) -> str:
    if "csp_nonce" in g:
        body = body.replace(g.csp_nonce, _NONCE)
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return body.replace(token, _CSRF) if token else body
