"""Read register files as sheets: the header row once, then the rows one at a time.

CSV (``;``, ``,`` or tab; UTF-8 or Windows-1252), XLSX (first sheet, first row is the
header), and YAML (a list of mappings, or ``{kind: [mappings]}``). Each row comes with the
row number a person sees (the spreadsheet's row, the CSV record, the YAML line), so an error
can point at it. CSV and XLSX rows are read lazily, so a register of a million rows is never
in memory at once; YAML files are small and parsed whole.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SNIFF_BYTES = 1 << 20  # the start of a CSV file that decides its encoding and delimiter
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252"}


class ReadError(ValueError):
    """The file itself cannot be read (format, encoding, structure)."""


class _Absent:
    """The cell of a YAML item that does not have that key (not the same as an empty cell:
    a field's default applies)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


def _unknown_share() -> float | None:
    return None


@dataclass
class Sheet:
    """One table of a file. ``headers`` are its named columns as written (a column with an
    empty header cell is left out); ``rows`` yields ``(row number, cells)`` lazily, the cells
    of the named columns in order (a short row has fewer; an empty cell is None). ``sparse``
    sheets (YAML) may have :data:`ABSENT` cells. ``share_read()`` is how much of the file has
    been read (0–1), when that is known."""

    path: Path
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    kind_hint: str | None = None  # from a YAML top-level key
    sparse: bool = False
    share_read: Callable[[], float | None] = field(default=_unknown_share)

    def close(self) -> None:
        """Stop reading and release the file (also when not every row was read)."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


def read_sheets(path: Path) -> list[Sheet]:
    """The sheets of ``path``; YAML may hold several kinds and so gives several. CSV and XLSX
    files stay open until their rows are read or :meth:`Sheet.close` is called."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise ReadError(f"{path}: filen finns inte")
    if suffix == ".csv":
        return [_read_csv(path)]
    if suffix in (".xlsx", ".xlsm"):
        return [_read_xlsx(path)]
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path)
    raise ReadError(f"{path}: okänt filformat {suffix!r}; använd .csv, .xlsx eller .yaml")


def _decode(path: Path) -> str:
    """A whole (small) text file: UTF-8 with or without BOM, else Windows-1252."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadError(f"{path}: kan inte läsa teckenkodningen; spara som UTF-8")


def _sniff(path: Path) -> tuple[str, str]:
    """The encoding of a CSV file and its first :data:`SNIFF_BYTES` as text. The encoding is
    decided by the first of those blocks that is not plain ASCII (which reads alike in both),
    so it is known before the rows are read."""
    with path.open("rb") as fh:
        head = sample = fh.read(SNIFF_BYTES)
        while sample.isascii() and (more := fh.read(SNIFF_BYTES)):
            sample = more  # after ASCII a block starts at a character
    candidates = ("utf-8-sig",) if head.startswith(codecs.BOM_UTF8) else ("utf-8", "cp1252")
    for encoding in candidates:
        try:  # not final: a character cut at the end of the sample is no error
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding, codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    raise ReadError(f"{path}: kan inte läsa teckenkodningen; spara som UTF-8")


def _bad_line(path: Path, encoding: str) -> int:
    """The first line of ``path`` that is not text in ``encoding`` (for the message)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    number = 0
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return number + 1


def _named(header: list[str]) -> Callable[[list[Any]], list[Any]] | None:
    """Picks the cells of the named columns from a row, or None when every column is named.
    Like ``zip``, a short row gives the first few."""
    keep = [i for i, h in enumerate(header) if h]
    if len(keep) == len(header):
        return None
    return lambda cells: [cells[i] for i in keep if i < len(cells)]


def _read_csv(path: Path) -> Sheet:
    encoding, start = _sniff(path)
    first = start.splitlines()[0] if start.strip() else ""
    delimiter = max((";", ",", "\t"), key=first.count)
    raw = path.open("rb")
    fh = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        header = [c.strip() for c in next(reader, [])]
    except UnicodeDecodeError:
        fh.close()
        raise ReadError(f"{path}: rad 1: kan inte läsa teckenkodningen; spara som UTF-8") from None
    size = max(path.stat().st_size, 1)
    return Sheet(path, [h for h in header if h], _csv_rows(path, fh, reader, header),
                 share_read=lambda: 1.0 if raw.closed else min(raw.tell() / size, 1.0))


def _csv_rows(path: Path, fh: io.TextIOWrapper, reader: Any, header: list[str]
              ) -> Iterator[tuple[int, list[Any]]]:
    width, pick = len(header), _named(header)
    try:
        for number, cells in enumerate(reader, start=2):
            values = [c if c.strip() else None for c in cells]
            if values.count(None) == len(values):
                continue
            if len(cells) > width:
                raise ReadError(f"{path}:{number}: raden har fler kolumner än rubrikraden")
            yield number, pick(values) if pick else values
    except UnicodeDecodeError:  # the encoding was decided from the start of the file
        line = _bad_line(path, fh.encoding)
        raise ReadError(f"{path}: rad {line}: kan inte läsa teckenkodningen (filen började som "
                        f"{_ENCODING_NAMES[fh.encoding]}); spara som UTF-8") from None
    finally:
        fh.close()


def _read_xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ReadError(f"{path}: kan inte läsa som XLSX ({exc})") from None
    try:
        ws = wb.worksheets[0]
        cells = ws.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(cells, ())]
    except Exception:
        wb.close()
        raise
    done = [0]  # the last row number read, for progress
    total = ws.max_row  # from the sheet's dimension, when it has one
    return Sheet(path, [h for h in header if h], _xlsx_rows(wb, cells, header, done),
                 share_read=lambda: min(done[0] / total, 1.0) if total else None)


def _xlsx_rows(wb: Any, cells: Iterator[tuple[Any, ...]], header: list[str], done: list[int]
               ) -> Iterator[tuple[int, list[Any]]]:
    width, pick = len(header), _named(header)
    try:
        for number, row in enumerate(cells, start=2):
            done[0] = number
            values = [(c.strip() or None) if isinstance(c, str) else c for c in row[:width]]
            if pick:
                values = pick(values)
            if values.count(None) == len(values):
                continue
            yield number, values
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


def _read_yaml(path: Path) -> list[Sheet]:
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
        return [_yaml_sheet(path, data, node, None)]
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        sheets = []
        for key_node, value_node in node.value:
            kind = key_node.value
            items = data[kind]
            if not isinstance(items, list) or not isinstance(value_node, yaml.SequenceNode):
                raise ReadError(f"{path}:{key_node.start_mark.line + 1}: {kind!r} ska vara en lista")
            sheets.append(_yaml_sheet(path, items, value_node, kind))
        return sheets
    raise ReadError(f"{path}: YAML-filen ska vara en lista eller {{typ: [lista]}}")


def _yaml_sheet(path: Path, items: list[Any], node: yaml.SequenceNode, kind: str | None) -> Sheet:
    records: list[tuple[int, dict[str, Any]]] = []
    for item, item_node in zip(items, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            raise ReadError(f"{path}:{line}: varje post ska vara en mappning (nyckel: värde)")
        records.append((line, {str(k): v for k, v in item.items()}))
    headers = list(dict.fromkeys(h for _, values in records for h in values))
    rows = iter([(line, [values.get(h, ABSENT) for h in headers]) for line, values in records])
    return Sheet(path, headers, rows, kind_hint=kind, sparse=True)
