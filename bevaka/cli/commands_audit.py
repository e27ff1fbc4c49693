"""``bevaka audit verify | log | state``."""

from __future__ import annotations

import click

from bevaka.cli.context import Ctx, global_options, pass_ctx
from bevaka.cli.output import emit_json


@click.group()
def audit() -> None:
    """Revisionsloggen: kontrollera och läs."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def audit_verify(obj: Ctx, as_json: bool) -> None:
    """Kontrollera att revisionsloggens hashkedja är obruten. Felkod 1 och första felaktiga rad
    om något ändrats, tagits bort eller flyttats.

    \b
    Exempel:
        bevaka audit verify
    """
    result = obj.app.audit_verify()
    if as_json:
        emit_json(result.to_dict())
    elif result.ok:
        click.echo(f"Revisionsloggen är hel: {result.rows} rader, {result.runs} körningar.")
    else:
        click.echo(f"Revisionsloggen är bruten: {result.problem}", err=True)
    if not result.ok:
        raise SystemExit(1)


@audit.command("log")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def audit_log(obj: Ctx, limit: int, as_json: bool) -> None:
    """Lista de senaste körningarna i revisionsloggen.

    \b
    Exempel:
        bevaka audit log --limit 5
    """
    data = obj.app.audit_runs(limit)
    if as_json:
        emit_json(data)
        return
    for r in data:
        click.echo("  ".join(f"{k}={v}" for k, v in r.items()))


@audit.command("state")
@click.option("--run", "run_id", required=True, help="Körningens id (se bevaka audit log).")
@click.option("--org", metavar="KOMMUN/NÄMND", help="Bara denna organisation.")
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def audit_state(obj: Ctx, run_id: str, org: str | None, as_json: bool) -> None:
    """Lista bevakningarnas tillstånd efter en körning, återskapat ur revisionsloggens
    ändringsposter (samma tillstånd som loggens åtagande intygar).

    \b
    Exempel:
        bevaka audit state --run 3f2c… --org nykoping/von
    """
    state = obj.app.audit_state(run_id, org)
    if as_json:
        emit_json(state)
        return
    for s in state:
        when = s["due_on"] or ""
        click.echo(f"{s['org']}  {s['id']}  {s['status']}  {when}")
    click.echo(f"{len(state)} bevakningar efter körning {run_id}")


COMMANDS = [audit]
