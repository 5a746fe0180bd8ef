"""`flask categories defaults`: the city's default departments and service categories; `flask geo
assign-blocks`: every issue's nearest block, once the city's streets are imported."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from civic.database import unit_of_work
from civic.geo.cli import geo_cli
from civic.issues.catalog import ensure_categories
from civic.issues.places import ASSIGN_BATCH, assign_blocks

categories_cli = AppGroup("categories", help="The city's service list.")


@categories_cli.command("defaults")
def categories_defaults() -> None:
    """Create the default departments and service categories that are missing (safe to run again)."""
    with unit_of_work():
        categories = ensure_categories()
    click.echo(f"{len(categories)} categories ready.")


@geo_cli.command("assign-blocks")
@click.option("--batch", default=ASSIGN_BATCH, show_default=True, help="Issues read and written at a time.")
def assign_blocks_command(batch: int) -> None:
    """Store each issue's nearest block from the street gazetteer (run after `flask geo import-streets`)."""
    with unit_of_work():
        assigned = assign_blocks(batch=batch)
    click.echo(f"{assigned} issues are on a known block.")
