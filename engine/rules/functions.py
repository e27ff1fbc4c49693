"""The documented function set available in ``derive`` (and ``when``) expressions.

Each function has a signature of value types used by the rule type checker. Types:
``date``, ``number``, ``str``, ``bool``, ``list``, ``any``. The meeting functions
(``next_meeting``, ``meetings``) receive a :class:`Lookups` object; the look-ups over other
facts (``earliest(… for s in submission …)``, ``count``, ``ratio``) are syntax, not
functions (:mod:`engine.rules.lookups`), and read facts through the same object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from engine import calendar as cal
from facts.dates import parse_date


class Lookups(Protocol):
    """Read access to other facts, for look-ups and the meeting functions."""

    def rows(self, fact_type: str) -> list[dict[str, Any]]: ...

    def index(self, fact_type: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        ...

    def meetings(self, body: str) -> list[date]: ...


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]  # types of positional parameters; "*type" = variadic
    returns: str  # a type, or "arg1" = the type of the second argument
    impl: Callable[..., Any]
    doc: str
    kwargs: tuple[str, ...] = ()  # names of the accepted keyword arguments
    needs_lookups: bool = False
    lazy: bool = False


def _none_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if any(a is None for a in args):
            return None
        return fn(*args, **kwargs)

    wrapper.__doc__ = fn.__doc__
    return wrapper


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


def _min(*args: Any) -> Any:
    vals = [a for a in args if a is not None]
    return min(vals) if vals else None


def _max(*args: Any) -> Any:
    vals = [a for a in args if a is not None]
    return max(vals) if vals else None


def _to_date(value: Any) -> date | None:
    return parse_date(value)


@dataclass
class CallContext:
    """What a function that reads other facts gets: the facts, the calling rule's names and
    the evaluator's ``holds`` (passed in, so this module does not import the evaluator)."""

    lookups: Lookups
    env: dict[str, Any]
    holds: Callable[..., bool]


def _next_meeting(ctx: CallContext, on_or_after: date | None, body: str = "VON") -> date | None:
    if on_or_after is None:
        return None
    return next((d for d in sorted(ctx.lookups.meetings(body)) if d >= on_or_after), None)


def _meetings(ctx: CallContext, start: date | None, end: date | None, body: str = "VON",
              months: list[int] | str | None = None) -> list[date]:
    if start is None or end is None:
        return []
    wanted = _month_list(months)
    return [d for d in sorted(ctx.lookups.meetings(body))
            if start <= d <= end and (not wanted or d.month in wanted)]


def _month_list(months: Any) -> set[int]:
    """Months as a list ``[5, 11]`` or as text ``"5,11"`` (how facts store them)."""
    if not months:
        return set()
    if isinstance(months, str):
        return {int(m) for m in months.replace(";", ",").split(",") if m.strip()}
    return {int(m) for m in months if m is not None}


def _first_days(start: date | None, end: date | None, step: int) -> list[date]:
    """First days of each ``step``-month period (aligned to the calendar) from start to end."""
    if start is None or end is None or end < start:
        return []
    first_month = (start.month - 1) // step * step + 1
    current = date(start.year, first_month, 1)
    out = []
    while current <= end:
        out.append(current)
        current = cal.add_months(current, step)
    return out


def _monthly(start: date | None, end: date | None, months: Any = None) -> list[date]:
    wanted = _month_list(months)
    return [d for d in _first_days(start, end, 1) if not wanted or d.month in wanted]


def _date_of(year: Any, month: Any, day: Any) -> date:
    first = date(int(year), int(month), 1)
    return min(cal.add_days(first, int(day) - 1), cal.month_end(first))


def _period_key(d: date, unit: str = "month") -> str:
    if unit == "month":
        return f"{d.year}-{d.month:02d}"
    if unit == "quarter":
        return f"{d.year}Q{cal.quarter_of(d)}"
    if unit == "year":
        return str(d.year)
    if unit == "day":
        return d.isoformat()
    raise ValueError(f"period_key: okänd enhet {unit!r}; använd 'day', 'month', 'quarter' eller "
                     "'year'")


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function("add_months", ("date", "number"), "date", _none_safe(cal.add_months),
                 "Datum plus N kalendermånader; dagen kläms till månadens sista "
                 "(2024-11-30 + 3 = 2025-02-28)."),
        Function("add_days", ("date", "number"), "date", _none_safe(cal.add_days),
                 "Datum plus N dagar (negativt N går bakåt)."),
        Function("add_working_days", ("date", "number"), "date",
                 _none_safe(cal.add_working_days),
                 "Den N:te vardagen efter datumet (helgfria måndag–fredag; midsommar-, jul- "
                 "och nyårsafton räknas som helgdagar)."),
        Function("roll_forward", ("date",), "date", _none_safe(cal.roll_forward),
                 "Lag (1930:173): en frist som infaller på lördag, söndag, helgdag eller "
                 "midsommar-, jul- eller nyårsafton flyttas till nästa vardag."),
        Function("before_meeting", ("date", "number"), "date",
                 _none_safe(cal.before_meeting),
                 "Datum N dagar före sammanträdet, flyttat framåt till vardag "
                 "(roll=false stänger av flytten).", kwargs=("roll",)),
        Function("quarter_start", ("date",), "date", _none_safe(cal.quarter_start),
                 "Första dagen i datumets kvartal."),
        Function("quarter_end", ("date",), "date", _none_safe(cal.quarter_end),
                 "Sista dagen i datumets kvartal (03-31, 06-30, 09-30, 12-31)."),
        Function("month_end", ("date",), "date", _none_safe(cal.month_end),
                 "Sista dagen i datumets månad."),
        Function("days_between", ("date", "date"), "number", _none_safe(cal.days_between),
                 "Antal dagar från första till andra datumet (negativt om det andra är före)."),
        Function("year", ("date",), "number", _none_safe(lambda d: d.year),
                 "Årtalet i ett datum."),
        Function("month", ("date",), "number", _none_safe(lambda d: d.month),
                 "Månaden (1–12) i ett datum."),
        Function("date", ("str",), "date", _none_safe(_to_date),
                 "Ett datum ur text: date('2024-06-30')."),
        Function("coalesce", ("*any",), "arg0", _coalesce,
                 "Första argumentet som inte är null."),
        Function("min", ("*any",), "arg0", _min, "Minsta värdet (null hoppas över)."),
        Function("max", ("*any",), "arg0", _max, "Största värdet (null hoppas över)."),
        Function("if", ("bool", "any", "any"), "arg1", lambda c, a, b: a if c else b,
                 "if(villkor, då, annars): värdet beror på villkoret.", lazy=True),
        Function("next_meeting", ("date",), "date", _next_meeting,
                 "Första sammanträdet på eller efter datumet (body='VON' som standard).",
                 kwargs=("body",), needs_lookups=True),
        Function("meetings", ("date", "date"), "list", _meetings,
                 "meetings(start, slut, body='VON', months=[5, 11]): sammanträdesdagarna i "
                 "perioden, ev. bara i vissa månader (lista eller text '5,11').", kwargs=("body", "months"),
                 needs_lookups=True),
        Function("monthly", ("date", "date"), "list", _monthly,
                 "Första dagen i varje månad från start till slut (för each); months=[5, 11] "
                 "eller months='5,11' tar bara de månaderna.", kwargs=("months",)),
        Function("quarterly", ("date", "date"), "list",
                 lambda a, b: _first_days(a, b, 3),
                 "Första dagen i varje kvartal från start till slut."),
        Function("yearly", ("date", "date"), "list",
                 lambda a, b: _first_days(a, b, 12),
                 "1 januari varje år från start till slut."),
        Function("date_of", ("number", "number", "number"), "date", _none_safe(_date_of),
                 "date_of(år, månad, dag): ett datum; dagen kläms till månadens sista "
                 "(date_of(2026, 2, 31) = 2026-02-28)."),
        Function("period_key", ("date", "str"), "str", _none_safe(_period_key),
                 "period_key(datum, 'day'|'month'|'quarter'|'year'): '2026-03-26', '2026-03', '2026Q1' "
                 "eller '2026'."),
    ]
}
