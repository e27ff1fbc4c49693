"""Särskild avgift exposure as files: ``avgift-<date>.csv``, ``.xlsx``, ``.html`` and ``.pdf``,
every one labelled as the municipality's estimate, not IVO's decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from notifications.reports.ivo_pdf import render, write_html_pdf
from notifications.reports.ivo_tables import Table, write_csv, write_xlsx

ALL_FORMATS = frozenset({"csv", "xlsx", "html", "pdf"})
COLUMNS = [("Lag", "law"), ("Ärende", "ref"), ("Insats", "service"), ("Beslutsdatum", "decided_on"),
           ("Frist", "due_on"), ("Verkställt/avslutat", "done_on"), ("Lägsta avgift (kr)", "floor"),
           ("Högsta avgift (kr)", "ceiling"), ("Lagrum", "fee_citation"),
           ("Månader efter skälig tid", "months_past"), ("Månadskostnad (kr)", "monthly_cost"),
           ("Uppskattning (kr)", "estimate"), ("Tvåårsgräns", "two_year_limit"),
           ("Varning före tvåårsgränsen", "alert"), ("LOV-väntan", "lov"),
           ("Tackat nej", "declined_offer")]


def write_avgift(data: dict[str, Any], out_dir: str | Path, org_name: str,
                 formats: set[str] | frozenset[str] = ALL_FORMATS) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"avgift-{data['as_of']}"
    rows = [[r.get(k) for _, k in COLUMNS] for r in data["rows"]]
    totals = data["totals"]
    notes = [data["label"],
             f"Skälig tid enligt kommunen: {data['settings']['reasonable_months']} månader; "
             f"varning {data['settings']['alert_days']} dagar före tvåårsgränsen.",
             f"Summa: {totals['decisions']} beslut, lägst {totals['floor']} kr, högst "
             f"{totals['ceiling']} kr, uppskattat {totals['estimate']} kr "
             f"({totals['without_cost']} utan månadskostnad)."]
    files: list[Path] = []
    if "csv" in formats:
        files.append(write_csv(stem.with_suffix(".csv"), [h for h, _ in COLUMNS],
                               [*rows, [data["label"]]]))
    table = Table("Avgift", f"UPPSKATTNING: risk för särskild avgift per {data['as_of']}",
                  [h for h, _ in COLUMNS], rows, notes)
    if "xlsx" in formats:
        files.append(write_xlsx(stem.with_suffix(".xlsx"), [table]))
    if formats & {"html", "pdf"}:
        html = render("ivo_tables.html.j2",
                      title=f"Uppskattad risk för särskild avgift per {data['as_of']}",
                      meta=[org_name], estimate=data["label"], tables=[table],
                      footer="bevaka · uppskattning, inte IVO:s beslut")
        files.extend(write_html_pdf(html, stem, set(formats)))
    return files
