"""Background jobs run once per period across processes (civic/jobs.py): leases claimed by threads at the
same instant, then real `flask jobs run --once` processes sending the daily digest through real SMTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from civic import jobs
from civic.database import unit_of_work
from civic.extensions import db
from tests.concurrency import run_together

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_a_job_runs_once_per_period_whoever_asks(app):
    ran: list[datetime] = []
    job = jobs.Job("count", lambda: ran.append(T0), jobs.every(300))

    def scheduler_tick(now):
        def tick():
            with app.app_context(), unit_of_work():
                jobs.run_due([job], now=now)

        return tick

    assert run_together([scheduler_tick(T0) for _ in range(6)]) == []
    assert len(ran) == 1
    assert run_together([scheduler_tick(T0 + timedelta(seconds=299)) for _ in range(6)]) == []
    assert len(ran) == 1  # not due again yet
    assert run_together([scheduler_tick(T0 + timedelta(seconds=300)) for _ in range(6)]) == []
    assert len(ran) == 2
    with app.app_context(), unit_of_work():
        [lease] = jobs.leases()
        assert lease.runs == 2 and lease.due_at == T0 + timedelta(seconds=600)
        assert lease.last_holder.endswith(f":{os.getpid()}")


def test_a_failing_job_does_not_stop_the_others(app):
    ran = []

    def broken():
        raise RuntimeError("the city is down")

    with app.app_context(), unit_of_work():
        names = jobs.run_due(
            [jobs.Job("broken", broken, jobs.every(60)), jobs.Job("fine", lambda: ran.append(1), jobs.every(60))],
            now=T0,
        )
    assert names == ["broken", "fine"] and ran == [1]


def test_each_job_is_one_unit_of_work(app):
    """A job's writes are committed when it ends; a failing job's are rolled back (nothing half-done)."""

    def writes():
        db.session.add(jobs.JobLease(name="written", due_at=T0))

    def fails_halfway():
        db.session.add(jobs.JobLease(name="half-done", due_at=T0))
        db.session.flush()
        raise RuntimeError("the city is down")

    with app.app_context(), unit_of_work():
        jobs.run_due(
            [jobs.Job("fails", fails_halfway, jobs.every(60)), jobs.Job("writes", writes, jobs.every(60))], now=T0
        )
    with app.app_context(), unit_of_work():
        assert db.session.get(jobs.JobLease, "written") is not None
        assert db.session.get(jobs.JobLease, "half-done") is None


def test_domains_register_their_jobs_with_the_app(app):
    """civic/jobs.py names no domain: the factory asks each domain for its jobs."""
    assert [job.name for job in jobs.registered(app)] == [
        "open311-outbox",
        "open311-sync",
        "event-reminders",
        "daily-digest",
    ]


def _loop(app, tick: float) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=jobs.run_forever, args=(app,), kwargs={"tick": tick, "stop": stop}, daemon=True)
    thread.start()
    return thread, stop


def _end(thread: threading.Thread, stop: threading.Event) -> None:
    stop.set()
    jobs.wake()
    thread.join(10)
    assert not thread.is_alive()


def test_wake_runs_a_named_job_at_once_although_its_period_is_not_over(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "civic.jobs", {"jobs": {}, "at_start": []})
    runs, ran = [], threading.Event()

    def ping():
        runs.append(1)
        ran.set()

    jobs.register(app, jobs.Job("ping", ping, jobs.every(3600)))
    thread, stop = _loop(app, tick=3600)  # without a wake-up the loop would sleep for an hour
    assert ran.wait(10)  # the first tick: due, never ran
    ran.clear()
    jobs.wake("ping")
    assert ran.wait(10)  # woken: run now, though it is due again only in an hour
    _end(thread, stop)
    assert len(runs) == 2


def test_the_loop_prepares_before_its_first_jobs_and_retries_until_ready(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "civic.jobs", {"jobs": {}, "at_start": []})
    order, attempts, done = [], [], threading.Event()

    def prepare():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the database is not there yet")
        order.append("prepared")

    def job():
        order.append("job")
        done.set()

    jobs.at_start(app, prepare)
    jobs.register(app, jobs.Job("after-preparing", job, jobs.every(3600)))
    thread, stop = _loop(app, tick=0.05)
    assert done.wait(10)
    _end(thread, stop)
    assert order == ["prepared", "job"] and len(attempts) == 2


def test_the_digest_is_due_each_morning_in_the_citys_time():
    next_due = jobs.daily_at(7, "America/New_York")
    assert next_due(datetime(2026, 11, 25, 11, 0, tzinfo=UTC)) == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert next_due(datetime(2026, 11, 25, 12, 0, tzinfo=UTC)) == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    # Across the change to summer time: still 7:00 on the wall clock, now 11:00 UTC.
    assert next_due(datetime(2027, 3, 13, 13, 0, tzinfo=UTC)) == datetime(2027, 3, 14, 11, 0, tzinfo=UTC)


def test_processes_started_together_send_each_digest_once(app, database_url, smtp_server, make_user, make_issue):
    neighbour = make_user(display_name="Nia")
    readers = [make_user() for _ in range(12)]  # daily digest is the default
    http = app.test_client()
    http.post("/login", data={"email": neighbour.email, "password": neighbour.password})
    for reader in readers:
        issue_id = make_issue(reader)
        assert http.post(f"/issues/{issue_id}/comments", data={"body": "Seen it too"}).status_code == 302

    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    env.update(
        CIVIC_DATABASE_URL=database_url,
        CIVIC_SECRET_KEY="jobs-test",
        CIVIC_MAIL_SERVER=smtp_server.host,
        CIVIC_MAIL_PORT=str(smtp_server.port),
        CIVIC_BASE_URL="https://civic.example",
    )
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run", "--once"]
    processes = [
        subprocess.Popen(flask, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs

    messages = smtp_server.wait_for(len(readers))
    assert sorted(m["To"] for m in messages) == sorted(r.email for r in readers), outputs  # one each, none twice
    assert sum("daily-digest" in out for out in outputs) == 1, outputs
    with app.app_context(), unit_of_work():
        digest = db.session.get(jobs.JobLease, "daily-digest")
        assert digest.runs == 1 and digest.due_at > datetime.now(UTC)
