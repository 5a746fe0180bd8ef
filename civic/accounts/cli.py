"""`flask users create-admin EMAIL`: the first administrator, or an existing account promoted."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from civic.accounts import services
from civic.database import unit_of_work
from civic.errors import DomainError

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.password_option(help="Asked for when not given; used only when the account is new.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first admin (or promote an existing account to admin)."""
    try:
        with unit_of_work():
            user = services.create_admin(email, password, display_name=name)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.email} is an administrator.")
