"""The plain-Python oracle: what bevaka's IVO findings must be on the generated registers.

Clock A (``ivo.ej-verkstallt``): start = decided_on, done = executed_on. Clock B
(``ivo.avbrott``), only when interrupted: start = interrupted_on, done = resumed_on. The
deadline is start + 3 calendar months (day clamped to the month's end), or start + 90 days
with ``three_months = "90-days"``. A clock is listed as of D when it has started (start <= D)
and is not done, or was done within ``resolved_window_days`` before D; its status is
resolved (done <= D), upcoming (deadline > D), due (deadline = D) or overdue.

The floor and naive durable_rules reuse ``clocks`` and ``add_months``, so all three mean the
same thing by a deadline.
"""

from __future__ import annotations

import calendar
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from registers import CSV_FILE, read_register

CLOCK_A, CLOCK_B = "ivo.ej-verkstallt", "ivo.avbrott"
LAWS = ("SoL", "LSS")

Findings = dict[tuple[str, str], str]
T = TypeVar("T", date, str)  # dates, or ISO text (naive durable_rules compares strings)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def deadline(start: date, three_months: str) -> date:
    return start + timedelta(days=90) if three_months == "90-days" else add_months(start, 3)


def _d(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def clocks(row: dict[str, str]) -> Iterator[tuple[str, date, date | None]]:
    """(rule id, start, done) of each clock a register row runs."""
    if row["law"] not in LAWS:
        return
    start = _d(row["decided_on"])
    assert start is not None
    yield CLOCK_A, start, _d(row["executed_on"])
    interrupted = _d(row["interrupted_on"])
    if interrupted is not None:
        yield CLOCK_B, interrupted, _d(row["resumed_on"])


def status(due: T, done: T | None, as_of: T) -> str:
    if done is not None and done <= as_of:
        return "resolved"
    if due > as_of:
        return "upcoming"
    return "due" if due == as_of else "overdue"


def listed(start: date, done: date | None, as_of: date, window: date) -> bool:
    return start <= as_of and (done is None or done > as_of or done >= window)


def register(*paths: Path) -> list[dict[str, str]]:
    """The register after importing ``paths`` in order (a later row replaces its case)."""
    by_id: dict[str, dict[str, str]] = {}
    for path in paths:
        for row in read_register(path):
            by_id[row["id"]] = row
    return list(by_id.values())


def expected(folder: Path, as_of: date, window_days: int, *changes: str,
             three_months: str = "calendar") -> Findings:
    """The findings as of ``as_of`` after importing the size's register and then ``changes``
    (file names in ``folder``)."""
    rows = register(*(folder / f for f in (CSV_FILE, *changes)))
    return findings(rows, as_of, window_days, three_months)


def findings(rows: list[dict[str, str]], as_of: date, window_days: int,
             three_months: str = "calendar") -> Findings:
    window = as_of - timedelta(days=window_days)
    out: Findings = {}
    for row in rows:
        for rule, start, done in clocks(row):
            if listed(start, done, as_of, window):
                out[(rule, row["id"])] = status(deadline(start, three_months), done, as_of)
    return out


def ivo_rows(rows: list[dict[str, str]], start: date, end: date,
             window_days: int) -> set[tuple[str, str, str]]:
    """(law, category, case) of the IVO quarter report ending ``end``: clocks overdue or due
    at the quarter's end, and clocks done late within the quarter (a deadline that passed
    before the quarter or in it: decided 2024-07-15, due 2024-10-15, executed 2024-11-20 is
    executed in 2024Q4)."""
    kinds = {CLOCK_A: "not_executed", CLOCK_B: "interrupted"}
    window = end - timedelta(days=window_days)
    out: set[tuple[str, str, str]] = set()
    for row in rows:
        for rule, begun, done in clocks(row):
            if not listed(begun, done, end, window):
                continue
            due = deadline(begun, "calendar")
            st = status(due, done, end)
            if st in ("overdue", "due"):
                out.add((row["law"], kinds[rule], row["id"]))
            elif st == "resolved" and done is not None and start <= done and due < done:
                out.add((row["law"], "executed", row["id"]))
    return out


def compare(label: str, got: Findings, want: Findings) -> str:
    """``OK``, or ``MISMATCH`` with the first differences on stderr."""
    if got == want:
        return "OK"
    only_got = sorted(set(got.items()) - set(want.items()))[:5]
    only_want = sorted(set(want.items()) - set(got.items()))[:5]
    print(f"MISMATCH ({label}): bevaka {len(got)}, oracle {len(want)}; "
          f"bevaka only {only_got}; oracle only {only_want}", file=sys.stderr)
    return "MISMATCH"
