"""Parse the schedule of a recurring obligation as an agreement, a plan or a list writes it.

The forms (see :func:`parse_schedule`; month names in full or abbreviated, any case):

* monthly: ``senast den 10:e varje månad``, ``Månadsvis`` (the month's last day);
* quarterly: ``Kvartalsvis``, ``fyra gånger per år`` (the quarter's last day);
* twice a year: ``Två gånger per år``, ``Halvårsvis`` (30 June and 31 December);
* yearly in a month: ``I september varje år``, ``senast i februari``, ``I maj och november
  varje år`` (each month's last day), ``senast den 1 mars varje år`` (that day), ``efter
  augusti och december`` (the end of the month after each), ``Årligen`` (31 December),
  ``Årligen enligt SCB:s tidplan`` (a date from outside: ``external``);
* before each meeting: ``24 dagar före varje sammanträde i VON``, ``10 arbetsdagar före varje
  sammanträde``;
* at named meetings: ``vid varje sammanträde``, ``vid sammanträdena i maj och november``,
  ``vid årets första sammanträde``, ``vid årets sista sammanträde i VON``.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any

from facts.fields import parse_months
from facts.vocabulary import MONTH_PATTERN, SPACES, month_number

_DAY = r"(?:senast\s+)?(?:den\s+)?(\d{1,2})(?::[ae])?"
_MW = "(?:" + MONTH_PATTERN[1:]  # a month word, not captured
_MONTHS = rf"{_MW}(?:(?:\s*,\s*|\s+och\s+|\s*/\s*){_MW})*"
_BODY = r"(?:\s+i\s+(\S+))?"
_YEARLY = r"(?:\s+(?:varje|varje\s+kalender|per)\s*år)?"


class Frequency(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"  # in the months of ``months`` (31 December without)
    per_meeting = "per_meeting"  # ``days_before`` each meeting of ``body``
    at_meetings = "at_meetings"  # at each meeting of ``body`` (in ``months``, if given)
    first_meeting = "first_meeting"  # the year's first meeting of ``body``
    last_meeting = "last_meeting"  # the year's last meeting of ``body``


SCHEDULE_HINT = ("skriv t.ex. 'senast den 10:e varje månad', 'Kvartalsvis', 'Två gånger per år', "
                 "'I september varje år', 'senast i februari', 'senast den 1 mars varje år', "
                 "'24 dagar före varje sammanträde i VON', '10 arbetsdagar före varje "
                 "sammanträde', 'vid sammanträdena i maj och november' eller 'vid årets första "
                 "sammanträde'")

#: The parts a schedule is read into (stored beside it; none is a column of its own).
PARSED_FIELDS = ("frequency", "day", "month", "months", "months_after", "days_before",
                 "day_kind", "body", "external")

_SCHEDULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_DAY}\s+varje\s+månad$", re.I), "monthly_day"),
    (re.compile(r"^(?:varje\s+månad|månadsvis|en\s+gång\s+(?:per|i)\s+månaden?)$", re.I),
     "monthly"),
    (re.compile(r"^(?:kvartalsvis|varje\s+kvartal|en\s+gång\s+per\s+kvartal|"
                r"(?:fyra|4)\s+(?:gånger|ggr)\s*(?:per|/)\s*år)$", re.I), "quarterly"),
    (re.compile(r"^(?:halvårsvis|varje\s+halvår|(?:två|2)\s+(?:gånger|ggr)\s*(?:per|/|om)\s*år(?:et)?)$",
                re.I), "half_yearly"),
    (re.compile(rf"^{_DAY}\s+{MONTH_PATTERN}{_YEARLY}$", re.I), "yearly_day"),
    (re.compile(rf"^(?:senast\s+)?(?:i|under|per)\s+({_MONTHS}){_YEARLY}$", re.I), "yearly_month"),
    (re.compile(rf"^(?:senast\s+)?efter\s+({_MONTHS}){_YEARLY}$", re.I), "after_months"),
    (re.compile(r"^(?:årligen|varje\s+år|en\s+gång\s+(?:per|om)\s+året?)(?:\s+enligt\s+(.+?))?$",
                re.I), "yearly"),
    (re.compile(rf"^(\d{{1,3}})\s+(dagar|arbetsdagar|vardagar)\s+före\s+varje\s+"
                rf"(?:nämnd)?sammanträde{_BODY}$", re.I), "per_meeting"),
    (re.compile(rf"^vid\s+varje\s+(?:nämnd)?sammanträde{_BODY}$", re.I), "every_meeting"),
    (re.compile(rf"^(?:senast\s+)?vid\s+(?:nämndens\s+)?sammanträde(?:t|na|n)?\s+i\s+({_MONTHS})"
                rf"{_BODY}$", re.I), "named_meetings"),
    (re.compile(rf"^(?:senast\s+)?vid\s+årets\s+(första|sista)\s+(?:nämnd)?sammanträde{_BODY}$",
                re.I), "ordinal_meeting"),
]


def clean_schedule(text: Any) -> str:
    """The schedule with runs of spaces (also no-break ones) as one space."""
    return SPACES.sub(" ", str(text or "")).strip()


def _months(text: str) -> str:
    return ",".join(str(m) for m in parse_months(text.replace("/", ",")))


def parse_schedule(text: str) -> dict[str, Any]:
    """The parts of a schedule as written in an agreement, a plan or a list.

    >>> parse_schedule("senast den 10:e varje månad")["day"]
    10
    >>> parse_schedule("senast i februari")["months"]
    '2'

    Returns every key of :data:`PARSED_FIELDS`: ``frequency`` (a :class:`Frequency` value),
    ``day`` (of the month), ``month`` (the one month of a yearly schedule), ``months`` (the
    months as text, ``"5,11"``), ``months_after`` (1 for ``efter …``: due at the end of the
    next month), ``days_before`` and ``day_kind`` (``calendar`` or ``working``) before a
    meeting, ``body`` (the committee, default ``VON``) and ``external`` (whose schedule gives
    the date, ``SCB:s tidplan``); None where the schedule says nothing.
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
        elif shape in ("monthly", "quarterly"):
            out.update(frequency=shape)
        elif shape == "half_yearly":
            out.update(frequency="yearly", months="6,12")
        elif shape == "yearly_day":
            month = month_number(m.group(2))
            day = _day(m.group(1), clean)
            try:
                date(2024, month or 0, day)  # a leap year: 29 februari is allowed
            except ValueError:
                raise ValueError(f"{text!r}: den {day} {m.group(2).lower()} finns inte") from None
            out.update(frequency="yearly", month=month, months=str(month), day=day)
        elif shape in ("yearly_month", "after_months"):
            months = _months(m.group(1))
            out.update(frequency="yearly", months=months,
                       month=int(months) if "," not in months else None,
                       months_after=1 if shape == "after_months" else None)
        elif shape == "yearly":
            out.update(frequency="yearly", external=m.group(1))
        elif shape == "per_meeting":
            out.update(frequency="per_meeting", days_before=int(m.group(1)),
                       day_kind="calendar" if m.group(2).lower() == "dagar" else "working",
                       body=m.group(3) or "VON")
        elif shape == "every_meeting":
            out.update(frequency="at_meetings", body=m.group(1) or "VON")
        elif shape == "named_meetings":
            out.update(frequency="at_meetings", months=_months(m.group(1)),
                       body=m.group(2) or "VON")
        else:
            out.update(frequency="first_meeting" if m.group(1).lower() == "första"
                       else "last_meeting", body=m.group(2) or "VON")
        return out
    raise ValueError(f"{text!r} är inget schema bevaka förstår; {SCHEDULE_HINT}")


def _day(text: str, schedule: str) -> int:
    day = int(text)
    if not 1 <= day <= 31:
        raise ValueError(f"{schedule!r}: dag {day} finns inte i någon månad")
    return day
