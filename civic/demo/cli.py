"""`flask demo seed`: a demo neighbourhood (residents, a liaison, a verified staff member, an admin) and,
on request, any number of issues with votes, comments and status histories; on the first seed, also the
demo's mission (unless --no-mission): clean-up events with their reports (cleanups.py) and, when a city 311
endpoint is connected, the open issues sent to it (tickets.py). The issues themselves stay a fast bulk
write (seeding.py; tests/perf builds a million with it); the mission is a separate step after them."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.demo import cleanups, liaison, seeding, tickets
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
@click.option(
    "--mission/--no-mission",
    default=True,
    help="On the first seed, also add clean-up events (upcoming and past, with reports) and send the open "
    "issues to the city's 311 when one is connected (default: on).",
)
def seed(if_empty: bool, issue_count: int, citywide: bool | None, mission: bool) -> None:
    """A demo neighbourhood: residents, a liaison, a verified staff member, an admin, issues, clean-ups."""
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
    if mission and not has_users:
        seed_mission()


def seed_mission() -> None:
    """The clean-ups, then the 311 tickets (issues fixed by the neighbourhood are not sent to the city)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        with unit_of_work():
            events = cleanups.seed_events()
            fixed = len(cleanups.community_fixed_issue_ids())
            for_others = liaison.seed_reports_for_others()
        click.echo(f"Added {len(events)} clean-up events ({fixed} issues fixed by the neighbourhood).")
        click.echo(f"The liaison filed {for_others} reports for neighbours without internet.")
        sent = tickets.send_open_issues()
    if sent:
        click.echo(f"Sent {sent} open issues to the city's 311: they carry its ticket numbers.")
