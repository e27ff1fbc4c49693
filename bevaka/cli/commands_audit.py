"""``bevaka audit verify | anchor | log | state | show | replay``."""

from __future__ import annotations

from typing import Any

import click

from bevaka.cli.context import Ctx, global_options, pass_ctx
from bevaka.cli.errors import UserFacingError
from bevaka.cli.output import emit_json
from engine.findings import status_sv
from engine.state import OPS_SV
from facts.vocabulary import plural


@click.group()
def audit() -> None:
    """Revisionsloggen: kontrollera och läs."""


@audit.command("verify")
@click.option("--anchor", "kept", multiple=True, metavar="FIL",
              help="En kopia av ankarrader som du sparat (från bevaka audit anchor, e-post "
                   "eller syslog); kan anges flera gånger.")
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def audit_verify(obj: Ctx, kept: tuple[str, ...], as_json: bool) -> None:
    """Kontrollera att revisionsloggens hashkedja är obruten och att den stämmer med ankaret
    bredvid databasen (och med --anchor FIL). Felkod 1 och en rad om vad som är fel om något
    ändrats, tagits bort, flyttats eller lagts till, om loggen kortats, tömts eller skrivits
    om, eller om tabellen byggts om.

    \b
    Exempel:
        bevaka audit verify
        bevaka audit verify --anchor sparade-ankare.txt
    """
    result = obj.app.audit_verify(kept)
    if as_json:
        emit_json(result.to_dict())
    elif result.ok:
        click.echo(f"Revisionsloggen är hel: {plural(result.rows, 'rad', 'rader')}, "
                   f"{plural(result.runs, 'körning', 'körningar')}.")
        for a in result.anchors:
            click.echo(_anchor_line(a), err=not a["exists"])
    else:
        click.echo(f"Revisionsloggen är bruten: {result.problem}", err=True)
    if not result.ok:
        raise SystemExit(1)


def _anchor_line(a: dict[str, Any]) -> str:
    if not a["exists"]:
        return (f"Varning: ingen ankarfil ({a['path']}): kontrollen mot ett ankare kunde inte "
                "göras, och en omskrivning av hela loggen kan då inte upptäckas.")
    if not a["lines"]:
        return f"Ankarfilen {a['path']} är tom: kontrollen mot ett ankare kunde inte göras."
    line = (f"Stämmer med ankaret {a['path']}: {plural(a['lines'], 'rad', 'rader')}, "
            f"till seq {a['anchored_seq']}")
    if a["kept"] and a["not_covered"]:
        line += (f"; {plural(a['not_covered'], 'senare körning', 'senare körningar')} täcks "
                 "inte av kopian")
    return line + "."


@audit.command("anchor")
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def audit_anchor(obj: Ctx, as_json: bool) -> None:
    """Skriv ut revisionsloggens huvud (löpnummer, hash, tid och körning) att spara utanför
    databasen. Raden kan sparas i en fil och jämföras senare med bevaka audit verify --anchor
    FIL. Kör bevaka audit verify först: huvudet för en bruten logg intygar ingenting.

    \b
    Exempel:
        bevaka audit anchor >> sparade-ankare.txt
    """
    head = obj.app.audit_anchor()
    if head is None:
        if as_json:
            emit_json(None)
            return
        raise UserFacingError("revisionsloggen har ingen hel körning ännu; kör bevaka check "
                              "eller bevaka run först")
    if as_json:
        emit_json(head.to_dict())
    else:
        click.echo(head.line())


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
        click.echo(f"{s['org']}  {s['id']}  {status_sv(s['status'])}  {when}")
    click.echo(f"{len(state)} bevakningar efter körning {run_id}")


@audit.command("show")
@click.argument("run_id", metavar="KÖRNING")
@click.option("--finding", "finding_id", metavar="ID", help="Bara denna bevakning.")
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def audit_show(obj: Ctx, run_id: str, finding_id: str | None, as_json: bool) -> None:
    """Visa beslutsposterna i en körning: för varje ny eller ändrad bevakning regeln (id,
    version, revision), faktat den gällde (maskerat), de härledda värdena och utfallet.

    \b
    Exempel:
        bevaka audit show 3f2c… --finding ivo.ej-verkstallt/D-2024-001
    """
    records = obj.app.audit_show(run_id, finding_id)
    if as_json:
        emit_json(records)
        return
    for r in records:
        rule, res, inp = r["rule"], r["result"], r.get("input") or {}
        click.echo(f"{r['org']}  {r['finding_id']}  ({OPS_SV.get(r['op'], r['op'])})")
        click.echo(f"  regel      {rule['id']} v{rule['version']}  revision "
                   f"{(rule['revision'] or '–')[:12]}  {rule['file'] or ''}")
        if inp.get("erased"):
            click.echo(f"  fakta      {inp['fact_type']} {inp['key']}: gallrade (kvar finns "
                       "ärendet och en kontrollsumma)")
        elif inp:
            fields = ", ".join(f"{k}={v}" for k, v in inp["fields"].items() if v is not None)
            click.echo(f"  fakta      {inp['fact_type']} {inp['key']}: {fields}")
        if r["derived"]:
            click.echo("  härlett    " + ", ".join(f"{k}={v}" for k, v in r["derived"].items()))
        click.echo(f"  utfall     {status_sv(res['status'])}"
                   + (f", frist {res['due_on']}" if res.get("due_on") else "")
                   + (f", klar {res['done_on']}" if res.get("done_on") else ""))
        if r["masked"]:
            click.echo(f"  maskerat   {', '.join(r['masked'])} ({r['policy']})")
    click.echo(f"{len(records)} beslutsposter i körning {run_id}")


_VERDICT = {"same": "samma utfall", "differs": "ANNAT UTFALL", "not_replayable": "kan inte spelas om"}


def _what(result: dict[str, Any] | None) -> str:
    if not result:
        return ""
    if not result.get("listed", True):
        return f"ingen bevakning ({result.get('why')})"
    due = result.get("due_on")
    return status_sv(result.get("status")) + (f", frist {due}" if due else "")


@audit.command("replay")
@click.argument("run_id", metavar="KÖRNING")
@click.option("--finding", "finding_id", metavar="ID", help="Bara denna bevakning.")
@click.option("--rules", "rules_dir", metavar="KATALOG",
              help="Jämför med reglerna i denna katalog i stället för installationens.")
@click.option("--json", "as_json", is_flag=True)
@global_options
@pass_ctx
def audit_replay(obj: Ctx, run_id: str, finding_id: str | None, rules_dir: str | None,
                 as_json: bool) -> None:
    """Avgör bevakningarna i en körning på nytt ur deras beslutsposter, med regelns loggade
    revision, och säg om utfallet blir detsamma; säg också vilka utfall som skulle bli andra
    med de nuvarande regelfilerna. Felkod 1 om en post inte återskapas med sin revision.

    \b
    Exempel:
        bevaka audit replay 3f2c… --finding ivo.ej-verkstallt/D-2024-001
    """
    results = obj.app.audit_replay(run_id, finding_id, rules_dir)
    if as_json:
        emit_json([r.to_dict() for r in results])
    else:
        for r in results:
            line = f"{r.finding_id}: {_VERDICT[r.outcome]} med revision {(r.revision or '–')[:12]}"
            if r.outcome != "same":
                line += f" ({r.problem or _what(r.replayed)}; loggat: {_what(r.recorded)})"
            click.echo(line)
            if r.current == "differs":
                click.echo(f"  med nuvarande regler ({(r.current_revision or '')[:12]}): "
                           f"{_what(r.current_result)} i stället för {_what(r.recorded)}")
            elif r.current == "not_replayable":
                click.echo(f"  med nuvarande regler: {r.current_problem}")
        same = sum(r.outcome == "same" for r in results)
        differ = [r for r in results if r.current == "differs"]
        click.echo(f"{same} av {len(results)} utfall återskapade med den loggade revisionen; "
                   f"{len(differ)} skulle bli andra med nuvarande regler"
                   + (": " + ", ".join(r.finding_id for r in differ) if differ else "") + ".")
    if any(r.outcome == "differs" for r in results):
        raise SystemExit(1)


COMMANDS = [audit]
