"""``bevaka import``."""

from __future__ import annotations

from datetime import date

import click

from bevaka.cli.context import Ctx, global_options, org_option, pass_ctx
from bevaka.cli.output import emit_json
from facts.dates import DateParseError, parse_date
from facts.errors import UserError
from facts.types import FACT_TYPES


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--kind", metavar="TYP",
              help="Vilken sorts register (annars gissas det från rubrikerna): "
                   + ", ".join(sorted(t.table for t in FACT_TYPES.values())) + ".")
@click.option("--sheet", metavar="BLAD",
              help="XLSX: bladet att läsa, med namn eller nummer (annars det första vars "
                   "rubriker passar).")
@click.option("--list-date", "list_date", metavar="ÅÅÅÅ-MM-DD",
              help="Listans datum när filen saknar en datumkolumn (annars ur en rubrikrad "
                   "eller filnamnet), t.ex. för nämndens balanslista.")
@org_option()
@click.option("--json", "as_json", is_flag=True, help="Skriv resultatet som JSON.")
@global_options
@pass_ctx
def import_cmd(obj: Ctx, paths: tuple[str, ...], kind: str | None, sheet: str | None,
               list_date: str | None, org: str | None, as_json: bool) -> None:
    """Importera register (CSV, XLSX, YAML) till databasen.

    En fil med någon felaktig rad avvisas helt och inget från den sparas.

    \b
    Exempel:
        bevaka import examples/beslut-2024.xlsx --kind decisions
        bevaka import examples/nykoping-2026.yaml --org nykoping/von
    """
    dated = _list_date(list_date)
    report = obj.app.import_files(paths, kind=kind, org=org, sheet=sheet, list_date=dated)
    if as_json:
        emit_json([f.__dict__ for f in report.files])
        return
    for f in report.files:
        where = f", blad {f.sheet!r}" if f.sheet else ""
        listed = f", listans datum {f.list_date}" if f.list_date else ""
        click.echo(f"{f.path}{where}: {f.rows} rader ({f.kind_sv}{listed}), {f.changed} "
                   f"nya/ändrade, {f.unchanged} oförändrade, organisation {f.org}")


def _list_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        parsed = parse_date(value)
    except DateParseError as exc:
        raise UserError(f"--list-date: {exc}") from None
    if parsed is None:
        raise UserError("--list-date: ange ett datum, t.ex. 2025-02-26")
    return parsed


COMMANDS = [import_cmd]
