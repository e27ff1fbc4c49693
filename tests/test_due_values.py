"""The balanslista due-value parser (facts/due_values.py): every value of the real lists,
tolerance of case and spaces, rejections that name a position, and property tests."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facts.due_values import (
    MONTHS,
    DueValue,
    DueValueError,
    format_due,
    parse_due,
)

# (text, kind, start, end, months) for every value on the lists of 2023-12-13 and page 2.
REAL_VALUES = [
    ("Mars 2024", "absolute", date(2024, 3, 1), date(2024, 3, 31), ()),
    ("November 2023", "absolute", date(2023, 11, 1), date(2023, 11, 30), ()),
    ("Q1 2024", "absolute", date(2024, 1, 1), date(2024, 3, 31), ()),
    ("Q4 2023 dec", "absolute", date(2023, 12, 1), date(2023, 12, 31), ()),
    ("December 2025", "absolute", date(2025, 12, 1), date(2025, 12, 31), ()),
    ("Maj 2025", "absolute", date(2025, 5, 1), date(2025, 5, 31), ()),
    ("Februari 2025", "absolute", date(2025, 2, 1), date(2025, 2, 28), ()),
    ("Q2 2025", "absolute", date(2025, 4, 1), date(2025, 6, 30), ()),
    ("Varje nämnd", "recurring", None, None, tuple(range(1, 13))),
    ("Varje nämnd förutom feb och december", "recurring", None, None,
     (1, 3, 4, 5, 6, 7, 8, 9, 10, 11)),
    ("April, augusti och december", "recurring", None, None, (4, 8, 12)),
    ("Maj, delår, november, bokslut", "recurring", None, None, (2, 5, 8, 11)),
    ("April, Maj och november", "recurring", None, None, (4, 5, 11)),
    ("Februari varje år", "recurring", None, None, (2,)),
    ("Årligen", "recurring", None, None, ()),
    ("Paus", "paused", None, None, ()),
]


@pytest.mark.parametrize(("text", "kind", "start", "end", "months"), REAL_VALUES,
                         ids=[v[0] for v in REAL_VALUES])
def test_every_real_value(text: str, kind: str, start: date | None, end: date | None,
                          months: tuple[int, ...]) -> None:
    value = parse_due(text)
    assert (value.kind, value.start, value.end, value.months) == (kind, start, end, months)
    assert parse_due(format_due(value)) == value


def test_cadences_and_report_points() -> None:
    assert parse_due("Varje nämnd").cadence == "meeting"
    assert parse_due("Årligen").cadence == "yearly"
    mixed = parse_due("Maj, delår, november, bokslut")
    assert (mixed.cadence, mixed.items) == ("months", ("maj", "delår", "november", "bokslut"))
    assert parse_due("Q4 2023 dec").quarter == 4


@pytest.mark.parametrize("text", ["  q4   2023 DEC ", "Q4 2023 December", "q 4 2023 dec"])
def test_case_and_spaces_do_not_matter(text: str) -> None:
    assert parse_due(text) == parse_due("Q4 2023 dec")


def test_separators_and_abbreviations() -> None:
    assert parse_due("april,augusti & dec").months == (4, 8, 12)
    assert parse_due("VARJE  NÄMND förutom Feb, December").except_months == (2, 12)
    assert parse_due("sept 2024").start == date(2024, 9, 1)


@pytest.mark.parametrize(("text", "pos", "fragment"), [
    ("", 1, "tomt"),
    ("Mras 2024", 1, "menade du 'mars'?"),
    ("Q5 2024", 2, "1–4"),
    ("Q1 2024 dec", 9, "december ligger inte i Q1"),
    ("Q1", 3, "årtal"),
    ("April 24", 7, "inget årtal"),
    ("Varje", 6, "'nämnd'"),
    ("Varje nämnd utom feb", 13, "förutom"),
    ("Varje nämnd förutom", 20, "väntade en månad"),
    ("April, april", 8, "förekommer redan"),
    ("April, augusti och", 19, "fann slutet"),
    ("Paus tills vidare", 6, "oväntat 'tills'"),
    ("Maj 2024, juni", 9, "oväntat ','"),
    ("April 2024 2025", 12, "oväntat '2025'"),
    ("Varje nämnd förutom jan, feb, mars, april, maj, juni, juli, augusti, september, "
     "oktober, november, december", 100, "alla månader"),
])
def test_rejections_name_the_position(text: str, pos: int, fragment: str) -> None:
    with pytest.raises(DueValueError) as exc:
        parse_due(text)
    assert exc.value.pos == pos
    assert f"position {pos} i {text!r}" in str(exc.value)
    assert fragment in str(exc.value)


# ---- properties ----------------------------------------------------------------------------

WORDS = ["varje", "nämnd", "förutom", "och", "q", "paus", "årligen", "delår", "bokslut",
         "år", ",", "2024", "12", "4", "dec", "mars", "Q4", "  ", "x", "§"]


@given(st.text(max_size=40) | st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join))
def test_never_crashes_and_every_rejection_names_a_position(text: str) -> None:
    try:
        value = parse_due(text)
    except DueValueError as exc:
        assert 1 <= exc.pos <= len(text) + 1
        assert re.match(rf"position {exc.pos} i ", str(exc))
        return
    assert isinstance(value, DueValue)
    assert parse_due(format_due(value)) == value


def _absolute() -> st.SearchStrategy[DueValue]:
    years = st.integers(1990, 2099)
    by_month = st.builds(lambda y, m: DueValue("absolute", year=y, month=m), years,
                         st.integers(1, 12))
    by_quarter = st.builds(lambda y, q: DueValue("absolute", year=y, quarter=q), years,
                           st.integers(1, 4))
    narrowed = st.builds(
        lambda y, q, i: DueValue("absolute", year=y, quarter=q, month=3 * q - 2 + i),
        years, st.integers(1, 4), st.integers(0, 2))
    return by_month | by_quarter | narrowed


def _items(draw_list: list[int]) -> tuple[str, ...]:
    names = {m: MONTHS[m - 1] for m in range(1, 13)}
    return tuple(names[m] for m in draw_list)


VALUES = (
    _absolute()
    | st.just(DueValue("paused"))
    | st.just(DueValue("recurring", cadence="yearly"))
    | st.builds(lambda ex: DueValue("recurring", cadence="meeting", except_months=tuple(ex)),
                st.lists(st.integers(1, 12), unique=True, max_size=11).map(sorted))
    | st.builds(lambda ms: DueValue("recurring", cadence="months", items=_items(ms)),
                st.lists(st.integers(1, 12), unique=True, min_size=1, max_size=12)
                .filter(lambda ms: not {2, 8} & set(ms)))
    | st.builds(lambda ms, points: DueValue("recurring", cadence="months",
                                            items=(*_items(ms), *points)),
                st.lists(st.sampled_from([1, 3, 4, 5, 6, 7, 9, 10, 11, 12]), unique=True,
                         max_size=4),
                st.sampled_from([("delår",), ("bokslut",), ("delår", "bokslut")]))
)


@given(VALUES, st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
       st.sampled_from([" ", "  ", "\t"]))
def test_round_trip_of_generated_values(value: DueValue, case: object, space: str) -> None:
    text = format_due(value)
    assert parse_due(text) == value
    varied = " " + case(text.replace(" ", space)) + " "  # type: ignore[operator]
    assert parse_due(varied) == value
