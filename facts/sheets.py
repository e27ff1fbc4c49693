"""A register file's table as the importer sees it, and how its header row is found.

Registers are exported with title rows above the table (``Balanslista VON 2025-02-26``, an
export date, an empty row): the header row is the first of the first
:data:`HEADER_SEARCH_ROWS` rows that the importer recognises as headers (``looks_like_header``),
or, when none is, the first row that is not empty. The rows above it are the sheet's
``titles`` (a list date can be read from them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

HEADER_SEARCH_ROWS = 20  # rows from the top of a sheet in which its header row is looked for

#: Does this row (its cells as text) look like a register's header row?
HeaderTest = Callable[[list[str]], bool]


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
    been read (0–1), when that is known. ``titles`` are the texts of the rows above the
    header row; ``name`` is the worksheet read (XLSX) and ``names`` every worksheet's name."""

    path: Path
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    kind_hint: str | None = None  # from a YAML top-level key
    sparse: bool = False
    share_read: Callable[[], float | None] = field(default=_unknown_share)
    titles: list[str] = field(default_factory=list)
    name: str | None = None
    names: list[str] = field(default_factory=list)
    header_row: int = 1

    def close(self) -> None:
        """Stop reading and release the file (also when not every row was read)."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


def cell_text(value: Any) -> str:
    """A header cell as text (a number or date in a header row is its text)."""
    return "" if value is None else str(value).strip()


def any_header(cells: list[str]) -> bool:
    """The header test when the importer has none: any row that is not empty."""
    return any(cells)


@dataclass
class Header:
    """Where a sheet's table starts: the header row's number and cells, the titles above it,
    and the rows already read (after the header) that the sheet's rows start with."""

    number: int
    cells: list[str]
    titles: list[str]
    recognised: bool
    rest: Iterator[tuple[int, Any]]


def find_header(rows: Iterator[tuple[int, Any]], looks_like_header: HeaderTest,
                to_text: Callable[[Any], list[str]]) -> Header | None:
    """The header row among the first :data:`HEADER_SEARCH_ROWS` of ``rows`` (numbered
    rows of raw cells); None for a sheet with no cell filled in."""
    seen: list[tuple[int, Any]] = []
    for number, raw in rows:
        seen.append((number, raw))
        if looks_like_header(to_text(raw)):
            return _header(seen, len(seen) - 1, True, rows)
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    for i, (_, raw) in enumerate(seen):
        if any(to_text(raw)):
            return _header(seen, i, False, rows)
    return None


def _header(seen: list[tuple[int, Any]], at: int, recognised: bool,
            rows: Iterator[tuple[int, Any]]) -> Header:
    number, raw = seen[at]
    titles = [" ".join(c for c in _texts(r) if c) for _, r in seen[:at]]
    return Header(number, _texts(raw), [t for t in titles if t], recognised,
                  chain(seen[at + 1:], rows))


def _texts(raw: Any) -> list[str]:
    return [cell_text(c) for c in raw]


def named(header: list[str]) -> Callable[[list[Any]], list[Any]] | None:
    """Picks the cells of the named columns from a row, or None when every column is named.
    Like ``zip``, a short row gives the first few."""
    keep = [i for i, h in enumerate(header) if h]
    if len(keep) == len(header):
        return None
    return lambda cells: [cells[i] for i in keep if i < len(cells)]
