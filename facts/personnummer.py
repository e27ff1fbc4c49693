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
