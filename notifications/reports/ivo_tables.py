"""Tables as CSV and XLSX for the IVO quarter's reports, safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
read as a formula by Excel or LibreOffice (CSV injection). In XLSX such a cell is written as a
text cell (never a formula); in CSV it gets a leading apostrophe, which spreadsheets read as
"this is text". Dates are real dates in XLSX and ISO text in CSV; numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def risky(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: empty for None, ``'=…`` for a text a spreadsheet would run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if risky(value):
        return "'" + value
    return value


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def append_row(ws: Worksheet, row: int, values: Sequence[Any], bold: bool = False) -> int:
    """Write ``values`` as row ``row`` of ``ws`` (ISO dates as dates, risky text as text
    cells) and return the next row. Cells are addressed directly: ``ws[ws.max_row]`` scans the
    whole sheet and made a sheet of n rows cost n²."""
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=column, value=_xlsx_value(value))
        if cell.data_type == "f" or risky(cell.value):
            cell.data_type = "s"  # text, never a formula
        if isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
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
    """``;``-separated UTF-8, one header row."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow([csv_cell(h) for h in headers])
        for r in rows:
            w.writerow([csv_cell(v) for v in r])
    return path


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
    wb.save(path)
    return path
