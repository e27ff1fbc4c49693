"""Duration literals: ``decided_on + 3 months``, ``24 dagar``, ``2 working days``, ``P90D``."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_expr import _durable_matches, _python_matches

from engine import calendar as cal
from engine.rules.evaluator import EvalError, evaluate
from engine.rules.expr import parse
from engine.rules.to_durable import compile_when
from engine.rules.typecheck import TypeCheckError, infer
from engine.rules.valuetypes import model_types
from facts.types import FACT_TYPES

D = date(2024, 11, 30)
SCOPE = model_types(FACT_TYPES["decision"].model) | {"n": "number", "d": "date", "long": "bool"}


@pytest.mark.parametrize(("text", "want"), [
    ("d + 3 months", date(2025, 2, 28)),            # clamped to the month's end
    ("d + 3 månader", date(2025, 2, 28)),
    ("d + 1 month", date(2024, 12, 30)),
    ("d + 1 månad", date(2024, 12, 30)),
    ("d + P3M", date(2025, 2, 28)),
    ("d - 3 months", date(2024, 8, 30)),
    ("d + 90 days", date(2025, 2, 28)),
    ("d + P90D", date(2025, 2, 28)),
    ("d - 24 dagar", date(2024, 11, 6)),
    ("d + 1 day", date(2024, 12, 1)),
    ("d + 1 dag", date(2024, 12, 1)),
    ("d + 2 weeks", date(2024, 12, 14)),
    ("d + 2 veckor", date(2024, 12, 14)),
    ("d + 1 vecka", date(2024, 12, 7)),
    ("d + P2W", date(2024, 12, 14)),
    ("d + 1 year", date(2025, 11, 30)),
    ("d + 1 år", date(2025, 11, 30)),
    ("d + 2 years", date(2026, 11, 30)),
    ("d + P1Y", date(2025, 11, 30)),
    ("date('2024-02-29') + 1 år", date(2025, 2, 28)),
    ("d + 2 working days", date(2024, 12, 3)),       # Saturday 30/11: Monday and Tuesday
    ("d + 1 working day", date(2024, 12, 2)),
    ("d + 2 arbetsdagar", date(2024, 12, 3)),
    ("d + 2 vardagar", date(2024, 12, 3)),
    ("d + 1 vardag", date(2024, 12, 2)),
    ("date('2024-06-24') - 1 working day", date(2024, 6, 20)),   # Midsommarafton
    ("date('2024-12-20') + 3 arbetsdagar", date(2024, 12, 30)),   # the Christmas days
    ("d + n days", date(2024, 12, 10)),
    ("d + (n + 2) days", date(2024, 12, 12)),
    ("d + 6 months - 1 day", date(2025, 5, 29)),
    ("d + if(long, 3 months, 90 days)", date(2025, 2, 28)),
    ("d + coalesce(null, 1 day)", date(2024, 12, 1)),
    ("null + 3 months", None),
    ("d + (null) days", None),
])
def test_duration_arithmetic(text: str, want: date | None) -> None:
    node = parse(text)
    assert infer(node, SCOPE) in ("date", "null", "any")
    assert evaluate(node, {"d": D, "n": 10, "long": True}) == want


@settings(max_examples=200, deadline=None)
@given(d=st.dates(date(2020, 1, 1), date(2030, 12, 31)), n=st.integers(0, 40))
def test_durations_agree_with_the_date_functions(d: date, n: int) -> None:
    env: dict[str, Any] = {"d": d, "n": n}
    assert evaluate(parse("d + n months"), env) == cal.add_months(d, n)
    assert evaluate(parse("d - n months"), env) == cal.add_months(d, -n)
    assert evaluate(parse("d + n days"), env) == cal.add_days(d, n)
    assert evaluate(parse("d + n weeks"), env) == cal.add_days(d, 7 * n)
    assert evaluate(parse("d + n years"), env) == cal.add_months(d, 12 * n)
    assert evaluate(parse("d + n working days"), env) == cal.add_working_days(d, n)
    assert evaluate(parse("d - n arbetsdagar"), env) == cal.add_working_days(d, -n)


@pytest.mark.parametrize(("text", "message"), [
    ("3 months + decided_on", "skriv datumet först: datum + tidslängd"),
    ("decided_on < 3 days", "en tidslängd kan bara läggas till eller dras från ett datum"),
    ("3 days", "en tidslängd kan bara läggas till eller dras från ett datum"),
    ("birth_year + 3 days", "en tidslängd kan bara läggas till eller dras från ett datum, inte number"),
    ("law + 3 days", "en tidslängd kan bara läggas till eller dras från ett datum, inte str"),
    ("decided_on * 2 days", "en tidslängd kan bara läggas till eller dras från ett datum"),
    ("decided_on + 1.5 months", "en tidslängd ska vara ett helt antal"),
    ("decided_on + law days", "antalet i en tidslängd ska vara ett tal, inte str"),
    ("decided_on - -3 days", "skriv datum - tidslängd"),
    ("add_days(decided_on, 3 days)", "en tidslängd kan bara läggas till eller dras från ett datum"),
    ("max(3 days, 4 days)", "en tidslängd kan bara läggas till eller dras från ett datum"),
    ("3 days is null", "en tidslängd kan bara läggas till eller dras från ett datum"),
    ("decided_on in [3 days]", "en tidslängd kan bara läggas till eller dras från ett datum"),
    ("decided_on + 90", "räkneoperatorn + kräver tal, inte date (flytta ett datum med en tidslängd"),
    ("decided_on - executed_on", "(dagar mellan två datum: days_between(a, b))"),
])
def test_everything_else_with_a_duration_is_a_type_error(text: str, message: str) -> None:
    node = parse(text)
    with pytest.raises(TypeCheckError) as exc:
        if infer(node, SCOPE) == "duration":
            raise TypeCheckError("en tidslängd kan bara läggas till eller dras från ett datum", 0)
    assert message in exc.value.message


def test_a_fractional_count_from_a_name_fails_when_evaluated() -> None:
    with pytest.raises(EvalError, match="helt antal"):
        evaluate(parse("d + n days"), {"d": D, "n": 1.5})


def test_unit_words_are_names_elsewhere() -> None:
    """``days`` is a parameter of avtal.korttid-bedomning and ``year`` a field of several fact
    types: a unit word is only a unit right after a count."""
    env = {"days": 2, "year": 2024, "d": D}
    assert evaluate(parse("days + 1"), env) == 3
    assert evaluate(parse("date_of(year + 1, 9, 1)"), env) == date(2025, 9, 1)
    assert evaluate(parse("d + days days"), env) == date(2024, 12, 2)


AGREEING = [
    "executed_on > decided_on + 3 months",
    "executed_on <= decided_on + 90 days",
    "decided_on + 2 working days < '2024-06-01'",
    "executed_on is null or executed_on - 1 month > decided_on",
]


@pytest.mark.parametrize("text", AGREEING)
def test_durable_and_python_agree_on_duration_conditions(text: str) -> None:
    """Date arithmetic is hoisted: Python computes it, durable tests the result."""
    compiled = compile_when(parse(text), {})
    assert compiled.hoisted, compiled
    facts = [
        {"id": "a", "decided_on": date(2024, 3, 1), "executed_on": date(2024, 7, 1)},
        {"id": "b", "decided_on": date(2024, 3, 1), "executed_on": date(2024, 4, 1)},
        {"id": "c", "decided_on": date(2024, 5, 30), "executed_on": None},
    ]
    assert _durable_matches(text, facts) == _python_matches(text, facts)
