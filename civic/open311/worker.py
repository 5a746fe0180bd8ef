"""The embedded default's background job: a daemon thread that sends the outbox and syncs statuses.
Deployments with several processes run `flask open311 sync` from cron instead (CIVIC_OPEN311_WORKER=false)."""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask

log = logging.getLogger(__name__)


def start(app: Flask, *, send_every: float = 15.0, sync_every: float = 300.0) -> threading.Thread:
    def run() -> None:
        from civic.open311 import outbox, sync
        from civic.open311.environment import ensure_environment_endpoint

        with app.app_context():
            ensure_environment_endpoint()
        last_sync = 0.0
        while True:
            try:
                with app.test_request_context(base_url=app.config["BASE_URL"]):
                    outbox.process_due()
                    if time.monotonic() - last_sync >= sync_every:
                        sync.sync_all()
                        last_sync = time.monotonic()
            except Exception:  # noqa: BLE001 - the loop must survive a bad tick; the error is logged
                log.exception("open311 background job failed")
            time.sleep(send_every)

    thread = threading.Thread(target=run, name="open311-worker", daemon=True)
    thread.start()
    return thread
