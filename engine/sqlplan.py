"""A rule's rows in one ``INSERT … SELECT``: the set-based derivation of a rebuild.

When a rule or its parameters change, every fact's rows are derived again. Doing that fact
by fact in Python costs about 50 µs a fact; this plan lets SQLite do the row work and calls
Python only per *distinct input*:

* every finding column that is a plain fact field (``subject: id``, ``start: decided_on``) is
  the column itself;
* every other column (``due: deadline`` with ``deadline = decided_on + 3 months``, the
  recipients, the context the why text reads) is a SQLite function backed by the same
  evaluator (:class:`engine.memo.Memo`), called with only the fact fields the value depends on
  and remembered per distinct combination of them: a million decisions have a few hundred
  decision dates, so ``decided_on + 3 months`` is computed a few hundred times;
* the ``when`` condition is matched by durable_rules once per distinct combination of the
  fields it reads (``law``: two messages for a million decisions), through the same
  :class:`engine.durable_adapter.Matcher`; the rows of the matched combinations are selected
  by a join on a temporary table of them.

The rows are the Python path's (:func:`engine.derivation.derive_batch`) to the byte:
tests/test_sqlplan.py compares both on every shipped rule. A rule with ``each`` (several rows
per fact) or a measure takes the Python path.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlite_utils import Database

from engine.derivation import (
    COLUMNS,
    JOURNAL,
    RuleFailure,
    clear,
    condition_fields,
    context_names,
    derive_python,
    escalation_date,
    message,
    pushdown,
)
from engine.durable_adapter import Matcher
from engine.lookups_store import StoreLookups, date_fields, iso_date
from engine.memo import Memo
from engine.rules.errors import EvalError
from engine.rules.loaded import LoadedRule
from engine.rules.nodes import Name, Node, names
from engine.rules.recipients import Recipient, resolve
from facts.store import ORG
from facts.types import FactType

KINDS = ("deadline", "check")
CACHE_LIMIT = 200_000  # distinct inputs remembered per column
TRIAL = 20_000  # calls after which a column whose inputs (almost) never repeat stops remembering
_MISSING = object()


def eligible(lr: LoadedRule) -> bool:
    """Rules this plan can derive: one row per fact (no ``each``), a deadline or a check."""
    return lr.each is None and lr.kind in KINDS


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


class _Scope:
    """What a value of the rule depends on: the fact fields behind its derived names."""

    def __init__(self, lr: LoadedRule, ft: FactType, memo: Memo):
        self.lr = lr
        self.memo = memo
        self.fields = set(ft.model.model_fields) - set(lr.params) - set(lr.computed_names)
        self.dates = date_fields(ft)
        self.producers: dict[str, list[Node]] = {d: [n] for d, n in lr.derive.items()}
        for t in lr.tables:
            for o in t.outputs:
                self.producers[o] = t.nodes()

    def closure(self, read: Iterable[str]) -> set[str]:
        """``read`` and every name its derived values read, transitively."""
        todo, seen = list(read), set()
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(m for node in self.producers.get(n, []) for m in names(node))
        return seen

    def base(self, read: Iterable[str]) -> tuple[str, ...]:
        """The fact fields a value reading ``read`` depends on, in a fixed order."""
        return tuple(sorted(self.closure(read) & self.fields))

    def env(self, base: tuple[str, ...], args: tuple[Any, ...], needed: set[str]) -> dict[str, Any]:
        """The values of one distinct input: its fields typed as the Python path types them,
        the parameters, and the derived values and table outputs among ``needed``."""
        env = dict(self.lr.params)
        for name, value in zip(base, args, strict=True):
            env[name] = iso_date(value) if name in self.dates and value is not None else value
        for dname, node in self.lr.derive.items():
            if dname in needed:
                env[dname] = self.memo.eval(node, env)
        for table in self.lr.tables:
            if set(table.outputs) & needed:
                env.update(self.memo.decide(table, env))
        return env


class _Column:
    """One computed column as a SQLite function of the fact fields it depends on."""

    def __init__(self, scope: _Scope, read: set[str], compute: Callable[[dict[str, Any]], Any],
                 errors: list[BaseException]):
        self.scope, self.compute, self.errors = scope, compute, errors
        self.base = scope.base(read)
        self.needed = scope.closure(read)
        self.cache: dict[tuple[Any, ...], Any] = {}
        self.calls = 0
        self.remember = True

    def __call__(self, *args: Any) -> Any:
        hit = self.cache.get(args, _MISSING)
        if hit is not _MISSING:
            return hit
        try:
            value = self.compute(self.scope.env(self.base, args, self.needed))
        except BaseException as exc:  # noqa: BLE001 - SQLite would hide it; raised after
            self.errors.append(exc)
            raise
        self.calls += 1
        if self.remember:
            if len(self.cache) >= CACHE_LIMIT or (
                    self.calls == TRIAL and len(self.cache) > 0.95 * TRIAL):
                self.remember = False
                self.cache.clear()
            else:
                self.cache[args] = value
        return value


class SqlPlan:
    """The INSERT … SELECT for one rule on one fact type (see the module's docstring)."""

    def __init__(self, db: Database, lr: LoadedRule, ft: FactType, lookups: StoreLookups):
        self.db, self.lr, self.ft, self.org = db, lr, ft, lookups.org
        self.memo = Memo(lr, lookups)
        self.scope = _Scope(lr, ft, self.memo)
        self.errors: list[BaseException] = []
        self._functions: list[tuple[str, int]] = []
        self.params: list[Any] = []

    # ---- column expressions -----------------------------------------------------------------

    def _function(self, read: set[str], compute: Callable[[dict[str, Any]], Any]) -> str:
        column = _Column(self.scope, read, compute, self.errors)
        fname = f"_bv_{id(self)}_{len(self._functions)}"
        self.db.conn.create_function(fname, len(column.base), column, deterministic=True)
        self._functions.append((fname, len(column.base)))
        args = ", ".join(f'f."{b}"' for b in column.base)
        return f"{fname}({args})"

    def _value(self, node: Node | None, convert: Callable[[Any], Any] = _iso) -> str:
        """SQL for one finding column: the fact column itself when the node is a plain fact
        field (stored as the Python path writes it), else a remembered function call."""
        if node is None:
            return "NULL"
        if isinstance(node, Name) and node.name in self.scope.fields and convert is _iso:
            return f'f."{node.name}"'
        memo = self.memo
        return self._function(names(node), lambda env: convert(memo.eval(node, env)))

    def _subject(self) -> str:
        node = self.lr.subject
        if isinstance(node, Name) and node.name in self.scope.fields:
            return f"coalesce(CAST(f.\"{node.name}\" AS TEXT), 'None')"
        return self._value(node, str)

    def _recipients(self, recipients: tuple[Recipient, ...], optional: bool) -> str:
        if optional and not recipients:
            return "NULL"
        read = {r.value for r in recipients if r.kind == "field"}
        return self._function(read, lambda env: json.dumps(resolve(recipients, env),
                                                          ensure_ascii=False))

    def _escalate_on(self) -> str:
        """The escalation date: ``escalate.at``, or the due date plus ``after_days``, as
        :func:`engine.derivation.escalation_date` writes it."""
        lr = self.lr
        esc = lr.rule.finding.escalate
        if lr.kind != "deadline" or esc is None or lr.due is None:
            return "NULL"
        memo, due, at = self.memo, lr.due, lr.escalate_on
        read = names(due) | (names(at) if at is not None else set())
        return self._function(read, lambda env: escalation_date(lr, memo, env, memo.eval(due, env)))

    def _context(self) -> str:
        keep = context_names(self.lr)

        def context(env: dict[str, Any]) -> str:
            return json.dumps({k: _iso(env[k]) for k in keep if env.get(k) is not None},
                              ensure_ascii=False, sort_keys=True, default=str)

        return self._function(set(keep), context)

    def _outcome(self) -> dict[str, str]:
        lr = self.lr
        cols = dict.fromkeys(("due_on", "done_on", "end_on", "status", "value", "target",
                              "band"), "NULL")
        if lr.kind == "deadline":
            cols["due_on"], cols["done_on"] = self._value(lr.due), self._value(lr.done)
        else:
            memo, holds = self.memo, lr.holds
            assert holds is not None
            cols["end_on"] = self._value(lr.end)
            cols["status"] = self._function(
                names(holds), lambda env: "passed" if memo.eval(holds, env) is True else "failed")
        return cols

    def _fact_key(self) -> str:
        return " || '|' || ".join(f'CAST(f."{k}" AS TEXT)' for k in self.ft.key)

    # ---- matching -----------------------------------------------------------------------------

    def _match(self, matcher: Matcher, where: str, params: list[Any]) -> str | None:
        """Match the distinct combinations of the fields ``when`` reads in durable_rules; the
        SQL that keeps the facts of the matched ones ("1" for all), or None for none."""
        lr = self.lr
        fields = condition_fields(lr)
        base = self.scope.base(fields)
        needed = self.scope.closure(fields)
        cols = ", ".join(f'f."{b}"' for b in base) or "1"
        combos = self.db.execute(f"SELECT DISTINCT {cols} FROM {where}", params).fetchall()
        if not combos:
            return None
        messages = []
        for i, combo in enumerate(combos):
            env = self.scope.env(base, tuple(combo) if base else (), needed)
            messages.append(message(lr.compiled, env, self.memo, str(i), fields))
        matched = {int(m) for m in matcher.match(lr.ruleset_name, messages)}
        if len(matched) == len(combos):
            return "1"
        if not matched:
            return None
        self.db.execute("DROP TABLE IF EXISTS temp._bv_match")
        names_ = ", ".join(f'"{b}"' for b in base)
        self.db.execute(f"CREATE TEMP TABLE _bv_match ({names_})")
        self.db.conn.executemany(
            f"INSERT INTO temp._bv_match VALUES ({', '.join('?' for _ in base)})",
            [combos[i] for i in sorted(matched)])
        self.db.execute(f"CREATE INDEX temp._bv_match_i ON _bv_match ({names_})")
        same = " AND ".join(f'm."{b}" IS f."{b}"' for b in base)
        return f"EXISTS (SELECT 1 FROM temp._bv_match m WHERE {same})"

    # ---- the statement ------------------------------------------------------------------------

    def run(self, matcher: Matcher, since: int, pushdown: tuple[str, list[Any]],
            journal_all: bool) -> tuple[int, int]:
        """Insert the rows of the facts changed after ``since`` (all with 0) that pass the
        push-down and the match, and journal them. Returns (rows written, skipped)."""
        sql_where, sql_params = pushdown
        where = (f'"{self.ft.table}" f WHERE f."{ORG}" = ? AND f."_rev" > ? AND ({sql_where})')
        params = [self.org, since, *sql_params]
        try:
            keep = self._match(matcher, where, params)
            if keep is None:
                return 0, 0
            written, matched = self._insert(where, params, keep, journal_all)
        except sqlite3.IntegrityError:
            raise self._duplicate(where, params) from None
        except (sqlite3.OperationalError, EvalError, RuleFailure) as exc:
            raise self._failure(exc) from None
        finally:
            self._drop_functions()
        return written, matched - written

    def _select(self, where: str, keep: str) -> str:
        lr = self.lr
        constants = {"org": "?", "rule_key": "?", "rule_id": "?", "rule_version": "?",
                     "kind": "?", "fact_type": "?"}
        self.params = [self.org, lr.key, lr.rule.id, lr.rule.version, lr.kind, self.ft.name]
        inner = {"fact_key": self._fact_key(), "subject": self._subject(),
                 "start_on": self._value(lr.start), **self._outcome(),
                 "recipients": self._recipients(lr.recipients, False),
                 "escalate_to": self._recipients(lr.escalate_to, True),
                 "escalate_on": self._escalate_on(),
                 "context": self._context()}
        inner_sql = ", ".join(f"{sql} AS {name}" for name, sql in inner.items())
        outer = [constants.get(c) or ("? || '/' || s.subject" if c == "id" else f"s.{c}")
                 for c in COLUMNS]
        self.params.insert(COLUMNS.index("id"), lr.rule.id)
        due = " WHERE s.due_on IS NOT NULL" if lr.kind == "deadline" else ""
        return (f"SELECT {', '.join(outer)} FROM (SELECT {inner_sql} FROM {where} AND {keep}) s"
                f"{due}")

    def _insert(self, where: str, params: list[Any], keep: str,
                journal_all: bool) -> tuple[int, int]:
        select = self._select(where, keep)
        args = [*self.params, *params]
        insert = f"INSERT INTO deadlines ({', '.join(COLUMNS)}) {select}"
        if journal_all:
            written = self.db.conn.execute(insert, args).rowcount
            self.db.execute(f"{JOURNAL}org = ? AND rule_key = ?", [self.org, self.lr.key])
        else:
            ids = [r[0] for r in self.db.conn.execute(f"{insert} RETURNING id", args)]
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO deadline_journal (org, rule_key, id) VALUES (?, ?, ?)",
                [(self.org, self.lr.key, i) for i in ids])
            written = len(ids)
        matched = self.db.execute(f"SELECT count(*) FROM {where} AND {keep}", params).fetchone()[0]
        return written, matched

    def _duplicate(self, where: str, params: list[Any]) -> RuleFailure:
        """The finding id two facts both give (in this statement, or one already stored)."""
        i = COLUMNS.index("id")
        seen: set[str] = set()
        dup = "?"
        for r in self.db.conn.execute(self._select(where, "1"), [*self.params, *params]):
            fid = r[i]
            if fid in seen or self.db.execute(
                    "SELECT 1 FROM deadlines WHERE org = ? AND rule_key = ? AND id = ?",
                    [self.org, self.lr.key, fid]).fetchone():
                dup = fid
                break
            seen.add(fid)
        return RuleFailure(f"{self.lr.path}: två fakta ger samma bevakning {dup!r}; "
                           "finding.subject måste vara unikt per faktum (t.ex. id)")

    def _failure(self, exc: BaseException) -> BaseException:
        """What a failed statement means: the rule's own error (raised inside one of its
        functions, which SQLite reports only as "user-defined function raised exception"),
        or the fault itself."""
        cause = self.errors[0] if self.errors else exc
        if isinstance(cause, RuleFailure):
            return cause
        if isinstance(cause, EvalError):
            return RuleFailure(f"{self.lr.path}: {cause}")
        return cause

    def _drop_functions(self) -> None:
        for fname, nargs in self._functions:
            self.db.conn.create_function(fname, nargs, None)
        self._functions.clear()


SQL_FROM = 1000  # changed facts from which an incremental refresh uses the plan too


def materialize(db: Database, lr: LoadedRule, ft: FactType, lookups: StoreLookups, full: bool,
                since: int, matcher: Matcher, plan: str = "auto") -> tuple[int, int, int]:
    """(Re)compute ``lr``'s rows for the facts changed after ``since`` (all when ``full``),
    inside the caller's transaction. Returns (facts considered, rows written, skipped): a fact
    the push-down rules out counts as considered, it is just never read.

    ``plan`` is ``"sql"`` (this module), ``"python"`` (:func:`engine.derivation.derive_python`)
    or ``"auto"``: the SQL plan for an eligible rule when all its facts or more than
    :data:`SQL_FROM` changed ones are derived, the Python path for the few facts of a daily
    import (no statement to prepare, no distinct combinations to find)."""
    matcher.register(lr.ruleset_name, lr.compiled.condition)
    considered = clear(db, lr, ft, lookups.org, full, since)
    after = 0 if full else since
    use_sql = plan == "sql" or (plan == "auto" and (full or considered > SQL_FROM))
    if use_sql and eligible(lr):
        written, skipped = SqlPlan(db, lr, ft, lookups).run(matcher, after, pushdown(lr, ft),
                                                            journal_all=full)
    else:
        written, skipped = derive_python(db, lr, ft, lookups, after, matcher)
    return considered, written, skipped
