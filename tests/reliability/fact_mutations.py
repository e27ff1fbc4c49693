"""Malformed fact files for the fuzz campaign (tests/reliability/test_fact_fuzz.py).

Each mutation takes the examples' registers (read once) and a seeded ``random.Random`` and
writes one file: byte-level damage (truncation, NUL bytes, flipped bytes, CR-only line ends,
another encoding), cell-level damage (a field over 128 KiB, ``1e309``, numbers, dates and
booleans where text is expected, impossible dates, a duplicate or missing header), structure
(title rows, empty and header-only files) and, for YAML, unknown top-level keys, wrong shapes,
tags, anchors and deep nesting.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CSV_SEEDS = sorted(EXAMPLES.glob("*.csv"))
XLSX_SEEDS = sorted(EXAMPLES.glob("*.xlsx"))
YAML_SEEDS = sorted(EXAMPLES.glob("*.yaml"))

WEIRD_CELLS: list[Any] = [
    "1e309", "-1e309", "NaN", "inf", "2024-02-30", "0000-00-00", "99999999", "2024-13-01",
    "", " ", "=HYPERLINK(\"x\")", "Ja/Nej", "x" * 300, "\u200b", "ÅÄÖ\u00a0", "D-1\nD-2",
    "19121212-1212", "-5", "3,5", "1 000", "12:00", "2024-06-28 25:61:00", "null", "true",
    "😀", "\t", "\"", "';DROP TABLE decisions;--", "Q5 2024", "Varje", "2024-06-28T00:00:00Z",
]
XLSX_CELLS: list[Any] = [
    12, 3.5, -1, 1e308, 0, True, False, datetime(2024, 6, 28, 13, 45), datetime(1900, 1, 1),
    "1e309", 2958466, -45000.5, "2024-06-28 00:00:00", None, "x" * 1000, 10**15,
]


def _rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    delimiter = ";" if text.count(";") >= text.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _csv_text(rows: list[list[Any]], delimiter: str = ";") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


class Corpus:
    """The seed registers, parsed once."""

    def __init__(self) -> None:
        self.csv = [_rows(p) for p in CSV_SEEDS]
        self.xlsx = []
        for p in XLSX_SEEDS:
            wb = load_workbook(p, read_only=True, data_only=True)
            self.xlsx.append([list(r) for r in wb.worksheets[0].iter_rows(values_only=True)])
            wb.close()
        self.yaml = [p.read_text(encoding="utf-8") for p in YAML_SEEDS]


# ---- CSV -----------------------------------------------------------------------------------


def _cell(rng: random.Random, rows: list[list[Any]]) -> tuple[int, int]:
    r = rng.randrange(1, len(rows)) if len(rows) > 1 else 0
    return r, rng.randrange(len(rows[r]) or 1)


def csv_mutation(rng: random.Random, corpus: Corpus, path: Path) -> str:
    rows = [list(r) for r in rng.choice(corpus.csv)]
    kind = rng.choice(["cell", "cell", "cell", "header_dup", "header_drop", "header_junk",
                       "title", "truncate", "nul", "cr", "huge", "flip", "encoding", "utf16",
                       "empty", "header_only", "long_row", "quote", "mixed_delims", "dup_key"])
    delimiter = ";"
    if kind == "cell":
        for _ in range(rng.randint(1, 3)):
            r, c = _cell(rng, rows)
            if rows[r]:
                rows[r][c] = rng.choice(WEIRD_CELLS)
    elif kind == "header_dup":
        i = rng.randrange(len(rows[0]))
        rows[0].append(rows[0][i])
    elif kind == "header_drop":
        i = rng.randrange(len(rows[0]))
        rows = [r[:i] + r[i + 1:] for r in rows]
    elif kind == "header_junk":
        rows[0][rng.randrange(len(rows[0]))] = rng.choice(["", "Okänd", "1e309", "Ärende "])
    elif kind == "title":
        rows = [["Register", "", ""], ["Uttag " + rng.choice(["2024-07-01", "igår"])], *rows]
    elif kind == "header_only":
        rows = rows[:1]
    elif kind == "long_row":
        r, _ = _cell(rng, rows)
        rows[r] = rows[r] + ["extra"]
    elif kind == "dup_key":
        if len(rows) > 2:
            rows.append(list(rows[1]))
            rows[-1][-1] = rows[-1][-1] + "x"
    elif kind == "huge":
        r, c = _cell(rng, rows)
        if rows[r]:
            rows[r][c] = "a" * rng.choice([131073, 200000])
    elif kind == "mixed_delims":
        delimiter = rng.choice([",", "\t"])
    text = _csv_text(rows, delimiter)
    data = text.encode("utf-8")
    if kind == "truncate":
        data = data[:rng.randrange(len(data))]
    elif kind == "nul":
        at = rng.randrange(len(data))
        data = data[:at] + b"\x00" * rng.randint(1, 4) + data[at:]
    elif kind == "cr":
        data = text.replace("\r\n", "\r").replace("\n", "\r").encode()
    elif kind == "flip":
        raw = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        data = bytes(raw)
    elif kind == "encoding":
        half = len(text) // 2
        data = text[:half].encode("utf-8") + text[half:].encode("cp1252", errors="replace")
    elif kind == "utf16":
        data = text.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"]))
    elif kind == "empty":
        data = rng.choice([b"", b"\n", b"\r\n\r\n", b";;;\n", b"\xef\xbb\xbf"])
    elif kind == "quote":
        at = rng.randrange(len(data))
        data = data[:at] + b'"' + data[at:]
    path.write_bytes(data)
    return kind


# ---- XLSX ----------------------------------------------------------------------------------


def xlsx_mutation(rng: random.Random, corpus: Corpus, path: Path) -> str:
    rows = [list(r) for r in rng.choice(corpus.xlsx + corpus.csv)]
    kind = rng.choice(["cell", "cell", "cell", "header_dup", "title", "second_sheet",
                       "empty_sheet", "header_only", "truncate", "flip", "not_zip", "number_header"])
    if kind == "cell":
        for _ in range(rng.randint(1, 4)):
            r, c = _cell(rng, rows)
            if rows[r]:
                rows[r][c] = rng.choice(XLSX_CELLS + WEIRD_CELLS)
    elif kind == "header_dup":
        rows[0] = [*rows[0], rows[0][0]]
    elif kind == "title":
        rows = [["Rapport"], [None], *rows]
    elif kind == "header_only":
        rows = rows[:1]
    elif kind == "number_header":
        rows[0][rng.randrange(len(rows[0]))] = rng.choice([1, 2.5, datetime(2024, 1, 1)])
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if kind == "second_sheet":
        ws.append(["Läs mig"])
        ws = wb.create_sheet("Data")
    if kind != "empty_sheet":
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    if kind == "truncate":
        data = data[:rng.randrange(len(data))]
    elif kind == "flip":
        raw = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        data = bytes(raw)
    elif kind == "not_zip":
        data = _csv_text(rows).encode()
    path.write_bytes(data)
    return kind


def _xlsx_value(v: Any) -> Any:
    if isinstance(v, str) and v.startswith("="):
        return "'" + v  # a formula string would be stored as a formula
    if isinstance(v, str):
        return "".join(ch for ch in v if ch >= " " or ch in "\t\n")  # openpyxl refuses controls
    return v


# ---- YAML ----------------------------------------------------------------------------------

_YAML_SNIPPETS = [
    "okand_typ:\n  - {a: 1}\n", "decisions: 5\n", "decisions:\n  a: 1\n", "1: [{}]\n",
    "? [a, b]\n: [1]\n", "decisions:\n  - 1\n  - 2\n", "- [1, 2]\n", "just text\n", "42\n",
    "decisions:\n  - {id: D-1, decided_on: 2024-13-01}\n", "decisions:\n\t- {id: x}\n",
    "decisions:\n  - {id: D-1, law: SoL, decided_on: 1e309}\n",
    "x: &a [*a]\n", "decisions: !!binary aGVq\n", "decisions: !!python/object:os.system {}\n",
    "decisions:\n  - {id: D-1}\ndecisions:\n  - {id: D-2}\n", "- " * 200 + "x\n",
    "[" * 5000 + "]" * 5000 + "\n", "meetings:\n  - {body: VON, date: .inf}\n",
    "obligations:\n  - {id: O-1, due: .nan}\n", "decisions: []\n", "---\n...\n",
    "meetings:\n  - {body: 12, date: 20240230}\n", "decisions:\n  - {<<: {id: D-1}}\n",
]


def yaml_mutation(rng: random.Random, corpus: Corpus, path: Path) -> str:
    text = rng.choice(corpus.yaml)
    kind = rng.choice(["snippet", "snippet", "append", "lines", "value", "truncate", "nul",
                       "encoding", "flip", "indent"])
    lines = text.splitlines(keepends=True)
    if kind == "snippet":
        text = rng.choice(_YAML_SNIPPETS)
    elif kind == "append":
        text = text + rng.choice(_YAML_SNIPPETS)
    elif kind == "lines":
        rng.shuffle(lines)
        text = "".join(lines[: rng.randint(0, len(lines))])
    elif kind == "value":
        text = text.replace(rng.choice(["2024", "SoL", "VON", ": ", "row", "id"]),
                            rng.choice(["1e309", "9999-99-99", ": [", "", "&x", ".nan", "~"]), 3)
    elif kind == "truncate":
        text = text[: rng.randrange(len(text))]
    elif kind == "indent":
        text = "".join(("  " if rng.random() < 0.2 else "") + line for line in lines)
    data = text.encode("utf-8")
    if kind == "nul":
        at = rng.randrange(len(data))
        data = data[:at] + b"\x00" + data[at:]
    elif kind == "encoding":
        data = text.encode(rng.choice(["cp1252", "utf-16", "latin-1"]), errors="replace")
    elif kind == "flip":
        raw = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        data = bytes(raw)
    path.write_bytes(data)
    return kind


MUTATIONS: dict[str, tuple[str, Callable[[random.Random, Corpus, Path], str]]] = {
    "csv": (".csv", csv_mutation), "xlsx": (".xlsx", xlsx_mutation), "yaml": (".yaml", yaml_mutation),
}
