"""Corrections and erasure (issue 7): ``import --whole-register`` retracts what a register no
longer has (``--dry-run`` first), ``retract`` one fact, ``gallra`` erases closed cases; every
retraction and erasure is in the audit log, and the chain verifies afterwards."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import SV_HEADERS, Bevaka, dump, write_csv

HEADERS = [*SV_HEADERS, "Avslutat", "Avslutsorsak", "Födelsedatum"]
# D-2 is not executed: its IVO deadline (three months) is overdue on 2024-12-31.
ROWS = [
    ["D-1", "SoL", "ÄO", "SÄBO", "2024-06-28", "2024-07-10", "", "", "", "", "bistand_ao", "", "",
     ""],
    ["D-2", "SoL", "ÄO", "Kvarteret Gamlingen", "2024-06-14", "", "", "", "", "", "bistand_ao",
     "", "", "1931-05-17"],
    ["D-3", "LSS", "FSO", "Kontaktperson", "2024-03-18", "", "", "", "", "", "bistand_fso", "", "",
     ""],
]


def _ids(bevaka: Bevaka, as_of: str = "2024-12-31") -> set[str]:
    result = bevaka.ok("check", "--as-of", as_of, "--json")
    return {f["subject"] for f in json.loads(result.stdout)}


def _log(db_path: Path, kind: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(db_path)
    try:
        return [json.loads(p) for (p,) in conn.execute(
            "SELECT payload FROM audit_log WHERE kind = ? ORDER BY seq", [kind])]
    finally:
        conn.close()


def test_whole_register_retracts_the_missing_decision_and_its_reminder_stops(
        bevaka: Bevaka) -> None:
    bevaka.ok("import", str(write_csv(bevaka.tmp / "alla.csv", HEADERS, ROWS)))
    assert "D-2" in _ids(bevaka)
    later = write_csv(bevaka.tmp / "register-2025.csv", HEADERS, [ROWS[0], ROWS[2]])
    before = dump(bevaka.db_path)
    looked = bevaka.ok("import", str(later), "--whole-register", "--dry-run")
    assert "1 faktum (gynnande beslut) skulle återkallas (saknas i registret): D-2" in looked.output
    assert "provkörning: inget sparades" in looked.output
    assert dump(bevaka.db_path) == before
    done = bevaka.ok("import", str(later), "--whole-register")
    assert "1 faktum (gynnande beslut) återkallades (saknas i registret): D-2" in done.output
    assert "D-2" not in _ids(bevaka)
    (note,) = _log(bevaka.db_path, "retraction")
    assert note["facts"] == ["D-2"] and note["source"] == str(later)
    assert note["reason"] == "saknas i hela registret (import --whole-register)"
    assert _ended(bevaka.db_path) == {"ivo.ej-verkstallt/D-2": "retracted"}  # not resolved
    assert "hel" in bevaka.ok("audit", "verify").output
    again = bevaka.ok("import", str(later), "--whole-register")  # nothing more to retract
    assert "återkallade" not in again.output


def test_retract_one_fact_with_a_reason(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(write_csv(bevaka.tmp / "alla.csv", HEADERS, ROWS)))
    assert "D-2" in _ids(bevaka)
    out = bevaka.ok("retract", "decisions", "D-2", "--reason", "Beslutet återtaget 2024-07-02")
    assert "återkallade gynnande beslut D-2" in out.output
    assert "D-2" not in _ids(bevaka)
    (note,) = _log(bevaka.db_path, "retraction")
    assert (note["facts"], note["reason"]) == (["D-2"], "Beslutet återtaget 2024-07-02")
    assert _ended(bevaka.db_path) == {"ivo.ej-verkstallt/D-2": "retracted"}
    missing = bevaka.run("retract", "decisions", "D-9", "--reason", "x")
    assert missing.exit_code == 1 and "inget gynnande beslut med nyckeln 'D-9'" in missing.output
    assert "hel" in bevaka.ok("audit", "verify").output


def test_gallra_erases_the_closed_case_everywhere_and_the_chain_verifies(bevaka: Bevaka) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][11:13] = ["2024-10-01", "flyttade"]  # D-2 closed (Avslutat) on 2024-10-01
    bevaka.ok("import", str(write_csv(bevaka.tmp / "alla.csv", HEADERS, rows)))
    bevaka.ok("check", "--as-of", "2024-09-30")  # logged while D-2 was open
    looked = bevaka.ok("gallra", "--before", "2025-01-01", "--dry-run")
    assert "1 faktum skulle gallras" in looked.output and "D-2" in looked.output
    before = bevaka.db_path.read_bytes() + _wal(bevaka.db_path)
    assert b"1931-05-17" in before
    assert _tables_with(bevaka.db_path, "Kvarteret Gamlingen") == {"decisions", "deadlines",
                                                                    "decision_inputs"}
    done = bevaka.ok("gallra", "--before", "2025-01-01")
    assert "1 faktum gallrades" in done.output and "  kommun/von gynnande beslut: D-2" in done.output
    assert "hel" in bevaka.ok("audit", "verify").output
    raw = bevaka.db_path.read_bytes() + _wal(bevaka.db_path)
    assert b"1931-05-17" not in raw  # the birth date: in no table, no freed page, no WAL
    # the service (Insats): the log's decision record keeps only the case and a salted hash
    assert b"Kvarteret Gamlingen" not in raw
    for value in ("2024-06-14", "2024-10-01"):  # the decision date and the date it closed
        assert value.encode() in before, value
        assert value.encode() not in raw, value
    assert _tables_with(bevaka.db_path, "Kvarteret Gamlingen") == set()
    logged = [r for r in _log(bevaka.db_path, "decision") if r["input"]["key"] == "D-2"]
    assert logged and all(set(r["input"]) == {"fact_type", "key", "sha256"} for r in logged)
    run, finding = _run_of(bevaka.db_path, str(logged[0]["finding_id"]))
    shown = bevaka.ok("audit", "show", run, "--finding", finding).output
    assert "decision D-2: gallrade" in shown
    replayed = bevaka.run("audit", "replay", run, "--finding", finding)
    assert "faktat har gallrats" in replayed.output
    (note,) = _log(bevaka.db_path, "erasure")
    assert note["cases"] == ["D-2"] and note["counts"] == {"decision": 1}
    assert "D-2" not in _ids(bevaka, "2024-12-31")
    erased = {i: how for i, how in _ended(bevaka.db_path).items() if i.endswith("/D-2")}
    assert erased and set(erased.values()) == {"erased"}, _ended(bevaka.db_path)


def _ended(db_path: Path) -> dict[str, object]:
    """Finding id → how it ended, for every removed finding the log records."""
    return {str(r["id"]): r.get("ended") for r in _log(db_path, "finding")
            if r["op"] == "removed"}


def _run_of(db_path: Path, finding_id: str) -> tuple[str, str]:
    conn = sqlite3.connect(db_path)
    try:
        (run,) = conn.execute("SELECT run_id FROM audit_log WHERE kind = 'decision' AND "
                              "json_extract(payload, '$.finding_id') = ? LIMIT 1",
                              [finding_id]).fetchone()
        return str(run), finding_id
    finally:
        conn.close()


def _wal(db_path: Path) -> bytes:
    wal = db_path.with_name(db_path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def _tables_with(db_path: Path, text: str) -> set[str]:
    conn = sqlite3.connect(db_path)
    try:
        found = set()
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            hit = " OR ".join(f'instr(CAST("{c}" AS TEXT), ?) > 0' for c in columns)
            if conn.execute(f'SELECT 1 FROM "{table}" WHERE {hit} LIMIT 1',
                            [text] * len(columns)).fetchone():
                found.add(table)
        return found
    finally:
        conn.close()
