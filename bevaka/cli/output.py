"""Printing: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from bevaka.cli.errors import EXIT_PENDING, EXIT_RULES_FAILED, EXIT_UNDELIVERED
from engine.findings import STATUS_SV, Finding, Kind, Status

console = Console(width=None if sys.stdout.isatty() else 160)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def finish(failed_rules: list[dict[str, Any]],
           failed_messages: list[dict[str, Any]] | None = None,
           pending: str | None = None) -> None:
    """After a command's output: name every rule that failed in the run, and exit 3 if any did
    (the work was done for every other rule); then every message that could not be delivered
    in this run, and exit 4 if any (and no rule failed); then ``pending``, the line on the
    messages left in the outbox, and exit 5 if there is one (and nothing else failed)."""
    for f in failed_rules:
        click.echo(f"Regeln {f['rule_id']} ({f['org']}) misslyckades och gav inga bevakningar i "
                   f"denna körning: {f['reason']} [{f['path']}]", err=True)
    for m in failed_messages or []:
        who = f"rollen {m['role']}" if m.get("role") else "en adress"
        click.echo(f"Meddelande {m['id']} till {who} ({m['org']}) kunde inte levereras: "
                   f"{m['error']}. Rätta adressen och kör bevaka notify --retry-failed, eller "
                   f"bevaka notify --dismiss-failed {m['id']}", err=True)
    if pending:
        click.echo(pending, err=True)
    if failed_rules:
        raise SystemExit(EXIT_RULES_FAILED)
    if failed_messages:
        raise SystemExit(EXIT_UNDELIVERED)
    if pending:
        raise SystemExit(EXIT_PENDING)


STYLE = {Status.overdue: "red", Status.due: "yellow", Status.upcoming: "cyan",
         Status.resolved: "green", Status.failed: "red", Status.passed: "green",
         Status.not_met: "red", Status.met: "green", Status.measured: "cyan"}


def _status(f: Finding) -> str:
    text = "att notera" if f.status is Status.failed and f.severity == "info" else STATUS_SV[f.status]
    return f"[{STYLE[f.status]}]{text}[/]"


def _number(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" + (f" {unit}" if unit else "")


def _table(title: str, columns: tuple[str, ...], rows: Sequence[Sequence[str]]) -> Table:
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    return table


def findings_table(findings: list[Finding], title: str) -> Table:
    """Deadlines: status, due date, case, rule, severity, days, recipients."""
    rows = [(_status(f), str(f.due_on), f.subject, f.rule_id,
             f.severity + (" ↑" if f.escalated else ""),
             f"+{f.days_overdue}" if f.status == "overdue" else f"sen {f.late_days}" if f.late_days else "",
             ", ".join(f.recipients)) for f in findings]
    return _table(title, ("Status", "Frist", "Ärende", "Regel", "Allvar", "Dagar", "Mottagare"), rows)


def checks_table(findings: list[Finding], title: str) -> Table:
    """Checks: whether each holds, since when it is watched, to whom it goes."""
    rows = [(_status(f), f.subject, f.rule_id, f.severity, str(f.start_on or ""),
             ", ".join(f.recipients)) for f in findings]
    return _table(title, ("Status", "Ärende", "Regel", "Allvar", "Från", "Mottagare"), rows)


def _target(f: Finding) -> str:
    if f.target is None:
        return ""
    return f"{'högst' if f.target_is == 'max' else 'minst'} {_number(f.target, f.unit)}"


def measures_table(findings: list[Finding], title: str) -> Table:
    """Measures: the value, its target and band."""
    rows = [(_status(f), f.subject, f.rule_id, _number(f.value, f.unit), _target(f), f.band or "")
            for f in findings]
    return _table(title, ("Status", "Ärende", "Regel", "Värde", "Mål", "Band"), rows)


def print_findings(findings: list[Finding], day: object) -> None:
    """Each kind in its own terms: deadlines, checks that fail (passed ones counted), measures."""
    deadlines = [f for f in findings if f.kind is Kind.deadline]
    checks = [f for f in findings if f.kind is Kind.check]
    measures = [f for f in findings if f.kind is Kind.measure]
    if deadlines or not findings:
        console.print(findings_table(deadlines, f"Frister per {day}"))
    failing = [f for f in checks if f.status is not Status.passed]
    if failing:
        console.print(checks_table(failing, f"Kontroller som avviker per {day}"))
    if measures:
        console.print(measures_table(measures, f"Mått per {day}"))
    parts = [f"{STATUS_SV[s]}: {sum(1 for f in deadlines if f.status is s)}"
             for s in (Status.upcoming, Status.due, Status.overdue, Status.resolved)]
    if checks:
        parts.append(f"kontroller: {len(failing)} avviker, {len(checks) - len(failing)} uppfyllda")
    if measures:
        met = sum(1 for f in measures if f.status is Status.met)
        parts.append(f"mått: {len(measures)} ({met} når målet)")
    click.echo(", ".join(parts))
