"""The IVO quarter report as files: ``ivo-<quarter>.csv``, ``.xlsx`` (one sheet per law and
the counts), ``.html`` and ``.pdf``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.ivo import LAWS, LIST_SV, LISTS, IvoReport
from notifications.reports.ivo_pdf import render, write_html_pdf
from notifications.reports.ivo_tables import Table, write_csv, write_xlsx

#: The columns of issue 2 first (their order is kept), then the new ones.
COLUMNS = [("Lag", "law"), ("Kategori", "category"), ("Ärende", "subject"),
           ("Verksamhet", "area"), ("Insats", "service"), ("Beslutsdatum", "decided_on"),
           ("Avbrott", "interrupted_on"), ("Frist", "due_on"), ("Verkställt", "done_on"),
           ("Dagar efter frist", "days"), ("Kön", "sex"), ("Födelseår", "birth_year"),
           ("Orsak", "reason"), ("Ej verkställd del", "part"), ("Avslutsorsak", "closed_reason"),
           ("Väntar på valt utförare (LOV)", "lov"), ("Tackat nej till erbjudande", "declined"),
           ("Lagrum", "citation")]

DEFAULT_FORMATS = frozenset({"csv", "xlsx"})


def _value(row: dict[str, Any], key: str) -> Any:
    if key == "category":
        return LIST_SV.get(row[key], row[key])
    if key == "done_on" and row["category"] == "closed":
        return row["closed_on"]
    return row.get(key)


def _cells(row: dict[str, Any], columns: list[tuple[str, str]]) -> list[Any]:
    return [_value(row, k) for _, k in columns]


def _tables(report: IvoReport) -> list[Table]:
    law_columns = [c for c in COLUMNS if c[1] != "law"]
    tables = [Table(law, f"Ej verkställda gynnande beslut enligt {law} per {report.as_of}",
                    [h for h, _ in law_columns],
                    [_cells(r, law_columns) for r in report.rows if r["law"] == law])
              for law in LAWS]
    counts = Table("Antal", f"Antal per lag och verksamhet per {report.as_of}",
                   ["Lag", "Verksamhet", *(LIST_SV[c] for c in LISTS)], title_row=False)
    for law, areas in report.counts().items():
        for area, per in sorted(areas.items()):
            counts.rows.append([law, area, *(per[c] for c in LISTS)])
    counts.notes = [f"Regelrevision {report.evaluation.rules_revision[:12]}",
                    f"Körning {report.evaluation.run_id}"]
    return [*tables, counts]


def write_report(report: IvoReport, out_dir: str | Path,
                 formats: set[str] | frozenset[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write the report in ``formats`` (``csv``, ``xlsx``, ``html``, ``pdf``) to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"ivo-{report.quarter}"
    files: list[Path] = []
    if "csv" in formats:
        files.append(write_csv(stem.with_suffix(".csv"), [h for h, _ in COLUMNS],
                               [_cells(r, COLUMNS) for r in report.rows]))
    tables = _tables(report)
    if "xlsx" in formats:
        files.append(write_xlsx(stem.with_suffix(".xlsx"), tables))
    if formats & {"html", "pdf"}:
        html = render("ivo_tables.html.j2", title=f"Ej verkställda gynnande beslut {report.quarter}",
                      meta=[f"{report.org} · per {report.as_of} · IVO:s rapporteringsperiod "
                            f"{report.window.get('opens_on')}–{report.window.get('closes_on')}"],
                      estimate=None, tables=tables,
                      footer=f"bevaka · körning {report.evaluation.run_id[:12]}")
        files.extend(write_html_pdf(html, stem, set(formats)))
    return files
