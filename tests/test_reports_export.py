"""The table writer every report uses (notifications.reports.export), and ``bevaka check
--format csv|xlsx|html|pdf --out PATH`` on the bundled Nyköping register: CSV read back as
UTF-8 with a BOM, XLSX read back with openpyxl (real dates, frozen header, filters), the PDF
read back with pdftotext; a cell that would be a formula stays text in both."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from notifications.privacy import PersonalDataError
from notifications.reports.export import Column, Table, csv_text, safe_text, write_csv, write_xlsx
from tests.conftest import EXAMPLES, Bevaka
from tests.report_tools import pdf_pages, pdf_text

EVIL = ["=HYPERLINK(\"http://x.example\",\"klicka\")", "+1+1", "-2+3", "@SUM(A1)", "\tflik",
        "\rretur", "vanlig text", "a=b"]


def _table() -> Table:
    return Table("Test", [Column("Text", "t"), Column("Datum", "d", "date"),
                          Column("Tal", "n", "number")],
                 [{"t": v, "d": date(2024, 9, 30), "n": -1.5} for v in EVIL])


def test_formula_injection_is_written_as_text_in_csv_and_xlsx(tmp_path: Path) -> None:
    assert [safe_text(v) for v in EVIL[:6]] == ["'" + v for v in EVIL[:6]]
    assert safe_text("vanlig text") == "vanlig text" and safe_text("a=b") == "a=b"
    path = write_csv(_table(), tmp_path / "t.csv")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["'" + v for v in EVIL[:6]] + EVIL[6:]
    assert rows[1][1:] == ["2024-09-30", "-1,5"]  # a negative number is a number, not text
    wb = load_workbook(write_xlsx([_table()], tmp_path / "t.xlsx"))
    ws = wb["Test"]
    cells = [ws.cell(row=r, column=1) for r in range(2, 2 + len(EVIL))]
    assert [c.value for c in cells] == EVIL
    assert {c.data_type for c in cells} == {"s"}  # never "f" (a formula)
    assert ws.cell(row=2, column=3).value == -1.5


def test_csv_has_a_bom_and_a_personnummer_stops_the_file(tmp_path: Path) -> None:
    path = write_csv(_table(), tmp_path / "t.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert csv_text(_table()).startswith("Text;Datum;Tal\r\n")
    bad = Table("x", [Column("Ärende", "t")], [{"t": "19121212-1212"}])
    with pytest.raises(PersonalDataError):
        write_csv(bad, tmp_path / "bad.csv")
    with pytest.raises(PersonalDataError):
        write_xlsx([bad], tmp_path / "bad.xlsx")
    assert not (tmp_path / "bad.csv").exists() and not (tmp_path / "bad.xlsx").exists()


@pytest.fixture
def nykoping(bevaka: Bevaka) -> Bevaka:
    bevaka.ok("import", "--org", "nykoping/von", str(EXAMPLES / "beslut-2024.xlsx"),
              str(EXAMPLES / "nykoping-2024.yaml"))
    return bevaka


def test_check_format_csv_and_xlsx_open_with_dates_as_dates(nykoping: Bevaka) -> None:
    out = nykoping.tmp
    nykoping.ok("check", "--org", "nykoping/von", "--as-of", "2024-12-31", "--format", "csv",
                "--out", str(out / "f.csv"))
    raw = (out / "f.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    d1 = next(r for r in rows if r["Id"] == "ivo.ej-verkstallt/D-2024-001")
    assert (d1["Status"], d1["Frist"], d1["Åtgärdad"], d1["Dagar sen"]) == (
        "åtgärdad", "2024-09-28", "2024-10-17", "19")
    d8 = next(r for r in rows if r["Id"] == "ivo.ej-verkstallt/D-2024-008")
    assert (d8["Status"], d8["Frist"], d8["Dagar försenad"]) == ("försenad", "2024-06-18", "196")

    result = nykoping.ok("check", "--org", "nykoping/von", "--as-of", "2024-12-31", "--format",
                         "xlsx", "--out", str(out / "f.xlsx"))
    assert f"Skrev {out / 'f.xlsx'}" in result.output
    wb = load_workbook(out / "f.xlsx")
    ws = wb["Bevakningar"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Status", "Typ", "Organisation", "Regel"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=len(header)).column_letter}{len(rows) + 1}"
    col = {h: i for i, h in enumerate(header)}
    xl = {r[col["Id"]].value: r for r in ws.iter_rows(min_row=2)}
    cell = xl["ivo.ej-verkstallt/D-2024-001"][col["Frist"]]
    assert cell.is_date and cell.value == datetime(2024, 9, 28)
    assert xl["ivo.ej-verkstallt/D-2024-008"][col["Dagar försenad"]].value == 196
    assert len(xl) == len(rows)
    about = {r[0].value: r[1].value for r in wb["Om rapporten"].iter_rows()}
    assert about["Körning"] and about["Regelrevision"]


def test_check_format_pdf_and_html(nykoping: Bevaka) -> None:
    out = nykoping.tmp
    nykoping.ok("check", "--org", "nykoping/von", "--as-of", "2024-12-31", "--out",
                str(out / "f.pdf"))
    text = pdf_text(out / "f.pdf")
    assert "Bevakningar per 2024-12-31" in text and "Frister (" in text
    assert "D-2024-008" in text and "regelrevision" in text
    assert pdf_pages(out / "f.pdf", out / "sidor")
    nykoping.ok("check", "--org", "nykoping/von", "--as-of", "2024-12-31", "--format", "html",
                "--out", str(out / "f.html"))
    html = (out / "f.html").read_text(encoding="utf-8")
    assert "<h2>Frister (" in html and "D-2024-008" in html


def test_check_format_needs_a_file(nykoping: Bevaka) -> None:
    r = nykoping.run("check", "--as-of", "2024-12-31", "--format", "csv")
    assert r.exit_code == 1 and "ange filen med --out" in r.output
    r = nykoping.run("check", "--as-of", "2024-12-31", "--out", "x.txt")
    assert r.exit_code == 1 and "ange --format" in r.output
