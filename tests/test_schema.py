"""One schema: opening a database applies every package's migrations, in a known order,
whatever the caller imported; the database path is checked, never guessed."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bevaka import DatabaseError, open_database
from bevaka.schema import MIGRATION_SETS

ROOT = Path(__file__).resolve().parents[1]
TABLES = {"decisions", "meetings", "deadlines", "materialized", "audit_log", "outbox", "notified",
          "notification_log", "heartbeats", "_bevaka_meta"}


def test_every_table_exists_after_open_whatever_was_imported(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    # A fresh interpreter that imports nothing but the schema module: no side-effect imports.
    code = ("import sys; from bevaka.schema import open_database; "
            "open_database(sys.argv[1], create=True).close()")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, cwd=ROOT)
    names = {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names >= TABLES


def test_migrations_are_applied_in_layer_order(tmp_path: Path) -> None:
    open_database(tmp_path / "b.db", create=True).close()
    rows = sqlite3.connect(tmp_path / "b.db").execute(
        "SELECT migration_set FROM _sqlite_migrations ORDER BY rowid").fetchall()
    order: list[str] = []
    for (name,) in rows:
        if name not in order:
            order.append(name)
    assert order == [m.name for m in MIGRATION_SETS]
    assert order[0] == "bevaka.facts" and order[-1] == "bevaka.engine.scheduling"


def _open(path: str) -> None:
    open_database(path, create=True).close()


def test_two_processes_opening_a_new_database_both_succeed(tmp_path: Path) -> None:
    path = str(tmp_path / "new.db")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open, args=(path,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    open_database(path).close()


def test_a_missing_folder_is_an_error_not_a_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "dir" / "x.db"
    with pytest.raises(DatabaseError, match="mappen .* finns inte"):
        open_database(target, create=True)
    assert not (tmp_path / "nope").exists()


def test_reading_needs_an_existing_database(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="databasen finns inte"):
        open_database(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
