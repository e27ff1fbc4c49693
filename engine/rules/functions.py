"""The documented function set available in ``derive`` (and ``when``) expressions.

Each function has a signature of value types used by the rule type checker. Types:
``date``, ``number``, ``str``, ``bool``, ``list``, ``any``. Functions that look at other
facts (``earliest``, ``count``, ``next_meeting`` …) receive a :class:`Lookups` object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from engine import calendar as cal


class Lookups(Protocol):
    """Read access to other facts, for aggregate functions."""

    def rows(self, fact_type: str) -> list[dict[str, Any]]: ...

    def meetings(self, body: str) -> list[date]: ...


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]  # types of positional parameters; "*type" = variadic
    returns: str  # a type, or "arg1" = the type of the second argument
    impl: Callable[..., Any]
    doc: str
    kwargs: tuple[str, ...] = ()  # names of accepted keyword arguments ("**" = any field)
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
    from facts.dates import parse_date

    return parse_date(value)


def _matching(lookups: Lookups, fact_type: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for row in lookups.rows(fact_type):
        if all(_same(row.get(k), v) for k, v in filters.items()):
            out.append(row)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, date) or isinstance(b, date):
        return str(a) == str(b)
    return bool(a == b)


def _earliest(lookups: Lookups, fact_type: str, field: str, **filters: Any) -> Any:
    vals = [r[field] for r in _matching(lookups, fact_type, filters) if r.get(field) is not None]
    return min(vals) if vals else None


def _latest(lookups: Lookups, fact_type: str, field: str, **filters: Any) -> Any:
    vals = [r[field] for r in _matching(lookups, fact_type, filters) if r.get(field) is not None]
    return max(vals) if vals else None


def _count(lookups: Lookups, fact_type: str, **filters: Any) -> int:
    return len(_matching(lookups, fact_type, filters))


def _next_meeting(lookups: Lookups, on_or_after: date | None, body: str = "VON") -> date | None:
    if on_or_after is None:
        return None
    return next((d for d in sorted(lookups.meetings(body)) if d >= on_or_after), None)


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
        Function("earliest", ("str", "str"), "date", _earliest,
                 "earliest('submission', 'submitted_on', obligation_id=id): tidigaste "
                 "värdet av ett fält bland andra fakta som matchar filtren.",
                 kwargs=("**",), needs_lookups=True),
        Function("latest", ("str", "str"), "date", _latest,
                 "Som earliest men senaste värdet.", kwargs=("**",), needs_lookups=True),
        Function("count", ("str",), "number", _count,
                 "count('complaint', unit=unit): antal andra fakta som matchar filtren.",
                 kwargs=("**",), needs_lookups=True),
        Function("next_meeting", ("date",), "date", _next_meeting,
                 "Första sammanträdet på eller efter datumet (body='VON' som standard).",
                 kwargs=("body",), needs_lookups=True),
    ]
}
