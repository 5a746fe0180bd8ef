"""Load and crash: mixed reads and writes at concurrency 50 against a real server, then `kill -9` mid-load,
a restart, and a check that every write the server acknowledged is in the database.

    .venv/bin/python -m tests.perf.bench_load                       # SQLite (make run's server), then PostgreSQL
    .venv/bin/python -m tests.perf.bench_load --backend sqlite --duration 20

Servers: on SQLite, `make run`'s own command (gunicorn, deploy/run.conf.py); on PostgreSQL (a database of
this run's own on 127.0.0.1:5432, dropped afterwards), gunicorn with deploy/gunicorn.conf.py and Redis when it
answers on 6379, as one process of the scale-out runs. Every rate limit is off: the figures are the server's.

The load: --processes load-generator processes, each with its own share of the --concurrency client threads;
every thread signs its writes with its own resident's API token and picks, request by request: a map view
(bbox API, about 1 km² at zoom 16), a list (the /issues page or an issue's comments from the API), an issue
page, or a write (report an issue, comment, upvote). After --duration seconds of load the server's whole
process group gets SIGKILL while the clients keep sending; the figures are those of the requests answered
before it. Then the server is started again on the same database and every acknowledged write (a 201, or a
200 for an upvote) is looked up: "writes lost" must be 0.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import random
import signal
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from civic.database import unit_of_work

# Share of requests per kind; writes are a third of the load.
MIX = {"bbox": 0.25, "list": 0.17, "issue": 0.25, "report": 0.11, "comment": 0.11, "upvote": 0.11}
WRITES = ("report", "comment", "upvote")
AFTER_KILL_SECONDS = 2.0  # clients keep sending this long after the kill
LOGS = Path(os.environ.get("TMPDIR", "/tmp"))  # the servers' logs stay there (civic-gunicorn-<port>.log)


@dataclass
class Plan:
    """What a load-generator process needs (plain data: it crosses to a spawned process)."""

    base_url: str
    tokens: list[str]
    issue_ids: list[int]  # read
    open_ids: list[int]  # commented on and upvoted (a closed issue takes no votes)
    bbox_paths: list[str]
    category_id: int
    centre: tuple[float, float]
    stop_at: float  # wall clock; set when the load starts
    seed: int


@dataclass
class Outcome:
    kind: str
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float
    ended: float
    ack: tuple = ()  # for an acknowledged write: what must be in the database


@dataclass
class Acks:
    issues: dict[int, str] = field(default_factory=dict)  # id -> title
    comments: dict[int, str] = field(default_factory=dict)  # id -> body
    upvotes: set[tuple[int, int]] = field(default_factory=set)  # (issue id, token index)


# --- the database ---------------------------------------------------------------------------------


def build_database(url: str, issues: int, residents: int) -> tuple[list[str], list[int], list[int], int]:
    """Issues over the city (tests.perf.generate), then residents with API tokens. Returns the tokens (one
    per client thread), visible issue ids, the open ones among them and a category id."""
    from civic.accounts import services as accounts
    from civic.api.tokens import create_token
    from civic.extensions import db
    from civic.issues.models import OPEN_STATUSES, Category, Issue
    from tests.conftest import build_app
    from tests.perf import generate

    generate.build(url, issues)
    app = build_app(url, RATELIMIT_ENABLED=False)
    with app.test_request_context(), unit_of_work():
        tokens = []
        for n in range(residents):
            user = accounts.register_user(f"Load {n}", f"load-{n}@example.org", f"load passphrase {n} {n}")
            tokens.append(create_token(user, "load benchmark")[1])
        visible = sa.select(Issue.id).where(Issue.hidden_at.is_(None)).limit(5000)
        ids = list(db.session.scalars(visible))
        open_ids = list(db.session.scalars(visible.where(Issue.status.in_(OPEN_STATUSES))))
        category_id = db.session.scalar(sa.select(Category.id).order_by(Category.id).limit(1))
    with app.app_context():
        db.engine.dispose()
    return tokens, ids, open_ids, category_id


def count_missing(url: str, acks: Acks, token_users: dict[int, int]) -> dict[str, int]:
    """Acknowledged writes not found in the database, per kind."""
    from civic.extensions import db
    from civic.issues.models import Comment, Issue, Upvote
    from tests.conftest import build_app

    app = build_app(url)
    missing = {}
    with app.app_context(), unit_of_work():
        found = dict(db.session.execute(sa.select(Issue.id, Issue.title).where(Issue.id.in_(list(acks.issues)))).all())
        missing["report"] = sum(1 for i, title in acks.issues.items() if found.get(i) != title)
        found = dict(
            db.session.execute(sa.select(Comment.id, Comment.body).where(Comment.id.in_(list(acks.comments)))).all()
        )
        missing["comment"] = sum(1 for i, body in acks.comments.items() if found.get(i) != body)
        votes = set(db.session.execute(sa.select(Upvote.issue_id, Upvote.user_id)).all())
        missing["upvote"] = sum(1 for issue, who in acks.upvotes if (issue, token_users[who]) not in votes)
        db.session.remove()
        db.engine.dispose()
    return missing


def token_user_ids(url: str, tokens: int) -> dict[int, int]:
    """Token index -> user id (the residents were made in order, named load-<n>)."""
    from civic.accounts.models import User
    from civic.extensions import db
    from tests.conftest import build_app

    app = build_app(url)
    with app.app_context(), unit_of_work():
        rows = db.session.execute(sa.select(User.email, User.id).where(User.email.like("load-%@example.org"))).all()
        by_email = dict(rows)
        db.session.remove()
        db.engine.dispose()
    return {n: by_email[f"load-{n}@example.org"] for n in range(tokens)}


# --- the load -------------------------------------------------------------------------------------


def _client_thread(plan: Plan, token_index: int, rng: random.Random, out: list[Outcome]) -> None:
    import httpx

    kinds, weights = list(MIX), list(MIX.values())
    auth = {"Authorization": f"Bearer {plan.tokens[token_index]}"}
    with httpx.Client(base_url=plan.base_url, timeout=30) as http:
        n = 0
        while time.time() < plan.stop_at:
            kind = rng.choices(kinds, weights)[0]
            issue_id = rng.choice(plan.open_ids if kind in WRITES else plan.issue_ids)
            n += 1
            started = time.perf_counter()
            ack: tuple = ()
            try:
                if kind == "bbox":
                    response = http.get(rng.choice(plan.bbox_paths))
                elif kind == "list":
                    path = "/issues" if rng.random() < 0.5 else f"/api/v1/issues/{issue_id}/comments"
                    response = http.get(path)
                elif kind == "issue":
                    response = http.get(f"/issues/{issue_id}")
                elif kind == "report":
                    title = f"Load {token_index}-{n}: loose paving slab"
                    lat, lon = plan.centre
                    response = http.post(
                        "/api/v1/issues",
                        headers=auth,
                        json={
                            "category_id": plan.category_id,
                            "title": title,
                            "description": "Rocks underfoot by the bus stop.",
                            "lat": lat + rng.uniform(-0.002, 0.002),
                            "lon": lon + rng.uniform(-0.002, 0.002),
                        },
                    )
                    if response.status_code == 201:
                        ack = ("report", response.json()["properties"]["id"], title)
                elif kind == "comment":
                    body = f"Comment {token_index}-{n}: seen it too."
                    response = http.post(f"/api/v1/issues/{issue_id}/comments", headers=auth, json={"body": body})
                    if response.status_code == 201:
                        ack = ("comment", response.json()["id"], body)
                else:
                    response = http.post(f"/api/v1/issues/{issue_id}/upvote", headers=auth, json={"upvoted": True})
                    if response.status_code == 200 and response.json()["upvoted"] is True:
                        ack = ("upvote", issue_id, token_index)
                status = response.status_code
            except (httpx.HTTPError, OSError):
                status = 0
                time.sleep(0.05)  # the server is gone: do not spin
            out.append(Outcome(kind, status, time.perf_counter() - started, time.time(), ack))


def generate_load(plan: Plan, token_indexes: list[int], ready, go, stop_at, results) -> None:
    """One load-generator process: says it is ready, waits for `go`, then runs a thread per token index until
    the shared `stop_at` (wall clock) and puts its outcomes on `results`."""
    outcomes: list[list[Outcome]] = [[] for _ in token_indexes]
    ready.put(os.getpid())
    go.wait()
    plan.stop_at = stop_at.value
    threads = [
        threading.Thread(target=_client_thread, args=(plan, t, random.Random(plan.seed * 1000 + t), outcomes[i]))
        for i, t in enumerate(token_indexes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put([o for part in outcomes for o in part])


# --- one run --------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(label: str, outcomes: list[Outcome], kill_at: float, duration: float, lost: dict[str, int]) -> None:
    measured = [o for o in outcomes if kill_at - duration <= o.ended <= kill_at]
    answered = [o for o in measured if o.status]
    fivexx = sum(1 for o in measured if o.status >= 500)
    print(
        f"{label}: {len(measured):,} requests in {duration:g} s ({len(measured) / duration:,.0f}/s), "
        f"{fivexx} 5xx, {sum(1 for o in measured if not o.status)} unanswered"
    )
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in answered:
        by_kind[o.kind].append(o)
    for kind in MIX:
        items = by_kind.get(kind, [])
        seconds = [o.seconds * 1000 for o in items]
        other = sum(1 for o in items if o.status >= 400)
        print(
            f"  {kind:<8} {len(items):6,}  p50 {percentile(seconds, 0.50):6.0f} ms  "
            f"p95 {percentile(seconds, 0.95):6.0f} ms" + (f"  ({other} answered >= 400)" if other else "")
        )
    acked = sum(1 for o in outcomes if o.ack)
    after = sum(1 for o in outcomes if o.ended > kill_at and not o.status)
    print(
        f"  kill -9 mid-load: {acked:,} writes acknowledged in all, {after:,} requests unanswered after the kill; "
        f"writes lost after restart: {sum(lost.values())} "
        f"(reports {lost['report']}, comments {lost['comment']}, upvotes {lost['upvote']})"
    )


def run(label: str, url: str, settings: dict[str, str], serve_kwargs: dict, args) -> int:
    from tests.perf.bench_map import views
    from tests.perf.bench_throughput import server_settings
    from tests.servers import serve

    started = time.perf_counter()
    tokens, issue_ids, open_ids, category_id = build_database(url, args.issues, args.concurrency)
    print(f"{label}: database ready in {time.perf_counter() - started:.0f} s ({args.issues:,} issues)", flush=True)
    from civic.extensions import db
    from civic.geo.geocoding import city_bounds
    from tests.conftest import FISHTOWN, build_app

    app = build_app(url)
    with app.app_context():
        bounds = city_bounds()
        db.engine.dispose()
    bbox_paths, _ = views(bounds, 500)
    env = {**server_settings(url), **settings}
    acks = Acks()
    with serve(env, **serve_kwargs) as server:
        plan = Plan(
            base_url=server.url,
            tokens=tokens,
            issue_ids=issue_ids,
            open_ids=open_ids,
            bbox_paths=bbox_paths,
            category_id=category_id,
            centre=FISHTOWN,
            stop_at=0.0,
            seed=7,
        )
        context = multiprocessing.get_context("spawn")
        ready, results, go = context.Queue(), context.Queue(), context.Event()
        stop_at = context.Value("d", 0.0)
        shares = [list(range(args.concurrency))[p :: args.processes] for p in range(args.processes)]
        generators = [
            context.Process(target=generate_load, args=(plan, share, ready, go, stop_at, results)) for share in shares
        ]
        for process in generators:
            process.start()
        for _ in generators:
            ready.get(timeout=120)  # every generator has imported what it needs
        kill_at = time.time() + args.duration
        stop_at.value = kill_at + AFTER_KILL_SECONDS
        go.set()
        time.sleep(max(0.0, kill_at - time.time()))
        os.killpg(server.process.pid, signal.SIGKILL)  # the crash: master and worker at once
        server.process.wait()
        outcomes = [o for _ in generators for o in results.get(timeout=120)]
        for process in generators:
            process.join()
    for o in outcomes:
        if o.ack and o.ack[0] == "report":
            acks.issues[o.ack[1]] = o.ack[2]
        elif o.ack and o.ack[0] == "comment":
            acks.comments[o.ack[1]] = o.ack[2]
        elif o.ack:
            acks.upvotes.add((o.ack[1], o.ack[2]))
    with serve(env, **serve_kwargs) as again:  # the restart: it must come up on what the crash left
        import httpx

        assert httpx.get(again.url + "/healthz", timeout=10).status_code == 200
    lost = count_missing(url, acks, token_user_ids(url, len(tokens)))
    print(f"  (load average {os.getloadavg()[0]:.1f} at the end)")
    report(label, outcomes, kill_at, args.duration, lost)
    return sum(lost.values())


@contextlib.contextmanager
def postgres_database():
    from tests.services import POSTGRES_URL

    name = f"civic_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    import tempfile

    from civic import ROOT
    from tests.services import REDIS_URL, port_open

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load before the kill (default 60)")
    parser.add_argument("--concurrency", type=int, default=50, help="client threads in all (default 50)")
    parser.add_argument("--processes", type=int, default=5, help="load-generator processes (default 5)")
    parser.add_argument("--issues", type=int, default=2000, help="issues in the database (default 2,000)")
    args = parser.parse_args()
    print(
        f"load and crash: --duration {args.duration:g} --concurrency {args.concurrency} "
        f"--processes {args.processes} --issues {args.issues}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} before the run",
        flush=True,
    )
    lost = 0
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="civic-load-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'civic.db'}"
            lost += run("SQLite, make run's server", url, {}, {"make_run": True, "log_dir": LOGS}, args)
    if args.backend in ("postgresql", "both"):
        with postgres_database() as url, tempfile.TemporaryDirectory(prefix="civic-load-") as tmp:
            prefix = f"civic-load-{uuid.uuid4().hex[:10]}"
            settings = (
                {"CIVIC_REDIS_URL": REDIS_URL, "CIVIC_SOCKETIO_CHANNEL": prefix, "CIVIC_RATELIMIT_KEY_PREFIX": prefix}
                if port_open("127.0.0.1", 6379)
                else {}
            )
            conf = ("-c", str(ROOT / "deploy" / "gunicorn.conf.py"))
            label = "PostgreSQL, gunicorn (deploy/gunicorn.conf.py)" + (" + Redis" if settings else "")
            lost += run(label, url, settings, {"extra_args": conf, "log_dir": LOGS}, args)
    raise SystemExit(1 if lost else 0)


if __name__ == "__main__":
    main()
