"""Decision records: how each finding a run produced or changed was decided (like OPA's).

For every change record of a run that leaves a finding listed (``new`` or ``changed``), the
audit log keeps one ``decision`` row right after it::

    {"org", "finding_id", "op", "as_of",
     "rule": {"id", "version", "revision", "file"},
     "input": {"fact_type", "key", "fields": {…}},     # the fact the rule applies to, masked
     "derived": {…},                                    # derived values and table outputs
     "looked_up": {name: expression},                   # derived values read from other facts
     "result": {…state, "recipients"},                  # what the rule gave on as_of
     "masked": [field, …], "policy": "bevaka.maskering/1"}

Everything comes from what the run already wrote: the row in ``deadlines`` (its context
holds the derived values the condition saw) and the fact's stored row, read for the changed
findings only, so a run where nothing changed writes no decision. The rule's source is
logged once per revision (a ``rule`` row: file text, effective parameters, table overrides
and role keys), so :mod:`engine.replay` can load exactly the rule that decided, even after
the file was edited.

**Masking policy** (:data:`MASK_POLICY`): birth dates and years, sex, free-text notes,
reasons and summaries are never written to the log, whichever fact type has them; any other
text that holds a valid personnummer is masked too. Case references (the fact key, the
subject) are kept: they are what an auditor follows. ``masked`` names every field the policy
removed from the record, with or without a value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlite_utils import Database

from engine.decision_inputs import split
from engine.rules.loaded import LoadedRule, RuleSet
from engine.rules.lookups import related_types
from engine.rules.nodes import to_source
from engine.state import Change
from facts.personnummer import find_personnummer
from facts.store import ORG
from facts.types import FACT_TYPES, FactType

POLICY_ID = "bevaka.maskering/1"

#: Fields never written to the audit log, whichever fact type has them, and why.
MASK_POLICY: dict[str, str] = {
    "birth_year": "födelsedatum",
    "birth_date": "födelsedatum",
    "sex": "personuppgift",
    "note": "fritext",
    "reason": "fritext",
    "acknowledgement_note": "fritext",
    "summary": "sammanfattning",
}

PERSONNUMMER_MASK = "[personnummer maskerat]"


def masked_fields(ft: FactType) -> list[str]:
    """The fields of ``ft`` the policy keeps out of the log."""
    return sorted(f for f in ft.model.model_fields if f in MASK_POLICY)


def mask(values: dict[str, Any], masked: set[str]) -> dict[str, Any]:
    """``values`` without the policy's fields; a text holding a personnummer is replaced and
    its name added to ``masked``."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k in MASK_POLICY:
            masked.add(k)
            continue
        if isinstance(v, str | list | dict) and _holds_personnummer(v):
            masked.add(k)
            v = PERSONNUMMER_MASK
        out[k] = v
    return out


def _holds_personnummer(value: Any) -> bool:
    """True if a text anywhere inside a list or mapping holds a personnummer."""
    if isinstance(value, str):
        return bool(find_personnummer(value))
    if isinstance(value, dict):
        return any(_holds_personnummer(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_personnummer(v) for v in value)
    return False


def looked_up(lr: LoadedRule) -> dict[str, str]:
    """The derived values that read other facts (look-ups, meetings): name → expression, and
    ``each`` when its dates come from other facts. A replay takes their recorded values (the
    occurrence), since the record holds only the rule's own fact."""
    out = {name: to_source(node) for name, node in lr.derive.items() if related_types(node)}
    if lr.each is not None and related_types(lr.each):  # the dates it repeats for
        out["each"] = to_source(lr.each)
    return out


def rule_file(lr: LoadedRule) -> str:
    return f"{lr.pack}/{lr.path.name}"


def rule_source(lr: LoadedRule) -> dict[str, Any]:
    """The payload of a ``rule`` row: enough to load the rule again at this revision."""
    tables = {k: (v.model_dump(mode="json") if hasattr(v, "model_dump") else v)
              for k, v in lr.table_overrides.items()}
    return {"key": lr.key, "revision": lr.revision, "pack": lr.pack, "file": rule_file(lr),
            "text": lr.path.read_text(encoding="utf-8"),
            "params": json.loads(json.dumps(lr.params, default=str)), "tables": tables,
            "roles": sorted(lr.known_roles)}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _temp_keys(db: Database, name: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
    db.execute(f"DELETE FROM temp.{name}")
    db.conn.executemany(f"INSERT INTO temp.{name} VALUES "
                        f"({', '.join('?' for _ in columns.split(','))})", rows)


def _deadline_rows(db: Database, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    _temp_keys(db, "_decision_keys", "org TEXT, rule_key TEXT, id TEXT", keys)
    cur = db.execute("SELECT d.org, d.id, d.rule_key, d.fact_type, d.fact_key, d.context, "
                     "d.recipients, d.start_on, d.end_on, d.target FROM temp._decision_keys k "
                     "JOIN deadlines d ON d.org = k.org AND d.rule_key = k.rule_key AND d.id = k.id")
    names = [c[0] for c in cur.description]
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for values in cur:
        one = dict(zip(names, values, strict=True))
        out[(one["org"], one["id"])] = one
    db.execute("DELETE FROM temp._decision_keys")
    return out


def _fact_rows(db: Database, ft: FactType, org: str, keys: set[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of ``ft`` in ``org`` with these fact keys (``a|b`` for two fields)."""
    if not keys:
        return {}
    _temp_keys(db, "_decision_facts", "k TEXT PRIMARY KEY", ((k,) for k in sorted(keys)))
    if len(ft.key) == 1:
        on = f'f."{ft.key[0]}" = k.k'
    else:
        on = " || '|' || ".join(f'CAST(f."{k}" AS TEXT)' for k in ft.key) + " = k.k"
    cur = db.execute(f'SELECT f.* FROM temp._decision_facts k JOIN "{ft.table}" f '
                     f'ON f."{ORG}" = ? AND {on}', [org])
    names = [c[0] for c in cur.description]
    out = {}
    for values in cur:
        row = {k: v for k, v in zip(names, values, strict=True) if not k.startswith("_") and k != ORG}
        out["|".join(str(row[k]) for k in ft.key)] = row
    db.execute("DELETE FROM temp._decision_facts")
    return out


def decisions(db: Database, rulesets: dict[str, RuleSet], as_of: date,
              changes: list[Change]) -> list[dict[str, Any] | None]:
    """One decision record per change (None for a removed finding), in the changes' order."""
    keys = []
    for c in changes:
        if c.new is not None:
            state = json.loads(c.new)
            keys.append((c.org, f"{state['rule_id']}@{state['rule_version']}", c.id))
    rows = _deadline_rows(db, keys)
    wanted: dict[tuple[str, str], set[str]] = {}
    for r in rows.values():
        wanted.setdefault((r["org"], r["fact_type"]), set()).add(r["fact_key"])
    facts = {(org, ft): _fact_rows(db, FACT_TYPES[ft], org, ks) for (org, ft), ks in wanted.items()
             if ft in FACT_TYPES}
    rules = {o: {lr.key: lr for lr in rs.rules} for o, rs in rulesets.items()}
    per_rule: dict[int, tuple[dict[str, str], frozenset[str]]] = {}  # id(lr) → walked once
    out: list[dict[str, Any] | None] = []
    for c in changes:
        if c.new is None:
            out.append(None)
            continue
        state = json.loads(c.new)
        info = json.loads(c.info) if c.info else {}
        row: dict[str, Any] | None = rows.get((c.org, c.id))
        lr = rules.get(c.org, {}).get(f"{state['rule_id']}@{state['rule_version']}")
        fact = facts.get((c.org, row["fact_type"]), {}).get(row["fact_key"]) if row else None
        if lr is not None and id(lr) not in per_rule:
            per_rule[id(lr)] = (looked_up(lr), frozenset(lr.computed_names) | {"occurrence"})
        out.append(record(c, state, info, as_of, lr, row, fact,
                          per_rule[id(lr)] if lr is not None else None))
    return out


def record(c: Change, state: dict[str, Any], info: dict[str, Any], as_of: date,
           lr: LoadedRule | None, row: dict[str, Any] | None,
           fact: dict[str, Any] | None,
           walked: tuple[dict[str, str], frozenset[str]] | None = None) -> dict[str, Any]:
    """The decision record of one change (see the module's docstring). ``walked`` is the
    rule's :func:`looked_up` and derived names, computed once per rule by :func:`decisions`."""
    masked: set[str] = set()
    result = {**state, **info}
    if row is None or lr is None:  # a failed rule's IT check: no rule decided it
        return {"org": c.org, "finding_id": c.id, "op": c.op, "as_of": as_of.isoformat(),
                "rule": {"id": state["rule_id"], "version": state["rule_version"],
                         "revision": None, "file": None},
                "input": None, "derived": {}, "looked_up": {}, "result": result, "masked": [],
                "policy": POLICY_ID}
    ft = FACT_TYPES.get(row["fact_type"])
    fields = mask({k: _json(v) for k, v in (fact or {}).items()}, masked)
    if ft is not None:
        masked.update(masked_fields(ft))
    lookups, derived_names = walked or (looked_up(lr), frozenset(lr.computed_names) | {"occurrence"})
    context = json.loads(row["context"] or "{}")
    derived = mask({k: v for k, v in context.items() if k in derived_names}, masked)
    result.update(recipients=json.loads(row["recipients"] or "[]"), start_on=row["start_on"],
                  end_on=row["end_on"], target=row["target"])
    return {
        "org": c.org, "finding_id": c.id, "op": c.op, "as_of": as_of.isoformat(),
        "rule": {"id": lr.rule.id, "version": lr.rule.version, "revision": lr.revision,
                 "file": rule_file(lr)},
        "input": {"fact_type": row["fact_type"], "key": row["fact_key"], "fields": fields},
        "derived": derived, "looked_up": lookups, "result": result,
        "masked": sorted(masked), "policy": POLICY_ID,
    }


def new_rule_sources(db: Database, rulesets: dict[str, RuleSet],
                     records: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """``rule`` payloads for the revisions the records name that the log does not hold yet."""
    logged = logged_revisions(db)
    by_revision = {lr.revision: lr for rs in rulesets.values() for lr in rs.rules}
    out, seen = [], set()
    for r in records:
        rev = r["rule"]["revision"] if r else None
        if rev and rev not in logged and rev not in seen and rev in by_revision:
            seen.add(rev)
            out.append(rule_source(by_revision[rev]))
    return out


def logged_revisions(db: Database) -> set[str]:
    """The rule revisions whose source the log holds (a partial index keeps this cheap)."""
    return {r for (r,) in db.execute("SELECT CASE WHEN json_valid(payload) THEN "
                                     "json_extract(payload, '$.revision') END FROM audit_log "
                                     "WHERE kind = 'rule'")}


def decider(db: Database, rulesets: dict[str, RuleSet], as_of: date) -> Any:
    """The ``decide`` of :func:`engine.audit.record_run` for a run over ``rulesets``."""

    def decide(changes: list[Change]) -> tuple[list[dict[str, Any]], list[dict[str, Any] | None]]:
        records = decisions(db, rulesets, as_of, changes)
        # the sources first: they read the records' rule revisions, which split keeps
        sources = new_rule_sources(db, rulesets, records)
        return sources, split(db, records)  # the input apart from the chain (gallring)

    return decide
