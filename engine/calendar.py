"""Date arithmetic for deadlines: calendar months, working days and Swedish holidays.

Month arithmetic clamps to the month's end (python-dateutil ``relativedelta``):
``add_months(2024-11-30, 3) == 2025-02-28`` and ``add_months(2024-01-31, 1) == 2024-02-29``.

Working days are Monday–Friday that are not Swedish public holidays and not the de-facto
holidays Midsommarafton, Julafton and Nyårsafton (``holidays.SE`` with the PUBLIC and
DE_FACTO categories). ``roll_forward`` applies Lag (1930:173) om beräkning av lagstadgad tid:
a deadline that falls on a Saturday, Sunday, holiday or one of those eves moves to the next
working day.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

from facts.errors import UserError


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    se = holidays.country_holidays(
        "SE", years=year, categories=(holidays.PUBLIC, holidays.DE_FACTO)
    )
    return frozenset(se.keys())


def holiday_name(d: date) -> str | None:
    se = holidays.country_holidays(
        "SE", years=d.year, categories=(holidays.PUBLIC, holidays.DE_FACTO), language="sv"
    )
    return se.get(d)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _holidays(d.year)


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, clamped to the last day of the target month."""
    return d + relativedelta(months=months)


def add_days(d: date, days: int) -> date:
    return d + timedelta(days=days)


def add_working_days(d: date, n: int) -> date:
    """The ``n``-th working day after ``d`` (``n`` may be negative; 0 returns ``d``)."""
    n = int(n)
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = d
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def roll_forward(d: date) -> date:
    """Lag (1930:173): a deadline on a non-working day moves to the next working day."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def before_meeting(meeting: date, days: int, roll: bool = True) -> date:
    """The report date ``days`` before a meeting, rolled forward to a working day by default.

    The Nyköping agreements date written reports 24 days before each Thursday meeting
    (a Monday); 2024-04-01 was Easter Monday, so that report was due Tuesday 2024-04-02.
    """
    due = meeting - timedelta(days=days)
    return roll_forward(due) if roll else due


def quarter_of(d: date) -> int:
    return (d.month - 1) // 3 + 1


def quarter_start(d: date) -> date:
    return date(d.year, 3 * (quarter_of(d) - 1) + 1, 1)


def quarter_end(d: date) -> date:
    q = quarter_of(d)
    return add_months(date(d.year, 3 * q, 1), 1) - timedelta(days=1)


def month_end(d: date) -> date:
    return add_months(date(d.year, d.month, 1), 1) - timedelta(days=1)


def days_between(a: date, b: date) -> int:
    """``b - a`` in days (negative when ``b`` is before ``a``)."""
    return (b - a).days


class QuarterError(UserError):
    """A quarter the user wrote that bevaka cannot read."""


_QUARTER_FORMS = (re.compile(r"^(\d{4})[QK]([1-4])$"), re.compile(r"^[QK]([1-4])(\d{4})$"))


def normalise_quarter(text: str) -> str:
    """``2024Q4`` from the usual spellings: ``2024 Q4``, ``Q4-2024``, ``2024K4``, ``k4 2024``,
    ``2024-Q4``. Raises :class:`QuarterError` for anything else."""
    t = re.sub(r"[\s_/-]+", "", str(text)).upper()
    for i, form in enumerate(_QUARTER_FORMS):
        if m := form.match(t):
            year, q = (m.group(1), m.group(2)) if i == 0 else (m.group(2), m.group(1))
            return f"{year}Q{q}"
    raise QuarterError(f"{text!r} är inget kvartal; skriv t.ex. 2024Q4 (eller 2024 K4, Q4-2024)")


def parse_quarter(text: str) -> tuple[date, date]:
    """``2024Q4`` (or another usual spelling, :func:`normalise_quarter`) → (2024-10-01,
    2024-12-31). Raises ValueError with a readable message."""
    t = normalise_quarter(text)
    year, q = int(t[:4]), int(t[5])
    start = date(year, 3 * (q - 1) + 1, 1)
    return start, quarter_end(start)
