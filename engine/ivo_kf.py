"""The quarter's two other reports, from the same snapshot as the IVO report, and the check
that the three agree.

* the **statistics report to kommunfullmäktige** (SoL 34 kap. 3 §, LSS 28 h §; before
  2025-07-01 SoL 16 kap. 6 h §): per law the decisions not executed and the interruptions not
  resumed as of the quarter's end, per type of insats and per time band, split by women and
  men; a part of an insats not delivered counts as not executed (IVO's instruction), and
  never-executed is kept apart from interrupted;
* the **auditors' report** (revisorerna): every listed row with the run id, the rule and its
  revision, the paragraph and the why text.

:func:`reconcile` compares the three counts, decision by decision; a difference stops the
export. A decision whose sex is ``Annat`` or not given is counted per law and list under
``other_or_unknown_sex`` (the register accepts ``Annat``; the statistics split women and men, so
it cannot be placed in either column, but it is not left out of the count either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.ivo import LAWS, IvoReport, public_row
from engine.ivo_law import TIME_BANDS, citation, time_band
from facts.errors import UserError

KF_LISTS = ("not_executed", "interrupted")
SEX_KEY = {"Kvinna": "kvinnor", "Man": "män"}
KF_SV = {"not_executed": "Ej verkställda", "interrupted": "Avbrott, ej återupptagna"}


def kf_list(category: str) -> str | None:
    """The KF statistics list a snapshot row belongs to (``partial`` counts as not executed)."""
    return {"not_executed": "not_executed", "partial": "not_executed",
            "interrupted": "interrupted"}.get(category)


@dataclass
class KfReport:
    quarter: str
    as_of: date
    by_law: dict[str, dict[str, Any]]
    counted: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (law, list) → refs
    uncounted: dict[str, str] = field(default_factory=dict)  # ref → why it is not counted

    def to_dict(self) -> dict[str, Any]:
        return {"quarter": self.quarter, "as_of": self.as_of.isoformat(), **self.by_law}


def _zero() -> dict[str, int]:
    return {"kvinnor": 0, "män": 0}


def kf_report(rep: IvoReport) -> KfReport:
    """The statistics report to kommunfullmäktige from the quarter's snapshot."""
    by_law: dict[str, dict[str, Any]] = {}
    counted: dict[tuple[str, str], set[str]] = {(law, k): set() for law in LAWS for k in KF_LISTS}
    uncounted: dict[str, str] = {}
    for law in LAWS:
        by_law[law] = {
            "by_insats": {k: {} for k in KF_LISTS},
            "by_time": {k: {label: _zero() for label, _, _ in TIME_BANDS} for k in KF_LISTS},
            "totals": {k: _zero() for k in KF_LISTS},
            "other_or_unknown_sex": {k: 0 for k in KF_LISTS},
            "citation": citation(law, "statistics", rep.as_of),
        }
    for r in rep.rows:
        kind = kf_list(r["category"])
        if kind is None:
            continue
        sex = SEX_KEY.get(r.get("sex") or "")
        data = by_law[r["law"]]
        if sex is None:
            data["other_or_unknown_sex"][kind] += 1
            counted[(r["law"], kind)].add(r["ref"])
            continue
        insats = r.get("service") or "okänd insats"
        data["by_insats"][kind].setdefault(insats, _zero())[sex] += 1
        start = r["interrupted_on"] if kind == "interrupted" else r["decided_on"]
        data["by_time"][kind][time_band(date.fromisoformat(start), rep.as_of)][sex] += 1
        data["totals"][kind][sex] += 1
        counted[(r["law"], kind)].add(r["ref"])
    for data in by_law.values():
        for kind in KF_LISTS:
            data["by_insats"][kind] = dict(sorted(data["by_insats"][kind].items()))
    return KfReport(rep.quarter, rep.as_of, by_law, counted, uncounted)


def revision_report(rep: IvoReport) -> dict[str, Any]:
    """The auditors' report: the snapshot's rows with the run, the rule and the why."""
    ev = rep.evaluation
    rows = [{**public_row(r), "run_id": ev.run_id, "rules_revision": ev.rules_revision}
            for r in rep.rows]
    return {"quarter": rep.quarter, "as_of": rep.as_of.isoformat(), "org": rep.org,
            "run_id": ev.run_id, "rules_revision": ev.rules_revision,
            "facts_hash": ev.facts_hash, "evaluated_at": ev.evaluated_at,
            "totals": rep.totals(), "rows": rows}


@dataclass(frozen=True)
class Difference:
    law: str
    what: str
    ivo: int
    kf: int
    revision: int
    refs: list[str]
    reasons: dict[str, str]

    def line(self) -> str:
        named = ", ".join(f"{r} ({self.reasons[r]})" if r in self.reasons else r
                          for r in self.refs)
        return (f"{self.law} {self.what}: IVO-rapporten {self.ivo}, KF-rapporten {self.kf}, "
                f"revisionsrapporten {self.revision}; skiljer sig: {named}")

    def to_dict(self) -> dict[str, Any]:
        return {"law": self.law, "list": self.what, "ivo": self.ivo, "kf": self.kf,
                "revision": self.revision, "decisions": self.refs, "reasons": self.reasons}


class ReconciliationError(UserError):
    """The three reports of a quarter do not agree; nothing was exported."""

    def __init__(self, quarter: str, differences: list[Difference]):
        self.differences = differences
        super().__init__("\n".join([
            f"avstämningen av {quarter} stämmer inte; inget exporterades ({len(differences)} "
            "skillnader). Rätta registret och kör igen:",
            *("  " + d.line() for d in differences)]))


def reconcile(rep: IvoReport, kf: KfReport | None = None,
              revision: dict[str, Any] | None = None) -> list[Difference]:
    """Compare, per law and list, the decisions in the IVO report, the KF statistics and the
    auditors' report. Returns the differences (empty when the three agree)."""
    kf = kf or kf_report(rep)
    revision = revision or revision_report(rep)
    out: list[Difference] = []
    for law in LAWS:
        for kind in KF_LISTS:
            ivo = {r["ref"] for r in rep.rows if r["law"] == law and kf_list(r["category"]) == kind}
            rev = {r["ref"] for r in revision["rows"] if r["law"] == law
                   and kf_list(r["category"]) == kind and r.get("why") and r.get("run_id")}
            counted = kf.counted[(law, kind)]
            data = kf.by_law[law]
            by_time = sum(v for band in data["by_time"][kind].values() for v in band.values())
            by_insats = sum(v for ins in data["by_insats"][kind].values() for v in ins.values())
            other = data["other_or_unknown_sex"][kind]
            if ivo == counted == rev and by_time + other == by_insats + other == len(counted):
                continue
            refs = sorted((ivo ^ counted) | (ivo ^ rev))
            out.append(Difference(law, KF_SV[kind], len(ivo), by_insats + other, len(rev), refs,
                                  {r: kf.uncounted[r] for r in refs if r in kf.uncounted}))
    return out


def check_reconciled(rep: IvoReport) -> tuple[KfReport, dict[str, Any]]:
    """The KF and auditors' reports of ``rep``; raises :class:`ReconciliationError` when the
    three do not agree."""
    kf = kf_report(rep)
    revision = revision_report(rep)
    differences = reconcile(rep, kf, revision)
    if differences:
        raise ReconciliationError(rep.quarter, differences)
    return kf, revision
