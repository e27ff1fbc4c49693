"""Parse the date forms municipal registers use.

Accepted: ISO ``2024-06-28`` (also with a time, ``2024-06-28 00:00:00``), ``20240628``,
``240628`` (YYMMDD, as in IVO lists), Excel serial numbers, and native ``date``/``datetime``
values from openpyxl.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from facts.errors import UserError

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# ``2024-06-28 00:00:00``, ``2024-06-28T08:15``: an export's timestamp; its date counts
_TIME = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
                   r"(?:Z|[+-]\d{2}:?\d{2})?$")
_COMPACT8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_COMPACT6 = re.compile(r"^(\d{2})(\d{2})(\d{2})$")
_EXCEL_EPOCH = date(1899, 12, 30)

# YYMMDD has no century. Years up to this value are read as 20YY, later ones as 19YY.
# Decisions in a register are recent; birth dates should be given with four digits.
CENTURY_PIVOT = 69


class DateParseError(UserError):
    """A value that is not a date bevaka can read. The message is in Swedish, for the user."""


def parse_date(value: object) -> date | None:
    """Return the date ``value`` denotes, ``None`` for an empty cell.

    Raises :class:`DateParseError` with a message that says which forms are accepted.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise DateParseError(f"{value!r} är inget datum")
    if isinstance(value, int | float):
        if isinstance(value, int) and (100000 <= value <= 991231 or 19000101 <= value <= 21001231):
            return parse_date(str(value))  # YYMMDD / YYYYMMDD written as a number (YAML, Excel)
        if not -1e7 < value < 1e7:  # also rejects inf and huge ints before float() overflows
            raise DateParseError(f"{value!r} är inget datum (Excel-serienummer utanför intervallet)")
        return _from_excel_serial(float(value))
    text = str(value).strip()
    if not text:
        return None
    if len(text) > 10 and (timed := _TIME.match(text)):
        text = timed.group(1)
    for pattern, century in ((_ISO, None), (_COMPACT8, None), (_COMPACT6, True)):
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            if century:
                y += 2000 if y <= CENTURY_PIVOT else 1900
            try:
                return date(y, mo, d)
            except ValueError:
                raise DateParseError(f"{text!r} är inget giltigt datum") from None
    if re.fullmatch(r"\d+(\.0+)?", text) and len(text.split(".")[0]) == 5:
        return _from_excel_serial(float(text))
    raise DateParseError(
        f"{text!r} är inget datum; skriv ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD eller ÅÅMMDD"
    )


def _from_excel_serial(serial: float) -> date:
    if not 1 <= serial < 2958466:  # 9999-12-31
        raise DateParseError(f"{serial!r} är inget datum (Excel-serienummer utanför intervallet)")
    return _EXCEL_EPOCH + timedelta(days=int(serial))
