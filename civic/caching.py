"""In-memory answer caches, one per app and process, keyed by change counters the database keeps.

`change_counters` (migrations 0012 and 0013) holds numbers that triggers bump in the same transaction as
every write they watch: 'map' for issues and categories, 'content' for what public pages show. A key that
includes the counter can never return an answer older than the last write, in any process; entries for
earlier values simply fall out of the LRU. Used by civic/issues/viewcache.py and civic/pagecache.py.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import current_app
from sqlalchemy import BigInteger, Column, MetaData, String, Table, select

from civic.extensions import db

change_counters = Table(
    "change_counters", MetaData(), Column("name", String(40), primary_key=True), Column("n", BigInteger)
)


def counter(name: str) -> int:
    return db.session.scalar(select(change_counters.c.n).where(change_counters.c.name == name)) or 0


class LruCache:
    """At most `capacity` entries, least recently used out first; entries older than `ttl` seconds ignored."""

    def __init__(self, capacity: int, ttl: float | None = None) -> None:
        self.capacity, self.ttl = capacity, ttl
        self.entries: OrderedDict[tuple, tuple[float, object]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple):
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            stored_at, value = found
            if self.ttl is not None and time.monotonic() - stored_at > self.ttl:
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return value

    def put(self, key: tuple, value) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic(), value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.capacity:
                self.entries.popitem(last=False)


def app_cache(name: str, capacity: int, ttl: float | None = None) -> LruCache:
    """This app's cache called `name` (tests make many apps in one process, each on its own database)."""
    caches = current_app.extensions.setdefault("civic_caches", {})
    if name not in caches:
        caches[name] = LruCache(capacity, ttl)
    return caches[name]
