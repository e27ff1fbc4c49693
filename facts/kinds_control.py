"""Fact types of a committee's internal control (catalogue F11, F13) and the investigations
one control point measures (R-O05).

* ``control_point`` — one row of an internal-control plan (*internkontrollplan*, F11): what
  is checked, by whom, how often, on what sample, when it is reported and the risk
  (consequence × likelihood);
* ``control_result`` — the outcome of one performed control (F13);
* ``investigation`` — a child and youth investigation (*utredning barn och unga*, IFO BoU,
  11 kap. 1 § SoL (2001:453)), with its opening and closing dates only.

Month lists are written as municipalities print them (``Mars och september``, ``VON
maj/nov``) and kept as written; the month numbers are also stored, as text (``3,9``) and as
the numbered fields ``measure_month_1``…``_4`` / ``report_month_1``…``_4`` that rules put in a
list: ``months=[report_month_1, report_month_2, report_month_3, report_month_4]``. A text
that is not a month list rejects the row. No personal data: owners are role keys or e-mail
addresses, investigations are case references.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from pydantic import field_validator, model_validator

from facts import types
from facts.models import (
    Date,
    Fact,
    OptDate,
    OptStr,
    _blank_to_none,
    check_case_ref,
    check_recipient,
)
from facts.types import FactType, _aliases

MAX_MONTHS = 4  # numbered month fields per list (measure_month_1 … _4, report_month_1 … _4)
MAX_LEVEL = 10  # the largest risk matrix bevaka accepts (10 × 10); the rules check the size

_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "mars": 3, "mar": 3, "april": 4, "apr": 4,
    "maj": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augusti": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_SEPARATORS = {"och", "samt", "&", "/", ",", "+", ";"}
_TOKEN = re.compile(r"[^\s,/&+;]+|[,/&+;]")

# Titles as plans print them → the role key in config.toml [roles].
_OWNER_TITLES = {
    "us": "us",
    "utvecklingsstrateg": "us",
    "mas": "mas",
    "medicinskt ansvarig sjuksköterska": "mas",
    "1:e socialsekreterare": "forsta_socialsekreterare",
    "1:e soc. sekreterare": "forsta_socialsekreterare",
    "1:e soc sekreterare": "forsta_socialsekreterare",
    "1:e soc.sekreterare": "forsta_socialsekreterare",
    "förste socialsekreterare": "forsta_socialsekreterare",
    "första socialsekreterare": "forsta_socialsekreterare",
}


def _month(token: str) -> int | None:
    word = token.strip().strip(".").lower()
    if word.isdigit() and 1 <= int(word) <= 12:
        return int(word)
    return _MONTHS.get(word)


def parse_months(text: str) -> list[int]:
    """``Mars och september`` → [3, 9]; ``maj/nov`` → [5, 11]; ``3,9`` → [3, 9].

    Raises ValueError (in Swedish) for a word that is not a month.
    """
    months: list[int] = []
    for token in _TOKEN.findall(text):
        if token.lower() in _SEPARATORS:
            continue
        m = _month(token)
        if m is None:
            raise ValueError(f"{text!r}: {token!r} är ingen månad; skriv t.ex. Mars och september")
        if m not in months:
            months.append(m)
    if not months:
        raise ValueError(f"{text!r} innehåller ingen månad; skriv t.ex. Mars och september")
    if len(months) > MAX_MONTHS:
        raise ValueError(f"{text!r}: högst {MAX_MONTHS} månader")
    return sorted(months)


def parse_reporting(text: str) -> tuple[str, list[int]]:
    """``VON maj/nov`` → ("VON", [5, 11]): the committee, then the months it is reported in."""
    tokens = list(_TOKEN.finditer(text))
    first = next((t for t in tokens if _month(t.group()) is not None), None)
    if first is None:
        raise ValueError(f"{text!r} anger inga månader; skriv t.ex. VON maj/nov")
    body = text[: first.start()].strip(" ,/-")
    return body or "VON", parse_months(text[first.start():])


def required_sample(scope: str | None) -> int | None:
    """The number of items a measurement must cover, from the scope (*Omfattning*).

    ``5 st/mätning`` → 5; ``5 + 5 st / mätning`` → 10; ``Samtliga …`` (all) or a scope with
    no number → None (no number to check against).
    """
    if not scope or scope.strip().lower().startswith("samtliga"):
        return None
    numbers = [int(n) for n in re.findall(r"\d+", scope)]
    return sum(numbers) if numbers else None


def _level(value: Any, what: str) -> Any:
    value = _blank_to_none(value)
    if value is None:
        return None
    text = str(value).strip()
    if not re.fullmatch(r"\d+(\.0+)?", text):
        raise ValueError(f"{text!r} är ingen {what}snivå; skriv en siffra 1–5")
    level = int(float(text))
    if not 1 <= level <= MAX_LEVEL:
        raise ValueError(f"{what}snivån {level} ligger utanför 1–{MAX_LEVEL}")
    return level


def _whole(value: Any, what: str) -> Any:
    value = _blank_to_none(value)
    if value is None:
        return None
    text = str(value).strip().rstrip(".")
    if not re.fullmatch(r"\d+(\.0+)?", text):
        raise ValueError(f"{text!r} är inget {what}; skriv ett heltal")
    return int(float(text))


class ControlPoint(Fact):
    """One point of an internal-control plan (internkontrollpunkt). Catalogue F11."""

    plan: str
    year: int
    nr: int
    area: str
    control_step: str
    owner: str
    scope: OptStr = None
    required_sample: int | None = None
    frequency: OptStr = None
    months_measured: OptStr = None
    measure_months: OptStr = None
    measure_month_1: int | None = None
    measure_month_2: int | None = None
    measure_month_3: int | None = None
    measure_month_4: int | None = None
    sample_method: OptStr = None
    reporting: OptStr = None
    report_body: OptStr = None
    report_months: OptStr = None
    report_month_1: int | None = None
    report_month_2: int | None = None
    report_month_3: int | None = None
    report_month_4: int | None = None
    consequence: int
    likelihood: int
    risk_stated: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        """Month numbers, the committee and the sample size follow from the texts.

        A text that does not parse is left for its field validator, which names the column.
        """
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if _blank_to_none(data.get("year")) is None:
            found = re.search(r"\b(20\d\d)\b", str(data.get("plan") or ""))
            if found:
                data["year"] = found.group(1)
        measured = _blank_to_none(data.get("months_measured")) or _blank_to_none(
            data.get("measure_months"))
        months: list[int] = []
        if measured is not None:
            with contextlib.suppress(ValueError):
                months = parse_months(str(measured))
        data["measure_months"] = ",".join(map(str, months)) or None
        for i in range(MAX_MONTHS):
            data[f"measure_month_{i + 1}"] = months[i] if i < len(months) else None
        reporting = _blank_to_none(data.get("reporting"))
        body: str | None = None
        rmonths: list[int] = []
        if reporting is not None:
            with contextlib.suppress(ValueError):
                body, rmonths = parse_reporting(str(reporting))
        data["report_body"] = body
        data["report_months"] = ",".join(map(str, rmonths)) or None
        for i in range(MAX_MONTHS):
            data[f"report_month_{i + 1}"] = rmonths[i] if i < len(rmonths) else None
        if _blank_to_none(data.get("required_sample")) is None:
            data["required_sample"] = required_sample(_blank_to_none(data.get("scope")))
        return data

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: Any) -> Any:
        year = _whole(v, "årtal")
        if year is None:
            raise ValueError("årtal saknas (ange År eller ett årtal i planens namn)")
        if not 2000 <= year <= 2100:
            raise ValueError(f"{year} är inget rimligt planår")
        return year

    @field_validator("nr", mode="before")
    @classmethod
    def _nr(cls, v: Any) -> Any:
        nr = _whole(v, "punktnummer")
        if nr is None or nr < 1:
            raise ValueError("punktens nummer saknas")
        return nr

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, v: Any) -> Any:
        text = " ".join(str(v or "").split())
        if not text:
            raise ValueError("kontrollansvarig saknas")
        return _OWNER_TITLES.get(text.lower()) or check_recipient(text)

    @field_validator("months_measured", mode="before")
    @classmethod
    def _months_measured(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        if v is not None:
            parse_months(str(v))
        return v

    @field_validator("reporting", mode="before")
    @classmethod
    def _reporting(cls, v: Any) -> Any:
        v = _blank_to_none(v)
        if v is not None:
            parse_reporting(str(v))
        return v

    @field_validator("required_sample", mode="before")
    @classmethod
    def _required(cls, v: Any) -> Any:
        return _whole(v, "antal")

    @field_validator("consequence", mode="before")
    @classmethod
    def _consequence(cls, v: Any) -> Any:
        level = _level(v, "konsekvens")
        if level is None:
            raise ValueError("konsekvens saknas")
        return level

    @field_validator("likelihood", mode="before")
    @classmethod
    def _likelihood(cls, v: Any) -> Any:
        level = _level(v, "sannolikhets")
        if level is None:
            raise ValueError("sannolikhet saknas")
        return level

    @field_validator("risk_stated", mode="before")
    @classmethod
    def _risk(cls, v: Any) -> Any:
        risk = _whole(v, "riskvärde")
        if risk is not None and not 1 <= risk <= MAX_LEVEL * MAX_LEVEL:
            raise ValueError(f"risken {risk} ligger utanför 1–{MAX_LEVEL * MAX_LEVEL}")
        return risk


class ControlResult(Fact):
    """The outcome of one performed control: how many items, how many deviations. F13."""

    plan: str
    nr: int
    performed_on: Date
    sample_size: int
    deviations: int
    action_plan_due: OptDate = None
    reported_on: OptDate = None

    @field_validator("nr", mode="before")
    @classmethod
    def _nr(cls, v: Any) -> Any:
        nr = _whole(v, "punktnummer")
        if nr is None or nr < 1:
            raise ValueError("punktens nummer saknas")
        return nr

    @field_validator("sample_size", "deviations", mode="before")
    @classmethod
    def _count(cls, v: Any) -> Any:
        n = _whole(v, "antal")
        if n is None:
            raise ValueError("antal saknas (skriv 0 om inget)")
        return n

    @model_validator(mode="after")
    def _order(self) -> ControlResult:
        if self.reported_on and self.reported_on < self.performed_on:
            raise ValueError("rapporterad före kontrollen utfördes")
        if self.action_plan_due and self.action_plan_due < self.performed_on:
            raise ValueError("åtgärdsplanens datum ligger före kontrollen")
        return self


class Investigation(Fact):
    """A child and youth investigation (IFO BoU, 11 kap. 1 § SoL). Case reference and dates
    only; never a personnummer."""

    id: str
    opened_on: Date
    closed_on: OptDate = None
    unit: OptStr = None

    @field_validator("id", mode="before")
    @classmethod
    def _case(cls, v: Any) -> str:
        return check_case_ref(v)

    @model_validator(mode="after")
    def _order(self) -> Investigation:
        if self.closed_on and self.closed_on < self.opened_on:
            raise ValueError("avslutad före inledd")
        return self


CONTROL_POINT = types.register(FactType(
    name="control_point",
    model=ControlPoint,
    table="control_points",
    key=("plan", "nr"),
    title_sv="Internkontrollpunkt",
    headers=_aliases({
        "plan": ["Plan", "Internkontrollplan"],
        "year": ["År", "Planår"],
        "nr": ["Nr", "Punkt", "Kontrollpunkt"],
        "area": ["Rutin/System (område)", "Rutin /System (område)", "Rutin/system",
                 "Rutin/System", "Område"],
        "control_step": ["Kontrollmoment"],
        "owner": ["Kontrollansvarig", "Kontroll-ansvarig", "Ansvarig"],
        "scope": ["Omfattning"],
        "required_sample": ["Antal per mätning"],
        "frequency": ["Frekvens"],
        "months_measured": ["Mätmånader", "Mätmånad"],
        "sample_method": ["Urval", "Urvalsmetod"],
        "reporting": ["Rapportering", "Rapporteras"],
        "consequence": ["Konsekvens"],
        "likelihood": ["Sannolikhet"],
        "risk_stated": ["Risk", "Riskvärde"],
    }),
))

CONTROL_RESULT = types.register(FactType(
    name="control_result",
    model=ControlResult,
    table="control_results",
    key=("plan", "nr", "performed_on"),
    title_sv="Kontrollresultat",
    headers=_aliases({
        "plan": ["Plan", "Internkontrollplan"],
        "nr": ["Nr", "Punkt", "Kontrollpunkt"],
        "performed_on": ["Utförd", "Genomförd", "Kontrolldatum"],
        "sample_size": ["Antal granskade", "Granskade", "Urvalsstorlek"],
        "deviations": ["Avvikelser", "Antal avvikelser"],
        "action_plan_due": ["Åtgärdsplan senast", "Åtgärdsplan"],
        "reported_on": ["Rapporterad", "Rapporterad till nämnd", "Redovisad"],
    }),
))

INVESTIGATION = types.register(FactType(
    name="investigation",
    model=Investigation,
    table="investigations",
    key=("id",),
    title_sv="Utredning barn och unga",
    headers=_aliases({
        "id": ["Utredning", "Ärende", "Dnr", "Diarienummer"],
        "opened_on": ["Inledd", "Utredning inledd", "Inledningsdatum"],
        "closed_on": ["Avslutad", "Utredning avslutad", "Avslutsdatum"],
        "unit": ["Enhet", "Arbetsgrupp"],
    }),
))
