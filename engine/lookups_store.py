"""Other facts for look-ups, and stored fact rows as the values expressions see.

:class:`StoreLookups` reads one organisation's facts of a type once per refresh (typed like
the models) and indexes them by the fields look-ups filter on; another organisation's facts
are never seen. :func:`typed_env` turns a stored row into expression values (dates as
``date``; ``org`` and provenance dropped).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from engine.rules.valuetypes import model_types
from facts.store import ORG, load_facts
from facts.types import FACT_TYPES, FactType


class StoreLookups:
    """Other facts of one organisation for look-ups and the meeting functions, read once per
    refresh and typed like the models. Another organisation's facts are never seen."""

    def __init__(self, db: Database, org: str):
        self.db = db
        self.org = org
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._index: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], list[dict[str, Any]]]] = {}

    def rows(self, fact_type: str) -> list[dict[str, Any]]:
        if fact_type not in self._cache:
            ft = FACT_TYPES[fact_type]
            self._cache[fact_type] = [typed_env(ft, r) for r in load_facts(self.db, ft, self.org)]
        return self._cache[fact_type]

    def index(self, fact_type: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
        """Rows grouped by the values of ``keys`` (dates as ISO text), built once per refresh."""
        cache_key = (fact_type, keys)
        if cache_key not in self._index:
            grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
            for row in self.rows(fact_type):
                k = tuple(_json(row.get(name)) for name in keys)
                grouped.setdefault(k, []).append(row)
            self._index[cache_key] = grouped
        return self._index[cache_key]

    def meetings(self, body: str) -> list[date]:
        return [r["date"] for r in self.rows("meeting") if r["body"] == body]


_DATE_FIELDS: dict[str, set[str]] = {}


def date_fields(ft: FactType) -> set[str]:
    """The fields of ``ft`` that are dates (stored as ISO text)."""
    if ft.name not in _DATE_FIELDS:
        _DATE_FIELDS[ft.name] = {k for k, t in model_types(ft.model).items() if t == "date"}
    return _DATE_FIELDS[ft.name]


def typed_env(ft: FactType, row: dict[str, Any]) -> dict[str, Any]:
    """A stored fact row as expression values: dates as ``date``, provenance dropped."""
    dates = date_fields(ft)
    env = {}
    for k, v in row.items():
        if k.startswith("_") or k == ORG:
            continue
        env[k] = iso_date(v) if k in dates and v is not None else v
    return env


_DATE_CACHE: dict[str, date] = {}


def iso_date(text: str) -> date:
    d = _DATE_CACHE.get(text)
    if d is None:
        d = _DATE_CACHE[text] = date.fromisoformat(text)
    return d


def fact_key(ft: FactType, env: dict[str, Any]) -> str:
    return "|".join(str(env[k]) for k in ft.key)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
