"""The registry of fact types: model, table, natural key and the headers each is exported with.

Header matching is case-insensitive and ignores surrounding spaces, a trailing dot or colon,
so ``Beslutsdat.`` and ``beslutsdatum`` both map to ``decided_on``. English field names
always work too.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from facts import models
from facts.errors import UserError


@dataclass(frozen=True)
class FactType:
    name: str
    model: type[BaseModel]
    table: str
    key: tuple[str, ...]
    title_sv: str
    headers: dict[str, str] = field(default_factory=dict)

    def field_for(self, header: str) -> str | None:
        """The model field a column header maps to, or None."""
        norm = normalise_header(header)
        if norm in self.model.model_fields:
            return norm
        return self.headers.get(norm)

    def header_for(self, field_name: str) -> str:
        """The first Swedish header documented for a field (for messages)."""
        for header, name in self.headers.items():
            if name == field_name:
                return header.capitalize()
        return field_name


def unwrap_annotation(annotation: Any) -> Any:
    """The plain type behind ``Annotated[...]`` and ``X | None``."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if args else Any
    return annotation


def normalise_header(header: object) -> str:
    text = str(header or "").strip().lower()
    text = re.sub(r"[.:]+$", "", text)
    return re.sub(r"\s+", " ", text)


def _aliases(mapping: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, headers in mapping.items():
        for h in headers:
            out[normalise_header(h)] = name
    return out


DECISION = FactType(
    name="decision",
    model=models.Decision,
    table="decisions",
    key=("id",),
    title_sv="Gynnande beslut",
    headers=_aliases({
        "id": ["Ärende", "Diarienummer", "Dnr", "Ärendenummer", "Ärende-id"],
        "law": ["Lag", "Lagrum"],
        "area": ["Verksamhet", "Verksamhetsområde"],
        "service": ["Insats", "Bistånd", "Beslut om"],
        "decided_on": ["Beslutsdatum", "Beslutsdat", "Beslutat"],
        "executed_on": ["Verkställd", "Verkställighetsdatum", "Verkställt", "Verkställt datum"],
        "interrupted_on": ["Avbrott", "Avbrottsdatum", "Avbrott datum"],
        "resumed_on": ["Återupptagen", "Återupptaget", "Åter verkställt", "Återupptaget datum"],
        "sex": ["Kön"],
        "birth_year": ["Födelseår", "Födelsedatum", "birth_date"],
        "officer": ["Handläggare", "Ansvarig handläggare"],
        "reason": ["Orsak", "Skäl"],
        "note": ["Anteckning", "Ant", "Kommentar"],
    }),
)

MEETING = FactType(
    name="meeting",
    model=models.Meeting,
    table="meetings",
    key=("body", "date"),
    title_sv="Nämndsammanträde",
    headers=_aliases({
        "body": ["Nämnd", "Organ"],
        "date": ["Datum", "Sammanträde", "Sammanträdesdatum"],
        "title": ["Rubrik", "Benämning"],
    }),
)

OBLIGATION = FactType(
    name="obligation",
    model=models.Obligation,
    table="obligations",
    key=("id",),
    title_sv="Rapporteringsskyldighet",
    headers=_aliases({
        "id": ["Id", "Nr", "Nummer"],
        "title": ["Rubrik", "Mål", "Uppdrag", "Avser"],
        "recipient": ["Rapport till", "Mottagare"],
        "form": ["Form", "Rapportform"],
        "due_on": ["Senast", "Senast datum", "Sista dag"],
        "meeting_on": ["Inför sammanträde", "Inför nämndsammanträdet", "Sammanträde"],
        "body": ["Nämnd"],
        "agreement": ["Överenskommelse", "Avtal"],
        "responsible": ["Ansvarig"],
        "source": ["Källa"],
    }),
)

SUBMISSION = FactType(
    name="submission",
    model=models.Submission,
    table="submissions",
    key=("obligation_id", "submitted_on"),
    title_sv="Inlämnad rapport",
    headers=_aliases({
        "obligation_id": ["Rapport", "Skyldighet", "Id"],
        "submitted_on": ["Inlämnad", "Inkommen", "Datum"],
        "note": ["Anteckning"],
        "period": ["Period", "Avser period"],
    }),
)

FACT_TYPES: dict[str, FactType] = {t.name: t for t in (DECISION, MEETING, OBLIGATION, SUBMISSION)}
PLURALS = {t.table: t.name for t in FACT_TYPES.values()}


def register(ft: FactType) -> FactType:
    """Add a fact type from a domain module (``facts/kinds_*.py``).

    Domain modules are imported by ``facts/__init__.py`` before the store, so every
    registered type gets its table migration.
    """
    if ft.name in FACT_TYPES or ft.table in PLURALS:
        raise ValueError(f"fact type {ft.name!r} / table {ft.table!r} is already registered")
    FACT_TYPES[ft.name] = ft
    PLURALS[ft.table] = ft.name
    return ft


class UnknownFactType(UserError, KeyError):
    """A kind of register bevaka does not know (``--kind``, a YAML top-level key)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def fact_type(name: str) -> FactType:
    """Look a fact type up by its name (``decision``) or table (``decisions``)."""
    key = PLURALS.get(name, name)
    if key not in FACT_TYPES:
        known = ", ".join(sorted(FACT_TYPES))
        raise UnknownFactType(f"okänd faktatyp {name!r}; kända typer: {known}")
    return FACT_TYPES[key]
