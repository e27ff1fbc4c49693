"""``bevaka rules …``, ``audit …``, ``notify``, ``serve`` and ``report ivo``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.cli import Ctx, console, emit_json, parse_as_of, user_errors


@click.group()
def rules() -> None:
    """Regelpaketen: validera, lista, testa och jämföra."""


@rules.command("validate")
@click.option("--dir", "rules_dir", help="Regelkatalogen (standard: config.toml [rules] dir).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rules_validate(obj: Ctx, rules_dir: str | None, as_json: bool) -> None:
    """Typkontrollera alla regler mot faktamodellerna.

    Fel anges som fil:rad (och kolumn för uttryck) med förslag på närmaste fältnamn.

    \b
    Exempel:
        bevaka rules validate
    """
    from engine.rules.loader import RuleLoadError, load_rules

    try:
        rs = load_rules(rules_dir or obj.config.rules_dir, obj.config.params_for)
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
        click.echo(f"{len(rs.rules)} regler i {len(rs.packs)} paket är giltiga "
                   f"(revision {rs.revision[:12]}).")


@rules.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@user_errors
def rules_list(obj: Ctx, as_json: bool) -> None:
    """Lista reglerna med version, giltighet och rättslig grund.

    \b
    Exempel:
        bevaka rules list --json
    """
    from engine.evaluate import load_ruleset

    rs = load_ruleset(obj.config)
    rows = [{"id": r.rule.id, "version": r.rule.version, "pack": r.pack, "title": r.rule.title,
             "applies_to": r.rule.applies_to, "severity": r.rule.severity,
             "valid_from": r.rule.valid_from, "valid_to": r.rule.valid_to,
             "legal_basis": [b.text for b in r.rule.legal_basis], "params": r.params,
             "examples": len(r.rule.examples), "file": str(r.path)} for r in rs.rules]
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    t = Table(title=f"Regler (revision {rs.revision[:12]})")
    for c in ("Id", "Ver", "Gäller", "Titel", "Exempel"):
        t.add_column(c)
    for r in rows:
        valid = f"{r['valid_from'] or '…'}–{r['valid_to'] or '…'}"
        t.add_row(str(r["id"]), str(r["version"]), valid, str(r["title"]), str(r["examples"]))
    console.print(t)


@rules.command("test")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@user_errors
def rules_test(obj: Ctx, as_json: bool) -> None:
    """Kör exemplen i regelfilerna. Misslyckas om något paket saknar exempel.

    \b
    Exempel:
        bevaka rules test
    """
    from engine.evaluate import load_ruleset
    from engine.rules.testing import run_tests

    report = run_tests(load_ruleset(obj.config), obj.config.rules.resolved_window_days)
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
        click.echo(f"{d['passed']} passed, {d['failed'] + len(report.pack_problems)} failed")
    if not report.ok:
        raise SystemExit(1)


@rules.command("diff")
@click.argument("old_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("new_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--as-of", help="Per detta datum (standard: i dag).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@user_errors
def rules_diff(obj: Ctx, old_dir: str, new_dir: str, as_of: str | None, as_json: bool) -> None:
    """Jämför två regelkataloger på nuvarande fakta: vilka bevakningar kommer till, försvinner
    eller ändras. Torrkörningen före en lagändring.

    \b
    Exempel:
        bevaka rules diff rules/ rules-2026/ --as-of 2026-07-01
    """
    from engine.diff import diff_rulesets

    result = diff_rulesets(obj.db(), obj.config, old_dir, new_dir, parse_as_of(as_of, obj.config))
    if as_json:
        emit_json(result)
        return
    for kind, sign in (("added", "+"), ("removed", "-"), ("changed", "~")):
        for item in result[kind]:
            click.echo(f"{sign} {item['id']}: {item['summary']}")
    click.echo(f"{len(result['added'])} nya, {len(result['removed'])} borttagna, "
               f"{len(result['changed'])} med ändrad status, {len(result['moved'])} med ändrade "
               "datum men samma status (--json listar dem)")


@click.group()
def audit() -> None:
    """Revisionsloggen: kontrollera och läs."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def audit_verify(obj: Ctx, as_json: bool) -> None:
    """Kontrollera att revisionsloggens hashkedja är obruten. Felkod 1 och första felaktiga rad
    om något ändrats, tagits bort eller flyttats.

    \b
    Exempel:
        bevaka audit verify
    """
    from engine.audit import verify

    result = verify(obj.db())
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
@click.pass_obj
def audit_log(obj: Ctx, limit: int, as_json: bool) -> None:
    """Lista de senaste körningarna i revisionsloggen.

    \b
    Exempel:
        bevaka audit log --limit 5
    """
    from engine.audit import runs

    data = runs(obj.db(), limit=limit)
    if as_json:
        emit_json(data)
        return
    for r in data:
        click.echo("  ".join(f"{k}={v}" for k, v in r.items()))


@click.command()
@click.option("--as-of", help="Utvärdera per detta datum (standard: i dag).")
@click.option("--dry-run", is_flag=True, help="Skriv .eml-filer i stället för att skicka.")
@click.option("--out", "out_dir", help="Katalog för .eml vid --dry-run (standard: [notify] dry_run_dir).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@user_errors
def notify(obj: Ctx, as_of: str | None, dry_run: bool, out_dir: str | None, as_json: bool) -> None:
    """Utvärdera och skicka en sammanställning per mottagare. Redan skickat skickas inte igen;
    meddelanden som inte gick iväg skickas vid nästa körning.

    \b
    Exempel:
        bevaka notify --dry-run --out utkorg/
    """
    from engine.jobs import daily_run

    out = out_dir or (str(obj.config.resolve(obj.config.notify.dry_run_dir)) if dry_run else None)
    summary = daily_run(obj.db(), obj.config, parse_as_of(as_of, obj.config), dry_run, out)
    if as_json:
        emit_json(summary)
    else:
        n = summary["notify"]
        q = n.get("queue") or {}
        line = (f"{summary['findings']} bevakningar per {summary['as_of']}: "
                f"{q.get('queued', 0)} sammanställningar köade ({q.get('reminders', 0)} påminnelser), "
                f"{q.get('blocked', 0)} stoppade (personnummer)")
        if n.get("send"):
            s = n["send"]
            line += f"; skickade {s.get('sent', 0)}, kvar i utkorgen {s.get('pending', 0)}"
        if n.get("files"):
            line += f"; {len(n['files'])} .eml-filer i {Path(n['files'][0]).parent}"
        click.echo(line)
        for role in q.get("unaddressed", []):
            click.echo(f"Ingen adress för {role}: lägg till den under [roles] i config.toml", err=True)


@click.command()
@click.pass_obj
@user_errors
def serve(obj: Ctx) -> None:
    """Kör schemaläggaren: dagligt jobb vid [schedule] time (Europe/Stockholm), ikappkörning vid
    start om ett jobb missats, nya sändningsförsök var [schedule] outbox_every_minutes.
    Avslutas rent på SIGTERM.

    \b
    Exempel:
        bevaka serve
    """
    from datetime import date

    from engine.jobs import daily_run
    from engine.scheduling import serve as run_scheduler
    from notifications import send_pending

    db_path = obj._db or obj.config.db_path
    config = obj.config

    def job(as_of: date) -> dict[str, Any]:
        from facts import open_db

        return daily_run(open_db(db_path), config, as_of)

    def outbox_job() -> dict[str, Any]:
        from facts import open_db

        return send_pending(open_db(db_path), config).to_dict()

    click.echo(f"bevaka serve: dagligt jobb {config.schedule.time} {config.schedule.timezone}")
    run_scheduler(config, job, outbox_job)


@click.group()
def report() -> None:
    """Rapporter."""


@report.command("ivo")
@click.option("--quarter", required=True, help="Kvartalet, t.ex. 2024Q4.")
@click.option("--out", "out_dir", help="Skriv CSV och XLSX i denna katalog.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@user_errors
def report_ivo(obj: Ctx, quarter: str, out_dir: str | None, as_json: bool) -> None:
    """Kvartalsrapporten om ej verkställda gynnande beslut (SoL, LSS) per kvartalets sista dag.

    \b
    Exempel:
        bevaka report ivo --quarter 2024Q4 --out rapporter/ --json
    """
    from engine.audit import record_evaluation
    from engine.ivo import ivo_report, write_report

    db = obj.db()
    rep = ivo_report(db, obj.config, quarter)
    record_evaluation(db, rep.evaluation, f"report ivo --quarter {quarter}")
    files = write_report(rep, out_dir) if out_dir else []
    if as_json:
        emit_json(rep.to_dict())
        return
    data = rep.to_dict()
    for law in ("SoL", "LSS"):
        for cat, ids in data[law].items():
            click.echo(f"{law} {cat}: {len(ids)}  {' '.join(ids)}")
    if files:
        click.echo("Skrev " + ", ".join(str(f) for f in files))


def register(cli: click.Group) -> None:
    for cmd in (rules, audit, notify, serve, report):
        cli.add_command(cmd)
