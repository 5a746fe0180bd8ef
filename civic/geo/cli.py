"""`flask geo import-streets FILE`: the city's street centreline into the gazetteer. (`flask geo
assign-blocks`, which writes issues, is added to this group by civic/issues/cli.py.)"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from civic.database import unit_of_work
from civic.errors import DomainError
from civic.geo.streets_import import import_streets

geo_cli = AppGroup("geo", help="The city's streets and places.")


@geo_cli.command("import-streets")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_streets_command(file: Path) -> None:
    """Replace the street gazetteer with FILE: the city's street centreline, GeoJSON or CSV."""
    try:
        with unit_of_work():
            result = import_streets(file)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Imported {result.imported} street segments of {result.streets} streets from {file.name}.")
    skipped = sum(result.skipped.values())
    if skipped:
        reasons = ", ".join(f"{n} with {why}" for why, n in result.skipped.most_common())
        click.echo(f"Skipped {skipped} rows: {reasons}.")
    else:
        click.echo("Skipped no rows.")
    click.echo("Run `flask geo assign-blocks` to give existing issues their block.")
