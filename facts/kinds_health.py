"""Fact types of the health-care follow-up and the agreements' staffing and review duties.

* ``patient`` — a person in municipal health care (särskilt boende, hemsjukvård, korttid or
  LSS), by case reference only: when care began and ended (R-O17, R-O20, R-O21);
* ``health_review`` — a review done for a patient: a Senior alert risk assessment
  (``riskbedömning``), a medication review (``läkemedelsgenomgång``) or an oral-health
  assessment (``munhälsobedömning``);
* ``discharge_days`` — the municipality's discharge-ready days (UK-dagar) in a month against
  the county's average (R-O19, catalogue F29);
* ``assistance_review`` — a review of every personal-assistance case: how many are staffed
  as decided and have an IBIC implementation plan (R-N17, F38);
* ``mas_mar_staffing`` — the year's MAS and MAR full-time equivalents and the agreement's
  compensation, for the settlement when they are not 2,5 (R-N18, F26);
* ``concern_report`` — a report of concern about a child (*orosanmälan*), with the safety
  assessment and the decision whether to open an investigation (R-O06, IC point 5).

No personal data: case references only, no names, no personnummer (rejected at import).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, field_validator

from facts.dates import parse_date
from facts.fields import (
    CaseRef,
    Date,
    OptDate,
    OptStr,
    blank_to_none,
    count,
    derive,
    header,
    in_order,
    number,
    optional,
    years,
    yes_no,
)
from facts.models import Fact
from facts.types import FactType, register
from facts.vocabulary import SPACES

_SETTINGS = {"säbo": "säbo", "särskilt boende": "säbo", "sabo": "säbo",
             "hemsjukvård": "hemsjukvård", "hemsjukvard": "hemsjukvård", "ordinärt boende": "hemsjukvård",
             "korttid": "korttid", "korttidsboende": "korttid", "lss": "lss", "lss-boende": "lss"}
_REVIEWS = {"riskbedömning": "riskbedömning", "senior alert": "riskbedömning",
            "läkemedelsgenomgång": "läkemedelsgenomgång", "lkm-genomgång": "läkemedelsgenomgång",
            "fördjupad läkemedelsgenomgång": "läkemedelsgenomgång",
            "munhälsobedömning": "munhälsobedömning", "munhälsa": "munhälsobedömning"}


def _word(table: dict[str, str], what: str) -> Any:
    def parse(value: Any) -> str:
        key = SPACES.sub(" ", str(value or "")).strip().lower()
        if key not in table:
            names = ", ".join(sorted(set(table.values())))
            raise ValueError(f"{value!r} är ingen {what}; skriv {names}")
        return table[key]
    return parse


def _month(value: Any) -> date | None:
    """``2024-04`` (or a date in the month) → the month's first day."""
    if blank_to_none(value) is None:
        return None
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    text = str(value).strip()
    try:
        year, month = text[:7].split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"{value!r} är ingen månad; skriv ÅÅÅÅ-MM, t.ex. 2024-04") from None


# ---- patient and health_review ----------------------------------------------------------------


class Patient(Fact):
    """A person in municipal health care, by case reference: where, and from when to when."""

    id: CaseRef = header("Patient", "Patient-id", "Ärende")
    setting: Annotated[str, BeforeValidator(_word(_SETTINGS, "verksamhetsform"))] = header(
        "Verksamhetsform", "Insatsform")
    enrolled_on: Date = header("Inskriven", "Inflyttad", "Från")
    ended_on: OptDate = header("Utskriven", "Avslutad", "Till", default=None)
    oral_health_eligible: Annotated[bool | None, BeforeValidator(optional(
        lambda v: _yes_no(v, "munhälsa")))] = header("Rätt till munhälsobedömning", default=None)
    unit: OptStr = header("Enhet", default=None)

    _order = in_order(("enrolled_on", "ended_on", "utskrivningen ligger före inskrivningen"))


def _yes_no(value: Any, what: str) -> bool:
    parsed = yes_no(value, what)
    if parsed is None:
        raise ValueError(f"{value!r}: skriv ja eller nej ({what})")
    return parsed


PATIENT = register(FactType("patient", Patient, table="patients", key=("id",),
                            title_sv="Patient i kommunal hälso- och sjukvård"))


class HealthReview(Fact):
    """A review done for a patient: risk assessment, medication review or oral health."""

    patient_id: CaseRef = header("Patient", "Patient-id")
    kind: Annotated[str, BeforeValidator(_word(_REVIEWS, "typ av genomgång"))] = header(
        "Typ av genomgång", "Genomgång")
    done_on: Date = header("Genomförd", "Utförd")
    note: OptStr = header("Anteckning", default=None)


HEALTH_REVIEW = register(FactType("health_review", HealthReview, table="health_reviews",
                                  key=("patient_id", "kind", "done_on"),
                                  title_sv="Genomgång för patient"))


# ---- discharge_days ---------------------------------------------------------------------------


class DischargeDays(Fact):
    """The municipality's discharge-ready days (UK-dagar) in a month, against the county's."""

    month: Annotated[date, BeforeValidator(_month)] = header("Månad", "UK-månad")
    value: Annotated[float, number("antal dagar", missing="värde saknas",
                                   accept=lambda v: v >= 0, rejected="{value!r}: kan inte vara negativt")] = \
        header("UK-dagar", "Utskrivningsklara dagar", "Kommunen")
    county_average: Annotated[float, number("antal dagar", missing="länets snitt saknas",
                                            accept=lambda v: v >= 0,
                                            rejected="{value!r}: kan inte vara negativt")] = \
        header("Länssnitt", "Länets snitt", "Snitt i länet")


DISCHARGE_DAYS = register(FactType("discharge_days", DischargeDays, table="discharge_days",
                                   key=("month",), title_sv="Utskrivningsklara dagar"))


# ---- assistance_review ------------------------------------------------------------------------


class AssistanceReview(Fact):
    """A review of every personal-assistance case (R-N17): staffing and IBIC plans."""

    period: str = header("Genomgång avser", "Avser period")
    reviewed_on: Date = header("Genomgången", "Granskad")
    cases: Annotated[int, count()] = header("Antal ärenden", "Ärenden")
    staffed: Annotated[int, count()] = header("Bemannade enligt beslut", "Bemannade")
    ibic_plans: Annotated[int, count()] = header("Genomförandeplan enligt IBIC", "Med IBIC-plan")
    agreement_year: Annotated[int, years(missing="avtalsår saknas")] = header("Avtalsår")

    @derive
    def _default_period(cls, data: dict[str, Any]) -> dict[str, Any]:
        # without a period the review is for the month it was made in
        if blank_to_none(data.get("period")) is None:
            try:
                done = parse_date(blank_to_none(data.get("reviewed_on")))
            except ValueError:
                done = None  # reported against Genomgången by its own validator
            data["period"] = done.isoformat()[:7] if done else None
        return data

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> Any:
        month = _month(v)
        if month is None:
            raise ValueError("period saknas (ÅÅÅÅ-MM)")
        return f"{month.year}-{month.month:02d}"

    _order = in_order(("staffed", "cases", "fler bemannade än ärenden"),
                      ("ibic_plans", "cases", "fler planer än ärenden"))


ASSISTANCE_REVIEW = register(FactType("assistance_review", AssistanceReview,
                                      table="assistance_reviews", key=("period",),
                                      title_sv="Genomgång av personlig assistans"))


# ---- mas_mar_staffing ------------------------------------------------------------------------


def _fte(what: str) -> BeforeValidator:
    return number(f"årsarbetare {what}", missing=f"{what} saknas",
                  accept=lambda v: 0 <= v <= 20, rejected="{value!r}: ange 0–20 årsarbetare")


class MasMarStaffing(Fact):
    """The year's MAS and MAR full-time equivalents and the compensation (R-N18)."""

    year: Annotated[int, years(missing="år saknas")] = header("År", "Bemanningsår")
    mas_fte: Annotated[float, _fte("MAS")] = header("MAS årsarbetare", "MAS")
    mar_fte: Annotated[float, _fte("MAR")] = header("MAR årsarbetare", "MAR")
    compensation_tkr: Annotated[float, number("ersättning i tkr", missing="ersättning saknas",
                                              accept=lambda v: v >= 0,
                                              rejected="{value!r}: kan inte vara negativ")] = \
        header("Ersättning tkr", "Ersättning (tkr)")


MAS_MAR_STAFFING = register(FactType("mas_mar_staffing", MasMarStaffing, table="mas_mar_staffing",
                                     key=("year",), title_sv="Bemanning MAS och MAR"))


# ---- concern_report ---------------------------------------------------------------------------


class ConcernReport(Fact):
    """A report of concern about a child (orosanmälan), by case reference (R-O06)."""

    id: CaseRef = header("Orosanmälan", "Anmälan", "Aktualisering")
    received_on: Date = header("Anmälan inkom", "Inkom")
    safety_assessed_on: OptDate = header("Skyddsbedömning", default=None)
    decided_on: OptDate = header("Beslut om utredning", "Förhandsbedömning klar", default=None)
    unit: OptStr = header("Enhet", default=None)

    _order = in_order(("received_on", "safety_assessed_on", "skyddsbedömningen ligger före anmälan"),
                      ("received_on", "decided_on", "beslutet ligger före anmälan"))


CONCERN_REPORT = register(FactType("concern_report", ConcernReport, table="concern_reports",
                                   key=("id",), title_sv="Orosanmälan om barn"))
