"""Fact types of the committee's own registers (Oxelösund VON, catalogue F16, F18, F19, F23, F24).

* ``complaint`` — a comment in "Säg vad du tycker" (*synpunkt*) or a complaint in health
  care (*klagomål HSL*);
* ``balanslista_item`` — one row of the committee's follow-up list (*balanslista*), with its
  due value parsed by :mod:`facts.due_values`;
* ``lex_report`` — a Lex Sarah or Lex Maria report;
* ``delegation_report`` — the report of one month's decisions taken under delegation.

Data minimisation: case references are never personnummer; free text (a complaint's summary,
a balanslista task) is kept for the register but never printed by the rules' *why* texts, so it
never reaches a reminder; a summary containing a valid personnummer is rejected. A balanslista
item's ``responsible`` is kept as written, and becomes a reminder recipient only when it is a
role key written in lower case (``ekonom``); a name (``Anna Svensson``, ``HR``) never does.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import field_validator, model_validator

from facts import types
from facts.dates import DateParseError, parse_date
from facts.due_values import DueValueError, parse_due
from facts.models import (
    Date,
    Fact,
    OptDate,
    OptStr,
    _blank_to_none,
    check_case_ref,
    check_recipient,
    looks_like_personnummer,
)
from facts.types import FactType, _aliases

_YES = {"ja", "j", "x", "yes", "y", "true", "1", "sant", "anonym"}
_NO = {"nej", "n", "no", "false", "0", "falskt", ""}
_PNR_CANDIDATE = re.compile(r"(?<!\d)(?:\d{6}|\d{8})[-+ ]?\d{4}(?!\d)")
_ROLE_AS_WRITTEN = re.compile(r"^[a-zåäö][a-zåäö0-9_.-]*$")
_DATE_TOKEN = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{8}|\d{6}")


def yes_no(value: Any, what: str = "värde") -> bool | None:
    """Ja/Nej (also X, true/false, 1/0) → bool; empty → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"{value!r} är inget {what}; skriv Ja eller Nej")


def contains_personnummer(text: str) -> bool:
    return any(looks_like_personnummer(m.group()) for m in _PNR_CANDIDATE.finditer(text))


def _text_cell(value: Any) -> Any:
    """Numbers from a spreadsheet (8.0) as text ("8")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


# ---- complaint ----------------------------------------------------------------------------


class ComplaintKind(StrEnum):
    synpunkt = "synpunkt"
    klagomal_hsl = "klagomål HSL"


class Complaint(Fact):
    """A comment (synpunkt, "Säg vad du tycker") or a health-care complaint. Catalogue F16."""

    id: str
    received_on: Date
    acknowledged_on: OptDate = None
    acknowledgement_note: OptStr = None
    answered_on: OptDate = None
    anonymous: bool = False
    kind: ComplaintKind = ComplaintKind.synpunkt
    unit: OptStr = None
    summary: OptStr = None

    @model_validator(mode="before")
    @classmethod
    def _acknowledgement(cls, data: Any) -> Any:
        """"Bekräftelse" holds a date, or a note such as "Synpunkt skickad direkt till
        enhetschef" or "Anonym": a text that does not start with a digit is a note."""
        if not isinstance(data, dict):
            return data
        raw = data.get("acknowledged_on")
        if isinstance(raw, str) and raw.strip() and not raw.strip()[0].isdigit():
            data = dict(data)
            if _blank_to_none(data.get("acknowledgement_note")) is not None:
                raise ValueError("bekräftelsen är både en text och en anteckning; ange datum "
                                 "i Bekräftelse och texten i Bekräftelse anteckning")
            data["acknowledgement_note"] = raw.strip()
            data["acknowledged_on"] = None
            if raw.strip().lower() == "anonym" and yes_no(data.get("anonymous")) is None:
                data["anonymous"] = True
        return data

    @field_validator("id", mode="before")
    @classmethod
    def _case(cls, v: Any) -> str:
        return check_case_ref(_text_cell(v))

    @field_validator("anonymous", mode="before")
    @classmethod
    def _anonymous(cls, v: Any) -> bool:
        return bool(yes_no(v, "ja/nej-värde"))

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        text = str(v or "").strip().lower()
        if not text or text in ("synpunkt", "synpunkter", "säg vad du tycker"):
            return ComplaintKind.synpunkt
        if "hsl" in text or text in ("klagomål", "klagomal", "klagomål hälso- och sjukvård"):
            return ComplaintKind.klagomal_hsl
        raise ValueError(f"{v!r} är ingen typ bevaka känner; skriv synpunkt eller klagomål HSL")

    @field_validator("summary", mode="before")
    @classmethod
    def _summary(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        if isinstance(v, str) and contains_personnummer(v):
            raise ValueError("sammanfattningen innehåller ett personnummer; ta bort det")
        return v

    @model_validator(mode="after")
    def _order(self) -> Complaint:
        if self.answered_on and self.answered_on < self.received_on:
            raise ValueError("svarsdatum ligger före ankomstdatum")
        if self.acknowledged_on and self.acknowledged_on < self.received_on:
            raise ValueError("bekräftelsedatum ligger före ankomstdatum")
        return self


# ---- balanslista --------------------------------------------------------------------------


_DUE_FIELDS = ("due_kind", "due_from", "due_to", "due_cadence", "due_months")


class MatterKind(StrEnum):
    B = "B"  # beslutsärende med tjänsteskrivelse
    MI = "MI"  # muntlig information


class BalanslistaItem(Fact):
    """One row of the committee's balanslista (follow-up list) on a list date. Catalogue F23.

    ``due_text`` is kept as written; ``due_kind``, ``due_from``/``due_to`` (absolute),
    ``due_cadence`` and ``due_months`` (recurring) are parsed from it at import.
    """

    list_date: Date
    row: str
    matter: str
    responsible: OptStr = None
    responsible_role: OptStr = None
    decided_text: OptStr = None
    decided_on: OptDate = None
    task: OptStr = None
    kind: MatterKind | None = None
    due_text: str
    due_kind: str = ""
    due_from: OptDate = None
    due_to: OptDate = None
    due_cadence: OptStr = None
    due_months: OptStr = None
    reported_on: OptDate = None

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in _DUE_FIELDS:
            if _blank_to_none(data.get(name)) is not None:
                raise ValueError(f"{name} räknas fram ur återrapporteringen och ska inte anges")
        # Responsible: a role key only when written as one (lower case, no spaces).
        resp = _blank_to_none(data.get("responsible"))
        if _blank_to_none(data.get("responsible_role")) is None:
            data["responsible_role"] = (
                resp if isinstance(resp, str) and _ROLE_AS_WRITTEN.match(resp) else None
            )
        # Decision date: may list several dates ("2017-05-30 2019-03-26", "2023-11-21 § 45").
        raw = data.get("decided_on")
        if isinstance(raw, str) and raw.strip():
            tokens = _DATE_TOKEN.findall(raw)
            try:
                dates = [parse_date(t) for t in tokens]
            except DateParseError:
                dates = []
            if tokens and dates and all(dates):
                data["decided_text"] = " ".join(raw.split())
                data["decided_on"] = max(d for d in dates if d)
            # otherwise the field validator rejects the text with its column
        elif isinstance(raw, date):
            data.setdefault("decided_text", raw.isoformat())
        # Due value: parsed here; an unreadable one is rejected by the field validator.
        text = data.get("due_text")
        if isinstance(text, str):
            try:
                due = parse_due(text)
            except DueValueError:
                return data
            data["due_kind"] = due.kind
            data["due_from"] = due.start
            data["due_to"] = due.end
            data["due_cadence"] = due.cadence
            data["due_months"] = ",".join(str(m) for m in due.months) or None
        return data

    @field_validator("row", mode="before")
    @classmethod
    def _row(cls, v: Any) -> Any:
        return _text_cell(v)

    @field_validator("responsible_role", mode="before")
    @classmethod
    def _role(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        return None if v is None else check_recipient(v)

    @field_validator("kind", mode="before")
    @classmethod
    def _matter_kind(cls, v: Any) -> Any:
        text = str(v or "").strip().upper().rstrip("/").strip()
        if not text:
            return None
        if text not in ("B", "MI"):
            raise ValueError(f"{v!r} är varken B (beslutsärende) eller MI (muntlig information)")
        return text

    @field_validator("due_text", mode="before")
    @classmethod
    def _due(cls, v: Any) -> Any:
        text = "" if v is None else str(v)
        try:
            parse_due(text)
        except DueValueError as exc:
            raise ValueError(str(exc)) from None
        return " ".join(text.split())


# ---- Lex Sarah / Lex Maria -----------------------------------------------------------------


class LexKind(StrEnum):
    sarah = "sarah"
    maria = "maria"


class LexReport(Fact):
    """A Lex Sarah (SoL/LSS) or Lex Maria (PSL) report. Catalogue F18, F19."""

    id: str
    kind: LexKind
    reported_on: Date
    year: int | None = None
    needs_action: bool = False
    serious: bool = False
    sent_to_ivo_on: OptDate = None
    followed_up_on: OptDate = None

    @model_validator(mode="before")
    @classmethod
    def _year(cls, data: Any) -> Any:
        if isinstance(data, dict) and _blank_to_none(data.get("year")) is None:
            try:
                reported = parse_date(data.get("reported_on"))
            except DateParseError:
                return data  # reported_on's own validator reports it
            if reported is not None:
                data = {**data, "year": reported.year}
        return data

    @field_validator("id", mode="before")
    @classmethod
    def _case(cls, v: Any) -> str:
        return check_case_ref(_text_cell(v))

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        text = str(v or "").strip().lower()
        if "sarah" in text:
            return LexKind.sarah
        if "maria" in text:
            return LexKind.maria
        raise ValueError(f"{v!r} är varken Lex Sarah eller Lex Maria")

    @field_validator("year", mode="before")
    @classmethod
    def _year_value(cls, v: Any) -> Any:
        v = _text_cell(_blank_to_none(v))
        if v is None:
            return None
        if not re.fullmatch(r"\d{4}", str(v).strip()):
            raise ValueError(f"{v!r} är inget årtal")
        return int(str(v).strip())

    @field_validator("needs_action", "serious", mode="before")
    @classmethod
    def _flags(cls, v: Any) -> bool:
        return bool(yes_no(v, "ja/nej-värde"))

    @model_validator(mode="after")
    def _order(self) -> LexReport:
        if self.sent_to_ivo_on and self.sent_to_ivo_on < self.reported_on:
            raise ValueError("anmälan till IVO ligger före rapporten")
        return self


# ---- delegation report ---------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})-(\d{1,2})$")


class DelegationReport(Fact):
    """The report to the committee of one month's decisions under delegation. Catalogue F24."""

    id: str
    delegate: str
    period: str
    period_end: OptDate = None
    decision_types: OptStr = None
    reported_on: OptDate = None

    @model_validator(mode="before")
    @classmethod
    def _end(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if _blank_to_none(data.get("period_end")) is not None:
            raise ValueError("period_end räknas fram ur perioden och ska inte anges")
        try:
            start = _month_start(data.get("period"))
        except ValueError:
            return data  # the period's own validator reports it
        last = calendar.monthrange(start.year, start.month)[1]
        return {**data, "period_end": date(start.year, start.month, last)}

    @field_validator("id", mode="before")
    @classmethod
    def _case(cls, v: Any) -> str:
        return check_case_ref(_text_cell(v))

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> str:
        start = _month_start(v)
        return f"{start.year:04d}-{start.month:02d}"


def _month_start(v: Any) -> date:
    """A month: ``2023-11``, ``November 2023`` or a date in the month → its first day."""
    if isinstance(v, date):
        return date(v.year, v.month, 1)
    text = str(_text_cell(v) or "").strip()
    m = _PERIOD.match(text)
    if m and 1 <= int(m.group(2)) <= 12 and int(m.group(1)) >= 1900:
        return date(int(m.group(1)), int(m.group(2)), 1)
    try:
        due = parse_due(text)
        if due.kind == "absolute" and due.quarter is None and due.start:
            return due.start
    except DueValueError:
        pass
    try:
        d = parse_date(text)
    except DateParseError:
        d = None
    if d is None:
        raise ValueError(f"{v!r} är ingen månad; skriv ÅÅÅÅ-MM, t.ex. 2023-11")
    return date(d.year, d.month, 1)


# ---- registration --------------------------------------------------------------------------

COMPLAINT = types.register(FactType(
    name="complaint",
    model=Complaint,
    table="complaints",
    key=("id",),
    title_sv="Synpunkt eller klagomål",
    headers=_aliases({
        "id": ["Id", "Ärende", "Ärendenummer", "Diarienummer", "Dnr"],
        "received_on": ["Ankomstdatum", "Ankomst datum", "Inkom", "Inkommen"],
        "acknowledged_on": ["Bekräftelse", "Bekräftelse till avsändare", "Bekräftad"],
        "acknowledgement_note": ["Bekräftelse anteckning"],
        "answered_on": ["Svar", "Svar till avsändare", "Besvarad", "Svarsdatum"],
        "anonymous": ["Anonym"],
        "kind": ["Typ"],
        "unit": ["Enhet", "Verksamhet"],
        "summary": ["Sammanfattning", "Synpunkt i sammanfattning", "Synpunkt"],
    }),
))

BALANSLISTA_ITEM = types.register(FactType(
    name="balanslista_item",
    model=BalanslistaItem,
    table="balanslista_items",
    key=("list_date", "row"),
    title_sv="Balanslistepunkt",
    headers=_aliases({
        "list_date": ["Listdatum", "Balanslistans datum", "Balanslista"],
        "row": ["Rad", "Punkt"],
        "matter": ["Ärendemening", "Ärendemening / ärendenummer", "Ärendemening/ärendenummer"],
        "responsible": ["Ansvarig"],
        "responsible_role": ["Ansvarig roll", "Rollnyckel"],
        "decided_on": ["Beslutsdatum", "Beslutsdatum och §"],
        "decided_text": ["Beslutsdatum som skrivet"],
        "task": ["Uppdrag/sammanfattning", "Uppdrag / sammanfattning", "Uppdrag"],
        "kind": ["B/MI"],
        "due_text": ["Uppdrag klart/återrapportering", "Uppdrag klart/åter-rapportering",
                     "Återrapportering", "Uppdrag klart"],
        "reported_on": ["Återrapporterad", "Redovisad", "Senast redovisad"],
    }),
))

LEX_REPORT = types.register(FactType(
    name="lex_report",
    model=LexReport,
    table="lex_reports",
    key=("id",),
    title_sv="Lex Sarah- eller Lex Maria-rapport",
    headers=_aliases({
        "id": ["Id", "Ärende", "Diarienummer", "Dnr"],
        "kind": ["Typ", "Lex"],
        "reported_on": ["Rapporterad", "Rapportdatum", "Datum"],
        "year": ["År"],
        "needs_action": ["Behov av åtgärder", "Bedömts innebära behov av åtgärder",
                         "Åtgärdsbehov"],
        "serious": ["Allvarlig", "Allvarligt missförhållande", "Allvarlig vårdskada"],
        "sent_to_ivo_on": ["Anmäld till IVO", "Anmälan till IVO", "Till IVO"],
        "followed_up_on": ["Uppföljd", "Uppföljning", "Uppföljd datum"],
    }),
))

DELEGATION_REPORT = types.register(FactType(
    name="delegation_report",
    model=DelegationReport,
    table="delegation_reports",
    key=("id",),
    title_sv="Redovisning av delegationsbeslut",
    headers=_aliases({
        "id": ["Id", "Nr", "Ärende"],
        "delegate": ["Delegat", "Delegat (roll)"],
        "period": ["Period", "Månad"],
        "decision_types": ["Beslutstyper", "Beslut"],
        "reported_on": ["Redovisad", "Redovisad vid sammanträde", "Sammanträde"],
    }),
))
