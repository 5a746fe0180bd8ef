"""`flask open311 ...`: the city's 311 system (Open311 GeoReport v2) from the command line. The other
command groups live in their domains (accounts/cli.py, issues/cli.py, notifications/cli.py, events/cli.py,
demo/cli.py, civic/jobs.py), all registered by the factory's `register_commands`."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from civic.accounts import services
from civic.errors import DomainError
from civic.extensions import db

open311_cli = AppGroup("open311", help="The city's 311 system (Open311 GeoReport v2).")


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
    from civic.open311.models import Endpoint

    endpoint = db.session.scalar(select(Endpoint).where(Endpoint.name == name)) or Endpoint(name=name)
    endpoint.base_url, endpoint.api_key, endpoint.jurisdiction_id = base_url, api_key, jurisdiction
    endpoint.format, endpoint.page_size, endpoint.needs_address = fmt, page_size, needs_address
    db.session.add(endpoint)
    db.session.commit()
    click.echo(f"Endpoint {name} saved.")


@open311_cli.command("services")
def open311_services() -> None:
    """Fetch each endpoint's service list (and definitions) and map services to categories."""
    from civic.open311.environment import ensure_environment_endpoint
    from civic.open311.models import Endpoint
    from civic.open311.services_list import refresh

    ensure_environment_endpoint()
    for endpoint in db.session.scalars(select(Endpoint).where(Endpoint.active.is_(True))):
        for service in refresh(endpoint):
            mapped = service.category.slug if service.category else "(not mapped)"
            click.echo(f"{endpoint.name}: {service.service_code:<20} {service.service_name:<30} -> {mapped}")


@open311_cli.command("sync")
def open311_sync() -> None:
    """Send the outbox and bring the city's statuses back (run from cron when the worker is off)."""
    from flask import current_app

    from civic.open311 import outbox, sync

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        sent = outbox.process_due()
        changed = sync.sync_all()
    click.echo(f"Sent {sent} submission(s); {changed} ticket change(s) applied.")


@open311_cli.command("sandbox")
@click.option("--port", type=int, default=8311, show_default=True)
@click.option("--connect/--no-connect", default=True, show_default=True,
              help="Also save it as this app's endpoint and fetch its services.")
def open311_sandbox(port: int, connect: bool) -> None:
    """Run a pretend city 311 server on 127.0.0.1 for demos (Ctrl-C to stop)."""
    import time

    from civic.open311.models import Endpoint
    from civic.open311.sandbox import SandboxCity
    from civic.open311.services_list import refresh

    with SandboxCity(port=port) as city:
        click.echo(f"Sandbox city 311 at {city.base_url} (api_key sandbox-key)")
        if connect:
            endpoint = db.session.scalar(select(Endpoint).where(Endpoint.name == "Sandbox")) or Endpoint(name="Sandbox")
            endpoint.base_url, endpoint.api_key, endpoint.active = city.base_url, "sandbox-key", True
            db.session.add(endpoint)
            db.session.commit()
            click.echo(f"Mapped {sum(1 for s in refresh(endpoint) if s.category_id)} services to categories.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@open311_cli.command("create-api-key")
@click.argument("name")
@click.option("--user", "email", required=True, help="The account whose name the requests are reported under.")
def open311_create_api_key(name: str, email: str) -> None:
    """A key for another 311 app to POST into civic's GeoReport endpoint (shown once)."""
    from civic.open311.keys import create_api_key

    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    try:
        key = create_api_key(name, user)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"API key for {name} (shown once): {key}")
