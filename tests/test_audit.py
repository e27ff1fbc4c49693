"""The tamper-evident outcome log, on a real SQLite file, tampered with by the sqlite3 CLI."""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest
from conftest import open_db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import audit, audit_verify
from engine.findings import Evaluation, Finding, Status


def _finding(i: int, as_of: date, flipped: bool = False) -> Finding:
    overdue = bool(i % 3) != flipped
    return Finding(
        id=f"r:ÄR-{1000 + i}",
        rule_id=f"r{i % 2}",
        rule_version=1,
        rule_title="Uppföljning av beslut",
        fact_type="decision",
        subject=f"ÄR-{1000 + i}",
        status=Status.overdue if overdue else Status.upcoming,
        as_of=as_of,
        start_on=date(2024, 1, 1),
        due_on=date(2024, 3, 1 + i),
        done_on=None,
        late_days=None,
        days_overdue=i,
        severity="medium",
        recipients=["enhetschef"],
        legal_basis=["SoL 5 kap. 1 §"],
        why=f"Uppföljning ska ske inom 3 månader – {i} dagar sen",
    )


def _evaluation(run_id: str, n: int, as_of: date = date(2024, 6, 3), flip: int = 0) -> Evaluation:
    """``n`` findings; the first ``flip`` of them with the other status (a changed finding)."""
    return Evaluation(
        run_id=run_id,
        as_of=as_of,
        evaluated_at="2024-06-03T04:30:00+00:00",
        rules_revision="a" * 64,
        facts_hash="b" * 64,
        findings=[_finding(i, as_of, i < flip) for i in range(n)],
    )


def _sqlite3_cli(db_path: Path, sql: str) -> None:
    exe = shutil.which("sqlite3")
    if exe is None:
        pytest.fail("sqlite3 command-line program not found on PATH (apt-get install sqlite3)")
    proc = subprocess.run([exe, str(db_path)], input=sql, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert "Fel" not in proc.stderr, proc.stderr


DROP_TRIGGERS = "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;\n"


@pytest.fixture()
def logged(tmp_path: Path) -> Path:
    """A database with two recorded evaluations: seq 1–5 (3 new findings) and 6–9 (the same
    three, two of them changed: two change records)."""
    path = tmp_path / "bevaka.db"
    db = open_db(path)
    assert audit.record_evaluation(db, _evaluation("run-1", 3), "check") == 5
    assert audit.record_evaluation(db, _evaluation("run-2", 3, flip=2), "serve") == 4
    db.close()
    return path


def _verify(path: Path) -> audit_verify.VerifyResult:
    db = open_db(path)
    try:
        return audit_verify.verify(db)
    finally:
        db.close()


def test_fresh_log_verifies(tmp_path: Path) -> None:
    db = open_db(tmp_path / "bevaka.db")
    result = audit_verify.verify(db)
    assert result.ok and result.rows == 0 and result.runs == 0
    assert result.to_dict()["problem"] is None


def test_two_evaluations_verify_and_list(logged: Path) -> None:
    result = _verify(logged)
    assert result.ok, result.problem
    assert (result.rows, result.runs, result.first_bad_seq) == (9, 2, None)
    assert result.head_hash and len(result.head_hash) == 64

    db = open_db(logged)
    rows = db.execute("SELECT seq, kind, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
    assert [r[1] for r in rows] == ["run", "finding", "finding", "finding", "end",
                                     "run", "finding", "finding", "end"]
    assert rows[0][2] == "0" * 64
    assert all(rows[i][2] == rows[i - 1][3] for i in range(1, len(rows)))

    listed = audit.runs(db)
    assert [r["run_id"] for r in listed] == ["run-2", "run-1"]
    assert listed[0]["command"] == "serve" and listed[0]["findings"] == 2 and listed[0]["closed"]
    assert listed[1]["as_of"] == "2024-06-03" and listed[1]["facts_hash"] == "b" * 64
    assert audit.runs(db, limit=1)[0]["run_id"] == "run-2"

    found = audit.findings_for_run(db, "run-1")
    assert [f["subject"] for f in found] == ["ÄR-1000", "ÄR-1001", "ÄR-1002"]
    assert "context" not in found[0]
    payload = db.execute("SELECT payload FROM audit_log WHERE seq = 2").fetchone()[0]
    assert payload == audit.canonical_json(found[0]) and "ÄR-1000" in payload  # no \u escapes


def test_duplicate_run_id_is_refused_and_writes_nothing(logged: Path) -> None:
    db = open_db(logged)
    with pytest.raises(ValueError, match="run-1"):
        audit.record_evaluation(db, _evaluation("run-1", 1), "check")
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 9
    assert audit_verify.verify(db).ok


def test_edited_payload_is_named(logged: Path) -> None:
    _sqlite3_cli(
        logged,
        DROP_TRIGGERS
        + "UPDATE audit_log SET payload = replace(payload, 'ÄR-1001', 'ÄR-9999') WHERE seq = 3;",
    )
    result = _verify(logged)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.problem == "rad 3 (seq 3, körning run-1): hash stämmer inte – raden har ändrats"


def test_edited_row_with_recomputed_hash_breaks_the_next_link(logged: Path) -> None:
    db = open_db(logged)
    seq, run_id, kind, rec, payload, prev = db.execute(
        "SELECT seq, run_id, kind, recorded_at, payload, prev_hash FROM audit_log WHERE seq = 7"
    ).fetchone()
    db.close()
    forged = payload.replace("medium", "low")
    new_hash = audit.row_hash(prev, seq, run_id, kind, rec, forged)
    forged_sql = forged.replace("'", "''")
    _sqlite3_cli(
        logged,
        DROP_TRIGGERS
        + f"UPDATE audit_log SET payload = '{forged_sql}', hash = '{new_hash}' WHERE seq = 7;",
    )
    result = _verify(logged)
    assert not result.ok and result.first_bad_seq == 8
    assert result.problem is not None and "prev_hash" in result.problem


def test_deleted_row_is_named(logged: Path) -> None:
    _sqlite3_cli(logged, DROP_TRIGGERS + "DELETE FROM audit_log WHERE seq = 4;")
    result = _verify(logged)
    assert not result.ok
    assert result.first_bad_seq == 5
    assert result.problem == (
        "rad 4 (seq 5, körning run-1): seq 4 saknas – rader har tagits bort"
    )


def test_deleted_tail_is_found(logged: Path) -> None:
    _sqlite3_cli(logged, DROP_TRIGGERS + "DELETE FROM audit_log WHERE seq = 9;")
    result = _verify(logged)
    assert not result.ok and result.first_bad_seq == 6
    assert result.problem is not None and "saknar slutrad" in result.problem


def test_deleted_whole_last_run_is_found(logged: Path) -> None:
    _sqlite3_cli(logged, DROP_TRIGGERS + "DELETE FROM audit_log WHERE seq >= 6;")
    result = _verify(logged)
    assert not result.ok and result.first_bad_seq == 6
    assert result.problem == "rad 6 (seq 6–9): saknas i slutet av loggen – rader har tagits bort"


def test_swapped_payloads_are_found(logged: Path) -> None:
    _sqlite3_cli(
        logged,
        DROP_TRIGGERS
        + "UPDATE audit_log SET payload = CASE seq"
        " WHEN 2 THEN (SELECT payload FROM audit_log WHERE seq = 3)"
        " WHEN 3 THEN (SELECT payload FROM audit_log WHERE seq = 2) END"
        " WHERE seq IN (2, 3);",
    )
    result = _verify(logged)
    assert not result.ok and result.first_bad_seq == 2
    assert result.problem is not None and "hash stämmer inte" in result.problem


def test_reordered_rows_are_found(logged: Path) -> None:
    _sqlite3_cli(
        logged,
        DROP_TRIGGERS
        + "UPDATE audit_log SET seq = -1 WHERE seq = 7;"
        " UPDATE audit_log SET seq = 7 WHERE seq = 8;"
        " UPDATE audit_log SET seq = 8 WHERE seq = -1;",
    )
    result = _verify(logged)
    assert not result.ok and result.first_bad_seq == 7


def test_end_row_count_mismatch_is_found(logged: Path) -> None:
    # A forger who deletes a finding and rewrites every later hash still trips the end row.
    db = open_db(logged)
    db.execute(DROP_TRIGGERS.split(";")[0])
    db.execute(DROP_TRIGGERS.split(";")[1])
    rows = db.execute(
        "SELECT seq, run_id, kind, recorded_at, payload FROM audit_log WHERE seq != 7 ORDER BY seq"
    ).fetchall()
    db.execute("DELETE FROM audit_log")
    prev = audit.GENESIS
    for new_seq, (_, run_id, kind, rec, payload) in enumerate(rows, start=1):
        h = audit.row_hash(prev, new_seq, run_id, kind, rec, payload)
        db.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [new_seq, run_id, kind, rec, payload, prev, h])
        prev = h
    db.conn.commit()
    result = audit_verify.verify(db)
    assert not result.ok and result.first_bad_seq == 8
    assert result.problem is not None and "2 fynd men körningen har 1" in result.problem


def test_triggers_block_update_and_delete(logged: Path) -> None:
    conn = sqlite3.connect(logged)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="skrivskyddad"):
            conn.execute("UPDATE audit_log SET payload = '{}' WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="skrivskyddad"):
            conn.execute("DELETE FROM audit_log WHERE seq = 9")
        conn.rollback()
    finally:
        conn.close()
    assert _verify(logged).ok


def test_record_refuses_inside_open_transaction(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    db.conn.execute("BEGIN")
    with pytest.raises(RuntimeError):
        audit.record_evaluation(db, _evaluation("x", 1), "check")
    db.conn.rollback()


def test_two_connections_append_to_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    a, b = open_db(path), open_db(path)
    for i in range(4):
        audit.record_evaluation(a if i % 2 else b, _evaluation(f"run-{i}", i), "check")
    assert audit_verify.verify(a).ok and audit_verify.verify(a).runs == 4


_BASE = tempfile.mkdtemp(prefix="bevaka-audit-")
atexit.register(shutil.rmtree, _BASE, True)


def _base_db() -> Path:
    path = Path(_BASE) / "base.db"
    if not path.exists():
        db = open_db(path)
        audit.record_evaluation(db, _evaluation("run-a", 2), "check")
        audit.record_evaluation(db, _evaluation("run-b", 0), "check")
        audit.record_evaluation(db, _evaluation("run-c", 1), "check")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_single_byte_change_of_any_payload_is_detected(data: st.DataObject) -> None:
    work = Path(tempfile.mkdtemp(dir=_BASE))
    path = work / "b.db"
    shutil.copy(_base_db(), path)
    conn = sqlite3.connect(path)
    try:
        payloads = conn.execute("SELECT seq, payload FROM audit_log ORDER BY seq").fetchall()
        seq, payload = data.draw(st.sampled_from(payloads), label="row")
        raw = bytearray(payload.encode("utf-8"))
        pos = data.draw(st.integers(0, len(raw) - 1), label="byte")
        new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[pos]), label="value")
        raw[pos] = new
        try:
            changed: str | bytes = raw.decode("utf-8")
        except UnicodeDecodeError:
            changed = bytes(raw)
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET payload = ? WHERE seq = ?", [changed, seq])
        conn.commit()
    finally:
        conn.close()
    result = _verify(path)
    assert not result.ok
    assert result.first_bad_seq == seq
    shutil.rmtree(work)
