"""Database helpers shared by every domain: timezone-aware timestamps and SQLite connection settings."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from sqlalchemy import DateTime, Enum, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from civic.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always returns an aware datetime (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def insert_ignoring_duplicates(model, **values):
    """INSERT ... ON CONFLICT DO NOTHING for the session's backend (SQLite or PostgreSQL).

    Used where a unique key makes "at most one" safe under concurrency (votes, follows)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).values(**values).on_conflict_do_nothing()


def string_enum(enum_class) -> Enum:
    """A Python enum stored as its values in a VARCHAR (no database ENUM type to migrate)."""
    return Enum(enum_class, native_enum=False, length=20, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers and one writer work at once; SQLite leaves foreign keys off unless asked."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Objects Alembic's autogenerate must leave alone: spatial structures it cannot describe
# (see civic/issues/spatial.py), the tables kept by triggers (civic/issues/cells.py, civic/caching.py) and
# SQLite's own bookkeeping tables.
_UNMANAGED_PREFIXES = ("issue_rtree", "ix_issues_location_gist", "issue_cell", "change_counters", "sqlite_")


def include_in_autogenerate(name, type_, parent_names) -> bool:
    return not (name and name.startswith(_UNMANAGED_PREFIXES))


def follow_explicit_ids(*models) -> None:
    """After rows were inserted with ids chosen by us (bulk demo and benchmark data): move PostgreSQL's id
    sequences past them, or the next ordinary insert takes an id already used. SQLite needs nothing (it
    continues from the largest id)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))
