"""Periodic background work, run exactly once per period however many processes run the scheduler; and the
`flask jobs` commands. The kernel knows no domain: each domain registers its jobs with the app
(`register(app, Job(...))`, from the factory's `register_commands`): the 311 outbox and status sync, event
reminders, daily digests. `wake()` makes the scheduler loop run its next tick now (after a commit that queued
work: "send the outbox now").

Every server process may start the scheduler thread (wsgi.py), or one `flask jobs run` process may do it
alone: before a job runs, the process claims its lease with one conditional UPDATE
(`due_at <= now` → `due_at = next time`). The database lets exactly one process win each period, on SQLite
and PostgreSQL alike, with no lock held while the job runs. A process that dies mid-job leaves the period
done; the jobs themselves resume cleanly (the outbox and reminders also claim each row before sending).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from civic import signals
from civic.database import UTCDateTime, insert_ignoring_duplicates, unit_of_work, utcnow
from civic.extensions import Model, db

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"
TICK_SECONDS = 15.0  # how often the scheduler looks for due jobs
_REGISTRY = "civic.jobs"  # app.extensions key: {"jobs": {name: Job}, "at_start": [callables]}

_wakeup = threading.Event()  # set by wake(): the scheduler loop stops waiting for its tick
_woken: set[str] = set()  # jobs to run at the next tick even if their period is not over
_woken_lock = threading.Lock()


class JobLease(Model):
    """One row per job: when it is next due, and which process ran it last."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_holder: Mapped[str | None] = mapped_column(String(120))
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]
    next_due: Callable[[datetime], datetime]  # given the time it ran, when it is due again


def every(seconds: float) -> Callable[[datetime], datetime]:
    return lambda now: now + timedelta(seconds=seconds)


def daily_at(hour: int, tz: str) -> Callable[[datetime], datetime]:
    """The next `hour`:00 in the city's time zone (the digest goes out once a day, in the morning)."""
    zone = ZoneInfo(tz)

    def next_due(now: datetime) -> datetime:
        local = now.astimezone(zone)
        due = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        if due <= local:
            due = (due + timedelta(days=1)).replace(hour=hour)  # the wall-clock hour, across a DST change
        return due

    return next_due


# --- the registry: what each domain brings ------------------------------------------------------


def _registry(app: Flask) -> dict:
    return app.extensions.setdefault(_REGISTRY, {"jobs": {}, "at_start": []})


def register(app: Flask, job: Job) -> Job:
    """A domain's periodic job, run by every scheduler of this app (one process per period)."""
    _registry(app)["jobs"][job.name] = job
    return job


def at_start(app: Flask, prepare: Callable[[], object]) -> None:
    """Work the scheduler loop does once before its first jobs (retried each tick until it succeeds)."""
    _registry(app)["at_start"].append(prepare)


def registered(app: Flask) -> list[Job]:
    return list(_registry(app)["jobs"].values())


def wake(*names: str) -> None:
    """Make the scheduler loop of this process run its next tick now. The named jobs run then even if their
    period is not over: name only jobs that claim each row they work on (the 311 outbox), so running them
    in several processes at once is safe. Call it from `civic.database.on_commit`, so a rolled-back change
    wakes nothing."""
    with _woken_lock:
        _woken.update(names)
    _wakeup.set()


def _take_woken() -> set[str]:
    with _woken_lock:
        names = set(_woken)
        _woken.clear()
    return names


# --- running ------------------------------------------------------------------------------------


def claim(job: Job, now: datetime) -> bool:
    """True for exactly one caller per period, across processes: the one whose UPDATE moved `due_at`."""
    with unit_of_work() as session:
        session.execute(insert_ignoring_duplicates(JobLease, name=job.name, due_at=now, runs=0))
        moved = session.execute(
            update(JobLease)
            .where(JobLease.name == job.name, JobLease.due_at <= now)
            .values(due_at=job.next_due(now), runs=JobLease.runs + 1, last_holder=HOLDER, last_started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
    return moved == 1


def run_due(
    jobs: Sequence[Job] | None = None, now: datetime | None = None, woken: frozenset[str] | set[str] = frozenset()
) -> list[str]:
    """Run every job that is due and that this process wins (and the `woken` ones, due or not); return
    their names. Each job is one unit of work; a failing job is rolled back, logged, and does not stop
    the others."""
    ran = []
    for job in jobs if jobs is not None else registered(current_app):
        if not claim(job, now or utcnow()) and job.name not in woken:
            continue
        ran.append(job.name)
        try:
            with unit_of_work():
                job.run()
        except Exception:  # one bad job must not stop the scheduler; the error is logged
            log.exception("background job %s failed", job.name)
    return ran


def leases() -> list[JobLease]:
    return list(db.session.scalars(select(JobLease).order_by(JobLease.name)))


def run_forever(app: Flask, tick: float = TICK_SECONDS, stop: threading.Event | None = None) -> None:
    """The scheduler loop: due jobs every `tick` seconds (sooner when woken), inside a request context (jobs
    build links). To end it, set `stop` and `wake()` it."""
    stop = stop or threading.Event()
    preparations = list(_registry(app)["at_start"])
    while not stop.is_set():
        _wakeup.clear()  # a wake() from here on cuts the next wait short
        woken = _take_woken()
        try:
            with app.test_request_context(base_url=app.config["BASE_URL"]):
                while preparations:  # processes starting together may race (one creates, one fails): retried
                    with unit_of_work():
                        preparations[0]()
                    preparations.pop(0)
                run_due(woken=woken)
        except Exception:  # the loop must survive a bad tick (database away); logged
            log.exception("background jobs failed")
        if stop.is_set():
            break
        _wakeup.wait(tick)


def start(app: Flask) -> threading.Thread:
    """The scheduler on a daemon thread of this server process (wsgi.py); safe in every process."""
    thread = threading.Thread(target=run_forever, args=(app,), name="civic-jobs", daemon=True)
    thread.start()
    return thread


# --- commands ------------------------------------------------------------------------------------

cli = AppGroup("jobs", help="Background work: 311 outbox and sync, event reminders, daily digests.")


@cli.command("run")
@click.option("--once", is_flag=True, help="Run what is due now, then stop (for cron).")
def jobs_run(once: bool) -> None:
    """Run the background jobs: as the single scheduler of a deployment (CIVIC_BACKGROUND_JOBS=false on
    the servers), or beside servers that run it too: each job runs once per period across all of them."""
    if not once:
        run_forever(signals.sender())
        return
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        ran = run_due()
    click.echo(f"Ran: {', '.join(ran)}." if ran else "Nothing was due.")


@cli.command("status")
def jobs_status() -> None:
    """When each job last ran, where, and when it is next due."""
    with unit_of_work():
        for lease in leases():
            click.echo(
                f"{lease.name:<16} runs {lease.runs:<6} last {lease.last_started_at:%Y-%m-%d %H:%M:%S} "
                f"by {lease.last_holder}   next {lease.due_at:%Y-%m-%d %H:%M:%S} UTC"
            )
