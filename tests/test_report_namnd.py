"""The committee pack for the Oxelösund meeting of 2023-12-13, built from the bundled examples
through the real CLI: the HTML against a golden file, the PDF's sections read back with
pdftotext, its pages rendered with pdftoppm, the XLSX read back with openpyxl.

Set BEVAKA_UPDATE_GOLDEN=1 to rewrite the golden file after a deliberate change (and read the
diff)."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from conftest import EXAMPLES, Bevaka
from openpyxl import load_workbook
from report_tools import pdf_pages, pdf_text

GOLDEN = Path(__file__).parent / "golden" / "namnd-oxelosund-2023-12-13.html"
OXELOSUND = ["oxelosund-moten.yaml", "balanslista-2023-12-13.yaml", "internkontroll-2024.xlsx",
             "kontrollresultat-2024.csv", "utredningar-bou-2024.csv", "klagomal-2024.csv",
             "oxelosund-skyldigheter.yaml"]


def normalise(html: str) -> str:
    """The run id and the rule revision change with every run and every rule edit."""
    html = re.sub(r"körning [0-9a-f]{32}", "körning RUN", html)
    return re.sub(r"regelrevision [0-9a-f]{12}", "regelrevision REV", html)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("namnd")
    from conftest import write_config

    bevaka = Bevaka(tmp, tmp / "bevaka.db", write_config(tmp / "config.toml"))
    bevaka.ok("import", "--org", "oxelosund/von", *(str(EXAMPLES / f) for f in OXELOSUND))
    result = bevaka.ok("report", "namnd", "--org", "oxelosund/von", "--meeting", "2023-12-13",
                       "--out", str(tmp / "ut"))
    assert "Underlag till VON 2023-12-13" in result.output
    return tmp / "ut" / "namnd-oxelosund-von-2023-12-13"


def test_html_matches_the_golden_file(pack: Path) -> None:
    html = normalise(pack.with_suffix(".html").read_text(encoding="utf-8"))
    if os.environ.get("BEVAKA_UPDATE_GOLDEN"):
        GOLDEN.write_text(html, encoding="utf-8")
    assert html == GOLDEN.read_text(encoding="utf-8")


def test_pdf_has_every_section_and_the_run_in_the_footer(pack: Path, tmp_path: Path) -> None:
    text = pdf_text(pack.with_suffix(".pdf"))
    flat = " ".join(text.split())
    for heading in ("Underlag till VON 13 december 2023",
                    "1. Att behandla vid sammanträdet 2023-12-13", "2. Kvar sedan tidigare",
                    "3. Balanslistan", "4. Redovisning av delegationsbeslut", "5. Internkontroll",
                    "6. IVO-kvartalet och synpunkter i siffror"):
        assert heading in flat, heading
    # due at this meeting: the plan for 2024 (R-O08), rows 11 and 12, the delegation reports
    assert "Fastställa internkontrollplan 2024" in flat
    assert "Uppdrag att genomföra en utvärdering av Samhalls uppdrag" in flat
    assert all(f"VON.2023.3-{i}" in flat for i in range(1, 5))
    # still missing since the previous meeting 2023-11-21: row 10
    assert "förra sammanträdet 2023-11-21" in flat and "Uppföljning av genomlysning" in flat
    assert "Ej verkställda gynnande beslut 2023Q3" in flat
    assert re.search(r"regelrevision [0-9a-f]{12} · körning [0-9a-f]{32}", flat)
    pages = pdf_pages(pack.with_suffix(".pdf"), tmp_path / "sidor")
    assert len(pages) >= 3 and f"Sida 1 av {len(pages)}" in flat


def test_xlsx_has_a_sheet_per_section(pack: Path) -> None:
    wb = load_workbook(pack.with_suffix(".xlsx"))
    assert wb.sheetnames == ["Att behandla", "Kvar sedan tidigare", "Balanslistan",
                             "Delegationsbeslut", "Internkontroll", "IVO-kvartalet", "Om rapporten"]
    bl = wb["Balanslistan"]
    assert bl.max_row == 22 and bl.freeze_panes == "A2"
    rows = {r[0].value: [c.value for c in r] for r in bl.iter_rows(min_row=2)}
    assert rows["10"][5] == "försenad" and rows["1"][5] == "pausad"
    assert rows["11"][5] == "förfaller i dag"
    at = wb["Att behandla"]
    due = [r[2].value for r in at.iter_rows(min_row=2)]
    assert due and all(isinstance(d, datetime) for d in due)
    about = {r[0].value: r[1].value for r in wb["Om rapporten"].iter_rows()}
    assert about["Sammanträde"] == datetime(2023, 12, 13)


def test_a_day_without_a_meeting_is_one_clear_error(bevaka: Bevaka) -> None:
    bevaka.ok("import", "--org", "oxelosund/von", str(EXAMPLES / "oxelosund-moten.yaml"))
    r = bevaka.run("report", "namnd", "--org", "oxelosund/von", "--meeting", "2023-12-14",
                   "--out", str(bevaka.tmp / "ut"))
    assert r.exit_code == 1
    assert "VON i oxelosund/von har inget sammanträde 2023-12-14" in r.output
