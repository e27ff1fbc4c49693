"""A loaded rule (parsed, type-checked, compiled) and a set of them.

:meth:`LoadedRule.compute` gives a fact's derived values and table outputs;
:meth:`LoadedRule.evaluate_table` evaluates one decision table for arbitrary values (a
report's heat map evaluates the risk table for every consequence × likelihood).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from engine.rules.evaluator import evaluate
from engine.rules.functions import Lookups
from engine.rules.nodes import Node, names
from engine.rules.recipients import Recipient
from engine.rules.schema import Pack, Rule
from engine.rules.tables import DecisionTable
from engine.rules.templates import render_problem_sv, render_why
from engine.rules.to_durable import Compiled
from facts.errors import UserError

log = logging.getLogger(__name__)


class WhyError(UserError):
    """A why template that cannot be rendered for a finding's values."""


@dataclass
class LoadedRule:
    rule: Rule
    path: Path
    pack: str
    params: dict[str, Any]
    derive: dict[str, Node]
    when: Node
    subject: Node
    start: Node | None
    due: Node | None
    done: Node | None
    compiled: Compiled
    basis_when: list[Node | None]
    why: jinja2.Template
    each: Node | None = None
    why_names: frozenset[str] = frozenset()
    related_types: set[str] = field(default_factory=set)
    revision: str = ""
    tables: tuple[DecisionTable, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    escalate_to: tuple[Recipient, ...] = ()
    escalate_on: Node | None = None  # the escalation date (``finding.escalate.at``)
    why_line: int = 1
    known_roles: frozenset[str] = frozenset()
    table_overrides: dict[str, Any] = field(default_factory=dict)  # the installation's
    end: Node | None = None  # check and measure: listed until
    holds: Node | None = None  # check: the condition that should be true
    value: Node | None = None  # measure: the value
    target: Node | None = None  # measure: the target
    band: Node | None = None  # measure: the band (text)

    @property
    def kind(self) -> str:
        return self.rule.kind

    @property
    def key(self) -> str:
        return f"{self.rule.id}@{self.rule.version}"

    @property
    def ruleset_name(self) -> str:
        return f"{self.key}#{self.revision[:12]}"

    @property
    def computed_names(self) -> list[str]:
        """The derived values and the table outputs, in evaluation order."""
        return [*self.derive, *(o for t in self.tables for o in t.outputs)]

    def compute(self, env: dict[str, Any], lookups: Lookups | None) -> dict[str, Any]:
        """``env`` (fields, parameters, ``occurrence``) with the derived values, then the
        tables' outputs, added in place, in file order."""
        for name, node in self.derive.items():
            env[name] = evaluate(node, env, lookups)
        for table in self.tables:
            env.update(table.decide(env, lookups))
        return env

    def table(self, name: str) -> DecisionTable:
        for t in self.tables:
            if t.name == name:
                return t
        known = ", ".join(t.name for t in self.tables) or "inga"
        raise KeyError(f"regeln {self.rule.id} har ingen tabell {name!r} (tabeller: {known})")

    def evaluate_table(self, name: str, values: dict[str, Any] | None = None,
                       **more: Any) -> dict[str, Any]:
        """The outputs of table ``name`` for ``values`` (fact fields, ``occurrence`` …), with the
        parameters, the derived values and earlier tables it depends on computed from them;
        names that are not given are null. No other facts are read (look-ups fail)."""
        target = self.table(name)
        given = {**(values or {}), **more}
        needed = self._needed(target)
        env: dict[str, Any] = {**self.params, **given}
        computed = set(self.computed_names)
        for n in needed - computed - set(env):
            env[n] = None
        for dname, node in self.derive.items():
            if dname in needed and dname not in given:
                env[dname] = evaluate(node, env, None)
        for table in self.tables:
            if table is target:
                return table.decide(env, None)
            if set(table.outputs) & needed:
                env.update(table.decide(env, None))
        raise AssertionError("unreachable")

    def _needed(self, target: DecisionTable) -> set[str]:
        """The names ``target`` reads, directly or through derived values and earlier tables."""
        producers: dict[str, list[Node]] = {d: [n] for d, n in self.derive.items()}
        for t in self.tables:
            for o in t.outputs:
                producers[o] = t.nodes()
        todo = [n for node in target.nodes() for n in names(node)]
        seen: set[str] = set()
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            todo.extend(m for node in producers.get(n, []) for m in names(node))
        return seen

    def render(self, names_: dict[str, Any], finding_id: str) -> str:
        try:
            return render_why(self.why, names_)
        except Exception as exc:  # a template error is the rule author's to fix
            log.debug("why för %s", finding_id, exc_info=True)
            raise WhyError(f"{self.path}:{self.why_line}: why för {finding_id} kunde inte skrivas: "
                           f"{render_problem_sv(exc)}") from None


@dataclass
class RuleSet:
    packs: dict[str, Pack]
    rules: list[LoadedRule]
    revision: str

    def by_id(self, rule_id: str) -> list[LoadedRule]:
        return [r for r in self.rules if r.rule.id == rule_id]

    def valid_on(self, d: Any) -> list[LoadedRule]:
        return [r for r in self.rules if r.rule.valid_on(d)]
