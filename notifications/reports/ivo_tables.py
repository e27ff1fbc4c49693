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


def append_row(ws: Worksheet, values: Sequence[Any], bold: bool = False) -> None:
    """Append ``values`` to ``ws``: ISO dates as dates, risky text as text cells."""
    ws.append([_xlsx_value(v) for v in values])
    for cell in ws[ws.max_row]:
        if cell.data_type == "f" or risky(cell.value):
            cell.data_type = "s"  # text, never a formula
        if isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
        if bold:
            cell.font = Font(bold=True)


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
        if t.title_row:
            append_row(ws, [t.title], bold=True)
        append_row(ws, t.headers, bold=True)
        for r in t.rows:
            append_row(ws, r)
        if t.notes:
            ws.append([])
            for note in t.notes:
                append_row(ws, [note])
        for i, _ in enumerate(t.headers, start=1):
            letter = ws.cell(row=1, column=i).column_letter
            ws.column_dimensions[letter].width = 16
        for row in ws.iter_rows(min_row=3 if t.title_row else 2):
            for cell in row:
                cell.alignment = Alignment(vertical="top", wrap_text=isinstance(cell.value, str))
    wb.save(path)
    return path
