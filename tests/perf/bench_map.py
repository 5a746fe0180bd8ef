"""Map latency: the bbox API (/api/v1/issues) for 200 random neighbourhood-sized views (about 1 km², zoom 16)
and 200 whole-city views (zoom 12, answered as server-side clusters), p50/p95 in milliseconds and the
response size. In-process (Flask's test client): the figures are the app and the database, without HTTP.

    .venv/bin/python -m tests.perf.bench_map --db sqlite:////tmp/civic-1m.db
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from civic.database import unit_of_work

VIEWS = 200
# About 1 km x 1 km at Philadelphia's latitude (40° N): 0.009° of latitude, 0.0117° of longitude.
NEIGHBOURHOOD = (0.0117, 0.009, 16)
CITY_ZOOM = 12


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(client, urls: list[str]) -> dict:
    times, sizes = [], []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:200])
        sizes.append(len(response.data))
    return {
        "p50": statistics.median(times),
        "p95": percentile(times, 95),
        "max_kb": max(sizes) / 1024,
        "mean_kb": statistics.fmean(sizes) / 1024,
    }


def views(bounds: tuple[float, float, float, float], count: int = VIEWS, seed: int = 9) -> tuple[list[str], list[str]]:
    min_lon, min_lat, max_lon, max_lat = bounds
    rng = random.Random(seed)
    small, whole = [], []
    width, height, zoom = NEIGHBOURHOOD
    for _ in range(count):
        lon, lat = rng.uniform(min_lon, max_lon - width), rng.uniform(min_lat, max_lat - height)
        small.append(f"/api/v1/issues?bbox={lon:.5f},{lat:.5f},{lon + width:.5f},{lat + height:.5f}&zoom={zoom}")
        # The whole city, nudged a little each time so no two requests are the same.
        dx, dy = rng.uniform(-0.005, 0.005), rng.uniform(-0.005, 0.005)
        whole.append(
            f"/api/v1/issues?bbox={min_lon + dx:.5f},{min_lat + dy:.5f},{max_lon + dx:.5f},"
            f"{max_lat + dy:.5f}&zoom={CITY_ZOOM}"
        )
    return small, whole


def run(url: str, count: int = VIEWS) -> dict:
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.geo.geocoding import city_bounds
    from civic.issues.models import Issue
    from tests.conftest import build_app

    # Measuring the map, not the rate limiter, nor the answer cache (bench_throughput measures both ways).
    app = build_app(url, API_READ_RATE_LIMIT="", MAP_CACHE_ENTRIES=0)
    with app.app_context(), unit_of_work():
        issues = db.session.scalar(sa.select(sa.func.count()).select_from(Issue))
        bounds = city_bounds()
    client = app.test_client()
    small, whole = views(bounds, count)
    measure(client, small[:20] + whole[:2])  # warm the caches, as a running server would be
    return {"issues": issues, "neighbourhood": measure(client, small), "city": measure(client, whole)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--views", type=int, default=VIEWS, help="viewports of each size (default 200)")
    args = parser.parse_args()
    figures = run(args.db, args.views)
    print(f"{figures['issues']:,} issues ({args.db.split(':')[0]})")
    for name in ("neighbourhood", "city"):
        f = figures[name]
        print(
            f"  {name:<13} p50 {f['p50']:7.1f} ms   p95 {f['p95']:7.1f} ms   "
            f"response mean {f['mean_kb']:6.1f} KB, max {f['max_kb']:6.1f} KB"
        )


if __name__ == "__main__":
    main()
