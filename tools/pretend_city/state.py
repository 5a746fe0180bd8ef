"""The pretend city's memory between runs: its tickets, updates feed, tokens and counters as one JSON file,
written atomically (a temporary file in the same folder, then renamed over the old one) after every change,
so a city restarted with the same `--state FILE` still knows the ticket numbers civic holds."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path

VERSION = 1
DATETIME_KEYS = ("requested_datetime", "updated_datetime", "expected_datetime")


def _encode(record: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}


def _decode(record: dict) -> dict:
    return {k: datetime.fromisoformat(v) if k in DATETIME_KEYS and isinstance(v, str) else v for k, v in record.items()}


def snapshot(city) -> dict:
    """What the city holds, as JSON-ready data (call with the city's lock held)."""
    return {
        "version": VERSION,
        "next_id": city._next_id,
        "next_update_id": city._next_update_id,
        "bulk_count": city._bulk_count,
        "tickets": [_encode(t) for t in city.tickets.values()],
        "updates": [_encode(u) for u in city.updates],
        "tokens": city.tokens,
    }


def restore(city, data: dict) -> None:
    """Put a snapshot back into a city that holds nothing yet."""
    if data.get("version") != VERSION:
        raise ValueError(f"unknown pretend-city state version {data.get('version')!r}")
    city.tickets = {t["service_request_id"]: _decode(t) for t in data.get("tickets", [])}
    city.updates = [_decode(u) for u in data.get("updates", [])]
    city.tokens = dict(data.get("tokens", {}))
    city._next_id = int(data.get("next_id", 1001))
    city._next_update_id = int(data.get("next_update_id", 1))
    city._bulk_count = int(data.get("bulk_count", 0))


def read(path: Path) -> dict | None:
    """The saved snapshot, or None when there is no file yet."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def write(path: Path, data: dict) -> None:
    """Replace the file in one step: a reader (or a crash) sees the old state or the new, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
