"""The bevaka CLI (bevaka.cli.cli via CliRunner) on a tmp database and config.toml."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import EXAMPLES, REGISTER_XLSX, SV_HEADERS, Bevaka, dump, write_csv, write_xlsx

FINDING_KEYS = {"id", "rule_id", "rule_version", "subject", "status", "due_on", "late_days",
                "severity", "recipients", "why", "legal_basis"}

ROWS = [
    ["C-1", "SoL", "ÄO", "SÄBO", "2024-06-28", "2024-10-17", "", "", "", "", "bistand_ao"],
    ["C-2", "LSS", "FSO", "Kontaktperson", "2024-03-18", "", "", "", "", "", "bistand_fso"],
    ["C-3", "SoL", "ÄO", "SÄBO", "2024-06-14", "2024-09-14", "", "", "", "", "bistand_ao"],
]


def _no_traceback(output: str) -> None:
    assert "Traceback" not in output
    assert output.count("Fel:") == 1, output


def _check(bevaka: Bevaka, as_of: str) -> dict[str, dict[str, object]]:
    result = bevaka.ok("check", "--as-of", as_of, "--json")
    return {f["id"]: f for f in json.loads(result.stdout)}


def test_import_prints_counts_and_is_idempotent(bevaka: Bevaka) -> None:
    path = write_csv(bevaka.tmp / "b.csv", SV_HEADERS, ROWS)
    out = bevaka.ok("import", str(path)).output
    assert "3 rader (gynnande beslut), 3 nya/ändrade, 0 oförändrade" in out
    data = json.loads(bevaka.ok("import", str(path), "--json").stdout)
    assert [(f["kind"], f["rows"], f["changed"], f["unchanged"]) for f in data] == [
        ("decision", 3, 0, 3)]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_import_bad_file_exits_1_with_one_error_block(bevaka: Bevaka, suffix: str) -> None:
    good = write_csv(bevaka.tmp / "good.csv", SV_HEADERS, ROWS)
    bevaka.ok("import", str(good))
    before = dump(bevaka.db_path)
    rows = [list(r) for r in ROWS] + [
        ["C-4", "SoL", "ÄO", "SÄBO", "2024-04-31", "", "", "", "", "", ""],   # row 5
        ["C-5", "SoL", "ÄO", "SÄBO", "2024-05-01", "", "", "", "", "", ""],
        ["C-6", "LSS", "ÄO", "SÄBO", "idag", "", "", "", "", "", ""],         # row 7
    ]
    rows[0][5] = "2024-10-18"
    writer = write_csv if suffix == "csv" else write_xlsx
    bad = writer(bevaka.tmp / f"bad.{suffix}", SV_HEADERS, rows)
    result = bevaka.run("import", str(bad))
    assert result.exit_code == 1
    _no_traceback(result.output)
    assert "rad 5, kolumn Beslutsdatum:" in result.output
    assert "rad 7, kolumn Beslutsdatum:" in result.output
    assert "inget importerades (2 fel)" in result.output
    assert dump(bevaka.db_path) == before


def test_import_missing_file_and_unknown_kind(bevaka: Bevaka) -> None:
    result = bevaka.run("import", str(bevaka.tmp / "finns-inte.csv"))
    assert result.exit_code == 1
    _no_traceback(result.output)
    assert "filen finns inte" in result.output
    odd = write_csv(bevaka.tmp / "odd.csv", ["Färg", "Form"], [["röd", "rund"]])
    result = bevaka.run("import", str(odd))
    assert result.exit_code == 1
    _no_traceback(result.output)
    assert "--kind" in result.output


def test_check_json_clock_a(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(write_csv(bevaka.tmp / "b.csv", SV_HEADERS, ROWS)))
    findings = _check(bevaka, "2024-09-30")
    f = findings["ivo.ej-verkstallt/C-1"]
    assert set(f) >= FINDING_KEYS
    assert f["status"] == "overdue"
    assert (f["rule_id"], f["rule_version"], f["subject"]) == ("ivo.ej-verkstallt", 1, "C-1")
    assert (f["due_on"], f["late_days"], f["severity"]) == ("2024-09-28", None, "high")
    assert f["recipients"] == ["bistand_ao"]
    assert f["legal_basis"] == ["SoL (2001:453) 16 kap. 6 f § första stycket"]
    assert "senast 2024-09-28" in str(f["why"]) and "2 dagar efter fristen" in str(f["why"])
    assert findings["ivo.ej-verkstallt/C-2"]["legal_basis"] == ["LSS 28 f § första stycket"]
    assert findings["ivo.ej-verkstallt/C-3"]["late_days"] == 0
    assert "context" not in f

    findings = _check(bevaka, "2024-12-31")
    f = findings["ivo.ej-verkstallt/C-1"]
    assert (f["status"], f["late_days"], f["done_on"]) == ("resolved", 19, "2024-10-17")
    assert "19 dagar för sent" in str(f["why"])
    assert findings["ivo.ej-verkstallt/C-2"]["status"] == "overdue"
    assert findings["ivo.ej-verkstallt/C-2"]["escalated"] is True


def test_check_filters_and_table(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(write_csv(bevaka.tmp / "b.csv", SV_HEADERS, ROWS)))
    data = json.loads(bevaka.ok("check", "--as-of", "2024-12-31", "--status", "overdue",
                                "--json").stdout)
    assert [f["id"] for f in data] == ["ivo.ej-verkstallt/C-2"]
    data = json.loads(bevaka.ok("check", "--as-of", "2024-12-31", "--rule", "ivo.avbrott",
                                "--json").stdout)
    assert data == []
    out = bevaka.ok("check", "--as-of", "241231").output  # YYMMDD works for --as-of too
    assert "C-2" in out and "försenad: 1" in out and "åtgärdad: 1" in out


def test_check_bad_as_of_and_bad_config(bevaka: Bevaka) -> None:
    result = bevaka.run("check", "--as-of", "2024-02-30")
    assert result.exit_code == 1
    _no_traceback(result.output)
    broken = bevaka.tmp / "broken.toml"
    broken.write_text("[rules]\nresolved_window_days = -1\n", encoding="utf-8")
    result = bevaka.run("check", "--as-of", "2024-12-31", config=broken)
    assert result.exit_code == 1
    _no_traceback(result.output)
    assert "resolved_window_days" in result.output
    result = bevaka.run("check", config=bevaka.tmp / "saknas.toml")
    assert result.exit_code == 1
    _no_traceback(result.output)


# ---- explain ----------------------------------------------------------------------------------

def test_explain_finding(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(REGISTER_XLSX))
    out = bevaka.ok("explain", "ivo.ej-verkstallt/D-2024-001", "--as-of", "2024-09-30").output
    lines = out.splitlines()
    assert lines[0] == "ivo.ej-verkstallt/D-2024-001  (försenad, frist 2024-09-28)"
    assert lines[1] == ("Regel: ivo.ej-verkstallt v1: Gynnande beslut ej verkställt inom tre "
                        "månader")
    assert lines[2] == (
        "Varför: Beslut D-2024-001 (SoL, SÄBO) fattades 2024-06-28 och ska vara verkställt inom "
        "tre månader, senast 2024-09-28. Per 2024-09-30 är det inte verkställt, 2 dagar efter "
        "fristen, och ska rapporteras till IVO.")
    assert lines[3] == "Rättslig grund: SoL (2001:453) 16 kap. 6 f § första stycket"
    assert "  deadline = 2024-09-28" in lines
    assert any(x.startswith(f"Källa: {REGISTER_XLSX} rad 2 (importerad ") for x in lines)
    data = json.loads(bevaka.ok("explain", "ivo.ej-verkstallt/D-2024-001", "--as-of",
                                "2024-09-30", "--json").stdout)
    assert data["finding"]["status"] == "overdue"
    assert data["rule"]["params"] == {"three_months": "calendar"}
    assert data["derived"] == {"deadline": "2024-09-28"}
    assert data["provenance"]["row"] == 2


def test_explain_why_not(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(REGISTER_XLSX))
    out = bevaka.ok("explain", "--subject", "D-2024-013", "--rule", "ivo.avbrott",
                    "--as-of", "2024-12-31").output
    lines = out.splitlines()
    assert "  [ ] interrupted_on is not null" in lines
    assert "  [x] law in ['SoL', 'LSS']" in lines
    assert "  three_months = calendar" in lines
    assert "Ingen bevakning: villkoret 'interrupted_on is not null' är inte uppfyllt" in lines
    out = bevaka.ok("explain", "--subject", "D-2024-011", "--rule", "ivo.ej-verkstallt",
                    "--as-of", "2024-12-31").output
    assert "Ingen bevakning: fristen möttes för mer än 92 dagar sedan" in out
    out = bevaka.ok("explain", "--subject", "D-2024-004", "--rule", "ivo.ej-verkstallt",
                    "--as-of", "2024-11-01").output
    assert "Ingen bevakning: bevakningen börjar 2024-11-30, efter 2024-11-01" in out
    out = bevaka.ok("explain", "--subject", "D-2024-003", "--rule", "ivo.ej-verkstallt",
                    "--as-of", "2024-12-31").output
    assert out.splitlines()[0].startswith(
        "D-2024-003 har bevakningen ivo.ej-verkstallt/D-2024-003: Beslut D-2024-003")
    assert "Ingen bevakning" not in out


@pytest.mark.parametrize("args", [
    ["explain", "ivo.ej-verkstallt/D-2024-999", "--as-of", "2024-12-31"],
    ["explain", "nope", "--as-of", "2024-12-31"],
    ["explain", "--subject", "D-2024-999", "--rule", "ivo.avbrott", "--as-of", "2024-12-31"],
    ["explain", "--subject", "D-2024-001", "--rule", "ivo.finns-inte", "--as-of", "2024-12-31"],
])
def test_explain_unknown_is_a_one_line_error(bevaka: Bevaka, args: list[str]) -> None:
    bevaka.ok("import", str(REGISTER_XLSX))
    result = bevaka.run(*args)
    assert result.exit_code == 1
    _no_traceback(result.output)
    assert len(result.output.strip().splitlines()) == 1
    assert result.stdout == ""


# ---- audit ------------------------------------------------------------------------------------

def _sqlite3(db_path: Path, sql: str) -> None:
    exe = shutil.which("sqlite3")
    if exe is None:
        pytest.fail("the sqlite3 command-line program is not on PATH")
    proc = subprocess.run([exe, str(db_path)], input=sql, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr


def test_audit_verify_detects_an_edited_row(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(REGISTER_XLSX), str(EXAMPLES / "nykoping-2024.yaml"))
    bevaka.ok("check", "--as-of", "2024-09-30", "--json")
    bevaka.ok("check", "--as-of", "2024-12-31")
    bevaka.ok("report", "ivo", "--quarter", "2024Q4", "--json")
    result = bevaka.ok("audit", "verify")
    assert "Revisionsloggen är hel:" in result.output and "3 körningar" in result.output
    data = json.loads(bevaka.ok("audit", "verify", "--json").stdout)
    assert data["ok"] is True and data["runs"] == 3

    conn = sqlite3.connect(bevaka.db_path)
    seq, payload = conn.execute(
        "SELECT seq, payload FROM audit_log WHERE kind = 'finding' AND payload LIKE ? "
        "ORDER BY seq LIMIT 1", ['%"D-2024-001"%']).fetchone()
    total = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    conn.close()
    assert '"status":"overdue"' in payload
    # the trigger refuses the edit as long as it exists
    exe = shutil.which("sqlite3")
    assert exe is not None
    refused = subprocess.run([exe, str(bevaka.db_path)], text=True, capture_output=True,
                             input=f"UPDATE audit_log SET payload = 'x' WHERE seq = {seq};")
    assert refused.returncode != 0 and "skrivskyddad" in refused.stderr
    assert bevaka.run("audit", "verify").exit_code == 0

    forged = payload.replace('"status":"overdue"', '"status":"upcoming"').replace("'", "''")
    _sqlite3(bevaka.db_path, "DROP TRIGGER audit_log_no_update;\n"
                             f"UPDATE audit_log SET payload = '{forged}' WHERE seq = {seq};\n")
    result = bevaka.run("audit", "verify")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"rad {seq} (seq {seq}," in result.output
    assert "hash stämmer inte – raden har ändrats" in result.output
    data = json.loads(bevaka.run("audit", "verify", "--json").stdout)
    assert data["ok"] is False and data["first_bad_seq"] == seq
    assert seq < total


def test_audit_log_lists_runs(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(REGISTER_XLSX))
    bevaka.ok("check", "--as-of", "2024-09-30")
    runs = json.loads(bevaka.ok("audit", "log", "--json").stdout)
    assert len(runs) == 1
    assert runs[0]["as_of"] == "2024-09-30" and runs[0]["command"] == "check"
    assert runs[0]["closed"] is True
