"""facts.dates.parse_date: the forms registers use, and no other exception than DateParseError."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from facts.dates import CENTURY_PIVOT, DateParseError, parse_date

DATES = st.dates(min_value=date(1970, 1, 1), max_value=date(2068, 12, 31))


def _parses_or_rejects(value: object) -> None:
    try:
        result = parse_date(value)
    except DateParseError as exc:
        assert str(exc)  # a message for the user
        return
    assert result is None or (isinstance(result, date) and not isinstance(result, datetime))


@settings(max_examples=300)
@given(st.text())
@example("")
@example("   ")
@example("0000-01-01")
@example("2024-02-30")
@example("99999")
@example("00000")
@example("12345.000")
@example("240231")
@example("\x00")
def test_arbitrary_text_parses_or_raises_date_parse_error(text: str) -> None:
    _parses_or_rejects(text)


@settings(max_examples=300)
@given(st.from_regex(r"\A[0-9 .:/-]{0,12}\Z"))
def test_digit_like_text_parses_or_raises_date_parse_error(text: str) -> None:
    _parses_or_rejects(text)


@settings(max_examples=300)
@given(st.integers())
@example(0)
@example(-1)
@example(2958465)
@example(2958466)
@example(2**63)
@example(10**400)  # an int beyond float range: must still be a DateParseError
@example(-(10**400))
def test_arbitrary_ints_parse_or_raise_date_parse_error(n: int) -> None:
    _parses_or_rejects(n)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_arbitrary_floats_parse_or_raise_date_parse_error(x: float) -> None:
    _parses_or_rejects(x)


@given(DATES)
def test_round_trip_iso_compact8_compact6(d: date) -> None:
    assert parse_date(d.isoformat()) == d
    assert parse_date(f" {d.isoformat()} ") == d
    assert parse_date(d.strftime("%Y%m%d")) == d
    assert parse_date(d.strftime("%y%m%d")) == d
    assert parse_date(d) == d
    assert parse_date(datetime(d.year, d.month, d.day, 13, 45)) == d


@given(DATES)
def test_excel_serial_round_trip(d: date) -> None:
    serial = (d - date(1899, 12, 30)).days
    assert parse_date(serial) == d
    assert parse_date(float(serial) + 0.5) == d  # a time of day is dropped
    if len(str(serial)) == 5:
        assert parse_date(str(serial)) == d


def test_century_pivot() -> None:
    assert CENTURY_PIVOT == 69
    assert parse_date("681231") == date(2068, 12, 31)
    assert parse_date("690101") == date(2069, 1, 1)
    assert parse_date("700101") == date(1970, 1, 1)
    assert parse_date("231215") == date(2023, 12, 15)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_is_none(value: object) -> None:
    assert parse_date(value) is None


@pytest.mark.parametrize("value", ["2024-13-01", "20240230", "240231", "28/6 2024", "juni",
                                   True, False, 0, "1.5", "2024-6-31"])
def test_rejected_values_raise_with_a_swedish_message(value: object) -> None:
    with pytest.raises(DateParseError) as exc:
        parse_date(value)
    assert "datum" in str(exc.value)


def test_numbers_that_read_as_yymmdd_or_yyyymmdd() -> None:
    """A YYMMDD or YYYYMMDD typed as a number (an Excel cell, unquoted YAML) is that date."""
    assert parse_date(240628) == date(2024, 6, 28)
    assert parse_date(20240628) == date(2024, 6, 28)
    assert parse_date(231215) == date(2023, 12, 15)
    with pytest.raises(DateParseError):
        parse_date(240231)


def test_short_iso_forms() -> None:
    assert parse_date("2024-6-1") == date(2024, 6, 1)
    assert parse_date(45292) == date(2024, 1, 1)
    assert parse_date(date(2024, 1, 1) + timedelta(days=0)) == date(2024, 1, 1)
