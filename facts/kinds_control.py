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
from typing import Annotated, Any

from pydantic import BeforeValidator, field_validator

from facts.fields import (
    CaseRef,
    Date,
    OptDate,
    OptStr,
    Text,
    blank_to_none,
    check_recipient,
    count,
    derive,
    header,
    in_order,
    month_list,
    month_of_token,
    month_tokens,
    number,
    parse_months,
    text_cell,
    years,
)
from facts.models import Fact
from facts.types import FactType, register

MAX_MONTHS = 4  # numbered month fields per list (measure_month_1 … _4, report_month_1 … _4)
MAX_LEVEL = 10  # the largest risk matrix bevaka accepts (10 × 10); the rules check the size

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


def parse_reporting(text: str) -> tuple[str, list[int]]:
    """``VON maj/nov`` → ("VON", [5, 11]): the committee, then the months it is reported in."""
    first = next((t for t in month_tokens(text) if month_of_token(t.group()) is not None), None)
    if first is None:
        raise ValueError(f"{text!r} anger inga månader; skriv t.ex. VON maj/nov")
    body = text[: first.start()].strip(" ,/-")
    return body or "VON", parse_months(text[first.start():], MAX_MONTHS)


def required_sample(scope: str | None) -> int | None:
    """The number of items a measurement must cover, from the scope (*Omfattning*).

    ``5 st/mätning`` → 5; ``5 + 5 st / mätning`` → 10; ``Samtliga …`` (all) or a scope with
    no number → None (no number to check against).
    """
    if not scope or scope.strip().lower().startswith("samtliga"):
        return None
    numbers = [int(n) for n in re.findall(r"\d+", scope)]
    return sum(numbers) if numbers else None


def _level(what: str, level: str) -> BeforeValidator:
    """A risk level 1–MAX_LEVEL (``konsekvens``, ``konsekvensnivå``)."""
    return number(what, whole=True, missing=f"{what} saknas",
                  invalid=f"{{value!r}} är ingen {level}; skriv en siffra 1–5",
                  accept=lambda n: 1 <= n <= MAX_LEVEL,
                  rejected=f"{level}n {{number}} ligger utanför 1–{MAX_LEVEL}")


_POINT_NR = number("punktnummer", whole=True, missing="punktens nummer saknas",
                   accept=lambda n: n >= 1, rejected="{value!r}: punktens nummer börjar på 1")


def _text_or_none(value: Any) -> str | None:
    value = text_cell(blank_to_none(value))
    return None if value is None else str(value)


class ControlPoint(Fact):
    """One point of an internal-control plan (internkontrollpunkt). Catalogue F11."""

    plan: Text = header("Plan", "Internkontrollplan")
    year: Annotated[int, years(what="planår", missing="årtal saknas (ange År eller ett årtal "
                                                      "i planens namn)")] = header("År", "Planår")
    nr: Annotated[int, _POINT_NR] = header("Nr", "Punkt", "Kontrollpunkt")
    area: Text = header("Rutin/System (område)", "Rutin /System (område)", "Rutin/system",
                        "Rutin/System", "Område")
    control_step: Text = header("Kontrollmoment")
    owner: str = header("Kontrollansvarig", "Kontroll-ansvarig", "Ansvarig")
    scope: OptStr = header("Omfattning", default=None)
    required_sample: Annotated[int | None, count(missing=None)] = header("Antal per mätning",
                                                                          default=None)
    frequency: OptStr = header("Frekvens", default=None)
    months_measured: Annotated[str | None, month_list(MAX_MONTHS)] = header(
        "Mätmånader", "Mätmånad", default=None)
    measure_months: OptStr = None
    measure_month_1: int | None = None
    measure_month_2: int | None = None
    measure_month_3: int | None = None
    measure_month_4: int | None = None
    sample_method: OptStr = header("Urval", "Urvalsmetod", default=None)
    reporting: OptStr = header("Rapportering", "Rapporteras", default=None)
    report_body: OptStr = None
    report_months: OptStr = None
    report_month_1: int | None = None
    report_month_2: int | None = None
    report_month_3: int | None = None
    report_month_4: int | None = None
    consequence: Annotated[int, _level("konsekvens", "konsekvensnivå")] = header("Konsekvens")
    likelihood: Annotated[int, _level("sannolikhet", "sannolikhetsnivå")] = header("Sannolikhet")
    risk_stated: Annotated[int | None, number(
        "riskvärde", whole=True, missing=None, accept=lambda r: 1 <= r <= MAX_LEVEL * MAX_LEVEL,
        rejected=f"risken {{number}} ligger utanför 1–{MAX_LEVEL * MAX_LEVEL}")] = header(
        "Risk", "Riskvärde", default=None)

    @derive
    def _derived(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Month numbers, the committee and the sample size follow from the texts.

        A text that does not parse is left for its field validator, which names the column.
        """
        if blank_to_none(data.get("year")) is None:
            found = re.search(r"\b(20\d\d)\b", str(data.get("plan") or ""))
            if found:
                data["year"] = found.group(1)
        measured = _text_or_none(data.get("months_measured")) or _text_or_none(
            data.get("measure_months"))
        months: list[int] = []
        if measured is not None:
            with contextlib.suppress(ValueError):
                months = parse_months(measured, MAX_MONTHS)
        reporting = _text_or_none(data.get("reporting"))
        body: str | None = None
        rmonths: list[int] = []
        if reporting is not None:
            with contextlib.suppress(ValueError):
                body, rmonths = parse_reporting(reporting)
        data["report_body"] = body
        for prefix, found_months in (("measure", months), ("report", rmonths)):
            data[f"{prefix}_months"] = ",".join(map(str, found_months)) or None
            for i in range(MAX_MONTHS):
                data[f"{prefix}_month_{i + 1}"] = found_months[i] if i < len(found_months) else None
        if blank_to_none(data.get("required_sample")) is None:
            data["required_sample"] = required_sample(_text_or_none(data.get("scope")))
        return data

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, v: Any) -> Any:
        owner = " ".join(str(text_cell(v) or "").split())
        if not owner:
            raise ValueError("kontrollansvarig saknas")
        return _OWNER_TITLES.get(owner.lower()) or check_recipient(owner)

    @field_validator("reporting", mode="before")
    @classmethod
    def _reporting(cls, v: Any) -> Any:
        reporting = _text_or_none(v)
        if reporting is not None:
            parse_reporting(reporting)
        return reporting


CONTROL_POINT = register(FactType(
    "control_point", ControlPoint, table="control_points", key=("plan", "nr"),
    title_sv="Internkontrollpunkt"))


class ControlResult(Fact):
    """The outcome of one performed control: how many items, how many deviations. F13."""

    plan: Text = header("Plan", "Internkontrollplan")
    nr: Annotated[int, _POINT_NR] = header("Nr", "Punkt", "Kontrollpunkt")
    performed_on: Date = header("Utförd", "Genomförd", "Kontrolldatum")
    sample_size: Annotated[int, count("antal saknas (skriv 0 om inget)")] = header(
        "Antal granskade", "Granskade", "Urvalsstorlek")
    deviations: Annotated[int, count("antal saknas (skriv 0 om inget)")] = header(
        "Avvikelser", "Antal avvikelser")
    action_plan_due: OptDate = header("Åtgärdsplan senast", "Åtgärdsplan", default=None)
    reported_on: OptDate = header("Rapporterad", "Rapporterad till nämnd", "Redovisad",
                                  default=None)

    _order = in_order(("performed_on", "reported_on", "rapporterad före kontrollen utfördes"),
                      ("performed_on", "action_plan_due", "åtgärdsplanens datum ligger före kontrollen"))


CONTROL_RESULT = register(FactType(
    "control_result", ControlResult, table="control_results", key=("plan", "nr", "performed_on"),
    title_sv="Kontrollresultat"))


class Investigation(Fact):
    """A child and youth investigation (IFO BoU, 11 kap. 1 § SoL). Case reference and dates
    only; never a personnummer."""

    id: CaseRef = header("Utredning", "Ärende", "Dnr", "Diarienummer")
    opened_on: Date = header("Inledd", "Utredning inledd", "Inledningsdatum")
    closed_on: OptDate = header("Avslutad", "Utredning avslutad", "Avslutsdatum", default=None)
    unit: OptStr = header("Enhet", "Arbetsgrupp", default=None)

    _order = in_order(("opened_on", "closed_on", "avslutad före inledd"))


INVESTIGATION = register(FactType(
    "investigation", Investigation, table="investigations", key=("id",),
    title_sv="Utredning barn och unga"))
