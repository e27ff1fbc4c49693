"""Printing: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from bevaka.cli.errors import EXIT_RULES_FAILED
from engine.findings import STATUS_SV, Finding

console = Console(width=None if sys.stdout.isatty() else 160)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def finish(failed_rules: list[dict[str, Any]]) -> None:
    """After a command's output: name every rule that failed in the run, and exit 3 if any did
    (the work was done for every other rule)."""
    if not failed_rules:
        return
    for f in failed_rules:
        click.echo(f"Regeln {f['rule_id']} ({f['org']}) misslyckades och gav inga bevakningar i "
                   f"denna körning: {f['reason']} [{f['path']}]", err=True)
    raise SystemExit(EXIT_RULES_FAILED)


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
