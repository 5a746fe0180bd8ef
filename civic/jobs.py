"""Periodic background work (311 outbox and status sync, event reminders, daily digests), run exactly once
per period however many processes run the scheduler.

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

from flask import Flask, current_app
from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from civic.database import UTCDateTime, insert_ignoring_duplicates, utcnow
from civic.extensions import db
from civic.extensions import Model

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"
TICK_SECONDS = 15.0  # how often the scheduler looks for due jobs


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


def default_jobs(app: Flask) -> list[Job]:
    from civic.events.reminders import send_due_reminders
    from civic.notifications.email import send_digests
    from civic.open311 import outbox, sync

    cfg = app.config
    return [
        Job("open311-outbox", outbox.process_due, every(cfg.get("OPEN311_SEND_SECONDS", 15))),
        Job("open311-sync", sync.sync_all, every(cfg.get("OPEN311_SYNC_SECONDS", 300))),
        Job("event-reminders", send_due_reminders, every(cfg.get("EVENT_REMINDER_SECONDS", 900))),
        Job("daily-digest", send_digests, daily_at(cfg.get("DIGEST_HOUR", 7), cfg["BABEL_DEFAULT_TIMEZONE"])),
    ]


def claim(job: Job, now: datetime) -> bool:
    """True for exactly one caller per period, across processes: the one whose UPDATE moved `due_at`."""
    db.session.execute(insert_ignoring_duplicates(JobLease, name=job.name, due_at=now, runs=0))
    moved = db.session.execute(
        update(JobLease).where(JobLease.name == job.name, JobLease.due_at <= now)
        .values(due_at=job.next_due(now), runs=JobLease.runs + 1, last_holder=HOLDER, last_started_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return moved == 1


def run_due(jobs: Sequence[Job] | None = None, now: datetime | None = None) -> list[str]:
    """Run every job that is due and that this process wins; return their names. A failing job is
    logged and does not stop the others."""
    ran = []
    for job in jobs if jobs is not None else default_jobs(current_app):
        if not claim(job, now or utcnow()):
            continue
        ran.append(job.name)
        try:
            job.run()
        except Exception:  # noqa: BLE001 - one bad job must not stop the scheduler; the error is logged
            db.session.rollback()
            log.exception("background job %s failed", job.name)
    return ran


def leases() -> list[JobLease]:
    return list(db.session.scalars(select(JobLease).order_by(JobLease.name)))


def run_forever(app: Flask, tick: float = TICK_SECONDS, stop: threading.Event | None = None) -> None:
    """The scheduler loop: due jobs every `tick` seconds, inside a request context (jobs build links)."""
    from civic.open311.environment import ensure_environment_endpoint

    stop = stop or threading.Event()
    endpoint_ready = False
    while not stop.is_set():
        try:
            with app.test_request_context(base_url=app.config["BASE_URL"]):
                if not endpoint_ready:  # processes starting together may race to create it: retried
                    ensure_environment_endpoint()
                    endpoint_ready = True
                run_due()
        except Exception:  # noqa: BLE001 - the loop must survive a bad tick (database away); logged
            log.exception("background jobs failed")
        stop.wait(tick)


def start(app: Flask) -> threading.Thread:
    """The scheduler on a daemon thread of this server process (wsgi.py); safe in every process."""
    thread = threading.Thread(target=run_forever, args=(app,), name="civic-jobs", daemon=True)
    thread.start()
    return thread

