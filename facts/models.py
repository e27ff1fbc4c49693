"""Pydantic models of the facts bevaka watches.

Every model is the validated form of one register row. Dates are ``datetime.date``; the
store keeps them as ISO text. Case references (``id``) are never personnummer.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from facts.dates import DateParseError, parse_date
from facts.fields import (
    CaseRef,
    Date,
    OptDate,
    OptRoleOrEmail,
    OptStr,
    RoleOrEmail,
    Text,
    blank_as,
    blank_to_none,
    check_case_ref,
    check_recipient,
    derive,
    header,
    in_order,
    years,
)
from facts.personnummer import is_personnummer

__all__ = [
    "ClosedReason", "Date", "Decision", "Fact", "Law", "Meeting", "Obligation", "OptDate", "OptStr", "Sex",
    "Submission", "check_case_ref", "check_recipient", "looks_like_personnummer",
    "normalise_period",
]


def looks_like_personnummer(text: str) -> bool:
    """True if ``text`` is a valid Swedish personnummer or samordningsnummer."""
    return is_personnummer(text.strip())


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


class ClosedReason(StrEnum):
    """Why a decision was closed without being executed (IVO: "avslutat av annan anledning")."""

    died = "avliden"
    moved = "flyttat"
    withdrawn = "återtagen ansökan"
    no_need = "behov upphört"
    other = "annan orsak"


_CLOSED = (("avl", ClosedReason.died), ("död", ClosedReason.died), ("dog", ClosedReason.died),
           ("flytt", ClosedReason.moved), ("återt", ClosedReason.withdrawn),
           ("återkall", ClosedReason.withdrawn), ("tillbaka", ClosedReason.withdrawn),
           ("behov", ClosedReason.no_need), ("annan", ClosedReason.other),
           ("annat", ClosedReason.other))


def closed_reason(value: Any) -> ClosedReason | None:
    """``Avliden``, ``flyttade``, ``återtog ansökan``, ``behovet upphört``, ``annan orsak`` →
    the reason; empty → None."""
    text = str(value or "").strip().lower()
    if not text:
        return None
    for stem, reason in _CLOSED:
        if stem in text:
            return reason
    choices = ", ".join(r.value for r in ClosedReason)
    raise ValueError(f"{value!r} är ingen avslutsorsak; skriv en av: {choices}")


_SEX = {"man": "Man", "m": "Man", "kvinna": "Kvinna", "k": "Kvinna", "kv": "Kvinna",
        "annat": "Annat", "x": "Annat", "male": "Man", "female": "Kvinna"}


class Decision(Fact):
    """A favourable decision (gynnande beslut) under SoL or LSS. Catalogue F14."""

    id: CaseRef = header("Ärende", "Diarienummer", "Dnr", "Ärendenummer", "Ärende-id")
    law: Law = header("Lag", "Lagrum")
    area: OptStr = header("Verksamhet", "Verksamhetsområde", default=None)
    service: OptStr = header("Insats", "Bistånd", "Beslut om", default=None)
    decided_on: Date = header("Beslutsdatum", "Beslutsdat", "Beslutat")
    executed_on: OptDate = header("Verkställd", "Verkställighetsdatum", "Verkställt",
                                  "Verkställt datum", default=None)
    interrupted_on: OptDate = header("Avbrott", "Avbrottsdatum", "Avbrott datum", default=None)
    resumed_on: OptDate = header("Återupptagen", "Återupptaget", "Åter verkställt",
                                 "Återupptaget datum", default=None)
    sex: Sex | None = header("Kön", default=None)
    birth_year: Annotated[int | None, years(1890, 2100, what="födelseår", missing=None,
                                           dates=True)] = header("Födelseår", default=None)
    # The birth date is kept only for IVO's pseudo-identifier in the individrapport
    # worksheets (engine.ivo_worksheet); it is never shown anywhere else.
    birth_date: OptDate = header("Födelsedatum", default=None)
    officer: OptRoleOrEmail = header("Handläggare", "Ansvarig handläggare", default=None)
    reason: OptStr = header("Orsak", "Skäl", default=None)
    note: OptStr = header("Anteckning", "Ant", "Kommentar", default=None)
    closed_on: OptDate = header("Avslutat", "Avslutsdatum", "Avslutat datum", default=None)
    closed_reason: ClosedReason | None = header("Avslutsorsak", "Orsak till avslut", default=None)
    lov_wait_from: OptDate = header("Väntar på valt utförare", "LOV-väntan från",
                                    "Valt utförare (LOV)", default=None)

    @derive
    def _birth_year(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The birth year follows from the birth date when the register gives only the date."""
        if blank_to_none(data.get("birth_year")) is None:
            try:
                born = parse_date(data.get("birth_date"))
            except DateParseError:
                return data  # birth_date's own validator reports it
            if born is not None:
                data["birth_year"] = born.year
        return data

    @field_validator("closed_reason", mode="before")
    @classmethod
    def _closed_reason(cls, v: Any) -> Any:
        return closed_reason(v)

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

    _order = in_order(("decided_on", "executed_on", "verkställighetsdatum ligger före beslutsdatum"),
                      ("interrupted_on", "resumed_on", "återupptagen före avbrottet"),
                      ("decided_on", "closed_on", "avslutat före beslutsdatum"),
                      ("decided_on", "lov_wait_from", "LOV-väntan börjar före beslutsdatum"),
                      ("birth_date", "decided_on", "födelsedatum efter beslutsdatum"))

    @model_validator(mode="after")
    def _resumed(self) -> Decision:
        if self.resumed_on and not self.interrupted_on:
            raise ValueError("återupptagen utan avbrottsdatum")
        if (self.closed_on is None) != (self.closed_reason is None):
            raise ValueError("ett avslutat ärende behöver både Avslutat (datum) och Avslutsorsak")
        if self.birth_date and self.birth_year and self.birth_date.year != self.birth_year:
            raise ValueError("födelseåret stämmer inte med födelsedatumet")
        return self


class Meeting(Fact):
    """A committee meeting (nämndsammanträde). Catalogue F03."""

    body: Annotated[Text, blank_as("VON")] = header("Nämnd", "Organ", default="VON")
    date: Date = header("Datum", "Sammanträde", "Sammanträdesdatum")
    title: OptStr = header("Rubrik", "Benämning", default=None)


class Obligation(Fact):
    """A dated reporting obligation: a written report due before a meeting. Catalogue F02."""

    id: Text = header("Id", "Nr", "Nummer")
    title: Text = header("Rubrik", "Mål", "Uppdrag", "Avser")
    recipient: Annotated[Text, blank_as("sakkunnig")] = header("Rapport till", "Mottagare",
                                                                default="sakkunnig")
    form: OptStr = header("Form", "Rapportform", default="Skriftlig rapport")
    due_on: OptDate = header("Senast", "Senast datum", "Sista dag", default=None)
    meeting_on: OptDate = header("Inför sammanträde", "Inför nämndsammanträdet", "Sammanträde",
                                 default=None)
    body: Annotated[Text, blank_as("VON")] = header("Nämnd", default="VON")
    agreement: OptStr = header("Överenskommelse", "Avtal", default=None)
    responsible: Annotated[RoleOrEmail, blank_as("divisionschef")] = header(
        "Ansvarig", default="divisionschef")
    source: OptStr = header("Källa", default=None)

    @model_validator(mode="after")
    def _dated(self) -> Obligation:
        if self.due_on is None and self.meeting_on is None:
            raise ValueError("ange Senast eller Inför sammanträde (minst ett datum)")
        return self


class Submission(Fact):
    """A report handed in for an obligation. ``period`` says which occurrence of a recurring
    obligation it is for: ``2026-03`` (month), ``2026Q1`` (quarter), ``2026`` (year) or
    ``2026-03-26`` (the meeting of an obligation due at or before each meeting)."""

    obligation_id: Text = header("Rapport", "Skyldighet", "Id")
    submitted_on: Date = header("Inlämnad", "Inkommen", "Datum")
    note: OptStr = header("Anteckning", default=None)
    period: OptStr = header("Period", "Avser period", default=None)

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> Any:
        return normalise_period(v)


_PERIOD_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_PERIOD_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$|^[Qq]([1-4])\s*-?\s*(\d{4})$")


def normalise_period(value: Any) -> str | None:
    """``2026-03`` / ``2026-3`` / a date → ``2026-03``; ``2026Q1`` / ``Q1 2026`` → ``2026Q1``;
    ``2026`` → ``2026``; ``2026-03-26`` written as text (a meeting) → ``2026-03-26``;
    empty → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):  # a spreadsheet turns 2026-03 into 2026-03-01
        return f"{value.year}-{value.month:02d}"
    text = str(value).strip()
    if re.fullmatch(r"\d{4}(\.0)?", text):
        return text[:4]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{text!r}: datumet finns inte") from None
    m = _PERIOD_MONTH.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    m = _PERIOD_QUARTER.match(text)
    if m:
        year, quarter = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return f"{year}Q{quarter}"
    raise ValueError(f"{text!r} är ingen period; skriv ÅÅÅÅ-MM (månad), ÅÅÅÅQN (kvartal), "
                     "ÅÅÅÅ (år) eller sammanträdets datum ÅÅÅÅ-MM-DD")
