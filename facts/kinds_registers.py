"""Fact types of the committee's reports registers (Oxelösund VON, catalogue F18, F19, F24).

* ``lex_report`` — a Lex Sarah or Lex Maria report;
* ``delegation_report`` — the report of one month's decisions taken under delegation.

The committee's other registers are in :mod:`facts.kinds_complaints` (F16) and
:mod:`facts.kinds_balanslista` (F23). Case references are never personnummer.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import field_validator

from facts.dates import DateParseError, parse_date
from facts.due_values import DueValueError, parse_due
from facts.fields import (
    CaseRef,
    Date,
    OptDate,
    OptStr,
    Text,
    YesNo,
    blank_to_none,
    derive,
    header,
    in_order,
    text_cell,
    years,
)
from facts.models import Fact
from facts.types import FactType, register

# ---- Lex Sarah / Lex Maria -----------------------------------------------------------------


class LexKind(StrEnum):
    sarah = "sarah"
    maria = "maria"


class LexReport(Fact):
    """A Lex Sarah (SoL/LSS) or Lex Maria (PSL) report. Catalogue F18, F19."""

    id: CaseRef = header("Id", "Ärende", "Diarienummer", "Dnr")
    kind: LexKind = header("Typ", "Lex")
    reported_on: Date = header("Rapporterad", "Rapportdatum", "Datum")
    year: Annotated[int | None, years(1000, 9999, missing=None)] = header("År", default=None)
    needs_action: YesNo = header("Behov av åtgärder", "Bedömts innebära behov av åtgärder",
                                 "Åtgärdsbehov", default=False)
    serious: YesNo = header("Allvarlig", "Allvarligt missförhållande", "Allvarlig vårdskada",
                            default=False)
    sent_to_ivo_on: OptDate = header("Anmäld till IVO", "Anmälan till IVO", "Till IVO",
                                     default=None)
    followed_up_on: OptDate = header("Uppföljd", "Uppföljning", "Uppföljd datum", default=None)

    @derive
    def _year(cls, data: dict[str, Any]) -> dict[str, Any]:
        if blank_to_none(data.get("year")) is None:
            try:
                reported = parse_date(data.get("reported_on"))
            except DateParseError:
                return data  # reported_on's own validator reports it
            if reported is not None:
                data["year"] = reported.year
        return data

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        kind = str(v or "").strip().lower()
        if "sarah" in kind:
            return LexKind.sarah
        if "maria" in kind:
            return LexKind.maria
        raise ValueError(f"{v!r} är varken Lex Sarah eller Lex Maria")

    _order = in_order(("reported_on", "sent_to_ivo_on", "anmälan till IVO ligger före rapporten"))


LEX_REPORT = register(FactType(
    "lex_report", LexReport, table="lex_reports", key=("id",),
    title_sv="Lex Sarah- eller Lex Maria-rapport"))


# ---- delegation report ---------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})-(\d{1,2})$")


class DelegationReport(Fact):
    """The report to the committee of one month's decisions under delegation. Catalogue F24."""

    id: CaseRef = header("Id", "Nr", "Ärende")
    delegate: Text = header("Delegat", "Delegat (roll)")
    period: str = header("Period", "Månad")
    period_end: OptDate = None
    decision_types: OptStr = header("Beslutstyper", "Beslut", default=None)
    reported_on: OptDate = header("Redovisad", "Redovisad vid sammanträde", "Sammanträde",
                                  default=None)

    @derive
    def _end(cls, data: dict[str, Any]) -> dict[str, Any]:
        if blank_to_none(data.get("period_end")) is not None:
            raise ValueError("period_end räknas fram ur perioden och ska inte anges")
        try:
            start = _month_start(data.get("period"))
        except ValueError:
            return data  # the period's own validator reports it
        last = calendar.monthrange(start.year, start.month)[1]
        return {**data, "period_end": date(start.year, start.month, last)}

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> str:
        start = _month_start(v)
        return f"{start.year:04d}-{start.month:02d}"


def _month_start(v: Any) -> date:
    """A month: ``2023-11``, ``November 2023`` or a date in the month → its first day."""
    if isinstance(v, date):
        return date(v.year, v.month, 1)
    text = str(text_cell(v) or "").strip()
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


DELEGATION_REPORT = register(FactType(
    "delegation_report", DelegationReport, table="delegation_reports", key=("id",),
    title_sv="Redovisning av delegationsbeslut"))
