"""``bevaka import``."""

from __future__ import annotations

import click

from bevaka.cli.context import Ctx, global_options, org_option, pass_ctx
from bevaka.cli.output import emit_json
from facts.types import FACT_TYPES


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--kind", type=click.Choice(sorted(t.table for t in FACT_TYPES.values())),
              help="Vilken sorts register (annars gissas det från rubrikerna).")
@org_option()
@click.option("--json", "as_json", is_flag=True, help="Skriv resultatet som JSON.")
@global_options
@pass_ctx
def import_cmd(obj: Ctx, paths: tuple[str, ...], kind: str | None, org: str | None,
               as_json: bool) -> None:
    """Importera register (CSV, XLSX, YAML) till databasen.

    En fil med någon felaktig rad avvisas helt och inget från den sparas.

    \b
    Exempel:
        bevaka import examples/beslut-2024.xlsx --kind decisions
        bevaka import examples/nykoping-2026.yaml --org nykoping/von
    """
    report = obj.app.import_files(paths, kind=kind, org=org)
    if as_json:
        emit_json([f.__dict__ for f in report.files])
        return
    for f in report.files:
        click.echo(f"{f.path}: {f.rows} rader ({f.kind}), {f.changed} nya/ändrade, "
                   f"{f.unchanged} oförändrade, organisation {f.org}")


COMMANDS = [import_cmd]
