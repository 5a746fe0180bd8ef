"""HTTP throughput of a real server: requests per second of gunicorn (gevent workers, 2 by default for 2
cores) serving the bbox API for random neighbourhood views (about 1 km², zoom 16, bench_map's views), an issue
page /issues/<id> (random visible issues) and /healthz, with every rate limit turned off. wrk drives the load
from its own process; the ratios to /healthz are the figures to compare. Afterwards the whole-city clustered
view (zoom 12) is requested a few times, two at a time, and each worker's peak RSS (VmHWM) is printed.

    .venv/bin/python -m tests.perf.bench_throughput --db sqlite:////tmp/civic-bench/civic-1000000.db
    .venv/bin/python -m tests.perf.bench_throughput --db postgresql+psycopg://127.0.0.1/civic_bench_1000000

--cold turns the answer caches off (every view and page computed); --signed-in reads the issue pages as a
resident signed in through the login form (such pages are always rendered: the page cache is for anonymous
readers only).

How the three endpoints share one run (--mode):
- interleaved (default): the run is cut into short slices (--slice seconds) that go round the three endpoints,
  each slice one wrk with all the connections on one endpoint (a Lua script cycles through its paths). Each
  endpoint's req/s is its requests over its slices' time: what the server sustains on that endpoint alone,
  while background load on the machine (other benchmarks) falls on all three alike, so the ratios stay fair.
- concurrent: three wrk processes at once, the connections split in thirds. For comparison only: each rate
  then depends on how the saturated workers share their time between connections (a gevent worker runs one
  request at a time to its end, and in trials one endpoint's connections starved another's for seconds), not
  on what each endpoint costs, so the ratios say little.

wrk's latency figures are not printed: it "corrects" them for coordinated omission, which at these rates
mostly measures the correction. Non-2xx answers and socket errors are counted and printed.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from civic.database import unit_of_work
from tests.perf.bench_map import views
from tests.servers import serve

TARGETS = {"bbox": 0.40, "issue": 0.25}  # share of /healthz's req/s
PATHS = 500  # distinct paths per endpoint for wrk to cycle through

# Cycles through the paths in the file given as the script's first argument; each wrk thread starts at its
# own offset. done() prints one line the script parses.
WRK_LUA = r"""
local paths, i = {}, 1
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("offset", threads)
end
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = ((offset or 1) * 7919) % #paths + 1
end
function request()
  local path = paths[i]
  i = i % #paths + 1
  return wrk.format("GET", path)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("CIVIC requests=%d duration_us=%d status=%d socket=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
end
"""
RESULT = re.compile(r"CIVIC requests=(\d+) duration_us=(\d+) status=(\d+) socket=(\d+)")


def server_settings(url: str, cold: bool = False) -> dict[str, str]:
    """The database, and every *_RATE_LIMIT of the config turned off (""); with `cold`, the map answer cache
    and the anonymous page cache off too: every answer computed, as for views and pages nobody asked for
    before (with them on, the 500 paths per endpoint are answered from memory after their first time)."""
    from civic.config import Config

    settings = {"CIVIC_DATABASE_URL": url}
    settings.update({f"CIVIC_{name}": "" for name in dir(Config) if name.endswith("_RATE_LIMIT")})
    if cold:
        settings.update(CIVIC_MAP_CACHE_ENTRIES="0", CIVIC_PAGE_CACHE_SECONDS="0")
    return settings


def endpoint_paths(url: str, count: int = PATHS) -> tuple[dict[str, list[str]], list[str], int]:
    """Paths per endpoint (bbox views, issue pages, /healthz), the whole-city views, and the issue count."""
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.geo.geocoding import city_bounds
    from civic.issues.models import Issue
    from tests.conftest import build_app

    app = build_app(url)
    with app.app_context(), unit_of_work():
        issues = db.session.scalar(sa.select(sa.func.count()).select_from(Issue))
        bounds = city_bounds()
        # Random visible issues: sample ids from the id range, keep those that exist and are not hidden.
        low, high = db.session.execute(sa.select(sa.func.min(Issue.id), sa.func.max(Issue.id))).one()
        rng = random.Random(16)
        candidates = rng.sample(range(low, high + 1), min(high - low + 1, count * 2))
        ids = list(db.session.scalars(sa.select(Issue.id).where(Issue.id.in_(candidates), Issue.hidden_at.is_(None))))
        db.engine.dispose()
    rng.shuffle(ids)
    small, whole = views(bounds, count)
    paths = {"bbox": small, "issue": [f"/issues/{i}" for i in ids[:count]], "healthz": ["/healthz"]}
    return paths, whole, issues


def wrk(
    base_url: str,
    path_file: Path,
    script: Path,
    seconds: float,
    connections: int,
    threads: int,
    headers: tuple[str, ...] = (),
) -> dict:
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        *(part for header in headers for part in ("-H", header)),
        "-s",
        str(script),
        base_url,
        "--",
        str(path_file),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = RESULT.search(output)
    if not found:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests, duration, status, socket = map(int, found.groups())
    return {"requests": requests, "seconds": duration / 1e6, "status_errors": status, "socket_errors": socket}


def combine(slices: list[dict]) -> dict:
    total = {
        "requests": sum(s["requests"] for s in slices),
        "seconds": sum(s["seconds"] for s in slices),
        "status_errors": sum(s["status_errors"] for s in slices),
        "socket_errors": sum(s["socket_errors"] for s in slices),
    }
    total["rps"] = total["requests"] / total["seconds"] if total["seconds"] else 0.0
    return total


def run_load(
    base_url: str,
    files: dict[str, Path],
    script: Path,
    *,
    mode: str,
    duration: float,
    slice_s: float,
    connections: int,
    threads: int,
    headers: dict[str, tuple[str, ...]],
) -> dict[str, dict]:
    if mode == "concurrent":
        share = max(1, connections // len(files))
        with ThreadPoolExecutor(len(files)) as pool:
            futures = {
                name: pool.submit(wrk, base_url, path, script, duration, share, 1, headers.get(name, ()))
                for name, path in files.items()
            }
            return {name: combine([f.result()]) for name, f in futures.items()}
    slices: dict[str, list[dict]] = {name: [] for name in files}
    rounds = max(1, round(duration / slice_s))
    for _ in range(rounds):
        for name, path in files.items():
            slices[name].append(
                wrk(base_url, path, script, duration / rounds, connections, threads, headers.get(name, ()))
            )
    return {name: combine(parts) for name, parts in slices.items()}


BENCH_READER = ("bench-reader@example.org", "a benchmark reader's passphrase")
BENCH_AGENT = "civic-bench"  # sign-in and load share it: sessions are bound to address and browser


def ensure_reader(url: str) -> None:
    """A resident account for --signed-in (made once in the benchmark database)."""
    from civic.accounts import services
    from civic.accounts.models import User
    from civic.extensions import db
    from tests.conftest import build_app

    app = build_app(url)
    with app.test_request_context(), unit_of_work():
        if db.session.scalar(sa.select(User.id).where(User.email == BENCH_READER[0])) is None:
            services.register_user("Bench reader", *BENCH_READER)
    with app.app_context():
        db.engine.dispose()


def signed_in_headers(base_url: str) -> tuple[str, ...]:
    """Sign in as the benchmark reader through the login form; the headers that carry its session."""
    import httpx

    with httpx.Client(base_url=base_url, headers={"User-Agent": BENCH_AGENT}, timeout=30) as http:
        form = http.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', form)
        email, password = BENCH_READER
        answer = http.post(
            "/login", data={"csrf_token": next(g for g in token.groups() if g), "email": email, "password": password}
        )
        if answer.status_code != 302:
            raise SystemExit(f"signing in failed: {answer.status_code}")
        page = http.get("/account")
        if page.status_code != 200:
            raise SystemExit(f"the session does not hold: /account answered {page.status_code}")
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    return (f"Cookie: {cookie}", f"User-Agent: {BENCH_AGENT}")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def check(base_url: str, paths: dict[str, list[str]]) -> None:
    """One request per endpoint first: a load of errors would measure nothing."""
    import httpx

    for name, items in paths.items():
        response = httpx.get(base_url + items[0], timeout=60)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {items[0]} answered {response.status_code}: {response.text[:300]}")


def heavy_views(base_url: str, whole: list[str], count: int, parallel: int) -> list[float]:
    """Request the whole-city view `count` times, `parallel` at once (so every worker answers some)."""
    import httpx

    def one(path: str) -> float:
        started = time.perf_counter()
        response = httpx.get(base_url + path, timeout=300)
        response.raise_for_status()
        return time.perf_counter() - started

    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(one, whole[:count]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="sqlite:////path.db or postgresql+psycopg://host/name")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load per endpoint (default 20)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gevent workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--mode", choices=("interleaved", "concurrent"), default="interleaved")
    parser.add_argument("--slice", type=float, default=2.0, help="seconds per slice in interleaved mode")
    parser.add_argument("--city-views", type=int, default=8, help="whole-city views before reading RSS")
    parser.add_argument(
        "--cold", action="store_true", help="turn the map answer cache and the anonymous page cache off"
    )
    parser.add_argument(
        "--signed-in",
        action="store_true",
        help="read the issue pages as a signed-in resident (always rendered: no page cache)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    paths, whole, issues = endpoint_paths(args.db)
    if args.signed_in:
        ensure_reader(args.db)
    print(
        f"{issues:,} issues ({args.db.split(':')[0]}), gunicorn {args.workers} gevent workers, "
        f"wrk {args.connections} connections, {args.mode}, {args.duration:g} s per endpoint, "
        f"{'caches off' if args.cold else 'caches on'}"
        f"{', issue pages read by a signed-in resident' if args.signed_in else ''}"
    )
    with tempfile.TemporaryDirectory(prefix="civic-wrk-") as tmp:
        script = Path(tmp) / "paths.lua"
        script.write_text(WRK_LUA)
        files = {}
        for name, items in paths.items():
            files[name] = Path(tmp) / f"{name}.txt"
            files[name].write_text("\n".join(items) + "\n")
        with serve(server_settings(args.db, args.cold), workers=args.workers) as server:
            check(server.url, paths)
            headers = {"issue": signed_in_headers(server.url)} if args.signed_in else {}
            # Warm-up: every worker's caches and connections, as a running server would have them.
            for name, path in files.items():
                wrk(server.url, path, script, 2, args.connections, args.threads, headers.get(name, ()))
            results = run_load(
                server.url,
                files,
                script,
                mode=args.mode,
                duration=args.duration,
                slice_s=args.slice,
                connections=args.connections,
                threads=args.threads,
                headers=headers,
            )
            took = heavy_views(server.url, whole, args.city_views, parallel=max(2, args.workers))
            workers = worker_pids(server.process.pid)
            rss = {pid: peak_rss_mb(pid) for pid in workers}

    base = results["healthz"]["rps"]
    for name in ("bbox", "issue", "healthz"):
        r = results[name]
        line = f"  {name:<8} {r['rps']:7.0f} req/s  ({r['requests']:,} requests in {r['seconds']:.0f} s)"
        if r["status_errors"] or r["socket_errors"]:
            line += f"   ERRORS: {r['status_errors']} non-2xx, {r['socket_errors']} socket"
        if name in TARGETS:
            ratio = r["rps"] / base if base else 0.0
            verdict = "ok" if ratio >= TARGETS[name] else "MISSED"
            line += f"   {ratio:6.1%} of healthz (target >= {TARGETS[name]:.0%}: {verdict})"
        print(line)
    took.sort()
    print(
        f"  whole-city view (zoom 12) x{len(took)} after the run: median {took[len(took) // 2]:.2f} s, "
        f"max {took[-1]:.2f} s"
    )
    print(
        "  peak RSS (VmHWM) per worker: "
        + ", ".join(f"pid {pid} {mb:.0f} MB" for pid, mb in rss.items())
        + f"; max {max(rss.values()):.0f} MB"
    )


if __name__ == "__main__":
    main()
