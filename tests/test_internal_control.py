"""The internal-control pack (rules/internkontroll/) and its fact types, through the CLI.

Real SQLite files in tmp_path, real XLSX files (openpyxl), the CLI through click's CliRunner
with a tmp config.toml whose [rules] dir is the repository's rules/. The example plan is the
Oxelösund VON plan 2024 (examples/internkontroll-2024.xlsx); the expected numbers come from
the plan (catalogue T2) and from the invented example data described in examples/README.md.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from conftest import ROOT, Bevaka, open_db, write_csv
from openpyxl import Workbook, load_workbook

from engine.config import load_config
from engine.evaluate import evaluate
from facts import import_files

EXAMPLES = ROOT / "examples"
PLAN_XLSX = EXAMPLES / "internkontroll-2024.xlsx"
MEETINGS = EXAMPLES / "sammantraden-oxelosund-2024.csv"
RESULTS = EXAMPLES / "kontrollresultat-2024.csv"
INVESTIGATIONS = EXAMPLES / "utredningar-bou-2024.csv"
DECISIONS = EXAMPLES / "beslut-2024.xlsx"
PLAN = "Internkontrollplan 2024 VON Oxelösund"
PACK_RULES = ["internkontroll.bou-utredningar", "internkontroll.lss-ej-i-tid",
              "internkontroll.lss-verkstallighet", "internkontroll.orosanmalan",
              "internkontroll.rapportering", "internkontroll.risk", "internkontroll.risk-angiven",
              "internkontroll.trafikljus"]


def _cells(path: Path) -> list[list[Any]]:
    wb = load_workbook(path, data_only=True)
    try:
        return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def _write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _plan_with(tmp: Path, nr: int, header: str, value: Any) -> Path:
    """A copy of the example plan (as a new XLSX) with one cell of point ``nr`` changed."""
    rows = _cells(PLAN_XLSX)
    col = rows[0].index(header)
    for row in rows[1:]:
        if row[rows[0].index("Nr")] == nr:
            row[col] = value
    return _write_xlsx(tmp / f"plan-{nr}-{header}.xlsx", rows)


def _check(bevaka: Bevaka, as_of: str, rule: str | None = None) -> dict[str, dict[str, Any]]:
    args = ["check", "--as-of", as_of, "--json"]
    if rule:
        args += ["--rule", rule]
    return {f["id"]: f for f in json.loads(bevaka.ok(*args).stdout)}


def _import_examples(bevaka: Bevaka, *extra: Path) -> None:
    bevaka.ok("import", *map(str, [PLAN_XLSX, MEETINGS, RESULTS, INVESTIGATIONS, DECISIONS,
                                   *extra]))


def _rows(db_path: Path, table: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1, 2, 3')]
    finally:
        conn.close()


# ---- the plan ---------------------------------------------------------------------------------

def test_the_plan_imports_with_swedish_headers(bevaka: Bevaka) -> None:
    out = bevaka.ok("import", str(PLAN_XLSX)).output
    assert "8 rader (internkontrollpunkt), 8 nya/ändrade" in out
    points = {r["nr"]: r for r in _rows(bevaka.db_path, "control_points")}
    assert sorted(points) == list(range(1, 9))
    assert {r["plan"] for r in points.values()} == {PLAN}
    assert {r["year"] for r in points.values()} == {2024}
    assert [points[n]["owner"] for n in range(1, 9)] == [
        "mas", "us", "us", "us", "forsta_socialsekreterare", "us", "us", "us"]
    # "5 st/mätning" → 5, "5 + 5 st / mätning" → 10, "Samtliga …" → no number
    assert [points[n]["required_sample"] for n in range(1, 9)] == [5, 5, 5, 10, None, 5, None, None]
    assert (points[8]["months_measured"], points[8]["measure_months"]) == ("Mars och september", "3,9")
    assert (points[8]["measure_month_1"], points[8]["measure_month_2"]) == (3, 9)
    assert points[1]["measure_months"] is None and points[1]["measure_month_1"] is None
    assert {(r["reporting"], r["report_body"], r["report_months"], r["report_month_1"],
             r["report_month_2"], r["report_month_3"]) for r in points.values()} == {
        ("VON maj/nov", "VON", "5,11", 5, 11, None)}
    assert points[7]["sample_method"] == "LSS 9§10"
    assert points[8]["area"] == "IFO BoU utredningar enl. 11 kap 1 § SoL"
    assert [(points[n]["consequence"], points[n]["likelihood"], points[n]["risk_stated"])
            for n in range(1, 9)] == [(4, 3, 12), (3, 3, 9), (3, 4, 12), (3, 4, 12), (4, 4, 16),
                                      (4, 3, 12), (3, 3, 9), (4, 4, 16)]
    again = bevaka.ok("import", str(PLAN_XLSX)).output
    assert "0 nya/ändrade, 8 oförändrade" in again


def test_an_unparseable_month_list_rejects_the_file_naming_the_row(bevaka: Bevaka) -> None:
    bad = _plan_with(bevaka.tmp, 5, "Mätmånader", "Mars o september")
    bad_rows = _cells(bad)
    bad_rows[8][bad_rows[0].index("Rapportering")] = "VON"  # point 8 (spreadsheet row 9)
    bad = _write_xlsx(bevaka.tmp / "bad.xlsx", bad_rows)
    result = bevaka.run("import", str(bad))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "filen avvisades, inget importerades (2 fel)" in result.output
    assert ("rad 6, kolumn Mätmånader: 'Mars o september': 'o' är ingen månad; "
            "skriv t.ex. Mars och september") in result.output
    assert "rad 9, kolumn Rapportering: 'VON' anger inga månader" in result.output
    assert _rows(bevaka.db_path, "control_points") == []


def test_bad_results_and_investigations_are_rejected(bevaka: Bevaka) -> None:
    results = write_csv(bevaka.tmp / "r.csv", ["Plan", "Nr", "Utförd", "Antal granskade",
                                               "Avvikelser", "Rapporterad"],
                        [[PLAN, 1, "2024-04-16", 5, 0, "2024-04-01"],
                         [PLAN, 2, "2024-04-16", "fem", 0, ""]])
    result = bevaka.run("import", str(results))
    assert result.exit_code == 1
    assert "rad 2: rapporterad före kontrollen utfördes" in result.output
    assert "rad 3, kolumn Antal granskade: 'fem' är inget antal; skriv ett heltal" in result.output
    inv = write_csv(bevaka.tmp / "u.csv", ["Utredning", "Inledd", "Avslutad"],
                    [["19121212-1212", "2024-01-02", ""], ["BoU-1", "2024-03-01", "2024-02-01"]])
    result = bevaka.run("import", str(inv))
    assert result.exit_code == 1
    assert "rad 2, kolumn Utredning: ser ut som ett personnummer" in result.output
    assert "rad 3: avslutad före inledd" in result.output


def test_make_ic_plan_is_deterministic_and_matches_the_committed_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    subprocess.run([sys.executable, str(EXAMPLES / "make_ic_plan.py"), "--out", str(out)],
                   check=True, capture_output=True, cwd=tmp_path)
    assert _cells(out / PLAN_XLSX.name) == _cells(PLAN_XLSX)
    for path in (MEETINGS, RESULTS, INVESTIGATIONS):
        assert (out / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


# ---- R-O02: risk -------------------------------------------------------------------------------

def test_the_eight_points_score_as_in_the_plan(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(PLAN_XLSX))
    found = _check(bevaka, "2024-06-30", rule="internkontroll.risk")
    assert set(found) == {f"internkontroll.risk/{n}/2024-01-01" for n in range(1, 9)}
    scores, bands = [], []
    for n in range(1, 9):
        f = found[f"internkontroll.risk/{n}/2024-01-01"]
        assert (f["kind"], f["severity"], f["status"], f["recipients"]) == (
            "measure", "info", "measured", [])
        assert (f["due_on"], f["end_on"]) == (None, "2024-12-31")
        assert f["legal_basis"] == ["Kommunallagen (2017:725) 6 kap. 6 §",
                                    "Kommunallagen 6 kap. 7 § (hänvisning i internkontrollplanen 2024)"]
        m = re.search(r"= risk (\d+), (\w+)\.", f["why"])
        assert m, f["why"]
        scores.append(int(m.group(1)))
        bands.append(m.group(2))
    assert scores == [12, 9, 12, 12, 16, 12, 9, 16]
    assert bands == ["orange", "gul", "orange", "orange", "röd", "orange", "gul", "röd"]
    assert [found[f"internkontroll.risk/{n}/2024-01-01"]["value"] for n in range(1, 9)] == scores
    assert [found[f"internkontroll.risk/{n}/2024-01-01"]["band"] for n in range(1, 9)] == bands
    why5 = found["internkontroll.risk/5/2024-01-01"]["why"]
    assert "konsekvens 4 (Allvarlig) × sannolikhet 4 (Sannolik) = risk 16, röd." in why5
    assert "Riskmatris: 5×5, band 1–4/5–9/10–14/15–25 (bevaka 1)." in why5
    # every stated risk equals the product: eight checks, all passed
    stated = _check(bevaka, "2024-06-30", rule="internkontroll.risk-angiven")
    assert len(stated) == 8 and {f["status"] for f in stated.values()} == {"passed"}


def test_the_score_and_band_are_in_the_evaluation_context(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[rules]\ndir = "{(ROOT / "rules").as_posix()}"\n'
                      '[rule_params."internkontroll.risk"]\norange_max = 12\n'
                      'matrix_version = "lokal 2"\n', encoding="utf-8")
    db = open_db(tmp_path / "b.db")
    import_files(db, [PLAN_XLSX])
    ev = evaluate(db, load_config(config), date(2024, 6, 30))
    risk = {f.subject: f.context for f in ev.findings if f.rule_id == "internkontroll.risk"}
    assert [risk[str(n)]["risk"] for n in range(1, 9)] == [12, 9, 12, 12, 16, 12, 9, 16]
    # the installation moved the orange/red limit: 12 is still orange, 16 red
    assert [risk[str(n)]["band"] for n in (1, 5, 2)] == ["orange", "röd", "gul"]
    assert all(c["matrix_version"] == "lokal 2" for c in risk.values())


def test_a_stated_risk_that_differs_is_reported_until_corrected(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(_plan_with(bevaka.tmp, 8, "Risk", 12)))
    found = {k: f for k, f in _check(bevaka, "2024-02-01", rule="internkontroll.risk-angiven").items()
             if f["status"] == "failed"}
    assert list(found) == ["internkontroll.risk-angiven/8/2024-01-01"]
    f = found["internkontroll.risk-angiven/8/2024-01-01"]
    assert (f["kind"], f["status"], f["due_on"], f["recipients"]) == ("check", "failed", None, ["us"])
    assert "planen anger risk 12, men konsekvens 4 × sannolikhet 4 = 16" in f["why"]
    risk8 = _check(bevaka, "2024-02-01", rule="internkontroll.risk")["internkontroll.risk/8/2024-01-01"]
    assert "= risk 16, röd. Planen anger risk 12." in risk8["why"]
    bevaka.ok("import", str(PLAN_XLSX))  # the corrected plan
    after = _check(bevaka, "2024-02-01", rule="internkontroll.risk-angiven")
    assert {f["status"] for f in after.values()} == {"passed"}


# ---- R-O03: reporting --------------------------------------------------------------------------

def test_reporting_before_each_may_and_november_meeting(bevaka: Bevaka) -> None:
    _import_examples(bevaka)
    may = _check(bevaka, "2024-06-01", rule="internkontroll.rapportering")
    # one finding per point for the May meeting; March is no reporting month, November not
    # yet visible (60 days before)
    assert set(may) == {f"internkontroll.rapportering/{n}/2024-05-22" for n in range(1, 9)}
    status = {k.split("/")[1]: (f["status"], f["late_days"]) for k, f in may.items()}
    assert status == {"1": ("resolved", 0), "2": ("resolved", 0), "3": ("overdue", None),
                      "4": ("resolved", 0), "5": ("resolved", 0), "6": ("overdue", None),
                      "7": ("resolved", 0), "8": ("resolved", 0)}
    three = may["internkontroll.rapportering/3/2024-05-22"]
    assert "Det finns 1 resultat med för litet urval" in three["why"]
    assert may["internkontroll.rapportering/5/2024-05-22"]["recipients"] == ["forsta_socialsekreterare"]

    end = _check(bevaka, "2024-12-31", rule="internkontroll.rapportering")
    assert end["internkontroll.rapportering/3/2024-05-22"]["status"] == "overdue"
    six = end["internkontroll.rapportering/6/2024-05-22"]
    assert (six["status"], six["done_on"], six["late_days"]) == ("resolved", "2024-11-20", 182)
    nov = {k.split("/")[1]: f["status"] for k, f in end.items() if k.endswith("/2024-11-20")}
    assert nov == {"1": "resolved", "2": "overdue", "3": "resolved", "4": "resolved",
                   "5": "resolved", "6": "resolved", "7": "resolved", "8": "resolved"}
    assert "internkontroll.rapportering/1/2024-05-22" not in end  # met > 92 days before


def test_a_result_imported_later_resolves_the_deadline(bevaka: Bevaka) -> None:
    _import_examples(bevaka)
    assert _check(bevaka, "2024-07-01")["internkontroll.rapportering/3/2024-05-22"]["status"] == "overdue"
    late = write_csv(bevaka.tmp / "sen.csv", ["Plan", "Nr", "Utförd", "Antal granskade",
                                              "Avvikelser", "Rapporterad"],
                     [[PLAN, 3, "2024-06-10", 5, 1, "2024-06-12"]])
    bevaka.ok("import", str(late))
    f = _check(bevaka, "2024-07-01")["internkontroll.rapportering/3/2024-05-22"]
    assert (f["status"], f["done_on"], f["late_days"]) == ("resolved", "2024-06-12", 21)
    assert "Resultatet rapporterades 2024-06-12, 21 dagar för sent." in f["why"]


# ---- R-O04: LSS decisions, point 7 ---------------------------------------------------------------

def test_point_7_share_and_violations_from_the_decision_register(bevaka: Bevaka) -> None:
    _import_examples(bevaka)
    may = _check(bevaka, "2024-05-22", rule="internkontroll.lss-verkstallighet")
    assert may["internkontroll.lss-verkstallighet/7/2024-05-22"]["status"] == "met"
    assert "av 2 LSS-beslut" in may["internkontroll.lss-verkstallighet/7/2024-05-22"]["why"]
    end = _check(bevaka, "2024-12-31")
    nov = end["internkontroll.lss-verkstallighet/7/2024-11-20"]
    assert (nov["kind"], nov["status"], nov["recipients"]) == ("measure", "not_met", ["us"])
    assert (round(nov["value"], 1), nov["target"], nov["unit"]) == (66.7, 100.0, "%")
    assert ("av 6 LSS-beslut vars tremånadersfrist löpte ut 2024-05-01–2024-10-31 verkställdes 4 "
            "i tid (66,7 %); 2 gjorde det inte. Målet är 100 %.") in nov["why"]
    assert not any(k.startswith("internkontroll.lss-verkstallighet/") and "/7/" not in k
                   for k in end)  # only point 7 is measured
    violations = {k: f for k, f in end.items() if k.startswith("internkontroll.lss-ej-i-tid/")}
    assert set(violations) == {"internkontroll.lss-ej-i-tid/D-2024-008",
                               "internkontroll.lss-ej-i-tid/D-2024-009"}
    assert violations["internkontroll.lss-ej-i-tid/D-2024-008"]["due_on"] == "2024-06-18"
    july = _check(bevaka, "2024-07-10", rule="internkontroll.lss-ej-i-tid")
    assert july["internkontroll.lss-ej-i-tid/D-2024-010"]["late_days"] == 25


def test_without_the_plan_no_internal_control_findings(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(DECISIONS), str(MEETINGS), str(INVESTIGATIONS))
    found = _check(bevaka, "2024-12-31")
    assert found  # the ivo rules still watch the decisions
    assert not [k for k in found if k.startswith("internkontroll.")]


# ---- R-O05: child investigations, point 8 --------------------------------------------------------

def test_point_8_march_above_ten_percent_september_exactly_ten(bevaka: Bevaka) -> None:
    _import_examples(bevaka)
    april = _check(bevaka, "2024-04-15", rule="internkontroll.bou-utredningar")
    assert list(april) == ["internkontroll.bou-utredningar/8/2024-03-01"]
    march = april["internkontroll.bou-utredningar/8/2024-03-01"]
    assert (march["status"], march["start_on"], march["due_on"]) == ("upcoming", "2024-03-31",
                                                                     "2024-05-22")
    assert "under 2024-03 pågick 9 utredningar om barn och unga, varav 2 (22,2 %)" in march["why"]
    assert "SoL (2001:453) 11 kap. 1 § (utredningar barn och unga, enligt planen)" in march["legal_basis"]
    may = _check(bevaka, "2024-06-01", rule="internkontroll.bou-utredningar")
    assert may["internkontroll.bou-utredningar/8/2024-03-01"]["status"] == "resolved"
    assert _check(bevaka, "2024-10-15", rule="internkontroll.bou-utredningar") == {}  # 1 of 10

    # one more investigation open since June makes September 2 of 11 (18,2 %)
    more = write_csv(bevaka.tmp / "fler.csv", ["Utredning", "Inledd", "Avslutad", "Enhet"],
                     [["BoU-2024-009", "2024-06-03", "", "IFO Barn och unga"]])
    bevaka.ok("import", str(more))
    sept = _check(bevaka, "2024-10-15", rule="internkontroll.bou-utredningar")
    f = sept["internkontroll.bou-utredningar/8/2024-09-01"]
    assert (f["status"], f["due_on"]) == ("upcoming", "2024-11-20")
    assert "pågick 11 utredningar om barn och unga, varav 2 (18,2 %)" in f["why"]


# ---- the pack's own examples -------------------------------------------------------------------

def test_rules_test_passes_for_the_pack(bevaka: Bevaka) -> None:
    data = json.loads(bevaka.ok("rules", "test", "--json").stdout)
    mine = [r for r in data["results"] if r["rule_id"].startswith("internkontroll.")]
    assert [r for r in mine if not r["ok"]] == []
    per_rule = {rule: sum(r["rule_id"] == rule for r in mine) for rule in PACK_RULES}
    assert all(n >= 3 for n in per_rule.values()), per_rule
    assert not [p for p in data["pack_problems"] if "internkontroll" in p]
    listed = json.loads(bevaka.ok("rules", "list", "--json").stdout)
    ids = {r["id"] for r in listed if r.get("pack") == "internkontroll"}
    assert ids == set(PACK_RULES)
