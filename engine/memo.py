"""Evaluate a rule's expressions once per distinct input, not once per fact.

Within one refresh of one rule an expression is a pure function of the names it reads (its
parameters are constants, and look-ups read a store that does not change during the
refresh), and those names repeat: a million decisions have a few hundred distinct decision
dates, so ``decided_on + 3 months`` is computed a few hundred times. :class:`Memo` keeps one
table per expression keyed by the values of the names it reads. It is the same evaluator
(:func:`engine.rules.evaluator.evaluate`) either way; an expression whose inputs hardly repeat
(one keyed by the case reference) stops being memoised after a trial, so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.rules.evaluator import evaluate
from engine.rules.functions import Lookups
from engine.rules.loaded import LoadedRule
from engine.rules.nodes import Literal, Name, Node, names
from engine.rules.tables import DecisionTable

TRIAL = 2000  # evaluations before an expression's hit rate is judged
MAX_ENTRIES = 200_000  # no table grows beyond this


class _Table:
    __slots__ = ("names", "values", "calls", "off")

    def __init__(self, keys: tuple[str, ...]):
        self.names = keys
        self.values: dict[tuple[Any, ...], Any] = {}
        self.calls = 0
        self.off = False


class Memo:
    """Memoised evaluation of one rule's expressions during one refresh."""

    def __init__(self, lr: LoadedRule, lookups: Lookups | None):
        self.lookups = lookups
        self.constants = set(lr.params)
        self._tables: dict[int, _Table] = {}

    def _table(self, key: int, read: Callable[[], set[str]]) -> _Table:
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = _Table(tuple(sorted(read() - self.constants)))
        return table

    def _cached(self, table: _Table, env: dict[str, Any], compute: Any) -> Any:
        if table.off:
            return compute()
        try:
            key = tuple(env.get(n) for n in table.names)
            hash(key)
        except TypeError:  # a list or mapping among the inputs: not memoisable
            table.off = True
            return compute()
        hit = table.values.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        value = compute()
        table.calls += 1
        table.values[key] = value
        if (table.calls >= TRIAL and len(table.values) > table.calls // 2) or \
                len(table.values) > MAX_ENTRIES:
            table.off = True
            table.values.clear()
        return value

    def eval(self, node: Node | None, env: dict[str, Any]) -> Any:
        """``evaluate(node, env, lookups)``, from the table when the inputs were seen."""
        if node is None:
            return None
        if isinstance(node, Name):
            return env[node.name] if node.name in env else evaluate(node, env, self.lookups)
        if isinstance(node, Literal):
            return node.value
        table = self._table(id(node), lambda: names(node))
        return self._cached(table, env, lambda: evaluate(node, env, self.lookups))

    def decide(self, table: DecisionTable, env: dict[str, Any]) -> dict[str, Any]:
        memo = self._table(id(table), lambda: set().union(*(names(n) for n in table.nodes())))
        return dict(self._cached(memo, env, lambda: table.decide(env, self.lookups)))

    def compute(self, lr: LoadedRule, env: dict[str, Any]) -> dict[str, Any]:
        """:meth:`LoadedRule.compute`, memoised: derived values, then table outputs."""
        for name, node in lr.derive.items():
            env[name] = self.eval(node, env)
        for table in lr.tables:
            env.update(self.decide(table, env))
        return env


_MISSING = object()
