"""Findings in every format: ``bevaka check --format csv|xlsx|html|pdf --out PATH``.

One row per finding with the columns a reader needs to act on it or to audit it: status,
kind, organisation, rule, case, dates, value and target, severity, recipients, legal basis and
the why text. The same :class:`~notifications.reports.export.Table` feeds the CSV, the XLSX and
the HTML/PDF (grouped by kind there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.findings import KIND_SV, STATUS_SV, Evaluation, Finding, Kind
from notifications.reports import document
from notifications.reports.export import Column, Table, write_csv, write_xlsx

__all__ = ["FORMATS", "findings_table", "run_notes", "write_findings"]

FORMATS = ("csv", "xlsx", "html", "pdf")

COLUMNS = (
    Column("Status", "status_sv"), Column("Typ", "kind_sv"), Column("Organisation", "org"),
    Column("Regel", "rule_id"), Column("Regelns titel", "rule_title"), Column("Ärende", "subject"),
    Column("Tillfälle", "occurrence", "date"), Column("Från", "start_on", "date"),
    Column("Frist", "due_on", "date"), Column("Åtgärdad", "done_on", "date"),
    Column("Dagar försenad", "days_overdue", "int"), Column("Dagar sen", "late_days", "int"),
    Column("Värde", "value", "number"), Column("Mål", "target", "number"),
    Column("Enhet", "unit"), Column("Band", "band"), Column("Allvar", "severity"),
    Column("Eskalerad", "escalated_sv"), Column("Mottagare", "recipients_sv"),
    Column("Rättslig grund", "legal_basis_sv", width=40), Column("Varför", "why", width=60),
    Column("Id", "id"),
)


def row(f: Finding) -> dict[str, Any]:
    """One finding as a row of :data:`COLUMNS` (Swedish words, dates as dates)."""
    data = f.model_dump()
    data.update(status_sv=STATUS_SV[f.status], kind_sv=KIND_SV[f.kind],
                escalated_sv="ja" if f.escalated else "",
                recipients_sv=", ".join(f.recipients), legal_basis_sv="; ".join(f.legal_basis),
                days_overdue=f.days_overdue or None)
    return data


def findings_table(findings: list[Finding], title: str = "Bevakningar") -> Table:
    return Table(title, COLUMNS, [row(f) for f in findings])


def run_notes(ev: Evaluation) -> list[tuple[str, Any]]:
    """What every report says about the run it comes from."""
    return [("Per", ev.as_of), ("Organisationer", ", ".join(ev.orgs)), ("Körning", ev.run_id),
            ("Regelrevision", ev.rules_revision[:12]), ("Faktahash", ev.facts_hash[:12]),
            ("Utvärderad (UTC)", ev.evaluated_at)]


def footer(ev: Evaluation) -> str:
    return (f"bevaka · per {ev.as_of.isoformat()} · regelrevision {ev.rules_revision[:12]} · "
            f"körning {ev.run_id}")


def write_findings(ev: Evaluation, findings: list[Finding], fmt: str, path: str | Path) -> Path:
    """Write ``findings`` of run ``ev`` as ``fmt`` (csv, xlsx, html or pdf) to ``path``."""
    table = findings_table(findings)
    if fmt == "csv":
        return write_csv(table, path)
    if fmt == "xlsx":
        return write_xlsx([table], path, notes=run_notes(ev))
    groups = [(KIND_SV[k].capitalize() + "er" if k is not Kind.measure else "Mått",
               [row(f) for f in findings if f.kind is k]) for k in Kind]
    html = document.render("findings.html.j2", title=f"Bevakningar per {ev.as_of.isoformat()}",
                           subtitle=", ".join(ev.orgs) or "inga organisationer",
                           footer=footer(ev), groups=groups, total=len(findings))
    if fmt == "html":
        return document.write_html(html, path)
    return document.write_pdf(html, path)
