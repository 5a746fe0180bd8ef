"""A cache of the bbox API's answers, per process, keyed by the request and the 'map' change counter.

The home page's default view, and any view several people look at, is answered from memory after the
first time. Migration 0012's triggers bump the counter on every write to issues or categories (everything a
map answer shows), so a cached answer is never served once anything it could show has changed, in any
process (civic/caching.py). Answers are the same for everyone (no per-user data in them) but differ by
language. Answers with a `days` filter depend on the clock and are not kept.
CIVIC_MAP_CACHE_ENTRIES=0 turns the cache off.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import get_locale

from civic.caching import LruCache, app_cache, counter


def _cache() -> LruCache | None:
    capacity = int(current_app.config.get("MAP_CACHE_ENTRIES", 2000))
    return app_cache("map", capacity) if capacity > 0 else None


def key_for_request() -> tuple | None:
    """The key of this request's answer, or None when it must not be kept."""
    if _cache() is None or request.args.get("days"):
        return None
    return counter("map"), str(get_locale()), request.path, tuple(sorted(request.args.items(multi=True)))


def get(key: tuple | None) -> bytes | None:
    cache = _cache()
    return cache.get(key) if key is not None and cache is not None else None


def put(key: tuple | None, body: bytes) -> None:
    cache = _cache()
    if key is not None and cache is not None:
        cache.put(key, body)
