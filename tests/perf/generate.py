"""Build a benchmark database: N issues over the whole city (upvotes, comments, status histories, up to
100k residents), on SQLite (a file) or PostgreSQL (a URL). Not a test: `make bench` and the other scripts
here use it, and print figures.

    .venv/bin/python -m tests.perf.generate --issues 100000 --db sqlite:////tmp/civic-100k.db
    .venv/bin/python -m tests.perf.generate --issues 1000000 --db postgresql+psycopg://127.0.0.1/civic_bench

An existing database with at least that many issues is reused (the build is the slow part)."""

from __future__ import annotations

import argparse
import sys
import time

import sqlalchemy as sa

from civic.database import unit_of_work


def build(url: str, issues: int, *, fresh: bool = False) -> float:
    """Create (or reuse) the database at `url` with `issues` issues; returns the seconds the build took."""
    from civic.demo import seeding as demo
    from civic.extensions import db
    from civic.issues.models import Issue
    from tests.conftest import build_app, migrate_database

    if fresh:
        _drop(url)
    elif not url.startswith("sqlite"):
        _create_if_missing(url)
    migrate_database(url)
    # PostgreSQL: load with triggers off (session_replication_role=replica: the per-row count upserts would
    # make the load several times slower), then count the cells once (civic.issues.cells.rebuild).
    bulk = (
        {}
        if url.startswith("sqlite")
        else {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c session_replication_role=replica"}}}
    )
    app = build_app(url, **bulk)
    with app.app_context(), unit_of_work():
        have = db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) or 0
        if have >= issues:
            print(f"reusing {url}: {have:,} issues")
            return 0.0
        _fast_sqlite(url)
        started = time.perf_counter()
        demo.seed_people()
        demo.seed_issues(
            issues - have,
            citywide=True,
            seed=2027,
            progress=lambda n: print(f"  {n:,} issues", file=sys.stderr, flush=True),
        )
        if bulk:
            from civic.issues import cells

            cells.rebuild()
        took = time.perf_counter() - started
        if url.startswith("sqlite"):
            db.session.execute(sa.text("ANALYZE"))
        else:
            db.session.commit()
            # The triggers rewrite a cell's row per issue: vacuum as autovacuum would on a live server.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        db.session.commit()
        print(f"built {issues:,} issues in {took:.0f} s ({issues / took:,.0f} issues/s)")
        return took


def _fast_sqlite(url: str) -> None:
    """For the bulk load only: no fsync per commit (a crash mid-build just means building again)."""
    from civic.extensions import db

    if url.startswith("sqlite"):
        db.session.execute(sa.text("PRAGMA synchronous=OFF"))


def _create_if_missing(url: str) -> None:
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        ).scalar()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _drop(url: str) -> None:
    if url.startswith("sqlite:///"):
        import pathlib

        path = pathlib.Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            pathlib.Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        target = sa.make_url(url)
        admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--db", required=True, help="sqlite:////path.db or postgresql+psycopg://host/name")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    args = parser.parse_args()
    build(args.db, args.issues, fresh=args.fresh)


if __name__ == "__main__":
    main()
