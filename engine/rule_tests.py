"""Run the examples inside rule files (``bevaka rules test``).

Each example gets a fresh in-memory store holding only its facts; the rule is reloaded
with the example's parameters, evaluated as of the example's date, and the findings are
compared with ``expect``: the same subjects, and for each the fields the author wrote.
A pack with no examples fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import ValidationError

from engine.materialize import refresh
from engine.projection import project
from engine.rules.library import reload
from engine.rules.loader import LoadedRule, RuleSet
from engine.rules.schema import Example
from engine.schema import apply_schema
from facts.orgs import DEFAULT_ORG
from facts.store import upsert_facts
from facts.types import fact_type


@dataclass
class ExampleResult:
    rule_id: str
    path: str
    name: str
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class TestReport:
    results: list[ExampleResult] = field(default_factory=list)
    pack_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.pack_problems and all(r.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "passed": sum(r.ok for r in self.results),
            "failed": sum(not r.ok for r in self.results),
            "pack_problems": self.pack_problems,
            "results": [r.__dict__ for r in self.results],
        }


def reload_for(lr: LoadedRule, example: Example) -> LoadedRule:
    """The rule as the example sees it: with its ``params`` and ``tables`` (if any)."""
    if not example.params and not example.tables:
        return lr
    return reload(lr, example.params, {t.name: t for t in example.tables})


def run_example(lr: LoadedRule, example: Example, window_days: int = 92) -> list[str]:
    """Problems found running one example (empty when it passes)."""
    db = sqlite_utils.Database(memory=True)
    apply_schema(db)
    for kind, rows in example.facts.items():
        ft = fact_type(kind)
        items = []
        for i, row in enumerate(rows, start=1):
            try:
                items.append((ft.model.model_validate(row), "example", i))
            except ValidationError as exc:
                return [f"facts.{kind}[{i}]: {exc.errors()[0]['msg']}"]
        upsert_facts(db, ft, items, DEFAULT_ORG)
    rule = reload_for(lr, example)
    ruleset = RuleSet({}, [rule], rule.revision)
    refresh(db, ruleset, DEFAULT_ORG)
    findings = {_label(f.subject, f.occurrence): f
                for f in project(db, ruleset, example.as_of, window_days, DEFAULT_ORG)}
    problems = []
    expected = {_label(e.subject, e.occurrence): e for e in example.expect}
    for label in sorted(set(findings) - set(expected)):
        problems.append(f"oväntad bevakning för {label} ({findings[label].status.value})")
    for subject, exp in expected.items():
        got = findings.get(subject)
        if got is None:
            problems.append(f"ingen bevakning för {subject}")
            continue
        for key, want in exp.checks().items():
            have: Any
            if key == "why_contains":
                if str(want) not in got.why:
                    problems.append(f"{subject}: why saknar {want!r}: {got.why!r}")
                continue
            have = getattr(got, key)
            if hasattr(have, "value"):
                have = have.value
            if isinstance(want, date) or isinstance(have, date):
                want, have = str(want), str(have)
            if have != want:
                problems.append(f"{subject}: {key} är {have!r}, väntat {want!r}")
    return problems


def _label(subject: str, occurrence: date | None) -> str:
    return subject if occurrence is None else f"{subject} ({occurrence})"


def run_tests(ruleset: RuleSet, window_days: int = 92) -> TestReport:
    report = TestReport()
    for pack in ruleset.packs:
        rules = [r for r in ruleset.rules if r.pack == pack]
        if not any(r.rule.examples for r in rules):
            report.pack_problems.append(f"paketet {pack!r} har inga exempel")
    for lr in ruleset.rules:
        if not lr.rule.examples:
            report.pack_problems.append(f"{lr.path}: regeln {lr.rule.id} har inga exempel")
        for ex in lr.rule.examples:
            try:
                problems = run_example(lr, ex, window_days)
            except Exception as exc:  # a broken example is a failure, reported per example
                problems = [f"fel: {exc}"]
            report.results.append(
                ExampleResult(lr.rule.id, str(Path(lr.path)), ex.name, not problems, problems)
            )
    return report
