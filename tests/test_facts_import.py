"""Importing registers: CSV/XLSX equivalence, all-or-nothing rejection, idempotence, YAML."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, PROVENANCE, SV_HEADERS, dump, open_db, write_csv, write_xlsx

import facts
from facts.store import current_rev

# One small register. Each date column is written in a different form on the XLSX side.
ROWS_CSV = [
    ["D-1", "SoL", "ÄO", "SÄBO", "2024-06-28", "2024-10-17", "", "", "Kvinna", "1938",
     "bistand_ao"],
    ["D-2", "SoL", "IFO", "Kontaktperson", "2024-04-10", "2024-07-15", "2024-10-01", "", "Man",
     "1990", "ifo"],
    ["D-3", "LSS", "FSO", "Daglig verksamhet", "2023-12-15", "", "", "", "", "", ""],
    ["D-4", "LSS", "FSO", "Ledsagarservice", "2024-01-22", "2024-02-12", "2024-03-11",
     "2024-07-22", "Annat", "1975", "bistand_fso"],
]
ROWS_XLSX: list[list[Any]] = [
    # native Excel dates (date and datetime), an int birth year
    ["D-1", "SoL", "ÄO", "SÄBO", date(2024, 6, 28), datetime(2024, 10, 17), None, None, "kvinna",
     1938, "Bistand_AO"],
    # YYMMDD text and YYYYMMDD text
    ["D-2", "SoL", "IFO", "Kontaktperson", "240410", "20240715", "241001", None, "M", "1990", "ifo"],
    # YYMMDD text '231215' and blank cells
    ["D-3", "LSS", "FSO", "Daglig verksamhet", "231215", None, None, None, None, None, None],
    # an Excel serial number as a plain int (45313 = 2024-01-22), mixed forms
    ["D-4", "LSS", "FSO", "Ledsagarservice", 45313, "2024-02-12", "20240311", "240722", "x",
     "1975", "bistand_fso"],
]


def _content(db: Any, kind: str = "decision") -> list[dict[str, Any]]:
    ft = facts.fact_type(kind)
    rows = [{k: v for k, v in r.items() if k not in PROVENANCE} for r in facts.load_facts(db, ft)]
    return sorted(rows, key=lambda r: tuple(r[k] for k in ft.key))


def _problems(exc: pytest.ExceptionInfo[facts.FactImportError]) -> list[str]:
    return exc.value.problems


def test_csv_and_xlsx_store_identical_facts(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "beslut.csv", SV_HEADERS, ROWS_CSV)
    xlsx_path = write_xlsx(tmp_path / "beslut.xlsx", SV_HEADERS, ROWS_XLSX)
    db_csv = open_db(tmp_path / "csv.db")
    db_xlsx = open_db(tmp_path / "xlsx.db")
    r1 = facts.import_files(db_csv, [csv_path])
    r2 = facts.import_files(db_xlsx, [xlsx_path])
    assert [f.kind for f in r1.files] == [f.kind for f in r2.files] == ["decision"]
    assert r1.changed == r2.changed == 4
    a, b = _content(db_csv), _content(db_xlsx)
    assert a == b
    assert facts.snapshot_hash(db_csv) == facts.snapshot_hash(db_xlsx)
    by_id = {r["id"]: r for r in a}
    assert by_id["D-1"]["decided_on"] == "2024-06-28"
    assert by_id["D-1"]["executed_on"] == "2024-10-17"
    assert by_id["D-1"]["officer"] == "bistand_ao"
    assert by_id["D-2"]["interrupted_on"] == "2024-10-01"
    assert by_id["D-3"]["decided_on"] == "2023-12-15"
    assert by_id["D-3"]["executed_on"] is None and by_id["D-3"]["sex"] is None
    assert by_id["D-4"]["decided_on"] == "2024-01-22"
    assert by_id["D-4"]["resumed_on"] == "2024-07-22"
    assert (by_id["D-4"]["sex"], by_id["D-4"]["birth_year"]) == ("Annat", 1975)
    # provenance: the row a person sees in each file (header is row 1)
    rows = {r["id"]: r for r in facts.load_facts(db_xlsx, facts.fact_type("decision"))}
    assert rows["D-3"]["_row"] == 4 and rows["D-3"]["_source"] == str(xlsx_path)


def test_example_register_xlsx_and_csv_are_twins(tmp_path: Path) -> None:
    db_a = open_db(tmp_path / "a.db")
    db_b = open_db(tmp_path / "b.db")
    facts.import_files(db_a, [EXAMPLES / "beslut-2024.xlsx"])
    facts.import_files(db_b, [EXAMPLES / "beslut-2024.csv"])
    assert _content(db_a) == _content(db_b)
    assert len(_content(db_a)) == 40


def test_english_headers_give_the_same_facts(tmp_path: Path) -> None:
    english = ["id", "law", "area", "service", "decided_on", "executed_on", "interrupted_on",
               "resumed_on", "sex", "birth_year", "officer"]
    sv = open_db(tmp_path / "sv.db")
    en = open_db(tmp_path / "en.db")
    facts.import_files(sv, [write_csv(tmp_path / "sv.csv", SV_HEADERS, ROWS_CSV)])
    report = facts.import_files(en, [write_csv(tmp_path / "en.csv", english, ROWS_CSV,
                                               delimiter=",")])
    assert report.files[0].kind == "decision"
    assert _content(sv) == _content(en)


def test_header_variants_map_to_fields(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "b.csv", ["Dnr:", "LAGRUM", " Beslutsdat. ", "Verkställt datum"],
                     [["X-1", "LSS 9 § 4", "2024-03-01", "20240401"]])
    db = open_db(tmp_path / "b.db")
    facts.import_files(db, [path])
    (row,) = _content(db)
    assert (row["id"], row["law"], row["decided_on"], row["executed_on"]) == (
        "X-1", "LSS", "2024-03-01", "2024-04-01")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_one_bad_date_rejects_the_file_and_names_row_and_column(tmp_path: Path,
                                                                suffix: str) -> None:
    db_path = tmp_path / "bevaka.db"
    db = open_db(db_path)
    facts.import_files(db, [write_csv(tmp_path / "first.csv", SV_HEADERS, ROWS_CSV[:2])])
    assert current_rev(db) == 1
    before = dump(db_path)

    rows = [list(r) for r in ROWS_CSV]
    rows[0][5] = "2024-10-18"  # a change to an existing fact, which must not be written
    rows[2][4] = "2024-13-01"  # row 4 in the file (header is row 1)
    writer = write_csv if suffix == "csv" else write_xlsx
    path = writer(tmp_path / f"bad.{suffix}", SV_HEADERS, rows)
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [path])
    text = str(exc.value)
    assert "rad 4, kolumn Beslutsdatum:" in text
    assert "2024-13-01" in text
    assert _problems(exc) == [p for p in _problems(exc) if p.startswith("rad 4,")]
    assert len(_problems(exc)) == 1
    assert str(path) in text.splitlines()[0]
    assert dump(db_path) == before
    assert current_rev(db) == 1


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_every_bad_row_is_listed(tmp_path: Path, suffix: str) -> None:
    db_path = tmp_path / "bevaka.db"
    db = open_db(db_path)
    before = dump(db_path)
    rows = [list(r) for r in ROWS_CSV]
    rows[0][4] = "28/6 2024"       # row 2
    rows[1][5] = "2024-02-30"      # row 3: Verkställd
    rows[3][4] = "240231"          # row 5: YYMMDD that is no date
    writer = write_csv if suffix == "csv" else write_xlsx
    path = writer(tmp_path / f"bad.{suffix}", SV_HEADERS, rows)
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [path])
    problems = _problems(exc)
    assert [p.split(":")[0] for p in problems] == [
        "rad 2, kolumn Beslutsdatum", "rad 3, kolumn Verkställd", "rad 5, kolumn Beslutsdatum"]
    assert "(3 fel)" in str(exc.value).splitlines()[0]
    assert dump(db_path) == before
    assert current_rev(db) == 0


def test_blank_lines_keep_the_row_numbers_a_person_sees(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text(";".join(SV_HEADERS[:5]) + "\n"
                    + "A-1;SoL;ÄO;SÄBO;2024-01-01\n\n\nA-2;SoL;ÄO;SÄBO;20240199\n", encoding="utf-8")
    db = open_db(tmp_path / "b.db")
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [path])
    assert _problems(exc)[0].startswith("rad 5, kolumn Beslutsdatum:")


def test_cross_field_errors_name_the_row(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS_CSV]
    rows[1][5] = "2024-01-01"  # executed before decided
    db = open_db(tmp_path / "b.db")
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [write_csv(tmp_path / "x.csv", SV_HEADERS, rows)])
    assert _problems(exc) == ["rad 3: verkställighetsdatum ligger före beslutsdatum"]


def test_unknown_header_is_rejected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [*SV_HEADERS[:5], "Personnr"],
                     [[*ROWS_CSV[0][:5], "x"]])
    db = open_db(tmp_path / "b.db")
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [path])
    assert "kolumn 'Personnr': okänd rubrik" in str(exc.value)
    assert current_rev(db) == 0


def test_personnummer_as_case_ref_is_rejected(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS_CSV]
    rows[1][0] = "19121212-1212"
    db_path = tmp_path / "b.db"
    db = open_db(db_path)
    before = dump(db_path)
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [write_csv(tmp_path / "pnr.csv", SV_HEADERS, rows)])
    (problem,) = _problems(exc)
    assert problem.startswith("rad 3, kolumn Ärende:")
    assert "personnummer" in problem
    assert "19121212" not in str(exc.value).replace(str(tmp_path), "")
    assert dump(db_path) == before


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "b.db"
    db = open_db(db_path)
    path = write_xlsx(tmp_path / "beslut.xlsx", SV_HEADERS, ROWS_XLSX)
    first = facts.import_files(db, [path])
    assert first.changed == 4
    rev = current_rev(db)
    snap = facts.snapshot_hash(db)
    content = _content(db)
    second = facts.import_files(db, [path])
    assert second.changed == 0
    assert second.files[0].unchanged == 4
    assert current_rev(db) == rev
    assert facts.snapshot_hash(db) == snap
    assert _content(db) == content
    # the same facts from the CSV twin are also unchanged
    third = facts.import_files(db, [write_csv(tmp_path / "b.csv", SV_HEADERS, ROWS_CSV)])
    assert third.changed == 0 and current_rev(db) == rev


def test_changed_row_bumps_the_revision_of_that_row_only(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    facts.import_files(db, [write_csv(tmp_path / "a.csv", SV_HEADERS, ROWS_CSV)])
    rows = [list(r) for r in ROWS_CSV]
    rows[2][5] = "2024-03-01"
    report = facts.import_files(db, [write_csv(tmp_path / "b.csv", SV_HEADERS, rows)])
    assert report.changed == 1
    assert current_rev(db) == 2
    revs = {r["id"]: r["_rev"] for r in facts.load_facts(db, facts.fact_type("decision"))}
    assert revs == {"D-1": 1, "D-2": 1, "D-3": 2, "D-4": 1}


def test_yaml_meetings_and_obligations(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    report = facts.import_files(db, [EXAMPLES / "nykoping-2026.yaml"])
    kinds = {f.kind: f.rows for f in report.files}
    assert kinds == {"meeting": 6, "obligation": 10}
    meetings = sorted(r["date"] for r in facts.load_facts(db, facts.fact_type("meeting")))
    assert meetings == ["2026-03-26", "2026-05-07", "2026-06-18", "2026-09-10", "2026-11-05",
                        "2026-12-10"]
    obligations = {r["id"]: r for r in facts.load_facts(db, facts.fact_type("obligation"))}
    assert set(obligations) == {f"2026-{i:02d}" for i in range(1, 11)}
    assert all(o["recipient"] == "sakkunnig" for o in obligations.values())

    own = tmp_path / "own.yaml"
    own.write_text(
        "meetings:\n"
        "  - {body: VON, date: 2025-02-20, title: Sammanträde}\n"
        "obligations:\n"
        "  - id: X-1\n"
        "    title: Rapport om köer\n"
        "    meeting_on: 2025-02-20\n"
        "  - id: X-2\n"
        "    title: Utan datum\n",
        encoding="utf-8",
    )
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [own])
    # the YAML line of the bad item (line 7: "- id: X-2") is the row
    assert any(p.startswith("rad 7") and "Senast" in p for p in exc.value.problems)
    own.write_text(own.read_text(encoding="utf-8").replace(
        "    title: Utan datum\n", "    title: Utan datum\n    due_on: 250203\n"), encoding="utf-8")
    report = facts.import_files(db, [own])
    assert {f.kind: f.changed for f in report.files} == {"meeting": 1, "obligation": 2}
    x2 = next(r for r in facts.load_facts(db, facts.fact_type("obligation")) if r["id"] == "X-2")
    assert x2["due_on"] == "2025-02-03"
    again = facts.import_files(db, [own, EXAMPLES / "nykoping-2026.yaml"])
    assert again.changed == 0
