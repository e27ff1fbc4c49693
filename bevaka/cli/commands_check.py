"""``bevaka check`` and ``bevaka explain``."""

from __future__ import annotations

import click

from bevaka.cli import context as cx
from bevaka.cli.output import emit_json, finish, print_findings
from engine.findings import STATUS_SV, Status
from engine.rules.valuetypes import suggest
from facts.errors import UserError
from notifications.reports.findings import FORMATS


def _status(text: str) -> str:
    """A status in Swedish (försenad) or as its ``--json`` value (overdue)."""
    word = text.strip().lower()
    for status in Status:
        if word in (status.value, STATUS_SV[status].lower()):
            return status.value
    names = [STATUS_SV[s] for s in Status]
    raise UserError(f"--status: okänd status {text!r}{suggest(word, names)}; "
                    f"välj {', '.join(names)}")


@click.command()
@cx.as_of_option
@click.option("--status", "statuses", multiple=True, metavar="STATUS",
              help="Visa bara dessa statusar (kan upprepas): "
                   + ", ".join(STATUS_SV[s] for s in Status) + ".")
@click.option("--rule", "rule_ids", multiple=True, help="Visa bara dessa regler.")
@cx.org_option(all_by_default=True)
@click.option("--json", "as_json", is_flag=True, help="Skriv bevakningarna som JSON.")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Skriv bevakningarna till en fil: csv (UTF-8 med BOM), xlsx, html eller pdf.")
@click.option("--out", "out", metavar="FIL", help="Filen att skriva (med --format; "
              "utan --format avgör filändelsen).")
@cx.global_options
@cx.pass_ctx
def check(obj: cx.Ctx, as_of: str | None, statuses: tuple[str, ...], rule_ids: tuple[str, ...],
          org: str | None, as_json: bool, fmt: str | None, out: str | None) -> None:
    """Utvärdera reglerna och visa bevakningarna per ett datum.

    Varje körning skrivs i revisionsloggen.

    \b
    Exempel:
        bevaka check --as-of 2024-09-30
        bevaka check --status försenad --json
        bevaka check --as-of 2024-12-31 --format xlsx --out bevakningar.xlsx
    """
    fmt = cx.output_format(fmt, out)
    app = obj.app
    wanted = {_status(s) for s in statuses}
    known = {lr.rule.id for lr in app.rules.rules}
    for rule_id in rule_ids:
        if rule_id not in known:
            raise UserError(f"--rule: okänd regel {rule_id!r}{suggest(rule_id, sorted(known))} "
                            "(bevaka rules list visar alla)")
    day = cx.parse_as_of(as_of, app)
    ev = app.check(day, org)
    findings = [f for f in ev.findings
                if (not wanted or f.status.value in wanted)
                and (not rule_ids or f.rule_id in rule_ids)]
    if fmt and out:
        written = app.export_findings(ev, findings, fmt, out)
    if as_json:
        emit_json([f.public_dict() for f in findings])
    else:
        print_findings(findings, day)
        click.echo(f"Körning {ev.run_id}")
        if fmt and out:
            click.echo(f"Skrev {written}")
    finish(ev.failed_rules)


@click.command()
@click.argument("finding_id", required=False, metavar="[BEVAKNING]")
@click.option("--subject", help="Ärendet att förklara (med --rule): varför finns ingen bevakning?")
@click.option("--rule", "rule_id", help="Regeln (med --subject).")
@cx.as_of_option
@cx.org_option()
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def explain(obj: cx.Ctx, finding_id: str | None, subject: str | None, rule_id: str | None,
            as_of: str | None, org: str | None, as_json: bool) -> None:
    """Förklara en bevakning, eller varför ett ärende saknar en. Ändrar inget i databasen.

    \b
    Exempel:
        bevaka explain ivo.ej-verkstallt/D-2024-001 --as-of 2024-09-30
        bevaka explain --subject D-2024-013 --rule ivo.ej-verkstallt
    """
    app = obj.app
    day = cx.parse_as_of(as_of, app)
    if finding_id:
        data = app.explain(finding_id, day, org)
        if as_json:
            emit_json(data)
            return
        f = data["finding"]
        when = f", frist {f['due_on']}" if f["due_on"] else ""
        click.echo(f"{f['id']}  ({STATUS_SV[Status(f['status'])]}{when})")
        click.echo(f"Regel: {data['rule']['id']} v{data['rule']['version']}: {data['rule']['title']}")
        click.echo(f"Varför: {f['why']}")
        click.echo(f"Rättslig grund: {'; '.join(f['legal_basis'])}")
        for k, v in data["derived"].items():
            click.echo(f"  {k} = {v}")
        if data["provenance"]:
            p = data["provenance"]
            click.echo(f"Källa: {p['source']} rad {p['row']} (importerad {p['imported_at']})")
        return
    if not (subject and rule_id):
        raise click.UsageError("ange FINDING_ID, eller både --subject och --rule")
    data = app.why_not(subject, rule_id, day, org)
    if as_json:
        emit_json(data)
        return
    if data["finding"]:
        click.echo(f"{subject} har bevakningen {data['finding']['id']}: {data['finding']['why']}")
    for c in data["conditions"]:
        click.echo(f"  [{'x' if c['holds'] else ' '}] {c['condition']}")
    for k, v in data["values"].items():
        click.echo(f"  {k} = {v}")
    for r in data["reasons"]:
        click.echo(f"Ingen bevakning: {r}")


COMMANDS = [check, explain]
