"""One semantics for ``when``: durable_rules and the Python evaluator make the same decision.

For every shipped rule (every version), facts generated from the fact models
(:mod:`fact_strategies`) are stored in a real in-memory SQLite store with
``facts.store.upsert_facts``, together with generated related facts (meetings, submissions,
control results, investigations, decisions …) that the rule's look-ups read through
``StoreLookups``. Each fact, and each occurrence of an ``each`` rule, becomes the durable
message ``engine.derivation`` builds (typed env → derive → hoisted values → JSON
→ id), and durable_rules (``Matcher``) matches it against the rule's compiled condition; the
Python reading ``holds(lr.when, env, lookups)`` must give the same decision.

On every branch too: each sub-condition of ``when`` (the connectives and every atomic
comparison) is compiled on its own, and negated, and durable must match it exactly when the
Python value is true, and its negation exactly when the value is false (null: neither), which
checks the three-valued logic branch by branch. Every atomic comparison must be seen both true
and false over the generated facts; the few that valid facts cannot reach are listed in
UNREACHABLE with the reason.

The cases are a deterministic supplement (each rule's own examples, and their facts with each
compared field set to the boundary values of its constants, and to null) plus hypothesis
examples (``derandomize``: the same cases on every run). ``BEVAKA_WHEN_EXAMPLES`` sets the
hypothesis examples per rule (default 30); run more locally with e.g.
``BEVAKA_WHEN_EXAMPLES=500 pytest tests/test_when_agreement.py``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlite_utils
from conftest import ROOT, RULES_DIR
from fact_strategies import FIRST_DAY, LAST_DAY, Hints, columns, extremes, facts, is_constant, valid, variants
from hypothesis import HealthCheck, assume, given, settings, target
from hypothesis import strategies as st
from pydantic import BaseModel

from engine.config import Config
from engine.derivation import condition_fields, derived_env, message, occurrences, pushdown
from engine.durable_adapter import Matcher, MatchError, _payload
from engine.evaluate import load_ruleset
from engine.lookups_store import StoreLookups, fact_key, typed_env
from engine.memo import Memo
from engine.rules.evaluator import evaluate, holds
from engine.rules.expr import parse
from engine.rules.loader import LoadedRule
from engine.rules.nodes import Binary, Node, Unary, names, to_source
from engine.rules.to_durable import Compiled, compile_when
from facts.store import apply_schema, load_facts, upsert_facts
from facts.types import FACT_TYPES, fact_type

EXAMPLES = int(os.environ.get("BEVAKA_WHEN_EXAMPLES", "30"))
RULES = load_ruleset(Config()).rules
HINTS = Hints(RULES)
MATCHER = Matcher()

# (rule id, atomic comparison as written by to_source) → {outcome never seen: why}. An outcome
# listed here that does occur fails the test, so the list cannot go stale.
UNREACHABLE: dict[tuple[str, str], dict[bool, str]] = {
    ("ivo.avbrott", "law in ['SoL', 'LSS']"): {
        False: "law is SoL or LSS: the Law enum has no other value"},
    ("ivo.ej-verkstallt", "law in ['SoL', 'LSS']"): {
        False: "law is SoL or LSS: the Law enum has no other value"},
    ("internkontroll.lss-ej-i-tid", "only_service == ''"): {
        False: "a parameter compared with a constant: only_service is '' (all services) by default"},
    ("internkontroll.lss-ej-i-tid", "service == only_service"): {
        True: "service is never '' (a blank cell is null), and only_service is '' by default"},
}


# ---- branches ---------------------------------------------------------------------------


def branches(when: Node) -> list[Node]:
    """``when`` and every sub-condition in it: the operands of and/or/not, down to the atoms."""
    out = [when]
    if isinstance(when, Binary) and when.op in ("and", "or"):
        out += branches(when.left) + branches(when.right)
    elif isinstance(when, Unary) and when.op == "not":
        out += branches(when.operand)
    return out


def is_atom(node: Node) -> bool:
    """An atomic comparison (or boolean value): not a connective, not a constant."""
    if isinstance(node, Binary) and node.op in ("and", "or"):
        return False
    if isinstance(node, Unary) and node.op == "not":
        return False
    return not is_constant(node)


# ---- one rule against durable_rules ------------------------------------------------------


@dataclass
class Branch:
    node: Node
    text: str
    atom: bool
    matches: tuple[str, Compiled]  # ruleset name, compiled condition
    misses: tuple[str, Compiled]  # the negation
    seen: Counter[bool | None] = field(default_factory=Counter)


class Agreement:
    """Cases of one rule: stored, materialised as durable messages, and compared."""

    _orgs = itertools.count(1)

    def __init__(self, lr: LoadedRule):
        self.lr = lr
        self.db = sqlite_utils.Database(memory=True)
        apply_schema(self.db)
        self.branches: list[Branch] = []
        for i, node in enumerate(branches(lr.when)):
            negated = Unary(node.pos, "not", node)
            matches = (lr.ruleset_name, lr.compiled) if i == 0 else (
                f"{lr.ruleset_name}|{i}", compile_when(node, lr.params))
            misses = (f"{lr.ruleset_name}|{i}|not", compile_when(negated, lr.params))
            self.branches.append(Branch(node, to_source(node), is_atom(node), matches, misses))
        for b in self.branches:
            for name, compiled in (b.matches, b.misses):
                MATCHER.register(name, compiled.condition)
        self.cases = 0

    def check(self, stores: Iterable[dict[str, list[BaseModel]]]) -> None:
        """Store each set of facts as an organisation of its own, then match all in one go."""
        envs: dict[str, tuple[dict[str, Any], StoreLookups]] = {}
        for store in stores:
            org = f"test/o{next(self._orgs)}"
            for kind, models in store.items():
                upsert_facts(self.db, FACT_TYPES[kind],
                             [(m, "generated", i) for i, m in enumerate(models, start=1)], org)
            lookups = StoreLookups(self.db, org)
            for mid, env in self.materialised(lookups):
                envs[f"{org}:{mid}"] = (env, lookups)
        self.cases += len(envs)
        for b in self.branches:
            yes = self.durable(b.matches, envs)
            no = self.durable(b.misses, envs)
            for mid, (env, lookups) in envs.items():
                value = evaluate(b.node, env, lookups)
                b.seen[value] += 1
                if (mid in yes, mid in no) != (value is True, value is False):
                    pytest.fail(self.disagreement(b, mid, env, lookups, value, mid in yes, mid in no))
            if b is self.branches[0]:  # the rule's own compiled condition: what materialize matches
                assert yes == {mid for mid, (env, lookups) in envs.items()
                               if holds(self.lr.when, env, lookups)}, self.lr.key

    def materialised(self, lookups: StoreLookups) -> Iterable[tuple[str, dict[str, Any]]]:
        """(message id, env) of every fact and occurrence, as ``engine.derivation`` makes
        them; and the SQL push-down of ``when`` never leaves out a fact whose ``when`` holds."""
        ft = FACT_TYPES[self.lr.rule.applies_to]
        where, params = pushdown(self.lr, ft)
        cols = ", ".join(f'"{k}"' for k in ft.key)
        pushed = {"|".join(map(str, r)) for r in self.db.execute(
            f'SELECT {cols} FROM "{ft.table}" WHERE org = ? AND ({where})', [lookups.org, *params])}
        memo = Memo(self.lr, lookups)
        for row in load_facts(self.db, ft, lookups.org):
            base = typed_env(ft, row)
            key = fact_key(ft, base)
            for occ in occurrences(self.lr, base, memo):
                env = derived_env(self.lr, base, memo, occ)
                if key not in pushed:
                    assert not holds(self.lr.when, env, lookups), (self.lr.key, where, key)
                yield (key if occ is None else f"{key}#{occ.isoformat()}", env)

    def durable(self, ruleset: tuple[str, Compiled],
                envs: dict[str, tuple[dict[str, Any], StoreLookups]]) -> set[str]:
        name, compiled = ruleset
        fields = condition_fields(self.lr)
        messages = [message(compiled, env, Memo(self.lr, lookups), mid, fields)
                    for mid, (env, lookups) in envs.items()]
        return MATCHER.match(name, messages)

    def disagreement(self, b: Branch, mid: str, env: dict[str, Any], lookups: StoreLookups,
                     value: Any, matched: bool, negation_matched: bool) -> str:
        read = {n: env.get(n) for n in sorted(names(b.node))}
        hoisted = {h: evaluate(n, env, lookups) for h, n in b.matches[1].hoisted.items()}
        return (f"{self.lr.key}: {b.text!r} is {value!r} in Python but durable_rules matched it "
                f"{matched} and its negation {negation_matched} for {mid}: {read} {hoisted} "
                f"(condition {b.matches[1].condition})")

    def unseen(self) -> list[str]:
        """Atomic comparisons not seen both true and false (and not listed as unreachable), and
        listed outcomes that did occur."""
        problems = []
        for b in self.branches:
            if not b.atom:
                continue
            listed = UNREACHABLE.get((self.lr.rule.id, b.text), {})
            for outcome in (True, False):
                if b.seen[outcome] and outcome in listed:
                    problems.append(f"{b.text!r} was {outcome} although listed as unreachable")
                elif not b.seen[outcome] and outcome not in listed:
                    problems.append(f"{b.text!r} was never {outcome}")
        return problems

    def summary(self) -> str:
        seen = "; ".join(f"{b.text}: {b.seen[True]}T/{b.seen[False]}F/{b.seen[None]}N"
                         for b in self.branches)
        return f"{self.lr.key}: {self.cases} cases; {seen}"


# ---- cases ------------------------------------------------------------------------------


def validated(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[BaseModel]]:
    out: dict[str, list[BaseModel]] = {}
    for kind, written in rows.items():
        ft = fact_type(kind)
        out[ft.name] = [m for m in (valid(ft, r) for r in written) if m is not None]
    return out


def supplement(lr: LoadedRule) -> list[dict[str, list[BaseModel]]]:
    """The rule's own examples, and each example fact with each field ``when`` reads set to the
    boundary values of the constants it is compared with, and to null, and each number field
    set to the extremes the model accepts."""
    ft = FACT_TYPES[lr.rule.applies_to]
    read = [n for n in columns(ft) if n in names(lr.when)]
    stores = []
    for ex in lr.rule.examples:
        rows = {fact_type(kind).name: written for kind, written in ex.facts.items()}
        stores.append(validated(rows))
        for row in rows.get(ft.name, []):
            for name in columns(ft):
                values = extremes(ft, name)
                if name in read:
                    values = [*HINTS.boundaries(lr, (ft.name, name)), None, *values]
                for variant in variants(row, name, values):
                    stores.append(validated({**rows, ft.name: [variant]}))
    return stores


def generated(lr: LoadedRule) -> st.SearchStrategy[dict[str, list[BaseModel]]]:
    """One organisation's facts around one year: 1–8 of the rule's own type, 0–8 of each type
    it looks up."""
    own = lr.rule.applies_to

    def around(year: int) -> st.SearchStrategy[dict[str, list[BaseModel]]]:
        kinds = {own: facts(FACT_TYPES[own], HINTS, year, 1, 8)}
        for related in sorted(lr.related_types - {own}):
            kinds[related] = facts(FACT_TYPES[related], HINTS, year, 0, 8)
        return st.fixed_dictionaries(kinds)

    return st.integers(FIRST_DAY.year, LAST_DAY.year).flatmap(around)


@pytest.mark.parametrize("lr", RULES, ids=lambda lr: lr.key)
def test_durable_and_python_agree_on_every_branch(lr: LoadedRule) -> None:
    agreement = Agreement(lr)
    try:
        agreement.check(supplement(lr))

        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        @given(store=generated(lr))
        def agree(store: dict[str, list[BaseModel]]) -> None:
            assume(store[lr.rule.applies_to])
            before = agreement.cases
            agreement.check([store])
            target(float(agreement.cases - before), label="facts and occurrences")

        agree()
    except BaseException:
        print(agreement.summary())
        raise
    problems = agreement.unseen()
    assert not problems, f"{agreement.summary()}\n" + "\n".join(problems)


def test_every_shipped_rule_is_covered() -> None:
    """Every rule file of every shipped pack (every version) is a case of the test above."""
    files = {p.resolve() for p in RULES_DIR.glob("*/*.yaml") if p.name != "pack.yaml"}
    assert {lr.path.resolve() for lr in RULES} == files
    assert len({lr.key for lr in RULES}) == len(RULES) == len(files)
    for key, _ in UNREACHABLE:
        assert any(lr.rule.id == key for lr in RULES), f"UNREACHABLE names no shipped rule: {key}"


# ---- what this test found ---------------------------------------------------------------

_EXPONENT_SCRIPT = """
from engine.durable_adapter import Matcher
from engine.rules.expr import parse
from engine.rules.to_durable import compile_when
m = Matcher()
m.register("ks", compile_when(parse("cost_tkr >= 10000"), {}).condition)
costs = [1e16, 2e-05, 1e300, -1e16, 5e-324, 1.25e17, 10000.0]
print(*sorted(m.match("ks", [{"id": f"i{i}", "cost_tkr": c, "title": "1e+16 tkr"}
                             for i, c in enumerate(costs)])))
"""


def test_numbers_python_writes_with_a_bare_exponent_reach_durable_intact() -> None:
    """Python writes 1e16 as ``1e+16`` and 0.00002 as ``2e-05``; durable's JSON reader takes an
    exponent only after a decimal point, and such a number in any field of a message crashed
    the process (or lost the batch): an investment of 10^16 tkr, a quality register's 1 of
    10 000 000 (1e-05 %). Run in a subprocess, so a regression fails instead of killing pytest."""
    proc = subprocess.run([sys.executable, "-c", _EXPONENT_SCRIPT], cwd=ROOT, text=True,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["i0", "i2", "i5", "i6"]


def test_the_payload_rewrites_numbers_only() -> None:
    batch = [{"id": 'a 1e+16 "1e-05"', "v": 1.25e17, "w": -1e16, "x": 1e-05,
              "y": {"k1e+5": [3e20, 2.5e-300]}}]
    text = _payload("test", batch)
    assert json.loads(text) == batch
    assert '"v": 1.25e+17, "w": -1.0e+16, "x": 1.0e-05' in text
    assert '"k1e+5": [3.0e+20, 2.5e-300]' in text


def test_a_float_that_is_not_finite_is_refused_not_sent() -> None:
    MATCHER.register("finite", compile_when(parse("charge > 0"), {}).condition)
    with pytest.raises(MatchError, match="charge = inf"):
        MATCHER.match("finite", [{"id": "L-1", "charge": math.inf}])


def test_arithmetic_that_overflows_is_null_like_division_by_zero() -> None:
    """A vacancy at the largest daily price the model accepts: the charge overflowed to inf,
    which durable cannot be sent; it is unknown (null), as ``x / 0`` is."""
    env = {"rate": 0.45 * 1.7e308, "days": 40}
    assert evaluate(parse("days * rate"), env) is None
    assert evaluate(parse("rate + rate + rate"), env) is None
    assert evaluate(parse("days * 2.5"), env) == 100.0
    assert not holds(parse("days * rate > 0"), env)
