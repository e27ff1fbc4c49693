"""The klagomal pack (R-O13, R-O14) and the complaint fact type, end to end through the CLI with
a real SQLite file; the summary's free text never reaches a reminder."""

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
EXAMPLE = ROOT / "examples" / "klagomal-2024.csv"
HEADERS = ["Id", "Typ", "Enhet", "Ankomstdatum", "Bekräftelse", "Svar", "Anonym",
           "Sammanfattning"]
SECRET = "Maten serveras kall på avdelning Hällen"


class Cli:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.db = tmp / "bevaka.db"
        self.config = tmp / "config.toml"
        self.config.write_text(
            f'[rules]\ndir = "{(ROOT / "rules").as_posix()}"\n\n[roles]\n'
            'enhetschef = "enhetschef@kommun.example"\n'
            'namndsekreterare = "namndsekreterare@kommun.example"\n'
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


@pytest.fixture
def bevaka(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def _write(path: Path, rows: list[list[str]], headers: list[str] = HEADERS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(headers)
        w.writerows(rows)
    return path


def test_answered_on_day_29_late_under_three_weeks_on_time_under_one_month(
        bevaka: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "k.csv", [
        ["S-29", "Synpunkt", "Hemtjänst", "2024-02-01", "2024-02-02", "2024-03-01", "Nej", ""],
        ["H-29", "Klagomål HSL", "Hemsjukvård", "2024-02-01", "2024-02-02", "2024-03-01", "Nej",
         ""],
    ])
    bevaka.ok("import", str(path))
    found = bevaka.check("2024-03-31")
    three_weeks = found["klagomal.svar-tre-veckor/S-29"]
    one_month = found["klagomal.svar-en-manad/H-29"]
    assert (three_weeks["status"], three_weeks["due_on"], three_weeks["late_days"]) == (
        "resolved", "2024-02-22", 8)
    assert (one_month["status"], one_month["due_on"], one_month["late_days"]) == (
        "resolved", "2024-03-01", 0)
    assert "klagomal.svar-en-manad/S-29" not in found
    assert "klagomal.svar-tre-veckor/H-29" not in found
    assert one_month["legal_basis"][0].startswith("SOSFS 2011:9 5 kap.")


def test_anonymous_complaints_are_info_not_deadline_misses(bevaka: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "k.csv", [
        ["A-1", "Synpunkt", "Särskilt boende", "2024-04-02", "Anonym", "", "", ""],
        ["A-2", "Klagomål HSL", "Hemsjukvård", "2024-04-02", "", "", "Ja", ""],
    ])
    bevaka.ok("import", str(path))
    found = bevaka.check("2024-06-30")
    assert set(found) == {"klagomal.anonym/A-1", "klagomal.anonym/A-2"}
    for f in found.values():
        assert (f["kind"], f["status"], f["severity"], f["recipients"]) == (
            "check", "failed", "info", [])  # a note, not a missed deadline
        assert f["due_on"] is None and f["days_overdue"] == 0
        assert "undantagen från svarsfristen" in f["why"]


def test_overdue_synpunkt_escalates(bevaka: Cli, tmp_path: Path) -> None:
    bevaka.ok("import", str(_write(tmp_path / "k.csv", [
        ["S-1", "Synpunkt", "Hemtjänst", "2024-02-01", "", "", "Nej", ""]])))
    f = bevaka.check("2024-02-29")["klagomal.svar-tre-veckor/S-1"]
    assert (f["status"], f["days_overdue"], f["escalated"]) == ("overdue", 7, True)
    assert f["recipients"] == ["enhetschef", "namndsekreterare"]
    not_yet = bevaka.check("2024-02-28")["klagomal.svar-tre-veckor/S-1"]
    assert not_yet["escalated"] is False


def test_the_summary_never_reaches_a_reminder(bevaka: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "k.csv", [
        ["S-9", "Synpunkt", "Avdelning Hällen", "2024-02-01", "2024-02-02", "", "Nej", SECRET],
        ["H-9", "Klagomål HSL", "Hemsjukvård", "2024-02-01", "", "", "Nej", SECRET],
    ])
    bevaka.ok("import", str(path))
    conn = sqlite3.connect(bevaka.db)
    assert conn.execute("SELECT summary FROM complaints WHERE id = 'S-9'").fetchone() == (SECRET,)
    conn.close()
    found = bevaka.check("2024-03-15")
    assert {"klagomal.svar-tre-veckor/S-9", "klagomal.svar-en-manad/H-9"} <= set(found)
    assert SECRET not in json.dumps(found, ensure_ascii=False)
    out = tmp_path / "utkorg"
    bevaka.ok("notify", "--as-of", "2024-03-15", "--dry-run", "--out", str(out))
    mails = [p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.eml"))]
    assert mails, "no reminder was written"
    text = "\n".join(mails)
    assert "S-9" in text and "H-9" in text
    assert "serveras" not in text and "Maten" not in text


def test_acknowledgement_text_is_kept_as_a_note(bevaka: Cli, tmp_path: Path) -> None:
    bevaka.ok("import", str(_write(tmp_path / "k.csv", [
        ["S-2", "Synpunkt", "SÄBO", "2024-03-11", "Synpunkt skickad direkt till enhetschef",
         "2024-04-08", "Nej", ""]])))
    conn = sqlite3.connect(bevaka.db)
    row = conn.execute("SELECT acknowledged_on, acknowledgement_note, anonymous, kind "
                       "FROM complaints").fetchone()
    conn.close()
    assert row == (None, "Synpunkt skickad direkt till enhetschef", 0, "synpunkt")


def test_bad_rows_are_rejected_with_row_and_column(bevaka: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path / "k.csv", [
        ["S-1", "Synpunkt", "", "2024-02-01", "2024-13-01", "", "Nej", ""],
        ["S-2", "Beröm", "", "2024-02-01", "", "", "Kanske", ""],
        ["S-3", "Synpunkt", "", "2024-02-01", "", "2024-01-15", "Nej", ""],
        ["S-4", "Synpunkt", "", "2024-02-01", "", "", "Nej", "Gäller 19121212-1212"],
        ["19121212-1212", "Synpunkt", "", "2024-02-01", "", "", "Nej", ""],
    ])
    result = bevaka.run("import", str(path))
    assert result.exit_code == 1
    out = result.output
    assert "rad 2, kolumn Bekräftelse: '2024-13-01' är inget giltigt datum" in out
    assert "rad 3, kolumn Typ: 'Beröm' är ingen typ bevaka känner" in out
    assert "rad 3, kolumn Anonym: 'Kanske' är inget ja/nej-värde" in out
    assert "rad 4: svarsdatum ligger före ankomstdatum" in out
    assert "rad 5, kolumn Sammanfattning: sammanfattningen innehåller ett personnummer" in out
    assert "rad 6, kolumn Id: ser ut som ett personnummer" in out


def test_example_register(bevaka: Cli) -> None:
    bevaka.ok("import", str(EXAMPLE))
    found = bevaka.check("2024-12-31")
    assert found["klagomal.svar-tre-veckor/SVT-2024-05"]["late_days"] == 79  # 2024-08-21 → 11-29
    assert found["klagomal.svar-en-manad/SVT-2024-07"]["late_days"] == 7
    assert found["klagomal.svar-tre-veckor/SVT-2024-08"]["status"] == "overdue"
    # met more than [rules] resolved_window_days before: no longer listed
    assert "klagomal.svar-tre-veckor/SVT-2024-01" not in found
    # an anonymous complaint is a note for a year from when it came in
    assert found["klagomal.anonym/SVT-2024-03"]["end_on"] == "2025-04-02"
    assert "klagomal.anonym/SVT-2024-03" not in bevaka.check("2025-04-03")
    spring = bevaka.check("2024-04-30")
    assert spring["klagomal.anonym/SVT-2024-03"]["severity"] == "info"
    assert spring["klagomal.svar-tre-veckor/SVT-2024-02"]["late_days"] == 7  # 03-11 → 04-08
