"""Keep the ``deadlines`` table in step with facts and rules.

Deadlines follow from facts, so they are computed when facts or rules change, not every
day: for each rule, facts changed since the rule was last materialised (``_rev``) are
derived in Python, matched against the rule's ``when`` by durable_rules, and stored with
their start, due and done dates. A changed rule (new revision: file content or effective
parameters) or a change in a fact type the rule looks up recomputes that rule whole.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from engine.derivation import JOURNAL, RuleFailure
from engine.durable_adapter import Matcher
from engine.lookups_store import StoreLookups
from engine.rules.loader import LoadedRule, RuleSet
from engine.sqlplan import materialize
from facts.errors import UserError
from facts.orgs import DEFAULT_ORG
from facts.retract import tombstone_rev
from facts.store import ORG, current_rev
from facts.types import FACT_TYPES, FactType

__all__ = ["FailedRule", "RuleFailure", "StoreLookups", "migrations", "refresh"]

migrations = Migrations("bevaka.engine.deadlines")
log = logging.getLogger("bevaka.engine")


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


@migrations(name="journal_rule_key")
def _journal_rule_key(db: Database) -> None:
    """The journal names each row's rule key too, so the delta finds the rows on the primary
    key. Entries made before cannot be matched to their rows: the next logged run of every
    organisation compares every row instead (as a first run does)."""
    db.executescript(
        """
        CREATE TABLE deadline_journal_new (org TEXT NOT NULL, rule_key TEXT NOT NULL,
            id TEXT NOT NULL, PRIMARY KEY (org, rule_key, id)) WITHOUT ROWID;
        DROP TABLE deadline_journal;
        ALTER TABLE deadline_journal_new RENAME TO deadline_journal;
        """)
    if db["run_state"].exists():
        db.execute("DELETE FROM run_state")


@migrations(name="deadlines_escalate_on")
def _escalate_on(db: Database) -> None:
    """The date from which an overdue deadline is escalated (its due date plus the rule's
    ``after_days``, or the rule's ``escalate.at``, e.g. the meeting day), stored with the row
    so Python and SQL read one date. Every rule is recomputed to fill it in."""
    db.execute("ALTER TABLE deadlines ADD COLUMN escalate_on TEXT")
    db.execute("CREATE INDEX deadlines_escalate_on ON deadlines (org, escalate_on)")
    db.execute("DELETE FROM materialized")


_MATCHER: Matcher | None = None


def matcher() -> Matcher:
    """The process-wide durable_rules matcher (rulesets are registered once per name)."""
    global _MATCHER
    if _MATCHER is None:
        _MATCHER = Matcher()
    return _MATCHER


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
            failed: list[FailedRule] | None = None, plan: str = "auto") -> dict[str, int]:
    """Bring organisation ``org``'s ``deadlines`` up to date for every rule. Returns rows
    recomputed per rule key.

    A rule that raises, or whose facts conflict, is appended to ``failed`` (and written
    nothing) while the other rules go on; without a ``failed`` list the first failure raises.
    ``plan`` chooses how rows are derived (:func:`engine.sqlplan.materialize`); the rows are
    the same either way.
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
        if failed is None:
            done[lr.key] = _one(db, lr, ft, lookups, full, since, rev, plan)
            continue
        try:
            done[lr.key] = _one(db, lr, ft, lookups, full, since, rev, plan)
        except Exception as exc:  # noqa: BLE001 - one rule's failure must not stop the others
            # one line for the operator; the traceback only when debugging (it is no user's)
            log.warning("regeln %s misslyckades för %s: %s", lr.key, org, _reason(exc))
            log.debug("regeln %s misslyckades", lr.key, exc_info=True)
            failed.append(FailedRule(org, lr.rule.id, lr.key, str(lr.path), _reason(exc)))
    return done


def _one(db: Database, lr: LoadedRule, ft: FactType, lookups: StoreLookups, full: bool,
         since: int, rev: int, plan: str) -> int:
    """One rule's rows, all or nothing, and its materialised state."""
    with db.atomic():
        read, written, skipped = materialize(db, lr, ft, lookups, full, since, matcher(), plan)
        db.execute(
            "INSERT OR REPLACE INTO materialized (org, rule_key, revision, facts_rev, rows, "
            "skipped, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [lookups.org, lr.key, lr.revision, rev, written, skipped,
             datetime.now(UTC).isoformat(timespec="seconds")])
    return read


def _drop_retired(db: Database, org: str, keys: set[str]) -> None:
    """Remove the rows of rule versions no longer in the rule set (a version bump, a pack
    switched off): they would otherwise stay in the database for ever."""
    retired = [k for (k,) in db.execute("SELECT rule_key FROM materialized WHERE org = ?", [org])
               if k not in keys]
    if not retired:
        return
    with db.atomic():
        for key in retired:
            db.execute(f"{JOURNAL}org = ? AND rule_key = ?", [org, key])
            for table in ("deadlines", "materialized"):
                db.execute(f"DELETE FROM {table} WHERE org = ? AND rule_key = ?", [org, key])


def _type_revs(db: Database, org: str) -> dict[str, int]:
    out = {}
    for ft in FACT_TYPES.values():
        row = db.execute(f'SELECT max("_rev") FROM "{ft.table}" WHERE "{ORG}" = ?', [org]).fetchone()
        out[ft.name] = max(row[0] or 0, tombstone_rev(db, ft, org))  # retractions change too
    return out
