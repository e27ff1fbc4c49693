"""The ``bevaka`` command line: a thin wrapper over the Python API.

Every command prints a readable table by default and JSON with ``--json``. User mistakes
(bad files, unknown ids, broken config) print one ``Error:`` line and exit 1, no traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table

from engine.config import Config, ConfigError, load_config
from engine.findings import STATUS_SV, Finding
from facts.types import FACT_TYPES

F = TypeVar("F", bound=Callable[..., Any])
console = Console(width=None if sys.stdout.isatty() else 160)


class Ctx:
    def __init__(self, db: str | None, config: str | None):
        self._db = db
        self._config_path = config
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self._config_path)
        return self._config

    def db(self) -> Any:
        from facts import open_db

        return open_db(self._db or self.config.db_path)


def user_errors(fn: F) -> F:
    """Turn the project's user-facing errors into one-line click errors."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engine.explain import ExplainError
        from engine.rules.loader import RuleLoadError
        from facts import FactImportError

        try:
            return fn(*args, **kwargs)
        except (ConfigError, ExplainError, FactImportError, RuleLoadError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def today(config: Config) -> date:
    """The CLI's default as-of date: today in the configured time zone."""
    return datetime.now(ZoneInfo(config.schedule.timezone)).date()


def parse_as_of(value: str | None, config: Config) -> date:
    from facts.dates import parse_date

    if not value:
        return today(config)
    parsed = parse_date(value)
    if parsed is None:
        raise click.BadParameter("ange ett datum, t.ex. 2024-09-30")
    return parsed


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group()
@click.option("--db", envvar="BEVAKA_DB", help="SQLite-databasen (standard: config.toml [database]).")
@click.option("--config", "config_path", envvar="BEVAKA_CONFIG",
              help="Konfigurationsfilen (standard: ./config.toml).")
@click.version_option(package_name="bevaka")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config_path: str | None) -> None:
    """bevaka: bevakar frister i socialtjänstens register och överenskommelser.

    \b
    Exempel:
        bevaka import examples/beslut-2024.xlsx
        bevaka check --as-of 2024-09-30
        bevaka report ivo --quarter 2024Q4 --out rapporter/
    """
    ctx.obj = Ctx(db, config_path)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--kind", type=click.Choice(sorted(t.table for t in FACT_TYPES.values())),
              help="Vilken sorts register (annars gissas det från rubrikerna).")
@click.option("--json", "as_json", is_flag=True, help="Skriv resultatet som JSON.")
@click.pass_obj
@user_errors
def import_cmd(obj: Ctx, paths: tuple[str, ...], kind: str | None, as_json: bool) -> None:
    """Importera register (CSV, XLSX, YAML) till databasen.

    En fil med någon felaktig rad avvisas helt och inget från den sparas.

    \b
    Exempel:
        bevaka import examples/beslut-2024.xlsx --kind decisions
        bevaka import examples/nykoping-2026.yaml
    """
    from facts import import_files

    report = import_files(obj.db(), paths, kind=kind)
    if as_json:
        emit_json([f.__dict__ for f in report.files])
        return
    for f in report.files:
        click.echo(f"{f.path}: {f.rows} rader ({f.kind}), {f.changed} nya/ändrade, "
                   f"{f.unchanged} oförändrade")


def findings_table(findings: list[Finding], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("Status", "Frist", "Ärende", "Regel", "Allvar", "Dagar", "Mottagare"):
        table.add_column(col)
    style = {"overdue": "red", "due": "yellow", "upcoming": "cyan", "resolved": "green"}
    for f in findings:
        days = (f"+{f.days_overdue}" if f.status == "overdue"
                else f"sen {f.late_days}" if f.late_days else "")
        table.add_row(f"[{style[f.status.value]}]{STATUS_SV[f.status]}[/]", str(f.due_on),
                      f.subject, f.rule_id, f.severity + (" ↑" if f.escalated else ""), days,
                      ", ".join(f.recipients))
    return table


@cli.command()
@click.option("--as-of", help="Utvärdera per detta datum (standard: i dag).")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["upcoming", "due", "overdue", "resolved"]),
              help="Visa bara dessa statusar (kan upprepas).")
@click.option("--rule", "rule_ids", multiple=True, help="Visa bara dessa regler.")
@click.option("--json", "as_json", is_flag=True, help="Skriv bevakningarna som JSON.")
@click.pass_obj
@user_errors
def check(obj: Ctx, as_of: str | None, statuses: tuple[str, ...], rule_ids: tuple[str, ...],
          as_json: bool) -> None:
    """Utvärdera reglerna och visa bevakningarna per ett datum.

    Varje körning skrivs i revisionsloggen.

    \b
    Exempel:
        bevaka check --as-of 2024-09-30
        bevaka check --status overdue --json
    """
    from engine.jobs import evaluate_and_log

    day = parse_as_of(as_of, obj.config)
    ev = evaluate_and_log(obj.db(), obj.config, day, "check")
    findings = [f for f in ev.findings
                if (not statuses or f.status.value in statuses)
                and (not rule_ids or f.rule_id in rule_ids)]
    if as_json:
        emit_json([f.public_dict() for f in findings])
        return
    console.print(findings_table(findings, f"Bevakningar per {day}"))
    counts = {s: sum(1 for f in findings if f.status == s) for s in STATUS_SV}
    click.echo(", ".join(f"{STATUS_SV[s]}: {n}" for s, n in counts.items()) + f"  (körning {ev.run_id})")


@cli.command()
@click.argument("finding_id", required=False)
@click.option("--subject", help="Ärendet att förklara (med --rule): varför finns ingen bevakning?")
@click.option("--rule", "rule_id", help="Regeln (med --subject).")
@click.option("--as-of", help="Per detta datum (standard: i dag).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@user_errors
def explain(obj: Ctx, finding_id: str | None, subject: str | None, rule_id: str | None,
            as_of: str | None, as_json: bool) -> None:
    """Förklara en bevakning, eller varför ett ärende saknar en.

    \b
    Exempel:
        bevaka explain ivo.ej-verkstallt/D-2024-001 --as-of 2024-09-30
        bevaka explain --subject D-2024-013 --rule ivo.ej-verkstallt
    """
    from engine.explain import explain_finding, why_not

    day = parse_as_of(as_of, obj.config)
    if finding_id:
        data = explain_finding(obj.db(), obj.config, finding_id, day)
        if as_json:
            emit_json(data)
            return
        f = data["finding"]
        click.echo(f"{f['id']}  ({STATUS_SV[f['status']]}, frist {f['due_on']})")
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
    data = why_not(obj.db(), obj.config, subject, rule_id, day)
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


from engine.cli_more import register  # noqa: E402

register(cli)


def main() -> None:
    try:
        cli(prog_name="bevaka")
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
