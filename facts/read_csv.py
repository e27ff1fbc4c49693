"""Read a CSV register lazily: encoding, delimiter and header row decided from its start.

The encoding is decided from the first :data:`SNIFF_BYTES` (or the first block of them that
is not plain ASCII): a byte-order mark (UTF-8, UTF-16) decides; else text that reads as UTF-8
is UTF-8; else charset-normalizer chooses among UTF-16, Windows-1252 and Latin-1, the
encodings Swedish case systems export in. The delimiter is the one of ``;``, ``,`` and tab
that splits a line of the start into the most columns. Rows are read by the csv module.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from facts.sheets import HEADER_SEARCH_ROWS, HeaderTest, ReadError, Sheet, find_header, named

SNIFF_BYTES = 1 << 20  # the start of a CSV file that decides its encoding and delimiter
ENCODING_NAMES = {"utf-8-sig": "UTF-8 med BOM", "utf-8": "UTF-8", "utf-16": "UTF-16",
                  "utf_16_le": "UTF-16", "utf_16_be": "UTF-16", "cp1252": "Windows-1252",
                  "latin_1": "Latin-1"}
_GUESSED = ["utf_16_le", "utf_16_be", "cp1252", "latin_1"]
_DELIMITERS = (";", ",", "\t")
_CSV_ERRORS = {"field larger than field limit": "ett fält är längre än 128 KiB",
               "new-line character seen in unquoted field":
                   "radbrytning inne i ett fält utan citattecken",
               "unexpected end of data": "filen tar slut mitt i ett fält inom citattecken"}
_SAVE_AS = "spara filen som UTF-8 (CSV UTF-8 i Excel)"


def _is_utf8(sample: bytes) -> bool:
    """Not final: a character cut at the end of the sample is no error."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(head: bytes, sample: bytes, path: Path) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" not in sample and _is_utf8(sample):
        return "utf-8"
    best = from_bytes(head if b"\x00" in sample else sample, cp_isolation=_GUESSED).best()
    if best is None or best.encoding not in ENCODING_NAMES:
        if b"\x00" in sample:
            return "utf-8"  # binary or NUL bytes: rejected by the row that has them
        raise ReadError(f"{path}: rad 1: kan inte avgöra teckenkodningen; {_SAVE_AS}")
    return best.encoding


def sniff(path: Path) -> tuple[str, str]:
    """The encoding of a CSV file and its first :data:`SNIFF_BYTES` as text."""
    with path.open("rb") as fh:
        head = sample = fh.read(SNIFF_BYTES)
        while sample.isascii() and (more := fh.read(SNIFF_BYTES)):
            sample = more  # after ASCII a block starts at a character
    encoding = _encoding(head, sample, path)
    try:
        return encoding, codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)
    except LookupError:  # pragma: no cover - the names above are all codecs
        raise ReadError(f"{path}: okänd teckenkodning {encoding}") from None


def _delimiter(start: str) -> str:
    lines = start.splitlines()[:HEADER_SEARCH_ROWS] or [""]
    return max(_DELIMITERS, key=lambda d: max(line.count(d) for line in lines))


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


def _csv_error(path: Path, line: int, exc: csv.Error) -> ReadError:
    text = str(exc)
    what = next((sv for en, sv in _CSV_ERRORS.items() if en in text), "trasig CSV-rad")
    return ReadError(f"{path}: rad {line}: {what}")


def _decode_error(path: Path, encoding: str) -> ReadError:
    line = _bad_line(path, encoding)
    return ReadError(f"{path}: rad {line}: kan inte läsa teckenkodningen (filen började som "
                     f"{ENCODING_NAMES.get(encoding, encoding)}); {_SAVE_AS}")


def _records(path: Path, fh: io.TextIOWrapper, reader: Any
             ) -> Generator[tuple[int, list[str]], None, None]:
    """The file's records numbered from 1; a NUL character or a broken record is an error."""
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if "\x00" in "".join(cells):
                raise ReadError(f"{path}: rad {number}: NUL-tecken i filen (är den en textfil?); "
                                f"{_SAVE_AS}")
            yield number, cells
    except UnicodeDecodeError:  # the encoding was decided from the start of the file
        raise _decode_error(path, fh.encoding) from None
    except csv.Error as exc:
        raise _csv_error(path, number + 1, exc) from None
    finally:
        fh.close()


def read_csv(path: Path, looks_like_header: HeaderTest) -> Sheet:
    encoding, start = sniff(path)
    raw = path.open("rb")
    fh = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(fh, delimiter=_delimiter(start), strict=False)
    records = _records(path, fh, reader)
    try:
        found = find_header(records, looks_like_header, lambda cells: [c.strip() for c in cells])
    except BaseException:
        records.close()
        raise
    if found is None:
        records.close()
        raise ReadError(f"{path}: filen är tom (ingen rubrikrad och inga rader)")
    size = max(path.stat().st_size, 1)
    return Sheet(path, [h for h in found.cells if h], _rows(path, found.rest, found.cells, records),
                 share_read=lambda: 1.0 if raw.closed else min(raw.tell() / size, 1.0),
                 titles=found.titles, header_row=found.number)


def _rows(path: Path, rest: Iterator[tuple[int, list[str]]], header: list[str],
          records: Generator[tuple[int, list[str]], None, None]
          ) -> Iterator[tuple[int, list[Any]]]:
    width, pick = len(header), named(header)
    try:
        for number, cells in rest:
            values = [c if c.strip() else None for c in cells]
            if values.count(None) == len(values):
                continue
            if len(cells) > width:
                raise ReadError(f"{path}:{number}: raden har fler kolumner än rubrikraden")
            yield number, pick(values) if pick else values
    finally:
        records.close()
