"""Read register files into rows of ``{header: value}`` with the row number a person sees.

CSV (``;``, ``,`` or tab; UTF-8 or Windows-1252), XLSX (first sheet, first row is the
header), and YAML (a list of mappings, or ``{kind: [mappings]}``). Row numbers are those
of the spreadsheet or the YAML line, so an error can point at them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ReadError(ValueError):
    """The file itself cannot be read (format, encoding, structure)."""


@dataclass
class Row:
    number: int
    values: dict[str, Any]


@dataclass
class Table:
    path: Path
    rows: list[Row]
    kind_hint: str | None = None  # from a YAML top-level key

    @property
    def headers(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            for h in row.values:
                seen.setdefault(h, None)
        return list(seen)


def read_table(path: Path) -> list[Table]:
    """Read ``path``; YAML may hold several kinds and so gives several tables."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise ReadError(f"{path}: filen finns inte")
    if suffix == ".csv":
        return [Table(path, list(_read_csv(path)))]
    if suffix in (".xlsx", ".xlsm"):
        return [Table(path, list(_read_xlsx(path)))]
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path)
    raise ReadError(f"{path}: okänt filformat {suffix!r}; använd .csv, .xlsx eller .yaml")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadError(f"{path}: kan inte läsa teckenkodningen; spara som UTF-8")


def _read_csv(path: Path) -> Iterator[Row]:
    text = _decode(path)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    for number, cells in enumerate(reader, start=1):
        if header is None:
            header = [c.strip() for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise ReadError(f"{path}:{number}: raden har fler kolumner än rubrikraden")
        yield Row(number, {h: (c if c.strip() else None) for h, c in zip(header, cells, strict=False) if h})


def _read_xlsx(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ReadError(f"{path}: kan inte läsa som XLSX ({exc})") from None
    try:
        ws = wb.worksheets[0]
        header: list[str] | None = None
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            if header is None:
                header = [str(c).strip() if c is not None else "" for c in cells]
                continue
            values = {
                h: (c.strip() or None) if isinstance(c, str) else c
                for h, c in zip(header, cells, strict=False)
                if h
            }
            if all(v is None for v in values.values()):
                continue
            yield Row(number, values)
    finally:
        wb.close()


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml if built


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Compose YAML once (the nodes carry line numbers) and build the data from those nodes."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def _read_yaml(path: Path) -> list[Table]:
    text = _decode(path)
    try:
        node, data = parse_yaml(text)
    except ValueError as exc:  # e.g. 2024-13-01, which YAML reads as an invalid date
        raise ReadError(f"{path}: ogiltigt värde i YAML ({exc}); skriv datum som ÅÅÅÅ-MM-DD") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ReadError(f"{path}{where}: ogiltig YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return []
    if isinstance(data, list) and isinstance(node, yaml.SequenceNode):
        return [Table(path, _yaml_rows(path, data, node))]
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        tables = []
        for key_node, value_node in node.value:
            kind = key_node.value
            items = data[kind]
            if not isinstance(items, list) or not isinstance(value_node, yaml.SequenceNode):
                raise ReadError(f"{path}:{key_node.start_mark.line + 1}: {kind!r} ska vara en lista")
            tables.append(Table(path, _yaml_rows(path, items, value_node), kind_hint=kind))
        return tables
    raise ReadError(f"{path}: YAML-filen ska vara en lista eller {{typ: [lista]}}")


def _yaml_rows(path: Path, items: list[Any], node: yaml.SequenceNode) -> list[Row]:
    rows = []
    for item, item_node in zip(items, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            raise ReadError(f"{path}:{line}: varje post ska vara en mappning (nyckel: värde)")
        rows.append(Row(line, {str(k): v for k, v in item.items()}))
    return rows
