"""The IVO quarter (issue 9): every execution case with its dates written out, the JSON of
``report ivo`` (issue 2's shape plus the new lists), the KF statistics and the reconciliation
of the three reports, through the CLI on a real SQLite file.

The example data: ``examples/beslut-2024.xlsx`` and ``examples/ivo-handelser-2024.yaml``
(D-2024-041 … 046, see examples/README.md).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, REGISTER_XLSX, SV_HEADERS, Bevaka, write_csv

from bevaka import Bevaka as App
from engine.ivo_kf import ReconciliationError, kf_report, reconcile
from engine.ivo_law import citation, fee_range, time_band

EVENTS = EXAMPLES / "ivo-handelser-2024.yaml"
WINDOWS = EXAMPLES / "ivo-rapporteringsperioder.yaml"


def _ivo(bevaka: Bevaka, quarter: str) -> dict[str, Any]:
    return json.loads(bevaka.ok("report", "ivo", "--quarter", quarter, "--json").stdout)


def _row(data: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(r for r in data["rows"] if r["ref"] == ref)


@pytest.fixture
def quarter(bevaka: Bevaka) -> Bevaka:
    bevaka.ok("import", str(REGISTER_XLSX), str(EVENTS), str(WINDOWS))
    return bevaka


def test_every_execution_case_in_2024q3_and_2024q4(quarter: Bevaka) -> None:
    q3, q4 = _ivo(quarter, "2024Q3"), _ivo(quarter, "2024Q4")

    # Same-quarter late execution: decided 2024-07-15, three months end 2024-10-15, executed
    # 2024-11-20 (36 days late). Not reportable at 2024-09-30 (not yet due); listed as executed
    # in 2024Q4 with its execution date, under the executed notice's paragraph.
    assert "D-2024-041" not in json.dumps({k: q3[k] for k in ("SoL", "LSS")})
    assert "D-2024-041" in q4["SoL"]["executed"]
    r = _row(q4, "D-2024-041")
    assert (r["decided_on"], r["due_on"], r["done_on"], r["days"]) == (
        "2024-07-15", "2024-10-15", "2024-11-20", 36)
    assert r["citation"] == "SoL (2001:453) 16 kap. 6 g §"

    # Partial execution: 2 of 5 hours given from 2024-03-04; the 3 hours are due 2024-06-04 and
    # reportable on their own in every quarter they stay undelivered (210 days at 2024-12-31).
    part = "D-2024-042/3 av 5 timmar hemtjänst per vecka"
    assert q3["partial"]["SoL"]["not_executed"] == [part] == q4["partial"]["SoL"]["not_executed"]
    assert "D-2024-042" not in q4["SoL"]["not_executed"]  # the decision itself was executed
    r = _row(q4, part)
    assert (r["category"], r["due_on"], r["days"], r["part"]) == (
        "partial", "2024-06-04", 210, "3 av 5 timmar hemtjänst per vecka")
    assert r["citation"] == "SoL (2001:453) 16 kap. 6 f § första stycket"

    # A declined offer (offered 2024-08-15, declined 2024-08-20) does not close the case: the
    # LSS decision of 2024-05-02 (due 2024-08-02) stays not executed in Q3 and Q4, flagged.
    for data in (q3, q4):
        assert "D-2024-043" in data["LSS"]["not_executed"]
        assert data["declined_offers"]["LSS"] == ["D-2024-043"]
    r = _row(q4, "D-2024-043")
    assert r["declined"] and r["citation"] == "LSS 28 f § första stycket"

    # Avslutat: decided 2024-05-02 (due 2024-08-02), not executed at 2024-09-30, closed
    # 2024-11-05 because the person died: Q3 lists it as not executed, Q4 as closed (reporting
    # ends, 95 days after the three months) and no longer as not executed.
    assert "D-2024-044" in q3["SoL"]["not_executed"]
    assert q4["closed"]["SoL"] == ["D-2024-044"]
    assert "D-2024-044" not in q4["SoL"]["not_executed"] + q4["SoL"]["executed"]
    r = _row(q4, "D-2024-044")
    assert (r["closed_on"], r["closed_reason"], r["days"]) == ("2024-11-05", "avliden", 95)

    # LOV: waiting for a chosen provider since 2024-06-01 is still reportable (due 2024-08-10),
    # and flagged as such.
    for data in (q3, q4):
        assert "D-2024-045" in data["SoL"]["not_executed"]
        assert data["lov_postponed"]["SoL"] == ["D-2024-045"]
    assert _row(q4, "D-2024-045")["lov_wait_from"] == "2024-06-01"

    # Two interruptions of one decision, each with its own three months: 2024-02-01 resumed
    # 2024-03-15 (before 2024-05-01: never reportable); 2024-06-10 not resumed by 2024-09-30
    # (due 2024-09-10: Q3 interrupted, second paragraph), resumed 2024-11-04 (Q4 executed).
    assert q3["LSS"]["interrupted"] == ["D-2024-046"]
    r = _row(q3, "D-2024-046/2024-06-10")
    assert (r["interrupted_on"], r["due_on"], r["citation"]) == (
        "2024-06-10", "2024-09-10", "LSS 28 f § andra stycket")
    assert not any(row["ref"] == "D-2024-046/2024-02-01" for row in q3["rows"] + q4["rows"])
    assert "D-2024-046" in q4["LSS"]["executed"]
    r = _row(q4, "D-2024-046/2024-06-10")
    assert (r["done_on"], r["days"], r["citation"]) == ("2024-11-04", 55, "LSS 28 g §")

    # Issue 2's lists are unchanged for the register's own edge cases.
    assert q4["SoL"]["executed"] == ["D-2024-001", "D-2024-041"]
    assert q4["LSS"]["not_executed"] == ["D-2024-008", "D-2024-009", "D-2024-043"]
    assert q4["window"] == {"opens_on": "2025-01-01", "closes_on": "2025-01-31",
                            "source": "ivo_windows"}
    assert q4["reported"] == {"marked": False, "reported_on": None}
    assert q4["reconciliation"] == []
    assert all("birth_date" not in row for row in q4["rows"])


def test_a_second_interruption_overwrites_nothing(bevaka: Bevaka) -> None:
    """Issue: a decision held one interruption. Both are kept, each with its finding."""
    bevaka.ok("import", str(EVENTS))
    found = json.loads(bevaka.ok("check", "--as-of", "2024-04-30", "--json").stdout)
    ids = {f["id"]: f for f in found if f["rule_id"] == "ivo.avbrott-historik"}
    assert ids["ivo.avbrott-historik/D-2024-046/2024-02-01"]["status"] == "resolved"
    found = json.loads(bevaka.ok("check", "--as-of", "2024-09-30", "--json").stdout)
    second = next(f for f in found if f["id"] == "ivo.avbrott-historik/D-2024-046/2024-06-10")
    assert (second["status"], second["due_on"]) == ("overdue", "2024-09-10")
    assert second["legal_basis"] == ["LSS 28 f § andra stycket"]


def test_kf_report_shape_and_totals_reconcile_with_the_ivo_report(quarter: Bevaka) -> None:
    kf = json.loads(quarter.ok("report", "kf", "--quarter", "2024Q4", "--json").stdout)
    assert set(kf) == {"quarter", "as_of", "SoL", "LSS"}
    assert (kf["quarter"], kf["as_of"]) == ("2024Q4", "2024-12-31")
    for law in ("SoL", "LSS"):
        assert set(kf[law]["by_insats"]) == {"not_executed", "interrupted"}
        for per in kf[law]["by_insats"].values():
            assert all(set(n) == {"kvinnor", "män"} for n in per.values())
        assert set(kf[law]["by_time"]["not_executed"]) == {
            "upp till 6 mån", "7–9 mån", "10–12 mån", "13–17 mån", "18–23 mån",
            "24 mån eller mer"}
    # SoL not executed at 2024-12-31: D-2024-003 (Kvinna, Kontaktfamilj), D-2024-045 (Kvinna,
    # Hemtjänst) and the undelivered part of D-2024-042 (Man, Hemtjänst).
    assert kf["SoL"]["by_insats"]["not_executed"] == {
        "Hemtjänst": {"kvinnor": 1, "män": 1}, "Kontaktfamilj": {"kvinnor": 1, "män": 0}}
    # Whole months since the decision: 003 (2024-05-02) and 045 (2024-05-10) 7, 042
    # (2024-03-04) 9.
    assert kf["SoL"]["by_time"]["not_executed"]["7–9 mån"] == {"kvinnor": 2, "män": 1}
    assert kf["SoL"]["by_time"]["not_executed"]["upp till 6 mån"] == {"kvinnor": 0, "män": 0}
    assert kf["LSS"]["by_insats"]["not_executed"] == {
        "Bostad med särskild service": {"kvinnor": 1, "män": 0},
        "Daglig verksamhet": {"kvinnor": 0, "män": 1},
        "Korttidsvistelse": {"kvinnor": 1, "män": 0}}
    assert kf["SoL"]["citation"] == "SoL (2001:453) 16 kap. 6 h §"

    ivo = _ivo(quarter, "2024Q4")
    for law in ("SoL", "LSS"):
        totals = kf[law]["totals"]
        assert (totals["not_executed"]["kvinnor"] + totals["not_executed"]["män"]
                == ivo["totals"][law]["not_executed"] + ivo["totals"][law]["partial"])
        assert (totals["interrupted"]["kvinnor"] + totals["interrupted"]["män"]
                == ivo["totals"][law]["interrupted"])
    # The reconciliation check itself, on one snapshot through the Python API.
    with App.from_files(config=quarter.config_path, db=quarter.db_path) as app:
        rep = app.quarter("2024Q4")
        assert reconcile(rep) == []
        stats = kf_report(rep)
        assert stats.to_dict()["SoL"]["totals"] == kf["SoL"]["totals"]
        revision = app.report_revision("2024Q4")[0]
        assert len(revision["rows"]) == len(rep.rows) == len(ivo["rows"])
        assert all(r["run_id"] and r["why"] and r["rules_revision"] for r in revision["rows"])


def test_a_mismatch_names_the_decision_and_stops_the_export(bevaka: Bevaka) -> None:
    """A decision without Kön is counted (its own row); a count that still differs between the
    three reports (here: the KF statistics lose X-1) names the decision and stops the export."""
    rows = [["X-1", "SoL", "IFO", "Kontaktperson", "2024-04-10", "", "", "", "", "", "ifo"],
            ["X-2", "SoL", "IFO", "Kontaktperson", "2024-04-10", "", "", "", "Kvinna", "", "ifo"]]
    bevaka.ok("import", str(write_csv(bevaka.tmp / "b.csv", SV_HEADERS, rows)))
    kf = json.loads(bevaka.ok("report", "kf", "--quarter", "2024Q4", "--json").stdout)
    assert kf["SoL"]["other_or_unknown_sex"]["not_executed"] == 1
    assert kf["SoL"]["totals"]["not_executed"] == {"kvinnor": 1, "män": 0}
    with App.from_files(config=bevaka.config_path, db=bevaka.db_path) as app:
        rep = app.quarter("2024Q4")
        stats = kf_report(rep)
        stats.counted[("SoL", "not_executed")].discard("X-1")
        stats.by_law["SoL"]["other_or_unknown_sex"]["not_executed"] = 0
        stats.uncounted["X-1"] = "kön saknas"
        differences = reconcile(rep, stats)
        assert [d.refs for d in differences] == [["X-1"]]
        error = ReconciliationError(rep.quarter, differences)
    assert "avstämningen av 2024Q4 stämmer inte; inget exporterades" in str(error)
    assert "SoL Ej verkställda: IVO-rapporten 2, KF-rapporten 1, revisionsrapporten 2" in str(error)
    assert "X-1 (kön saknas)" in str(error)


def test_mark_reported_is_logged_and_shown(quarter: Bevaka) -> None:
    quarter.ok("report", "ivo", "--quarter", "2024Q4", "--mark-reported",
               "--reported-on", "2025-01-21")
    runs = json.loads(quarter.ok("audit", "log", "--json").stdout)
    assert runs[0]["command"] == "report ivo --quarter 2024Q4 --mark-reported 2025-01-21"
    assert _ivo(quarter, "2024Q4")["reported"] == {"marked": True, "reported_on": "2025-01-21"}
    assert quarter.ok("audit", "verify").exit_code == 0
    wrong = quarter.run("report", "ivo", "--quarter", "2024Q4", "--reported-on", "2025-01-21")
    assert wrong.exit_code == 1 and "--mark-reported" in wrong.output


@pytest.mark.parametrize(("law", "case", "on", "expected"), [
    ("SoL", "not_executed", date(2025, 6, 30), "SoL (2001:453) 16 kap. 6 f § första stycket"),
    ("SoL", "not_executed", date(2025, 9, 30), "SoL (2025:400) 34 kap. 1 § första stycket"),
    ("SoL", "interrupted", date(2025, 6, 30), "SoL (2001:453) 16 kap. 6 f § andra stycket"),
    ("SoL", "interrupted", date(2025, 9, 30), "SoL (2025:400) 34 kap. 1 § andra stycket"),
    ("SoL", "executed", date(2025, 6, 30), "SoL (2001:453) 16 kap. 6 g §"),
    ("SoL", "executed", date(2025, 9, 30), "SoL (2025:400) 34 kap. 2 §"),
    ("SoL", "statistics", date(2025, 9, 30), "SoL (2025:400) 34 kap. 3 §"),
    ("SoL", "partial", date(2025, 9, 30), "SoL (2025:400) 34 kap. 1 § första stycket"),
    ("SoL", "closed_interrupted", date(2025, 9, 30), "SoL (2025:400) 34 kap. 1 § andra stycket"),
    ("LSS", "not_executed", date(2025, 9, 30), "LSS 28 f § första stycket"),
    ("LSS", "executed", date(2024, 12, 31), "LSS 28 g §"),
    ("LSS", "statistics", date(2024, 12, 31), "LSS 28 h §"),
])
def test_each_row_cites_its_paragraph_for_the_reporting_date(law: str, case: str, on: date,
                                                             expected: str) -> None:
    assert citation(law, case, on) == expected


def test_the_new_law_is_cited_from_2025q3(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(write_csv(bevaka.tmp / "b.csv", SV_HEADERS, [
        ["N-1", "SoL", "ÄO", "SÄBO", "2025-02-03", "", "", "", "Man", "1940", "bistand_ao"]])))
    assert _row(_ivo(bevaka, "2025Q2"), "N-1")["citation"] == \
        "SoL (2001:453) 16 kap. 6 f § första stycket"
    assert _row(_ivo(bevaka, "2025Q3"), "N-1")["citation"] == \
        "SoL (2025:400) 34 kap. 1 § första stycket"


def test_fee_ranges_and_time_bands() -> None:
    assert (fee_range("SoL", date(2025, 12, 31)).floor, fee_range("SoL", date(2025, 12, 31)).ceiling
            ) == (10_000, 1_000_000)
    new = fee_range("SoL", date(2026, 1, 1))
    assert (new.floor, new.ceiling) == (15_000, 1_500_000)
    assert "SFS 2025:1299" in new.citation and "34 kap. 7 §" in new.citation
    assert "SFS 2025:1298" in fee_range("LSS", date(2026, 1, 1)).citation
    assert fee_range("SoL", date(2025, 6, 30)).citation == "SoL (2001:453) 16 kap. 6 b §"
    assert time_band(date(2024, 5, 2), date(2024, 12, 31)) == "7–9 mån"
    assert time_band(date(2024, 7, 2), date(2024, 12, 31)) == "upp till 6 mån"
    assert time_band(date(2022, 12, 31), date(2024, 12, 31)) == "24 mån eller mer"


def test_reports_read_the_quarter_from_one_run(quarter: Bevaka, tmp_path: Path) -> None:
    """kf and revision each log their own run; within one, all three come from one snapshot."""
    data = json.loads(quarter.ok("report", "revision", "--quarter", "2024Q4", "--json").stdout)
    runs = json.loads(quarter.ok("audit", "log", "--json").stdout)
    assert runs[0]["run_id"] == data["run_id"]
    assert runs[0]["command"] == "report revision --quarter 2024Q4"
    assert {r["run_id"] for r in data["rows"]} == {data["run_id"]}


def test_a_decision_of_another_sex_is_counted_and_the_quarter_reconciles(
        quarter: Bevaka, tmp_path: Path) -> None:
    """The register accepts Kön 'Annat' (and an empty Kön); the statistics split women and men,
    so such a decision gets a row of its own and is in the sum: the quarter is not blocked."""
    extra = tmp_path / "beslut-annat.csv"
    extra.write_text("Ärende;Lag;Verksamhet;Insats;Beslutsdatum;Kön;Födelseår;Handläggare\n"
                     "D-2024-901;SoL;ÄO;Hemtjänst;2024-05-06;Annat;1950;bistand_ao\n"
                     "D-2024-902;LSS;FSO;Daglig verksamhet;2024-06-03;;1990;lss\n",
                     encoding="utf-8")
    quarter.ok("import", "--kind", "decisions", str(extra))
    kf = json.loads(quarter.ok("report", "kf", "--quarter", "2024Q4", "--json").stdout)
    assert kf["SoL"]["other_or_unknown_sex"] == {"not_executed": 1, "interrupted": 0}
    assert kf["LSS"]["other_or_unknown_sex"] == {"not_executed": 1, "interrupted": 0}
    ivo = _ivo(quarter, "2024Q4")
    for law in ("SoL", "LSS"):
        t = kf[law]["totals"]["not_executed"]
        assert (t["kvinnor"] + t["män"] + kf[law]["other_or_unknown_sex"]["not_executed"]
                == ivo["totals"][law]["not_executed"] + ivo["totals"][law]["partial"])
    out = tmp_path / "kf"
    quarter.ok("report", "kf", "--quarter", "2024Q4", "--out", str(out), "--format", "csv")
    text = (out / "kf-2024Q4.csv").read_text(encoding="utf-8-sig")
    assert "Kön annat eller ej angivet" in text
