"""Fact types of the IVO quarter: what happens to a decision after it is made, and the
reporting windows.

* ``interruption`` — one interruption of an executed decision and its resumption; a decision
  may have any number, each with its own three months (SoL 34 kap. 1 § andra stycket);
* ``partial_execution`` — a part of an insats that is not delivered (two of five hours of
  hemtjänst delivered: the three hours are reported on their own);
* ``offer`` — an offer of the insats and, if so, the date it was declined (tackat nej); a
  declined offer does not close the case;
* ``ivo_window`` — IVO's reporting window for a quarter (an installation updates the table
  each year from IVO's published dates);
* ``ivo_reported`` — the quarter marked as reported to IVO (``bevaka report ivo --quarter Q
  --mark-reported``).

Each links to its decision by the decision's case reference (``decision_id``), never a
personnummer.
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator, model_validator

from facts.dates import DateParseError, parse_date
from facts.fields import (
    CaseRef,
    Date,
    OptDate,
    OptStr,
    Text,
    blank_to_none,
    check_case_ref,
    derive,
    header,
    in_order,
)
from facts.models import Fact, normalise_period
from facts.types import FactType, register


def _ref(data: dict[str, Any], *parts: str) -> dict[str, Any]:
    """``data`` with ``ref`` = the decision's case reference and ``parts`` joined by ``/``:
    the subject of the finding (one decision has many interruptions, parts, offers)."""
    if blank_to_none(data.get("ref")) is not None:
        raise ValueError("ref räknas fram ur ärendet och ska inte anges")
    try:
        values = [check_case_ref(data.get("decision_id"))]
        for name in parts:
            value = data.get(name)
            if name.endswith("_on"):
                day = parse_date(value)
                if day is None:
                    return data
                values.append(day.isoformat())
            else:
                text = blank_to_none(str(value) if value is not None else None)
                if text is None:
                    return data
                values.append(text)
    except (ValueError, DateParseError):
        return data  # the fields' own validators report it
    return {**data, "ref": "/".join(values)}


class Interruption(Fact):
    """One interruption of an executed decision, and when it was resumed."""

    decision_id: CaseRef = header("Beslut", "Ärende", "Beslutets ärende")
    interrupted_on: Date = header("Avbrott", "Avbrottsdatum", "Avbruten")
    resumed_on: OptDate = header("Återupptagen", "Återupptaget", "Åter verkställt", default=None)
    reason: OptStr = header("Orsak", "Skäl", "Orsak till avbrott", default=None)
    ref: OptStr = None

    @derive
    def _make_ref(cls, data: dict[str, Any]) -> dict[str, Any]:
        return _ref(data, "interrupted_on")

    _order = in_order(("interrupted_on", "resumed_on", "återupptagen före avbrottet"))


class PartialExecution(Fact):
    """A part of an insats that is not delivered, from a date (the decision date when the part
    was never delivered), until it is."""

    decision_id: CaseRef = header("Beslut", "Ärende", "Beslutets ärende")
    part: Text = header("Del", "Ej verkställd del", "Delinsats")
    not_delivered_from: Date = header("Ej verkställd från", "Ej verkställd sedan", "Från")
    delivered_on: OptDate = header("Verkställd", "Delen verkställd", "Verkställd datum",
                                   default=None)
    reason: OptStr = header("Orsak", "Skäl", default=None)
    ref: OptStr = None

    @derive
    def _make_ref(cls, data: dict[str, Any]) -> dict[str, Any]:
        return _ref(data, "part")

    _order = in_order(("not_delivered_from", "delivered_on", "verkställd före datumet den "
                                                             "inte verkställdes från"))


class Offer(Fact):
    """An offer of the decided insats (and the date it was declined, if it was)."""

    decision_id: CaseRef = header("Beslut", "Ärende", "Beslutets ärende")
    offered_on: Date = header("Erbjudet", "Erbjudande", "Erbjudandedatum", "Erbjuden")
    offer: OptStr = header("Erbjudande avser", "Vad erbjöds", "Erbjuden insats", default=None)
    declined_on: OptDate = header("Tackat nej", "Tackade nej", "Avböjt", default=None)
    ref: OptStr = None

    @derive
    def _make_ref(cls, data: dict[str, Any]) -> dict[str, Any]:
        return _ref(data, "offered_on")

    _order = in_order(("offered_on", "declined_on", "tackade nej före erbjudandet"))


def _quarter(value: Any) -> str:
    period = normalise_period(value)
    if period is None or "Q" not in period:
        raise ValueError(f"{value!r} är inget kvartal; skriv ÅÅÅÅQN, t.ex. 2024Q4")
    return period


class IvoWindow(Fact):
    """IVO's reporting window for one quarter (rapporteringsperiod)."""

    quarter: str = header("Kvartal", "Avser kvartal")
    opens_on: Date = header("Öppnar", "Från", "Rapporteringsperiod från")
    closes_on: Date = header("Stänger", "Till", "Sista dag", "Rapporteringsperiod till")

    @field_validator("quarter", mode="before")
    @classmethod
    def _q(cls, v: Any) -> str:
        return _quarter(v)

    _order = in_order(("opens_on", "closes_on", "perioden stänger innan den öppnar"))

    @model_validator(mode="after")
    def _after_quarter(self) -> IvoWindow:
        year, q = int(self.quarter[:4]), int(self.quarter[-1])
        if (self.opens_on.year, (self.opens_on.month - 1) // 3 + 1) <= (year, q):
            raise ValueError(f"rapporteringsperioden för {self.quarter} öppnar inom kvartalet; "
                             "den ska ligga efter kvartalets slut")
        return self


class IvoReported(Fact):
    """A quarter marked as reported to IVO (written by ``bevaka report ivo --mark-reported``)."""

    quarter: str = header("Kvartal")
    reported_on: Date = header("Rapporterat", "Rapporterad", "Datum")
    note: OptStr = header("Anteckning", default=None)

    @field_validator("quarter", mode="before")
    @classmethod
    def _q(cls, v: Any) -> str:
        return _quarter(v)


INTERRUPTION = register(FactType(
    "interruption", Interruption, table="interruptions", key=("decision_id", "interrupted_on"),
    title_sv="Avbrott i verkställighet"))
PARTIAL_EXECUTION = register(FactType(
    "partial_execution", PartialExecution, table="partial_executions", key=("decision_id", "part"),
    title_sv="Delvis verkställt beslut"))
OFFER = register(FactType(
    "offer", Offer, table="offers", key=("decision_id", "offered_on"),
    title_sv="Erbjudande om insats"))
IVO_WINDOW = register(FactType(
    "ivo_window", IvoWindow, table="ivo_windows", key=("quarter",),
    title_sv="IVO:s rapporteringsperiod"))
IVO_REPORTED = register(FactType(
    "ivo_reported", IvoReported, table="ivo_reported", key=("quarter",),
    title_sv="Kvartal rapporterat till IVO"))
