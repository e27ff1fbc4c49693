"""The quarterly report of favourable decisions not executed within three months (IVO).

Per law (SoL, LSS), as of the quarter's last day:

* ``not_executed``: clock A — not executed, and the three months ran out on or before the
  quarter end;
* ``interrupted``: clock B — an interruption not resumed within three months;
* ``executed``: executed (or resumed) during the quarter after its deadline had passed —
  the "verkställt" notice for decisions that had become reportable;
* ``counts``: per law and area (verksamhet).

The report is taken at the end of the quarter's last day, so a deadline on that day
counts as missed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from engine.calendar import parse_quarter
from engine.config import Config
from engine.evaluate import evaluate
from engine.findings import Evaluation, Finding, Status
from engine.rules.loader import RuleSet

LAWS = ("SoL", "LSS")
LISTS = ("not_executed", "interrupted", "executed")
LIST_SV = {"not_executed": "Ej verkställt", "interrupted": "Avbrott", "executed": "Verkställt"}
COLUMNS = [("Lag", "law"), ("Kategori", "category"), ("Ärende", "subject"),
           ("Verksamhet", "area"), ("Insats", "service"), ("Beslutsdatum", "decided_on"),
           ("Avbrott", "interrupted_on"), ("Frist", "due_on"), ("Verkställt", "done_on"),
           ("Dagar efter frist", "days"), ("Kön", "sex"), ("Födelseår", "birth_year"),
           ("Orsak", "reason")]


@dataclass
class IvoReport:
    quarter: str
    org: str
    start: date
    as_of: date
    rows: list[dict[str, Any]]
    evaluation: Evaluation

    def ids(self, law: str, category: str) -> list[str]:
        return sorted(r["subject"] for r in self.rows if r["law"] == law
                      and r["category"] == category)

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        out: dict[str, dict[str, dict[str, int]]] = {law: {} for law in LAWS}
        for r in self.rows:
            area = r["area"] or "okänd"
            per = out[r["law"]].setdefault(area, dict.fromkeys(LISTS, 0))
            per[r["category"]] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"quarter": self.quarter, "as_of": self.as_of.isoformat()}
        for law in LAWS:
            data[law] = {c: self.ids(law, c) for c in LISTS}
        data["counts"] = self.counts()
        return data


def _category(f: Finding, start: date, end: date) -> str | None:
    kind = f.report.get("ivo")
    if kind not in ("not_executed", "interrupted") or f.due_on is None:
        return None
    if f.status in (Status.overdue, Status.due):
        return kind
    if (f.status is Status.resolved and f.done_on and start <= f.done_on <= end
            and (f.late_days or 0) > 0 and f.due_on < start):
        return "executed"
    return None


def ivo_report(db: Database, config: Config, quarter: str, org: str,
               ruleset: RuleSet | None = None) -> IvoReport:
    """Evaluate organisation ``org`` as of the quarter's end and sort the IVO findings into
    the report's lists."""
    start, end = parse_quarter(quarter)
    return build_report(db, evaluate(db, config, end, ruleset, org=org), quarter, org)


def _decisions(db: Database, org: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored decisions with these case references (what the report's columns show)."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        cur = db.execute(f"SELECT * FROM decisions WHERE org = ? AND id IN "
                         f"({', '.join('?' for _ in chunk)})", [org, *chunk])
        names = [d[0] for d in cur.description]
        out.update({r[names.index("id")]: dict(zip(names, r, strict=True)) for r in cur})
    return out


def build_report(db: Database, evaluation: Evaluation, quarter: str, org: str) -> IvoReport:
    """The report from an evaluation as of the quarter's last day, with each decision's
    columns read from the register."""
    start, end = parse_quarter(quarter)
    listed = [(f, cat) for f in evaluation.findings if (cat := _category(f, start, end)) is not None]
    facts = _decisions(db, org, sorted({f.subject for f, _ in listed}))
    rows = []
    for f, category in listed:
        c = facts.get(f.subject, {})
        if c.get("law") not in LAWS:
            continue
        rows.append({
            "law": c["law"], "category": category, "subject": f.subject, "area": c.get("area"),
            "service": c.get("service"), "decided_on": c.get("decided_on"),
            "interrupted_on": c.get("interrupted_on") if f.report.get("ivo") == "interrupted" else None,
            "due_on": f.due_on.isoformat() if f.due_on else None,
            "done_on": f.done_on.isoformat() if f.done_on else None,
            "days": f.late_days if category == "executed" else f.days_overdue,
            "sex": c.get("sex"), "birth_year": c.get("birth_year"), "reason": c.get("reason"),
        })
    order = {c: i for i, c in enumerate(LISTS)}
    rows.sort(key=lambda r: (LAWS.index(r["law"]), order[r["category"]], r["subject"]))
    label = f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return IvoReport(label, org, start, end, rows, evaluation)


def write_report(report: IvoReport, out_dir: str | Path) -> list[Path]:
    """Write ``ivo-<quarter>.csv`` and ``ivo-<quarter>.xlsx`` (one sheet per law + counts)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"ivo-{report.quarter}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow([h for h, _ in COLUMNS])
        for r in report.rows:
            w.writerow([LIST_SV.get(r[k], r[k]) if k == "category" else
                        ("" if r[k] is None else r[k]) for _, k in COLUMNS])
    wb = Workbook()
    ws0 = wb.active
    assert ws0 is not None
    wb.remove(ws0)
    for law in LAWS:
        ws = wb.create_sheet(law)
        ws.append([f"Ej verkställda gynnande beslut enligt {law} per {report.as_of}"])
        ws["A1"].font = Font(bold=True)
        ws.append([h for h, k in COLUMNS if k != "law"])
        for r in report.rows:
            if r["law"] == law:
                ws.append([
                    LIST_SV[r[k]] if k == "category" else
                    (date.fromisoformat(r[k]) if k.endswith("_on") and r[k] else r[k])
                    for _, k in COLUMNS if k != "law"
                ])
    ws = wb.create_sheet("Antal")
    ws.append(["Lag", "Verksamhet", *(LIST_SV[c] for c in LISTS)])
    for law, areas in report.counts().items():
        for area, per in sorted(areas.items()):
            ws.append([law, area, *(per[c] for c in LISTS)])
    ws.append([])
    ws.append(["Regelrevision", report.evaluation.rules_revision[:12]])
    ws.append(["Körning", report.evaluation.run_id])
    xlsx_path = out / f"ivo-{report.quarter}.xlsx"
    wb.save(xlsx_path)
    return [csv_path, xlsx_path]
