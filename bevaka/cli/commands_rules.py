"""``bevaka rules validate | list | test | diff``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from bevaka.cli import context as cx
from bevaka.cli.output import console, emit_json
from engine.rules.loader import RuleLoadError
from facts.errors import UserError
from facts.vocabulary import plural


@click.group()
def rules() -> None:
    """Regelpaketen: validera, lista, testa och jämföra."""


@rules.command("validate")
@click.option("--dir", "rules_dir",
              help="En regelkatalog att validera (standard: paketen som config.toml [rules] anger).")
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def rules_validate(obj: cx.Ctx, rules_dir: str | None, as_json: bool) -> None:
    """Typkontrollera alla regler mot faktamodellerna.

    Fel anges som fil:rad (och kolumn för uttryck) med förslag på närmaste fältnamn.

    \b
    Exempel:
        bevaka rules validate
    """
    try:
        rs = obj.app.validate_rules(rules_dir)
    except RuleLoadError as exc:
        if as_json:
            emit_json({"ok": False, "problems": exc.problems})
        else:
            for p in exc.problems:
                click.echo(p, err=True)
        raise SystemExit(1) from None
    if as_json:
        emit_json({"ok": True, "rules": len(rs.rules), "revision": rs.revision})
    else:
        click.echo(f"{plural(len(rs.rules), 'regel', 'regler')} i {len(rs.packs)} paket är giltiga "
                   f"(revision {rs.revision[:12]}).")


@rules.command("list")
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def rules_list(obj: cx.Ctx, as_json: bool) -> None:
    """Lista reglerna med version, giltighet och rättslig grund.

    \b
    Exempel:
        bevaka rules list --json
    """
    rs = obj.app.rules
    rows = [{"id": r.rule.id, "version": r.rule.version, "pack": r.pack, "title": r.rule.title,
             "applies_to": r.rule.applies_to, "severity": r.rule.severity,
             "valid_from": r.rule.valid_from, "valid_to": r.rule.valid_to,
             "legal_basis": [b.text or f"(fältet {b.field})" for b in r.rule.legal_basis], "params": r.params,
             "examples": len(r.rule.examples), "file": str(r.path)} for r in rs.rules]
    if as_json:
        emit_json(rows)
        return
    t = Table(title=f"Regler (revision {rs.revision[:12]})")
    for c in ("Id", "Ver", "Gäller", "Titel", "Exempel"):
        t.add_column(c)
    for r in rows:
        valid = f"{r['valid_from'] or '…'}–{r['valid_to'] or '…'}"
        t.add_row(str(r["id"]), str(r["version"]), valid, str(r["title"]), str(r["examples"]))
    console.print(t)


@rules.command("test")
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def rules_test(obj: cx.Ctx, as_json: bool) -> None:
    """Kör exemplen i regelfilerna. Misslyckas om något paket saknar exempel.

    \b
    Exempel:
        bevaka rules test
    """
    report = obj.app.test_rules()
    if as_json:
        emit_json(report.to_dict())
    else:
        for r in report.results:
            click.echo(f"{'ok  ' if r.ok else 'FEL '} {r.rule_id}: {r.name}")
            for p in r.problems:
                click.echo(f"       {p}")
        for p in report.pack_problems:
            click.echo(f"FEL  {p}")
        d = report.to_dict()
        failed = d["failed"] + len(report.pack_problems)
        click.echo(f"{plural(d['passed'], 'godkänt exempel', 'godkända exempel')}, "
                   f"{plural(failed, 'underkänt', 'underkända')}")
    if not report.ok:
        raise SystemExit(1)


@rules.command("diff")
@click.argument("old_dir", metavar="GAMMAL")
@click.argument("new_dir", metavar="NY")
@cx.as_of_option
@cx.org_option()
@click.option("--json", "as_json", is_flag=True)
@cx.global_options
@cx.pass_ctx
def rules_diff(obj: cx.Ctx, old_dir: str, new_dir: str, as_of: str | None, org: str | None,
               as_json: bool) -> None:
    """Jämför två regelkataloger på nuvarande fakta: vilka bevakningar kommer till, försvinner
    eller ändras. Torrkörningen före en lagändring.

    \b
    Exempel:
        bevaka rules diff rules/ rules-2026/ --as-of 2026-07-01
    """
    for folder in (old_dir, new_dir):
        if not Path(folder).is_dir():
            raise UserError(f"{folder}: regelkatalogen finns inte (eller är ingen mapp)")
    app = obj.app
    result = app.diff_rules(old_dir, new_dir, cx.parse_as_of(as_of, app), org)
    if as_json:
        emit_json(result)
        return
    for kind, sign in (("added", "+"), ("removed", "-"), ("changed", "~")):
        for item in result[kind]:
            click.echo(f"{sign} {item['id']}: {item['summary']}")
    click.echo(f"{plural(len(result['added']), 'ny', 'nya')}, "
               f"{plural(len(result['removed']), 'borttagen', 'borttagna')}, "
               f"{len(result['changed'])} med ändrad status, {len(result['moved'])} med ändrade "
               "datum men samma status (--json listar dem)")


COMMANDS = [rules]
