"""Complaints: the committee's register of comments and complaints (Oxelösund VON, F16).

* ``complaint`` — a comment in "Säg vad du tycker" (*synpunkt*) or a complaint in health
  care (*klagomål HSL*).

Data minimisation: the case reference is never a personnummer, and the free-text summary is
kept for the register but never printed by the rules' *why* texts, so it never reaches a
reminder; a summary containing a valid personnummer is rejected.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import field_validator

from facts.fields import (
    CaseRef,
    Date,
    OptDate,
    OptStr,
    YesNo,
    blank_to_none,
    derive,
    header,
    in_order,
    text_cell,
    yes_no,
)
from facts.models import Fact
from facts.personnummer import contains_personnummer
from facts.types import FactType, register


class ComplaintKind(StrEnum):
    synpunkt = "synpunkt"
    klagomal_hsl = "klagomål HSL"


class Complaint(Fact):
    """A comment (synpunkt, "Säg vad du tycker") or a health-care complaint. Catalogue F16."""

    id: CaseRef = header("Id", "Ärende", "Ärendenummer", "Diarienummer", "Dnr")
    received_on: Date = header("Ankomstdatum", "Ankomst datum", "Inkom", "Inkommen")
    acknowledged_on: OptDate = header("Bekräftelse", "Bekräftelse till avsändare", "Bekräftad",
                                      default=None)
    acknowledgement_note: OptStr = header("Bekräftelse anteckning", default=None)
    answered_on: OptDate = header("Svar", "Svar till avsändare", "Besvarad", "Svarsdatum",
                                  default=None)
    anonymous: YesNo = header("Anonym", default=False)
    kind: ComplaintKind = header("Typ", default=ComplaintKind.synpunkt)
    unit: OptStr = header("Enhet", "Verksamhet", default=None)
    summary: OptStr = header("Sammanfattning", "Synpunkt i sammanfattning", "Synpunkt",
                             default=None)

    @derive
    def _acknowledgement(cls, data: dict[str, Any]) -> dict[str, Any]:
        """"Bekräftelse" holds a date, or a note such as "Synpunkt skickad direkt till
        enhetschef" or "Anonym": a text that does not start with a digit is a note."""
        raw = data.get("acknowledged_on")
        if isinstance(raw, str) and raw.strip() and not raw.strip()[0].isdigit():
            if blank_to_none(data.get("acknowledgement_note")) is not None:
                raise ValueError("bekräftelsen är både en text och en anteckning; ange datum "
                                 "i Bekräftelse och texten i Bekräftelse anteckning")
            data["acknowledgement_note"] = raw.strip()
            data["acknowledged_on"] = None
            if raw.strip().lower() == "anonym" and yes_no(data.get("anonymous")) is None:
                data["anonymous"] = True
        return data

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        kind = str(v or "").strip().lower()
        if not kind or kind in ("synpunkt", "synpunkter", "säg vad du tycker"):
            return ComplaintKind.synpunkt
        if "hsl" in kind or kind in ("klagomål", "klagomal", "klagomål hälso- och sjukvård"):
            return ComplaintKind.klagomal_hsl
        raise ValueError(f"{v!r} är ingen typ bevaka känner; skriv synpunkt eller klagomål HSL")

    @field_validator("summary", mode="before")
    @classmethod
    def _summary(cls, v: Any) -> Any:
        v = text_cell(blank_to_none(v))  # a number cell is text too, and checked as such
        if isinstance(v, str) and contains_personnummer(v):
            raise ValueError("sammanfattningen innehåller ett personnummer; ta bort det")
        return v

    _order = in_order(("received_on", "answered_on", "svarsdatum ligger före ankomstdatum"),
                      ("received_on", "acknowledged_on", "bekräftelsedatum ligger före ankomstdatum"))


COMPLAINT = register(FactType(
    "complaint", Complaint, table="complaints", key=("id",),
    title_sv="Synpunkt eller klagomål"))
