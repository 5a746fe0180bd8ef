"""`flask open311 ...`: connect the city's endpoint, fetch its service list, send the outbox and sync now.

Each command is one unit of work (civic.database.unit_of_work) or, for the send and sync, the job code's
own (civic/city311/sending.py and sync.py commit step by step). civic's own GeoReport endpoint adds
`create-api-key` to this group (civic/georeport/cli.py). The pretend city for demos is not part of civic:
`python -m tools.pretend_city --connect`.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from civic import jobs
from civic.database import unit_of_work
from civic.extensions import db

open311_cli = AppGroup("open311", help="The city's 311 system (Open311 GeoReport v2).")


def register_jobs(app: Flask) -> None:
    """Send the outbox, bring statuses back; the scheduler first makes sure the endpoint named by the
    environment exists."""
    from civic.city311 import sending, sync
    from civic.city311.environment import ensure_environment_endpoint
    from civic.city311.outbox import SEND_JOB

    cfg = app.config
    jobs.register(app, jobs.Job(SEND_JOB, sending.process_due, jobs.every(cfg.get("OPEN311_SEND_SECONDS", 15))))
    jobs.register(app, jobs.Job("open311-sync", sync.sync_all, jobs.every(cfg.get("OPEN311_SYNC_SECONDS", 300))))
    jobs.at_start(app, ensure_environment_endpoint)


@open311_cli.command("add-endpoint")
@click.argument("name")
@click.argument("base_url")
@click.option("--api-key", envvar="CIVIC_OPEN311_API_KEY", default=None)
@click.option("--jurisdiction", default=None)
@click.option("--format", "fmt", type=click.Choice(["json", "xml"]), default="json", show_default=True)
@click.option("--page-size", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--needs-address", is_flag=True, help="The city wants address_string as well as lat/long.")
def add_endpoint(name, base_url, api_key, jurisdiction, fmt, page_size, needs_address) -> None:
    """Connect a city endpoint (BASE_URL is the part before services.json)."""
    from civic.city311.environment import save_endpoint

    with unit_of_work():
        save_endpoint(
            name,
            base_url,
            api_key=api_key,
            jurisdiction_id=jurisdiction,
            fmt=fmt,
            page_size=page_size,
            needs_address=needs_address,
        )
    click.echo(f"Endpoint {name} saved.")


@open311_cli.command("services")
def open311_services() -> None:
    """Fetch each endpoint's service list (and definitions) and map services to categories."""
    from civic.city311.environment import ensure_environment_endpoint
    from civic.city311.models import Endpoint
    from civic.city311.services_list import refresh

    with unit_of_work():
        ensure_environment_endpoint()
        for endpoint in db.session.scalars(select(Endpoint).where(Endpoint.active.is_(True))):
            for service in refresh(endpoint):
                mapped = service.category.slug if service.category else "(not mapped)"
                click.echo(f"{endpoint.name}: {service.service_code:<20} {service.service_name:<30} -> {mapped}")


@open311_cli.command("sync")
@click.option("--now", "waiting_too", is_flag=True, help="Also try the submissions backing off, not only those due.")
def open311_sync(waiting_too: bool) -> None:
    """Send the outbox and bring the city's statuses back (run from cron when the worker is off)."""
    from civic.city311 import sending, sync

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        sent = sending.process_due(waiting_too=waiting_too)
        changed = sync.sync_all()
    click.echo(f"Tried {sent} submission(s); {changed} ticket change(s) applied.")


@open311_cli.command("sandbox", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def open311_sandbox() -> None:
    """Moved: the pretend city is a tool of the repository now (tools/pretend_city)."""
    click.echo(
        "The pretend city is not part of civic any more. From the repository, run:\n"
        "  python -m tools.pretend_city --port 8311 --connect"
    )
