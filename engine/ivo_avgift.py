"""Särskild avgift exposure: what the municipality risks for each decision that was not
executed within three months, as an estimate (never IVO's decision, never a court's).

For each such decision as of a date — still not executed, or executed (resumed, delivered,
closed) late within the last two years:

* the legal floor and ceiling by the decision date (:func:`engine.ivo_law.fee_range`);
* an estimate: the municipality's monthly cost of the insats (``[ivo] monthly_cost``) times the
  months past the time the municipality holds reasonable (``[ivo] reasonable_months`` from the
  clock's start, never before the three months ran out), in months and fractions of a month as
  the courts count them, kept within the floor and ceiling; none without a cost;
* the two-year limit (SoL 34 kap. 10 §, LSS 28 e §): two years from the day the decision was
  executed or closed; an alert ``[ivo] alert_days`` before it.

The rows are read in SQL from the stored deadlines of the IVO rules (``report: ivo``), so a
decision executed long ago is found without listing every finding.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from engine.calendar import add_months
from engine.config import Config
from engine.ivo import rows_where
from engine.ivo_law import fee_range, two_year_citation
from engine.rules.loader import RuleSet

LABEL = ("Uppskattning av kommunens risk för särskild avgift. Det är inte IVO:s bedömning "
         "och inte ett beslut: avgiften beslutas av förvaltningsrätten på ansökan av IVO.")
MONTH_DAYS = 365.25 / 12


def _deadlines(db: Database, keys: list[str], org: str, as_of: date) -> list[dict[str, Any]]:
    if not keys:
        return []
    oldest = add_months(as_of, -24).isoformat()
    marks = ", ".join("?" for _ in keys)
    cur = db.execute(
        f"SELECT rule_id, fact_type, subject, start_on, due_on, done_on FROM deadlines "
        f"WHERE org = ? AND rule_key IN ({marks}) AND kind = 'deadline' AND due_on <= ? "
        f"AND (done_on IS NULL OR done_on > ? OR (done_on > due_on AND done_on >= ?)) "
        f"ORDER BY subject, rule_id", [org, *keys, as_of.isoformat(), as_of.isoformat(), oldest])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def _cost(config: Config, service: str | None) -> float | None:
    costs = {k.strip().lower(): v for k, v in config.ivo.monthly_cost.items()}
    return costs.get((service or "").strip().lower())


def avgift_report(db: Database, config: Config, ruleset: RuleSet, org: str,
                  as_of: date) -> dict[str, Any]:
    """The exposure of ``org`` as of ``as_of`` (call after the deadlines are refreshed)."""
    keys = [lr.key for lr in ruleset.rules if "ivo" in lr.rule.report and lr.rule.valid_on(as_of)]
    found = _deadlines(db, keys, org, as_of)
    links = {r["ref"]: r["decision_id"] for table in ("interruptions", "partial_executions")
             for r in rows_where(db, table, org, "ref",
                                 sorted({d["subject"] for d in found if d["fact_type"] != "decision"}))}
    ids = sorted({links.get(d["subject"], d["subject"]) if d["fact_type"] != "decision"
                  else d["subject"] for d in found})
    decisions = {r["id"]: r for r in rows_where(db, "decisions", org, "id", ids)}
    declined = {r["decision_id"] for r in rows_where(db, "offers", org, "decision_id", ids)
                if r["declined_on"]}
    settings = config.ivo
    rows = []
    for d in found:
        did = d["subject"] if d["fact_type"] == "decision" else links.get(d["subject"])
        c = decisions.get(did or "")
        if not c or c.get("law") not in ("SoL", "LSS"):
            continue
        decided = date.fromisoformat(c["decided_on"])
        fees = fee_range(c["law"], decided)
        done = date.fromisoformat(d["done_on"]) if d["done_on"] else None
        done = done if done and done <= as_of else None
        start, due = date.fromisoformat(d["start_on"]), date.fromisoformat(d["due_on"])
        unreasonable = max(due, add_months(start, settings.reasonable_months))
        months = round(max(0, ((done or as_of) - unreasonable).days) / MONTH_DAYS, 2)
        cost = _cost(config, c.get("service"))
        estimate = (None if cost is None else 0 if months <= 0 else
                    round(min(max(months * cost, fees.floor), fees.ceiling)))
        limit = add_months(done, 24) if done else None
        alert = bool(limit and limit - timedelta(days=settings.alert_days) <= as_of <= limit)
        rows.append({
            "subject": did, "ref": d["subject"], "rule_id": d["rule_id"], "law": c["law"],
            "service": c.get("service"), "decided_on": c["decided_on"], "start_on": d["start_on"],
            "due_on": d["due_on"], "done_on": done.isoformat() if done else None,
            "floor": fees.floor, "ceiling": fees.ceiling, "fee_citation": fees.citation,
            "unreasonable_from": unreasonable.isoformat(), "months_past": months,
            "monthly_cost": cost, "estimate": estimate,
            "two_year_limit": limit.isoformat() if limit else None,
            "two_year_citation": two_year_citation(c["law"], as_of), "alert": alert,
            "lov": bool(c.get("lov_wait_from")), "declined_offer": did in declined,
        })
    known = [r["estimate"] for r in rows if r["estimate"] is not None]
    return {
        "as_of": as_of.isoformat(), "org": org, "label": LABEL,
        "settings": {"reasonable_months": settings.reasonable_months,
                     "alert_days": settings.alert_days},
        "rows": rows,
        "totals": {"decisions": len(rows), "floor": sum(r["floor"] for r in rows),
                   "ceiling": sum(r["ceiling"] for r in rows), "estimate": sum(known),
                   "without_cost": sum(1 for r in rows if r["estimate"] is None)},
        "alerts": sorted({r["ref"] for r in rows if r["alert"]}),
    }
