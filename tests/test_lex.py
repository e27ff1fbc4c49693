"""The lex pack (R-N04 September follow-up, IVO reporting of serious Lex Sarah / Lex Maria
events) end to end through the CLI, with config.toml parameter overrides."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bevaka.cli import cli

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ["Id", "Typ", "Rapporterad", "Behov av åtgärder", "Allvarlig", "Anmäld till IVO",
           "Uppföljd"]


class Cli:
    def __init__(self, tmp: Path, extra: str = ""):
        self.db = tmp / "bevaka.db"
        self.config = tmp / "config.toml"
        self.config.write_text(
            f'[rules]\ndir = "{(ROOT / "rules").as_posix()}"\n\n{extra}\n[roles]\n'
            'mas = "mas@kommun.example"\n', encoding="utf-8")

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", str(self.db), "--config", str(self.config),
                                        *args])

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result

    def check(self, as_of: str) -> dict[str, dict[str, Any]]:
        return {f["id"]: f for f in json.loads(self.ok("check", "--as-of", as_of, "--json").stdout)}


def _register(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(HEADERS)
        w.writerows(rows)
    return path


@pytest.fixture
def register(tmp_path: Path) -> Path:
    return _register(tmp_path / "lex.csv", [
        ["LS-2025-1", "Lex Sarah", "2025-03-10", "Ja", "Nej", "", ""],
        ["LS-2025-2", "Lex Sarah", "2025-06-20", "Ja", "Ja", "", "2026-09-08"],
        ["LS-2025-3", "Lex Sarah", "2025-11-03", "Nej", "Nej", "", ""],
        ["LM-2025-1", "Lex Maria", "2025-06-20", "Ja", "Ja", "2025-07-01", ""],
    ])


def test_september_follow_up_of_last_years_sarah_reports(tmp_path: Path, register: Path) -> None:
    bevaka = Cli(tmp_path)
    bevaka.ok("import", str(register))
    found = bevaka.check("2026-10-01")
    follow = {k: f for k, f in found.items() if k.startswith("lex.sarah-uppfoljning-september/")}
    assert set(follow) == {"lex.sarah-uppfoljning-september/LS-2025-1",
                           "lex.sarah-uppfoljning-september/LS-2025-2"}
    missing = follow["lex.sarah-uppfoljning-september/LS-2025-1"]
    assert (missing["status"], missing["due_on"]) == ("overdue", "2026-09-30")
    done = follow["lex.sarah-uppfoljning-september/LS-2025-2"]
    assert (done["status"], done["late_days"]) == ("resolved", 0)
    # before September the follow-up is not listed yet
    early = bevaka.check("2026-08-31")
    assert not any(k.startswith("lex.sarah-uppfoljning-september/") for k in early)


def test_september_meeting_reading(tmp_path: Path, register: Path) -> None:
    bevaka = Cli(tmp_path, '[rule_params."lex.sarah-uppfoljning-september"]\n'
                           'reading = "september-meeting"\n')
    meetings = tmp_path / "moten.yaml"
    meetings.write_text("meetings:\n  - {body: VON, date: 2026-06-18}\n"
                        "  - {body: VON, date: 2026-09-10}\n", encoding="utf-8")
    bevaka.ok("import", str(meetings), str(register))
    f = bevaka.check("2026-09-11")["lex.sarah-uppfoljning-september/LS-2025-1"]
    assert (f["status"], f["due_on"]) == ("overdue", "2026-09-10")
    late = bevaka.check("2026-09-11")["lex.sarah-uppfoljning-september/LS-2025-2"]
    assert late["status"] == "resolved" and late["late_days"] == 0


def test_ivo_report_within_the_municipal_time_limit(tmp_path: Path, register: Path) -> None:
    bevaka = Cli(tmp_path)
    bevaka.ok("import", str(register))
    found = bevaka.check("2025-07-01")
    sarah = found["lex.anmalan-ivo/LS-2025-2"]
    assert (sarah["status"], sarah["due_on"], sarah["days_overdue"]) == ("upcoming", "2025-07-04", 0)
    assert sarah["recipients"] == ["forvaltningschef"]
    maria = found["lex.anmalan-ivo/LM-2025-1"]
    assert (maria["status"], maria["late_days"]) == ("resolved", 0)
    assert maria["legal_basis"] == ["Patientsäkerhetslagen (2010:659) 3 kap. 5 §; HSLF-FS 2017:41"]
    assert "lex.anmalan-ivo/LS-2025-1" not in found  # not serious
    overdue = bevaka.check("2025-07-05")["lex.anmalan-ivo/LS-2025-2"]
    assert (overdue["status"], overdue["escalated"]) == ("overdue", True)


def test_ivo_time_limit_is_a_parameter(tmp_path: Path, register: Path) -> None:
    bevaka = Cli(tmp_path, '[params]\nivo_days = 5\nivo_day_kind = "working"\n')
    bevaka.ok("import", str(register))
    # 2025-06-20 is Midsommarafton (Friday): five working days are 23, 24, 25, 26, 27 June
    f = bevaka.check("2025-06-27")["lex.anmalan-ivo/LS-2025-2"]
    assert (f["status"], f["due_on"]) == ("due", "2025-06-27")
    assert "5 arbetsdagar" in f["why"]


def test_lex_sarah_citation_follows_the_new_social_services_act(tmp_path: Path) -> None:
    bevaka = Cli(tmp_path)
    path = _register(tmp_path / "lex.csv", [["LS-1", "sarah", "2025-06-01", "Nej", "Ja", "", ""]])
    bevaka.ok("import", str(path))
    before = bevaka.check("2025-06-30")["lex.anmalan-ivo/LS-1"]["legal_basis"]
    after = bevaka.check("2025-07-01")["lex.anmalan-ivo/LS-1"]["legal_basis"]
    assert before == ["SoL (2001:453) 14 kap. 7 §", "LSS 24 f §"]
    assert after == ["SoL (2025:400), bestämmelserna om lex Sarah (anmälan till IVO)",
                     "LSS 24 f §"]


def test_lex_register_values(tmp_path: Path, register: Path) -> None:
    bevaka = Cli(tmp_path)
    bevaka.ok("import", str(register))
    conn = sqlite3.connect(bevaka.db)
    rows = conn.execute("SELECT id, kind, year, needs_action, serious FROM lex_reports "
                        "ORDER BY id").fetchall()
    conn.close()
    assert rows == [("LM-2025-1", "maria", 2025, 1, 1), ("LS-2025-1", "sarah", 2025, 1, 0),
                    ("LS-2025-2", "sarah", 2025, 1, 1), ("LS-2025-3", "sarah", 2025, 0, 0)]
    bad = _register(tmp_path / "bad.csv", [
        ["LX-1", "Lex Nisse", "2025-01-01", "Ja", "Nej", "", ""],
        ["LS-9", "sarah", "2025-03-01", "Ja", "Ja", "2025-02-01", ""],
    ])
    result = bevaka.run("import", str(bad))
    assert result.exit_code == 1
    assert "rad 2, kolumn Typ: 'Lex Nisse' är varken Lex Sarah eller Lex Maria" in result.output
    assert "rad 3: anmälan till IVO ligger före rapporten" in result.output
