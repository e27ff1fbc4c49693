"""The IVO quarter: one evaluation as of the quarter's last day, sorted into the lists the
committee reports (the data side; the files are written by ``notifications.reports``).

Per law (SoL, LSS), as of the quarter's last day:

* ``not_executed``: clock A — not executed, and the three months ran out on or before the
  quarter end;
* ``interrupted``: clock B — an interruption not resumed within three months (each
  interruption of a decision has its own three months);
* ``executed``: executed (or resumed) during the quarter after its three months had run out —
  also when the three months ran out in the same quarter (decided 2024-07-15, due
  2024-10-15, executed 2024-11-20: executed in 2024Q4), since it was not executed within
  three months;

and under their own keys: ``partial`` (a part of an insats not delivered within three months,
or delivered late during the quarter), ``closed`` (closed without execution during the quarter
after the three months: reporting ends), and the listed decisions the person chose to wait
for a chosen provider (``lov_postponed``) or has declined an offer for (``declined_offers``).

The report is taken at the end of the quarter's last day, so a deadline on that day counts as
missed. Every row cites its paragraph for the reporting date (:mod:`engine.ivo_law`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from engine.calendar import parse_quarter, quarter_end
from engine.config import Config
from engine.evaluate import evaluate
from engine.findings import Evaluation, Finding, Status
from engine.ivo_law import CATEGORIES, citation
from engine.rules.loader import RuleSet

LAWS = ("SoL", "LSS")
LISTS = ("not_executed", "interrupted", "executed")
LIST_SV = {"not_executed": "Ej verkställt", "interrupted": "Avbrott", "executed": "Verkställt",
           "partial": "Delvis ej verkställt", "partial_executed": "Del verkställd",
           "closed": "Avslutat utan verkställighet"}
KINDS = ("not_executed", "interrupted", "partial")  # the rules' ``report: ivo:`` values
CHUNK = 500


def quarter_label(quarter: str) -> str:
    """``2024q4`` / ``Q4 2024`` → ``2024Q4`` (a mistyped quarter raises ``QuarterError``)."""
    start, _ = parse_quarter(quarter)
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


@dataclass
class IvoReport:
    """The quarter's snapshot: every listed row, from one evaluation run."""

    quarter: str
    org: str
    start: date
    as_of: date
    rows: list[dict[str, Any]]
    evaluation: Evaluation
    window: dict[str, Any] = field(default_factory=dict)
    reported: dict[str, Any] = field(default_factory=dict)

    def ids(self, law: str, category: str) -> list[str]:
        """The case references (decision ids) listed under ``category``."""
        return sorted({r["subject"] for r in self.rows if r["law"] == law
                       and r["category"] == category})

    def refs(self, law: str, category: str) -> list[str]:
        """The finding subjects under ``category`` (a part: ``D-1/3 av 5 timmar``)."""
        return sorted(r["ref"] for r in self.rows if r["law"] == law
                      and r["category"] == category)

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """Per law and area (verksamhet): the three lists of issue 2 (decisions)."""
        out: dict[str, dict[str, dict[str, int]]] = {law: {} for law in LAWS}
        for r in self.rows:
            if r["category"] not in LISTS:
                continue
            area = r["area"] or "okänd"
            per = out[r["law"]].setdefault(area, dict.fromkeys(LISTS, 0))
            per[r["category"]] += 1
        return out

    def totals(self) -> dict[str, dict[str, int]]:
        """Rows per law and category (every category): what reconciliation compares."""
        out = {law: dict.fromkeys(CATEGORIES, 0) for law in LAWS}
        for r in self.rows:
            out[r["law"]][r["category"]] += 1
        return out

    def flagged(self, law: str, flag: str) -> list[str]:
        return sorted({r["subject"] for r in self.rows if r["law"] == law and r[flag]})

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"quarter": self.quarter, "as_of": self.as_of.isoformat()}
        for law in LAWS:
            data[law] = {c: self.ids(law, c) for c in LISTS}
        data["counts"] = self.counts()
        data["partial"] = {law: {"not_executed": self.refs(law, "partial"),
                                 "executed": self.refs(law, "partial_executed")}
                           for law in LAWS}
        data["closed"] = {law: self.ids(law, "closed") for law in LAWS}
        data["lov_postponed"] = {law: self.flagged(law, "lov") for law in LAWS}
        data["declined_offers"] = {law: self.flagged(law, "declined") for law in LAWS}
        data["totals"] = self.totals()
        data["rows"] = [public_row(r) for r in self.rows]
        data["window"] = self.window
        data["reported"] = self.reported
        data["run_id"] = self.evaluation.run_id
        data["rules_revision"] = self.evaluation.rules_revision
        return data


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the reports show it: without the birth date (worksheets only)."""
    return {k: v for k, v in row.items() if k not in ("birth_date", "offers")}


def ivo_report(db: Database, config: Config, quarter: str, org: str,
               ruleset: RuleSet | None = None) -> IvoReport:
    """Evaluate organisation ``org`` as of the quarter's end and sort the IVO findings into
    the report's lists (not logged; ``Bevaka.report_ivo`` logs its run)."""
    _, end = parse_quarter(quarter)
    return build_report(db, evaluate(db, config, end, ruleset, org=org), quarter, org)


def _category(f: Finding, start: date, end: date) -> str | None:
    kind = f.report.get("ivo")
    if kind not in KINDS or f.due_on is None:
        return None
    if f.status in (Status.overdue, Status.due):
        return kind
    if (f.status is Status.resolved and f.done_on and start <= f.done_on <= end
            and (f.late_days or 0) > 0):
        return "partial_executed" if kind == "partial" else "executed"
    return None


def rows_where(db: Database, table: str, org: str, column: str,
               values: list[str]) -> list[dict[str, Any]]:
    """Rows of ``table`` of ``org`` whose ``column`` is one of ``values`` (500 at a time)."""
    out: list[dict[str, Any]] = []
    for i in range(0, len(values), CHUNK):
        chunk = values[i:i + CHUNK]
        cur = db.execute(f'SELECT * FROM "{table}" WHERE org = ? AND "{column}" IN '
                         f"({', '.join('?' for _ in chunk)})", [org, *chunk])
        names = [d[0] for d in cur.description]
        out.extend(dict(zip(names, r, strict=True)) for r in cur)
    return out


def _links(db: Database, org: str, listed: list[tuple[Finding, str]]) -> dict[str, dict[str, Any]]:
    """Finding subject → the interruption or part it is about (with its ``decision_id``)."""
    links: dict[str, dict[str, Any]] = {}
    for table, kind in (("interruptions", "interrupted"), ("partial_executions", "partial")):
        refs = sorted({f.subject for f, _ in listed if f.fact_type != "decision"
                       and f.report.get("ivo") == kind})
        for row in rows_where(db, table, org, "ref", refs):
            links[row["ref"]] = row
    return links


def _offers(db: Database, org: str, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows_where(db, "offers", org, "decision_id", ids),
                      key=lambda r: r["offered_on"]):
        out.setdefault(row["decision_id"], []).append(
            {"offered_on": row["offered_on"], "declined_on": row["declined_on"],
             "offer": row["offer"]})
    return out


def _row(f: Finding, category: str, c: dict[str, Any], link: dict[str, Any],
         offers: list[dict[str, Any]], as_of: date) -> dict[str, Any]:
    kind = f.report.get("ivo")
    natural = {"not_executed": c.get("executed_on"), "partial": link.get("delivered_on"),
               "interrupted": link.get("resumed_on") if link else c.get("resumed_on")}[str(kind)]
    done = f.done_on.isoformat() if f.done_on else None
    if category in ("executed", "partial_executed") and natural is None and c.get("closed_on") == done:
        category = "closed"  # closed without execution: the notice ends the reporting
    case = {"partial_executed": "executed"}.get(category, category)
    if category == "closed" and kind == "interrupted":
        case = "closed_interrupted"
    interrupted_on = (link.get("interrupted_on") or c.get("interrupted_on")
                      if kind == "interrupted" else None)
    return {
        "law": c["law"], "category": category, "subject": c["id"], "ref": f.subject,
        "finding_id": f.id, "rule_id": f.rule_id, "rule_version": f.rule_version,
        "area": c.get("area"), "service": c.get("service"), "part": link.get("part"),
        "decided_on": c.get("decided_on"), "interrupted_on": interrupted_on,
        "not_delivered_from": link.get("not_delivered_from"),
        "start_on": f.start_on.isoformat() if f.start_on else None,
        "due_on": f.due_on.isoformat() if f.due_on else None, "done_on": done,
        "days": f.late_days if category in ("executed", "closed", "partial_executed")
        else f.days_overdue,
        "sex": c.get("sex"), "birth_year": c.get("birth_year"), "birth_date": c.get("birth_date"),
        "reason": link.get("reason") or c.get("reason"),
        "closed_on": c.get("closed_on") if category == "closed" else None,
        "closed_reason": c.get("closed_reason") if category == "closed" else None,
        "lov": bool(c.get("lov_wait_from")), "lov_wait_from": c.get("lov_wait_from"),
        "declined": any(o["declined_on"] for o in offers), "offers": offers,
        "citation": citation(c["law"], case, as_of),
        "why": f.why,
    }


ORDER = {c: i for i, c in enumerate((*LISTS, "partial", "partial_executed", "closed"))}


def build_report(db: Database, evaluation: Evaluation, quarter: str, org: str) -> IvoReport:
    """The report from an evaluation as of the quarter's last day, with each decision's
    columns read from the register."""
    start, end = parse_quarter(quarter)
    listed = [(f, cat) for f in evaluation.findings if f.org == org
              and (cat := _category(f, start, end)) is not None]
    links = _links(db, org, listed)
    decision_of = {f.subject: (links.get(f.subject, {}).get("decision_id") if f.fact_type
                               != "decision" else f.subject) for f, _ in listed}
    ids = sorted({d for d in decision_of.values() if d})
    facts = {r["id"]: r for r in rows_where(db, "decisions", org, "id", ids)}
    offers = _offers(db, org, ids)
    rows = []
    for f, category in listed:
        did = decision_of.get(f.subject)
        c = facts.get(did or "", {})
        if c.get("law") not in LAWS:
            continue
        rows.append(_row(f, category, c, links.get(f.subject, {}), offers.get(did or "", []),
                         end))
    rows.sort(key=lambda r: (LAWS.index(r["law"]), ORDER[r["category"]], r["subject"], r["ref"]))
    label = quarter_label(quarter)
    return IvoReport(label, org, start, end, rows, evaluation, window_for(db, org, label),
                     reported_mark(db, org, label))


def standard_window(quarter: str) -> tuple[date, date]:
    """IVO's usual window for a quarter: Q1 1–30 April, Q2 1 July–31 August, Q3 1–31 October,
    Q4 1–31 January of the next year."""
    year, q = int(quarter[:4]), int(quarter[-1])
    return {1: (date(year, 4, 1), date(year, 4, 30)), 2: (date(year, 7, 1), date(year, 8, 31)),
            3: (date(year, 10, 1), date(year, 10, 31)),
            4: (date(year + 1, 1, 1), date(year + 1, 1, 31))}[q]


def window_for(db: Database, org: str, quarter: str) -> dict[str, Any]:
    """The quarter's reporting window from ``ivo_windows``, else IVO's usual one (marked as
    such: the installation should import the year's table)."""
    row = db.execute("SELECT opens_on, closes_on FROM ivo_windows WHERE org = ? AND quarter = ?",
                     [org, quarter]).fetchone()
    if row:
        return {"opens_on": row[0], "closes_on": row[1], "source": "ivo_windows"}
    opens, closes = standard_window(quarter)
    return {"opens_on": opens.isoformat(), "closes_on": closes.isoformat(), "source": "standard"}


def reported_mark(db: Database, org: str, quarter: str) -> dict[str, Any]:
    row = db.execute("SELECT reported_on FROM ivo_reported WHERE org = ? AND quarter = ?",
                     [org, quarter]).fetchone()
    return {"marked": bool(row), "reported_on": row[0] if row else None}


def quarter_end_of(quarter: str) -> date:
    start, _ = parse_quarter(quarter)
    return quarter_end(start)
