"""The example files in examples/: they import, agree with each other and stay reproducible."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import open_db
from openpyxl import load_workbook

import facts
from facts.models import looks_like_personnummer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
REGISTER_XLSX = EXAMPLES / "beslut-2024.xlsx"
REGISTER_CSV = EXAMPLES / "beslut-2024.csv"
PROVENANCE = {"_source", "_row", "_imported_at", "_rev"}

EXAMPLE_FILES = sorted(
    p for p in EXAMPLES.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".csv", ".xlsx")
)


def _db(tmp_path: Path, name: str = "bevaka.db") -> Any:
    return open_db(tmp_path / name)


def _rows(db: Any, kind: str) -> list[dict[str, Any]]:
    return facts.load_facts(db, facts.fact_type(kind))


def _content(db: Any, kind: str) -> list[dict[str, Any]]:
    """Stored rows without the provenance columns (``_hash`` is kept), in key order."""
    ft = facts.fact_type(kind)
    rows = [{k: v for k, v in r.items() if k not in PROVENANCE} for r in _rows(db, kind)]
    return sorted(rows, key=lambda r: tuple(r[k] for k in ft.key))


def _cells(path: Path) -> list[tuple[Any, ...]]:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return [tuple(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def _days(row: dict[str, Any]) -> int:
    return (date.fromisoformat(row["meeting_on"]) - date.fromisoformat(row["due_on"])).days


def test_examples_exist() -> None:
    names = {p.name for p in EXAMPLE_FILES}
    expected = {"nykoping-2024.yaml", "nykoping-2026.yaml", "beslut-2024.xlsx", "beslut-2024.csv"}
    assert expected <= names


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_imports(tmp_path: Path, path: Path) -> None:
    db = _db(tmp_path)
    report = facts.import_files(db, [path])
    assert report.files, path
    assert all(f.rows > 0 for f in report.files)
    assert report.changed == sum(f.rows for f in report.files)


def test_all_examples_import_together_and_reimport_changes_nothing(tmp_path: Path) -> None:
    db = _db(tmp_path)
    first = facts.import_files(db, EXAMPLE_FILES)
    assert first.changed > 0
    snapshot = facts.snapshot_hash(db)
    again = facts.import_files(db, EXAMPLE_FILES)
    assert again.changed == 0
    assert facts.snapshot_hash(db) == snapshot


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_reimporting_one_file_changes_nothing(tmp_path: Path, path: Path) -> None:
    db = _db(tmp_path)
    facts.import_files(db, [path])
    report = facts.import_files(db, [path])
    assert report.changed == 0
    assert sum(f.unchanged for f in report.files) == sum(f.rows for f in report.files)


def test_xlsx_and_csv_registers_are_twins(tmp_path: Path) -> None:
    db_x = _db(tmp_path, "xlsx.db")
    db_c = _db(tmp_path, "csv.db")
    facts.import_files(db_x, [REGISTER_XLSX])
    facts.import_files(db_c, [REGISTER_CSV])
    from_xlsx, from_csv = _content(db_x, "decisions"), _content(db_c, "decisions")
    assert len(from_xlsx) == 40
    assert from_xlsx == from_csv
    # Importing the twin on top of the other changes nothing either.
    assert facts.import_files(db_x, [REGISTER_CSV]).changed == 0


def test_xlsx_mixes_native_and_text_dates() -> None:
    rows = _cells(REGISTER_XLSX)
    header, body = rows[0], rows[1:]
    date_cols = [header.index(h) for h in ("Beslutsdatum", "Verkställd", "Avbrott", "Återupptagen")]
    values = [r[i] for r in body for i in date_cols if r[i] is not None]
    native = [v for v in values if isinstance(v, datetime | date)]
    text = [v for v in values if isinstance(v, str)]
    assert len(native) > 3 * len(text)
    assert any(re.fullmatch(r"\d{6}", v) for v in text)
    assert sum(bool(re.fullmatch(r"\d{8}", v)) for v in text) == 1
    assert "240628" in text


def test_agreement_2026(tmp_path: Path) -> None:
    db = _db(tmp_path)
    facts.import_files(db, [EXAMPLES / "nykoping-2026.yaml"])
    meetings = _rows(db, "meetings")
    obligations = _rows(db, "obligations")
    assert sorted(m["date"] for m in meetings) == [
        "2026-03-26", "2026-05-07", "2026-06-18", "2026-09-10", "2026-11-05", "2026-12-10",
    ]
    assert {m["body"] for m in meetings} == {"VON"}
    assert len(obligations) == 10
    assert sorted(o["id"] for o in obligations) == [f"2026-{n:02d}" for n in range(1, 11)]
    meeting_dates = {m["date"] for m in meetings}
    for o in obligations:
        assert _days(o) == 24, o
        assert o["meeting_on"] in meeting_dates, o
        assert o["agreement"] == "VON–DSO 2026"
        assert o["responsible"] == "divisionschef"
        assert o["recipient"] == "sakkunnig"
        assert o["source"].startswith("000 L")
        assert "\n" not in o["title"]


def test_agreement_2024(tmp_path: Path) -> None:
    db = _db(tmp_path)
    facts.import_files(db, [EXAMPLES / "nykoping-2024.yaml"])
    meetings = _rows(db, "meetings")
    obligations = _rows(db, "obligations")
    assert sorted(m["date"] for m in meetings) == [
        "2024-04-25", "2024-05-30", "2024-09-12", "2024-12-12",
    ]
    assert len(obligations) == 19
    meeting_dates = {m["date"] for m in meetings}
    easter = [o for o in obligations if o["due_on"] == "2024-04-02"]
    assert len(easter) == 2
    for o in obligations:
        assert _days(o) == (23 if o["due_on"] == "2024-04-02" else 24), o
        assert o["meeting_on"] in meeting_dates, o
        assert o["agreement"] == "VON–DSO 2024"
        assert o["responsible"] == "divisionschef"
        assert o["source"].startswith("001 L")


# The edge cases the tests of the engine and the demo rely on (see examples/README.md).
EDGE_CASES = {
    "D-2024-001": ("SoL", "2024-06-28", "2024-10-17", None, None),
    "D-2024-002": ("SoL", "2024-04-10", "2024-07-15", "2024-10-01", None),
    "D-2024-003": ("SoL", "2024-05-02", None, None, None),
    "D-2024-004": ("SoL", "2024-11-30", None, None, None),
    "D-2024-005": ("SoL", "2024-08-31", "2024-11-30", None, None),
    "D-2024-006": ("SoL", "2024-01-15", "2024-02-05", "2024-05-20", "2024-07-29"),
    "D-2024-007": ("LSS", "2024-01-22", "2024-02-12", "2024-03-11", "2024-07-22"),
    "D-2024-008": ("LSS", "2024-03-18", None, None, None),
    "D-2024-009": ("LSS", "2024-08-12", None, None, None),
    "D-2024-010": ("LSS", "2024-03-13", "2024-07-08", None, None),
    "D-2024-011": ("SoL", "2024-02-14", "2024-05-14", None, None),
    "D-2024-012": ("SoL", "2024-11-04", None, None, None),
}


def test_register_edge_cases(tmp_path: Path) -> None:
    db = _db(tmp_path)
    facts.import_files(db, [REGISTER_XLSX])
    by_id = {r["id"]: r for r in _rows(db, "decisions")}
    for case_id, expected in EDGE_CASES.items():
        r = by_id[case_id]
        got = (r["law"], r["decided_on"], r["executed_on"], r["interrupted_on"], r["resumed_on"])
        assert got == expected, case_id
    ordinary = [r for k, r in by_id.items() if k not in EDGE_CASES]
    assert len(ordinary) == 28
    for r in ordinary:
        decided = date.fromisoformat(r["decided_on"])
        executed = date.fromisoformat(r["executed_on"])
        assert 0 <= (executed - decided).days < 90, r["id"]
        assert r["interrupted_on"] is None
    assert all("2024-01-01" <= r["decided_on"] <= "2024-12-31" for r in by_id.values())
    dates = [r[c] for r in by_id.values()
             for c in ("decided_on", "executed_on", "interrupted_on", "resumed_on") if r[c]]
    assert max(dates) <= "2024-12-31"


def test_register_has_no_personal_data() -> None:
    roles = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))["roles"]
    text = REGISTER_CSV.read_text(encoding="utf-8")
    for number in re.findall(r"\d[\d+-]{8,}\d", text):
        assert not looks_like_personnummer(number), number
    rows = _cells(REGISTER_XLSX)
    header = rows[0]
    officer, sex, born = (header.index(h) for h in ("Handläggare", "Kön", "Födelseår"))
    for row in rows[1:]:
        assert row[officer] in roles
        assert row[sex] in ("Man", "Kvinna")
        assert isinstance(row[born], int) and 1900 <= row[born] <= 2024


def test_make_register_is_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, str(EXAMPLES / "make_register.py"), "--out", str(out)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    assert _cells(out / "beslut-2024.xlsx") == _cells(REGISTER_XLSX)
    assert (out / "beslut-2024.csv").read_text(encoding="utf-8") == REGISTER_CSV.read_text(
        encoding="utf-8"
    )
