"""Read register files as sheets: the header row once, then the rows one at a time.

CSV (:mod:`facts.read_csv`: ``;``, ``,`` or tab; UTF-8, UTF-16, Windows-1252, Latin-1), XLSX
(:mod:`facts.read_xlsx`: the sheet whose headers fit; the header row may be below title rows),
and YAML (a list of mappings, or ``{kind: [mappings]}``). Each row comes with the
row number a person sees (the spreadsheet's row, the CSV record, the YAML line), so an error
can point at it. CSV and XLSX rows are read lazily, so a register of a million rows is never
in memory at once; YAML files are small and parsed whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from facts.read_csv import SNIFF_BYTES, read_csv
from facts.read_xlsx import read_xlsx
from facts.sheets import ABSENT, HeaderTest, ReadError, Sheet, any_header

__all__ = ["ABSENT", "SNIFF_BYTES", "ReadError", "Sheet", "parse_yaml", "read_sheets"]


def read_sheets(path: Path, looks_like_header: HeaderTest = any_header,
                sheet: str | None = None) -> list[Sheet]:
    """The sheets of ``path``; YAML may hold several kinds and so gives several. CSV and XLSX
    files stay open until their rows are read or :meth:`Sheet.close` is called.
    ``looks_like_header`` finds the header row below title rows; ``sheet`` chooses an XLSX
    worksheet by name or number."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise ReadError(f"{path}: filen finns inte")
    if not path.is_file():
        raise ReadError(f"{path}: är ingen fil")
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise ReadError(f"{path}: --sheet gäller bara XLSX-filer")
    if path.stat().st_size == 0:
        raise ReadError(f"{path}: filen är tom (0 byte)")
    if suffix == ".csv":
        return [read_csv(path, looks_like_header)]
    if suffix in (".xlsx", ".xlsm"):
        return [read_xlsx(path, looks_like_header, sheet)]
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path)
    raise ReadError(f"{path}: okänt filformat {suffix!r}; använd .csv, .xlsx eller .yaml")


def _decode(path: Path) -> str:
    """A whole (small) text file: UTF-8 with or without BOM, UTF-16 with BOM, else
    Windows-1252."""
    raw = path.read_bytes()
    encodings = ("utf-16",) if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            line = text[:text.index("\x00")].count("\n") + 1
            raise ReadError(f"{path}:{line}: NUL-tecken i filen (är den en textfil?)")
        return text
    raise ReadError(f"{path}: kan inte läsa teckenkodningen; spara som UTF-8")


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
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        position = getattr(exc, "position", None)  # a character YAML does not allow
        line = (mark.line + 1 if mark else text[:position].count("\n") + 1
                if isinstance(position, int) else 1)
        what = ("ett tecken som YAML inte tillåter" if position is not None and not mark
                else "ogiltig YAML")
        raise ReadError(f"{path}:{line}: {what}; kontrollera indrag, kolon och "
                        "citattecken") from None
    except RecursionError:
        raise ReadError(f"{path}:1: YAML-filen är för djupt nästlad") from None
    except (ValueError, TypeError, OverflowError):  # e.g. 2024-13-01, a list as a key
        raise ReadError(f"{path}:{_unbuildable_line(text)}: ogiltigt värde i YAML (ett datum "
                        "som inte finns, en nyckel som är en lista?); skriv datum som "
                        "ÅÅÅÅ-MM-DD") from None
    if data is None:
        raise ReadError(f"{path}: filen är tom (inga poster)")
    if isinstance(data, list) and isinstance(node, yaml.SequenceNode):
        return [_yaml_sheet(path, data, node, None, 1)]
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        return _yaml_kinds(path, data, node)
    raise ReadError(f"{path}: YAML-filen ska vara en lista eller {{typ: [lista]}}")


def _unbuildable_line(text: str) -> int:
    """The line of the innermost YAML node that cannot be built (for the message)."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    line = 1
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        try:
            builder = yaml.SafeLoader("")
            builder.construct_document(node)
            continue
        except (ValueError, TypeError, OverflowError, yaml.YAMLError):
            line = node.start_mark.line + 1
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return line


def _yaml_kinds(path: Path, data: dict[Any, Any], node: yaml.MappingNode) -> list[Sheet]:
    by_text = {str(k): v for k, v in data.items()}
    seen: set[str] = set()
    for key_node, _ in node.value:
        line = key_node.start_mark.line + 1
        kind = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
        if kind is None or kind not in by_text:
            raise ReadError(f"{path}:{line}: nyckeln ska vara en registertyp, t.ex. decisions:")
        if kind in seen:
            raise ReadError(f"{path}:{line}: {kind!r} finns två gånger; samla posterna i en lista")
        seen.add(kind)
    sheets = []
    for key_node, value_node in node.value:
        line, kind = key_node.start_mark.line + 1, str(key_node.value)
        items = by_text[kind]
        if not isinstance(items, list) or not isinstance(value_node, yaml.SequenceNode):
            raise ReadError(f"{path}:{line}: {kind!r} ska vara en lista")
        sheets.append(_yaml_sheet(path, items, value_node, kind, line))
    return sheets


def _yaml_sheet(path: Path, items: list[Any], node: yaml.SequenceNode, kind: str | None,
                at: int) -> Sheet:
    records: list[tuple[int, dict[str, Any]]] = []
    for item, item_node in zip(items, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            raise ReadError(f"{path}:{line}: varje post ska vara en mappning (nyckel: värde)")
        records.append((line, {str(k): v for k, v in item.items()}))
    headers = list(dict.fromkeys(h for _, values in records for h in values))
    rows = iter([(line, [values.get(h, ABSENT) for h in headers]) for line, values in records])
    return Sheet(path, headers, rows, kind_hint=kind, sparse=True, header_row=at)
