"""Issue #2 acceptance, end to end through the CLI on a real SQLite file."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bevaka.cli import cli

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Ärende;Lag;Verksamhet;Insats;Beslutsdatum;Verkställd;Avbrott;Återupptagen;Handläggare\n"


def _setup(tmp_path: Path, params: str = "") -> tuple[CliRunner, list[str]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[rules]\ndir = "{ROOT / "rules"}"\n[params]\n{params}\n'
        '[roles]\nbistand_ao = "ao@kommun.example"\n', encoding="utf-8")
    register = tmp_path / "beslut.csv"
    register.write_text(
        HEADER
        + "A-1;SoL;ÄO;SÄBO;2024-06-28;2024-10-17;;;bistand_ao\n"
        + "B-1;SoL;IFO;Kontaktperson;2024-04-10;2024-07-15;2024-10-01;;bistand_ao\n",
        encoding="utf-8")
    base = ["--db", str(tmp_path / "b.db"), "--config", str(config)]
    runner = CliRunner()
    result = runner.invoke(cli, [*base, "import", str(register)])
    assert result.exit_code == 0, result.output
    return runner, base


def _check(runner: CliRunner, base: list[str], as_of: str) -> dict[str, dict]:
    result = runner.invoke(cli, [*base, "check", "--as-of", as_of, "--json"])
    assert result.exit_code == 0, result.output
    return {f["id"]: f for f in json.loads(result.output)}


def test_clock_a_overdue_then_resolved_and_reported_as_executed(tmp_path: Path) -> None:
    runner, base = _setup(tmp_path)
    f = _check(runner, base, "2024-09-30")["ivo.ej-verkstallt/A-1"]
    assert {"id", "rule_id", "rule_version", "subject", "status", "due_on", "late_days",
            "severity", "recipients", "why", "legal_basis"} <= set(f)
    assert (f["status"], f["due_on"], f["late_days"]) == ("overdue", "2024-09-28", None)
    assert "2024-06-28" in f["why"] and "2 dagar" in f["why"]
    assert f["legal_basis"] == ["SoL (2001:453) 16 kap. 6 f § första stycket"]
    later = _check(runner, base, "2024-12-31")["ivo.ej-verkstallt/A-1"]
    assert (later["status"], later["late_days"]) == ("resolved", 19)
    after_new_law = _check(runner, base, "2025-07-01")
    assert "ivo.ej-verkstallt/A-1" not in after_new_law  # met more than the window ago

    result = runner.invoke(cli, [*base, "report", "ivo", "--quarter", "2024Q4", "--json"])
    data = json.loads(result.output)
    assert list(data)[:5] == ["quarter", "as_of", "SoL", "LSS", "counts"]  # issue 9 adds after
    assert (data["quarter"], data["as_of"]) == ("2024Q4", "2024-12-31")
    assert data["SoL"] == {"not_executed": [], "interrupted": [], "executed": ["A-1"]}
    assert data["LSS"] == {"not_executed": [], "interrupted": [], "executed": []}


def test_clock_b_calendar_upcoming_and_90_days_interrupted(tmp_path: Path) -> None:
    runner, base = _setup(tmp_path)
    f = _check(runner, base, "2024-12-31")["ivo.avbrott/B-1"]
    assert (f["status"], f["due_on"]) == ("upcoming", "2025-01-01")
    data = json.loads(runner.invoke(cli, [*base, "report", "ivo", "--quarter", "2024Q4",
                                          "--json"]).output)
    assert data["SoL"]["interrupted"] == []

    runner90, base90 = _setup(tmp_path / "d90", 'three_months = "90-days"')
    f90 = _check(runner90, base90, "2024-12-31")["ivo.avbrott/B-1"]
    assert (f90["status"], f90["due_on"]) == ("overdue", "2024-12-30")
    data = json.loads(runner90.invoke(cli, [*base90, "report", "ivo", "--quarter", "2024Q4",
                                            "--json"]).output)
    assert data["SoL"]["interrupted"] == ["B-1"]


def test_report_files_csv_and_xlsx(tmp_path: Path) -> None:
    runner, base = _setup(tmp_path)
    out = tmp_path / "rapport"
    result = runner.invoke(cli, [*base, "report", "ivo", "--quarter", "2024Q4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "A-1" in (out / "ivo-2024Q4.csv").read_text(encoding="utf-8")
    wb = load_workbook(out / "ivo-2024Q4.xlsx")
    assert wb.sheetnames == ["SoL", "LSS", "Antal"]
    ids = [row[1] for row in wb["SoL"].iter_rows(min_row=3, values_only=True)]
    assert ids == ["A-1"]


def test_audit_verify_detects_a_row_changed_with_the_sqlite3_cli(tmp_path: Path) -> None:
    runner, base = _setup(tmp_path)
    _check(runner, base, "2024-09-30")
    _check(runner, base, "2024-12-31")
    ok = runner.invoke(cli, [*base, "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    sqlite_cli = shutil.which("sqlite3")
    assert sqlite_cli, "the sqlite3 command-line tool is needed (make test installs it)"
    db = tmp_path / "b.db"
    seq = sqlite3.connect(db).execute(
        "SELECT seq FROM audit_log WHERE kind = 'finding' ORDER BY seq LIMIT 1 OFFSET 1"
    ).fetchone()[0]
    subprocess.run(
        [sqlite_cli, str(db),
         "DROP TRIGGER IF EXISTS audit_log_no_update; "
         f"UPDATE audit_log SET payload = replace(payload, 'overdue', 'resolved') WHERE seq = {seq};"],
        check=True)
    bad = runner.invoke(cli, [*base, "audit", "verify"])
    assert bad.exit_code == 1
    assert f"seq {seq}" in bad.output


def test_bad_row_rejects_the_whole_file(tmp_path: Path) -> None:
    runner, base = _setup(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "C-1;SoL;ÄO;SÄBO;2024-01-01;;;;bistand_ao\n"
                   + "C-2;LSS;FSO;Ledsagare;2024-02-30;;;;bistand_ao\n", encoding="utf-8")
    before = _check(runner, base, "2024-12-31")
    result = runner.invoke(cli, [*base, "import", str(bad)])
    assert result.exit_code == 1
    assert "rad 3, kolumn Beslutsdatum:" in result.output
    assert "Traceback" not in result.output
    assert set(_check(runner, base, "2024-12-31")) == set(before)


@pytest.mark.parametrize("mutate,exit_code", [(False, 0), (True, 1)])
def test_rules_test_runs_examples_and_fails_on_a_wrong_expectation(
        tmp_path: Path, mutate: bool, exit_code: int) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    if mutate:
        path = rules / "ivo" / "ej-verkstallt.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("late_days: 19", "late_days: 18"), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[rules]\ndir = "{rules}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "b.db"), "--config", str(config),
                                      "rules", "test"])
    assert result.exit_code == exit_code, result.output
    assert result.output.strip().endswith(
        "godkända exempel, 1 underkänt" if exit_code else "godkända exempel, 0 underkända")
