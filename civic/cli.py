"""Flask commands: `flask demo seed`, `flask users create-admin EMAIL`."""
from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from civic.accounts import services
from civic.accounts.models import Department, Role, User
from civic.database import utcnow
from civic.errors import DomainError
from civic.extensions import db
from civic.geo import neighbourhoods

demo_cli = AppGroup("demo", help="Demo data for a first look at civic.")
users_cli = AppGroup("users", help="Manage user accounts.")

DEPARTMENTS = [
    ("streets", "Streets Department"),
    ("sanitation", "Sanitation"),
    ("licenses-inspections", "Licenses & Inspections"),
    ("parks-recreation", "Parks & Recreation"),
    ("police-traffic", "Police — Traffic Unit"),
]

DEMO_HOOD = "fishtown"  # the demo neighbourhood; its residents live there


def _ensure_departments() -> dict[str, Department]:
    existing = {d.slug: d for d in db.session.scalars(select(Department))}
    for slug, name in DEPARTMENTS:
        if slug not in existing:
            existing[slug] = Department(slug=slug, name=name)
            db.session.add(existing[slug])
    db.session.commit()
    return existing


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed(if_empty: bool) -> None:
    """A small demo neighbourhood: residents, a verified staff member, an admin."""
    if db.session.scalar(select(func.count()).select_from(User)):
        if if_empty:
            click.echo("Database already has users: demo seed skipped.")
            return
        raise click.ClickException("The database already has users; demo seed only fills an empty one.")
    departments = _ensure_departments()
    hood = neighbourhoods.by_slug(DEMO_HOOD) or neighbourhoods.all_neighbourhoods()[0]
    lat, lon = hood.centre
    people = [
        ("Alex Rivera", "alex@demo.civic", Role.RESIDENT, None),
        ("Bea Okafor", "bea@demo.civic", Role.RESIDENT, None),
        ("Carmen Ruiz", "carmen@demo.civic", Role.LIAISON, None),
        ("Dana Streets", "dana@demo.civic", Role.STAFF, "streets"),
        ("Admin", "admin@demo.civic", Role.ADMIN, None),
    ]
    credentials = []
    for name, email, role, dept in people:
        password = secrets.token_urlsafe(9)
        user = services.register_user(name, email, password, locale="es" if name == "Carmen Ruiz" else None)
        user.role = role
        user.department = departments[dept] if dept else None
        if role.needs_verification:
            user.verified_at = utcnow()
        user.home_neighbourhood, user.home_lat, user.home_lon = hood.slug, lat, lon
        credentials.append((email, password, role.value))
    db.session.commit()
    click.echo(f"Demo neighbourhood: {hood.name}. Sign in with (shown once, not stored anywhere):")
    for email, password, role in credentials:
        click.echo(f"  {email:<22} {password:<14} {role}")


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
