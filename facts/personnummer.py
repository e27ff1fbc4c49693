"""Recognise a Swedish personnummer or samordningsnummer (python-stdnum).

The facts layer uses it to refuse a personnummer as a case reference; notifications use it to
block outgoing text that contains one.
"""

from __future__ import annotations

import re

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer

_NOT_DIGIT = re.compile(r"\D")
_SHAPE = re.compile(r"(\d{6}|\d{8})[-+]\d{4}")

# A lookahead finds candidates at every position, so one candidate never hides another.
_CANDIDATE = re.compile(r"(?<!\d)(?=((?:\d{8}|\d{6})[-+ ]?\d{4})(?!\d))")


def find_personnummer(text: str) -> list[str]:
    """Every valid personnummer/samordningsnummer in ``text``, as written, in order, once each.

    A candidate is a run of 10 or 12 digits (``YYMMDD`` or ``YYYYMMDD`` then four digits) with
    an optional ``-``, ``+`` or single space before the last four, not touching other digits.

    Example::

        >>> find_personnummer("201212121212 och 121212-1212 men inte 1212121213")
        ['201212121212', '121212-1212']
    """
    found: list[str] = []
    for match in _CANDIDATE.finditer(text):
        candidate = match.group(1)
        if candidate not in found and is_personnummer(candidate):
            found.append(candidate)
    return found


def _normalise(candidate: str) -> str:
    """``YYMMDD-NNNN`` / ``YYYYMMDD-NNNN`` (a ``+`` kept: it says the person is 100+)."""
    digits = _NOT_DIGIT.sub("", candidate)
    sep = "+" if "+" in candidate else "-"
    return f"{digits[:-4]}{sep}{digits[-4:]}"


def is_personnummer(candidate: str) -> bool:
    """True if ``candidate`` (one number, any accepted format) is a valid pnr or samordningsnr."""
    if len(_NOT_DIGIT.sub("", candidate)) not in (10, 12):  # the common case: no number at all
        return False
    number = _normalise(candidate)
    if not _SHAPE.fullmatch(number):
        return False
    if personnummer.is_valid(number):
        return True
    day_at = len(number) - 7  # the two day digits sit just before the separator
    day = int(number[day_at : day_at + 2])
    if not 61 <= day <= 91:
        return False
    real_day = f"{number[:day_at]}{day - 60:02d}{number[day_at + 2 :]}"
    try:
        personnummer.get_birth_date(real_day)
    except ValidationError:
        return False
    digits = _NOT_DIGIT.sub("", number)
    return luhn.is_valid(digits[-10:])
