"""Registers as municipalities export them (issue 7): the committee's own balanslista table with
its date in the title, title rows above the header, the register on a later sheet, every
delimiter and encoding Swedish systems write, datetime cells and ``2024-06-28 00:00:00``, a
missing column as one error, empty files as errors, conflicting duplicates naming both rows."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SV_HEADERS, config_text, dump, open_db, write_csv
from openpyxl import Workbook

import facts
from bevaka.cli import cli

# The committee's list exactly as the document has it (Oxelösund VON): no list date, no row.
BALANS_HEADERS = ["Ärendemening", "Ansvarig", "Beslutsdatum", "Uppdrag/sammanfattning", "B/MI",
                  "Uppdrag klart/återrapportering"]
BALANS_ROWS = [
    ["Kö till särskilt boende", "", "", "Muntlig redovisning", "MI", "Varje nämnd"],
    ["Ekonomisk uppföljning", "ekonom", "2015-11-27", "Uppföljning varje månad", "MI",
     "Varje nämnd förutom feb och december"],
    ["Uppdrag att utreda Daglig verksamhet", "", "2023-11-21", "", "B", "Mars 2025"],
]
TITLE = "Balanslista VON 2025-02-26"


def _csv(path: Path, rows: list[list[Any]], delimiter: str = ";", encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def _xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = Workbook()
    first = True
    for name, rows in sheets.items():
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title, first = name, False
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _items(db: Any) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in db.execute(
        "SELECT list_date, row, matter FROM balanslista_items ORDER BY CAST(row AS INTEGER)")]


def _problems(db: Any, path: Path, **kw: Any) -> list[str]:
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [path], **kw)
    return exc.value.problems


EXPECTED = [("2025-02-26", str(i + 1), r[0]) for i, r in enumerate(BALANS_ROWS)]


# ---- the committee's balanslista as it is -----------------------------------------------------


def test_balanslista_csv_with_the_documents_columns_and_a_title_row(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    path = _csv(tmp_path / "lista.csv", [[TITLE], [], BALANS_HEADERS, *BALANS_ROWS])
    report = facts.import_files(db, [path])
    assert [(f.kind, f.rows, f.list_date) for f in report.files] == [
        ("balanslista_item", 3, "2025-02-26")]
    assert _items(db) == EXPECTED


def test_balanslista_xlsx_with_the_documents_columns_and_a_title_row(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    path = _xlsx(tmp_path / "lista.xlsx", {"Balanslista": [[TITLE], BALANS_HEADERS, *BALANS_ROWS]})
    facts.import_files(db, [path])
    assert _items(db) == EXPECTED


def test_balanslista_without_a_title_takes_list_date_or_the_file_name(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    path = _csv(tmp_path / "lista.csv", [BALANS_HEADERS, *BALANS_ROWS])
    (problem,) = _problems(db, path)
    assert "kolumnen 'Listdatum' saknas" in problem and "--list-date" in problem
    facts.import_files(db, [path], list_date=datetime(2025, 2, 26).date())
    assert _items(db) == EXPECTED
    named = _csv(tmp_path / "balanslista-2025-02-26.csv", [BALANS_HEADERS, *BALANS_ROWS])
    assert facts.import_files(open_db(tmp_path / "c.db"), [named]).files[0].list_date == "2025-02-26"


def test_the_cli_imports_the_balanslista_with_list_date(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text())
    path = _xlsx(tmp_path / "lista.xlsx", {"Blad1": [BALANS_HEADERS, *BALANS_ROWS]})
    result = CliRunner().invoke(cli, ["import", str(path), "--list-date", "2025-02-26",
                                      "--db", str(tmp_path / "b.db"), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "blad 'Blad1': 3 rader (balanslistepunkt, listans datum 2025-02-26)" in result.output


# ---- sheets and title rows --------------------------------------------------------------------


def test_the_register_on_the_second_sheet_is_found_and_named(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    path = _xlsx(tmp_path / "export.xlsx", {
        "Instruktioner": [["Detta är en export från verksamhetssystemet"], ["Kontakt: IT"]],
        "Beslut": [["Export 2024-07-01"], SV_HEADERS,
                   ["D-1", "SoL", "ÄO", "Hemtjänst", datetime(2024, 6, 28), None, None, None,
                    "Kvinna", 1940, "handlaggare_ao"]]})
    report = facts.import_files(db, [path])
    assert [(f.sheet, f.kind, f.rows) for f in report.files] == [("Beslut", "decision", 1)]
    assert db.execute("SELECT decided_on FROM decisions").fetchone()[0] == "2024-06-28"


def test_sheet_chooses_by_name_or_number_and_an_unknown_sheet_lists_them(tmp_path: Path) -> None:
    row = ["D-1", "SoL", "ÄO", "Hemtjänst", "2024-06-28", "", "", "", "Man", 1950, "h"]
    path = _xlsx(tmp_path / "två.xlsx", {"A": [SV_HEADERS, row], "B": [SV_HEADERS, row]})
    assert facts.import_files(open_db(tmp_path / "1.db"), [path], sheet="2").files[0].sheet == "B"
    assert facts.import_files(open_db(tmp_path / "2.db"), [path], sheet="a").files[0].sheet == "A"
    assert _problems(open_db(tmp_path / "3.db"), path, sheet="C") == [
        "inget blad 'C' i arbetsboken; bladen är 'A', 'B'"]


def test_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    path = _csv(tmp_path / "t.csv", [["Beslut äldreomsorgen"], ["Uttag 2024-07-01"], [],
                                     SV_HEADERS,
                                     ["D-1", "SoL", "ÄO", "Hemtjänst", "2024-06-28", "", "", "",
                                      "Man", "1950", "h"]])
    facts.import_files(db, [path])
    assert db.execute("SELECT id, _row FROM decisions").fetchall() == [("D-1", 5)]


# ---- delimiters, encodings, dates --------------------------------------------------------------

ROW = ["D-1", "SoL", "ÄO", "Hemtjänst i Åby, Örebro", "2024-06-28 00:00:00", "", "", "", "Kvinna",
       "1940", "handlaggare_ao"]


@pytest.mark.parametrize(("delimiter", "encoding"), [
    (";", "utf-8"), ("\t", "utf-8"), (",", "utf-8"), (";", "utf-8-sig"), (";", "utf-16"),
    ("\t", "utf-16-le"), (";", "cp1252"), (";", "latin-1")])
def test_every_delimiter_and_encoding(tmp_path: Path, delimiter: str, encoding: str) -> None:
    db = open_db(tmp_path / "b.db")
    rows = [SV_HEADERS, ROW, ["D-2", *ROW[1:]]]
    facts.import_files(db, [_csv(tmp_path / "r.csv", rows, delimiter, encoding)])
    assert db.execute("SELECT id, service, decided_on FROM decisions ORDER BY id").fetchall() == [
        ("D-1", "Hemtjänst i Åby, Örebro", "2024-06-28"),
        ("D-2", "Hemtjänst i Åby, Örebro", "2024-06-28")]


def test_datetime_text_and_cells_are_dates() -> None:
    assert facts.parse_date("2024-06-28 00:00:00") == datetime(2024, 6, 28).date()
    assert facts.parse_date("2024-06-28T13:45") == datetime(2024, 6, 28).date()
    assert facts.parse_date(datetime(2024, 6, 28, 0, 0)) == datetime(2024, 6, 28).date()


# ---- errors: one line each ---------------------------------------------------------------------


def test_a_missing_required_column_is_one_error_naming_it_and_the_headers(tmp_path: Path) -> None:
    headers = [h for h in SV_HEADERS if h != "Beslutsdatum"]
    rows = [[f"D-{i}", "SoL", "ÄO", "Hemtjänst", "", "", "", "Man", "1950", "h"]
            for i in range(200)]
    db_path = tmp_path / "b.db"
    db = open_db(db_path)
    before = dump(db_path)
    (problem,) = _problems(db, write_csv(tmp_path / "m.csv", headers, rows), kind="decisions")
    assert problem.startswith("kolumnen 'Beslutsdatum' saknas (krävs för gynnande beslut); "
                              "rubrikerna i filen är 'Ärende', 'Lag'")
    assert dump(db_path) == before


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "yaml"])
def test_an_empty_file_is_an_error_also_with_kind(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"tom.{suffix}"
    path.write_bytes(b"")
    assert _problems(open_db(tmp_path / "b.db"), path, kind="decisions") == ["filen är tom (0 byte)"]
    if suffix == "csv":
        path.write_text("\n\n;;\n")
        assert _problems(open_db(tmp_path / "c.db"), path, kind="decisions") == [
            "filen är tom (ingen rubrikrad och inga rader)"]


def test_an_empty_file_with_kind_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "tom.csv"
    path.write_text("")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "b.db"), "import", str(path),
                                      "--kind", "decisions"])
    assert result.exit_code == 1
    assert "filen är tom" in result.output


def test_a_header_only_file_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", SV_HEADERS, [])
    assert _problems(open_db(tmp_path / "b.db"), path) == [
        "rad 1: bara en rubrikrad, inga rader under den; en tom fil importeras inte"]


def test_a_duplicate_column_header_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [*SV_HEADERS, "Insats"], [[*ROW, "Annat"]])
    assert "kolumn 'Insats' finns två gånger i rubrikraden; ta bort den ena" in _problems(
        open_db(tmp_path / "b.db"), path)


def test_conflicting_duplicates_reject_the_file_naming_both_rows(tmp_path: Path) -> None:
    first = ["D-1", "SoL", "ÄO", "Hemtjänst", "2024-06-01", "", "", "", "Man", "1950", "h"]
    again = [*first[:4], "2024-06-05", *first[5:]]
    path = write_csv(tmp_path / "dup.csv", SV_HEADERS, [first, again])
    assert _problems(open_db(tmp_path / "b.db"), path) == [
        "rad 2 och rad 3: samma nyckel (ärende D-1) med olika värden"]


def test_an_unknown_kind_suggests_the_nearest(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", SV_HEADERS, [ROW])
    with pytest.raises(facts.UserError, match="menade du decisions?"):
        facts.import_files(open_db(tmp_path / "b.db"), [path], kind="decisons")
