"""The internal-control report for Oxelösund's plan 2024 as of the November meeting
(2024-11-20), from the bundled examples through the real CLI: the heat map (PNG of the
matrix's size, an SVG marker for every point, cells in the bands' colours), the traffic
lights by the rules the plan can set, the PDF read back with pdftotext."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import EXAMPLES, Bevaka, config_text
from openpyxl import load_workbook
from PIL import Image
from report_tools import pdf_pages, pdf_text

from notifications.reports.heatmap import BAND_COLOURS, DPI, figure_inches

FILES = ["internkontroll-2024.xlsx", "sammantraden-oxelosund-2024.csv", "kontrollresultat-2024.csv",
         "utredningar-bou-2024.csv", "beslut-2024.xlsx"]
SLUG = "internkontroll-oxelosund-von-2024-2024-11-20"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def oxelosund(tmp_path_factory: pytest.TempPathFactory) -> Bevaka:
    tmp = tmp_path_factory.mktemp("ik")
    from conftest import write_config

    bevaka = Bevaka(tmp, tmp / "bevaka.db", write_config(tmp / "config.toml"))
    bevaka.ok("import", "--org", "oxelosund/von", *(str(EXAMPLES / f) for f in FILES))
    return bevaka


@pytest.fixture(scope="module")
def report(oxelosund: Bevaka) -> Path:
    out = oxelosund.tmp / "ut"
    result = oxelosund.ok("report", "internkontroll", "--org", "oxelosund/von", "--plan", "2024",
                          "--as-of", "2024-11-20", "--out", str(out))
    assert "8 punkter, 4 gröna, 1 gul, 3 röda" in result.output
    return out / SLUG


def test_heat_map_has_the_matrix_size_and_a_marker_per_point(report: Path) -> None:
    png = Image.open(report.parent / f"{SLUG}-karta.png")
    width, height = figure_inches(5)
    assert png.size == (round(width * DPI), round(height * DPI))
    root = ET.parse(report.parent / f"{SLUG}-karta.svg").getroot()
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}
    markers = sorted(int(m.group(1)) for i in groups if (m := re.fullmatch(r"punkt-(\d+)", i)))
    assert markers == [1, 2, 3, 4, 5, 6, 7, 8]
    cells = [i for i in groups if re.fullmatch(r"ruta-\d-\d", i)]
    assert len(cells) == 25

    def fill(gid: str) -> str:
        path = groups[gid].find(f"{SVG}path")
        assert path is not None
        found = re.search(r"fill:\s*(#[0-9a-f]{6})", path.get("style", ""))
        assert found
        return found.group(1)

    # the bands of internkontroll.risk: 4 grön, 9 gul, 12 orange, 16 röd
    assert (fill("ruta-4-1"), fill("ruta-3-3"), fill("ruta-3-4"), fill("ruta-4-4")) == (
        BAND_COLOURS["grön"], BAND_COLOURS["gul"], BAND_COLOURS["orange"], BAND_COLOURS["röd"])
    numbers = [t.text for t in root.iter(f"{SVG}text")]
    assert all(str(n) in numbers for n in range(1, 9))


def _lights(bevaka: Bevaka, config: Path | None = None) -> dict[int, str]:
    out = bevaka.ok("report", "internkontroll", "--org", "oxelosund/von", "--plan", "2024",
                    "--as-of", "2024-11-20", "--out", str(bevaka.tmp / "ljus"), "--json",
                    config=config).output
    return {p["nr"]: p["light"] for p in json.loads(out)["points"]}


def test_traffic_lights_follow_the_plans_rules(oxelosund: Bevaka) -> None:
    # default rules: red when no control with the sample was done (2: no autumn control) or
    # more than 30 % deviations (3: 2 of 5, 7: 2 of 6); yellow above 10 % (5: 1 of 9)
    assert _lights(oxelosund) == {1: "grön", 2: "röd", 3: "röd", 4: "grön", 5: "gul", 6: "grön",
                                  7: "röd", 8: "grön"}
    # the committee sets its own limit for red: 50 %
    own = oxelosund.tmp / "egna-regler.toml"
    own.write_text(config_text(extra='\n[orgs."oxelosund/von".rule_params."internkontroll.trafikljus"]\n'
                                     "yellow_max_percent = 50\n"), encoding="utf-8")
    assert _lights(oxelosund, own) == {1: "grön", 2: "röd", 3: "gul", 4: "grön", 5: "gul",
                                       6: "grön", 7: "gul", 8: "grön"}


def test_pdf_has_the_sections_and_the_picture(report: Path, tmp_path: Path) -> None:
    flat = " ".join(pdf_text(report.with_suffix(".pdf")).split())
    for heading in ("Uppföljning av internkontrollplan 2024", "Sammanfattning", "Riskmatris",
                    "Trafikljus per punkt", "Resultat mot urval", "Åtgärdsplaner", "Angiven risk"):
        assert heading in flat, heading
    assert "4 × 4 = 16" in flat and "Den angivna risken är konsekvens × sannolikhet för alla 8" in flat
    assert "2024-12-31" in flat  # point 3's action plan
    assert re.search(r"regelrevision [0-9a-f]{12} · körning [0-9a-f]{32}", flat)
    html = report.with_suffix(".html").read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in html
    assert pdf_pages(report.with_suffix(".pdf"), tmp_path / "sidor")


def test_xlsx_lists_points_results_and_action_plans(report: Path) -> None:
    wb = load_workbook(report.with_suffix(".xlsx"))
    assert wb.sheetnames == ["Kontrollpunkter", "Resultat", "Åtgärdsplaner", "Om rapporten"]
    points = list(wb["Kontrollpunkter"].iter_rows(min_row=2, values_only=True))
    assert [p[0] for p in points] == list(range(1, 9))
    assert len(list(wb["Resultat"].iter_rows(min_row=2))) == 15
    assert len(list(wb["Åtgärdsplaner"].iter_rows(min_row=2))) == 4


def test_a_year_without_a_plan_is_one_clear_error(oxelosund: Bevaka) -> None:
    r = oxelosund.run("report", "internkontroll", "--org", "oxelosund/von", "--plan", "2025",
                      "--as-of", "2025-05-01", "--out", str(oxelosund.tmp / "x"))
    assert r.exit_code == 1 and "har ingen internkontrollplan för 2025" in r.output
