"""The embedded default's background job: a daemon thread that sends the outbox and syncs statuses (and
runs the other periodic jobs it is given).
Deployments with several processes run `flask open311 sync` from cron instead (CIVIC_OPEN311_WORKER=false)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from flask import Flask

log = logging.getLogger(__name__)


def start(app: Flask, *, send_every: float = 15.0, sync_every: float = 300.0,
          also: Sequence[tuple[float, Callable[[], object]]] = ()) -> threading.Thread:
    """`also`: other periodic jobs (every N seconds, a function) run on the same thread, such as the
    events' day-before reminders; each must be safe to run in several processes at once."""

    def run() -> None:
        from civic.open311 import outbox, sync
        from civic.open311.environment import ensure_environment_endpoint

        with app.app_context():
            ensure_environment_endpoint()
        jobs = [(sync_every, sync.sync_all), *also]
        last_run = [0.0] * len(jobs)
        while True:
            try:
                with app.test_request_context(base_url=app.config["BASE_URL"]):
                    outbox.process_due()
                    for n, (every, job) in enumerate(jobs):
                        if time.monotonic() - last_run[n] >= every:
                            last_run[n] = time.monotonic()
                            job()
            except Exception:  # noqa: BLE001 - the loop must survive a bad tick; the error is logged
                log.exception("background job failed")
            time.sleep(send_every)

    thread = threading.Thread(target=run, name="open311-worker", daemon=True)
    thread.start()
    return thread
