"""The agreement fact types: recurring obligations watched by their own schedules (R-N01,
R-N02, R-N04, R-N05, R-O12, R-N28 in the skyldighet pack), the date consistency check, R-N13,
R-N26, R-N23 and the quality-register targets.

Everything goes through the real CLI (``bevaka.cli.cli`` via CliRunner) on a real SQLite file
in tmp_path, with a tmp config.toml whose rule directory is the repository's ``rules/``, and
on the real example files. Expected dates and amounts are worked out by hand in each test.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, Bevaka, config_text, write_csv
from openpyxl import Workbook

RECURRING = EXAMPLES / "avtal-aterkommande.yaml"
NYKOPING = [EXAMPLES / "nykoping-2024.yaml", EXAMPLES / "nykoping-2026.yaml"]

AGREEMENT_RULES = {
    "skyldighet.aterkommande", "skyldighet.tidplan", "avtal.datum-konsekvens",
    "avtal.korttid-bedomning", "avtal.investering-ks", "avtal.tom-lagenhet",
    "avtal.kvalitetsregister-mal",
}


def check(bevaka: Bevaka, as_of: str, rule: str, config: Path | None = None) -> dict[str, Any]:
    """``bevaka check --as-of … --rule … --json`` as {finding id: finding}."""
    out = bevaka.ok("check", "--as-of", as_of, "--rule", rule, "--json", config=config).output
    return {f["id"]: f for f in json.loads(out)}


def config_with_rule_params(bevaka: Bevaka, name: str, rule_id: str, **params: str | int) -> Path:
    values = {k: f'"{v}"' if isinstance(v, str) else str(v) for k, v in params.items()}
    extra = f'\n[rule_params."{rule_id}"]\n' + "".join(f"{k} = {v}\n" for k, v in values.items())
    path = bevaka.tmp / name
    path.write_text(config_text(extra=extra), encoding="utf-8")
    return path


# ---- rules test and the example files ------------------------------------------------------


def test_rules_test_passes_and_every_agreement_rule_has_three_examples(bevaka: Bevaka) -> None:
    result = bevaka.run("rules", "test", "--json")
    report = json.loads(result.output)
    ours = [r for r in report["results"] if r["rule_id"] in AGREEMENT_RULES]
    assert [r for r in ours if not r["ok"]] == []
    per_rule = {rid: sum(1 for r in ours if r["rule_id"] == rid) for rid in AGREEMENT_RULES}
    assert min(per_rule.values()) >= 3, per_rule
    assert result.exit_code == 0, result.output
    assert report["ok"] is True


def test_agreement_examples_import_with_guessed_kinds(bevaka: Bevaka) -> None:
    files = {
        "avtal-aterkommande.yaml": ("recurring_obligation", 14),
        "korttid-2026.csv": ("short_term_admission", 6),
        "investeringar.csv": ("investment", 5),
        "tomma-lagenheter-2024.csv": ("vacancy", 5),
        "kvalitetsregister-2024.csv": ("quality_outcome", 6),
    }
    result = bevaka.ok("import", "--json", *(str(EXAMPLES / f) for f in files))
    got = {Path(r["path"]).name: (r["kind"], r["rows"], r["changed"])
           for r in json.loads(result.output)}
    assert got == {name: (kind, n, n) for name, (kind, n) in files.items()}


def test_recurring_obligations_parse_the_schedules_as_written(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(RECURRING))
    conn = sqlite3.connect(bevaka.db_path)
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, topic, frequency, day, month, days_before, valid_from, valid_to "
        "FROM recurring_obligations")}
    conn.close()
    assert rows["2026-R1"] == ("platina", "monthly", 10, None, None, "2026-01-01", "2026-12-31")
    assert rows["2026-R2"][:4] == ("scb", "yearly", None, None)
    assert rows["2026-R3"][:2] == ("ej-verkstallda", "quarterly")
    assert rows["2024-R4"][:4] == ("lex-sarah", "yearly", None, 9)
    assert rows["2024-R5"][:4] == ("avvikelser", "yearly", None, 5)
    assert rows["2026-R5"][:4] == ("avvikelser", "yearly", None, 9)
    assert rows["2024-R6"] == ("psb", "yearly", 1, 3, None, "2024-01-01", "2024-12-31")


def test_an_unparseable_schedule_rejects_the_file_and_names_the_row(bevaka: Bevaka) -> None:
    path = write_csv(bevaka.tmp / "aterkommande.csv",
                     ["Id", "Rubrik", "Ämne", "Avtalsår", "Schema"],
                     [["X-1", "Platina", "platina", 2026, "senast den 10:e varje månad"],
                      ["X-2", "Per möte", "", 2026, "24 dagar före varje sammanträde i VON"],
                      ["X-3", "Okänt", "", 2026, "varannan vecka"]])
    result = bevaka.run("import", str(path))
    assert result.exit_code == 1
    assert "rad 4, kolumn Schema: 'varannan vecka' är inget schema bevaka förstår" in result.output
    assert "rad 2" not in result.output and "rad 3" not in result.output
    conn = sqlite3.connect(bevaka.db_path)
    assert conn.execute("SELECT count(*) FROM recurring_obligations").fetchone() == (0,)
    conn.close()


# ---- submissions get a period ---------------------------------------------------------------


def test_old_database_gets_the_period_column_from_the_migration(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(write_csv(bevaka.tmp / "s.csv", ["Rapport", "Inlämnad"],
                                      [["2024-12", "2024-04-08"]])))
    conn = sqlite3.connect(bevaka.db_path)
    with conn:  # make the database look like one from before the column existed
        conn.execute("ALTER TABLE submissions DROP COLUMN period")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'add_submissions_period'")
    assert "period" not in {r[1] for r in conn.execute("PRAGMA table_info(submissions)")}
    conn.close()

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Rapport", "Inlämnad", "Avser period"])
    ws.append(["2026-R1", date(2026, 3, 9), date(2026, 3, 1)])  # Excel made 2026-03 a date
    ws.append(["2026-R1", date(2026, 2, 9), "2026-2"])
    ws.append(["2026-R6", date(2026, 2, 20), 2026])
    wb.save(bevaka.tmp / "inlamnade.xlsx")
    bevaka.ok("import", str(bevaka.tmp / "inlamnade.xlsx"))

    conn = sqlite3.connect(bevaka.db_path)
    rows = sorted(conn.execute("SELECT obligation_id, submitted_on, period FROM submissions"))
    applied = conn.execute("SELECT count(*) FROM _sqlite_migrations "
                           "WHERE name = 'add_submissions_period'").fetchone()
    conn.close()
    assert rows == [("2024-12", "2024-04-08", None), ("2026-R1", "2026-02-09", "2026-02"),
                    ("2026-R1", "2026-03-09", "2026-03"), ("2026-R6", "2026-02-20", "2026")]
    assert applied == (1,)


def test_a_bad_period_rejects_the_file(bevaka: Bevaka) -> None:
    path = write_csv(bevaka.tmp / "s.csv", ["Rapport", "Inlämnad", "Period"],
                     [["2026-R1", "2026-02-09", "2026-13"]])
    result = bevaka.run("import", str(path))
    assert result.exit_code == 1
    assert "rad 2, kolumn Period: '2026-13' är ingen period" in result.output


# ---- the agreements' recurring duties, watched by skyldighet.aterkommande ------------------


def test_agreement_duties_from_their_own_schedules(bevaka: Bevaka) -> None:
    """R-N01 Platina (no weekend shift: the agreement gives none), R-N04, R-N05 (May 2024,
    September 2026, from each agreement's own row), R-O12 (1 March, rolled forward) and R-N28."""
    bevaka.ok("import", str(RECURRING), str(write_csv(
        bevaka.tmp / "inlamnade.csv", ["Rapport", "Inlämnad", "Avser period"],
        [["2026-R1", "2026-01-12", "2026-01"],   # the 10th was a Saturday: no shift, 2 days late
         ["2026-R1", "2026-02-10", "2026-02"],
         ["2026-R1", "2026-03-05", "2026-04"],   # early, for April: March stays open
         ["2026-R6", "2026-03-02", "2026"]])))
    rule = "skyldighet.aterkommande"
    found = check(bevaka, "2026-03-31", rule)
    ours = {k: (f["status"], f["due_on"], f["late_days"]) for k, f in found.items()
            if "/2026-R1/" in k or "/2026-R6/" in k}
    assert ours == {
        f"{rule}/2026-R1/2026-01-01": ("resolved", "2026-01-10", 2),
        f"{rule}/2026-R1/2026-02-01": ("resolved", "2026-02-10", 0),
        f"{rule}/2026-R1/2026-03-01": ("overdue", "2026-03-10", None),
        # 1 March 2026 is a Sunday: Lag (1930:173) makes Monday the last day, so on time
        f"{rule}/2026-R6/2026-03-01": ("resolved", "2026-03-02", 0),
    }
    psb = found[f"{rule}/2026-R6/2026-03-01"]
    assert psb["legal_basis"][0] == "Patientsäkerhetslag (2010:659) 3 kap. 10 §"
    # the 2024 agreement's file was never registered: all twelve months are still open
    assert sum(1 for k, f in found.items() if "/2024-R1/" in k and f["status"] == "overdue") == 12
    old = found[f"{rule}/2024-R6/2024-03-01"]  # 1 March 2024 was a Friday
    assert (old["status"], old["due_on"], old["escalated"]) == ("overdue", "2024-03-01", True)
    assert old["recipients"] == ["divisionschef", "sakkunnig"]

    may = check(bevaka, "2024-06-01", rule)[f"{rule}/2024-R5/2024-05-01"]
    assert (may["status"], may["due_on"]) == ("overdue", "2024-05-31")
    assert may["legal_basis"] == ["Överenskommelse VON–DSO 2024, avsnitt 1 Formalia (Ansvarsfördelning)"]
    sept = check(bevaka, "2026-10-01", rule)
    assert (sept[f"{rule}/2026-R5/2026-09-01"]["due_on"], sept[f"{rule}/2026-R4/2026-09-01"]["due_on"]) \
        == ("2026-09-30", "2026-09-30")
    assert f"{rule}/2024-R5/2026-09-01" not in sept  # the 2024 duty keeps its own May
    refugees = check(bevaka, "2024-12-31", rule)[f"{rule}/2024-R7/2024-12-01"]
    assert (refugees["status"], refugees["due_on"]) == ("due", "2024-12-31")


def test_scb_duty_waits_for_the_date_from_scbs_schedule(bevaka: Bevaka) -> None:
    """R-N02: without a date the row is a failing check; with the date it is watched."""
    bevaka.ok("import", str(RECURRING))
    checks = check(bevaka, "2026-02-01", "skyldighet.tidplan")
    assert {k: f["status"] for k, f in checks.items()} == {
        "skyldighet.tidplan/2026-R2/2026-01-01": "failed"}
    rows = yaml.safe_load(RECURRING.read_text(encoding="utf-8"))["recurring_obligations"]
    scb = next(r for r in rows if r["id"] == "2026-R2")
    dated = bevaka.tmp / "scb.yaml"
    dated.write_text(yaml.safe_dump({"recurring_obligations": [{**scb, "due_on": "2026-04-15"}]},
                                    allow_unicode=True), encoding="utf-8")
    bevaka.ok("import", str(dated))
    assert check(bevaka, "2026-02-01", "skyldighet.tidplan")[
        "skyldighet.tidplan/2026-R2/2026-01-01"]["status"] == "passed"
    due = check(bevaka, "2026-04-16", "skyldighet.aterkommande")[
        "skyldighet.aterkommande/2026-R2/2026-12-01"]
    assert (due["status"], due["due_on"]) == ("overdue", "2026-04-15")


# ---- consistency of the stated dates -------------------------------------------------------


@pytest.mark.parametrize("as_of", ["2024-01-15", "2024-04-02", "2026-06-30", "2026-12-31"])
def test_no_consistency_findings_on_the_real_agreements(bevaka: Bevaka, as_of: str) -> None:
    bevaka.ok("import", *map(str, NYKOPING))
    checks = check(bevaka, as_of, "avtal.datum-konsekvens")
    assert {f["status"] for f in checks.values()} <= {"passed"}  # every stated date agrees
    # the check is not vacuous: the same store has the reports, with the stated dates
    reports = check(bevaka, "2026-12-31", "avtal.rapport-fore-sammantrade")
    assert reports["avtal.rapport-fore-sammantrade/2024-04"]["due_on"] == "2024-04-02"


def test_a_wrong_stated_date_is_an_info_finding(bevaka: Bevaka) -> None:
    data = yaml.safe_load(NYKOPING[1].read_text(encoding="utf-8"))
    wrong = next(o for o in data["obligations"] if o["id"] == "2026-01")
    assert (wrong["due_on"], wrong["meeting_on"]) == (date(2026, 5, 25), date(2026, 6, 18))
    wrong["due_on"] = date(2026, 5, 26)  # a Tuesday, 23 days before the meeting
    path = bevaka.tmp / "nykoping-2026-fel.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bevaka.ok("import", str(NYKOPING[0]), str(path))

    found = {k: f for k, f in check(bevaka, "2026-05-01", "avtal.datum-konsekvens").items()
             if f["status"] == "failed"}
    assert list(found) == ["avtal.datum-konsekvens/2026-01"]
    f = found["avtal.datum-konsekvens/2026-01"]
    assert (f["kind"], f["due_on"]) == ("check", None)  # a check: no invented due date
    assert (f["severity"], f["recipients"], f["escalated"]) == ("info", [], False)
    assert "ger 2026-05-25 (1 dag tidigare)" in f["why"]
    # the stated date still governs the report itself
    report = check(bevaka, "2026-05-01", "avtal.rapport-fore-sammantrade")
    assert report["avtal.rapport-fore-sammantrade/2026-01"]["due_on"] == "2026-05-26"


# ---- R-N13 OT/PT assessment after moving into short-term housing ---------------------------


def test_short_term_assessment_within_two_working_days(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(EXAMPLES / "korttid-2026.csv"))
    found = check(bevaka, "2026-06-30", "avtal.korttid-bedomning")
    got = {f["subject"]: (f["status"], f["due_on"], f["late_days"]) for f in found.values()}
    assert got == {
        # resolved within the 92-day window of 2026-06-30 (the January ones have dropped off)
        "KT-2026-003": ("resolved", "2026-04-08", 0),  # Maundy Thursday: Easter does not count
        "KT-2026-004": ("resolved", "2026-04-08", 0),
        "KT-2026-005": ("overdue", "2026-06-23", None),  # Midsummer Eve does not count
        "KT-2026-006": ("resolved", "2026-06-24", 0),
    }
    assert found["avtal.korttid-bedomning/KT-2026-005"]["recipients"] == ["enhetschef", "mar"]
    jan = check(bevaka, "2026-01-31", "avtal.korttid-bedomning")
    assert {f["subject"]: f["late_days"] for f in jan.values()} == {"KT-2026-001": 0, "KT-2026-002": 1}

    calendar = config_with_rule_params(bevaka, "cal.toml", "avtal.korttid-bedomning",
                                       day_count="calendar")
    jan = check(bevaka, "2026-01-31", "avtal.korttid-bedomning", calendar)
    assert {f["subject"]: (f["due_on"], f["late_days"]) for f in jan.values()} == {
        "KT-2026-001": ("2026-01-11", 2), "KT-2026-002": ("2026-01-11", 3)}


# ---- R-N26 investments of 10 mnkr or more --------------------------------------------------


def test_investment_of_ten_mnkr_needs_a_ks_decision(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(EXAMPLES / "investeringar.csv"))
    found = {k: f for k, f in check(bevaka, "2026-12-31", "avtal.investering-ks").items()
             if f["status"] == "failed"}
    assert list(found) == ["avtal.investering-ks/INV-2026-02"]
    f = found["avtal.investering-ks/INV-2026-02"]
    assert (f["kind"], f["status"], f["due_on"], f["severity"]) == ("check", "failed", None, "high")
    assert f["start_on"] == "2026-02-16"
    assert "kostar 12 500 tkr" in f["why"] and "av divisionschef" in f["why"]

    # a lower threshold in config.toml catches the divisionschef's smaller decisions too
    lower = config_with_rule_params(bevaka, "lower.toml", "avtal.investering-ks",
                                    ks_threshold_tkr=200)
    found = check(bevaka, "2026-12-31", "avtal.investering-ks", lower)
    assert sorted(f["subject"] for f in found.values() if f["status"] == "failed") == [
        "INV-2026-01", "INV-2026-02", "INV-2026-04"]


# ---- R-N23 vacancy charge (2024 only) ------------------------------------------------------


def test_vacancy_charge_reading_a_and_b(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(EXAMPLES / "tomma-lagenheter-2024.csv"))
    found = check(bevaka, "2024-06-30", "avtal.tom-lagenhet")
    assert sorted(f["subject"] for f in found.values()) == ["DB-Linden-3", "ÄB-Rosen-12"]
    rosen = found["avtal.tom-lagenhet/ÄB-Rosen-12"]
    assert (rosen["status"], rosen["due_on"], rosen["late_days"]) == ("resolved", "2024-03-31", 15)
    assert "efter 45 dygn: 45 × 719,60 kr = 32 382,00 kr" in rosen["why"]
    assert "0,45 × 1 799,00 kr = 809,55 kr" in found["avtal.tom-lagenhet/DB-Linden-3"]["why"]

    b = config_with_rule_params(bevaka, "b.toml", "avtal.tom-lagenhet", charge_reading="B")
    rosen_b = check(bevaka, "2024-06-30", "avtal.tom-lagenhet", b)["avtal.tom-lagenhet/ÄB-Rosen-12"]
    assert "15 × 719,60 kr = 10 794,00 kr" in rosen_b["why"]

    open_now = check(bevaka, "2024-12-31", "avtal.tom-lagenhet")
    eken = open_now["avtal.tom-lagenhet/ÄB-Eken-7"]
    assert eken["status"] == "overdue"
    assert "tom 41 dygn: hittills 41 × 719,60 kr = 29 503,60 kr" in eken["why"]
    assert open_now["avtal.tom-lagenhet/DB-Linden-5"]["status"] == "upcoming"

    assert check(bevaka, "2025-01-15", "avtal.tom-lagenhet") == {}  # the 2024 agreement only


# ---- quality-register targets --------------------------------------------------------------


def test_quality_register_targets_not_met(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(EXAMPLES / "kvalitetsregister-2024.csv"))
    found = check(bevaka, "2025-01-31", "avtal.kvalitetsregister-mal")
    assert {f["subject"]: f["status"] for f in found.values() if f["status"] != "met"} == {
        "Senior alert/säbo/2024": "not_met",
        "HALT/hemsjukvård/2024": "not_met",
        "Palliativregistret/all/2024": "not_met",
        "BPSD/dbo/2024": "not_met",
    }
    bpsd = found["avtal.kvalitetsregister-mal/BPSD/dbo/2024"]
    assert (bpsd["kind"], bpsd["value"], bpsd["target"], bpsd["unit"]) == (
        "measure", 186 * 100 / 266, 70.0, "%")
    assert "186 av 266 = 69,9 %, under målvärdet 70 %" in found[
        "avtal.kvalitetsregister-mal/BPSD/dbo/2024"]["why"]

    # one more BPSD rating: 187/266 = 70,3 % meets the target, and the finding goes
    path = write_csv(bevaka.tmp / "bpsd.csv", ["Register", "Verksamhet", "År", "Täljare", "Nämnare",
                                              "Målvärde"], [["BPSD", "demensboende", 2024, 187, 266,
                                                             "70 %"]])
    bevaka.ok("import", str(path))
    found = check(bevaka, "2025-01-31", "avtal.kvalitetsregister-mal")
    assert found["avtal.kvalitetsregister-mal/BPSD/dbo/2024"]["status"] == "met"
    assert sum(f["status"] == "not_met" for f in found.values()) == 3
