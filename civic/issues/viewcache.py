"""A cache of the bbox API's answers, per process, keyed by the request and a change counter.

The home page's default view, and any view several people look at, is answered from memory after the
first time. Migration 0012's triggers bump `change_counters['map']` on every write to issues or
categories (everything a map answer shows), in the same transaction as the write; the counter is part of
every key, so a cached answer is never served once anything it could show has changed, in any process.
Answers are the same for everyone (no per-user data in them) but differ by language. Answers with a
`days` filter depend on the clock and are not cached. CIVIC_MAP_CACHE_ENTRIES=0 turns the cache off.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app, request
from flask_babel import get_locale
from sqlalchemy import BigInteger, Column, MetaData, String, Table, select

from civic.extensions import db

change_counters = Table("change_counters", MetaData(), Column("name", String(40), primary_key=True),
                        Column("n", BigInteger))



class _Entries:
    """The cache of one app in this process (tests make many apps, each on its own database)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, bytes] = OrderedDict()
        self.lock = threading.Lock()


def _cache() -> _Entries:
    return current_app.extensions.setdefault("civic_viewcache", _Entries())


def map_version() -> int:
    return db.session.scalar(select(change_counters.c.n).where(change_counters.c.name == "map")) or 0


def _capacity() -> int:
    return int(current_app.config.get("MAP_CACHE_ENTRIES", 2000))


def key_for_request() -> tuple | None:
    """The key of this request's answer, or None when it must not be cached."""
    if _capacity() <= 0 or request.args.get("days"):
        return None
    args = tuple(sorted(request.args.items(multi=True)))
    return map_version(), str(get_locale()), request.path, args


def get(key: tuple | None) -> bytes | None:
    if key is None:
        return None
    cache = _cache()
    with cache.lock:
        body = cache.entries.get(key)
        if body is not None:
            cache.entries.move_to_end(key)
        return body


def put(key: tuple | None, body: bytes) -> None:
    if key is None:
        return
    cache, capacity = _cache(), _capacity()
    with cache.lock:
        cache.entries[key] = body
        cache.entries.move_to_end(key)
        while len(cache.entries) > capacity:
            cache.entries.popitem(last=False)
