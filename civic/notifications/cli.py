"""Notification e-mail from the command line and in the background: `flask notifications digest` and the
daily-digest job (registered with civic.jobs by the factory)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from civic import jobs
from civic.database import unit_of_work
from civic.notifications.email import send_digests

notifications_cli = AppGroup("notifications", help="Notification e-mail.")


def register_jobs(app: Flask) -> None:
    jobs.register(
        app,
        jobs.Job(
            "daily-digest",
            send_digests,
            jobs.daily_at(app.config.get("DIGEST_HOUR", 7), app.config["BABEL_DEFAULT_TIMEZONE"]),
        ),
    )


@notifications_cli.command("digest")
def send_digest() -> None:
    """Send the daily digest to everyone who chose it (run once a day from cron; safe to repeat)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), unit_of_work():
        sent = send_digests()
    click.echo(f"Sent {sent} digest e-mail(s).")
