"""`flask demo seed`: a demo neighbourhood (residents, a liaison, a verified staff member, an admin) and,
on request, any number of issues with votes, comments and status histories."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.demo import seeding
from civic.extensions import db

demo_cli = AppGroup("demo", help="Demo data for a first look at civic.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option(
    "--issues",
    "issue_count",
    type=click.IntRange(0, 5_000_000),
    default=0,
    help="Also generate this many issues (with votes, comments and status history).",
)
@click.option(
    "--citywide/--neighbourhood",
    default=None,
    help="Spread issues over the whole city (default above 2,000 issues) or around the demo neighbourhood.",
)
def seed(if_empty: bool, issue_count: int, citywide: bool | None) -> None:
    """A demo neighbourhood: residents, a liaison, a verified staff member, an admin, and issues."""
    with unit_of_work():
        has_users = bool(db.session.scalar(select(func.count()).select_from(User)))
        if has_users and if_empty:
            click.echo("Database already has users: demo seed skipped.")
            return
        if not has_users:
            credentials = seeding.seed_people()
            click.echo("Demo neighbourhood seeded. Sign in with (shown once, not stored anywhere):")
            for email, password, role in credentials:
                click.echo(f"  {email:<22} {password:<14} {role}")
    if issue_count:
        with unit_of_work():
            seeding.seed_issues(issue_count, citywide=citywide)
        click.echo(f"Added {issue_count} issues.")
