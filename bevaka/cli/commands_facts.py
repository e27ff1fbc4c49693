"""``bevaka import``."""

from __future__ import annotations

from datetime import date

import click

from bevaka.cli.context import Ctx, global_options, org_option, pass_ctx
from bevaka.cli.output import emit_json
from facts.dates import DateParseError, parse_date
from facts.errors import UserError
from facts.types import FACT_TYPES, fact_type
from facts.vocabulary import plural


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="FILER...")
@click.option("--kind", metavar="TYP",
              help="Vilken sorts register (annars gissas det från rubrikerna): "
                   + ", ".join(sorted(t.table for t in FACT_TYPES.values())) + ".")
@click.option("--sheet", metavar="BLAD",
              help="XLSX: bladet att läsa, med namn eller nummer (annars det första vars "
                   "rubriker passar).")
@click.option("--list-date", "list_date", metavar="ÅÅÅÅ-MM-DD",
              help="Listans datum när filen saknar en datumkolumn (annars ur en rubrikrad "
                   "eller filnamnet), t.ex. för nämndens balanslista.")
@click.option("--whole-register", "whole_register", is_flag=True,
              help="Filen är hela registret av sin sort för organisationen: fakta som saknas "
                   "i den återkallas (deras bevakningar upphör).")
@click.option("--dry-run", "dry_run", is_flag=True,
              help="Visa vad som skulle ändras och återkallas, men spara inget.")
@org_option()
@click.option("--json", "as_json", is_flag=True, help="Skriv resultatet som JSON.")
@global_options
@pass_ctx
def import_cmd(obj: Ctx, paths: tuple[str, ...], kind: str | None, sheet: str | None,
               list_date: str | None, whole_register: bool, dry_run: bool, org: str | None,
               as_json: bool) -> None:
    """Importera register (CSV, XLSX, YAML) till databasen.

    En fil med någon felaktig rad avvisas helt och inget från den sparas.

    \b
    Exempel:
        bevaka import examples/beslut-2024.xlsx --kind decisions
        bevaka import examples/nykoping-2026.yaml --org nykoping/von
    """
    dated = _list_date(list_date, "--list-date")
    report = obj.app.import_files(paths, kind=kind, org=org, sheet=sheet, list_date=dated,
                                  whole_register=whole_register, dry_run=dry_run)
    if as_json:
        emit_json([f.__dict__ for f in report.files])
        return
    verb = "skulle återkallas" if dry_run else "återkallades"
    for f in report.files:
        where = f", blad {f.sheet!r}" if f.sheet else ""
        listed = f", listans datum {f.list_date}" if f.list_date else ""
        if f.retracted:
            click.echo(f"{f.path}: {plural(len(f.retracted), 'faktum', 'fakta')} ({f.kind_sv}) "
                       f"{verb} (saknas i registret): " + ", ".join(f.retracted))
        click.echo(f"{f.path}{where}: {plural(f.rows, 'rad', 'rader')} ({f.kind_sv}{listed}), "
                   f"{f.changed} nya/ändrade, {f.unchanged} oförändrade, organisation {f.org}"
                   + (" (provkörning: inget sparades)" if dry_run else ""))


@click.command("retract")
@click.argument("kind", metavar="TYP")
@click.argument("key", metavar="ID")
@click.option("--reason", required=True, metavar="TEXT",
              help="Varför faktumet återkallas (skrivs i revisionsloggen).")
@org_option()
@click.option("--json", "as_json", is_flag=True, help="Skriv resultatet som JSON.")
@global_options
@pass_ctx
def retract_cmd(obj: Ctx, kind: str, key: str, reason: str, org: str | None,
                as_json: bool) -> None:
    """Återkalla ett faktum (ett återtaget eller felregistrerat beslut).

    Faktumet tas bort och dess bevakningar upphör vid nästa körning; återkallelsen, skälet
    och källan skrivs i revisionsloggen. En nyckel av två fält skrivs med |, t.ex.
    'VON|2024-09-30'.

    \b
    Exempel:
        bevaka retract decisions D-2024-17 --reason "Beslutet återtaget 2024-07-02"
    """
    record = obj.app.retract(kind, key, reason, org=org)
    if as_json:
        emit_json(record)
        return
    click.echo(f"återkallade {fact_type(record['kind']).title_sv.lower()} {record['fact_key']} "
               f"i {record['org']}: {record['reason']}")


@click.command("gallra")
@click.option("--before", required=True, metavar="ÅÅÅÅ-MM-DD",
              help="Gallra ärenden som avslutades före detta datum.")
@click.option("--dry-run", "dry_run", is_flag=True, help="Visa vad som gallras, ta inte bort.")
@org_option(all_by_default=True)
@click.option("--json", "as_json", is_flag=True, help="Skriv resultatet som JSON.")
@global_options
@pass_ctx
def gallra_cmd(obj: Ctx, before: str, dry_run: bool, org: str | None, as_json: bool) -> None:
    """Gallra: ta bort avslutade ärenden äldre än gallringsfristen.

    Beslut och utredningar med avslutsdatum, och patienter med slutdatum, före --before tas
    bort med allt som hör till dem (avbrott, erbjudanden, delverkställigheter, granskningar),
    deras härledda rader och e-posttexterna som nämner dem. Revisionsloggen innehåller bara
    ärendenummer och hashar, så den behåller sin kedja: audit verify godkänner den efteråt.

    \b
    Exempel:
        bevaka gallra --before 2022-01-01 --dry-run
    """
    day = _list_date(before, "--before")
    assert day is not None
    result = obj.app.gallra(day, org=org, dry_run=dry_run)
    if as_json:
        emit_json({"before": day.isoformat(), "dry_run": dry_run, "count": result.count,
                   "facts": result.facts})
        return
    verb = "skulle gallras" if dry_run else "gallrades"
    click.echo(f"{plural(result.count, 'faktum', 'fakta')} {verb} (ärenden avslutade före "
               f"{day.isoformat()})")
    for o, kinds in result.facts.items():
        for kind, keys in kinds.items():
            click.echo(f"  {o} {fact_type(kind).title_sv.lower()}: {', '.join(keys)}")


def _list_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        parsed = parse_date(value)
    except DateParseError as exc:
        raise UserError(f"{option}: {exc}") from None
    if parsed is None:
        raise UserError(f"{option}: ange ett datum, t.ex. 2025-02-26")
    return parsed


COMMANDS = [import_cmd, retract_cmd, gallra_cmd]
