"""One measured phase in a child process: ``python bench/child.py PHASE --work … --db … --out …``.

The parent (``bench.py``) starts one child per phase and round, on its own copy of the
database the phase needs, so each peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``, read right
after the timed region) belongs to one phase. Times exclude interpreter start-up and imports.
The phase functions live in ``bevaka_phases.py``, ``floor.py`` and ``naive.py``; each returns a
dict with at least ``seconds`` and ``rss_mb``, written as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _p in (str(HERE.parent), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

QUARTER = "2024Q2"  # the quarter that ends on the default as-of date
Result = dict[str, Any]


@dataclass
class Ctx:
    """What a phase works on: the size's folder, its database copy and the dates."""

    work: Path
    db: Path
    as_of: date  # the first run; every later run is the day after
    window_days: int
    opts: dict[str, Any] = field(default_factory=dict)

    @property
    def next_day(self) -> date:
        return self.as_of + timedelta(days=1)

    @property
    def scratch(self) -> Path:
        """A folder for the phase's output files (removed by the parent)."""
        path = self.db.with_suffix(".out")
        path.mkdir(exist_ok=True)
        return path


def peak_rss_mb() -> float:
    """``ru_maxrss`` in MB. Linux carries the parent's peak over into a child started with
    fork/vfork + exec, which is why the parent stays small."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def hwm_mb() -> float | None:
    """``VmHWM`` (peak RSS of this program's own memory, new at exec), a cross-check."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    return None


@contextmanager
def timed(result: Result, key: str = "seconds") -> Iterator[None]:
    """Time the block into ``result[key]`` and record the peak RSS so far."""
    gc.collect()
    t0 = time.perf_counter()
    yield
    result[key] = time.perf_counter() - t0
    result["rss_mb"] = peak_rss_mb()
    result["hwm_mb"] = hwm_mb()


def db_content(path: Path) -> dict[str, int]:
    """File size, row-content bytes (dbstat payload of every table and index) and the rows
    of every table: read with plain sqlite3, so it holds whatever the schema becomes."""
    conn = sqlite3.connect(path)
    try:
        payload = conn.execute("SELECT coalesce(sum(payload), 0) FROM dbstat").fetchone()[0]
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        rows = sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    finally:
        conn.close()
    return {"file_bytes": file_bytes(path), "payload_bytes": int(payload), "rows": int(rows)}


def file_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


MODULES = {"bevaka": "bevaka_phases", "floor": "floor", "naive": "naive",
           "registers": "registers"}


def phase(name: str) -> Callable[[Ctx], Result]:
    """The function of phase ``side.what``; only that side's module is imported, so a floor
    child never loads bevaka."""
    import importlib

    module = importlib.import_module(MODULES[name.split(".", 1)[0]])
    return module.PHASES[name]  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run one benchmark phase (used by bench.py).")
    ap.add_argument("phase")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--as-of", type=date.fromisoformat, required=True)
    ap.add_argument("--window-days", type=int, default=0)
    ap.add_argument("--opts", type=json.loads, default={})
    ap.add_argument("--profile", action="store_true", help="cProfile the phase to stderr")
    args = ap.parse_args(argv)
    ctx = Ctx(args.work, args.db, args.as_of, args.window_days, args.opts)
    fn = phase(args.phase)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        result = prof.runcall(fn, ctx)
        pstats.Stats(prof, stream=sys.stderr).strip_dirs().sort_stats("cumulative").print_stats(25)
    else:
        result = fn(ctx)
    args.out.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
