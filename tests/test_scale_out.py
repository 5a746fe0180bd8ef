"""Scale-out that is real: two gunicorn processes (gevent workers, started with deploy/gunicorn.conf.py)
on the same PostgreSQL database and the same Redis behave as one site.

- writes are shared: an issue reported through one process is read and answered through the other;
- rate limits are shared: one budget, spent by requests split across both processes;
- live events are shared: a Socket.IO client of one process hears an upvote made through the other, over
  WebSocket and over long-polling;
- the background jobs' scheduler runs on a greenlet in both, and each job ran once between them.
Also the deploy/ examples: gunicorn.conf.py resolves to the settings this depends on, and civic.env.example
names only variables civic reads.

Real processes, HTTP and Socket.IO clients; a throw-away PostgreSQL database, and Redis keys and a Socket.IO
channel under a prefix of this run's own (deleted afterwards). Runs once, in the default (SQLite) pass: it
brings its own PostgreSQL database, so the `--db=postgresql` pass would only repeat it.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest
import redis
import socketio
import sqlalchemy as sa

from civic import ROOT
from civic.database import unit_of_work
from tests.conftest import FISHTOWN, build_app, migrate_database
from tests.servers import GUNICORN, Server, serve, server_env
from tests.services import POSTGRES_URL, REDIS_URL, require_postgres, require_redis

# Its servers use a PostgreSQL database made here, whatever --db says: `make test` runs it once, in the
# default pass, and leaves it out of the PostgreSQL pass.
pytestmark = pytest.mark.own_database

WRITE_LIMIT = 3  # CIVIC_API_WRITE_RATE_LIMIT for both processes: every API write draws from it
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
USERS = ("reporter", "neighbour", "spender", "voter_a", "voter_b")


@dataclass
class Cluster:
    a: Server
    b: Server
    tokens: dict[str, str]  # user name -> bearer token
    category_id: int
    issue_id: int  # an open issue made before the servers started, for the live tests
    prefix: str  # this run's Socket.IO channel and rate-limit key prefix in Redis
    database_url: str
    listening: set[str] = field(default_factory=set)  # processes that have had a Socket.IO client

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


# --- the cluster: a fresh database, two processes -------------------------------------------------


@contextlib.contextmanager
def fresh_postgres_database():
    name = f"civic_scaleout_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str) -> tuple[dict[str, str], int, int]:
    """Users with API tokens, the city's categories and one issue, written directly (not through a server)."""
    from civic.accounts import services as accounts
    from civic.accounts.models import User
    from civic.api.tokens import create_token
    from civic.extensions import db
    from civic.issues import services as issues
    from civic.issues.catalog import ensure_categories

    app = build_app(url, RATELIMIT_ENABLED=False)
    with app.test_request_context(), unit_of_work():
        category_id = ensure_categories()["pothole"].id
        tokens = {}
        for name in USERS:
            user = accounts.register_user(name.replace("_", " ").title(), f"{name}@example.org", "pw-" + name * 3)
            tokens[name] = create_token(user, "scale-out test")[1]
        reporter = db.session.scalar(sa.select(User).where(User.email == "reporter@example.org"))
        issue = issues.report_issue(
            reporter,
            issues.IssueDraft(
                category_id=category_id,
                title="Streetlight out",
                description="Dark since Monday.",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
            ),
            (),
        )
        issue_id = issue.id
    with app.app_context():
        db.engine.dispose()  # after the unit of work has committed and given its connection back
    return tokens, category_id, issue_id


def redis_keys(prefix: str) -> list[bytes]:
    with contextlib.closing(redis.Redis.from_url(REDIS_URL)) as client:
        return list(client.scan_iter(match=f"*{prefix}*", count=500))


def forget_redis_keys(prefix: str) -> None:
    if keys := redis_keys(prefix):
        with contextlib.closing(redis.Redis.from_url(REDIS_URL)) as client:
            client.delete(*keys)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Cluster:
    require_postgres()
    require_redis()
    prefix = f"civic-scaleout-{uuid.uuid4().hex[:10]}"
    logs = tmp_path_factory.mktemp("gunicorn")
    with fresh_postgres_database() as url:
        migrate_database(url)
        tokens, category_id, issue_id = seed(url)
        settings = {
            "CIVIC_DATABASE_URL": url,
            "CIVIC_REDIS_URL": REDIS_URL,
            "CIVIC_SOCKETIO_CHANNEL": prefix,  # Socket.IO pub/sub channel of this run only
            "CIVIC_RATELIMIT_KEY_PREFIX": prefix,  # rate-limit counters of this run only
            "CIVIC_API_WRITE_RATE_LIMIT": f"{WRITE_LIMIT} per minute",
            # Every process runs the background jobs' scheduler (civic/jobs.py), as in a deployment.
            "CIVIC_BACKGROUND_JOBS": "true",
        }
        conf = ("-c", str(GUNICORN_CONF))
        try:
            with (
                serve(settings, log_dir=logs, extra_args=conf) as a,
                serve(settings, log_dir=logs, extra_args=conf) as b,
            ):
                yield Cluster(a, b, tokens, category_id, issue_id, prefix=prefix, database_url=url)
        finally:
            forget_redis_keys(prefix)


def assert_no_errors(*servers: Server) -> None:
    for server in servers:
        log = server.output()
        assert "Traceback" not in log and "ERROR" not in log, log[-4000:]


# --- the configuration an operator uses -----------------------------------------------------------


def test_the_deploy_configuration_runs_one_gevent_worker_per_process_from_anywhere(tmp_path):
    """The settings scale-out depends on (the servers below also start with this file)."""
    shown = subprocess.run(
        [str(GUNICORN), "--print-config", "-c", str(GUNICORN_CONF)],
        cwd=tmp_path,
        env=server_env({}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    settings = dict(
        tuple(part.strip() for part in line.split("=", 1)) for line in shown.stdout.splitlines() if "=" in line
    )
    assert settings["worker_class"] == "gevent" and settings["workers"] == "1"  # sticky sessions need one
    assert settings["preload_app"] == "False"  # the app is imported after gevent's monkey-patching
    assert settings["wsgi_app"] == "wsgi:app" and settings["chdir"] == str(ROOT)


def test_every_variable_of_the_environment_example_is_one_civic_reads():
    from flask import Flask

    from civic.config import Config

    example = (ROOT / "deploy" / "civic.env.example").read_text()
    names = re.findall(r"^#?\s*CIVIC_([A-Z0-9_]+)=", example, re.MULTILINE)
    source = "\n".join(path.read_text() for path in (ROOT / "civic").rglob("*.py"))
    unknown = [n for n in names if not (hasattr(Config, n) or n in Flask.default_config or f'"{n}"' in source)]
    assert len(names) >= 8 and not unknown


# --- writes -------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
def test_an_issue_reported_through_one_process_is_read_and_answered_through_the_other(cluster):
    a, b = cluster.a, cluster.b
    reported = httpx.post(
        f"{a.url}/api/v1/issues",
        headers=cluster.auth("reporter"),
        timeout=10,
        json={
            "category_id": cluster.category_id,
            "title": "Pothole on Frankford Ave",
            "description": "Two wheels lost this week.",
            "lat": FISHTOWN[0],
            "lon": FISHTOWN[1],
        },
    )
    assert reported.status_code == 201, reported.text
    issue_id = reported.json()["properties"]["id"]

    seen = httpx.get(f"{b.url}/api/v1/issues/{issue_id}", timeout=10)
    assert seen.status_code == 200 and seen.json()["properties"]["title"] == "Pothole on Frankford Ave"

    comment = httpx.post(
        f"{b.url}/api/v1/issues/{issue_id}/comments",
        headers=cluster.auth("neighbour"),
        json={"body": "Same here, nearly lost a tyre."},
        timeout=10,
    )
    assert comment.status_code == 201, comment.text
    thread = httpx.get(f"{a.url}/api/v1/issues/{issue_id}/comments", timeout=10).json()
    assert [c["body"] for c in thread["items"]] == ["Same here, nearly lost a tyre."]
    assert_no_errors(a, b)


# --- rate limits --------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
def test_one_write_budget_is_spent_across_both_processes(cluster):
    a, b = cluster.a, cluster.b

    def comment(server: Server, n: int) -> httpx.Response:
        return httpx.post(
            f"{server.url}/api/v1/issues/{cluster.issue_id}/comments",
            headers=cluster.auth("spender"),
            json={"body": f"Comment {n}"},
            timeout=10,
        )

    # A, B, A: three writes. Counted per process, B would have spent only one of its own three.
    for n, server in enumerate((a, b, a), start=1):
        assert comment(server, n).status_code == 201
    for n, server in enumerate((b, a), start=4):
        refused = comment(server, n)
        assert refused.status_code == 429, (server.url, refused.text)
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60

    thread = httpx.get(f"{b.url}/api/v1/issues/{cluster.issue_id}/comments", timeout=10).json()
    assert [c["body"] for c in thread["items"] if c["body"].startswith("Comment ")] == [
        "Comment 1",
        "Comment 2",
        "Comment 3",
    ]  # the refused ones wrote nothing
    assert redis_keys(cluster.prefix)  # the counts are in Redis, under this run's prefix
    # Another person's budget is untouched, on either process.
    other = httpx.post(
        f"{b.url}/api/v1/issues/{cluster.issue_id}/comments",
        headers=cluster.auth("neighbour"),
        json={"body": "Still allowed"},
        timeout=10,
    )
    assert other.status_code == 201
    assert_no_errors(a, b)


# --- live events --------------------------------------------------------------------------------


def wait_for_subscribers(channel: str, count: int, timeout: float = 10.0) -> None:
    """A process subscribes to the Socket.IO channel when its first client connects, in the background;
    wait until `count` processes listen, so an event published now cannot be missed."""
    with contextlib.closing(redis.Redis.from_url(REDIS_URL)) as client:
        deadline = time.monotonic() + timeout
        while (subscribers := dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)) < count:
            assert time.monotonic() < deadline, f"{subscribers} of {count} processes listen on {channel}"
            time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize(
    "listen_on, act_on, transport",
    [("b", "a", "websocket"), ("a", "b", "polling")],
    ids=["A-to-B-websocket", "B-to-A-polling"],
)
def test_an_upvote_through_one_process_reaches_a_watcher_on_the_other(cluster, listen_on, act_on, transport):
    listen, act = getattr(cluster, listen_on), getattr(cluster, act_on)
    received, arrived = [], threading.Event()
    client = socketio.Client(reconnection=False)

    @client.on("upvotes")
    def _upvotes(data):
        received.append(data)
        arrived.set()

    client.connect(listen.url, transports=[transport], wait_timeout=10)
    cluster.listening.add(listen_on)
    try:
        assert client.transport() == transport
        assert client.call("watch_issue", {"issue_id": cluster.issue_id}, timeout=10) == {"ok": True}
        wait_for_subscribers(cluster.prefix, len(cluster.listening))
        response = httpx.post(
            f"{act.url}/api/v1/issues/{cluster.issue_id}/upvote",
            headers=cluster.auth(f"voter_{act_on}"),
            json={"upvoted": True},
            timeout=10,
        )
        assert response.status_code == 200 and response.json()["upvoted"] is True, response.text
        assert arrived.wait(timeout=5), f"no upvotes event on {listen_on} for an upvote through {act_on}"
    finally:
        client.disconnect()
    assert received == [{"issue_id": cluster.issue_id, "upvotes": response.json()["upvotes"]}]
    assert_no_errors(cluster.a, cluster.b)


# --- background jobs ----------------------------------------------------------------------------


def worker_pid(server: Server) -> int:
    return int(re.search(r"Booting worker with pid: (\d+)", server.output()).group(1))


@pytest.mark.postgres
@pytest.mark.redis
def test_the_background_jobs_run_under_gevent_once_across_both_processes(cluster):
    """Both processes run the scheduler on a greenlet from their start (wsgi.py); each job with a long period
    ran exactly once, claimed by one of the two (the 15 s outbox may legitimately have run again)."""
    holders = {f"{socket.gethostname()}:{worker_pid(server)}" for server in (cluster.a, cluster.b)}
    engine = sa.create_engine(cluster.database_url)
    try:
        deadline = time.monotonic() + 10
        while True:
            with engine.connect() as conn:
                rows = {r.name: r for r in conn.execute(sa.text("SELECT name, runs, last_holder FROM job_leases"))}
            if {"open311-sync", "event-reminders", "daily-digest"} <= set(rows) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        engine.dispose()
    for name in ("open311-sync", "event-reminders", "daily-digest"):
        assert name in rows, f"{name} never ran: {rows}"
        assert rows[name].runs == 1 and rows[name].last_holder in holders, rows[name]
    assert rows["open311-outbox"].last_holder in holders
    assert_no_errors(cluster.a, cluster.b)
