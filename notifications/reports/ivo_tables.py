"""The IVO quarter's sheets (a title line, the headers, the rows, notes), written by the one
table writer of every report, :mod:`notifications.reports.export`.

Only the layout is here. Every cell goes through :func:`~notifications.reports.export.put_cell`
(a date a real date, a number a number, text a string cell, never a formula) and the CSV
through :func:`~notifications.reports.export.write_csv_rows` (UTF-8 with a byte-order mark,
``;``, a ``'`` before a text a spreadsheet would run). Free text that the IVO files must show
(reason, area, service) goes through the personnummer scanner: a number in it becomes
``[personnummer borttaget]``. Yes/no values are ``Ja``/``Nej``; an ISO date text is a date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from notifications.reports.export import clean_text, put_cell, write_csv_rows


def ivo_value(value: Any) -> Any:
    """A value as the IVO files show it: Ja/Nej, an ISO date text as a date, free text with
    no personnummer in it."""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return clean_text(value)


def append_row(ws: Worksheet, row: int, values: Sequence[Any], bold: bool = False) -> int:
    """Write ``values`` as row ``row`` of ``ws`` as the IVO files show them, every cell written
    safely, and return the next row. Cells are addressed directly: ``ws[ws.max_row]`` scans
    the whole sheet and made a sheet of n rows cost n²."""
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=column)
        put_cell(cell, ivo_value(value))
        if bold:
            cell.font = _BOLD
    return row + 1


_WRAP = Alignment(vertical="top", wrap_text=True)  # one object each: openpyxl compares styles
_TOP = Alignment(vertical="top", wrap_text=False)
_BOLD = Font(bold=True)


@dataclass
class Table:
    """One sheet: a title line, the column headers and the rows."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title_row: bool = True  # False: the sheet starts with the headers (the title is for HTML)


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """``;``-separated UTF-8 with a byte-order mark, one header row."""
    return write_csv_rows(path, headers, [[ivo_value(v) for v in r] for r in rows],
                          personal_data="clean")


def write_xlsx(path: Path, tables: Sequence[Table]) -> Path:
    """One sheet per table: the title in bold, the headers in bold, then the rows and notes."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for t in tables:
        ws = wb.create_sheet(t.name[:31])
        row = append_row(ws, 1, [t.title], bold=True) if t.title_row else 1
        row = append_row(ws, row, t.headers, bold=True)
        for r in t.rows:
            row = append_row(ws, row, r)
        if t.notes:
            row += 1
            for note in t.notes:
                row = append_row(ws, row, [note])
        for i, _ in enumerate(t.headers, start=1):
            letter = ws.cell(row=1, column=i).column_letter
            ws.column_dimensions[letter].width = 16
        for cells in ws.iter_rows(min_row=3 if t.title_row else 2):
            for cell in cells:
                cell.alignment = _WRAP if isinstance(cell.value, str) else _TOP
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
