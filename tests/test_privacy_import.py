"""At import a case reference, a role key or an officer that holds a personnummer (in any
written form) is rejected with one Swedish line naming the file's row and column, and no
error message ever repeats the number."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SV_HEADERS, dump, open_db, write_csv, write_xlsx

import facts

ROW = ["D-1", "SoL", "ÄO", "SÄBO", "2024-06-28", "2024-10-17", "", "", "Kvinna", "1938",
       "bistand_ao"]
FORMS = ["121212 - 1212", "12 12 12-1212", "121212\u20131212", "19121212\u22121212",
         "121272-1219", "121212+1212"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("column", "value", "message"), [
    (0, "AO {}", "ser ut som ett personnummer"),
    (10, "{}", "innehåller ett personnummer; ange en rollnyckel"),
    (10, "{}@kommun.se", "innehåller ett personnummer; ange en rollnyckel"),
])
def test_a_personnummer_in_a_case_ref_or_officer_is_rejected(
        tmp_path: Path, form: str, column: int, value: str, message: str) -> None:
    row = list(ROW)
    row[column] = value.format(form)
    db_path = tmp_path / "b.db"
    db = open_db(db_path)
    before = dump(db_path)
    for path in (write_csv(tmp_path / "b.csv", SV_HEADERS, [ROW, row]),
                 write_xlsx(tmp_path / "b.xlsx", SV_HEADERS, [ROW, row])):
        with pytest.raises(facts.FactImportError) as exc:
            facts.import_files(db, [path])
        (problem,) = exc.value.problems
        assert problem.startswith(f"rad 3, kolumn {SV_HEADERS[column]}: {message}")
        assert form not in str(exc.value)
    assert dump(db_path) == before


def test_an_error_that_quotes_a_cell_never_repeats_a_personnummer(tmp_path: Path) -> None:
    row = list(ROW)
    row[1] = "121212 - 1212"  # in the law column: the message quotes the cell
    db = open_db(tmp_path / "b.db")
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [write_csv(tmp_path / "b.csv", SV_HEADERS, [row])])
    assert "'<personnummer>' är ingen lag" in str(exc.value)
    assert "1212" not in str(exc.value).replace(str(tmp_path), "")
