"""Parse the due values of a balanslista ("Uppdrag klart/återrapportering").

The committee's follow-up list (balanslista, catalogue F23/R-O24) says for each item when it
is to be finished or reported back, in free Swedish text. Three kinds occur:

* **absolute**: a month or a quarter of a year: ``Mars 2024``, ``November 2023``,
  ``Q1 2024``, ``Q2 2025``, and a quarter narrowed to one of its months, ``Q4 2023 dec``.
  The due *period* runs from its first to its last day (``Q1 2024``: 2024-01-01–2024-03-31;
  ``Q4 2023 dec``: 2023-12-01–2023-12-31);
* **recurring**: ``Varje nämnd`` (every committee meeting), ``Varje nämnd förutom feb och
  december`` (every meeting except in those months), a list of months or report points
  (``April, augusti och december``; ``Maj, delår, november, bokslut``; ``April, Maj och
  november``; ``Februari varje år``), and ``Årligen`` (once a year, month not given);
* **paused**: ``Paus``.

The two report points of the municipal follow-up calendar are read as months (source 003
L869–886, 004 L899–904): **delår** = August (the interim report is made "per augusti") and
**bokslut** = February (the annual accounts and report go to the committee in February of the
following year). A recurring list therefore means the same months every year:
``Maj, delår, november, bokslut`` is February, May, August and November.

Reading is case-insensitive and tolerant of spaces (``q4  2023 DEC``); months may be written in
full or abbreviated (``feb``, ``sept``, ``dec``). Items are separated by commas and/or ``och``.
Anything else is rejected with :class:`DueValueError`, whose message names the 1-based
position in the text (``position 1 i 'Mras 2024': väntade en månad … menade du 'mars'?``).

``format_due`` writes a value back in a canonical form that ``parse_due`` reads as the same
value (the round trip the tests check).
"""

from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from facts.vocabulary import MONTH_WORDS, MONTHS, quarter_months, quarter_of

__all__ = ["MONTHS", "DueValue", "DueValueError", "format_due", "parse_due"]

DELAR_MONTH = 8  # "delår": the interim report per August
BOKSLUT_MONTH = 2  # "bokslut": the annual accounts, handled by the committee in February

POINTS = {"delår": DELAR_MONTH, "bokslut": BOKSLUT_MONTH}
_KEYWORDS = ("paus", "varje", "nämnd", "förutom", "år", "årligen", "och", "q", *POINTS)

Kind = Literal["absolute", "recurring", "paused"]
Cadence = Literal["meeting", "months", "yearly"]


class DueValueError(ValueError):
    """A due value that cannot be read. ``pos`` is the 1-based position in the text."""

    def __init__(self, text: str, pos: int, message: str):
        self.text = text
        self.pos = pos
        self.message = message
        super().__init__(f"position {pos} i {text!r}: {message}")


@dataclass(frozen=True)
class DueValue:
    """A parsed due value.

    absolute: ``year`` with ``quarter`` and/or ``month`` (``Q4 2023 dec`` has both).
    recurring: ``cadence`` ``meeting`` (with ``except_months``), ``months`` (with ``items``:
    month names and report points in the order written) or ``yearly``.
    """

    kind: Kind
    year: int | None = None
    quarter: int | None = None
    month: int | None = None
    cadence: Cadence | None = None
    items: tuple[str, ...] = ()
    except_months: tuple[int, ...] = ()

    @property
    def start(self) -> date | None:
        """First day of an absolute due period."""
        if self.kind != "absolute" or self.year is None:
            return None
        if self.month is not None:
            return date(self.year, self.month, 1)
        assert self.quarter is not None
        return date(self.year, quarter_months(self.quarter)[0], 1)

    @property
    def end(self) -> date | None:
        """Last day of an absolute due period."""
        if self.kind != "absolute" or self.year is None:
            return None
        last_month = self.month if self.month is not None else quarter_months(self.quarter or 1)[2]
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    @property
    def months(self) -> tuple[int, ...]:
        """Months (1–12, ascending) in which a recurring item falls due; empty for yearly."""
        if self.cadence == "meeting":
            return tuple(m for m in range(1, 13) if m not in self.except_months)
        if self.cadence == "months":
            return tuple(sorted({_item_month(i) for i in self.items}))
        return ()


def _item_month(item: str) -> int:
    return POINTS[item] if item in POINTS else MONTHS.index(item) + 1


_TOKEN = re.compile(r"[^\W\d_]+|\d+|,|&|\S")


@dataclass(frozen=True)
class _Tok:
    text: str  # lower case
    pos: int  # 1-based


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = [_Tok(m.group().lower(), m.start() + 1) for m in _TOKEN.finditer(text)]
        self.i = 0

    # -- helpers ------------------------------------------------------------------------
    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def peek_text(self, k: int = 0) -> str | None:
        tok = self.peek(k)
        return tok.text if tok else None

    def end_pos(self) -> int:
        return len(self.text.rstrip()) + 1

    def error(self, tok: _Tok | None, message: str) -> DueValueError:
        return DueValueError(self.text, tok.pos if tok else self.end_pos(), message)

    def take(self, word: str, what: str) -> _Tok:
        tok = self.peek()
        if tok is None or tok.text != word:
            found = f"'{tok.text}'" if tok else "slutet"
            raise self.error(tok, f"väntade {what} men fann {found}")
        self.i += 1
        return tok

    def done(self) -> None:
        tok = self.peek()
        if tok is not None:
            raise self.error(tok, f"oväntat '{tok.text}'")

    # -- grammar ------------------------------------------------------------------------
    def parse(self) -> DueValue:
        first = self.peek()
        if first is None:
            raise DueValueError(self.text, 1, "värdet är tomt")
        if first.text == "paus":
            self.i += 1
            self.done()
            return DueValue("paused")
        if first.text == "årligen":
            self.i += 1
            self.done()
            return DueValue("recurring", cadence="yearly")
        if first.text == "varje":
            return self.every_meeting()
        if first.text == "q":
            return self.quarter()
        if _month_of(first.text) is not None and self._is_year(self.peek(1)):
            self.i += 2
            month = _month_of(first.text)
            assert month is not None
            year = self.year_value(self.toks[self.i - 1])
            self.done()
            return DueValue("absolute", year=year, month=month)
        return self.month_list()

    def _is_year(self, tok: _Tok | None) -> bool:
        return tok is not None and tok.text.isdigit()

    def year_value(self, tok: _Tok) -> int:
        if len(tok.text) != 4 or not 1900 <= int(tok.text) <= 2199:
            raise self.error(tok, f"'{tok.text}' är inget årtal (skriv fyra siffror, t.ex. 2024)")
        return int(tok.text)

    def quarter(self) -> DueValue:
        self.take("q", "'Q'")
        num = self.peek()
        if num is None or not num.text.isdigit() or num.text not in ("1", "2", "3", "4"):
            raise self.error(num, "efter Q väntas kvartalets nummer 1–4")
        self.i += 1
        year_tok = self.peek()
        if year_tok is None or not year_tok.text.isdigit():
            raise self.error(year_tok, "efter kvartalet väntas ett årtal, t.ex. Q1 2024")
        self.i += 1
        year = self.year_value(year_tok)
        quarter = int(num.text)
        month: int | None = None
        tok = self.peek()
        if tok is not None:
            month = _month_of(tok.text)
            if month is None:
                raise self.error(tok, f"väntade en månad i kvartalet men fann '{tok.text}'"
                                 f"{_suggest(tok.text)}")
            if quarter_of(month) != quarter:
                raise self.error(tok, f"{MONTHS[month - 1]} ligger inte i Q{quarter}")
            self.i += 1
        self.done()
        return DueValue("absolute", year=year, quarter=quarter, month=month)

    def every_meeting(self) -> DueValue:
        self.take("varje", "'varje'")
        self.take("nämnd", "'nämnd' (Varje nämnd)")
        excluded: tuple[int, ...] = ()
        if self.peek() is not None:
            self.take("förutom", "'förutom' eller slutet")
            items = self.items()
            excluded = tuple(sorted({_item_month(i) for i in items}))
            if len(excluded) == 12:
                raise self.error(self.toks[-1], "alla månader är undantagna")
        self.done()
        return DueValue("recurring", cadence="meeting", except_months=excluded)

    def month_list(self) -> DueValue:
        items = self.items()
        if self.peek_text() == "varje":
            self.i += 1
            self.take("år", "'år' (varje år)")
        self.done()
        return DueValue("recurring", cadence="months", items=tuple(items))

    def items(self) -> list[str]:
        """``item ((',' | 'och' | ', och') item)*`` where item is a month or a report point."""
        out: list[str] = []
        seen: dict[int, str] = {}
        while True:
            tok = self.peek()
            name = _item_name(tok.text) if tok else None
            if tok is None or name is None:
                what = f"'{tok.text}'{_suggest(tok.text)}" if tok else "slutet"
                raise self.error(tok, f"väntade en månad, delår eller bokslut men fann {what}")
            month = _item_month(name)
            if month in seen:
                raise self.error(tok, f"{name} förekommer redan ({seen[month]})")
            seen[month] = name
            out.append(name)
            self.i += 1
            if self._is_year(self.peek()):
                raise self.error(self.peek(), "ett årtal hör inte hemma i en återkommande lista")
            sep = False
            while self.peek_text() in (",", "och", "&"):
                self.i += 1
                sep = True
            if not sep:
                return out


def _month_of(word: str) -> int | None:
    return MONTH_WORDS.get(word)


def _item_name(word: str) -> str | None:
    if word in POINTS:
        return word
    month = _month_of(word)
    return MONTHS[month - 1] if month else None


def _suggest(word: str) -> str:
    if not word.isalpha():
        return ""
    close = difflib.get_close_matches(word, [*MONTHS, *_KEYWORDS, "varje nämnd"], n=1,
                                      cutoff=0.7)
    return f"; menade du '{close[0]}'?" if close and close[0] != word else ""


def parse_due(text: str) -> DueValue:
    """Parse one due value. Raises :class:`DueValueError` naming the position on failure."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return _Parser(text).parse()


def format_due(value: DueValue) -> str:
    """The canonical text of a due value (``parse_due(format_due(v)) == v``)."""
    if value.kind == "paused":
        return "Paus"
    if value.kind == "absolute":
        if value.quarter is not None:
            tail = f" {MONTHS[value.month - 1][:3]}" if value.month else ""
            return f"Q{value.quarter} {value.year}{tail}"
        assert value.month is not None
        return f"{MONTHS[value.month - 1].capitalize()} {value.year}"
    if value.cadence == "yearly":
        return "Årligen"
    if value.cadence == "meeting":
        if not value.except_months:
            return "Varje nämnd"
        return "Varje nämnd förutom " + _join([MONTHS[m - 1] for m in value.except_months])
    return _join(list(value.items)).capitalize()


def _join(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " och " + words[-1]
