"""``bevaka init``."""

from __future__ import annotations

import click

from bevaka.cli.output import emit_json
from bevaka.init import init
from facts.orgs import DEFAULT_ORG


@click.command("init")
@click.argument("folder", default=".", type=click.Path(file_okay=False), metavar="[KATALOG]")
@click.option("--org", default=DEFAULT_ORG, show_default=True, metavar="KOMMUN/NÄMND",
              help="Installationens organisation, t.ex. oxelosund/von.")
@click.option("--force", is_flag=True, help="Skriv över en befintlig config.toml.")
@click.option("--json", "as_json", is_flag=True)
def init_cmd(folder: str, org: str, force: bool, as_json: bool) -> None:
    """Skapa en kommenterad config.toml och en tom databas för en ny installation.

    \b
    Exempel:
        bevaka init /srv/bevaka --org oxelosund/von
    """
    made = init(folder, org, force)
    if as_json:
        emit_json({"config": str(made.config), "database": str(made.database)})
        return
    click.echo(f"Skrev {made.config} och skapade databasen {made.database}. Fyll i [roles] och "
               "[smtp], importera registren med bevaka import och kör bevaka check.")


COMMANDS = [init_cmd]
