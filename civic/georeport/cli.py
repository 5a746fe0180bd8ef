"""`flask open311 create-api-key`: a key for another 311 app to POST into civic's GeoReport endpoint.

Added to the city 311 domain's `open311` command group (one `flask open311 ...` for everything 311);
georeport sits above city311, so it is this module that imports the group, never the other way round.
"""

from __future__ import annotations

import click

from civic.city311.cli import open311_cli
from civic.database import unit_of_work
from civic.errors import DomainError


@open311_cli.command("create-api-key")
@click.argument("name")
@click.option("--user", "email", required=True, help="The account whose name the requests are reported under.")
def open311_create_api_key(name: str, email: str) -> None:
    """A key for another 311 app to POST into civic's GeoReport endpoint (shown once)."""
    from civic.accounts import services
    from civic.georeport.keys import create_api_key

    with unit_of_work():
        user = services.find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"No account uses {email}.")
        try:
            key = create_api_key(name, user)
        except DomainError as error:
            raise click.ClickException(error.message) from None
    click.echo(f"API key for {name} (shown once): {key}")
