"""Pydantic models of the facts bevaka watches.

Every model is the validated form of one register row. Dates are ``datetime.date``; the
store keeps them as ISO text. Case references (``id``) are never personnummer.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator, model_validator

from facts.dates import parse_date
from facts.personnummer import is_personnummer

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROLE = re.compile(r"^[a-zåäö0-9_.-]+$")


def _date(value: Any) -> date | None:
    return parse_date(value)


Date = Annotated[date, BeforeValidator(_date)]
OptDate = Annotated[date | None, BeforeValidator(_date)]


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]


def looks_like_personnummer(text: str) -> bool:
    """True if ``text`` is a valid Swedish personnummer or samordningsnummer."""
    return is_personnummer(text.strip())


def check_case_ref(value: str) -> str:
    value = str(value).strip()
    if not value:
        raise ValueError("ärendenummer saknas")
    if looks_like_personnummer(value):
        raise ValueError("ser ut som ett personnummer; använd ärendets diarienummer")
    return value


def check_recipient(value: str) -> str:
    """An e-mail address or a role key from config.toml [roles]."""
    value = str(value).strip()
    if _EMAIL.match(value):
        return value.lower()
    key = value.lower()
    if _ROLE.match(key):
        return key
    raise ValueError(
        f"{value!r} är varken en e-postadress eller en rollnyckel (t.ex. handlaggare_ao)"
    )


class Fact(BaseModel):
    """Base class: strict about unknown fields, so a typo in a YAML file is an error."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Law(StrEnum):
    SoL = "SoL"
    LSS = "LSS"


class Sex(StrEnum):
    man = "Man"
    kvinna = "Kvinna"
    annat = "Annat"


_SEX = {"man": "Man", "m": "Man", "kvinna": "Kvinna", "k": "Kvinna", "kv": "Kvinna",
        "annat": "Annat", "x": "Annat", "male": "Man", "female": "Kvinna"}


class Decision(Fact):
    """A favourable decision (gynnande beslut) under SoL or LSS. Catalogue F14."""

    id: str
    law: Law
    area: OptStr = None
    service: OptStr = None
    decided_on: Date
    executed_on: OptDate = None
    interrupted_on: OptDate = None
    resumed_on: OptDate = None
    sex: Sex | None = None
    birth_year: int | None = None
    officer: OptStr = None
    reason: OptStr = None
    note: OptStr = None

    @field_validator("id", mode="before")
    @classmethod
    def _case(cls, v: Any) -> str:
        return check_case_ref(v)

    @field_validator("law", mode="before")
    @classmethod
    def _law(cls, v: Any) -> Any:
        text = str(v or "").strip()
        if "LSS" in text.upper():
            return "LSS"
        if "SOL" in text.upper():
            return "SoL"
        raise ValueError(f"{text!r} är ingen lag bevaka känner; skriv SoL eller LSS")

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, v: Any) -> Any:
        if v is None or not str(v).strip():
            return None
        key = str(v).strip().lower()
        if key not in _SEX:
            raise ValueError(f"{v!r} är inget kön; skriv Man, Kvinna eller Annat")
        return _SEX[key]

    @field_validator("birth_year", mode="before")
    @classmethod
    def _birth_year(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, date):
            return v.year
        text = str(v).strip()
        if re.fullmatch(r"\d{4}(\.0)?", text):
            year = int(float(text))
        else:
            parsed = parse_date(text)
            year = parsed.year if parsed else 0
        if not 1890 <= year <= 2100:
            raise ValueError(f"{v!r} är inget födelseår")
        return year

    @field_validator("officer", mode="before")
    @classmethod
    def _officer(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        return None if v is None else check_recipient(v)

    @model_validator(mode="after")
    def _order(self) -> Decision:
        if self.executed_on and self.executed_on < self.decided_on:
            raise ValueError("verkställighetsdatum ligger före beslutsdatum")
        if self.resumed_on and not self.interrupted_on:
            raise ValueError("återupptagen utan avbrottsdatum")
        if self.interrupted_on and self.resumed_on and self.resumed_on < self.interrupted_on:
            raise ValueError("återupptagen före avbrottet")
        return self


class Meeting(Fact):
    """A committee meeting (nämndsammanträde). Catalogue F03."""

    body: str = "VON"
    date: Date
    title: OptStr = None


class Obligation(Fact):
    """A dated reporting obligation: a written report due before a meeting. Catalogue F02."""

    id: str
    title: str
    recipient: str = "sakkunnig"
    form: OptStr = "Skriftlig rapport"
    due_on: OptDate = None
    meeting_on: OptDate = None
    body: str = "VON"
    agreement: OptStr = None
    responsible: str = "divisionschef"
    source: OptStr = None

    @field_validator("responsible", mode="before")
    @classmethod
    def _responsible(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        return "divisionschef" if v is None else check_recipient(v)

    @field_validator("body", "recipient", mode="before")
    @classmethod
    def _defaults(cls, v: Any, info: Any) -> Any:
        v = _blank_to_none(v)
        return v if v is not None else {"body": "VON", "recipient": "sakkunnig"}[info.field_name]

    @model_validator(mode="after")
    def _dated(self) -> Obligation:
        if self.due_on is None and self.meeting_on is None:
            raise ValueError("ange Senast eller Inför sammanträde (minst ett datum)")
        return self


class Submission(Fact):
    """A report handed in for an obligation. ``period`` says which occurrence of a recurring
    obligation it is for: ``2026-03`` (month), ``2026Q1`` (quarter) or ``2026`` (year)."""

    obligation_id: str
    submitted_on: Date
    note: OptStr = None
    period: OptStr = None

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> Any:
        return normalise_period(v)


_PERIOD_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_PERIOD_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$|^[Qq]([1-4])\s*-?\s*(\d{4})$")


def normalise_period(value: Any) -> str | None:
    """``2026-03`` / ``2026-3`` / a date → ``2026-03``; ``2026Q1`` / ``Q1 2026`` → ``2026Q1``;
    ``2026`` → ``2026``; empty → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):  # a spreadsheet turns 2026-03 into 2026-03-01
        return f"{value.year}-{value.month:02d}"
    text = str(value).strip()
    if re.fullmatch(r"\d{4}(\.0)?", text):
        return text[:4]
    m = _PERIOD_MONTH.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    m = _PERIOD_QUARTER.match(text)
    if m:
        year, quarter = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return f"{year}Q{quarter}"
    raise ValueError(f"{text!r} är ingen period; skriv ÅÅÅÅ-MM (månad), ÅÅÅÅQN (kvartal) "
                     "eller ÅÅÅÅ (år)")
