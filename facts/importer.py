"""Import register files into the facts store, all or nothing per file.

A file with any bad row is rejected whole: :class:`FactImportError` lists every bad row as
``rad N, kolumn X: what is wrong`` and nothing from that file is written.

A file is streamed: its rows are read, validated and staged a batch at a time
(:mod:`facts.readers`, :mod:`facts.validation`, :mod:`facts.stage`), so memory does not grow
with the register. After the first bad row nothing more is staged, but every row is still
validated, so every bad row is named. When the whole file is good, one statement merges the
stage into the fact table.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from facts.errors import UserError
from facts.fill import Fill, fill_for, looks_like_header
from facts.orgs import DEFAULT_ORG, check_org
from facts.progress import Progress, terminal_progress
from facts.readers import ReadError, Sheet, read_sheets
from facts.retract import missing_from, retract
from facts.stage import Stage
from facts.types import FACT_TYPES, FactType, UnknownFactType, fact_type
from facts.validation import BatchValidator, batches, map_columns


class FactImportError(UserError):
    """A file was rejected. ``problems`` holds one line per bad row and column."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        head = f"{path}: filen avvisades, inget importerades ({len(problems)} fel)"
        super().__init__("\n".join([head, *("  " + p for p in problems)]))


@dataclass
class ImportResult:
    path: str
    kind: str
    org: str
    rows: int
    changed: int
    unchanged: int
    kind_sv: str = ""
    sheet: str | None = None  # the XLSX worksheet read
    list_date: str | None = None  # a list's date when it came from a title, name or option
    retracted: list[str] = field(default_factory=list)  # keys retracted (--whole-register)


@dataclass
class ImportReport:
    files: list[ImportResult] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(f.changed for f in self.files)


def _shown(header: str, most: int = 40) -> str:
    """A header as one short line (a broken quote can make a header of a whole file)."""
    text = " ".join(header.split())
    return text if len(text) <= most else text[:most - 1] + "…"


def guess_kind(sheet: Sheet) -> FactType:
    """The fact type whose headers and key best cover the sheet's columns (a key field that a
    list's date or the row's position fills counts as covered)."""
    if sheet.kind_hint:
        try:
            return fact_type(sheet.kind_hint)
        except UnknownFactType as exc:
            raise FactImportError(sheet.path, [f"rad {sheet.header_row}: {exc}"]) from None
    best: tuple[int, FactType] | None = None
    for ft in FACT_TYPES.values():
        mapped = {ft.field_for(h) for h in sheet.headers} - {None}
        if not set(ft.key) <= mapped | {ft.dated_by, ft.numbered_by}:
            continue
        score = len(mapped)
        if score and (best is None or score > best[0]):
            best = (score, ft)
    if best is None:
        where = f"blad {sheet.name!r}, " if sheet.name else ""
        found = ", ".join(_shown(h) for h in sheet.headers[:12]) or "inga"
        other = (f"; arbetsboken har bladen {', '.join(repr(n) for n in sheet.names)}, välj med "
                 "--sheet" if len(sheet.names) > 1 else "")
        raise FactImportError(
            sheet.path,
            [f"{where}rad {sheet.header_row}: kan inte avgöra vilken sorts register filen är "
             f"(rubriker: {found}){other}; ange --kind "
             + "|".join(sorted(t.table for t in FACT_TYPES.values()))],
        )
    return best[1]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a bulk import makes millions of short-lived objects
    and no cycles worth collecting, and each collection pass would walk all of them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _stage_sheet(db: Database, sheet: Sheet, ft: FactType, fill: Fill,
                 progress: Progress) -> Stage:
    """Validate every row of ``sheet`` and stage them; raise :class:`FactImportError` naming
    every bad row (and every pair of rows with one key and different content). A required
    column the file lacks is one problem, not one per row; a sheet without rows is one too."""
    columns, problems = map_columns(ft, sheet.headers)
    if problems:
        raise FactImportError(sheet.path, problems)
    stage = Stage(db, ft)
    validate = BatchValidator(ft, columns, filled=fill.fields)
    rows = 0
    for numbers, data in batches(sheet, columns):
        fill(data)
        staged, bad = validate(numbers, data)
        problems.extend(bad)
        if not problems and not validate.absent:
            stage.add(staged)
        rows += len(numbers)
        progress(sheet.path, rows, sheet.share_read(), False)
    if validate.absent:
        problems = [validate.absent_problem(sheet.headers), *problems]
    elif not rows:
        problems = [f"rad {sheet.header_row}: bara en rubrikrad, inga rader under den; en tom "
                    "fil importeras inte"]
    problems = problems or stage.conflicts(columns.headers)
    if problems:
        raise FactImportError(sheet.path, problems)
    return stage


def located(path: Path, message: str) -> str:
    """A reader's ``path: text`` or ``path:N: text`` as the problem ``text`` or ``rad N:
    text`` (the error's first line names the file)."""
    text = message.removeprefix(f"{path}")
    if text.startswith(":") and (head := text[1:].split(":", 1))[0].isdigit() and len(head) > 1:
        return f"rad {head[0]}:{head[1]}"
    return text.removeprefix(": ")


#: Told of the facts a ``--whole-register`` import retracts, inside the file's transaction
#: (the application writes them to the audit log).
OnRetract = Callable[[list[dict[str, Any]]], None]
WHOLE_REGISTER_REASON = "saknas i hela registret (import --whole-register)"


@dataclass(frozen=True)
class ImportOptions:
    """How files are read: ``kind`` (else guessed), the XLSX ``sheet``, a list's date; and
    whether each file is the whole register of its kind (facts missing from it are
    retracted), and whether nothing is written (``dry_run``)."""

    kind: str | None = None
    sheet: str | None = None
    list_date: date | None = None
    whole_register: bool = False
    dry_run: bool = False
    on_retract: OnRetract | None = None


class _DryRun(Exception):  # noqa: N818 - not an error: it rolls the file's transaction back
    def __init__(self, results: list[ImportResult]):
        self.results = results


def import_files(db: Database, paths: Iterable[str | Path], kind: str | None = None,
                 org: str = DEFAULT_ORG, progress: Progress | None = None, *,
                 sheet: str | None = None, list_date: date | None = None,
                 whole_register: bool = False, dry_run: bool = False,
                 on_retract: OnRetract | None = None) -> ImportReport:
    """Import each file, as facts of organisation ``org``, in its own transaction. The first
    rejected file raises; earlier files stay. ``progress`` is told of each batch of rows
    (default: a progress bar on stderr when it is a terminal, for files over 10 000 rows).
    ``sheet`` chooses an XLSX worksheet (by name or number); ``list_date`` is the date of a
    list whose file has no date column (else it is read from a title row or the file name)."""
    org = check_org(org)
    progress = progress or terminal_progress()
    options = ImportOptions(kind, sheet, list_date, whole_register, dry_run, on_retract)
    if kind is not None:
        fact_type(kind)  # an unknown kind is an error before any file is read
    report = ImportReport()
    for p in paths:
        path = Path(p)
        try:
            sheets = read_sheets(path, looks_like_header(kind), sheet)
            with _collector_paused(), db.atomic():
                results = _import_sheets(db, path, sheets, options, org, progress)
                if dry_run:
                    raise _DryRun(results)
            report.files.extend(results)
        except _DryRun as done:
            report.files.extend(done.results)
        except ReadError as exc:
            raise FactImportError(path, [located(path, str(exc))]) from None
        finally:
            progress(path, 0, None, True)
    return report


def _import_sheets(db: Database, path: Path, sheets: list[Sheet], options: ImportOptions,
                   org: str, progress: Progress) -> list[ImportResult]:
    """Stage and merge each sheet of one file, inside the file's transaction."""
    results = []
    try:
        for sheet in sheets:
            kind = options.kind
            ft = fact_type(kind) if kind and not sheet.kind_hint else guess_kind(sheet)
            fill = fill_for(ft, sheet, options.list_date)
            stage = _stage_sheet(db, sheet, ft, fill, progress)
            missing = missing_from(db, ft, org, stage.table) if options.whole_register else []
            changed = stage.merge(org, str(path))
            stage.drop()
            records = retract(db, ft, org, missing, WHOLE_REGISTER_REASON, str(path))
            if records and options.on_retract and not options.dry_run:
                options.on_retract(records)
            results.append(ImportResult(
                str(path), ft.name, org, stage.rows, changed, stage.rows - changed,
                kind_sv=ft.title_sv.lower(), sheet=sheet.name,
                list_date=fill.list_date.isoformat() if fill.list_date else None,
                retracted=missing))
    finally:
        for sheet in sheets:
            sheet.close()
    return results
