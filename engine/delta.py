"""What a run changes in the finding state, found in SQL without touching the other findings.

A finding's state on date D follows from its row in ``deadlines`` (start, due, done and end
dates, a check's or measure's stored status) and D, so SQL computes it. Between an
organisation's last logged run on date P and a run on D, only these rows can have changed:

* rows written or removed by ``refresh`` since (``deadline_journal``);
* rows with a date in the span between P and D where something happens: the start, the due
  date (upcoming → due → overdue), the done date, the done date plus the listing window
  (drops out), the end date, the escalation date;
* every row of a rule whose validity starts or ends in the span.

:func:`changes` computes the state of those rows on D and compares it with
``finding_state``. Without an earlier run it compares every row: the first run is cold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from engine.ended import marks
from engine.findings import Finding
from engine.projection import bump
from engine.rules.loaded import RuleSet
from engine.state import INFO, Change, canonical, diff, info_of, last_runs, payload, payload_of, stored

_STATE = """
SELECT d.org, d.id, d.rule_id, d.rule_version, d.kind, d.subject,
  CASE WHEN d.kind = 'deadline' THEN
         CASE WHEN d.done_on IS NOT NULL AND d.done_on <= :d THEN 'resolved'
              WHEN d.due_on > :d THEN 'upcoming' WHEN d.due_on = :d THEN 'due'
              ELSE 'overdue' END
       ELSE d.status END AS status,
  d.due_on,
  CASE WHEN d.kind = 'deadline' AND d.done_on IS NOT NULL AND d.done_on <= :d
       THEN d.done_on END AS done_on,
  d.value, d.band,
  (d.kind = 'deadline' AND d.escalate_on IS NOT NULL AND (d.done_on IS NULL OR d.done_on > :d)
   AND d.due_on < :d AND d.escalate_on <= :d) AS escalated,
  CASE WHEN d.kind = 'deadline' AND d.done_on IS NOT NULL AND d.done_on <= :d
       THEN max(0, CAST(julianday(d.done_on) - julianday(d.due_on) AS INTEGER)) END AS late_days,
  CASE WHEN d.kind = 'deadline' AND (d.done_on IS NULL OR d.done_on > :d) AND d.due_on < :d
       THEN CAST(julianday(:d) - julianday(d.due_on) AS INTEGER) ELSE 0 END AS days_overdue,
  r.severity, r.esc_severity,
  ((r.valid_from IS NULL OR r.valid_from <= :d) AND (r.valid_to IS NULL OR :d <= r.valid_to)
   AND (d.start_on IS NULL OR d.start_on <= :d)
   AND (CASE WHEN d.kind = 'deadline'
             THEN d.done_on IS NULL OR d.done_on > :d OR d.done_on >= :window
             ELSE d.end_on IS NULL OR d.end_on >= :d END)) AS listed
FROM ({candidates}) c JOIN deadlines d ON d.rowid = c.rid
JOIN temp._rules r ON r.org = d.org AND r.rule_key = d.rule_key
"""
_ALL = "SELECT rowid AS rid FROM deadlines WHERE org = :org"
_JOURNALED = ("SELECT d.rowid FROM deadline_journal j JOIN deadlines d ON d.org = j.org "
              "AND d.rule_key = j.rule_key AND d.id = j.id WHERE j.org = :org")

_COLUMNS = ("org", "id", "rule_id", "rule_version", "kind", "subject", "status", "due_on",
            "done_on", "value", "band", "escalated", "late_days", "days_overdue", "severity",
            "esc_severity", "listed")


def _rules_table(db: Database, org: str, ruleset: RuleSet, skip: set[str]) -> None:
    db.execute("CREATE TEMP TABLE IF NOT EXISTS _rules (org TEXT, rule_key TEXT, after_days "
               "INTEGER, valid_from TEXT, valid_to TEXT, severity TEXT, esc_severity TEXT, "
               "PRIMARY KEY (org, rule_key))")
    db.execute("DELETE FROM temp._rules WHERE org = ?", [org])
    rows = []
    for lr in ruleset.rules:
        if lr.key in skip:
            continue
        esc = lr.rule.finding.escalate
        severity = lr.rule.finding.severity or lr.rule.severity
        rows.append((org, lr.key, esc.after_days if esc else None, _iso(lr.rule.valid_from),
                     _iso(lr.rule.valid_to), severity,
                     (esc.severity or bump(severity)) if esc else None))
    db.conn.executemany("INSERT INTO temp._rules VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _span(ruleset: RuleSet, prev: date, as_of: date, window: int) -> tuple[str, dict[str, Any]]:
    """The SQL for the rowids of the rows whose state can differ between ``prev`` and
    ``as_of`` (a day of slack on each side: a superset is harmless, the states are compared):
    a union of selections that each use an index, so the other rows are never read."""
    lo, hi = min(prev, as_of) - timedelta(days=1), max(prev, as_of) + timedelta(days=1)
    params: dict[str, Any] = {}

    def between(column: str, shift: int = 0, key: str | None = None) -> str:
        n = len(params)
        params[f"lo{n}"] = (lo - timedelta(days=shift)).isoformat()
        params[f"hi{n}"] = (hi - timedelta(days=shift)).isoformat()
        rule = ""
        if key is not None:
            params[f"k{n}"] = key
            rule = f" AND rule_key = :k{n}"
        return (f"SELECT rowid AS rid FROM deadlines WHERE org = :org AND {column} "
                f"BETWEEN :lo{n} AND :hi{n}{rule}")

    parts = [between("start_on"), between("due_on"), between("done_on"),
             between("done_on", window), between("end_on"), between("escalate_on")]
    for lr in ruleset.rules:
        if any(v and lo <= v <= hi for v in (lr.rule.valid_from, lr.rule.valid_to)):
            params[f"v{len(params)}"] = lr.key
            parts.append(f"SELECT rowid FROM deadlines WHERE org = :org AND rule_key = "
                         f":v{len(params) - 1}")
    parts.append(_JOURNALED)
    return " UNION ".join(parts), params


Found = tuple[dict[tuple[str, str], str], dict[tuple[str, str], str], set[tuple[str, str]]]


def _current(db: Database, org: str, as_of: date, window: int, candidates: str,
             params: dict[str, Any]) -> Found:
    """(payloads of the listed candidate rows, their information, keys of every candidate)."""
    values = {**params, "d": as_of.isoformat(),
              "window": (as_of - timedelta(days=window)).isoformat(), "org": org}
    listed: dict[tuple[str, str], str] = {}
    info: dict[tuple[str, str], str] = {}
    seen: set[tuple[str, str]] = set()
    for row in db.execute(_STATE.format(candidates=candidates), values):
        r = dict(zip(_COLUMNS, row, strict=True))
        key = (r["org"], r["id"])
        seen.add(key)
        if r.pop("listed"):
            r["escalated"] = bool(r["escalated"])
            if r["escalated"]:
                r["severity"] = r["esc_severity"]
            listed[key] = payload(r)
            info[key] = canonical({k: r[k] for k in INFO})
    return listed, info, seen


def changes(db: Database, rulesets: dict[str, RuleSet], as_of: date, window: int,
            skip: Iterable[tuple[str, str]] = (), extra: Iterable[Finding] = ()) -> list[Change]:
    """The changes of the organisations in ``rulesets`` from their last logged run to
    ``as_of``. ``skip`` are (org, rule key) of rules that failed in this run: their findings
    keep their state. ``extra`` are findings that have no row (a failed rule's IT check)."""
    skipped = set(skip)
    previous = last_runs(db)
    out: list[Change] = []
    extras = {(f.org, f.id): payload_of(f) for f in extra}
    extra_info = {(f.org, f.id): info_of(f) for f in extra}
    for org, ruleset in rulesets.items():
        skip_keys = {key for o, key in skipped if o == org}
        _rules_table(db, org, ruleset, skip_keys)
        prev = previous.get(org)
        if prev is None:  # the first logged run: every row, and whatever the state holds
            listed, info, seen = _current(db, org, as_of, window, _ALL, {})
            old = stored(db, orgs=[org])
            keys = seen | set(old)
        else:
            candidates, params = _span(ruleset, date.fromisoformat(prev), as_of, window)
            listed, info, seen = _current(db, org, as_of, window, candidates, params)
            journal = {(org, i) for (i,) in db.execute(
                "SELECT id FROM deadline_journal WHERE org = ?", [org])}
            failing = {(org, i) for (i,) in db.execute(  # a range on the primary key
                "SELECT id FROM finding_state WHERE org = ? AND id >= 'bevaka.' "
                "AND id < 'bevaka/'", [org])}  # bevaka's own checks (failed rules, mail)
            keys = seen | journal | failing
            old = stored(db, keys)
        org_extra = {k: v for k, v in extras.items() if k[0] == org}
        listed.update(org_extra)
        info.update({k: v for k, v in extra_info.items() if k[0] == org})
        keys |= set(org_extra)
        if skip_keys:
            keys = {k for k in keys if rule_key(old.get(k)) not in skip_keys}
        ended = marks(db, org)
        out.extend(replace(c, ended=ended.get(c.id)) if c.op == "removed" and c.id in ended else c
                   for c in diff(old, listed, keys, info))
    return out


def rule_key(stored_payload: str | None) -> str | None:
    """The ``rule_id@version`` a stored payload belongs to."""
    if stored_payload is None:
        return None
    data = json.loads(stored_payload)
    return f"{data['rule_id']}@{data['rule_version']}"
