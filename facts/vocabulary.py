"""The Swedish words registers are written with: months, quarters, yes and no.

One place for the vocabulary that the fact types (``facts/kinds_*.py``), the balanslista due
values (:mod:`facts.due_values`) and the agreement schedules (:mod:`facts.schedules`) read.
Every word is lower case; callers lower-case what they look up.
"""

from __future__ import annotations

import re

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december")

# The short forms registers print (``feb``, ``febr``, ``sept``, ``dec``); ``maj`` has none.
MONTH_ABBREVIATIONS = {"jan": 1, "feb": 2, "febr": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7,
                       "aug": 8, "sep": 9, "sept": 9, "okt": 10, "nov": 11, "dec": 12}

MONTH_WORDS: dict[str, int] = {**{m: i for i, m in enumerate(MONTHS, start=1)},
                               **MONTH_ABBREVIATIONS}

# A regular-expression group matching any month word, longest first (``mars`` before ``mar``).
MONTH_PATTERN = "(" + "|".join(sorted(MONTH_WORDS, key=len, reverse=True)) + ")"

QUARTERS = (1, 2, 3, 4)

YES_WORDS = frozenset({"ja", "j", "x", "yes", "y", "true", "1", "sant", "anonym"})
NO_WORDS = frozenset({"nej", "n", "no", "false", "0", "falskt", ""})

# Spaces as registers write them: ordinary, no-break (U+00A0) and narrow no-break (U+202F).
SPACES = re.compile(r"[\s\u00a0\u202f]+")


def month_number(word: str) -> int | None:
    """The month (1–12) a month word names, in full or abbreviated, any case; else None."""
    return MONTH_WORDS.get(word.strip().lower())


def month_name(month: int) -> str:
    """``3`` → ``mars``."""
    return MONTHS[month - 1]


def quarter_of(month: int) -> int:
    """The quarter (1–4) a month (1–12) lies in."""
    return (month - 1) // 3 + 1


def quarter_months(quarter: int) -> tuple[int, int, int]:
    """The three months of a quarter: ``2`` → ``(4, 5, 6)``."""
    first = 3 * quarter - 2
    return first, first + 1, first + 2


def plural(n: int, one: str, many: str) -> str:
    """A count with its noun in the right number: ``plural(1, "rad", "rader")`` → "1 rad",
    ``plural(2, "rad", "rader")`` → "2 rader" (also "0 rader")."""
    return f"{n} {one if n == 1 else many}"
