"""Honest edges: explain writes nothing, serve uses the database every other command uses,
and a fault in bevaka says it is a fault (one line, traceback in a file)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import EXAMPLES, ROOT, Bevaka, dump


def test_explain_and_why_not_write_nothing(bevaka: Bevaka) -> None:
    bevaka.ok("import", str(EXAMPLES / "beslut-2024.csv"))
    before = dump(bevaka.db_path)
    out = bevaka.ok("explain", "ivo.ej-verkstallt/D-2024-003", "--as-of", "2024-12-31").output
    assert "ivo.ej-verkstallt/D-2024-003" in out
    bevaka.ok("explain", "--subject", "D-2024-013", "--rule", "ivo.avbrott", "--as-of", "2024-12-31")
    assert dump(bevaka.db_path) == before  # no deadlines, no audit rows, nothing


def test_a_fault_is_one_line_naming_the_traceback_file(bevaka: Bevaka, tmp_path: Path,
                                                       monkeypatch: object) -> None:
    bevaka.ok("import", str(EXAMPLES / "beslut-2024.csv"))
    conn = sqlite3.connect(bevaka.db_path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("ALTER TABLE audit_log RENAME TO audit_log_gone")  # the schema is broken
    conn.commit()
    conn.close()
    faults = tmp_path / "fel"
    env = {**os.environ, "BEVAKA_FAULT_DIR": str(faults)}
    proc = subprocess.run([sys.executable, "-m", "bevaka.cli", "--db", str(bevaka.db_path),
                           "--config", str(bevaka.config_path), "check", "--as-of", "2024-12-31"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 70, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Internt fel i bevaka (en bugg")
    assert "Traceback" not in proc.stderr and "OperationalError" in lines[0]
    (saved,) = faults.glob("fel-*.txt")
    assert str(saved) in lines[0] and "Traceback" in saved.read_text(encoding="utf-8")
    assert saved.stat().st_mode & 0o077 == 0  # private to the user


def test_serve_uses_the_db_given_on_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[database]\npath = "other.db"\n[schedule]\ntime = "06:30"\n',
                      encoding="utf-8")
    chosen = tmp_path / "chosen.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEVAKA_")}
    proc = subprocess.Popen([sys.executable, "-m", "bevaka.cli", "serve", "--db", str(chosen),
                             "--config", str(config)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        beats = 0
        while time.monotonic() < deadline and not beats:
            time.sleep(0.2)
            if chosen.exists():
                try:
                    beats = sqlite3.connect(chosen).execute("SELECT count(*) FROM heartbeats").fetchone()[0]
                except sqlite3.OperationalError:
                    beats = 0
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert beats >= 1, err  # the catch-up run's heartbeat went to --db
    assert proc.returncode == 0, err
    assert str(chosen) in out
    assert not (tmp_path / "other.db").exists()
    assert (tmp_path / "chosen.db.serve.lock").exists()
