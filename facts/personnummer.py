"""The one scanner for Swedish personnummer and samordningsnummer (python-stdnum).

The facts layer uses it to refuse a personnummer as a case reference, a role key or an
officer; notifications use it to block or clean every outgoing text (e-mail, reports,
calendars, the web snapshot, CSV/XLSX) and the audit log before anything is written.

What is recognised, as people write it:

* with or without the century: ``121212-1212``, ``19121212-1212``, ``191212121212``;
* ``+`` for a person aged 100 or more: ``121212+1212``;
* any dash between the date and the last four (hyphen, en dash, em dash, minus sign U+2212,
  non-breaking hyphen U+2011, figure dash, full-width hyphen), or none;
* spaces between the digit pairs and around the dash, of any kind: ordinary, no-break
  (U+00A0), thin (U+2009), narrow no-break, zero-width, soft hyphen, line breaks
  (``12 12 12-1212``, ``121212 - 1212``, ``121212-\\n1212``); up to three in a row;
* a samordningsnummer (day of month + 60).

A candidate is then a match only if the date exists and the Luhn check digit is right, so a
date (``2024-12-12``), a phone number (``070-123 45 67``), an amount (``12 345 678 kr``) or a
case reference (``D-2024-0012``) is not one: a dash may only stand between the date and the
last four, and spaces only between digit pairs. A bare ten-digit run that passes the check
(``0701234567``) cannot be told apart from a personnummer and counts as one; one with letters
on both sides is part of a word, a hash or a run id (``…adc1901666535c66…``) and does not.

Example::

    >>> find_personnummer("pnr 12 12 12–1212, tel 070-123 45 67, dnr D-2024-0012")
    ['12 12 12–1212']
"""

from __future__ import annotations

import re
from datetime import date

from stdnum import luhn

__all__ = ["PERSONNUMMER_REMOVED", "contains_personnummer", "find_personnummer", "is_personnummer",
           "personnummer_spans", "replace_personnummer"]

#: What a personnummer in free text becomes where the text must still be shown (a why text,
#: a reason in the IVO files, the web view).
PERSONNUMMER_REMOVED = "[personnummer borttaget]"

# Characters that may stand between digit pairs: every Unicode space (no-break, thin, line
# breaks ...) and the invisible ones (soft hyphen, zero-width space/joiners, word joiner, BOM).
_GAP_CHARS = r"\s\u00ad\u180e\u200b-\u200d\u2060\ufeff"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d"
_PLUS = "+\uff0b"
_G = f"[{_GAP_CHARS}]{{0,3}}"
_SEP = f"{_G}[{_DASHES}{_PLUS}]?{_G}"
_TAIL = rf"{_SEP}\d\d{_G}\d\d(?!\d)"
_SHORT = re.compile(rf"\d\d{_G}\d\d{_G}\d\d{_TAIL}")
_LONG = re.compile(rf"(?:1[89]|20){_G}\d\d{_G}\d\d{_G}\d\d{_TAIL}")
_WHOLE = re.compile(rf"(?:(?:1[89]|20){_G})?\d\d{_G}\d\d{_G}\d\d{_TAIL}")
_START = re.compile(r"(?<!\d)(?=\d\d)")
_ANY = re.compile(rf"(?<!\d)(?:{_LONG.pattern}|{_SHORT.pattern})")  # one C-level pass first
_NOT_DIGIT = re.compile(r"\D")
_ASCII_DIGITS = str.maketrans("", "", "0123456789")
_ANY_DIGIT = re.compile(r"\d")


def _few_digits(text: str) -> bool:
    """True if ``text`` holds fewer than 10 digits: the common case, answered fast."""
    if text.isascii():
        return len(text) - len(text.translate(_ASCII_DIGITS)) < 10
    return len(_ANY_DIGIT.findall(text)) < 10


def _valid(candidate: str) -> bool:
    """True if the digits of ``candidate`` (10 or 12, as matched) are a valid number."""
    digits = _NOT_DIGIT.sub("", candidate)
    if not digits.isascii():  # full-width or other Unicode digits
        digits = "".join(str(int(d)) for d in digits)
    plus = "+" in candidate or "\uff0b" in candidate
    if len(digits) == 12:
        year = int(digits[:4])
    elif len(digits) == 10:
        today = date.today()
        year = today.year // 100 * 100 + int(digits[:2])
        if year > today.year:
            year -= 100
        if plus:
            year -= 100
    else:
        return False
    month, day = int(digits[-8:-6]), int(digits[-6:-4])
    if day > 60:  # samordningsnummer: the day of birth + 60
        day -= 60
    try:
        date(year, month, day)
    except ValueError:
        return False
    return luhn.is_valid(digits[-10:])


def _inside_word(text: str, start: int, end: int) -> bool:
    """True if letters touch both ends (``…adc1901666535c66…``: part of a hash or an id)."""
    return (start > 0 and text[start - 1].isalpha() and end < len(text)
            and text[end].isalpha())


def personnummer_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every personnummer/samordningsnummer in ``text``, in order, never
    overlapping (the longer reading, with the century, first)."""
    if not text or _few_digits(text) or _ANY.search(text) is None:
        return []
    spans: list[tuple[int, int]] = []
    pos = 0
    while (start := _START.search(text, pos)) is not None:
        at = start.start()
        for pattern in (_LONG, _SHORT):
            m = pattern.match(text, at)
            if m is not None and not _inside_word(text, *m.span()) and _valid(m.group()):
                spans.append(m.span())
                pos = m.end()
                break
        else:
            pos = at + 1
    return spans


def find_personnummer(text: str) -> list[str]:
    """Every valid personnummer/samordningsnummer in ``text``, as written, in order, once each.

    Example::

        >>> find_personnummer("201212121212 och 121212 - 1212 men inte 1212121213")
        ['201212121212', '121212 - 1212']
    """
    found: list[str] = []
    for start, end in personnummer_spans(text):
        if text[start:end] not in found:
            found.append(text[start:end])
    return found


def contains_personnummer(text: str | None) -> bool:
    """True if ``text`` holds a personnummer or samordningsnummer anywhere."""
    return bool(text) and bool(personnummer_spans(text))  # type: ignore[arg-type]


def replace_personnummer(text: str, replacement: str = "<personnummer>") -> str:
    """``text`` with every personnummer/samordningsnummer replaced by ``replacement``.

    Example::

        >>> replace_personnummer("orsak: 19121212\\u20111212 flyttade")
        'orsak: <personnummer> flyttade'
    """
    spans = personnummer_spans(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], replacement]
        last = end
    out.append(text[last:])
    return "".join(out)


def is_personnummer(candidate: str) -> bool:
    """True if ``candidate`` (one number, any form above, surrounding spaces allowed) is a
    valid personnummer or samordningsnummer."""
    text = candidate.strip(" \t\r\n\u00a0\u2009\u202f")
    if _few_digits(text):
        return False
    m = _WHOLE.fullmatch(text)
    return m is not None and _valid(text)
