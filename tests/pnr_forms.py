"""Personnummer and samordningsnummer written the ways people write them: a seeded generator
(the reliability campaign) and hypothesis strategies (the scanner's properties) share it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import strategies as st
from stdnum import luhn

DASHES = ["-", "\u2013", "\u2014", "\u2212", "\u2011", "\u2010", "\u2012", "\uff0d"]
SPACES = [" ", "\u00a0", "\u2009", "\u202f", "\n", "\r\n", "\u200b", "\t"]


@dataclass(frozen=True)
class Number:
    """One number: its ten digits (``YYMMDDNNNC``), the century and whether it needs ``+``."""

    ten: str
    century: str
    old: bool  # 100 years or more: the ten-digit form takes a '+'


def number_for(born: date, serial: int, samordning: bool, today: date | None = None) -> Number:
    day = born.day + 60 if samordning else born.day
    body = f"{born:%y%m}{day:02d}{serial:03d}"
    today = today or date.today()
    old = born.year <= today.year - 100  # the scanner reads YY as the latest year so far
    return Number(body + luhn.calc_check_digit(body), str(born.year // 100), old)


def write(n: Number, *, century: bool, dash: str, gap_date: list[str], gap_sep: tuple[str, str],
          gap_serial: str) -> str:
    """``n`` written out: ``gap_date`` go between the date's digit pairs, ``gap_sep`` around
    the dash (or the ``+``), ``gap_serial`` between the last four's pairs."""
    pairs = ([n.century] if century else []) + [n.ten[0:2], n.ten[2:4], n.ten[4:6]]
    gaps = (gap_date + [""] * len(pairs))[: len(pairs) - 1]
    head = pairs[0] + "".join(g + p for g, p in zip(gaps, pairs[1:], strict=True))
    sep = dash
    if not century:  # in the ten-digit form '+' says "100 or older", so only they get it
        sep = "+" if n.old else ("-" if dash == "+" else dash)
    return f"{head}{gap_sep[0]}{sep}{gap_sep[1]}{n.ten[6:8]}{gap_serial}{n.ten[8:]}"


def random_form(rng: random.Random, today: date | None = None) -> tuple[str, str]:
    """A random valid number in a random written form: ``(text, its ten digits)``."""
    born = date(1905, 1, 1) + timedelta(days=rng.randrange(0, 43_000))
    n = number_for(born, rng.randrange(1000), rng.random() < 0.3, today)
    century = rng.random() < 0.4
    spaced = rng.random() < 0.5

    def gap() -> str:
        return rng.choice(SPACES) if rng.random() < 0.5 else ""

    text = write(
        n, century=century, dash=rng.choice(DASHES + [""]) if rng.random() < 0.9 else "",
        gap_date=[gap() for _ in range(3)] if spaced else [],
        gap_sep=(gap(), gap()) if rng.random() < 0.4 else ("", ""),
        gap_serial=gap() if rng.random() < 0.1 else "")
    return text, n.ten


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A hypothesis strategy: ``(a valid number in any accepted form, its ten digits)``."""
    born = draw(st.dates(min_value=date(1901, 1, 1), max_value=date(2024, 12, 31)))
    n = number_for(born, draw(st.integers(0, 999)), draw(st.booleans()))
    gap = st.sampled_from(SPACES + [""])
    text = write(n, century=draw(st.booleans()), dash=draw(st.sampled_from(DASHES + ["", "+"])),
                 gap_date=draw(st.lists(gap, min_size=3, max_size=3)),
                 gap_sep=(draw(gap), draw(gap)), gap_serial=draw(gap))
    return text, n.ten
