"""The fact-file fuzz campaign (issue 8, "malformed fact files"; issue 7): malformed CSV, XLSX
and YAML files, fixed seed, imported one by one into one real database.

Every file must either import or be rejected with :class:`facts.FactImportError`: 0
tracebacks (any other exception), 0 partial imports (a rejected file leaves every fact
table and the revision as they were), and every problem one Swedish line that names the
file (the error's first line) and the row, line or column, or is one of the few problems of a
whole file (empty, not an XLSX workbook, no YAML list). ``make test`` runs 1,000 files,
``make reliability`` 10,000.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

from conftest import open_db
from fact_mutations import MUTATIONS, Corpus
from trials import report, size

import facts
from facts.store import current_rev
from facts.types import FACT_TYPES

SEED = 20261201
WHERE = re.compile(r"(^|\b)rad \d+|^\d+:|kolumn|^blad ")
WHOLE_FILE = ("filen är tom", "kan inte läsa filen som XLSX", "YAML-filen ska vara",
              "arbetsboken är tom", "kan inte läsa teckenkodningen", "kan inte avgöra teckenkodningen")
ENGLISH = re.compile(r"\b(the|invalid|error|expected|value|field|input|should|must|not|is|of|"
                     r"could|cannot|found|type|valid|none|line|column|row|unexpected|while)\b",
                     re.IGNORECASE)


def _facts_state(db: Any) -> tuple[int, ...]:
    counts = [int(db.execute(f'SELECT count(*) FROM "{ft.table}"').fetchone()[0])
              for ft in FACT_TYPES.values()]
    return (current_rev(db), *counts)


def _bad_line(problem: str) -> str | None:
    """Why a problem line fails the campaign's rules, or None."""
    if "\n" in problem:
        return "more than one line"
    if not (WHERE.search(problem) or problem.startswith(WHOLE_FILE)):
        return "no row, line or column"
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "", problem)  # quoted file content may be anything
    if m := ENGLISH.search(text):
        return f"English word {m.group()!r}"
    return None


def test_malformed_fact_files_give_one_swedish_line_and_never_a_partial_import(
        tmp_path: Path) -> None:
    rng = random.Random(SEED)
    corpus = Corpus()
    db = open_db(tmp_path / "fuzz.db")
    n = size(1000, 10000)
    shares = [("csv", 0.45), ("xlsx", 0.2), ("yaml", 0.35)]
    tracebacks: list[str] = []
    partial: list[str] = []
    bad_lines: list[str] = []
    outcomes: Counter[str] = Counter()
    for i in range(n):
        fmt = rng.choices([f for f, _ in shares], [w for _, w in shares])[0]
        suffix, mutate = MUTATIONS[fmt]
        path = tmp_path / f"f{i % 50}{suffix}"
        kind = mutate(rng, corpus, path)
        before = _facts_state(db)
        try:
            facts.import_files(db, [path])
            outcomes["imported"] += 1
        except facts.FactImportError as exc:
            outcomes["rejected"] += 1
            if _facts_state(db) != before:
                partial.append(f"{fmt}/{kind} #{i}")
            if not str(exc).startswith(f"{path}: filen avvisades"):
                bad_lines.append(f"{fmt}/{kind} #{i}: does not name the file: {str(exc)[:120]}")
            for problem in exc.problems:
                why = _bad_line(problem)
                if why:
                    bad_lines.append(f"{fmt}/{kind} #{i}: {why}: {problem[:160]!r}")
        except Exception as exc:  # noqa: BLE001 - the campaign counts every other exception
            tracebacks.append(f"{fmt}/{kind} #{i}: {type(exc).__name__}: {str(exc)[:160]}")
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
    report("malformed fact files", n, len(tracebacks) + len(partial) + len(bad_lines),
           tracebacks=len(tracebacks), partial=len(partial), unclear=len(bad_lines),
           imported=outcomes["imported"], rejected=outcomes["rejected"])
    assert (tracebacks, partial, bad_lines) == ([], [], []), "\n".join(
        [*tracebacks[:20], *partial[:10], *bad_lines[:40]])
