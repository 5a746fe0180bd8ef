"""Flask commands: `flask demo seed`, `flask categories defaults`, `flask users create-admin EMAIL`,
`flask notifications digest`, `flask events remind`, `flask open311 ...`."""
from __future__ import annotations

import click
from sqlalchemy import func, select

from civic import demo
from civic.accounts import services
from civic.accounts.models import User
from civic.database import UnitOfWorkGroup as AppGroup
from civic.errors import DomainError
from civic.extensions import db
from civic.issues.catalog import ensure_categories

demo_cli = AppGroup("demo", help="Demo data for a first look at civic.")
users_cli = AppGroup("users", help="Manage user accounts.")
categories_cli = AppGroup("categories", help="The city's service list.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--issues", "issue_count", type=click.IntRange(0, 5_000_000), default=0,
              help="Also generate this many issues (with votes, comments and status history).")
@click.option("--citywide/--neighbourhood", default=None,
              help="Spread issues over the whole city (default above 2,000 issues) or around the demo neighbourhood.")
def seed(if_empty: bool, issue_count: int, citywide: bool | None) -> None:
    """A demo neighbourhood: residents, a liaison, a verified staff member, an admin, and issues."""
    has_users = bool(db.session.scalar(select(func.count()).select_from(User)))
    if has_users and if_empty:
        click.echo("Database already has users: demo seed skipped.")
        return
    if not has_users:
        credentials = demo.seed_people()
        click.echo("Demo neighbourhood seeded. Sign in with (shown once, not stored anywhere):")
        for email, password, role in credentials:
            click.echo(f"  {email:<22} {password:<14} {role}")
    if issue_count:
        demo.seed_issues(issue_count, citywide=citywide)
        click.echo(f"Added {issue_count} issues.")


@categories_cli.command("defaults")
def categories_defaults() -> None:
    """Create the default departments and service categories that are missing (safe to run again)."""
    categories = ensure_categories()
    click.echo(f"{len(categories)} categories ready.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.password_option(help="Asked for when not given; used only when the account is new.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first admin (or promote an existing account to admin)."""
    try:
        user = services.create_admin(email, password, display_name=name)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.email} is an administrator.")


notifications_cli = AppGroup("notifications", help="Notification e-mail.")


@notifications_cli.command("digest")
def send_digest() -> None:
    """Send the daily digest to everyone who chose it (run once a day from cron; safe to repeat)."""
    from flask import current_app

    from civic.notifications.email import send_digests

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        sent = send_digests()
    click.echo(f"Sent {sent} digest e-mail(s).")


events_cli = AppGroup("events", help="Clean-up events.")


@events_cli.command("remind")
def events_remind() -> None:
    """Remind everyone going to an event that starts within 24 hours (run hourly from cron; safe to repeat,
    and safe in several processes: each reminder goes out once)."""
    from flask import current_app

    from civic.events.reminders import send_due_reminders

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        sent = send_due_reminders()
    click.echo(f"Sent {sent} reminder(s).")


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


jobs_cli = AppGroup("jobs", help="Background work: 311 outbox and sync, event reminders, daily digests.")


@jobs_cli.command("run")
@click.option("--once", is_flag=True, help="Run what is due now, then stop (for cron).")
def jobs_run(once: bool) -> None:
    """Run the background jobs: as the single scheduler of a deployment (CIVIC_BACKGROUND_JOBS=false on
    the servers), or beside servers that run it too: each job runs once per period across all of them."""
    from flask import current_app

    from civic import jobs

    if not once:
        jobs.run_forever(current_app._get_current_object())
        return
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        ran = jobs.run_due()
    click.echo(f"Ran: {', '.join(ran)}." if ran else "Nothing was due.")


@jobs_cli.command("status")
def jobs_status() -> None:
    """When each job last ran, where, and when it is next due."""
    from civic import jobs

    for lease in jobs.leases():
        click.echo(f"{lease.name:<16} runs {lease.runs:<6} last {lease.last_started_at:%Y-%m-%d %H:%M:%S} "
                   f"by {lease.last_holder}   next {lease.due_at:%Y-%m-%d %H:%M:%S} UTC")
