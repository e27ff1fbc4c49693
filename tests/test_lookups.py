"""Look-ups over other facts, evaluated against a real store: index keys, the per-row rest of
the condition, null keys, ratio's base, nesting, the old text form and ``related_types``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from engine.lookups_store import StoreLookups
from engine.rules.evaluator import evaluate
from engine.rules.expr import parse
from engine.rules.library import load_rules
from engine.rules.lookups import related_types
from engine.rules.typecheck import TypeCheckError, infer
from engine.rules.valuetypes import model_types
from engine.schema import apply_schema
from facts.orgs import DEFAULT_ORG
from facts.store import upsert_facts
from facts.types import FACT_TYPES, fact_type

FACTS = {
    "submission": [
        {"obligation_id": "O-1", "submitted_on": "2026-05-27", "period": "2026"},
        {"obligation_id": "O-1", "submitted_on": "2026-05-22", "period": "2026"},
        {"obligation_id": "O-1", "submitted_on": "2025-05-20", "period": "2025"},
        {"obligation_id": "O-2", "submitted_on": "2026-01-10"},
    ],
    "decision": [
        {"id": "A", "law": "LSS", "decided_on": "2024-01-01", "executed_on": "2024-02-01"},
        {"id": "B", "law": "LSS", "decided_on": "2024-02-01"},
        {"id": "C", "law": "SoL", "decided_on": "2024-06-01"},
    ],
}


@pytest.fixture
def store() -> StoreLookups:
    db = sqlite_utils.Database(memory=True)
    apply_schema(db)
    for kind, rows in FACTS.items():
        ft = fact_type(kind)
        upsert_facts(db, ft, [(ft.model.model_validate(r), "test", i) for i, r in enumerate(rows, 1)],
                     DEFAULT_ORG)
    return StoreLookups(db, DEFAULT_ORG)


def _eval(text: str, store: StoreLookups, **env: Any) -> Any:
    scope = model_types(FACT_TYPES["obligation"].model) | {"period": "str", "cutoff": "date"}
    node = parse(text)
    infer(node, scope)  # every look-up here is also valid at load
    return evaluate(node, env, store)


def test_equality_conjuncts_pick_rows_through_the_index(store: StoreLookups) -> None:
    text = ("earliest(s.submitted_on for s in submission "
            "where s.obligation_id == id and period == s.period and s.submitted_on >= cutoff)")
    assert _eval(text, store, id="O-1", period="2026", cutoff=date(2026, 5, 25)) == date(2026, 5, 27)
    # both equalities (either way round) became one index, sorted by field; the date test did not
    assert ("submission", ("obligation_id", "period")) in store._index
    assert _eval(text, store, id="O-1", period="2026", cutoff=date(2026, 6, 1)) is None


def test_earliest_latest_count(store: StoreLookups) -> None:
    env = {"id": "O-1"}
    assert _eval("earliest(s.submitted_on for s in submission where s.obligation_id == id)", store,
                 **env) == date(2025, 5, 20)
    assert _eval("latest(s.submitted_on for s in submission where s.obligation_id == id)", store,
                 **env) == date(2026, 5, 27)
    assert _eval("count(s in submission where s.obligation_id == id)", store, **env) == 3
    assert _eval("count(s in submission)", store) == 4
    assert _eval("count(s in submission where s.period is null)", store) == 1


def test_a_null_key_matches_nothing(store: StoreLookups) -> None:
    """``s.period == period`` with a null period is unknown: no row, also not the one without
    a period (the old keyword filter matched it)."""
    assert _eval("count(s in submission where s.obligation_id == id and s.period == period)", store,
                 id="O-2", period=None) == 0


def test_ratio(store: StoreLookups) -> None:
    text = "ratio(d.executed_on is not null for d in decision where d.law == law)"
    assert _eval(text.replace("== law", "== 'LSS'"), store) == 50.0
    assert _eval(text.replace("== law", "== 'SoL'"), store) == 0.0
    assert _eval(text.replace("== law", "== 'Annan'"), store) is None   # no base row
    assert _eval("ratio(d.decided_on < '2024-03-01' for d in decision)", store) == pytest.approx(66.666, 0.01)


def test_nested_look_ups_and_durations(store: StoreLookups) -> None:
    text = ("count(d in decision where d.law == 'LSS' and d.decided_on + 1 month <= "
            "latest(e.decided_on for e in decision where e.law == d.law))")
    assert _eval(text, store) == 1   # A: 2024-02-01 <= 2024-02-01; B: 2024-03-01 is later


@pytest.mark.parametrize(("text", "want"), [
    ("count('control_point', nr=3, year=year(due_on))",
     "skriv count(c in control_point where c.nr == 3 and c.year == year(due_on))"),
    ("latest('balanslista_item', 'list_date')", "skriv latest(b.list_date for b in balanslista_item)"),
    ("ratio('investigation', where=\"closed_on is null\", of=\"opened_on <= due_on\")",
     "skriv ratio(i.closed_on is null for i in investigation where i.opened_on <= due_on)"),
    ("earliest('meeting', 'date', body='VON', where=\"date > due_on\")",
     "skriv earliest(m.date for m in meeting where m.body == 'VON' and m.date > due_on)"),
])
def test_the_old_form_prints_the_new_one(text: str, want: str) -> None:
    with pytest.raises(TypeCheckError) as exc:
        infer(parse(text), model_types(FACT_TYPES["obligation"].model))
    assert exc.value.message == f"look-ups skrivs inte längre med text; {want}"


def test_related_types_are_found_everywhere(tmp_path: Path) -> None:
    assert related_types(parse("next_meeting(d) > count(s in submission where s.x == "
                               "latest(m.date for m in meeting))")) == {"submission", "meeting"}
    pack = tmp_path / "rules" / "p"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: p\ntitle: P\n", encoding="utf-8")
    (pack / "r.yaml").write_text("""
id: p.r
version: 1
title: R
applies_to: obligation
legal_basis: [{text: "Kommunallagen (2017:725) 6 kap. 6 §"}]
tables:
  - name: t
    hit: first
    inputs: ["count(d in decision where d.law == 'LSS')"]
    outputs: [many]
    rows: [{many: true}]
when: "count(c in complaint where c.unit == recipient) > 0"
finding:
  due: due_on
  done: "earliest(s.submitted_on for s in submission where s.obligation_id == id)"
  why: "{{ many }}"
""", encoding="utf-8")
    (lr,) = load_rules(tmp_path / "rules").rules
    assert lr.related_types == {"decision", "complaint", "submission"}
