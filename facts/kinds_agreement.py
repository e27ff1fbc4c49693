"""Fact types of the Nyköping VON–DSO agreements (överenskommelser) 2024 and 2026.

* ``recurring_obligation`` — a reporting duty that recurs (monthly, quarterly, yearly or before
  every meeting), with its schedule as written in the agreement ("senast den 10:e varje
  månad") parsed into frequency/day/month/days_before/body. Catalogue F02.
* ``short_term_admission`` — a move into short-term housing and the OT/PT assessment. F37.
* ``investment`` — a single investment, its cost in tkr and who decided it. F10.
* ``vacancy`` — an empty apartment in residential care (2024 vacancy charge). F25.
* ``quality_outcome`` — a quality register's outcome against its target for a year. F21.

Registered with :func:`facts.types.register`; ``facts/__init__.py`` imports this module
before the store, so every type gets its table.
"""

from __future__ import annotations

import re
import warnings
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import field_validator, model_validator

from facts.models import (
    Date,
    Fact,
    OptDate,
    OptStr,
    _blank_to_none,
    check_case_ref,
    check_recipient,
)
from facts.types import FactType, _aliases, register

# ---- shared value parsers ------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def parse_number(value: Any, what: str = "tal") -> float | None:
    """A number as registers write it: ``12 500``, ``12 500,5``, ``719.6``, ``80 %``."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"{value!r} är inget {what}")
        return None
    if isinstance(value, int | float):
        return float(value)
    text = _SPACES.sub("", str(value)).rstrip("%").replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{value!r} är inget {what}") from None


def parse_whole(value: Any, what: str = "heltal") -> int | None:
    number = parse_number(value, what)
    if number is None:
        return None
    if number != int(number):
        raise ValueError(f"{value!r} är inget {what}")
    return int(number)


def _year(value: Any) -> int | None:
    year = parse_whole(value, "årtal")
    if year is not None and not 2000 <= year <= 2100:
        raise ValueError(f"{value!r} är inget årtal (2000–2100)")
    return year


# ---- recurring_obligation ------------------------------------------------------------------

MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}
_MONTH = "(" + "|".join(MONTHS) + ")"
_DAY = r"(?:senast\s+)?(?:den\s+)?(\d{1,2})(?::[ae])?"


class Frequency(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"
    per_meeting = "per_meeting"


SCHEDULE_HINT = ("skriv t.ex. 'senast den 10:e varje månad', 'Kvartalsvis', 'I september varje "
                 "år', 'senast den 1 mars varje år' eller '24 dagar före varje sammanträde i VON'")

_SCHEDULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_DAY}\s+varje\s+månad$", re.I), "monthly_day"),
    (re.compile(r"^(?:varje\s+månad|månadsvis|en\s+gång\s+(?:per|i)\s+månaden?)$", re.I),
     "monthly"),
    (re.compile(r"^(?:kvartalsvis|varje\s+kvartal|en\s+gång\s+per\s+kvartal)$", re.I),
     "quarterly"),
    (re.compile(rf"^{_DAY}\s+{_MONTH}\s+varje\s+år$", re.I), "yearly_day"),
    (re.compile(rf"^(?:senast\s+)?(?:i|under)\s+{_MONTH}\s+varje\s+år$", re.I), "yearly_month"),
    (re.compile(r"^(?:årligen|varje\s+år|en\s+gång\s+per\s+år)(?:\s+.*)?$", re.I), "yearly"),
    (re.compile(r"^(\d{1,3})\s+dagar\s+före\s+varje\s+(?:nämnd)?sammanträde(?:\s+i\s+(\S+))?$",
                re.I), "per_meeting"),
]


def parse_schedule(text: str) -> dict[str, Any]:
    """The parts of a schedule as written in an agreement.

    >>> parse_schedule("senast den 10:e varje månad")["day"]
    10

    Returns ``frequency`` (``monthly``, ``quarterly``, ``yearly``, ``per_meeting``) and
    ``day``, ``month``, ``days_before``, ``body`` (None where the schedule says nothing).
    Raises ``ValueError`` with a Swedish message for a schedule it does not understand.
    """
    clean = _SPACES.sub(" ", str(text or "")).strip().rstrip(".")
    out: dict[str, Any] = {"frequency": None, "day": None, "month": None, "days_before": None,
                           "body": None}
    for pattern, shape in _SCHEDULES:
        m = pattern.match(clean)
        if not m:
            continue
        if shape == "monthly_day":
            out.update(frequency="monthly", day=_day(m.group(1), clean))
        elif shape == "monthly":
            out.update(frequency="monthly")
        elif shape == "quarterly":
            out.update(frequency="quarterly")
        elif shape == "yearly_day":
            month = MONTHS[m.group(2).lower()]
            day = _day(m.group(1), clean)
            try:
                date(2024, month, day)  # a leap year: 29 februari is allowed
            except ValueError:
                raise ValueError(f"{text!r}: den {day} {m.group(2).lower()} finns inte") from None
            out.update(frequency="yearly", month=month, day=day)
        elif shape == "yearly_month":
            out.update(frequency="yearly", month=MONTHS[m.group(1).lower()])
        elif shape == "yearly":
            out.update(frequency="yearly")
        else:
            out.update(frequency="per_meeting", days_before=int(m.group(1)),
                       body=m.group(2) or "VON")
        return out
    raise ValueError(f"{text!r} är inget schema bevaka förstår; {SCHEDULE_HINT}")


def _day(text: str, schedule: str) -> int:
    day = int(text)
    if not 1 <= day <= 31:
        raise ValueError(f"{schedule!r}: dag {day} finns inte i någon månad")
    return day


_PARSED_FIELDS = ("frequency", "day", "month", "days_before", "body")


class RecurringObligation(Fact):
    """A recurring reporting duty from an agreement (monthly, quarterly, yearly, per meeting).

    ``frequency``, ``day``, ``month``, ``days_before`` and ``body`` are parsed from
    ``schedule``; they are not columns of their own.
    """

    id: str
    title: str
    topic: OptStr = None
    recipient: OptStr = None
    responsible: str = "divisionschef"
    agreement: OptStr = None
    agreement_year: int
    valid_from: Date
    valid_to: Date
    schedule: str
    frequency: Frequency | None = None
    day: int | None = None
    month: int | None = None
    days_before: int | None = None
    body: str | None = None
    source: OptStr = None

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        # The parsed parts come from the schedule; a value given for one must agree.
        try:
            parsed = parse_schedule(data.get("schedule") or "")
        except ValueError:
            parsed = None  # reported against the schedule column by _schedule below
        for name in _PARSED_FIELDS:
            given = _blank_to_none(data.get(name))
            if parsed is None:
                data[name] = None
                continue
            if given is not None and str(given) != str(parsed[name]):
                raise ValueError(f"{name} = {given!r} stämmer inte med schemat "
                                 f"{data.get('schedule')!r} ({parsed[name]!r}); lämna det tomt")
            data[name] = parsed[name]
        # The validity defaults to the agreement year, and the year to the validity.
        try:
            year = _year(data.get("agreement_year"))
        except ValueError:
            return data  # reported against the column by _agreement_year
        if year is None and _blank_to_none(data.get("valid_from")) is not None:
            from facts.dates import parse_date

            try:
                start = parse_date(data["valid_from"])
            except ValueError:
                return data
            year = start.year if start else None
            data["agreement_year"] = year
        if year is not None:
            if _blank_to_none(data.get("valid_from")) is None:
                data["valid_from"] = date(year, 1, 1)
            if _blank_to_none(data.get("valid_to")) is None:
                data["valid_to"] = date(year, 12, 31)
        return data

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> str:
        v = _blank_to_none(v)
        if v is None:
            raise ValueError("id saknas")
        return str(v)

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, v: Any) -> str:
        text = _SPACES.sub(" ", str(v or "")).strip()
        if not text:
            raise ValueError("schema saknas; " + SCHEDULE_HINT)
        parse_schedule(text)
        return text

    @field_validator("agreement_year", mode="before")
    @classmethod
    def _agreement_year(cls, v: Any) -> Any:
        year = _year(v)
        if year is None:
            raise ValueError("avtalsår saknas (ange Avtalsår eller Gäller från)")
        return year

    @field_validator("responsible", mode="before")
    @classmethod
    def _responsible(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        return "divisionschef" if v is None else check_recipient(v)

    @field_validator("topic", mode="before")
    @classmethod
    def _topic(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        if v is None:
            return None
        key = str(v).lower()
        if not re.fullmatch(r"[a-zåäö0-9][a-zåäö0-9_.-]*", key):
            raise ValueError(f"{v!r} är ingen ämnesnyckel (t.ex. platina, lex-sarah, psb)")
        return key

    @model_validator(mode="after")
    def _order(self) -> RecurringObligation:
        if self.valid_to < self.valid_from:
            raise ValueError("Gäller till ligger före Gäller från")
        return self


RECURRING_OBLIGATION = register(FactType(
    name="recurring_obligation",
    model=RecurringObligation,
    table="recurring_obligations",
    key=("id",),
    title_sv="Återkommande rapporteringsskyldighet",
    headers=_aliases({
        "id": ["Id", "Nr", "Nummer"],
        "title": ["Rubrik", "Uppgift", "Avser"],
        "topic": ["Ämne", "Ämnesnyckel"],
        "recipient": ["Rapport till", "Mottagare", "Lämnas till"],
        "responsible": ["Ansvarig"],
        "agreement": ["Överenskommelse", "Avtal"],
        "agreement_year": ["Avtalsår"],
        "valid_from": ["Gäller från", "Giltig från"],
        "valid_to": ["Gäller till", "Giltig till"],
        "schedule": ["Schema", "Frekvens", "När"],
        "source": ["Källa"],
    }),
))


# ---- short_term_admission ------------------------------------------------------------------


class ShortTermAdmission(Fact):
    """A move into short-term housing (korttidsboende) and its OT/PT assessment. F37."""

    id: str
    moved_in_on: Date
    assessed_on: OptDate = None
    unit: OptStr = None

    @field_validator("id", mode="before")
    @classmethod
    def _case(cls, v: Any) -> str:
        return check_case_ref(v)

    @model_validator(mode="after")
    def _order(self) -> ShortTermAdmission:
        if self.assessed_on and self.assessed_on < self.moved_in_on:
            raise ValueError("bedömningen ligger före inflyttningen")
        return self


SHORT_TERM_ADMISSION = register(FactType(
    name="short_term_admission",
    model=ShortTermAdmission,
    table="short_term_admissions",
    key=("id",),
    title_sv="Inflyttning på korttidsboende",
    headers=_aliases({
        "id": ["Vistelse", "Ärende", "Vistelse-id"],
        "moved_in_on": ["Inflyttningsdatum", "Inflyttad", "Inflyttning"],
        "assessed_on": ["OT/PT-bedömning", "Bedömd", "Bedömningsdatum"],
        "unit": ["Enhet", "Korttidsboende"],
    }),
))


# ---- investment ----------------------------------------------------------------------------

_DECIDERS = {"ks": "KS", "kommunstyrelsen": "KS", "kommunstyrelse": "KS",
             "divisionschef": "divisionschef", "divisionschefen": "divisionschef"}


class Investment(Fact):
    """A single investment within DSO's frame: cost in tkr, who decided it and when. F10."""

    id: str
    title: str
    cost_tkr: float
    decided_by: OptStr = None
    decided_on: OptDate = None
    year: int | None = None

    @field_validator("cost_tkr", mode="before")
    @classmethod
    def _cost(cls, v: Any) -> Any:
        cost = parse_number(v, "belopp i tkr")
        if cost is None:
            raise ValueError("kostnad saknas")
        if cost < 0:
            raise ValueError(f"{v!r}: kostnaden kan inte vara negativ")
        return cost

    @field_validator("decided_by", mode="before")
    @classmethod
    def _decider(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        if v is None:
            return None
        return _DECIDERS.get(_SPACES.sub(" ", str(v)).lower(), str(v))

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: Any) -> Any:
        return _year(v)


INVESTMENT = register(FactType(
    name="investment",
    model=Investment,
    table="investments",
    key=("id",),
    title_sv="Investering",
    headers=_aliases({
        "id": ["Objektnummer", "Projekt", "Investerings-id"],
        "title": ["Investeringsobjekt", "Investering", "Benämning"],
        "cost_tkr": ["Kostnad tkr", "Kostnad (tkr)", "Belopp tkr", "Belopp (tkr)"],
        "decided_by": ["Beslutad av", "Beslutsfattare"],
        "decided_on": ["Beslutsdatum", "Beslutad"],
        "year": ["År", "Investeringsår"],
    }),
))


# ---- vacancy -------------------------------------------------------------------------------


class VacancyKind(StrEnum):
    aldreboende = "äldreboende"
    demensboende = "demensboende"


class Vacancy(Fact):
    """An empty apartment in residential care, from ``vacant_from`` until a new resident moves
    in on ``moved_in_on``. ``id`` is the apartment's reference. F25."""

    id: str
    kind: VacancyKind
    vacant_from: Date
    moved_in_on: OptDate = None
    daily_price: float
    agreement_year: int

    @field_validator("id", mode="before")
    @classmethod
    def _ref(cls, v: Any) -> str:
        return check_case_ref(v)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        text = str(v or "").strip().lower()
        if text.startswith("demens"):
            return "demensboende"
        if text.startswith("äldre"):
            return "äldreboende"
        raise ValueError(f"{v!r} är ingen boendeform; skriv äldreboende eller demensboende")

    @field_validator("daily_price", mode="before")
    @classmethod
    def _price(cls, v: Any) -> Any:
        price = parse_number(v, "dygnspris")
        if price is None:
            raise ValueError("dygnspris saknas")
        if price <= 0:
            raise ValueError(f"{v!r}: dygnspriset ska vara större än 0")
        return price

    @field_validator("agreement_year", mode="before")
    @classmethod
    def _agreement_year(cls, v: Any) -> Any:
        year = _year(v)
        if year is None:
            raise ValueError("avtalsår saknas")
        return year

    @model_validator(mode="after")
    def _order(self) -> Vacancy:
        if self.moved_in_on and self.moved_in_on < self.vacant_from:
            raise ValueError("inflyttningen ligger före datumet då lägenheten blev tom")
        return self


VACANCY = register(FactType(
    name="vacancy",
    model=Vacancy,
    table="vacancies",
    key=("id",),
    title_sv="Tom lägenhet",
    headers=_aliases({
        "id": ["Lägenhet", "Lägenhetsnummer", "Lgh"],
        "kind": ["Boendeform", "Platstyp"],
        "vacant_from": ["Tom från", "Tom sedan", "Ledig från"],
        "moved_in_on": ["Ny boende inflyttad", "Inflyttad", "Inflyttningsdatum"],
        "daily_price": ["Dygnspris", "Aktuellt dygnspris", "Pris per dygn"],
        "agreement_year": ["Avtalsår"],
    }),
))


# ---- quality_outcome -----------------------------------------------------------------------

_REGISTERS = {"senior alert": "Senior alert", "halt": "HALT", "palliativregistret": "Palliativregistret",
              "svenska palliativregistret": "Palliativregistret",
              "palliativa registret": "Palliativregistret", "bpsd": "BPSD", "svedem": "SveDem"}
_SETTINGS = {"hemsjukvård": "hemsjukvård", "säbo": "säbo", "särskilt boende": "säbo",
             "dbo": "dbo", "demensboende": "dbo", "all": "all", "alla": "all",
             "samtliga": "all"}


# pydantic warns that the field "register" shadows ABCMeta.register of the model class; the
# field is what the registers and the catalogue call it, and instances read it normally.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

    class QualityOutcome(Fact):
        """A quality register's outcome in a setting for a year, against its target. F21.

        ``id`` is made from the key: ``Senior alert/säbo/2024``.
        """

        register: str
        setting: str
        year: int
        numerator: int
        denominator: int
        target_percent: float
        id: str

        @model_validator(mode="before")
        @classmethod
        def _id(cls, data: Any) -> Any:
            if not isinstance(data, dict):
                return data
            data = dict(data)
            try:
                made = (f"{_register(data.get('register'))}/{_setting(data.get('setting'))}/"
                        f"{_year(data.get('year'))}")
            except ValueError:
                made = "?"  # the field validators report what is wrong
            given = _blank_to_none(data.get("id"))
            if given is not None and made != "?" and str(given) != made:
                raise ValueError(f"id {given!r} stämmer inte med register/miljö/år ({made!r}); "
                                 "lämna det tomt")
            data["id"] = made
            return data

        @field_validator("register", mode="before")
        @classmethod
        def _register(cls, v: Any) -> str:
            return _register(v)

        @field_validator("setting", mode="before")
        @classmethod
        def _setting(cls, v: Any) -> str:
            return _setting(v)

        @field_validator("year", mode="before")
        @classmethod
        def _year(cls, v: Any) -> Any:
            year = _year(v)
            if year is None:
                raise ValueError("år saknas")
            return year

        @field_validator("numerator", "denominator", mode="before")
        @classmethod
        def _count(cls, v: Any) -> Any:
            n = parse_whole(v, "antal")
            if n is None:
                raise ValueError("antal saknas")
            if n < 0:
                raise ValueError(f"{v!r}: antalet kan inte vara negativt")
            return n

        @field_validator("target_percent", mode="before")
        @classmethod
        def _target(cls, v: Any) -> Any:
            target = parse_number(v, "målvärde i procent")
            if target is None:
                raise ValueError("målvärde saknas")
            if not 0 <= target <= 100:
                raise ValueError(f"{v!r}: målvärdet ska vara 0–100 %")
            return target

        @model_validator(mode="after")
        def _order(self) -> QualityOutcome:
            if self.numerator > self.denominator:
                raise ValueError("täljaren är större än nämnaren")
            return self


def _register(v: Any) -> str:
    key = _SPACES.sub(" ", str(v or "")).strip().lower()
    if key not in _REGISTERS:
        raise ValueError(f"{v!r} är inget kvalitetsregister bevaka känner; skriv Senior alert, "
                         "HALT, Palliativregistret, BPSD eller SveDem")
    return _REGISTERS[key]


def _setting(v: Any) -> str:
    key = _SPACES.sub(" ", str(v or "")).strip().lower()
    if key not in _SETTINGS:
        raise ValueError(f"{v!r} är ingen verksamhet; skriv hemsjukvård, säbo, dbo eller all")
    return _SETTINGS[key]


QUALITY_OUTCOME = register(FactType(
    name="quality_outcome",
    model=QualityOutcome,
    table="quality_outcomes",
    key=("register", "setting", "year"),
    title_sv="Kvalitetsregister, utfall mot målvärde",
    headers=_aliases({
        "register": ["Register", "Kvalitetsregister"],
        "setting": ["Verksamhet", "Boendeform", "Miljö"],
        "year": ["År"],
        "numerator": ["Täljare", "Antal uppfyllda"],
        "denominator": ["Nämnare", "Antal totalt"],
        "target_percent": ["Målvärde", "Målvärde %", "Mål %"],
    }),
))
