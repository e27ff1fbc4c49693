"""The value types of the rule language (``date``, ``number``, ``str``, ``bool``, ``list``,
``duration``, ``any``) as they follow from Python values and fact-model annotations, and the
"menade du …?" suggestion every name check uses."""

from __future__ import annotations

import difflib
import typing
from datetime import date
from enum import Enum
from typing import Any

from pydantic import BaseModel

from facts.types import unwrap_annotation


def value_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list):
        return "list"
    return "str"


def annotation_type(annotation: Any) -> str:
    annotation = unwrap_annotation(annotation)
    if annotation is date:
        return "date"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "bool"
        if issubclass(annotation, Enum):
            return "str"
        if issubclass(annotation, int | float):
            return "number"
        if issubclass(annotation, str):
            return "str"
    return "any"


def model_types(model: type[BaseModel]) -> dict[str, str]:
    return {name: annotation_type(f.annotation) for name, f in model.model_fields.items()}


def suggest(name: str, known: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; menade du {close[0]!r}?" if close else ""


