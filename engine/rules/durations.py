"""Duration literals: ``3 months``, ``24 days``, ``2 working days``, ``3 månader``, ``P90D``.

A duration is only ever added to or subtracted from a date (``decided_on + 3 months``);
the type checker refuses every other use. Months clamp to the month's end like
``add_months``; working days skip weekends and Swedish holidays like ``add_working_days``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from engine import calendar as cal

# unit word → (canonical unit, multiplier). Singular and plural, English and Swedish.
UNIT_WORDS: dict[str, tuple[str, int]] = {
    "day": ("days", 1), "days": ("days", 1), "dag": ("days", 1), "dagar": ("days", 1),
    "week": ("days", 7), "weeks": ("days", 7), "vecka": ("days", 7), "veckor": ("days", 7),
    "month": ("months", 1), "months": ("months", 1), "månad": ("months", 1),
    "månader": ("months", 1),
    "year": ("months", 12), "years": ("months", 12), "år": ("months", 12),
    "arbetsdag": ("working_days", 1), "arbetsdagar": ("working_days", 1),
    "vardag": ("working_days", 1), "vardagar": ("working_days", 1),
}
# "working day(s)" is two words: "working" must be followed by one of these.
WORKING = "working"
WORKING_TAIL = ("day", "days")

ISO_DURATION = re.compile(r"P(\d+)([DWMY])")
_ISO_UNITS = {"D": "day", "W": "week", "M": "month", "Y": "year"}


def iso_unit(text: str) -> tuple[int, str] | None:
    """``P3M`` → (3, "month"); None if ``text`` is not a one-part ISO 8601 duration."""
    m = ISO_DURATION.fullmatch(text)
    return (int(m.group(1)), _ISO_UNITS[m.group(2)]) if m else None


@dataclass(frozen=True)
class Duration:
    """``count`` units; ``unit`` is ``days``, ``months`` or ``working_days``."""

    count: int
    unit: str

    @classmethod
    def of(cls, count: int | float, word: str) -> Duration:
        unit, factor = UNIT_WORDS.get(word, (word, 1))
        if isinstance(count, bool) or not float(count).is_integer():
            raise ValueError(f"en tidslängd ska vara ett helt antal, inte {count!r}")
        return cls(int(count) * factor, unit)

    def apply(self, d: date, sign: int) -> date:
        n = self.count * sign
        if self.unit == "months":
            return cal.add_months(d, n)
        if self.unit == "working_days":
            return cal.add_working_days(d, n)
        return cal.add_days(d, n)

    def __str__(self) -> str:
        names = {"days": "dagar", "months": "månader", "working_days": "arbetsdagar"}
        return f"{self.count} {names[self.unit]}"
