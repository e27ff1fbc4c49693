"""Import register files into the facts store, all or nothing per file.

A file with any bad row is rejected whole: :class:`FactImportError` lists every bad row as
``rad N, kolumn X: what is wrong`` and nothing from that file is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlite_utils import Database

from facts.errors import UserError
from facts.orgs import DEFAULT_ORG, check_org
from facts.readers import ReadError, Table, read_table
from facts.store import upsert_facts
from facts.types import FACT_TYPES, FactType, fact_type


class FactImportError(UserError):
    """A file was rejected. ``problems`` holds one line per bad row and column."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        head = f"{path}: filen avvisades, inget importerades ({len(problems)} fel)"
        super().__init__("\n".join([head, *("  " + p for p in problems)]))


@dataclass
class ImportResult:
    path: str
    kind: str
    org: str
    rows: int
    changed: int
    unchanged: int


@dataclass
class ImportReport:
    files: list[ImportResult] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(f.changed for f in self.files)


def guess_kind(table: Table) -> FactType:
    """The fact type whose headers and key best cover the table's columns."""
    if table.kind_hint:
        return fact_type(table.kind_hint)
    headers = table.headers
    best: tuple[int, FactType] | None = None
    for ft in FACT_TYPES.values():
        mapped = {ft.field_for(h) for h in headers} - {None}
        if not set(ft.key) <= mapped:
            continue
        score = len(mapped)
        if best is None or score > best[0]:
            best = (score, ft)
    if best is None:
        raise FactImportError(
            table.path,
            ["kan inte avgöra vilken sorts register filen är; ange --kind "
             + "|".join(sorted(t.table for t in FACT_TYPES.values()))],
        )
    return best[1]


def validate_table(table: Table, ft: FactType) -> list[tuple[BaseModel, str, int]]:
    """Validate every row; raise :class:`FactImportError` listing all bad rows."""
    problems: list[str] = []
    columns: dict[str, str] = {}
    for header in table.headers:
        name = ft.field_for(header)
        if name is None:
            problems.append(f"kolumn {header!r}: okänd rubrik för {ft.title_sv.lower()}")
        elif name in columns:
            problems.append(f"kolumn {header!r}: samma fält som kolumn {columns[name]!r}")
        else:
            columns[name] = header
    if problems:
        raise FactImportError(table.path, problems)
    good: list[tuple[BaseModel, str, int]] = []
    for row in table.rows:
        data: dict[str, Any] = {}
        for header, value in row.values.items():
            data[columns[ft.field_for(header) or header]] = value
        data = {name: data[columns[name]] for name in columns if columns[name] in data}
        try:
            good.append((ft.model.model_validate(data), str(table.path), row.number))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"][0] if err["loc"] else None
                col = columns.get(str(loc)) if loc else None
                where = f"rad {row.number}, kolumn {col}" if col else f"rad {row.number}"
                if loc and not col:
                    where = f"rad {row.number}, kolumn {ft.header_for(str(loc))}"
                problems.append(f"{where}: {_message(err)}")
    if problems:
        raise FactImportError(table.path, problems)
    return good


def _message(err: Any) -> str:
    msg = str(err.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if err.get("type") == "missing":
        return "värde saknas"
    if err.get("type") == "extra_forbidden":
        return "okänt fält"
    if err.get("type") == "enum":
        return f"{err.get('input')!r} är inte ett tillåtet värde"
    return msg


def import_files(db: Database, paths: Iterable[str | Path], kind: str | None = None,
                 org: str = DEFAULT_ORG) -> ImportReport:
    """Import each file, as facts of organisation ``org``, in its own transaction. The first
    rejected file raises; earlier files stay."""
    org = check_org(org)
    report = ImportReport()
    for p in paths:
        path = Path(p)
        try:
            tables = read_table(path)
        except ReadError as exc:
            raise FactImportError(path, [str(exc).removeprefix(f"{path}: ")]) from None
        validated = []
        for table in tables:
            ft = fact_type(kind) if kind and not table.kind_hint else guess_kind(table)
            validated.append((ft, table, validate_table(table, ft)))
        with db.atomic():
            for ft, table, items in validated:
                changed, unchanged = upsert_facts(db, ft, items, org)
                report.files.append(
                    ImportResult(str(path), ft.name, org, len(table.rows), changed, unchanged)
                )
    return report
