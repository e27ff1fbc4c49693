"""What a register file leaves out and the importer can fill in, and how its header row is known.

A committee's balanslista is exported as the document's own table: no list date (it is in
the title, ``Balanslista VON 2025-02-26``) and no row number. For a fact type with
``dated_by`` the list's date comes from ``--list-date``, else from the first title row above
the header that holds a date, else from the file name (``balanslista-2025-02-26.xlsx``); a
type with ``numbered_by`` numbers its rows 1, 2, … in file order when the column is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from facts.dates import DateParseError, parse_date
from facts.readers import ReadError, Sheet
from facts.sheets import HeaderTest
from facts.types import FACT_TYPES, FactType, fact_type, normalise_header

_DATE_IN_TEXT = re.compile(r"(?<!\d)(\d{4}-\d{1,2}-\d{1,2}|\d{8})(?!\d)")


def _known_headers(types: Iterable[FactType]) -> frozenset[str]:
    names: set[str] = set()
    for ft in types:
        names.update(ft.headers)
        names.update(ft.model.model_fields)
    return frozenset(names)


def looks_like_header(kind: str | None = None) -> HeaderTest:
    """A row is a header row when two or more of its cells are headers bevaka knows (of
    ``kind``, or of any fact type)."""
    known = _known_headers([fact_type(kind)] if kind else FACT_TYPES.values())

    def test(cells: list[str]) -> bool:
        return sum(1 for c in cells if c and normalise_header(c) in known) >= 2

    return test


def date_in(texts: Iterable[str]) -> date | None:
    """The first real date written in ``texts`` (``2025-02-26`` or ``20250226``)."""
    for text in texts:
        for token in _DATE_IN_TEXT.findall(text):
            try:
                found = parse_date(token)
            except DateParseError:
                continue
            if found is not None:
                return found
    return None


@dataclass
class Fill:
    """Fills the key fields a file lacks into each row's ``{field: cell}`` dict."""

    list_date: date | None = None
    dated_by: str | None = None
    numbered_by: str | None = None
    position: int = 0
    fields: frozenset[str] = field(default_factory=frozenset)

    def __call__(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if self.dated_by:
                row[self.dated_by] = self.list_date
            if self.numbered_by:
                self.position += 1
                row[self.numbered_by] = str(self.position)


def fill_for(ft: FactType, sheet: Sheet, list_date: date | None) -> Fill:
    """What to fill into ``sheet``'s rows as facts of ``ft``; a list without any date is an
    error naming where the date may be given."""
    mapped = {ft.field_for(h) for h in sheet.headers}
    if list_date is not None and ft.dated_by is None:
        raise ReadError(f"{sheet.path}: --list-date gäller listor med ett datum i rubriken "
                        f"(balanslistor), inte {ft.title_sv.lower()}")
    fill = Fill()
    if ft.dated_by and ft.dated_by not in mapped:
        found = list_date or date_in(sheet.titles) or date_in([sheet.path.stem])
        if found is None:
            header = ft.header_for(ft.dated_by)
            raise ReadError(
                f"{sheet.path}: rad {sheet.header_row}: kolumnen {header!r} saknas och listans "
                "datum står varken i en rubrikrad ovanför tabellen (t.ex. 'Balanslista VON "
                "2025-02-26') eller i filnamnet; ange --list-date ÅÅÅÅ-MM-DD")
        fill.list_date, fill.dated_by = found, ft.dated_by
    if ft.numbered_by and ft.numbered_by not in mapped:
        fill.numbered_by = ft.numbered_by
    fill.fields = frozenset(f for f in (fill.dated_by, fill.numbered_by) if f)
    return fill
