"""Read an XLSX register lazily (openpyxl read-only): the sheet whose headers fit.

Without ``sheet`` the first worksheet whose header row the importer recognises is read (a
workbook often has a cover sheet or instructions first); ``sheet`` chooses one by name or
number (1 is the first). The :class:`~facts.sheets.Sheet` says which sheet was read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from facts.sheets import Header, HeaderTest, ReadError, Sheet, cell_text, find_header, named


def _choose(wb: Any, path: Path, sheet: str | None) -> Any:
    names = list(wb.sheetnames)
    if sheet is None:
        return None
    wanted = sheet.strip()
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return wb.worksheets[int(wanted) - 1]
    for i, name in enumerate(names):
        if name.strip().lower() == wanted.lower():
            return wb.worksheets[i]
    listed = ", ".join(repr(n) for n in names)
    raise ReadError(f"{path}: inget blad {sheet!r} i arbetsboken; bladen är {listed}")


def _numbered(ws: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    return enumerate(ws.iter_rows(values_only=True), start=1)


def _texts(row: tuple[Any, ...]) -> list[str]:
    return [cell_text(c) for c in row]


def read_xlsx(path: Path, looks_like_header: HeaderTest, sheet: str | None = None) -> Sheet:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a broken file
        raise ReadError(f"{path}: kan inte läsa filen som XLSX (trasig, eller ingen "
                        "arbetsbok); spara den på nytt i Excel som .xlsx") from None
    try:
        return _read(wb, path, looks_like_header, sheet)
    except ReadError:
        wb.close()
        raise
    except Exception:  # noqa: BLE001 - a broken sheet inside a readable zip
        wb.close()
        raise ReadError(f"{path}: kan inte läsa filen som XLSX (trasig, eller ingen "
                        "arbetsbok); spara den på nytt i Excel som .xlsx") from None


def _read(wb: Any, path: Path, looks_like_header: HeaderTest, sheet: str | None) -> Sheet:
    names = list(wb.sheetnames)
    chosen = _choose(wb, path, sheet)
    candidates = [chosen] if chosen is not None else list(wb.worksheets)
    fallback: tuple[Any, Header] | None = None
    for ws in candidates:
        found = find_header(_numbered(ws), looks_like_header, _texts)
        if found is None:
            continue
        if found.recognised or chosen is not None:
            return _sheet(wb, ws, path, found, names)
        fallback = fallback or (ws, found)
    if fallback is None:
        where = f"bladet {chosen.title!r}" if chosen is not None else "arbetsboken"
        raise ReadError(f"{path}: {where} är tomt (ingen rubrikrad och inga rader)")
    return _sheet(wb, fallback[0], path, fallback[1], names)


def _sheet(wb: Any, ws: Any, path: Path, found: Header, names: list[str]) -> Sheet:
    done = [0]  # the last row number read, for progress
    total = ws.max_row  # from the sheet's dimension, when it has one
    return Sheet(path, [h for h in found.cells if h], _rows(wb, found, done),
                 share_read=lambda: min(done[0] / total, 1.0) if total else None,
                 titles=found.titles, name=ws.title, names=names, header_row=found.number)


def _rows(wb: Any, found: Header, done: list[int]) -> Iterator[tuple[int, list[Any]]]:
    width, pick = len(found.cells), named(found.cells)
    try:
        for number, row in found.rest:
            done[0] = number
            values = [(c.strip() or None) if isinstance(c, str) else c for c in row[:width]]
            if pick:
                values = pick(values)
            if values.count(None) == len(values):
                continue
            yield number, values
    finally:
        wb.close()
