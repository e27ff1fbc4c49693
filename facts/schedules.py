"""Parse the schedule of a recurring reporting duty as an agreement writes it.

``senast den 10:e varje månad``, ``Kvartalsvis``, ``I september varje år``, ``senast den 1
mars varje år``, ``24 dagar före varje sammanträde i VON``: see :func:`parse_schedule`. Month
names may be written in full or abbreviated (:mod:`facts.vocabulary`).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any

from facts.vocabulary import MONTH_PATTERN, SPACES, month_number

_DAY = r"(?:senast\s+)?(?:den\s+)?(\d{1,2})(?::[ae])?"


class Frequency(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"
    per_meeting = "per_meeting"


SCHEDULE_HINT = ("skriv t.ex. 'senast den 10:e varje månad', 'Kvartalsvis', 'I september varje "
                 "år', 'senast den 1 mars varje år' eller '24 dagar före varje sammanträde i VON'")

PARSED_FIELDS = ("frequency", "day", "month", "days_before", "body")

_SCHEDULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_DAY}\s+varje\s+månad$", re.I), "monthly_day"),
    (re.compile(r"^(?:varje\s+månad|månadsvis|en\s+gång\s+(?:per|i)\s+månaden?)$", re.I),
     "monthly"),
    (re.compile(r"^(?:kvartalsvis|varje\s+kvartal|en\s+gång\s+per\s+kvartal)$", re.I),
     "quarterly"),
    (re.compile(rf"^{_DAY}\s+{MONTH_PATTERN}\s+varje\s+år$", re.I), "yearly_day"),
    (re.compile(rf"^(?:senast\s+)?(?:i|under)\s+{MONTH_PATTERN}\s+varje\s+år$", re.I),
     "yearly_month"),
    (re.compile(r"^(?:årligen|varje\s+år|en\s+gång\s+per\s+år)(?:\s+.*)?$", re.I), "yearly"),
    (re.compile(r"^(\d{1,3})\s+dagar\s+före\s+varje\s+(?:nämnd)?sammanträde(?:\s+i\s+(\S+))?$",
                re.I), "per_meeting"),
]


def clean_schedule(text: Any) -> str:
    """The schedule with runs of spaces (also no-break ones) as one space."""
    return SPACES.sub(" ", str(text or "")).strip()


def parse_schedule(text: str) -> dict[str, Any]:
    """The parts of a schedule as written in an agreement.

    >>> parse_schedule("senast den 10:e varje månad")["day"]
    10

    Returns ``frequency`` (``monthly``, ``quarterly``, ``yearly``, ``per_meeting``) and
    ``day``, ``month``, ``days_before``, ``body`` (None where the schedule says nothing).
    Raises ``ValueError`` with a Swedish message for a schedule it does not understand.
    """
    clean = clean_schedule(text).rstrip(".")
    out: dict[str, Any] = dict.fromkeys(PARSED_FIELDS)
    for pattern, shape in _SCHEDULES:
        m = pattern.match(clean)
        if not m:
            continue
        if shape == "monthly_day":
            out.update(frequency="monthly", day=_day(m.group(1), clean))
        elif shape in ("monthly", "quarterly", "yearly"):
            out.update(frequency=shape)
        elif shape == "yearly_day":
            month = month_number(m.group(2))
            day = _day(m.group(1), clean)
            try:
                date(2024, month or 0, day)  # a leap year: 29 februari is allowed
            except ValueError:
                raise ValueError(f"{text!r}: den {day} {m.group(2).lower()} finns inte") from None
            out.update(frequency="yearly", month=month, day=day)
        elif shape == "yearly_month":
            out.update(frequency="yearly", month=month_number(m.group(1)))
        else:
            out.update(frequency="per_meeting", days_before=int(m.group(1)),
                       body=m.group(2) or "VON")
        return out
    raise ValueError(f"{text!r} är inget schema bevaka förstår; {SCHEDULE_HINT}")


def _day(text: str, schedule: str) -> int:
    day = int(text)
    if not 1 <= day <= 31:
        raise ValueError(f"{schedule!r}: dag {day} finns inte i någon månad")
    return day
