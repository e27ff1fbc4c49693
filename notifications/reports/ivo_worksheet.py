"""Individrapport worksheets as files: ``individrapport-<quarter>.xlsx`` (one row per decision,
the e-tjänst's field order) and ``.pdf`` (one page per decision, ready to type from).

These are the only files bevaka writes with a birth date (inside IVO's pseudo-identifier).
"""

from __future__ import annotations

from pathlib import Path

from engine.ivo_worksheet import FIELDS, Worksheet
from notifications.reports.ivo_pdf import render, write_html_pdf
from notifications.reports.ivo_tables import Table, write_xlsx

FORMATS = frozenset({"xlsx", "pdf"})


def write_worksheet(ws: Worksheet, out_dir: str | Path, org_name: str,
                    formats: set[str] | frozenset[str] = FORMATS) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"individrapport-{ws.quarter}"
    files: list[Path] = []
    if "xlsx" in formats:
        table = Table("Individrapporter", f"Individrapporter till IVO {ws.quarter} ({org_name})",
                      [label for _, _, label in FIELDS],
                      [[r[f] for _, f, _ in FIELDS] for r in ws.rows],
                      ["Innehåller födelsedatum: hantera som sekretesskyddade personuppgifter."])
        files.append(write_xlsx(stem.with_suffix(".xlsx"), [table]))
    if "pdf" in formats:
        sections: dict[str, list[tuple[str, str]]] = {}
        for section, field, label in FIELDS:
            sections.setdefault(section, []).append((field, label))
        html = render("ivo_individrapport.html.j2", title=f"Individrapport till IVO {ws.quarter}",
                      rows=ws.rows, org_name=org_name, as_of=ws.as_of, quarter=ws.quarter,
                      sections=[{"name": k, "fields": v} for k, v in sections.items()],
                      footer=f"bevaka · {org_name} · {ws.quarter}", orientation="portrait")
        files.extend(write_html_pdf(html, stem, {"pdf"}))
    return files
