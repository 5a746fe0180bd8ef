"""`flask categories defaults`: the city's default departments and service categories."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from civic.database import unit_of_work
from civic.issues.catalog import ensure_categories

categories_cli = AppGroup("categories", help="The city's service list.")


@categories_cli.command("defaults")
def categories_defaults() -> None:
    """Create the default departments and service categories that are missing (safe to run again)."""
    with unit_of_work():
        categories = ensure_categories()
    click.echo(f"{len(categories)} categories ready.")
