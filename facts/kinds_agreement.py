"""Fact types of the Nyköping VON–DSO agreements (överenskommelser) 2024 and 2026.

* ``recurring_obligation`` — a reporting duty that recurs (monthly, quarterly, yearly or before
  every meeting), with its schedule as written in the agreement ("senast den 10:e varje
  månad") parsed by :mod:`facts.schedules` into frequency/day/month/days_before/body. F02.
* ``short_term_admission`` — a move into short-term housing and the OT/PT assessment. F37.
* ``investment`` — a single investment, its cost in tkr and who decided it. F10.
* ``vacancy`` — an empty apartment in residential care (2024 vacancy charge). F25.

The agreements' quality-register outcomes are in :mod:`facts.kinds_quality`. Registered with
:func:`facts.types.register`; ``facts/__init__.py`` imports this module before the store, so
every type gets its table.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, field_validator

from facts.dates import parse_date
from facts.fields import (
    CaseRef,
    Date,
    OptDate,
    OptRoleOrEmail,
    OptStr,
    OptYear,
    RoleOrEmail,
    Text,
    blank_as,
    blank_to_none,
    derive,
    header,
    in_order,
    number,
    optional,
    parse_year,
    text,
    text_cell,
    years,
)
from facts.models import Fact
from facts.schedules import PARSED_FIELDS, SCHEDULE_HINT, Frequency, clean_schedule, parse_schedule
from facts.types import FactType, register
from facts.vocabulary import NO_WORDS, SPACES, YES_WORDS

# ---- recurring_obligation ------------------------------------------------------------------


def _topic(value: Any) -> str:
    """The key of the rule that watches a duty: ``platina``, ``lex-sarah`` (lower case)."""
    written = str(text_cell(value)).strip()
    if not re.fullmatch(r"[a-zåäö0-9][a-zåäö0-9_.-]*", written.lower()):
        raise ValueError(f"{written!r} är ingen ämnesnyckel (t.ex. platina, lex-sarah, psb)")
    return written.lower()


def _weekend_shift(value: Any) -> str | None:
    """``Helgflytt``: ja → ``roll_forward`` (Lag 1930:173), nej → ``none``; empty → the rule's
    default."""
    written = SPACES.sub(" ", str(text_cell(value))).strip().lower()
    if written in ("", "none", "roll_forward"):
        return written or None
    if written in YES_WORDS or written in ("nästa vardag", "flyttas"):
        return "roll_forward"
    if written in NO_WORDS or written in ("ingen", "ingen flytt", "flyttas inte"):
        return "none"
    raise ValueError(f"{value!r}: skriv ja (fristen flyttas till nästa vardag enligt Lag 1930:173) "
                     "eller nej (fristen står kvar)")


_DAYS = number("antal dagar", whole=True, missing=None, accept=lambda n: 0 <= n <= 3660,
               rejected="{value!r}: ange 0–3660 dagar")


class RecurringObligation(Fact):
    """A recurring obligation from an agreement, a plan or a list, on any topic.

    The parts of ``schedule`` (``frequency``, ``day``, ``month``, ``months``, ``months_after``,
    ``days_before``, ``day_kind``, ``body``, ``external``) are parsed from it; they are not
    columns of their own. The obligation's own parameters are columns: ``weekend_shift``
    (Helgflytt), ``visible_days``, ``escalate_days``, ``escalate_to``, ``legal_basis`` and
    ``due_on`` (the date when the schedule refers to someone else's, e.g. SCB's).
    """

    id: Annotated[str, text("id saknas")] = header("Id", "Nr", "Nummer")
    title: Text = header("Rubrik", "Uppgift", "Avser")
    topic: Annotated[str | None, BeforeValidator(optional(_topic))] = header(
        "Ämne", "Ämnesnyckel", default=None)
    recipient: OptStr = header("Rapport till", "Mottagare", "Lämnas till", default=None)
    responsible: Annotated[RoleOrEmail, blank_as("divisionschef")] = header(
        "Ansvarig", default="divisionschef")
    agreement: OptStr = header("Överenskommelse", "Avtal", default=None)
    agreement_year: Annotated[int, years(missing="avtalsår saknas (ange Avtalsår eller Gäller "
                                                 "från)")] = header("Avtalsår")
    valid_from: Date = header("Gäller från", "Giltig från")
    valid_to: Date = header("Gäller till", "Giltig till")
    schedule: str = header("Schema", "Frekvens", "När")
    frequency: Frequency | None = None
    day: int | None = None
    month: int | None = None
    months: str | None = None
    months_after: int | None = None
    days_before: int | None = None
    day_kind: str | None = None
    body: str | None = None
    external: str | None = None
    due_on: OptDate = header("Datum", "Sista dag", "Datum i år", default=None)
    weekend_shift: Annotated[str | None, BeforeValidator(optional(_weekend_shift))] = header(
        "Helgflytt", "Flyttas vid helg", default=None)
    visible_days: Annotated[int | None, _DAYS] = header(
        "Visas dagar före", "Visas dagar innan", default=None)
    escalate_days: Annotated[int | None, _DAYS] = header(
        "Eskaleras efter dagar", "Eskalering dagar", default=None)
    escalate_to: OptRoleOrEmail = header("Eskaleras till", "Eskalering till", default=None)
    legal_basis: OptStr = header("Rättslig grund", "Lagrum", default=None)
    source: OptStr = header("Källa", default=None)

    @derive
    def _fill(cls, data: dict[str, Any]) -> dict[str, Any]:
        # The parsed parts come from the schedule; a value given for one must agree.
        try:
            parsed = parse_schedule(data.get("schedule") or "")
        except ValueError:
            parsed = None  # reported against the schedule column by _schedule below
        for name in PARSED_FIELDS:
            given = blank_to_none(data.get(name))
            if parsed is None:
                data[name] = None
                continue
            if given is not None and str(given) != str(parsed[name]):
                raise ValueError(f"{name} = {given!r} stämmer inte med schemat "
                                 f"{data.get('schedule')!r} ({parsed[name]!r}); lämna det tomt")
            data[name] = parsed[name]
        # The validity defaults to the agreement year, and the year to the validity.
        try:
            year = parse_year(data.get("agreement_year"))
            start = None if year is not None else parse_date(blank_to_none(data.get("valid_from")))
            if start is not None:
                year = data["agreement_year"] = start.year
        except ValueError:
            return data  # reported against the column by the field's own validator
        if year is not None:
            if blank_to_none(data.get("valid_from")) is None:
                data["valid_from"] = date(year, 1, 1)
            if blank_to_none(data.get("valid_to")) is None:
                data["valid_to"] = date(year, 12, 31)
        return data

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, v: Any) -> str:
        schedule = clean_schedule(v)
        if not schedule:
            raise ValueError("schema saknas; " + SCHEDULE_HINT)
        parse_schedule(schedule)
        return schedule

    _order = in_order(("valid_from", "valid_to", "Gäller till ligger före Gäller från"))


RECURRING_OBLIGATION = register(FactType(
    "recurring_obligation", RecurringObligation, table="recurring_obligations", key=("id",),
    title_sv="Återkommande rapporteringsskyldighet"))


# ---- short_term_admission ------------------------------------------------------------------


class ShortTermAdmission(Fact):
    """A move into short-term housing (korttidsboende) and its OT/PT assessment. F37."""

    id: CaseRef = header("Vistelse", "Ärende", "Vistelse-id")
    moved_in_on: Date = header("Inflyttningsdatum", "Inflyttad", "Inflyttning")
    assessed_on: OptDate = header("OT/PT-bedömning", "Bedömd", "Bedömningsdatum", default=None)
    unit: OptStr = header("Enhet", "Korttidsboende", default=None)

    _order = in_order(("moved_in_on", "assessed_on", "bedömningen ligger före inflyttningen"))


SHORT_TERM_ADMISSION = register(FactType(
    "short_term_admission", ShortTermAdmission, table="short_term_admissions", key=("id",),
    title_sv="Inflyttning på korttidsboende"))


# ---- investment ----------------------------------------------------------------------------

_DECIDERS = {"ks": "KS", "kommunstyrelsen": "KS", "kommunstyrelse": "KS",
             "divisionschef": "divisionschef", "divisionschefen": "divisionschef"}


def _decider(value: Any) -> str:
    """``KS``, ``divisionschef`` (any spelling of them) or another body as written."""
    written = str(text_cell(value)).strip()
    return _DECIDERS.get(SPACES.sub(" ", written).lower(), written)


class Investment(Fact):
    """A single investment within DSO's frame: cost in tkr, who decided it and when. F10."""

    id: Text = header("Objektnummer", "Projekt", "Investerings-id")
    title: Text = header("Investeringsobjekt", "Investering", "Benämning")
    cost_tkr: Annotated[float, number(
        "belopp i tkr", missing="kostnad saknas", accept=lambda cost: cost >= 0,
        rejected="{value!r}: kostnaden kan inte vara negativ")] = header(
        "Kostnad tkr", "Kostnad (tkr)", "Belopp tkr", "Belopp (tkr)")
    decided_by: Annotated[str | None, BeforeValidator(optional(_decider))] = header(
        "Beslutad av", "Beslutsfattare", default=None)
    decided_on: OptDate = header("Beslutsdatum", "Beslutad", default=None)
    year: OptYear = header("År", "Investeringsår", default=None)


INVESTMENT = register(FactType(
    "investment", Investment, table="investments", key=("id",),
    title_sv="Investering"))


# ---- vacancy -------------------------------------------------------------------------------


class VacancyKind(StrEnum):
    aldreboende = "äldreboende"
    demensboende = "demensboende"


class Vacancy(Fact):
    """An empty apartment in residential care, from ``vacant_from`` until a new resident moves
    in on ``moved_in_on``. ``id`` is the apartment's reference. F25."""

    id: CaseRef = header("Lägenhet", "Lägenhetsnummer", "Lgh")
    kind: VacancyKind = header("Boendeform", "Platstyp")
    vacant_from: Date = header("Tom från", "Tom sedan", "Ledig från")
    moved_in_on: OptDate = header("Ny boende inflyttad", "Inflyttad", "Inflyttningsdatum",
                                  default=None)
    daily_price: Annotated[float, number(
        "dygnspris", missing="dygnspris saknas", accept=lambda price: price > 0,
        rejected="{value!r}: dygnspriset ska vara större än 0")] = header(
        "Dygnspris", "Aktuellt dygnspris", "Pris per dygn")
    agreement_year: Annotated[int, years(missing="avtalsår saknas")] = header("Avtalsår")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        kind = str(v or "").strip().lower()
        if kind.startswith("demens"):
            return "demensboende"
        if kind.startswith("äldre"):
            return "äldreboende"
        if not kind:
            raise ValueError("boendeform saknas; skriv äldreboende eller demensboende")
        raise ValueError(f"{v!r} är ingen boendeform; skriv äldreboende eller demensboende")

    _order = in_order(("vacant_from", "moved_in_on",
                       "inflyttningen ligger före datumet då lägenheten blev tom"))


VACANCY = register(FactType(
    "vacancy", Vacancy, table="vacancies", key=("id",),
    title_sv="Tom lägenhet"))
