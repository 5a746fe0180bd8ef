"""Live delivery: how long an upvote takes to reach the open issue pages of N watchers over Socket.IO.

One gunicorn process (1 gevent worker), or two (--processes 2: each its own gunicorn with 1 worker, sharing
Redis through CIVIC_REDIS_URL on a channel of this run's own, and the same database, clients split half and
half). N Socket.IO clients (python-socketio's asyncio client over aiohttp, websocket transport, all in this
one process) connect and send `watch_issue` for the same issue, waiting for its ack. Then K residents who had
not voted for it upvote it through the API on process A with their own bearer tokens ({"upvoted": true}, so
every vote changes the count and is pushed), one at a time. For each (client, upvote) the time runs from
just before the HTTP request is sent to the client's receipt of the "upvotes" event carrying that vote's
count. Prints p50/p95/max, deliveries missed (not there 10 s after the vote) and the time to connect N.
The clients share this process's event loop, so the figures include the time it takes to read N messages.

    .venv/bin/python -m tests.perf.bench_live --clients 1000 --upvotes 20 --processes 1
    .venv/bin/python -m tests.perf.bench_live --clients 1000 --processes 2 --db sqlite:////tmp/civic-bench/civic-100000.db

Without --db a small database (1,000 issues) is built in a temporary directory. The tokens made for the run
are deleted afterwards; the votes stay (a later run picks residents who have not voted yet).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from civic.database import unit_of_work
from tests.perf.bench_map import percentile
from tests.servers import serve
from tests.services import REDIS_URL

TARGET_P95_MS = 500
DELIVERY_TIMEOUT = 10.0  # seconds after a vote before a client that has not heard of it counts as missed
CONNECT_CONCURRENCY = 100  # clients connecting at once


def raise_open_files() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def prepare(url: str, voters: int) -> tuple[int, list[tuple[int, str]]]:
    """An issue to watch, and `voters` residents who have not voted for it, each with a fresh API token."""
    import sqlalchemy as sa

    from civic.accounts.models import Role, User
    from civic.api import tokens
    from civic.extensions import db
    from civic.issues.models import Issue, Upvote
    from tests.conftest import build_app

    app = build_app(url)
    with app.app_context(), unit_of_work():
        issue_id = db.session.scalar(
            sa.select(Issue.id).where(Issue.hidden_at.is_(None)).order_by(Issue.upvote_count, Issue.id).limit(1)
        )
        voted = sa.select(Upvote.user_id).where(Upvote.issue_id == issue_id)
        people = list(
            db.session.scalars(
                sa.select(User)
                .where(User.role == Role.RESIDENT, User.suspended_at.is_(None), User.id.not_in(voted))
                .order_by(User.id)
                .limit(voters)
            )
        )
        if len(people) < voters:
            raise SystemExit(f"only {len(people)} residents have not voted for issue {issue_id}; use fewer --upvotes")
        made = []
        for person in people:
            token, plaintext = tokens.create_token(person, "bench_live")
            made.append((token.id, plaintext))
        db.engine.dispose()
    return issue_id, made


def drop_tokens(url: str, token_ids: list[int]) -> None:
    import sqlalchemy as sa

    from civic.api.models import ApiToken
    from civic.extensions import db
    from tests.conftest import build_app

    with build_app(url).app_context():
        db.session.execute(sa.delete(ApiToken).where(ApiToken.id.in_(token_ids)))
        db.session.commit()
        db.engine.dispose()


class Watchers:
    """N Socket.IO clients watching one issue; when each heard of each upvote count."""

    def __init__(self, count: int):
        self.count = count
        self.heard: list[dict[int, float]] = [{} for _ in range(count)]
        self.tally: collections.Counter[int] = collections.Counter()
        self.all_heard: dict[int, asyncio.Event] = collections.defaultdict(asyncio.Event)
        self.clients = []

    def _listener(self, index: int):
        async def on_upvotes(data):
            at = time.perf_counter()
            upvotes = data.get("upvotes")
            if upvotes in self.heard[index]:
                return
            self.heard[index][upvotes] = at
            self.tally[upvotes] += 1
            if self.tally[upvotes] == self.count:
                self.all_heard[upvotes].set()

        return on_upvotes

    async def connect(self, urls: list[str], issue_id: int) -> list[float]:
        """Connect every client (client i to urls[i % len(urls)]) and watch the issue; each one's seconds."""
        import socketio

        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(index: int) -> float:
            client = socketio.AsyncClient(reconnection=False)
            client.on("upvotes", self._listener(index))
            self.clients.append(client)
            async with gate:
                started = time.perf_counter()
                await client.connect(urls[index % len(urls)], transports=["websocket"], wait_timeout=60)
                ack = await client.call("watch_issue", {"issue_id": issue_id}, timeout=60)
                if ack != {"ok": True}:
                    raise RuntimeError(f"watch_issue answered {ack}")
                return time.perf_counter() - started

        return await asyncio.gather(*(one(i) for i in range(self.count)))

    async def close(self) -> None:
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)


async def run(urls: list[str], issue_id: int, voters: list[str], clients: int, pause: float) -> dict:
    import aiohttp

    watchers = Watchers(clients)
    try:
        started = time.perf_counter()
        each = await watchers.connect(urls, issue_id)
        connect_s = time.perf_counter() - started
        await asyncio.sleep(1)  # let the last joins settle
        # The clients' objects live to the end: out of the collector's sight, so a full collection in this
        # process (200+ ms with 1,000 clients) does not land in the middle of a delivery and count as latency.
        gc.collect()
        gc.freeze()

        latencies, missed, votes, answered = [], 0, [], []
        async with aiohttp.ClientSession() as http:
            for token in voters:
                sent = time.perf_counter()
                async with http.post(
                    f"{urls[0]}/api/v1/issues/{issue_id}/upvote",
                    json={"upvoted": True},
                    headers={"Authorization": f"Bearer {token}"},
                ) as response:
                    body = await response.json()
                    answered.append(time.perf_counter() - sent)
                    if response.status != 200:
                        raise RuntimeError(f"upvote answered {response.status}: {body}")
                count = body["upvotes"]
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(watchers.all_heard[count].wait(), DELIVERY_TIMEOUT)
                heard = [h[count] - sent for h in watchers.heard if count in h]
                missed += clients - len(heard)
                latencies.extend(heard)
                votes.append(max(heard) if heard else float("nan"))
                await asyncio.sleep(pause)
    finally:
        await watchers.close()
    return {
        "connect_s": connect_s,
        "connect_each": each,
        "latencies": latencies,
        "missed": missed,
        "per_vote_max": votes,
        "answered": answered,
    }


@contextlib.contextmanager
def servers(url: str, processes: int, redis_url: str | None):
    from tests.perf.bench_throughput import server_settings

    settings = server_settings(url)  # no rate limits: 20 votes in seconds are not what is measured
    settings["CIVIC_SOCKETIO_CHANNEL"] = f"civic-bench-live-{uuid.uuid4().hex[:12]}"
    if redis_url:
        settings["CIVIC_REDIS_URL"] = redis_url
    extra = ("--worker-connections", "4000")
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(serve(settings, workers=1, extra_args=extra)).url for _ in range(processes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--upvotes", type=int, default=20)
    parser.add_argument("--processes", type=int, choices=(1, 2), default=1)
    parser.add_argument("--db", help="default: a new 1,000-issue SQLite database in a temporary directory")
    parser.add_argument(
        "--redis", default=None, help=f"message queue URL (default: none for 1 process, {REDIS_URL} for 2)"
    )
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between upvotes (default 0.2)")
    args = parser.parse_args()
    redis_url = args.redis or (REDIS_URL if args.processes == 2 else None)
    files = raise_open_files()
    if files < args.clients + 100:
        print(f"warning: open-file limit {files} is low for {args.clients} clients")

    with tempfile.TemporaryDirectory(prefix="civic-live-") as tmp:
        url = args.db
        if not url:
            from tests.perf.generate import build

            url = f"sqlite:///{Path(tmp) / 'civic.db'}"
            build(url, 1000)
        issue_id, made = prepare(url, args.upvotes)
        try:
            with servers(url, args.processes, redis_url) as urls:
                figures = asyncio.run(
                    run(urls, issue_id, [plaintext for _id, plaintext in made], args.clients, args.pause)
                )
        finally:
            drop_tokens(url, [token_id for token_id, _plaintext in made])

    ms = [s * 1000 for s in figures["latencies"]]
    each = [s * 1000 for s in figures["connect_each"]]
    where = f"{args.processes} process{'es' if args.processes > 1 else ''}" + (" via Redis" if redis_url else "")
    print(f"live: {args.clients:,} clients on issue {issue_id}, {args.upvotes} upvotes, {where} ({url.split(':')[0]})")
    print(
        f"  connect + watch {args.clients:,} clients: {figures['connect_s']:.1f} s "
        f"({CONNECT_CONCURRENCY} at a time; each p50 {statistics.median(each):.0f} ms, "
        f"p95 {percentile(each, 95):.0f} ms)"
    )
    if ms:
        p95 = percentile(ms, 95)
        verdict = "ok" if p95 <= TARGET_P95_MS else "MISSED"
        print(
            f"  delivery over {len(ms):,} (client, upvote) pairs: p50 {statistics.median(ms):.0f} ms   "
            f"p95 {p95:.0f} ms   max {max(ms):.0f} ms   (target p95 <= {TARGET_P95_MS} ms: {verdict})"
        )
        slowest = [s * 1000 for s in figures["per_vote_max"] if s == s]  # nan: nobody heard it
        if slowest:
            print(
                f"  last client reached, per upvote: median {statistics.median(slowest):.0f} ms, "
                f"max {max(slowest):.0f} ms"
            )
    answered = [s * 1000 for s in figures["answered"]]
    print(
        f"  the upvote's HTTP answer (process A): p50 {statistics.median(answered):.0f} ms, max {max(answered):.0f} ms"
    )
    print(f"  missed deliveries: {figures['missed']:,} of {args.clients * args.upvotes:,}")


if __name__ == "__main__":
    main()
