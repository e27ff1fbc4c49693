"""Guard against personal data in outgoing mail: Swedish personnummer and samordningsnummer.

A candidate is a run of 10 or 12 digits (``YYMMDD`` or ``YYYYMMDD`` then four digits) with an
optional ``-``, ``+`` or single space before the last four, not touching other digits. It is a
match only if python-stdnum accepts it (valid date and Luhn check digit); a samordningsnummer
(day of month + 60) is checked the same way with the real day.

Example::

    >>> find_personnummer("Ärende AO-2024-0012, pnr 19121212-1212, ej 19121212-1213.")
    ['19121212-1212']
"""

from __future__ import annotations

import re

from facts.personnummer import find_personnummer, is_personnummer

__all__ = [
    "PersonalDataError",
    "assert_no_personal_data",
    "find_personnummer",
    "is_personnummer",
    "redact",
]

_EMAIL = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;:]+")


class PersonalDataError(ValueError):
    """Personal data (a personnummer) was found where none may be.

    The message never repeats the number; ``count`` says how many were found.
    """

    def __init__(self, count: int, where: str = "texten") -> None:
        self.count = count
        noun = "personnummer" if count == 1 else f"{count} personnummer"
        super().__init__(f"{noun} hittades i {where}; meddelandet skickas inte")


def assert_no_personal_data(*texts: str | None, where: str = "texten") -> None:
    """Raise :class:`PersonalDataError` if any of ``texts`` contains a personnummer.

    Example::

        >>> assert_no_personal_data("AO-2024-0012", "förfaller 2024-10-01")  # passes
        >>> assert_no_personal_data("19121212-1212")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        notifications.privacy.PersonalDataError: personnummer hittades i texten; ...skickas inte
    """
    count = sum(len(find_personnummer(t)) for t in texts if t)
    if count:
        raise PersonalDataError(count, where)


def redact(text: str, *, addresses: bool = True) -> str:
    """``text`` with personnummer (and e-mail addresses) replaced, for logs and error columns.

    Example::

        >>> redact("550 anna@ex.se 19121212-1212 okänd")
        '550 <adress> <personnummer> okänd'
    """
    for pnr in find_personnummer(text):
        text = text.replace(pnr, "<personnummer>")
    if addresses:
        text = _EMAIL.sub("<adress>", text)
    return text
