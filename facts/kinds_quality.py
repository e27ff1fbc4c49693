"""The quality-register outcomes of the Nyköping VON–DSO agreements (catalogue F21, §2.4).

* ``quality_outcome`` — a quality register's outcome in a setting for a year, against its
  target: ``Senior alert``, ``HALT``, ``Palliativregistret``, ``BPSD`` or ``SveDem`` in
  ``hemsjukvård``, ``säbo``, ``dbo`` or ``all``.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any

from pydantic import field_validator

from facts.fields import blank_to_none, count, derive, header, in_order, number, parse_year, years
from facts.models import Fact
from facts.types import FactType, register
from facts.vocabulary import SPACES

_REGISTERS = {"senior alert": "Senior alert", "halt": "HALT", "palliativregistret": "Palliativregistret",
              "svenska palliativregistret": "Palliativregistret",
              "palliativa registret": "Palliativregistret", "bpsd": "BPSD", "svedem": "SveDem"}
_SETTINGS = {"hemsjukvård": "hemsjukvård", "säbo": "säbo", "särskilt boende": "säbo",
             "dbo": "dbo", "demensboende": "dbo", "all": "all", "alla": "all",
             "samtliga": "all"}


def _register(v: Any) -> str:
    key = SPACES.sub(" ", str(v or "")).strip().lower()
    if key not in _REGISTERS:
        raise ValueError(f"{v!r} är inget kvalitetsregister bevaka känner; skriv Senior alert, "
                         "HALT, Palliativregistret, BPSD eller SveDem")
    return _REGISTERS[key]


def _setting(v: Any) -> str:
    key = SPACES.sub(" ", str(v or "")).strip().lower()
    if key not in _SETTINGS:
        raise ValueError(f"{v!r} är ingen verksamhet; skriv hemsjukvård, säbo, dbo eller all")
    return _SETTINGS[key]


# pydantic warns that the field "register" shadows ABCMeta.register of the model class; the
# field is what the registers and the catalogue call it, and instances read it normally.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

    class QualityOutcome(Fact):
        """A quality register's outcome in a setting for a year, against its target. F21.

        ``id`` is made from the key: ``Senior alert/säbo/2024``.
        """

        register: str = header("Register", "Kvalitetsregister")
        setting: str = header("Verksamhet", "Boendeform", "Miljö")
        year: Annotated[int, years(missing="år saknas")] = header("År")
        numerator: Annotated[int, count()] = header("Täljare", "Antal uppfyllda")
        denominator: Annotated[int, count()] = header("Nämnare", "Antal totalt")
        target_percent: Annotated[float, number(
            "målvärde i procent", missing="målvärde saknas", accept=lambda t: 0 <= t <= 100,
            rejected="{value!r}: målvärdet ska vara 0–100 %")] = header(
            "Målvärde", "Målvärde %", "Mål %")
        id: str

        @derive
        def _id(cls, data: dict[str, Any]) -> dict[str, Any]:
            try:
                made = (f"{_register(data.get('register'))}/{_setting(data.get('setting'))}/"
                        f"{parse_year(data.get('year'))}")
            except ValueError:
                made = "?"  # the field validators report what is wrong
            given = blank_to_none(data.get("id"))
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

        _order = in_order(("numerator", "denominator", "täljaren är större än nämnaren"))


QUALITY_OUTCOME = register(FactType(
    "quality_outcome", QualityOutcome, table="quality_outcomes", key=("register", "setting", "year"),
    title_sv="Kvalitetsregister, utfall mot målvärde"))
