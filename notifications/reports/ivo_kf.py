"""The statistics report to kommunfullmäktige as files: ``kf-<quarter>.csv``, ``.xlsx``,
``.html`` and ``.pdf`` (per law: by type of insats and by time band, women and men, not
executed apart from interrupted)."""

from __future__ import annotations

from pathlib import Path

from engine.ivo import LAWS
from engine.ivo_kf import KF_LISTS, KF_SV, KfReport
from notifications.reports.ivo_pdf import render, write_html_pdf
from notifications.reports.ivo_tables import Table, write_csv, write_xlsx

ALL_FORMATS = frozenset({"csv", "xlsx", "html", "pdf"})
NOTE = ("Avidentifierat: endast antal, fördelade på kvinnor och män; beslut där könet är annat "
        "eller inte angivet räknas på en egen rad och ingår i summan.")
HEADERS = ["Lag", "Uppdelning", "Lista", "Insats eller tid", "Kvinnor", "Män", "Totalt"]


def kf_rows(kf: KfReport) -> list[list[object]]:
    rows: list[list[object]] = []
    for law in LAWS:
        data = kf.by_law[law]
        for split, key in (("Typ av insats", "by_insats"), ("Tid sedan beslut/avbrott", "by_time")):
            for kind in KF_LISTS:
                for label, n in data[key][kind].items():
                    rows.append([law, split, KF_SV[kind], label, n["kvinnor"], n["män"],
                                 n["kvinnor"] + n["män"]])
        for kind in KF_LISTS:
            n = data["totals"][kind]
            other = data["other_or_unknown_sex"][kind]
            if other:
                rows.append([law, "Kön annat eller ej angivet", KF_SV[kind], "", "", "", other])
            rows.append([law, "Summa", KF_SV[kind], "", n["kvinnor"], n["män"],
                         n["kvinnor"] + n["män"] + other])
    return rows


def write_kf(kf: KfReport, out_dir: str | Path, org_name: str, run_id: str,
             formats: set[str] | frozenset[str] = ALL_FORMATS) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"kf-{kf.quarter}"
    rows = kf_rows(kf)
    files: list[Path] = []
    if "csv" in formats:
        files.append(write_csv(stem.with_suffix(".csv"), HEADERS, rows))
    tables = []
    for law in LAWS:
        cite = kf.by_law[law]["citation"]
        tables.append(Table(law, f"{law}: ej verkställda beslut och avbrott per {kf.as_of} ({cite})",
                            HEADERS[1:], [r[1:] for r in rows if r[0] == law],
                            [NOTE]))
    if "xlsx" in formats:
        files.append(write_xlsx(stem.with_suffix(".xlsx"), tables))
    if formats & {"html", "pdf"}:
        html = render("ivo_tables.html.j2",
                      title=f"Statistikrapport till kommunfullmäktige {kf.quarter}",
                      meta=[f"{org_name} · gynnande beslut som inte verkställts inom tre månader, "
                            f"per {kf.as_of}"],
                      estimate=None, tables=tables, footer=f"bevaka · körning {run_id[:12]}",
                      orientation="portrait")
        files.extend(write_html_pdf(html, stem, set(formats)))
    return files
