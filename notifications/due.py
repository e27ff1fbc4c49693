"""The reminders due on a date, found in SQL: the daily job's selection at any scale.

The level of every listed row of ``deadlines`` follows from its dates (or a check's or
measure's status), its rule's escalation and ``[rules] warn_days``; its recipients from the
row (and, when escalated, the escalation's recipients) and the organisation's role
addresses. One query finds the (finding, address, level) that are due and not yet in
``notified``; only those findings are read and get their why texts, so the work grows with
the reminders sent, not with the register. It gives the same :class:`Selection` as
:func:`notifications.select.select_reminders` does from findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlite_utils import Database

from engine.config import Config
from engine.findings import Finding
from engine.projection import make_finding
from engine.rules.loaded import LoadedRule, RuleSet
from notifications.select import Digest, DigestItem, Level, Selection, Unaddressed, select_reminders

_LEVELS = """
WITH listed AS (
  SELECT d.*, r.severity AS rule_severity,
    (d.kind = 'deadline' AND d.escalate_on IS NOT NULL AND d.due_on < :d
     AND d.escalate_on <= :d) AS escalated
  FROM deadlines d JOIN temp._remind_rules r ON r.org = d.org AND r.rule_key = d.rule_key
  WHERE d.org = :org AND (d.start_on IS NULL OR d.start_on <= :d)
    AND (CASE WHEN d.kind = 'deadline' THEN d.done_on IS NULL OR d.done_on > :d
              ELSE (d.end_on IS NULL OR d.end_on >= :d) AND d.status IN ('failed', 'not_met')
                   AND r.severity != 'info' END)
    AND (d.kind != 'deadline' OR d.due_on <= :warn)
), levelled AS (
  SELECT org, id, rule_key, recipients, escalate_to, escalated,
    CASE WHEN kind != 'deadline' THEN 'avvikelse'
         WHEN due_on < :d THEN CASE WHEN escalated THEN 'eskalerad' ELSE 'forsenad' END
         WHEN due_on = :d THEN 'idag' ELSE 'varning' END AS level
  FROM listed
), wanted AS (
  SELECT l.org, l.id, l.rule_key, l.level, j.value AS recipient
  FROM levelled l, json_each(l.recipients) j
  UNION
  SELECT l.org, l.id, l.rule_key, l.level, e.value
  FROM levelled l, json_each(coalesce(l.escalate_to, '[]')) e WHERE l.escalated
  UNION ALL
  SELECT l.org, l.id, l.rule_key, l.level, NULL FROM levelled l
  WHERE json_array_length(l.recipients) = 0
    AND NOT (l.escalated AND json_array_length(coalesce(l.escalate_to, '[]')) > 0)
), addressed AS (
  SELECT w.*, CASE WHEN instr(w.recipient, '@') > 0 THEN lower(trim(w.recipient))
                   ELSE a.address END AS address
  FROM wanted w LEFT JOIN temp._addresses a ON a.org = w.org AND a.role = w.recipient
)
SELECT org, id, rule_key, level, recipient, address FROM addressed x
WHERE address IS NULL
   OR NOT EXISTS (SELECT 1 FROM notified n WHERE n.org = x.org AND n.finding_id = x.id
                  AND n.recipient = x.address AND n.level = x.level)
"""


def _temp_tables(db: Database, config: Config, org: str, ruleset: RuleSet,
                 skip: set[str]) -> None:
    db.execute("CREATE TEMP TABLE IF NOT EXISTS _remind_rules (org TEXT, rule_key TEXT, "
               "after_days INTEGER, severity TEXT, PRIMARY KEY (org, rule_key))")
    db.execute("CREATE TEMP TABLE IF NOT EXISTS _addresses (org TEXT, role TEXT, address TEXT, "
               "PRIMARY KEY (org, role))")
    with db.atomic():
        db.execute("DELETE FROM temp._remind_rules WHERE org = ?", [org])
        db.execute("DELETE FROM temp._addresses WHERE org = ?", [org])
        db.conn.executemany("INSERT INTO temp._remind_rules VALUES (?, ?, ?, ?)", [
            (org, lr.key, lr.rule.finding.escalate.after_days if lr.rule.finding.escalate else None,
             lr.rule.finding.severity or lr.rule.severity)
            for lr in ruleset.rules if lr.key not in skip])
        db.conn.executemany("INSERT INTO temp._addresses VALUES (?, ?, ?)", [
            (org, role, address.strip().lower()) for role, address in config.roles_for(org).items()])


def _valid(ruleset: RuleSet, as_of: date) -> dict[str, LoadedRule]:
    return {lr.key: lr for lr in ruleset.valid_on(as_of)}


def select_due(db: Database, config: Config, rulesets: dict[str, RuleSet], as_of: date,
               skip: Iterable[tuple[str, str]] = (), extra: Iterable[Finding] = ()) -> Selection:
    """The digests of the reminders due on ``as_of`` that are not yet sent, per organisation
    and address; ``extra`` findings (a failed rule's IT check) are added the way
    :func:`select_reminders` takes them. Rules in ``skip`` (org, rule key) give nothing."""
    skipped = set(skip)
    warn = (as_of + timedelta(days=config.rules.warn_days)).isoformat()
    sel = select_reminders(db, config, extra, as_of)
    by_address = {(d.org, d.address): d for d in sel.digests}
    for org, ruleset in rulesets.items():
        _temp_tables(db, config, org, ruleset, {k for o, k in skipped if o == org})
        rules = _valid(ruleset, as_of)
        hits = [r for r in db.execute(_LEVELS, {"d": as_of.isoformat(), "warn": warn, "org": org})
                if r[2] in rules]
        findings = _findings(db, org, rules, {(r[2], r[1]) for r in hits}, as_of)
        for _, fid, key, level, recipient, address in hits:
            f = findings[(key, fid)]
            if address is None:
                sel.unaddressed.append(Unaddressed(fid, f.subject, Level(level), recipient, org))
                continue
            digest = by_address.setdefault((org, address), Digest(address, org=org))
            if recipient and "@" not in recipient and recipient not in digest.roles:
                digest.roles.append(recipient)
            if fid not in digest.ids:
                digest.ids.add(fid)
                digest.items.append(DigestItem(f, Level(level)))
    for digest in by_address.values():
        digest.roles.sort()
        digest.sort()
    sel.digests = sorted(by_address.values(), key=lambda d: (d.org, d.address))
    sel.unaddressed.sort(key=lambda u: (u.org, u.finding_id, u.role or ""))
    return sel


def _findings(db: Database, org: str, rules: dict[str, LoadedRule], keys: set[tuple[str, str]],
              as_of: date) -> dict[tuple[str, str], Finding]:
    """The findings (with why texts) of the rows ``keys`` (rule key, id) only."""
    out: dict[tuple[str, str], Finding] = {}
    db.execute("CREATE TEMP TABLE IF NOT EXISTS _due_keys (rule_key TEXT, id TEXT, "
               "PRIMARY KEY (rule_key, id)) WITHOUT ROWID")
    with db.atomic():
        db.execute("DELETE FROM temp._due_keys")
        db.conn.executemany("INSERT INTO temp._due_keys VALUES (?, ?)", sorted(keys))
    cur = db.execute("SELECT d.* FROM temp._due_keys k JOIN deadlines d "
                     "ON d.org = ? AND d.rule_key = k.rule_key AND d.id = k.id", [org])
    names = [c[0] for c in cur.description]
    for values in cur:
        row = dict(zip(names, values, strict=True))
        out[(row["rule_key"], row["id"])] = make_finding(rules[row["rule_key"]], row, as_of)
    db.execute("DELETE FROM temp._due_keys")
    return out
