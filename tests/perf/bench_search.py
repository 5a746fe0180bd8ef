"""Text search latency (civic/issues/search.py) on a benchmark database: the search query alone (count and the
list's first page), the list page, and the bbox API with `q` for neighbourhood views (zoom 16) and whole-city
views (zoom 12: clustered live from the matching issues, since the precomputed cells cannot filter by text).
p50/p95 in milliseconds, in-process (Flask's test client).

    .venv/bin/python -m tests.perf.generate --issues 100000 --db sqlite:////tmp/civic-100k.db
    .venv/bin/python -m tests.perf.bench_search --db sqlite:////tmp/civic-100k.db
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from civic.database import unit_of_work
from tests.perf.bench_map import percentile, views

# From rare to everywhere in the generated issues (civic/demo/seeding.py's titles and descriptions).
SEARCHES = ["pothol", "graffiti girard", "bache", "crosswalk frankford", "morning", "the", "lleva semanas", "zebra"]
RUNS = 40


def timed(fn, runs: int = RUNS) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    args = parser.parse_args()

    import sqlalchemy as sa

    from civic.extensions import db
    from civic.geo.geocoding import city_bounds
    from civic.issues.models import Issue
    from civic.issues.queries import IssueFilters, count_in_view, list_query
    from tests.conftest import build_app, migrate_database

    migrate_database(args.db)  # indexes the issues of a database built before migration 0016
    app = build_app(args.db, MAP_CACHE_ENTRIES=0, PAGE_CACHE_SECONDS=0)
    client = app.test_client()
    with app.test_request_context(), unit_of_work():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Issue))
        bounds = city_bounds()
        small, whole = views(bounds, count=RUNS)
        print(f"{total:,} issues, {db.engine.dialect.name}; {RUNS} runs each, milliseconds")
        print(f"{'search':22} {'matches':>8} {'count p50':>10} {'page p50':>9} {'page p95':>9} {'map z16 p50':>12}")
        for q in SEARCHES:
            filters = IssueFilters(q=q)
            matches = count_in_view(filters)
            count50, _ = timed(lambda f=filters: count_in_view(f))
            page50, page95 = timed(lambda f=filters: db.session.scalars(list_query(f).limit(50)).all())
            urls = iter([f"{u}&q={q}" for u in small] * 2)
            map50, _ = timed(lambda u=urls: client.get(next(u)))
            print(f"{q:22} {matches:>8,} {count50:>10.1f} {page50:>9.1f} {page95:>9.1f} {map50:>12.1f}")

    rng = random.Random(3)
    print(f"\n{'HTTP, with q':34} {'p50':>7} {'p95':>7}")
    for label, urls in (
        ("list page /issues?q=", [f"/issues?q={rng.choice(SEARCHES)}" for _ in range(RUNS)]),
        ("bbox API, zoom 16", [f"{u}&q={rng.choice(SEARCHES)}" for u in small]),
        ("bbox API, whole city, zoom 12", [f"{u}&q={rng.choice(SEARCHES)}" for u in whole]),
        ("bbox API, whole city, no q", whole),
    ):
        times = []
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{label:34} {statistics.median(times):7.1f} {percentile(times, 95):7.1f}")


if __name__ == "__main__":
    main()
