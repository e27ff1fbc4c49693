"""Parent side: run one phase in a child process on a fresh copy of the database it needs.

The copy is made before the child starts (not timed). A phase that prepares a database for
later phases (import, cold run, the daily runs) hands its copy on from the first round.
A child that fails or exceeds the timeout is reported as such; the run goes on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

CHILD = Path(__file__).resolve().parent / "child.py"
SUFFIXES = ("", "-wal", "-shm")


@dataclass
class Setting:
    """What every child of one size gets."""

    work: Path
    as_of: date
    window_days: int
    timeout: float
    phase_budget: float
    profile: set[str]


def _remove(db: Path) -> None:
    for s in SUFFIXES:
        Path(f"{db}{s}").unlink(missing_ok=True)
    shutil.rmtree(db.with_suffix(".out"), ignore_errors=True)


def _copy(src: Path, dst: Path) -> None:
    for s in SUFFIXES:
        if Path(f"{src}{s}").exists():
            shutil.copyfile(f"{src}{s}", f"{dst}{s}")


def run(setting: Setting, phase: str, source: str | None = None, keep: str | None = None,
        opts: dict[str, Any] | None = None, copy: bool = True) -> dict[str, Any]:
    """Run ``phase`` on a copy of ``source`` (a database in the size's ``db/`` folder, or a
    new file), or on ``source`` itself for a phase that only reads (``copy=False``); copy
    the result to ``keep`` if given. Returns the child's result, or ``{"error": …}``."""
    dbs = setting.work / "db"
    dbs.mkdir(parents=True, exist_ok=True)
    db = dbs / f"_{phase}.db" if copy or source is None else dbs / source
    out = dbs / f"_{phase}.json"
    if copy:
        _remove(db)
        if source is not None:
            _copy(dbs / source, db)
    cmd = [sys.executable, str(CHILD), phase, "--work", str(setting.work), "--db", str(db),
           "--out", str(out), "--as-of", setting.as_of.isoformat(),
           "--window-days", str(setting.window_days), "--opts", json.dumps(opts or {})]
    if phase in setting.profile:
        cmd.append("--profile")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=setting.timeout, check=False)
        if proc.returncode != 0:
            result: dict[str, Any] = {"error": f"exit {proc.returncode}"}
        else:
            result = json.loads(out.read_text(encoding="utf-8"))
            if keep is not None:
                _remove(dbs / keep)
                _copy(db, dbs / keep)
    except subprocess.TimeoutExpired:
        result = {"error": f"timeout > {setting.timeout:.0f} s"}
    result["wall"] = time.perf_counter() - t0
    out.unlink(missing_ok=True)
    if copy:
        _remove(db)
    return result
