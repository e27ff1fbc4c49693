"""The auditors' report (revisorerna) as files: ``revision-<quarter>.csv``, ``.xlsx``,
``.html`` and ``.pdf`` — every listed decision with the run id, rule, revision and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.ivo import LIST_SV
from notifications.reports.ivo_pdf import render, write_html_pdf
from notifications.reports.ivo_tables import Table, write_csv, write_xlsx

ALL_FORMATS = frozenset({"csv", "xlsx", "html", "pdf"})
COLUMNS = [("Lag", "law"), ("Kategori", "category"), ("Ärende", "ref"), ("Insats", "service"),
           ("Beslutsdatum", "decided_on"), ("Frist", "due_on"), ("Verkställt/avslutat", "done_on"),
           ("Dagar", "days"), ("Lagrum", "citation"), ("Regel", "rule"), ("Bevakning", "finding_id"),
           ("Varför", "why")]


def _cells(row: dict[str, Any]) -> list[Any]:
    values = {**row, "category": LIST_SV.get(row["category"], row["category"]),
              "rule": f"{row['rule_id']} v{row['rule_version']}"}
    return [values.get(k) for _, k in COLUMNS]


def write_revision(data: dict[str, Any], out_dir: str | Path, org_name: str,
                   formats: set[str] | frozenset[str] = ALL_FORMATS) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"revision-{data['quarter']}"
    rows = [_cells(r) for r in data["rows"]]
    meta = [f"Körning {data['run_id']}", f"Regelrevision {data['rules_revision']}",
            f"Faktaunderlag (hash) {data['facts_hash']}", f"Utvärderad {data['evaluated_at']}"]
    files: list[Path] = []
    if "csv" in formats:
        files.append(write_csv(stem.with_suffix(".csv"), [*(h for h, _ in COLUMNS), "Körning",
                                                          "Regelrevision"],
                               [[*r, data["run_id"], data["rules_revision"]] for r in rows]))
    table = Table("Revision", f"Beslut i kvartalsrapporten {data['quarter']} per {data['as_of']}",
                  [h for h, _ in COLUMNS], rows, meta)
    if "xlsx" in formats:
        files.append(write_xlsx(stem.with_suffix(".xlsx"), [table]))
    if formats & {"html", "pdf"}:
        html = render("ivo_tables.html.j2", title=f"Underlag för revisorerna {data['quarter']}",
                      meta=[f"{org_name} · per {data['as_of']}", *meta], estimate=None,
                      tables=[Table("Revision", "Beslut och bevakningar", table.headers, rows)],
                      footer=f"bevaka · körning {data['run_id'][:12]}")
        files.extend(write_html_pdf(html, stem, set(formats)))
    return files
