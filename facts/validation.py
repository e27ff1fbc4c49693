"""Validate a sheet's rows as facts of one type, a batch at a time.

The header row is mapped to fields once per file (with :meth:`FactType.field_for`, the one
place that decides which header is which field). Each batch of rows is validated by one call
of a pydantic ``TypeAdapter(list[model])`` — the model is the one definition of a valid row —
and, when every row of it is good, becomes staging rows: the JSON-mode values, the row number
and the content hash. A bad row is ``rad N, kolumn X: …``, as the person sees the file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from facts.personnummer import contains_personnummer, replace_personnummer
from facts.pydantic_sv import message_sv
from facts.readers import ABSENT, Sheet
from facts.store import digest
from facts.types import FactType

BATCH_ROWS = 500  # rows per validation call and executemany() into the stage (measured best)


@dataclass(frozen=True)
class Columns:
    """A sheet's columns as fields: ``fields[i]`` is column i's field, ``headers`` the
    header each field has in the file."""

    fields: list[str]
    headers: dict[str, str]


def map_columns(ft: FactType, headers: list[str]) -> tuple[Columns, list[str]]:
    """The sheet's columns as fields of ``ft``, and a problem per header that is no field, a
    field a column before it already is, or a header written twice."""
    problems: list[str] = []
    by_field: dict[str, str] = {}
    fields = {h: ft.field_for(h) for h in headers}
    seen: set[str] = set()
    for header in headers:
        if header in seen:
            problems.append(f"kolumn {header!r} finns två gånger i rubrikraden; ta bort den ena")
        seen.add(header)
    for header, name in fields.items():
        if name is None:
            problems.append(f"kolumn {header!r}: okänd rubrik för {ft.title_sv.lower()}")
        elif name in by_field:
            problems.append(f"kolumn {header!r}: samma fält som kolumn {by_field[name]!r}")
        else:
            by_field[name] = header
    return Columns([fields[h] or h for h in headers], by_field), problems


def batches(sheet: Sheet, columns: Columns, size: int = BATCH_ROWS
            ) -> Iterator[tuple[list[int], list[dict[str, Any]]]]:
    """The sheet's rows ``size`` at a time, as row numbers and ``{field: cell}`` dicts."""
    fields = columns.fields
    while chunk := list(islice(sheet.rows, size)):
        numbers = [number for number, _ in chunk]
        # not strict: a short row has no cells for the last columns (their fields' defaults apply)
        if sheet.sparse:
            data = [{f: c for f, c in zip(fields, cells, strict=False) if c is not ABSENT}
                    for _, cells in chunk]
        else:
            data = [dict(zip(fields, cells, strict=False)) for _, cells in chunk]
        yield numbers, data


@functools.cache
def _adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


class BatchValidator:
    """Validates batches of one sheet's rows as facts of ``ft``."""

    def __init__(self, ft: FactType, columns: Columns, filled: frozenset[str] = frozenset()):
        self.ft, self.columns = ft, columns
        self.adapter = _adapter(ft.model)
        self.present = set(columns.headers) | filled
        #: required fields whose column the file does not have (one problem, not one a row)
        self.absent: list[str] = []

    def absent_problem(self, headers: list[str]) -> str:
        """One line for the required columns the file lacks, with the headers it has."""
        names = ", ".join(repr(self.ft.header_for(f)) for f in self.absent)
        found = ", ".join(repr(h) for h in headers) or "inga"
        what = "kolumnen" if len(self.absent) == 1 else "kolumnerna"
        return (f"{what} {names} saknas (krävs för {self.ft.title_sv.lower()}); "
                f"rubrikerna i filen är {found}")

    def __call__(self, numbers: list[int], data: list[dict[str, Any]]
                 ) -> tuple[list[tuple[Any, ...]], list[str]]:
        """``(staging rows, [])`` for a good batch, ``([], problems)`` for one with a bad row."""
        try:
            models = self.adapter.validate_python(data)
        except ValidationError as exc:
            errors = exc.errors()
            found = [self._problem(numbers, err) for err in errors]
            # the failing rows' cells as written: a personnummer there is named too, so that
            # fixing the other error does not reveal a second one on the next attempt
            named = {(int(e["loc"][0]), str(e["loc"][1])) for e in errors if len(e["loc"]) > 1}
            for index in sorted({int(err["loc"][0]) for err in errors if err.get("loc")}):
                rest = {k: v for k, v in data[index].items() if (index, k) not in named}
                found.extend(self._personnummer(numbers[index], rest))
            return [], [p for p in dict.fromkeys(found) if p is not None]
        staged: list[tuple[Any, ...]] = []
        problems: list[str] = []
        for number, record in zip(numbers, self.adapter.dump_python(models, mode="json"),
                                  strict=True):
            values = tuple(record.values())
            problems.extend(self._personnummer(number, record))
            staged.append((*values, number, digest(values)))
        return ([], problems) if problems else (staged, [])

    def _personnummer(self, number: int, record: dict[str, Any]) -> list[str]:
        """A personnummer or samordningsnummer in any text field rejects the row, naming the
        column: it would otherwise reach the audit log, which cannot be erased."""
        out = []
        for name, value in record.items():
            if isinstance(value, str) and contains_personnummer(value):  # its own fast exit
                column = self.columns.headers.get(name) or self.ft.header_for(name)
                out.append(f"rad {number}, kolumn {column}: innehåller ett personnummer eller "
                           "samordningsnummer; ta bort det (använd ärendets diarienummer)")
        return out

    def _problem(self, numbers: list[int], err: Any) -> str | None:
        index, *loc = err["loc"]
        number = numbers[index]
        name = str(loc[0]) if loc else None
        if err.get("type") == "missing" and name and name not in self.present:
            if name not in self.absent:
                self.absent.append(name)
            return None
        column = self.columns.headers.get(name) if name else None
        if name and not column:
            column = self.ft.header_for(name)
        where = f"rad {number}, kolumn {column}" if column else f"rad {number}"
        # a validator's own message may quote the cell: never the personnummer in it
        return replace_personnummer(f"{where}: {message(err)}")


# pydantic's own errors (its messages are English) by type, as the Swedish text
def _shown_input(value: Any) -> str:
    if isinstance(value, str):
        value = replace_personnummer(value)
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def message(err: Any) -> str:
    """A pydantic error as the Swedish text after ``rad N, kolumn X:``: our validators'
    own (Swedish) messages, or a Swedish text for pydantic's error type."""
    kind = str(err.get("type", ""))
    msg = str(err.get("msg", ""))
    if kind == "missing":
        return "värde saknas"
    if kind == "extra_forbidden":
        return "okänt fält"
    if kind in ("value_error", "assertion_error"):
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        if msg.startswith("None "):  # a validator that printed an empty cell's repr
            hint = msg.split(";", 1)
            return "värde saknas" + (f";{hint[1]}" if len(hint) > 1 else "")
        return msg
    text = message_sv(err)  # pydantic's own kinds: the one translation rules and config use
    value = err.get("input")
    return f"{_shown_input(value)} {text}" if value is not None else f"värdet {text}"
