"""The registry of fact types: model, table, natural key and the headers each is exported with.

Each model declares its fields' Swedish headers on the fields themselves
(:func:`facts.fields.header`). Header matching is case-insensitive and ignores surrounding
spaces, a trailing dot or colon, so ``Beslutsdat.`` and ``beslutsdatum`` both map to
``decided_on``. English field names always work too.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from facts import models
from facts.errors import UserError
from facts.fields import headers_of


@dataclass(frozen=True)
class FactType:
    """A fact type. ``headers`` (normalised header → field) is read from the model's fields
    (declared with :func:`facts.fields.header`) unless given."""

    name: str
    model: type[BaseModel]
    table: str
    key: tuple[str, ...]
    title_sv: str
    headers: dict[str, str] = field(default_factory=dict)
    #: the key field a list's date fills when the file has no such column (a balanslista's
    #: date is in its title, its file name or ``--list-date``)
    dated_by: str | None = None
    #: the key field numbered by position (1, 2, …) when the file has no such column
    numbered_by: str | None = None

    def __post_init__(self) -> None:
        if not self.headers:
            object.__setattr__(self, "headers", model_headers(self.model))

    def field_for(self, header: str) -> str | None:
        """The model field a column header maps to, or None."""
        norm = normalise_header(header)
        if norm in self.model.model_fields:
            return norm
        return self.headers.get(norm)

    def header_for(self, field_name: str) -> str:
        """The first Swedish header documented for a field (for messages)."""
        info = self.model.model_fields.get(field_name)
        declared = headers_of(info.json_schema_extra) if info else []
        if declared:
            return declared[0]
        for header, name in self.headers.items():
            if name == field_name:
                return header.capitalize()
        return field_name


def model_headers(model: type[BaseModel]) -> dict[str, str]:
    """Normalised header → field name, from the headers declared on the model's fields.

    A header declared for two fields is an error: a column must map to one field.
    """
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        for header in headers_of(info.json_schema_extra):
            norm = normalise_header(header)
            if out.get(norm, name) != name:
                raise ValueError(f"{model.__name__}: header {header!r} is declared for both "
                                 f"{out[norm]!r} and {name!r}")
            out[norm] = name
    return out


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


DECISION = FactType(name="decision", model=models.Decision, table="decisions", key=("id",),
                    title_sv="Gynnande beslut")
MEETING = FactType(name="meeting", model=models.Meeting, table="meetings", key=("body", "date"),
                   title_sv="Nämndsammanträde")
OBLIGATION = FactType(name="obligation", model=models.Obligation, table="obligations",
                      key=("id",), title_sv="Rapporteringsskyldighet")
SUBMISSION = FactType(name="submission", model=models.Submission, table="submissions",
                      key=("obligation_id", "submitted_on"), title_sv="Inlämnad rapport")

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
        names = sorted(PLURALS)
        close = difflib.get_close_matches(str(name), [*names, *FACT_TYPES], n=1)
        table = (close[0] if close[0] in PLURALS else FACT_TYPES[close[0]].table) if close else ""
        hint = f"menade du {table}?" if close else ""
        known = ", ".join(names)
        raise UnknownFactType(f"okänd registertyp {name!r}; {hint + ' ' if hint else ''}"
                              f"kända typer: {known}")
    return FACT_TYPES[key]
