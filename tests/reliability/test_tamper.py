"""The tamper campaign: a file-level attacker edits the audit log of a real database, and
``bevaka audit verify`` must fail, with one Swedish line, for every kind of tampering.

The database is made by the application (import, five logged runs: every run appends its head
to the anchor file beside the database). Each trial copies it, tampers with the copy as an
attacker with write access to the database file would (the sqlite3 command-line program, or
Python's sqlite3 module and the published hash function for the careful ones: triggers dropped
and put back, hashes recomputed, ``sqlite_sequence`` set back), and runs ``bevaka audit
verify``. The anchor file is left alone in the campaign proper; the last trial rewrites it
too, and only the head an auditor kept finds that. Fixed seeds; ``size(10, 100)`` trials per
kind.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, config_text
from sqlite_utils import Database
from trials import report, size

from bevaka import Bevaka
from bevaka.cli import cli
from engine.audit import GENESIS, canonical_json, findings_digest, row_hash
from engine.audit_verify import verify
from engine.config import load_config

SEED = 20261201
RUN_DATES = [date(2024, 6, 30), date(2024, 9, 30), date(2024, 10, 31), date(2024, 12, 31),
             date(2024, 12, 31)]  # the last one changes nothing: a run row and an end row


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with config.toml, bevaka.db (five logged runs) and bevaka.db.anchor."""
    folder = tmp_path_factory.mktemp("tamper-base")
    (folder / "config.toml").write_text(config_text(), encoding="utf-8")
    with Bevaka(load_config(folder / "config.toml"), folder / "bevaka.db") as app:
        app.import_files([EXAMPLES / "beslut-2024.xlsx"])
        for d in RUN_DATES:
            app.run(d)
        assert app.audit_verify().ok
    assert len((folder / "bevaka.db.anchor").read_text().splitlines()) == len(RUN_DATES)
    return folder


# ---- the attacker's tools --------------------------------------------------------------


def _cli(db: Path, sql: str) -> None:
    exe = shutil.which("sqlite3")
    if exe is None:
        pytest.fail("sqlite3 command-line program not found on PATH (apt-get install sqlite3)")
    proc = subprocess.run([exe, str(db)], input=sql, text=True, capture_output=True)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr


class Attacker:
    """Python's sqlite3 on the database file, with the triggers dropped until :meth:`done`."""

    def __init__(self, db: Path):
        self.conn = sqlite3.connect(db, isolation_level=None)
        self.triggers = [sql for (sql,) in self.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")]
        self.conn.execute("BEGIN")
        self.conn.execute("DROP TRIGGER audit_log_no_update")
        self.conn.execute("DROP TRIGGER audit_log_no_delete")

    def rows(self, where: str = "1", params: tuple[object, ...] = ()) -> list[tuple]:
        return self.conn.execute(
            "SELECT seq, run_id, kind, recorded_at, payload, prev_hash, hash FROM audit_log "
            f"WHERE {where} ORDER BY seq", params).fetchall()

    def runs(self) -> list[tuple[int, int]]:
        """(first seq, end seq) of every run."""
        return self.conn.execute(
            "SELECT r.seq, e.seq FROM audit_log r JOIN audit_log e ON e.run_id = r.run_id "
            "AND e.kind = 'end' WHERE r.kind = 'run' ORDER BY r.seq").fetchall()

    def rechain(self, from_seq: int) -> None:
        """Recompute prev_hash and hash of every row from ``from_seq`` on."""
        last = self.conn.execute("SELECT hash FROM audit_log WHERE seq < ? ORDER BY seq DESC "
                                 "LIMIT 1", [from_seq]).fetchone()
        prev = last[0] if last else GENESIS
        for seq, run_id, kind, at, payload, _, _ in self.rows("seq >= ?", (from_seq,)):
            digest = row_hash(prev, seq, run_id, kind, at, payload)
            self.conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?",
                              [prev, digest, seq])
            prev = digest

    def set_sequence(self) -> None:
        top = self.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        if top is None:
            self.conn.execute("DELETE FROM sqlite_sequence WHERE name = 'audit_log'")
        else:
            self.conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'",
                              [top])

    def done(self, triggers: bool = True) -> None:
        if triggers:
            for sql in self.triggers:
                self.conn.execute(sql)
        self.conn.execute("COMMIT")
        self.conn.close()


def _flip(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    return text[:i] + ("X" if text[i] != "X" else "Y") + text[i + 1:]


# ---- the kinds of tampering ------------------------------------------------------------
# Each takes the database file and the trial's random generator.


def edit_row(db: Path, rng: random.Random) -> None:
    """One row's payload edited with the sqlite3 CLI (triggers dropped), hashes untouched."""
    seq = rng.randint(1, _top(db))
    payload = sqlite3.connect(db).execute("SELECT payload FROM audit_log WHERE seq = ?",
                                          [seq]).fetchone()[0]
    edited = _flip(payload, rng).replace("'", "''")
    _cli(db, "DROP TRIGGER audit_log_no_update;\n"
             f"UPDATE audit_log SET payload = '{edited}' WHERE seq = {seq};")


def edit_row_own_hash(db: Path, rng: random.Random) -> None:
    """One row edited and its own hash recomputed (not the rows after it)."""
    a = Attacker(db)
    seq, run_id, kind, at, payload, prev, _ = rng.choice(a.rows())
    payload = _flip(payload, rng)
    a.conn.execute("UPDATE audit_log SET payload = ?, hash = ? WHERE seq = ?",
                   [payload, row_hash(prev, seq, run_id, kind, at, payload), seq])
    a.done()


def delete_row(db: Path, rng: random.Random) -> None:
    """One row deleted with the sqlite3 CLI (triggers dropped)."""
    _cli(db, "DROP TRIGGER audit_log_no_delete;\n"
             f"DELETE FROM audit_log WHERE seq = {rng.randint(1, _top(db))};")


def insert_row(db: Path, rng: random.Random) -> None:
    """A forged finding row inserted into a run (later rows renumbered, its own link right)."""
    a = Attacker(db)
    rows = a.rows()
    k = rng.randrange(1, len(rows))  # inserted after row k (never before the first run row)
    seq, run_id, _, at, _, _, digest = rows[k - 1]
    payload = canonical_json({"op": "new", "org": "nykoping/von", "id": f"x:FALSK-{k}",
                              "rule_id": "x", "status": "resolved"})
    a.conn.execute("DELETE FROM audit_log WHERE seq > ?", [seq])
    forged = (seq + 1, run_id, "finding", at, payload, digest,
              row_hash(digest, seq + 1, run_id, "finding", at, payload))
    later = [(s + 1, *rest) for s, *rest in rows[k:]]
    a.conn.executemany("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)", [forged, *later])
    a.done()


def truncate_runs(db: Path, rng: random.Random) -> None:
    """Whole last runs deleted, ``sqlite_sequence`` set back, triggers put back."""
    a = Attacker(db)
    runs = a.runs()
    first, _ = runs[-rng.randint(1, len(runs) - 1)]
    a.conn.execute("DELETE FROM audit_log WHERE seq >= ?", [first])
    a.set_sequence()
    a.done()


def _edit_rechained(a: Attacker, rng: random.Random) -> int:
    """Edit what replay does not recompute (a run row's command or as_of, a row's time) and
    re-chain from there; returns the edited seq."""
    run_seqs = [r for r, _ in a.runs()]
    seq = rng.choice(run_seqs)
    (payload,) = a.conn.execute("SELECT payload FROM audit_log WHERE seq = ?", [seq]).fetchone()
    data = json.loads(payload)
    how = rng.choice(["command", "as_of", "recorded_at"])
    if how == "recorded_at":
        a.conn.execute("UPDATE audit_log SET recorded_at = '2024-01-01T00:00:00+00:00' "
                       "WHERE seq = ?", [seq])
    else:
        data[how] = "check --as-of 2024-01-01" if how == "command" else "2023-12-31"
        a.conn.execute("UPDATE audit_log SET payload = ? WHERE seq = ?",
                       [canonical_json(data), seq])
    a.rechain(seq)
    return seq


def rechained_edit(db: Path, rng: random.Random) -> None:
    """An edit after dropping the triggers, every later hash recomputed, triggers put back."""
    a = Attacker(db)
    _edit_rechained(a, rng)
    a.done()


def rebuilt_table(db: Path, rng: random.Random) -> None:
    """The table rebuilt with CREATE/DROP/RENAME, an edit re-chained in the copy. Half the
    trials the careful way: the original renamed away, the table created with bevaka's exact
    statement, triggers and indexes put back."""
    conn = sqlite3.connect(db, isolation_level=None)
    schema = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = "
                          "'audit_log' AND sql IS NOT NULL ORDER BY type = 'table' DESC").fetchall()
    table_sql = schema[0][2]
    conn.execute("BEGIN")
    if rng.random() < 0.5:
        conn.execute(table_sql.replace("audit_log", "audit_log_ny", 1))
        conn.execute("INSERT INTO audit_log_ny SELECT * FROM audit_log")
        conn.execute("DROP TABLE audit_log")
        conn.execute("ALTER TABLE audit_log_ny RENAME TO audit_log")
    else:
        conn.execute("ALTER TABLE audit_log RENAME TO audit_log_gammal")
        conn.execute(table_sql)
        conn.execute("INSERT INTO audit_log SELECT * FROM audit_log_gammal")
        conn.execute("DROP TABLE audit_log_gammal")
    for kind, _, sql in schema[1:]:
        if kind in ("trigger", "index"):
            conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    a = Attacker(db)
    _edit_rechained(a, rng)
    a.done()


def forged_run(db: Path, rng: random.Random) -> None:
    """A complete run appended with correct hashes: a run row like the last one's (another
    id, a later date) and an end row with the same state (nothing changed), so the replay
    agrees."""
    a = Attacker(db)
    (run_payload,) = a.conn.execute("SELECT payload FROM audit_log WHERE kind = 'run' "
                                    "ORDER BY seq DESC LIMIT 1").fetchone()
    (end_payload, at) = a.conn.execute("SELECT payload, recorded_at FROM audit_log WHERE "
                                       "kind = 'end' ORDER BY seq DESC LIMIT 1").fetchone()
    run_id = uuid.UUID(int=rng.getrandbits(128)).hex
    data = json.loads(run_payload)
    data.update(run_id=run_id, findings=0, as_of=f"2025-01-{rng.randint(1, 28):02d}")
    state = json.loads(end_payload)["state"]
    end = {"findings": 0, "findings_hash": findings_digest([]), "state": state}
    (top, prev) = a.conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC "
                                 "LIMIT 1").fetchone()
    for kind, payload in (("run", canonical_json(data)), ("end", canonical_json(end))):
        top += 1
        digest = row_hash(prev, top, run_id, kind, at, payload)
        a.conn.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [top, run_id, kind, at, payload, prev, digest])
        prev = digest
    a.done()


def emptied_log(db: Path, rng: random.Random) -> None:
    """Every row deleted and ``sqlite_sequence`` forgotten (the CLI, or Python)."""
    if rng.random() < 0.5:
        _cli(db, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log;\n"
                 "DELETE FROM sqlite_sequence WHERE name = 'audit_log';")
        return
    a = Attacker(db)
    a.conn.execute("DELETE FROM audit_log")
    a.set_sequence()
    a.done()


def dropped_table(db: Path, rng: random.Random) -> None:
    """``DROP TABLE audit_log`` with the sqlite3 CLI."""
    _cli(db, "DROP TABLE audit_log;")


def _top(db: Path) -> int:
    return int(sqlite3.connect(db).execute("SELECT max(seq) FROM audit_log").fetchone()[0])


KINDS: dict[str, Callable[[Path, random.Random], None]] = {
    "single-row edit": edit_row,
    "single-row edit, own hash recomputed": edit_row_own_hash,
    "single-row delete": delete_row,
    "single-row insert": insert_row,
    "whole last runs deleted, sqlite_sequence set back": truncate_runs,
    "edit re-chained after dropping the triggers": rechained_edit,
    "table rebuilt with CREATE/DROP/RENAME": rebuilt_table,
    "forged complete run appended with correct hashes": forged_run,
    "every row deleted": emptied_log,
    "DROP TABLE audit_log": dropped_table,
}


def _chain_passes(db: Path) -> bool:
    """Whether the log, without its anchor, still passes verify: the tampering is one only
    the anchor can find."""
    conn = sqlite3.connect(db)
    try:
        return verify(Database(conn)).ok
    finally:
        conn.close()


def _verify(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(folder / "bevaka.db"), "--config",
                                      str(folder / "config.toml"), "audit", "verify"])
    return result.exit_code, result.stderr


def test_every_kind_of_tampering_is_detected(base: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    per_kind = size(10, 100)
    missed: dict[str, list[str]] = {}
    total = 0
    for name, tamper in KINDS.items():
        failures: list[str] = []
        only_anchor = 0  # trials that pass every check but the anchor's
        for t in range(per_kind):
            folder = tmp_path / f"{tamper.__name__}-{t}"
            shutil.copytree(base, folder)
            tamper(folder / "bevaka.db", rng)
            only_anchor += _chain_passes(folder / "bevaka.db")
            code, err = _verify(folder)
            lines = err.strip().splitlines()
            detected = (code == 1 and len(lines) == 1 and "Traceback" not in err
                        and lines[0].startswith("Revisionsloggen är bruten: "))
            if not detected:
                failures.append(f"trial {t}: exit {code}: {err.strip()!r}")
            shutil.rmtree(folder)
        total += per_kind
        report(f"tamper: {name}", per_kind, len(failures), detected=per_kind - len(failures),
               passing_without_anchor=only_anchor)
        if failures:
            missed[name] = failures
    report("tamper: all kinds", total, sum(len(v) for v in missed.values()),
           kinds=len(KINDS))
    assert not missed, missed


def test_the_untampered_copy_verifies(base: Path, tmp_path: Path) -> None:
    """The campaign's control: the copy itself passes, so a detection is the tampering's."""
    folder = tmp_path / "control"
    shutil.copytree(base, folder)
    result = CliRunner().invoke(cli, ["--db", str(folder / "bevaka.db"), "--config",
                                      str(folder / "config.toml"), "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"{len(RUN_DATES)} körningar" in result.stdout
    assert "Stämmer med ankaret" in result.stdout


def _rewrite_anchor(folder: Path) -> None:
    """The attacker who can write the anchor file too: it is made to match the tampered log."""
    conn = sqlite3.connect(folder / "bevaka.db")
    rows = conn.execute(
        "SELECT e.seq, e.hash, e.run_id, e.recorded_at, r.seq FROM audit_log e JOIN audit_log r "
        "ON r.run_id = e.run_id AND r.kind = 'run' WHERE e.kind = 'end' ORDER BY e.seq").fetchall()
    conn.close()
    (folder / "bevaka.db.anchor").write_text("".join(
        canonical_json({"v": 1, "seq": s, "hash": h, "run_id": r, "at": a, "first_seq": f}) + "\n"
        for s, h, r, a, f in rows))


def test_a_kept_copy_finds_the_database_and_the_anchor_file_rewritten(
        base: Path, tmp_path: Path) -> None:
    """What the live anchor cannot prove: an attacker who rewrites it too passes, and the head
    an auditor kept (``bevaka audit anchor``) finds it."""
    rng = random.Random(SEED + 1)
    kinds = [truncate_runs, rechained_edit, rebuilt_table, emptied_log]
    trials, failures, fooled_live = size(12, 100), [], 0
    for t in range(trials):
        folder = tmp_path / f"both-{t}"
        shutil.copytree(base, folder)
        kept = folder / "revisorns-ankare.txt"
        kept.write_text(CliRunner().invoke(cli, ["--db", str(folder / "bevaka.db"), "--config",
                        str(folder / "config.toml"), "audit", "anchor"]).stdout)
        kinds[t % len(kinds)](folder / "bevaka.db", rng)
        _rewrite_anchor(folder)
        live_code, _ = _verify(folder)
        fooled_live += live_code == 0
        result = CliRunner().invoke(cli, ["--db", str(folder / "bevaka.db"), "--config",
                                          str(folder / "config.toml"), "audit", "verify",
                                          "--anchor", str(kept)])
        lines = result.stderr.strip().splitlines()
        if result.exit_code != 1 or len(lines) != 1 or not lines[0].startswith(
                "Revisionsloggen är bruten: ") or (live_code == 0 and str(kept) not in lines[0]):
            failures.append(f"trial {t}: exit {result.exit_code}: {result.stderr.strip()!r}")
        shutil.rmtree(folder)
    report("tamper: database and anchor file rewritten, auditor's kept head", trials,
           len(failures), detected=trials - len(failures), passing_the_live_anchor=fooled_live)
    assert not failures, failures
