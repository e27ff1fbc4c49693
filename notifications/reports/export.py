"""The one table writer of every report: CSV and XLSX, for the committee's papers and the
IVO quarter's files alike (:mod:`notifications.reports.ivo_tables` lays out its sheets with
:func:`put_cell` and writes its CSV with :func:`write_csv_rows`).

* **CSV**: UTF-8 with a byte-order mark (so Swedish Excel opens it with å, ä, ö), ``;`` as the
  separator (Swedish Excel's list separator), dates as ISO text, numbers with a decimal comma.
* **XLSX** (openpyxl): one sheet per table, dates as real dates (``ÅÅÅÅ-MM-DD``), a bold header
  row that is frozen and has filters, columns wide enough for their text.

Both are safe against formula injection (CSV injection, OWASP): a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written as text, prefixed with ``'``
in CSV and as a string cell (never a formula) in XLSX. Numbers and dates are written as what
they are.

No personnummer leaves through a table: a committee table that holds one is refused (the
file is not written); the IVO files, whose free text (reason, area, service) must be shown,
have it replaced by ``[personnummer borttaget]`` in the cell (``personal_data="clean"``).

Example::

    from notifications.reports.export import Column, Table, write_csv, write_xlsx

    t = Table("Frister", [Column("Ärende", "subject"), Column("Frist", "due_on", "date")],
              [{"subject": "D-1", "due_on": date(2024, 9, 30)}])
    write_csv(t, "frister.csv")
    write_xlsx([t], "frister.xlsx")
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from facts.personnummer import PERSONNUMMER_REMOVED, replace_personnummer
from notifications.privacy import assert_no_personal_data

__all__ = ["CLEANED", "DANGEROUS", "Column", "Table", "clean_text", "csv_cell", "csv_text",
           "put_cell", "safe_text", "write_csv", "write_csv_rows", "write_xlsx"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

ColumnType = Literal["text", "date", "number", "int"]
PersonalData = Literal["refuse", "clean"]

#: What a personnummer in free text becomes in a report that cleans rather than refuses.
CLEANED = PERSONNUMMER_REMOVED


@dataclass(frozen=True)
class Column:
    """A column: its Swedish header, the row key it reads and the kind of value."""

    header: str
    key: str
    type: ColumnType = "text"
    width: int | None = None  # XLSX width in characters (else from the content)


@dataclass
class Table:
    """Rows (mappings) under columns, with a title (the XLSX sheet's name, ≤ 31 characters)."""

    title: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def values(self) -> Iterable[list[Any]]:
        for row in self.rows:
            yield [_typed(row.get(c.key), c.type) for c in self.columns]


def _typed(value: Any, kind: ColumnType) -> Any:
    if value is None or value == "":
        return None
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value))
    if kind in ("number", "int") and not isinstance(value, bool):
        return int(value) if kind == "int" else float(value)
    return value if isinstance(value, bool | int | float) and kind != "text" else str(value)


def safe_text(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs as a formula (a ``'`` before it)."""
    return "'" + text if text.startswith(DANGEROUS) else text


def clean_text(value: Any) -> Any:
    """A text value with every personnummer replaced by :data:`CLEANED`; others unchanged."""
    return replace_personnummer(value, CLEANED) if isinstance(value, str) else value


def csv_cell(value: Any) -> str:
    """One value as CSV text: dates ISO, numbers with a decimal comma, text made safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return (f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value)
                else str(int(value))).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return safe_text(str(value))


def _csv(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow([csv_cell(h) for h in headers])
    for values in rows:
        w.writerow([csv_cell(v) for v in values])
    return out.getvalue()


def csv_text(table: Table) -> str:
    """The table as CSV text (without the byte-order mark)."""
    return _csv([c.header for c in table.columns], table.values())


def _save_text(text: str, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8-sig", newline="")
    return p


def write_csv(table: Table, path: str | Path) -> Path:
    """Write ``table`` as UTF-8 CSV with a byte-order mark. Refuses a personnummer."""
    text = csv_text(table)
    assert_no_personal_data(text, where=str(path))
    return _save_text(text, path)


def write_csv_rows(path: str | Path, headers: Sequence[Any], rows: Iterable[Sequence[Any]],
                   personal_data: PersonalData = "refuse") -> Path:
    """Write plain rows (lists of values) the same way as :func:`write_csv`. ``personal_data``
    ``"clean"`` replaces a personnummer in a text cell by :data:`CLEANED` (free text a report
    must show, such as a reason), ``"refuse"`` stops the file."""
    if personal_data == "clean":
        rows = [[clean_text(v) for v in r] for r in rows]
    text = _csv([clean_text(h) if personal_data == "clean" else h for h in headers], rows)
    assert_no_personal_data(text, where=str(path))
    return _save_text(text, path)


def put_cell(cell: Any, value: Any) -> int:
    """Set an openpyxl ``cell`` to ``value`` safely: a date as a real date (``ÅÅÅÅ-MM-DD``), a
    number as a number, anything else as a string cell that is never a formula. Returns the
    width the value needs."""
    if value is None:
        return 0
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    if isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd" if not isinstance(value, datetime) else "yyyy-mm-dd hh:mm"
        return 10
    if isinstance(value, bool | int | float):
        cell.value = value
        return len(str(value))
    cell.value = str(value)
    cell.data_type = "s"  # text stays text: never a formula
    return min(60, len(str(value)))


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join("-" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Blad"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def write_xlsx(tables: Sequence[Table], path: str | Path,
               notes: Sequence[tuple[str, Any]] = ()) -> Path:
    """Write one sheet per table; ``notes`` (label, value) go on a last sheet ``Om rapporten``
    (the run id, the rule revision, the date). Refuses a personnummer."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    assert_no_personal_data(*(csv_text(t) for t in tables), *(str(v) for _, v in notes),
                            where=str(path))
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    used: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(_sheet_title(table.title, used))
        for i, col in enumerate(table.columns, start=1):
            put_cell(ws.cell(row=1, column=i), col.header)
            ws.cell(row=1, column=i).font = Font(bold=True)
        widths = [len(c.header) for c in table.columns]
        for r, values in enumerate(table.values(), start=2):
            for i, value in enumerate(values):
                widths[i] = max(widths[i], put_cell(ws.cell(row=r, column=i + 1), value))
        for i, col in enumerate(table.columns):
            ws.column_dimensions[get_column_letter(i + 1)].width = (col.width or widths[i]) + 2
        ws.freeze_panes = "A2"
        last = get_column_letter(max(1, len(table.columns)))
        ws.auto_filter.ref = f"A1:{last}{max(1, len(table.rows) + 1)}"
    if notes:
        ws = wb.create_sheet(_sheet_title("Om rapporten", used))
        for r, (label, value) in enumerate(notes, start=1):
            put_cell(ws.cell(row=r, column=1), label)
            put_cell(ws.cell(row=r, column=2), value)
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 60
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb.save(p)
    return p
