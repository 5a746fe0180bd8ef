"""Flask commands: `flask demo seed`, `flask categories defaults`, `flask users create-admin EMAIL`,
`flask notifications digest`, `flask events remind` (`flask open311 ...` is civic/city311/cli.py's)."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from civic import demo
from civic.accounts import services
from civic.accounts.models import User
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
