"""`flask geo import-streets FILE`: the city's street centreline into the gazetteer; `flask geo load-population
FILE.csv`: residents per neighbourhood, for the dashboard's figures per 1,000 residents. (`flask geo
assign-blocks`, which writes issues, is added to this group by civic/issues/cli.py.)"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from civic.database import unit_of_work
from civic.errors import DomainError
from civic.geo.population import load_population
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


@geo_cli.command("load-population")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", help="Where the figures come from, shown on the dashboard (default: the file's name).")
def load_population_command(file: Path, source: str | None) -> None:
    """Replace the neighbourhoods' populations with FILE, a CSV of neighbourhood (name or slug) and population."""
    try:
        with unit_of_work():
            result = load_population(file, source)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Loaded the population of {result.loaded} neighbourhoods from {file.name}.")
    skipped = sum(result.skipped.values())
    if skipped:
        reasons = "; ".join(
            f"{n} with {why} ({', '.join(repr(v) for v in result.examples.get(why, []))})"
            for why, n in result.skipped.most_common()
        )
        click.echo(f"Skipped {skipped} rows: {reasons}.")
    else:
        click.echo("Skipped no rows.")
