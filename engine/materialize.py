"""Keep the ``deadlines`` table in step with facts and rules.

Deadlines follow from facts, so they are computed when facts or rules change, not every
day: for each rule, facts changed since the rule was last materialised (``_rev``) are
derived in Python, matched against the rule's ``when`` by durable_rules, and stored with
their start, due and done dates. A changed rule (new revision: file content or effective
parameters) or a change in a fact type the rule looks up recomputes that rule whole.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from engine.durable_adapter import Matcher
from engine.rules.evaluator import evaluate
from engine.rules.loader import LoadedRule, RuleSet
from engine.rules.recipients import resolve
from engine.rules.valuetypes import model_types
from facts.errors import UserError
from facts.orgs import DEFAULT_ORG
from facts.store import ORG, current_rev, load_facts
from facts.types import FACT_TYPES, FactType

migrations = Migrations("bevaka.engine.deadlines")
log = logging.getLogger("bevaka.engine")


class RuleFailure(UserError):
    """A rule could not be materialised: it raised, or its facts conflict (two facts give the
    same finding id). The message names the rule file and what to fix."""


@migrations(name="create_deadlines")
def _create(db: Database) -> None:
    db.table("deadlines").create(
        {"rule_key": str, "id": str, "rule_id": str, "rule_version": int, "fact_type": str,
         "fact_key": str, "subject": str, "start_on": str, "due_on": str, "done_on": str,
         "recipients": str, "context": str},
        pk=("rule_key", "id"),
    )
    db.table("deadlines").create_index(["rule_key", "fact_key"])
    db.table("deadlines").create_index(["due_on"])
    db.table("materialized").create(
        {"rule_key": str, "revision": str, "facts_rev": int, "rows": int, "skipped": int,
         "computed_at": str},
        pk="rule_key",
    )


@migrations(name="deadlines_per_org")
def _per_org(db: Database) -> None:
    """Deadlines belong to an organisation. They are derived data, so the tables are made
    anew and the next refresh recomputes every rule."""
    db.execute("DROP TABLE IF EXISTS deadlines")
    db.execute("DROP TABLE IF EXISTS materialized")
    db.table("deadlines").create(
        {"org": str, "rule_key": str, "id": str, "rule_id": str, "rule_version": int,
         "fact_type": str, "fact_key": str, "subject": str, "start_on": str, "due_on": str,
         "done_on": str, "recipients": str, "context": str},
        pk=("org", "rule_key", "id"),
    )
    db.table("deadlines").create_index(["org", "rule_key", "fact_key"])
    db.table("deadlines").create_index(["due_on"])
    db.table("materialized").create(
        {"org": str, "rule_key": str, "revision": str, "facts_rev": int, "rows": int,
         "skipped": int, "computed_at": str},
        pk=("org", "rule_key"),
    )


@migrations(name="deadlines_kinds")
def _kinds(db: Database) -> None:
    """Rows of three kinds (deadline, check, measure): a check's or measure's status, value,
    target and band, and the date it is listed until. Derived data: made anew."""
    db.execute("DROP TABLE IF EXISTS deadlines")
    db.execute("DELETE FROM materialized")
    db.table("deadlines").create(
        {"org": str, "rule_key": str, "id": str, "rule_id": str, "rule_version": int, "kind": str,
         "fact_type": str, "fact_key": str, "subject": str, "start_on": str, "due_on": str,
         "done_on": str, "end_on": str, "status": str, "value": float, "target": float,
         "band": str, "recipients": str, "context": str},
        pk=("org", "rule_key", "id"),
    )
    db.table("deadlines").create_index(["org", "rule_key", "fact_key"])
    db.table("deadlines").create_index(["due_on"])


@migrations(name="deadline_journal")
def _journal(db: Database) -> None:
    """``deadline_journal``: the rows written or removed since the organisation's last logged
    run (what the next run's delta must look at); the date indexes the delta's span uses."""
    db.execute("CREATE TABLE deadline_journal (org TEXT NOT NULL, id TEXT NOT NULL, "
               "PRIMARY KEY (org, id)) WITHOUT ROWID")
    for column in ("due_on", "done_on", "start_on", "end_on"):
        db.execute(f"CREATE INDEX deadlines_{column} ON deadlines (org, {column})")
    db.execute("DROP INDEX IF EXISTS idx_deadlines_due_on")  # superseded by (org, due_on)


@migrations(name="deadlines_escalate_to")
def _escalate_to(db: Database) -> None:
    """The escalation's recipients, resolved when the row is written (the daily job's
    reminders are chosen in SQL). Every rule is recomputed to fill them in."""
    db.execute("ALTER TABLE deadlines ADD COLUMN escalate_to TEXT")
    db.execute("DELETE FROM materialized")


_JOURNAL = "INSERT OR IGNORE INTO deadline_journal (org, id) SELECT org, id FROM deadlines WHERE "

_MATCHER: Matcher | None = None


def matcher() -> Matcher:
    """The process-wide durable_rules matcher (rulesets are registered once per name)."""
    global _MATCHER
    if _MATCHER is None:
        _MATCHER = Matcher()
    return _MATCHER


class StoreLookups:
    """Other facts of one organisation for look-ups and the meeting functions, read once per
    refresh and typed like the models. Another organisation's facts are never seen."""

    def __init__(self, db: Database, org: str):
        self.db = db
        self.org = org
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._index: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], list[dict[str, Any]]]] = {}

    def rows(self, fact_type: str) -> list[dict[str, Any]]:
        if fact_type not in self._cache:
            ft = FACT_TYPES[fact_type]
            self._cache[fact_type] = [typed_env(ft, r) for r in load_facts(self.db, ft, self.org)]
        return self._cache[fact_type]

    def index(self, fact_type: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        """Rows grouped by the values of ``keys`` (dates as ISO text), built once per refresh."""
        cache_key = (fact_type, keys)
        if cache_key not in self._index:
            grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
            for row in self.rows(fact_type):
                k = tuple(_json(row.get(name)) for name in keys)
                grouped.setdefault(k, []).append(row)
            self._index[cache_key] = grouped
        return self._index[cache_key]

    def meetings(self, body: str) -> list[date]:
        return [r["date"] for r in self.rows("meeting") if r["body"] == body]


_DATE_FIELDS: dict[str, set[str]] = {}


def typed_env(ft: FactType, row: dict[str, Any]) -> dict[str, Any]:
    """A stored fact row as expression values: dates as ``date``, provenance dropped."""
    if ft.name not in _DATE_FIELDS:
        _DATE_FIELDS[ft.name] = {k for k, t in model_types(ft.model).items() if t == "date"}
    dates = _DATE_FIELDS[ft.name]
    env = {}
    for k, v in row.items():
        if k.startswith("_") or k == ORG:
            continue
        env[k] = _iso_date(v) if k in dates and v is not None else v
    return env


_DATE_CACHE: dict[str, date] = {}


def _iso_date(text: str) -> date:
    d = _DATE_CACHE.get(text)
    if d is None:
        d = _DATE_CACHE[text] = date.fromisoformat(text)
    return d


def fact_key(ft: FactType, env: dict[str, Any]) -> str:
    return "|".join(str(env[k]) for k in ft.key)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def derive_env(lr: LoadedRule, env: dict[str, Any], lookups: StoreLookups) -> dict[str, Any]:
    """Fact fields + parameters + derived values and table outputs, in the rule's order."""
    out = dict(env)
    out.update(lr.params)
    return lr.compute(out, lookups)


@dataclass(frozen=True)
class FailedRule:
    """A rule that could not be brought up to date in one run: its findings are left out of
    that run (its earlier rows stay untouched), every other rule goes on."""

    org: str
    rule_id: str
    rule_key: str
    path: str
    reason: str  # one line

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _reason(exc: BaseException) -> str:
    """One line for a failed rule: the message of a rule or data problem, the type of a fault."""
    text = str(exc) if isinstance(exc, UserError) else f"internt fel ({type(exc).__name__}): {exc}"
    return " ".join(text.split())[:500]


def refresh(db: Database, ruleset: RuleSet, org: str = DEFAULT_ORG,
            failed: list[FailedRule] | None = None) -> dict[str, int]:
    """Bring organisation ``org``'s ``deadlines`` up to date for every rule. Returns rows
    recomputed per rule key.

    A rule that raises, or whose facts conflict, is appended to ``failed`` (and written
    nothing) while the other rules go on; without a ``failed`` list the first failure raises.
    """
    rev = current_rev(db)
    _drop_retired(db, org, {lr.key for lr in ruleset.rules})
    state = {r["rule_key"]: r for r in db.table("materialized").rows_where("org = ?", [org])}
    type_revs = _type_revs(db, org)
    lookups = StoreLookups(db, org)
    done: dict[str, int] = {}
    for lr in ruleset.rules:
        st = state.get(lr.key)
        ft = FACT_TYPES[lr.rule.applies_to]
        full = (
            st is None
            or st["revision"] != lr.revision
            or any(type_revs.get(t, 0) > st["facts_rev"] for t in lr.related_types)
        )
        since = 0 if full or st is None else int(st["facts_rev"])
        if not full and type_revs.get(ft.name, 0) <= since:
            continue
        rows = load_facts(db, ft, org, since_rev=since)
        if failed is None:
            done[lr.key] = _materialize(db, lr, ft, rows, lookups, full, rev)
            continue
        try:
            done[lr.key] = _materialize(db, lr, ft, rows, lookups, full, rev)
        except Exception as exc:  # noqa: BLE001 - one rule's failure must not stop the others
            log.warning("regeln %s misslyckades för %s", lr.key, org, exc_info=True)
            failed.append(FailedRule(org, lr.rule.id, lr.key, str(lr.path), _reason(exc)))
    return done


def _drop_retired(db: Database, org: str, keys: set[str]) -> None:
    """Remove the rows of rule versions no longer in the rule set (a version bump, a pack
    switched off): they would otherwise stay in the database for ever."""
    marks = ", ".join("?" for _ in keys)
    with db.atomic():
        db.execute(f"{_JOURNAL}org = ? AND rule_key NOT IN ({marks})", [org, *keys])
        for table in ("deadlines", "materialized"):
            db.execute(f"DELETE FROM {table} WHERE org = ? AND rule_key NOT IN ({marks})",
                       [org, *keys])


def _type_revs(db: Database, org: str) -> dict[str, int]:
    out = {}
    for ft in FACT_TYPES.values():
        row = db.execute(f'SELECT max("_rev") FROM "{ft.table}" WHERE "{ORG}" = ?', [org]).fetchone()
        out[ft.name] = row[0] or 0
    return out


def _materialize(db: Database, lr: LoadedRule, ft: FactType, rows: list[dict[str, Any]],
                 lookups: StoreLookups, full: bool, rev: int) -> int:
    org = lookups.org
    m = matcher()
    m.register(lr.ruleset_name, lr.compiled.condition)
    envs: dict[str, dict[str, Any]] = {}
    fact_keys: dict[str, str] = {}
    occurrences: dict[str, date | None] = {}
    messages = []
    for row in rows:
        base = typed_env(ft, row)
        key = fact_key(ft, base)
        fact_keys[key] = key
        for occ in _occurrences(lr, base, lookups):
            start = base if occ is None else {**base, "occurrence": occ}
            env = derive_env(lr, start, lookups)
            mid = key if occ is None else f"{key}#{occ.isoformat()}"
            envs[mid], fact_keys[mid], occurrences[mid] = env, key, occ
            message = {k: _json(v) for k, v in env.items()}
            for name, node in lr.compiled.hoisted.items():
                message[name] = _json(evaluate(node, env, lookups))
            message["id"] = mid
            messages.append(message)
    matched = m.match(lr.ruleset_name, messages)
    out, skipped = [], 0
    for key in matched:
        env = envs[key]
        outcome = kind_outcome(lr, env, lookups)
        if outcome is None:  # no due date, or a measure without a value
            skipped += 1
            continue
        subject = str(evaluate(lr.subject, env, lookups))
        occ = occurrences[key]
        finding_id = f"{lr.rule.id}/{subject}" + (f"/{occ.isoformat()}" if occ else "")
        out.append({
            "org": org, "rule_key": lr.key, "id": finding_id, "rule_id": lr.rule.id,
            "rule_version": lr.rule.version, "kind": lr.kind, "fact_type": ft.name,
            "fact_key": fact_keys[key], "subject": subject,
            "start_on": _json(evaluate(lr.start, env, lookups)) if lr.start else None,
            **outcome,
            "recipients": json.dumps(resolve(lr.recipients, env), ensure_ascii=False),
            "escalate_to": (json.dumps(resolve(lr.escalate_to, env), ensure_ascii=False)
                            if lr.escalate_to else None),
            "context": json.dumps({k: _json(v) for k, v in env.items()}, ensure_ascii=False,
                                  default=str),
        })
    seen: set[str] = set()
    for row in out:
        if row["id"] in seen:
            raise RuleFailure(
                f"{lr.path}: två fakta ger samma bevakning {row['id']!r}; "
                "finding.subject måste vara unikt per faktum (t.ex. id)"
            )
        seen.add(row["id"])
    with db.atomic():
        if full:
            db.execute(f"{_JOURNAL}org = ? AND rule_key = ?", [org, lr.key])
            db.execute("DELETE FROM deadlines WHERE org = ? AND rule_key = ?", [org, lr.key])
        else:
            keys = [(org, lr.key, k) for k in set(fact_keys.values())]
            db.conn.executemany(f"{_JOURNAL}org = ? AND rule_key = ? AND fact_key = ?", keys)
            db.conn.executemany(
                "DELETE FROM deadlines WHERE org = ? AND rule_key = ? AND fact_key = ?", keys)
        if out:
            db.table("deadlines").insert_all(out, batch_size=1000)
            db.conn.executemany("INSERT OR IGNORE INTO deadline_journal (org, id) VALUES (?, ?)",
                                [(org, row["id"]) for row in out])
        db.table("materialized").upsert(
            {"org": org, "rule_key": lr.key, "revision": lr.revision, "facts_rev": rev,
             "rows": len(out), "skipped": skipped,
             "computed_at": datetime.now(UTC).isoformat(timespec="seconds")},
            pk=("org", "rule_key"),
        )
    return len(rows)


def _opt(node: Any, env: dict[str, Any], lookups: StoreLookups) -> Any:
    return _json(evaluate(node, env, lookups)) if node is not None else None


def kind_outcome(lr: LoadedRule, env: dict[str, Any], lookups: StoreLookups) -> dict[str, Any] | None:
    """The kind-specific columns of one matched fact's row, or None when it gives no finding
    (a deadline without a due date, a measure without a value).

    A check's status is ``passed`` only if ``holds`` is exactly true (unknown counts as
    failed); a measure with a target is ``met`` when the value reaches it (``target_is: min``,
    the default: at least; ``max``: at most), else ``not_met``; without a target, ``measured``.
    """
    empty = {"due_on": None, "done_on": None, "end_on": None, "status": None, "value": None,
             "target": None, "band": None}
    if lr.kind == "deadline":
        due = evaluate(lr.due, env, lookups) if lr.due is not None else None
        if due is None:
            return None
        return {**empty, "due_on": _json(due), "done_on": _opt(lr.done, env, lookups)}
    end = _opt(lr.end, env, lookups)
    if lr.kind == "check":
        held = evaluate(lr.holds, env, lookups) if lr.holds is not None else None
        return {**empty, "end_on": end, "status": "passed" if held is True else "failed"}
    value = evaluate(lr.value, env, lookups) if lr.value is not None else None
    if value is None:
        return None
    target = evaluate(lr.target, env, lookups) if lr.target is not None else None
    if target is None:
        status = "measured"
    elif (lr.rule.finding.target_is or "min") == "max":
        status = "met" if value <= target else "not_met"
    else:
        status = "met" if value >= target else "not_met"
    return {**empty, "end_on": end, "status": status, "value": float(value),
            "target": None if target is None else float(target),
            "band": _opt(lr.band, env, lookups)}


def _occurrences(lr: LoadedRule, base: dict[str, Any], lookups: StoreLookups) -> list[date | None]:
    """The dates a rule with ``each`` repeats for on this fact, or ``[None]`` without ``each``."""
    if lr.each is None:
        return [None]
    values = evaluate(lr.each, {**base, **lr.params}, lookups) or []
    out: list[date | None] = []
    for v in values:
        if not isinstance(v, date):
            raise RuleFailure(f"{lr.path}: each gav {v!r}, som inte är ett datum")
        out.append(v)
    return out

