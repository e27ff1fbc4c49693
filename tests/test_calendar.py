"""engine.calendar: month arithmetic, Swedish working days and the report-before-meeting dates."""

from __future__ import annotations

import calendar as pycal
from datetime import date, timedelta

import pytest
import yaml
from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import calendar as cal

ANY_DAY = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
RECENT = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))

# (report due, meeting): the Nyköping agreements, 2024 and 2026
PAIRS_2026 = [("2026-03-02", "2026-03-26"), ("2026-04-13", "2026-05-07"),
              ("2026-05-25", "2026-06-18"), ("2026-08-17", "2026-09-10"),
              ("2026-10-12", "2026-11-05"), ("2026-11-16", "2026-12-10")]
PAIRS_2024 = [("2024-04-02", "2024-04-25"), ("2024-05-06", "2024-05-30"),
              ("2024-08-19", "2024-09-12"), ("2024-11-18", "2024-12-12")]


@settings(max_examples=300)
@given(ANY_DAY, st.integers(min_value=-120, max_value=120))
def test_add_months_clamps(d: date, n: int) -> None:
    r = cal.add_months(d, n)
    assert (r.year * 12 + r.month) - (d.year * 12 + d.month) == n
    assert r.day <= d.day
    last = pycal.monthrange(r.year, r.month)[1]
    assert r.day == min(d.day, last)


@pytest.mark.parametrize(("d", "n", "want"), [
    (date(2024, 11, 30), 3, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2024, 6, 28), 3, date(2024, 9, 28)),
    (date(2024, 8, 31), 3, date(2024, 11, 30)),
    (date(2024, 10, 1), 3, date(2025, 1, 1)),
    (date(2024, 5, 31), -3, date(2024, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
])
def test_add_months_known(d: date, n: int, want: date) -> None:
    assert cal.add_months(d, n) == want


@settings(max_examples=200)
@given(RECENT, st.integers(min_value=-40, max_value=40).filter(lambda n: n != 0))
def test_add_working_days_lands_on_a_working_day(d: date, n: int) -> None:
    r = cal.add_working_days(d, n)
    assert cal.is_working_day(r)
    assert (r > d) if n > 0 else (r < d)
    # exactly |n| working days are passed: (d, r] going forward, [r, d) going back
    span = abs((r - d).days)
    step = 1 if n > 0 else -1
    passed = [d + timedelta(days=step * i) for i in range(1, span + 1)]
    assert sum(cal.is_working_day(x) for x in passed) == abs(n)


@settings(max_examples=200)
@given(RECENT, st.integers(min_value=-30, max_value=30), st.integers(min_value=-30, max_value=30))
def test_add_working_days_is_monotonic(d: date, a: int, b: int) -> None:
    if a > b:
        a, b = b, a
    ra, rb = cal.add_working_days(d, a), cal.add_working_days(d, b)
    assert ra <= rb
    if a != b:
        assert ra < rb
    assert cal.add_working_days(d, 0) == d


@settings(max_examples=200)
@given(ANY_DAY)
def test_roll_forward(d: date) -> None:
    r = cal.roll_forward(d)
    assert r >= d
    assert cal.is_working_day(r)
    assert cal.roll_forward(r) == r
    assert all(not cal.is_working_day(d + timedelta(days=i)) for i in range((r - d).days))
    assert (r == d) == cal.is_working_day(d)


@pytest.mark.parametrize("d", ["2024-04-01", "2024-06-21", "2024-12-24", "2024-12-31",
                               "2024-03-29", "2024-05-09", "2024-06-06", "2024-12-25",
                               "2024-12-26", "2025-01-01", "2025-01-06", "2024-06-22",
                               "2024-04-06", "2024-04-07"])
def test_known_non_working_days(d: str) -> None:
    assert not cal.is_working_day(date.fromisoformat(d))


@pytest.mark.parametrize("d", ["2024-04-02", "2024-06-20", "2024-12-23", "2024-12-27",
                               "2024-12-30", "2025-01-02", "2024-04-30"])
def test_known_working_days(d: str) -> None:
    assert cal.is_working_day(date.fromisoformat(d))


def test_roll_forward_known() -> None:
    assert cal.roll_forward(date(2024, 4, 1)) == date(2024, 4, 2)  # Easter Monday
    assert cal.roll_forward(date(2024, 12, 24)) == date(2024, 12, 27)  # Julafton..Annandag
    assert cal.roll_forward(date(2024, 12, 28)) == date(2024, 12, 30)
    assert cal.roll_forward(date(2024, 12, 31)) == date(2025, 1, 2)
    assert cal.roll_forward(date(2024, 6, 21)) == date(2024, 6, 24)
    assert cal.add_working_days(date(2024, 12, 20), 1) == date(2024, 12, 23)
    assert cal.add_working_days(date(2024, 12, 23), 1) == date(2024, 12, 27)
    assert cal.add_working_days(date(2024, 4, 2), -1) == date(2024, 3, 28)


def test_before_meeting_easter_monday() -> None:
    assert cal.before_meeting(date(2024, 4, 25), 24) == date(2024, 4, 2)
    assert cal.before_meeting(date(2024, 4, 25), 24, roll=False) == date(2024, 4, 1)


@pytest.mark.parametrize(("due", "meeting"), PAIRS_2024 + PAIRS_2026)
def test_before_meeting_reproduces_the_agreements(due: str, meeting: str) -> None:
    assert cal.before_meeting(date.fromisoformat(meeting), 24) == date.fromisoformat(due)


def test_all_ten_pairs_follow_from_the_meeting_dates_in_the_example_files() -> None:
    """Every dated obligation in the two agreements is due before_meeting(meeting, 24), and the
    distinct (due, meeting) pairs are exactly the ten documented ones."""
    pairs = set()
    for name in ("nykoping-2024.yaml", "nykoping-2026.yaml"):
        data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
        meetings = {str(m["date"]) for m in data["meetings"]}
        for o in data["obligations"]:
            meeting = date.fromisoformat(str(o["meeting_on"]))
            assert str(meeting) in meetings
            assert cal.before_meeting(meeting, 24) == date.fromisoformat(str(o["due_on"])), o["id"]
            pairs.add((str(o["due_on"]), str(meeting)))
        for m in meetings:
            due = cal.before_meeting(date.fromisoformat(m), 24)
            assert cal.is_working_day(due)
    assert pairs == set(PAIRS_2024 + PAIRS_2026)


@pytest.mark.parametrize(("d", "q", "start", "end"), [
    ("2024-01-01", 1, "2024-01-01", "2024-03-31"),
    ("2024-06-30", 2, "2024-04-01", "2024-06-30"),
    ("2024-09-30", 3, "2024-07-01", "2024-09-30"),
    ("2024-11-15", 4, "2024-10-01", "2024-12-31"),
])
def test_quarters(d: str, q: int, start: str, end: str) -> None:
    day = date.fromisoformat(d)
    assert cal.quarter_of(day) == q
    assert str(cal.quarter_start(day)) == start
    assert str(cal.quarter_end(day)) == end
    assert cal.parse_quarter(f"{day.year}Q{q}") == (date.fromisoformat(start),
                                                    date.fromisoformat(end))


@pytest.mark.parametrize("text", ["2024Q5", "2024", "Q4", "24Q4", "2024Q0", "abcdQ1"])
def test_parse_quarter_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="kvartal"):
        cal.parse_quarter(text)


@given(ANY_DAY)
def test_month_end_and_days_between(d: date) -> None:
    end = cal.month_end(d)
    assert end.month == d.month and (end + timedelta(days=1)).day == 1
    assert cal.days_between(d, end) == end.day - d.day
    assert cal.days_between(end, d) == -cal.days_between(d, end)
