"""The field types the fact models share, as annotated pydantic types.

Each type reads a cell the way registers write it and rejects anything else with a Swedish
message; the importer puts the row and the column in front (``rad 3, kolumn Antal granskade:
'fem' är inget antal; skriv ett heltal``). A spreadsheet's numbers and dates in a text column
are read as text (``8.0`` → ``"8"``). The parsers are plain functions too, so a model
validator can use them on raw input::

    class Vacancy(Fact):
        id: CaseRef = header("Lägenhet", "Lgh")
        daily_price: Annotated[float, number("dygnspris", positive=True)] = header("Dygnspris")

:func:`header` declares a field's Swedish column headers on the field itself;
:func:`in_order` is the row check "X ligger före Y".
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar, cast

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticUndefined

from facts.dates import parse_date
from facts.personnummer import contains_personnummer
from facts.vocabulary import NO_WORDS, SPACES, YES_WORDS, month_number

MISSING = "värde saknas"
MEMO_SIZE = 4096  # remembered results per parser (a register repeats its dates, laws, officers)
_LARGEST_WHOLE = 2**53  # past this a float no longer holds every whole number (and SQLite's 2**63)


_T = TypeVar("_T")


def memoised(parse: Callable[[Any], _T], size: int = MEMO_SIZE) -> Callable[[Any], _T]:
    """``parse`` (a pure function of one cell) remembering its results for text cells.

    A register repeats its values (a million decisions have a few hundred dates, two laws,
    a few thousand officers), so a text cell seen before costs a lookup. Only ``str`` cells
    and empty ones (None) are remembered: equal strings are the same cell, whereas equal
    numbers or datetimes of different kinds (``0.0``/``-0.0``, two time zones) need not parse
    alike. Errors are never remembered; ``.plain`` is ``parse`` itself."""
    cached = functools.lru_cache(maxsize=size)(parse)

    def remembering(value: Any) -> _T:
        if value is None or type(value) is str:
            return cached(value)
        return parse(value)

    remembering.plain = parse  # type: ignore[attr-defined]
    return remembering


# ---- headers and row checks ------------------------------------------------------------


def header(*names: str, default: Any = PydanticUndefined) -> Any:
    """A field exported under the Swedish column headers ``names``; the first is the one
    messages name. :class:`facts.types.FactType` reads them from the model."""
    return Field(default, json_schema_extra={"headers": list(names)})


def headers_of(field_extra: Any) -> list[str]:
    """The headers :func:`header` stored in a field's ``json_schema_extra``."""
    if isinstance(field_extra, dict) and isinstance(field_extra.get("headers"), list):
        return [str(h) for h in field_extra["headers"]]
    return []


def in_order(*checks: tuple[str, str, str]) -> Any:
    """A model validator for ``(earlier, later, message)``: when both fields have a value,
    ``later`` must not be before ``earlier``, else the row is rejected with ``message``
    (``verkställighetsdatum ligger före beslutsdatum``). Checks run in the order given."""

    def check(model: Any) -> Any:
        for earlier, later, message in checks:
            first, second = getattr(model, earlier), getattr(model, later)
            if first is not None and second is not None and second < first:
                raise ValueError(message)
        return model

    return model_validator(mode="after")(check)


def derive(fill: Callable[[Any, dict[str, Any]], dict[str, Any]]) -> Any:
    """A model validator that runs before the fields: ``fill(cls, row)`` gets a copy of the
    row (a dict of field → cell) and returns the row to validate, with derived fields set.
    Input that is not a dict is passed on unchanged."""

    def run(cls: Any, data: Any) -> Any:
        return fill(cls, dict(data)) if isinstance(data, dict) else data

    return model_validator(mode="before")(cast(Any, classmethod(run)))


# ---- text ------------------------------------------------------------------------------


def blank_to_none(value: Any) -> Any:
    """An empty or all-space string is None; other strings are stripped."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def text_cell(value: Any) -> Any:
    """A spreadsheet's number or date in a text column as text: ``8.0`` → ``"8"``,
    ``2024-01-01 00:00`` → ``"2024-01-01"``. Other values are returned unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, date):
        return str(value)
    return value


def optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``parse`` for a value that may be empty: a blank cell is None."""

    def parse_optional(value: Any) -> Any:
        return None if blank_to_none(value) is None else parse(value)

    return parse_optional


def blank_as(default: Any) -> BeforeValidator:
    """An empty cell means ``default`` (a field's default applies only when the column is
    missing, not when the cell is empty)."""
    return BeforeValidator(lambda value: default if blank_to_none(value) is None else value)


def _opt_text(value: Any) -> str | None:
    text = text_cell(blank_to_none(value))
    if text is not None and not isinstance(text, str):
        raise ValueError(f"{value!r} är ingen text")
    return text


def text(missing: str = MISSING) -> BeforeValidator:
    """Required text: an empty cell is rejected with ``missing``; numbers read as text. Such a
    field names something (an id, a plan, a committee, a title) and may hold no personnummer."""

    def check(value: Any) -> str:
        text = _opt_text(value)
        if text is None:
            raise ValueError(missing)
        if contains_personnummer(text):
            raise ValueError("innehåller ett personnummer; ta bort det")
        return text

    return BeforeValidator(memoised(check))


# ---- case references and recipients ---------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROLE = re.compile(r"^[a-zåäö0-9_.-]+$")


def check_case_ref(value: Any) -> str:
    """A case reference (diarienummer) that holds no personnummer or samordningsnummer."""
    # a text cell (the usual case, a million times per register) is just stripped
    text = (value.strip() or None) if type(value) is str else text_cell(blank_to_none(value))
    if text is None:
        raise ValueError("ärendenummer saknas")
    text = str(text).strip()
    if contains_personnummer(text):
        raise ValueError("ser ut som ett personnummer; använd ärendets diarienummer")
    return text


def check_recipient(value: Any) -> str:
    """An e-mail address or a role key from config.toml [roles], both in lower case; never
    one that holds a personnummer (an officer field is no place for the client's number)."""
    text = str(text_cell(value)).strip()
    if contains_personnummer(text):
        raise ValueError("innehåller ett personnummer; ange en rollnyckel (t.ex. "
                         "handlaggare_ao) eller en e-postadress")
    if _EMAIL.match(text):
        return text.lower()
    key = text.lower()
    if _ROLE.match(key):
        return key
    raise ValueError(
        f"{text!r} är varken en e-postadress eller en rollnyckel (t.ex. handlaggare_ao)"
    )


# ---- yes/no ----------------------------------------------------------------------------


def yes_no(value: Any, what: str = "värde") -> bool | None:
    """Ja/Nej (also J/N, X, true/false, 1/0) → bool; empty → None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise ValueError(f"{value!r} är inget {what}; skriv Ja eller Nej")


def _flag(value: Any) -> bool:
    return bool(yes_no(value, "ja/nej-värde"))


# ---- numbers and years ----------------------------------------------------------------


def _shown(value: Any) -> Any:
    """The value as a message shows it: a text stripped, a huge number cut short."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and len(str(value)) > 24:
        return f"{str(value)[:20]}…"
    return value


def parse_number(value: Any, what: str = "tal") -> float | None:
    """A number as registers write it: ``12 500``, ``12 500,5``, ``719.6``, ``80 %`` (spaces,
    also no-break ones, dropped; a decimal comma; a trailing ``%``); empty → None. Raises
    ``ValueError`` (``'tolv' är inget belopp i tkr``) for anything else, and for a number
    that is not finite (``1e309``, ``inf``, ``NaN``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} är inget {what}")
    text = None if isinstance(value, int | float) else SPACES.sub("", str(value))
    if text is not None:
        text = text.rstrip("%").replace(",", ".")
        if not text:
            return None
    try:
        if text is not None and "_" in text:
            raise ValueError(text)
        number = float(value if text is None else text)
    except (ValueError, OverflowError):
        raise ValueError(f"{_shown(value)!r} är inget {what}") from None
    if not math.isfinite(number):
        raise ValueError(f"{_shown(value)!r} är inget {what}")
    return number


def parse_whole(value: Any, what: str = "heltal") -> int | None:
    """A whole number in any form :func:`parse_number` reads (``7``, ``7.0``, ``7.``,
    ``1 200``); empty → None; ``7,5`` or ``fem`` → ``ValueError`` (``… skriv ett heltal``)."""
    wrong = f"{_shown(value)!r} är inget {what}; skriv ett heltal"
    try:
        number = parse_number(value, what)
    except ValueError:
        raise ValueError(wrong) from None
    if number is None:
        return None
    if not number.is_integer() or abs(number) >= _LARGEST_WHOLE:
        raise ValueError(wrong)
    return int(number)


@dataclass(frozen=True)
class _Number:
    what: str
    whole: bool
    missing: str | None
    accept: Callable[[float], bool] | None
    rejected: str
    invalid: str | None

    def __call__(self, value: Any) -> float | int | None:
        try:
            number = (parse_whole if self.whole else parse_number)(value, self.what)
        except ValueError:
            if self.invalid is None:
                raise
            raise ValueError(self.invalid.format(value=_shown(value))) from None
        if number is None:
            if self.missing is not None:
                raise ValueError(self.missing)
            return None
        if self.accept is not None and not self.accept(number):
            raise ValueError(self.rejected.format(value=_shown(value), number=number))
        return number


def number(what: str = "tal", *, whole: bool = False, missing: str | None = MISSING,
           accept: Callable[[float], bool] | None = None, rejected: str = "",
           invalid: str | None = None) -> BeforeValidator:
    """Read a :func:`parse_number` (``whole``: :func:`parse_whole`) number. An empty cell is
    ``missing`` (the message), or None when ``missing`` is None. A number ``accept`` refuses
    is rejected with ``rejected``, a text that is no number with ``invalid`` when given
    (``{value!r}`` and ``{number}`` are filled in)."""
    return BeforeValidator(memoised(_Number(what, whole, missing, accept, rejected, invalid)))


def count(missing: str | None = "antal saknas", what: str = "antal") -> BeforeValidator:
    """A whole number ≥ 0."""
    return number(what, whole=True, missing=missing, accept=lambda n: n >= 0,
                  rejected="{value!r}: antalet kan inte vara negativt")


@dataclass(frozen=True)
class _Year:
    low: int
    high: int
    what: str
    missing: str | None
    dates: bool

    def __call__(self, value: Any) -> int | None:
        wrong = f"{_shown(value)!r} är inget {self.what} ({self.low}–{self.high})"
        if self.dates and isinstance(value, date):
            year: int | None = value.year
        elif self.dates and blank_to_none(value) is not None and not re.fullmatch(
                r"\d{4}(\.0)?", str(value).strip()):
            parsed = parse_date(str(value).strip())  # a date in any accepted form
            year = parsed.year if parsed else None
        else:
            try:
                year = parse_whole(value, self.what)
            except ValueError:
                raise ValueError(wrong) from None
        if year is None:
            if self.missing is not None:
                raise ValueError(self.missing)
            return None
        if not self.low <= year <= self.high:
            raise ValueError(wrong)
        return year


def years(low: int = 2000, high: int = 2100, *, what: str = "årtal",
          missing: str | None = MISSING, dates: bool = False) -> BeforeValidator:
    """Read a year ``low``–``high`` (``2024``, ``2024.0``). ``dates``: a date in any form
    :func:`facts.dates.parse_date` reads gives its year. ``missing`` as for :func:`number`."""
    return BeforeValidator(memoised(_Year(low, high, what, missing, dates)))


def parse_year(value: Any, low: int = 2000, high: int = 2100) -> int | None:
    """A year ``low``–``high`` or None for an empty cell; ``ValueError`` otherwise."""
    return _Year(low, high, "årtal", None, False)(value)


# ---- months ----------------------------------------------------------------------------

_MONTH_TOKEN = re.compile(r"[^\s,/&+;]+|[,/&+;]")
_MONTH_SEPARATORS = {"och", "samt", "&", "/", ",", "+", ";"}


def month_of_token(token: str) -> int | None:
    """``mars``, ``Mar.``, ``sept`` or ``3`` → 3; else None."""
    word = token.strip().strip(".").lower()
    if word.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
        return int(word) if 1 <= int(word) <= 12 else None
    return month_number(word)


def month_tokens(text: str) -> list[re.Match[str]]:
    """The words and separators of a month list, with their places in ``text``."""
    return list(_MONTH_TOKEN.finditer(text))


def parse_months(text: str, most: int | None = None) -> list[int]:
    """``Mars och september`` → [3, 9]; ``maj/nov`` → [5, 11]; ``3,9`` → [3, 9].

    Raises ValueError (in Swedish) for a word that is not a month, and for more than ``most``
    months.
    """
    months: list[int] = []
    for match in month_tokens(text):
        token = match.group()
        if token.lower() in _MONTH_SEPARATORS:
            continue
        month = month_of_token(token)
        if month is None:
            raise ValueError(f"{text!r}: {token!r} är ingen månad; skriv t.ex. Mars och september")
        if month not in months:
            months.append(month)
    if not months:
        raise ValueError(f"{text!r} innehåller ingen månad; skriv t.ex. Mars och september")
    if most is not None and len(months) > most:
        raise ValueError(f"{text!r}: högst {most} månader")
    return sorted(months)


def month_list(most: int | None = None) -> BeforeValidator:
    """A month list (see :func:`parse_months`), kept as written; empty → None."""

    def check(value: Any) -> Any:
        text = _opt_text(value)
        if text is not None:
            parse_months(str(text), most)
        return text

    return BeforeValidator(memoised(check))


# ---- the types -------------------------------------------------------------------------

_date = memoised(parse_date)
Date = Annotated[date, BeforeValidator(_date)]
OptDate = Annotated[date | None, BeforeValidator(_date)]
Text = Annotated[str, text()]
OptStr = Annotated[str | None, BeforeValidator(memoised(_opt_text))]
CaseRef = Annotated[str, BeforeValidator(check_case_ref)]  # unique per row: nothing to remember
RoleOrEmail = Annotated[str, BeforeValidator(memoised(check_recipient))]
OptRoleOrEmail = Annotated[str | None, BeforeValidator(memoised(optional(check_recipient)))]
YesNo = Annotated[bool, BeforeValidator(memoised(_flag))]
SwedishNumber = Annotated[float, number()]
WholeNumber = Annotated[int, number("heltal", whole=True)]
Year = Annotated[int, years()]
OptYear = Annotated[int | None, years(missing=None)]
MonthList = Annotated[str | None, month_list()]
