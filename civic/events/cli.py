"""Event reminders from the command line and in the background: `flask events remind` and the
event-reminders job (registered with civic.jobs by the factory)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from civic import jobs
from civic.database import unit_of_work
from civic.events.reminders import send_due_reminders

events_cli = AppGroup("events", help="Clean-up events.")


def register_jobs(app: Flask) -> None:
    jobs.register(
        app, jobs.Job("event-reminders", send_due_reminders, jobs.every(app.config.get("EVENT_REMINDER_SECONDS", 900)))
    )


@events_cli.command("remind")
def events_remind() -> None:
    """Remind everyone going to an event that starts within 24 hours (run hourly from cron; safe to repeat,
    and safe in several processes: each reminder goes out once)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), unit_of_work():
        sent = send_due_reminders()
    click.echo(f"Sent {sent} reminder(s).")
