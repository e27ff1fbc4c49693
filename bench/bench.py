"""bevaka at national scale: every phase against the SQLite floor and naive durable_rules.

Not a test. ``make bench`` (1e4 and 1e5) or ``make bench-1m`` (1e6), or e.g.::

    .venv/bin/python bench/bench.py --n 10000 --rounds 1 --work /tmp/bench-work

For each size it writes the registers (``registers.py``), then runs every phase in its own
child process (``child.py``) on a copy of the database the phase needs, bevaka and the floor
in alternating order, and prints one table per size with times, ratios, peak RSS, targets
and whether bevaka's findings equal the oracle's. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import report  # noqa: E402
from runner import Setting, run  # noqa: E402


@dataclass(frozen=True)
class Pair:
    """A table row measured for bevaka and the floor; databases as (bevaka, floor)."""

    key: str
    source: tuple[str | None, str | None] = ("checked.db", "floor.db")
    keep: tuple[str | None, str | None] = (None, None)


PAIRS = [
    Pair("import-csv", (None, None), ("imported.db", "floor-raw.db")),
    Pair("import-xlsx", (None, None)),
    Pair("cold", ("imported.db", "floor-raw.db"), ("checked.db", "floor.db")),
    Pair("daily", keep=("daily.db", None)),
    Pair("change"),
    Pair("one-fact"),
    Pair("rebuild", keep=("rebuilt.db", None)),
    Pair("report-ivo"),
    Pair("notify"),
]


def rounds_of(setting: Setting, phase: str, rounds: int, source: str | None = None,
              opts: dict[str, Any] | None = None, copy: bool = True) -> list[dict[str, Any]]:
    """Up to ``rounds`` runs of a phase that prepares nothing, fewer once the phase budget
    is spent."""
    out: list[dict[str, Any]] = []
    while len(out) < rounds and sum(r["wall"] for r in out) < setting.phase_budget:
        out.append(run(setting, phase, source, None, opts, copy=copy))
    return out


def measure_pair(setting: Setting, pair: Pair, rounds: int) -> dict[str, list[dict[str, Any]]]:
    """bevaka and the floor, alternating which goes first; the first round keeps its
    databases for later phases. Rounds stop early once the phase budget is spent."""
    out: dict[str, list[dict[str, Any]]] = {"bevaka": [], "floor": []}
    spent = 0.0
    for r in range(rounds):
        if r and spent >= setting.phase_budget:
            break
        sides = [(side, i) for i, side in enumerate(("bevaka", "floor"))]
        for side, i in sides if r % 2 == 0 else sides[::-1]:
            keep = pair.keep[i] if r == 0 else None
            out[side].append(run(setting, f"{side}.{pair.key}", pair.source[i], keep))
            spent += out[side][-1]["wall"]
    return out


def setting_for(args: argparse.Namespace, n: int, work: Path) -> tuple[Setting, dict[str, Any]]:
    """Write the size's files (unless already there, in a child) and the settings of its
    children."""
    setting = Setting(work, args.as_of, 0, args.timeout, args.phase_budget,
                      set(args.profile or []))
    prepared = run(setting, "registers.prepare", opts={"n": n})
    if "error" in prepared:
        raise SystemExit(f"N={n}: writing the registers failed ({prepared['error']})")
    setting.window_days = int(prepared["window_days"])
    return setting, prepared["shape"]


def measure_size(args: argparse.Namespace, n: int, work: Path,
                 reference: dict[str, Any] | None) -> dict[str, Any]:
    rounds = args.rounds or (3 if n <= args.scale_from else 1)
    t0 = time.perf_counter()
    setting, shape = setting_for(args, n, work)
    res: dict[str, Any] = {"n": n, "rounds": rounds, "shape": shape, "days": args.days,
                           "prepare": time.perf_counter() - t0}
    say = report.progress(n)
    res["pairs"] = {}
    for pair in PAIRS:
        say(pair.key)
        res["pairs"][pair.key] = measure_pair(setting, pair, rounds)
    say("inventories, log growth")
    for db in ("checked.db", "daily.db", "rebuilt.db"):
        res[f"inventory {db}"] = run(setting, "bevaka.inventory", db, copy=False)
    res["log"] = run(setting, "bevaka.log-growth", "checked.db")
    budget = args.runs_budget if args.runs_budget is not None else (
        20.0 if n <= args.scale_from else 300.0)
    say(f"{args.days} daily runs (budget {budget:.0f} s)")
    res["runs"] = run(setting, "bevaka.daily-runs", "checked.db", "runs.db",
                      {"days": args.days, "budget": budget})
    say("audit verify")
    res["inventory runs.db"] = run(setting, "bevaka.inventory", "runs.db", copy=False)
    res["verify"] = rounds_of(setting, "bevaka.audit-verify", rounds, "runs.db", copy=False)
    res["hash"] = rounds_of(setting, "floor.audit-verify", rounds, None, report.hash_opts(res))
    if reference is None:
        say("naive durable_rules")
        res["naive"] = rounds_of(setting, "naive.rebuild", rounds, "floor-raw.db", copy=False)
    else:
        res["reference"] = reference
    res["seconds"] = time.perf_counter() - t0
    return res


def measure_reference(args: argparse.Namespace, n: int, work: Path) -> dict[str, Any]:
    """What a larger size is scaled from: naive durable_rules, and notify for linearity."""
    rounds = args.rounds or 3
    setting, _ = setting_for(args, n, work)
    report.progress(n)("reference: import, cold run, notify, naive durable_rules")
    run(setting, "bevaka.import-csv", None, "imported.db")
    run(setting, "floor.import-csv", None, "floor-raw.db")
    run(setting, "bevaka.cold", "imported.db", "checked.db")
    return {"n": n,
            "notify": rounds_of(setting, "bevaka.notify", rounds, "checked.db"),
            "naive": rounds_of(setting, "naive.rebuild", rounds, "floor-raw.db", copy=False)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, action="append", help="register size (repeatable)")
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2024, 6, 30),
                    help="date of the first run; later runs are the day after")
    ap.add_argument("--rounds", type=int, help="rounds per phase (default 3 up to 1e5, 1 above)")
    ap.add_argument("--days", type=int, default=365, help="daily runs before audit verify")
    ap.add_argument("--runs-budget", type=float,
                    help="seconds for the daily runs (default 20 up to --scale-from, 300 above); "
                    "fewer runs than --days are scaled")
    ap.add_argument("--phase-budget", type=float, default=15.0,
                    help="no further round of a phase once its rounds took this many seconds")
    ap.add_argument("--scale-from", type=int, default=100_000,
                    help="above this size naive durable_rules is measured here and scaled")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds per child process")
    ap.add_argument("--work", type=Path, help="keep the generated files and databases here")
    ap.add_argument("--profile", action="append", metavar="PHASE",
                    help="cProfile a child phase, e.g. bevaka.daily (repeatable)")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--report", type=Path, metavar="JSON",
                    help="print the tables of an earlier --json file; measure nothing")
    args = ap.parse_args(argv)
    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        print(report.render(saved["results"], saved["wall"], saved["machine"]))
        return report.exit_code(saved["results"])

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still remove the temp folder
    root = args.work or Path(tempfile.mkdtemp(prefix="bevaka-bench-"))
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    try:
        for n in sorted(args.n or [10_000, 100_000]):
            reference = None
            if n > args.scale_from:
                known = next((r for r in results if r["n"] == args.scale_from), None)
                reference = ({"n": known["n"], "notify": known["pairs"]["notify"]["bevaka"],
                              "naive": known["naive"]} if known else
                             measure_reference(args, args.scale_from, root / f"n{args.scale_from}"))
            results.append(measure_size(args, n, root / f"n{n}", reference))
    finally:
        if args.work is None:
            shutil.rmtree(root, ignore_errors=True)
    wall, machine = time.perf_counter() - t0, _machine()
    if args.json:
        args.json.write_text(json.dumps({"results": results, "wall": wall, "machine": machine},
                                        indent=1), encoding="utf-8")
    print(report.render(results, wall, machine))
    return report.exit_code(results)


def _machine() -> str:
    import platform
    import sqlite3

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}")


if __name__ == "__main__":
    sys.exit(main())
