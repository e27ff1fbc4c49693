"""The log grows with change and still proves the whole state: the change records found in
SQL equal a full comparison, `audit state` gives what `check` showed, tampering is named."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import EXAMPLES, Bevaka, write_csv

from bevaka import Bevaka as App
from engine.config import load_config
from engine.state import payload_of

NYKOPING = ["beslut-2024.xlsx", "nykoping-2024.yaml", "nykoping-2026.yaml", "inlamnade-2024.csv"]
OXELOSUND = ["oxelosund-moten.yaml", "balanslista-2023-12-13.yaml", "internkontroll-2024.xlsx",
             "kontrollresultat-2024.csv", "utredningar-bou-2024.csv", "klagomal-2024.csv",
             "avtal-aterkommande.yaml"]
DATES = ["2024-06-30", "2024-07-01", "2024-07-01", "2024-09-30", "2024-09-15", "2024-12-31",
         "2025-01-31", "2024-03-01", "2026-06-30"]


def _app(bevaka: Bevaka) -> App:
    app = App(load_config(bevaka.config_path), bevaka.db_path)
    app.import_files([EXAMPLES / n for n in NYKOPING], org="nykoping/von")
    app.import_files([EXAMPLES / n for n in OXELOSUND], org="oxelosund/von")
    return app


def _stored(app: App) -> dict[tuple[str, str], str]:
    return {(o, i): p for o, i, p in app.db.execute("SELECT org, id, payload FROM finding_state")}


def test_sql_changes_equal_a_full_comparison_run_after_run(bevaka: Bevaka) -> None:
    app = _app(bevaka)
    for i, day in enumerate(DATES):
        if i == 4:  # a fact changes between runs: D-2024-003 is executed
            path = write_csv(bevaka.tmp / "andring.csv", ["Ärende", "Lag", "Beslutsdatum", "Verkställd"],
                             [["D-2024-003", "SoL", "2024-06-10", "2024-09-01"]])
            app.import_files([path], org="nykoping/von")
        ev = app.check(date.fromisoformat(day))
        full = {(f.org, f.id): payload_of(f) for f in ev.findings}
        assert _stored(app) == full, day
        assert app.audit_verify().ok


def test_audit_state_is_what_check_showed(bevaka: Bevaka) -> None:
    app = _app(bevaka)
    shown = {}
    for day in ("2024-09-30", "2024-12-31", "2024-10-15"):
        ev = app.check(date.fromisoformat(day))
        shown[ev.run_id] = sorted((f.org, f.id, f.status.value) for f in ev.findings)
    for run_id, findings in shown.items():
        state = app.audit_state(run_id)
        assert sorted((s["org"], s["id"], s["status"]) for s in state) == findings
    only = app.audit_state(next(iter(shown)), "oxelosund/von")
    assert only and {s["org"] for s in only} == {"oxelosund/von"}


def test_a_run_where_nothing_changed_adds_little(bevaka: Bevaka) -> None:
    app = _app(bevaka)
    app.check(date(2024, 12, 31))
    size = app.db.execute("SELECT sum(length(payload) + length(hash) * 2 + length(run_id) "
                          "+ length(recorded_at) + 16) FROM audit_log").fetchone()[0]
    app.check(date(2024, 12, 31), command="check")
    grown = app.db.execute("SELECT sum(length(payload) + length(hash) * 2 + length(run_id) "
                           "+ length(recorded_at) + 16) FROM audit_log").fetchone()[0] - size
    rows = app.db.execute("SELECT count(*) FROM audit_log WHERE run_id = "
                          "(SELECT run_id FROM audit_log ORDER BY seq DESC LIMIT 1)").fetchone()[0]
    assert rows == 2 and grown <= 1024, grown


def _sqlite3(db_path: Path, sql: str) -> None:
    exe = shutil.which("sqlite3")
    assert exe, "sqlite3 command-line tool needed (make test installs it)"
    subprocess.run([exe, str(db_path)], input=sql, text=True, check=True, capture_output=True)


def _refresh_findings_hash(db_path: Path, run_id: str) -> None:
    """Recompute a run's end-row findings hash over its (edited) finding rows."""
    from engine.audit import canonical_json, findings_digest

    conn = sqlite3.connect(db_path)
    payloads = [p for (p,) in conn.execute("SELECT payload FROM audit_log WHERE run_id = ? AND "
                                           "kind = 'finding' ORDER BY seq", [run_id])]
    seq, end = conn.execute("SELECT seq, payload FROM audit_log WHERE run_id = ? AND kind = 'end'",
                            [run_id]).fetchone()
    data = json.loads(end)
    data["findings_hash"] = findings_digest(payloads)
    conn.execute("UPDATE audit_log SET payload = ? WHERE seq = ?", [canonical_json(data), seq])
    conn.commit()
    conn.close()


def _rechain(db_path: Path) -> None:
    """Recompute every row's hash after an edit, as an attacker with the file would."""
    from engine.audit import GENESIS, row_hash

    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    prev = GENESIS
    for seq, run_id, kind, at, payload in conn.execute(
            "SELECT seq, run_id, kind, recorded_at, payload FROM audit_log ORDER BY seq").fetchall():
        h = row_hash(prev, seq, run_id, kind, at, payload)
        conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", [prev, h, seq])
        prev = h
    conn.commit()
    conn.close()


@pytest.mark.parametrize("target", ["change", "commitment"])
def test_tampering_with_a_change_record_or_commitment_is_named(bevaka: Bevaka, target: str) -> None:
    app = _app(bevaka)
    app.check(date(2024, 9, 30))
    second = app.check(date(2024, 12, 31)).run_id
    app.close()
    conn = sqlite3.connect(bevaka.db_path)
    if target == "change":
        seq, payload = conn.execute(
            "SELECT seq, payload FROM audit_log WHERE run_id = ? AND kind = 'finding' "
            "AND payload LIKE '%\"status\":\"resolved\"%' LIMIT 1", [second]).fetchone()
        forged = payload.replace('"status":"resolved"', '"status":"overdue"')
    else:
        seq, payload = conn.execute("SELECT seq, payload FROM audit_log WHERE run_id = ? AND "
                                    "kind = 'end'", [second]).fetchone()
        data = json.loads(payload)
        data["state"]["commitment"] = "0" * 64
        from engine.audit import canonical_json

        forged = canonical_json(data)
    conn.close()
    _sqlite3(bevaka.db_path, "DROP TRIGGER audit_log_no_update;\nUPDATE audit_log SET payload = "
             f"'{forged.replace(chr(39), chr(39) * 2)}' WHERE seq = {seq};\n")
    _refresh_findings_hash(bevaka.db_path, second)
    _rechain(bevaka.db_path)  # every hash recomputed: only the state can tell
    result = bevaka.run("audit", "verify")
    assert result.exit_code == 1
    assert f"körning {second}" in result.output
    assert "commitment" in result.output or "åtagande" in result.output
