"""The balanslista (R-O24) and delegation (R-O23) packs end to end through the CLI, on the real
list of 2023-12-13 (catalogue T4) and the VON Oxelösund meetings, with a real SQLite file."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from bevaka.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
MEETINGS = EXAMPLES / "oxelosund-moten.yaml"
LIST_2023 = EXAMPLES / "balanslista-2023-12-13.yaml"


class Cli:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.db = tmp / "bevaka.db"
        self.config = tmp / "config.toml"
        self.config.write_text(
            f'[rules]\ndir = "{(ROOT / "rules").as_posix()}"\n\n[roles]\n'
            'namndsekreterare = "namndsekreterare@kommun.example"\n', encoding="utf-8")

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", str(self.db), "--config", str(self.config),
                                        *args])

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result

    def check(self, as_of: str) -> dict[str, dict[str, Any]]:
        out = self.ok("check", "--as-of", as_of, "--json").stdout
        return {f["id"]: f for f in json.loads(out)}


@pytest.fixture
def bevaka(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def test_acceptance_list_of_2023_12_13(bevaka: Cli) -> None:
    bevaka.ok("import", str(MEETINGS), str(LIST_2023))
    found = bevaka.check("2023-12-13")
    mine = {k: v for k, v in found.items() if k.startswith("balanslista.")}

    overdue = mine["balanslista.aterrapportering/10"]
    assert (overdue["status"], overdue["due_on"]) == ("overdue", "2023-11-21")
    assert "Uppföljning av genomlysning" in overdue["why"]
    assert overdue["recipients"] == ["forvaltningschef", "namndsekreterare"]
    for row in ("11", "12"):  # the two "Q4 2023 dec" items fall due at this meeting
        f = mine[f"balanslista.aterrapportering/{row}"]
        assert (f["status"], f["due_on"]) == ("due", "2023-12-13")
    assert [k for k, f in mine.items() if f["status"] == "overdue"] == [
        "balanslista.aterrapportering/10"]

    # recurring: every meeting, and April/August/December, fall due today; 8a skips December
    due_today = {k for k, f in mine.items() if f["status"] == "due"}
    assert due_today == {
        "balanslista.aterrapportering/11", "balanslista.aterrapportering/12",
        *(f"balanslista.aterkommande/{r}/2023-12-13" for r in ("2", "3", "4", "5", "7", "9")),
        "balanslista.arligen/20/2023-01-01",
    }
    assert not any(k.startswith("balanslista.aterkommande/8a/") for k in mine)
    paused = mine["balanslista.pausad/1"]
    assert (paused["kind"], paused["status"], paused["severity"], paused["recipients"]) == (
        "check", "failed", "info", [])  # listed as a note: no due date, no reminder
    # the Q1 2024 and Mars 2024 items are upcoming, at the (invented) March meeting
    assert {mine[f"balanslista.aterrapportering/{r}"]["due_on"]
            for r in ("13", "14", "15", "16", "17", "18", "19")} == {"2024-03-20"}


def test_recurring_items_in_2024(bevaka: Cli) -> None:
    bevaka.ok("import", str(MEETINGS), str(LIST_2023))
    found = bevaka.check("2024-02-21")
    # 8a (every meeting but February and December) fell due in January, not in February
    assert found["balanslista.aterkommande/8a/2024-01-24"]["status"] == "overdue"
    assert "balanslista.aterkommande/8a/2024-02-21" not in found
    # "bokslut" is February: row 6 is due at the February meeting
    assert found["balanslista.aterkommande/6/2024-02-21"]["status"] == "due"
    assert found["balanslista.aterkommande/8a/2024-01-24"]["recipients"] == [
        "ekonom", "namndsekreterare"]


def test_every_row_is_imported_without_personal_names(bevaka: Cli) -> None:
    bevaka.ok("import", str(LIST_2023))
    conn = sqlite3.connect(bevaka.db)
    rows = conn.execute("SELECT row, responsible, responsible_role, due_kind, kind, "
                        "decided_on, decided_text FROM balanslista_items").fetchall()
    conn.close()
    by_row = {r[0]: r for r in rows}
    assert len(rows) == 21 and {"8a", "8b"} <= set(by_row)
    assert {r[1] for r in rows} == {None, "ekonom", "hr", "forvaltningschef"}
    assert all(r[1] == r[2] for r in rows)  # a role key as written is the reminder role
    assert sorted({r[3] for r in rows}) == ["absolute", "paused", "recurring"]
    assert by_row["15"][4] == "MI"  # "MI/" in the source
    assert by_row["13"][5:] == ("2019-03-26", "2017-05-30 2019-03-26")


def test_a_name_as_responsible_never_becomes_a_recipient(bevaka: Cli, tmp_path: Path) -> None:
    path = tmp_path / "lista.csv"
    _write_csv(path, ["Listdatum", "Rad", "Ärendemening", "Ansvarig",
                      "Uppdrag klart/återrapportering"],
               [["2023-12-13", "10", "Uppföljning av genomlysning", "Katarina", "November 2023"],
                ["2023-12-13", "9", "Sjukskrivningstal", "HR", "Q4 2023 dec"]])
    bevaka.ok("import", str(MEETINGS), str(path))
    found = bevaka.check("2023-12-13")
    assert found["balanslista.aterrapportering/10"]["recipients"] == ["namndsekreterare"]
    assert found["balanslista.aterrapportering/9"]["recipients"] == ["namndsekreterare"]
    assert "Katarina" not in json.dumps(found, ensure_ascii=False)


def _write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(headers)
        w.writerows(rows)


def test_bad_due_value_is_an_import_error_naming_the_row_csv(bevaka: Cli, tmp_path: Path) -> None:
    path = tmp_path / "lista.csv"
    _write_csv(path, ["Listdatum", "Rad", "Ärendemening", "Uppdrag klart/återrapportering"],
               [["2023-12-13", "1", "Nära vård", "Q4 2023 dec"],
                ["2023-12-13", "2", "Välfärdsteknik", "Mras 2024"],
                ["2023-12-13", "3", "Ukraina", "Q1 2024 dec"]])
    result = bevaka.run("import", str(path))
    assert result.exit_code == 1
    assert "filen avvisades, inget importerades (2 fel)" in result.output
    assert ("rad 3, kolumn Uppdrag klart/återrapportering: position 1 i 'Mras 2024': "
            "väntade en månad, delår eller bokslut men fann 'mras'; menade du 'mars'?"
            in result.output)
    assert ("rad 4, kolumn Uppdrag klart/återrapportering: position 9 i 'Q1 2024 dec': "
            "december ligger inte i Q1" in result.output)
    conn = sqlite3.connect(bevaka.db)
    assert conn.execute("SELECT count(*) FROM balanslista_items").fetchone() == (0,)
    conn.close()


def test_bad_due_value_is_an_import_error_naming_the_row_xlsx(bevaka: Cli, tmp_path: Path) -> None:
    path = tmp_path / "lista.xlsx"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Listdatum", "Rad", "Ärendemening", "B/MI", "Uppdrag klart/återrapportering"])
    ws.append(["2023-12-13", 8, "Ekonomisk uppföljning", "MI", "Varje nämnd förutom feb och december"])
    ws.append(["2023-12-13", 9, "Sjukskrivningstal", "MI", "Varje nämnd utom feb"])
    wb.save(path)
    result = bevaka.run("import", str(path))
    assert result.exit_code == 1
    assert ("rad 3, kolumn Uppdrag klart/återrapportering: position 13 i 'Varje nämnd utom "
            "feb': väntade 'förutom' eller slutet men fann 'utom'") in result.output


def test_only_the_newest_list_counts(bevaka: Cli, tmp_path: Path) -> None:
    bevaka.ok("import", str(MEETINGS), str(LIST_2023))
    newer = tmp_path / "lista-2024.yaml"
    newer.write_text(
        "balanslista_items:\n"
        "  - {list_date: 2024-06-01, row: '5', matter: Välfärdsteknik, due_text: Q2 2025}\n"
        "  - {list_date: 2024-06-01, row: '6', matter: Digitala arbetsprov/språkombud, "
        "due_text: Februari varje år, reported_on: 2024-02-21}\n", encoding="utf-8")
    bevaka.ok("import", str(newer))
    found = bevaka.check("2024-06-12")
    mine = {k: f for k, f in found.items() if k.startswith("balanslista.")}
    # the rescheduled item (Q1 2024 -> Q2 2025) is no longer overdue; the old list is history
    assert set(mine) == {"balanslista.aterrapportering/5"}
    assert mine["balanslista.aterrapportering/5"]["due_on"] == "2025-06-30"


def test_reported_items_are_resolved(bevaka: Cli, tmp_path: Path) -> None:
    listed = tmp_path / "lista.yaml"
    listed.write_text(
        "balanslista_items:\n"
        "  - {list_date: 2023-12-13, row: '10', matter: Genomlysning, due_text: November 2023,"
        " reported_on: 2023-12-13}\n"
        "  - {list_date: 2023-12-13, row: '2', matter: Kö, due_text: Varje nämnd,"
        " reported_on: 2024-01-24}\n", encoding="utf-8")
    bevaka.ok("import", str(MEETINGS), str(listed))
    found = bevaka.check("2024-01-31")
    late = found["balanslista.aterrapportering/10"]
    assert (late["status"], late["late_days"]) == ("resolved", 22)
    assert found["balanslista.aterkommande/2/2023-12-13"]["status"] == "resolved"
    assert found["balanslista.aterkommande/2/2024-01-24"]["late_days"] == 0


# ---- delegation (R-O23) --------------------------------------------------------------------


def test_november_delegation_decisions_reported_at_the_december_meeting(bevaka: Cli) -> None:
    bevaka.ok("import", str(MEETINGS))
    found = bevaka.check("2023-12-13")
    reports = {k: f for k, f in found.items() if k.startswith("delegation.redovisning/")}
    assert len(reports) == 4
    for f in reports.values():
        assert (f["status"], f["due_on"], f["late_days"]) == ("resolved", "2023-12-13", 0)
        assert f["legal_basis"] == ["Kommunallagen (2017:725) 6 kap. 40 § och 7 kap. 8 §"]


def test_delegation_report_not_given_is_overdue_after_the_next_meeting(bevaka: Cli,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "delegation.csv"
    _write_csv(path, ["Id", "Delegat", "Period", "Beslutstyper"],
               [["DEL-2024-01", "LSS-handläggare", "2024-01", "Personlig assistans"]])
    bevaka.ok("import", str(MEETINGS), str(path))
    f = bevaka.check("2024-02-22")["delegation.redovisning/DEL-2024-01"]
    assert (f["status"], f["due_on"], f["recipients"]) == ("overdue", "2024-02-21",
                                                          ["namndsekreterare"])
    assert "2024-01 (LSS-handläggare)" in f["why"]


# ---- the rule examples -------------------------------------------------------------------


MY_PACKS = ("balanslista", "klagomal", "lex", "delegation")


def test_rules_test_passes(tmp_path: Path) -> None:
    """`bevaka rules test` on these four packs alone: every example passes, every rule has
    at least three."""
    rules = tmp_path / "rules"
    for pack in MY_PACKS:
        shutil.copytree(ROOT / "rules" / pack, rules / pack)
    bevaka = Cli(tmp_path)
    bevaka.config.write_text(f'[rules]\ndir = "{rules.as_posix()}"\n', encoding="utf-8")
    data = json.loads(bevaka.ok("rules", "test", "--json").stdout)
    assert (data["ok"], data["failed"], data["pack_problems"]) == (True, 0, [])
    by_rule: dict[str, int] = {}
    for r in data["results"]:
        by_rule[r["rule_id"]] = by_rule.get(r["rule_id"], 0) + 1
    assert set(by_rule) == {
        "balanslista.aterrapportering", "balanslista.aterkommande", "balanslista.arligen",
        "balanslista.pausad", "klagomal.svar-tre-veckor", "klagomal.svar-en-manad",
        "klagomal.anonym", "lex.sarah-uppfoljning-september", "lex.anmalan-ivo",
        "delegation.redovisning"}
    assert min(by_rule.values()) >= 3
    assert data["passed"] == sum(by_rule.values())
