"""The unit of work and database helpers shared by every domain.

Who owns the transaction: the request (`init_app` commits once after the view, rolls back on an error or
an error status), or `unit_of_work()` for CLI commands, jobs and tests. Services only `flush()`.
Effects outside the database (Socket.IO pushes, SMTP, waking the outbox) are registered with `on_commit`
and run only once the change is committed, never for a rolled-back one (after Zulip's
`send_event_on_commit`). Writes that must outlive a failed request go through `independent_transaction()`.

Also: timezone-aware timestamps, portable INSERT ... ON CONFLICT DO NOTHING, and SQLite connection settings.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Enum, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.types import TypeDecorator

from civic.extensions import db

if TYPE_CHECKING:
    from flask import Flask, Response

log = logging.getLogger(__name__)

_EFFECTS = "civic.on_commit"  # session.info key: callables waiting for the commit
_UNDO = "civic.on_rollback"  # session.info key: clean-ups for work outside the database (files written)
_DOOMED = "civic.doomed"  # session.info key: this unit of work must end in a rollback

LARGEST_ID = 2**31 - 1  # PostgreSQL's INTEGER; SQLite's is larger, so this is the limit of both


def fits_id(number: int) -> bool:
    """Whether `number` can be a row's id: a positive number an INTEGER column can hold. Ids from a request
    that do not are "not found", with the number as given, before any query (which would overflow)."""
    return 0 < number <= LARGEST_ID


# --- the unit of work ---------------------------------------------------------------------------


def on_commit(effect: Callable[[], object]) -> None:
    """Run `effect` right after the current transaction commits; drop it if the transaction rolls back.

    Effects must not use `db.session` (it is between transactions when they run): one that records
    something (a mail's delivery) opens `independent_transaction()`. An effect that fails is logged; the
    commit it followed stands."""
    db.session.info.setdefault(_EFFECTS, []).append(effect)


def on_rollback(undo: Callable[[], object]) -> None:
    """Run `undo` if the current transaction rolls back (delete the files a failed write had stored)."""
    db.session.info.setdefault(_UNDO, []).append(undo)


def doom() -> None:
    """Mark the current unit of work as failed although the request answers normally (a form shown again
    with a service's error, a button whose refusal is flashed): it ends in a rollback, so nothing a
    service flushed before raising is kept."""
    db.session.info[_DOOMED] = True


def finish(*, success: bool = True) -> None:
    """End the unit of work: commit (then run its effects) when it succeeded and was not doomed, else roll
    back. The one place the request and `unit_of_work()` end a transaction."""
    if not db.session.registry.has():  # nothing in this context used the database (a static file, a redirect)
        return
    session = db.session
    doomed = session.info.pop(_DOOMED, False)
    if success and not doomed:
        session.commit()
    else:
        session.rollback()


def abandon() -> None:
    """Roll back now: for error handlers, whose error page must render on a clean session after a failed
    statement (the request's end then has nothing left to commit)."""
    db.session.rollback()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for a CLI command, a background job or a test: committed at the end of the block,
    rolled back if the block raises (or called `doom()`)."""
    try:
        yield db.session()
    except BaseException:
        finish(success=False)
        raise
    finish()


@contextmanager
def independent_transaction() -> Iterator[Session]:
    """A session of its own, committed at the end of the block whatever becomes of the request's
    transaction: for writes that must outlive a failed request (an API token's last use) and for effects
    that record their outcome after commit (a mail's delivery). On SQLite, use it before the request has
    written anything, or it waits for the request's own write lock."""
    session = Session(bind=db.engine, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    finally:
        session.close()


def init_app(app: Flask) -> None:
    """The request owns the transaction: one commit after a view that answered below 400 and did not
    `doom()` its work; a rollback for an error status or an exception (the error page then renders on a
    clean session)."""

    @app.after_request
    def _end_unit_of_work(response: Response) -> Response:
        finish(success=response.status_code < 400)
        return response

    @app.teardown_request
    def _abandon_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            abandon()


def _run_all(callbacks: list[Callable[[], object]], what: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("%s failed: %r", what, callback)


@event.listens_for(Session, "after_commit")
def _run_effects(session: Session) -> None:
    session.info.pop(_UNDO, None)
    _run_all(session.info.pop(_EFFECTS, []), "an effect after commit")


@event.listens_for(Session, "after_soft_rollback")
def _drop_effects(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:  # a savepoint's rollback leaves the outer transaction's work alone
        return
    session.info.pop(_EFFECTS, None)
    _run_all(session.info.pop(_UNDO, []), "an undo after rollback")


# --- columns and statements ---------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always returns an aware datetime (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def insert_ignoring_duplicates(model, **values):
    """INSERT ... ON CONFLICT DO NOTHING for the session's backend (SQLite or PostgreSQL).

    Used where a unique key makes "at most one" safe under concurrency (votes, follows)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).values(**values).on_conflict_do_nothing()


def string_enum(enum_class) -> Enum:
    """A Python enum stored as its values in a VARCHAR (no database ENUM type to migrate)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


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
# (see civic/issues/spatial.py), the tables kept by triggers (civic/issues/cells.py, civic/caching.py), the
# text search index (civic/issues/search.py) and SQLite's own bookkeeping tables.
_UNMANAGED_PREFIXES = (
    "issue_rtree",
    "ix_issues_location_gist",
    "issue_cell",
    "change_counters",
    "issues_fts",
    "search_vector",
    "ix_issues_search_vector",
    "sqlite_",
)


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
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - a model's table
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        )
