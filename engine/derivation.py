"""Derive one rule's rows from its facts, in batches: the set-based half of materialisation.

For a rule and the facts to (re)compute:

1. **Push down** the part of ``when`` that compares a fact field with constants (``law in
   ['SoL', 'LSS']``, ``interrupted_on is not null``) into the SQL that reads the facts, so
   only candidates are read at all. SQL's null logic is the rule language's: a comparison
   with null is unknown and the row is not read, as durable would not match it.
2. **Stream** the candidates in batches (never a whole table in Python), typed like the
   models.
3. **Derive** each fact's values with :class:`engine.memo.Memo` (once per distinct input).
4. **Match** the batch in durable_rules: the message carries only the fields the compiled
   condition reads, plus the hoisted values.
5. **Write** the rows of the matched facts with ``executemany``; the primary key refuses a
   finding id given twice, which fails the rule with both facts' id named.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from engine.durable_adapter import Matcher
from engine.lookups_store import StoreLookups, fact_key, typed_env
from engine.memo import Memo
from engine.rules.errors import EvalError
from engine.rules.loaded import LoadedRule
from engine.rules.nodes import Binary, IsNull, ListExpr, Literal, Name, Node, Unary, names
from engine.rules.recipients import resolve
from engine.rules.templates import WHY_NAMES
from engine.rules.to_durable import Compiled
from facts.errors import UserError
from facts.retract import tombstoned_keys
from facts.store import ORG
from facts.types import FactType

BATCH = 5000
COLUMNS = ("org", "rule_key", "id", "rule_id", "rule_version", "kind", "fact_type", "fact_key",
           "subject", "start_on", "due_on", "done_on", "end_on", "status", "value", "target",
           "band", "recipients", "escalate_to", "escalate_on", "context")
_INSERT = (f"INSERT INTO deadlines ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in COLUMNS)})")
JOURNAL = ("INSERT OR IGNORE INTO deadline_journal (org, rule_key, id) "
           "SELECT org, rule_key, id FROM deadlines WHERE ")
_SQL_OPS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class RuleFailure(UserError):
    """A rule could not be materialised: it raised, or its facts conflict (two facts give the
    same finding id). The message names the rule file and what to fix."""


# ---- 1. push-down ------------------------------------------------------------------------------


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, Binary) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _constant(node: Node, params: dict[str, Any]) -> tuple[bool, Any]:
    if isinstance(node, Literal) and not isinstance(node.value, list | dict):
        return True, node.value
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Literal):
        return isinstance(node.operand.value, int | float), -node.operand.value if isinstance(
            node.operand.value, int | float) else None
    if isinstance(node, Name) and node.name in params and isinstance(
            params[node.name], str | int | float | bool):
        return True, params[node.name]
    return False, None


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value.isoformat() if isinstance(value, date) else value


def pushdown(lr: LoadedRule, ft: FactType) -> tuple[str, list[Any]]:
    """The SQL for the conjuncts of ``when`` that compare a fact field with constants (the
    rest is durable's); ``"1"`` when there are none. Conservative: anything else stays out."""
    fields = set(ft.model.model_fields) - set(lr.params) - set(lr.computed_names)
    parts: list[str] = []
    values: list[Any] = []
    for c in _conjuncts(lr.when):
        if isinstance(c, IsNull) and isinstance(c.operand, Name) and c.operand.name in fields:
            parts.append(f'"{c.operand.name}" IS {"NOT " if c.negated else ""}NULL')
        elif isinstance(c, Binary) and c.op in _SQL_OPS and isinstance(c.left, Name) \
                and c.left.name in fields:
            ok, value = _constant(c.right, lr.params)
            if ok and value is not None:
                parts.append(f'"{c.left.name}" {_SQL_OPS[c.op]} ?')
                values.append(_sql_value(value))
        elif isinstance(c, Binary) and c.op == "in" and isinstance(c.left, Name) \
                and c.left.name in fields and isinstance(c.right, ListExpr):
            items = [_constant(i, lr.params) for i in c.right.items]
            if items and all(ok and v is not None for ok, v in items):
                parts.append(f'"{c.left.name}" IN ({", ".join("?" for _ in items)})')
                values.extend(_sql_value(v) for _, v in items)
    return (" AND ".join(parts) or "1"), values


# ---- 2. streaming ------------------------------------------------------------------------------


def iter_facts(db: Database, ft: FactType, org: str, since_rev: int, where: str,
               params: list[Any], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    """The facts of ``ft`` in ``org`` changed after ``since_rev`` (all with 0) that pass
    ``where``, as typed rows, ``size`` at a time."""
    sql = f'SELECT * FROM "{ft.table}" WHERE "{ORG}" = ? AND "_rev" > ? AND ({where})'
    cur = db.execute(sql, [org, since_rev, *params])
    columns = [d[0] for d in cur.description]
    while batch := cur.fetchmany(size):
        yield [typed_env(ft, dict(zip(columns, row, strict=True))) for row in batch]


def changed_keys(db: Database, ft: FactType, org: str, since_rev: int) -> list[str]:
    """The fact keys of every fact changed after ``since_rev``, passing the push-down or not,
    and of every fact retracted or erased since (:mod:`facts.retract`): their old rows must
    go."""
    cols = ", ".join(f'"{k}"' for k in ft.key)
    cur = db.execute(f'SELECT {cols} FROM "{ft.table}" WHERE "{ORG}" = ? AND "_rev" > ?',
                     [org, since_rev])
    keys = ["|".join(str(v) for v in row) for row in cur]
    seen = set(keys)
    return keys + [k for k in tombstoned_keys(db, ft, org, since_rev) if k not in seen]


# ---- 3.–5. derive, match, write ---------------------------------------------------------------


def context_names(lr: LoadedRule) -> frozenset[str]:
    """The values a row keeps for later: what its why text and legal-basis conditions read,
    its derived values and ``occurrence`` (not every fact field)."""
    read = set(lr.why_names) - WHY_NAMES
    for node in lr.basis_when:
        if node is not None:
            read |= names(node)
    read |= {b.field for b in lr.rule.legal_basis if b.field}
    return frozenset(read | set(lr.computed_names) | {"occurrence"})


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def occurrences(lr: LoadedRule, base: dict[str, Any], memo: Memo) -> list[date | None]:
    """The dates a rule with ``each`` repeats for on this fact, or ``[None]`` without ``each``."""
    if lr.each is None:
        return [None]
    values = memo.eval(lr.each, {**base, **lr.params}) or []
    for v in values:
        if not isinstance(v, date):
            raise RuleFailure(f"{lr.path}: each gav {v!r}, som inte är ett datum")
    return list(values)


def message(compiled: Compiled, env: dict[str, Any], memo: Memo, mid: str,
            fields: frozenset[str]) -> dict[str, Any]:
    """What durable_rules sees of one fact (and occurrence): the ``fields`` the compiled
    condition reads (:func:`condition_fields`), its hoisted values and a unique id."""
    out = {k: env[k] for k in fields if k in env}
    for name, node in compiled.hoisted.items():
        out[name] = memo.eval(node, env)
    out["id"] = mid
    return out


def derived_env(lr: LoadedRule, base: dict[str, Any], memo: Memo,
                occ: date | None = None) -> dict[str, Any]:
    """One fact's (and occurrence's) values: its fields, the parameters, ``occurrence``, the
    derived values and the table outputs."""
    start = {**base, **lr.params} if occ is None else {**base, **lr.params, "occurrence": occ}
    return memo.compute(lr, start)


def condition_fields(lr: LoadedRule) -> frozenset[str]:
    return frozenset(names(lr.when) - set(lr.params))


def _opt(memo: Memo, node: Node | None, env: dict[str, Any]) -> Any:
    return _json(memo.eval(node, env)) if node is not None else None


def kind_outcome(lr: LoadedRule, env: dict[str, Any], memo: Memo) -> dict[str, Any] | None:
    """The kind-specific columns of one matched fact's row, or None when it gives no finding
    (a deadline without a due date, a measure without a value).

    A check's status is ``passed`` only if ``holds`` is exactly true (unknown counts as
    failed); a measure with a target is ``met`` when the value reaches it (``target_is: min``,
    the default: at least; ``max``: at most), else ``not_met``; without a target, ``measured``.
    """
    empty = {"due_on": None, "done_on": None, "end_on": None, "status": None, "value": None,
             "target": None, "band": None}
    if lr.kind == "deadline":
        due = memo.eval(lr.due, env)
        if due is None:
            return None
        return {**empty, "due_on": _json(due), "done_on": _opt(memo, lr.done, env)}
    end = _opt(memo, lr.end, env)
    if lr.kind == "check":
        held = memo.eval(lr.holds, env)
        return {**empty, "end_on": end, "status": "passed" if held is True else "failed"}
    value = memo.eval(lr.value, env)
    if value is None:
        return None
    target = memo.eval(lr.target, env)
    if target is None:
        status = "measured"
    elif (lr.rule.finding.target_is or "min") == "max":
        status = "met" if value <= target else "not_met"
    else:
        status = "met" if value >= target else "not_met"
    return {**empty, "end_on": end, "status": status, "value": float(value),
            "target": None if target is None else float(target), "band": _opt(memo, lr.band, env)}


def escalation_date(lr: LoadedRule, memo: Memo, env: dict[str, Any], due: Any) -> str | None:
    """The ISO date from which an overdue deadline is escalated: ``escalate.at`` evaluated
    for the fact, or the due date plus ``after_days``; None without an escalation."""
    esc = lr.rule.finding.escalate
    if esc is None or due is None:
        return None
    if lr.escalate_on is not None:
        return _opt(memo, lr.escalate_on, env)
    first = due if isinstance(due, date) else date.fromisoformat(str(due))
    return (first + timedelta(days=esc.after_days or 0)).isoformat()


def _row(lr: LoadedRule, ft: FactType, org: str, key: str, occ: date | None, env: dict[str, Any],
         memo: Memo, keep: frozenset[str]) -> list[Any] | None:
    outcome = kind_outcome(lr, env, memo)
    if outcome is None:
        return None
    subject = str(memo.eval(lr.subject, env))
    escalate_on = (escalation_date(lr, memo, env, outcome["due_on"])
                   if outcome["due_on"] is not None else None)
    finding_id = f"{lr.rule.id}/{subject}" + (f"/{occ.isoformat()}" if occ else "")
    values = {
        "org": org, "rule_key": lr.key, "id": finding_id, "rule_id": lr.rule.id,
        "rule_version": lr.rule.version, "kind": lr.kind, "fact_type": ft.name, "fact_key": key,
        "subject": subject, "start_on": _opt(memo, lr.start, env), **outcome,
        "recipients": json.dumps(resolve(lr.recipients, env), ensure_ascii=False),
        "escalate_to": (json.dumps(resolve(lr.escalate_to, env), ensure_ascii=False)
                        if lr.escalate_to else None),
        "escalate_on": escalate_on,
        "context": json.dumps({k: _json(env[k]) for k in keep if env.get(k) is not None},
                              ensure_ascii=False, sort_keys=True, default=str),
    }
    return [values[c] for c in COLUMNS]


def derive_batch(lr: LoadedRule, ft: FactType, org: str, facts: list[dict[str, Any]],
                 memo: Memo, matcher: Matcher) -> tuple[list[list[Any]], int]:
    """The rows of one batch of facts (and the number matched but skipped)."""
    fields = condition_fields(lr)
    keep = context_names(lr)
    envs: dict[str, tuple[str, date | None, dict[str, Any]]] = {}
    messages = []
    for base in facts:
        key = fact_key(ft, base)
        for occ in occurrences(lr, base, memo):
            env = derived_env(lr, base, memo, occ)
            mid = key if occ is None else f"{key}#{occ.isoformat()}"
            envs[mid] = (key, occ, env)
            messages.append(message(lr.compiled, env, memo, mid, fields))
    rows, skipped = [], 0
    for mid in sorted(matcher.match(lr.ruleset_name, messages)):
        key, occ, env = envs[mid]
        row = _row(lr, ft, org, key, occ, env, memo, keep)
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    return rows, skipped


def write_rows(db: Database, lr: LoadedRule, org: str, rows: list[list[Any]]) -> None:
    """Insert a batch of rows and journal them; a finding id given twice fails the rule."""
    try:
        db.conn.executemany(_INSERT, rows)
    except sqlite3.IntegrityError:
        ids = [r[2] for r in rows]
        dup = next((i for i in ids if ids.count(i) > 1), None) or next(
            (i for i in ids if db.execute("SELECT 1 FROM deadlines WHERE org = ? AND rule_key = ? "
                                          "AND id = ?", [org, lr.key, i]).fetchone()), "?")
        raise RuleFailure(f"{lr.path}: två fakta ger samma bevakning {dup!r}; finding.subject "
                          "måste vara unikt per faktum (t.ex. id)") from None
    db.conn.executemany("INSERT OR IGNORE INTO deadline_journal (org, rule_key, id) "
                        "VALUES (?, ?, ?)", [(org, lr.key, r[2]) for r in rows])


def clear(db: Database, lr: LoadedRule, ft: FactType, org: str, full: bool,
          since: int) -> int:
    """Journal and delete the rows about to be derived again: all of ``lr``'s (``full``), or
    those of the facts changed after ``since``. Returns the facts to consider."""
    if full:
        db.execute(f"{JOURNAL}org = ? AND rule_key = ?", [org, lr.key])
        db.execute("DELETE FROM deadlines WHERE org = ? AND rule_key = ?", [org, lr.key])
        return int(db.execute(f'SELECT count(*) FROM "{ft.table}" WHERE "{ORG}" = ?',
                              [org]).fetchone()[0])
    keys = [(org, lr.key, k) for k in changed_keys(db, ft, org, since)]
    db.conn.executemany(f"{JOURNAL}org = ? AND rule_key = ? AND fact_key = ?", keys)
    db.conn.executemany("DELETE FROM deadlines WHERE org = ? AND rule_key = ? AND fact_key = ?",
                        keys)
    return len(keys)


def derive_python(db: Database, lr: LoadedRule, ft: FactType, lookups: StoreLookups,
                  since: int, matcher: Matcher) -> tuple[int, int]:
    """Derive, match and write ``lr``'s rows fact by fact in batches (any rule). Returns
    (rows written, skipped)."""
    org = lookups.org
    memo = Memo(lr, lookups)
    where, params = pushdown(lr, ft)
    written = skipped = 0
    try:
        for facts in iter_facts(db, ft, org, since, where, params):
            rows, skip = derive_batch(lr, ft, org, facts, memo, matcher)
            write_rows(db, lr, org, rows)
            written, skipped = written + len(rows), skipped + skip
    except EvalError as exc:
        raise RuleFailure(f"{lr.path}: {exc}") from None
    return written, skipped
