"""Benchmark ``engine.evaluate`` against a plain-Python loop over the same decisions.

Not a test. Run ``make bench`` or, e.g.::

    .venv/bin/python bench/bench_evaluate.py --n 10000 --n 100000 --rounds 3 [--profile] [--tracemalloc]

Every N runs in its own child process (this script re-invoked with ``--child``), so the
peak RSS reported is that of one N. Inside the child, each round copies the freshly loaded
database and runs, in this order: cold evaluate, warm evaluate, a 1 % change + evaluate; the
plain-Python baseline runs in the same round (before or after, alternating). Times are
medians over the rounds. See bench/README.md for the columns.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

RULES = ("ivo.ej-verkstallt", "ivo.avbrott")


# --------------------------------------------------------------------------- baseline


def baseline(db_path: Path, as_of: date, window_days: int) -> dict[tuple[str, str], str]:
    """Clock A and clock B over the decisions read from SQLite: {(rule, subject): status}.

    Plain Python, no caches: ``date.fromisoformat`` and ``relativedelta(months=3)`` per row,
    the status logic of ``engine.evaluate.status_of`` and the listing condition of
    ``engine.evaluate.project`` (start <= as_of and (not done by as_of, or done within the
    window before as_of)).
    """
    from dateutil.relativedelta import relativedelta

    three = relativedelta(months=3)
    window = as_of - timedelta(days=window_days)
    conn = sqlite3.connect(db_path)
    try:
        cur = conn.execute(
            "SELECT id, law, decided_on, executed_on, interrupted_on, resumed_on FROM decisions")
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()

    def d(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    def status(due: date, done: date | None) -> str:
        if done is not None and done <= as_of:
            return "resolved"
        if due > as_of:
            return "upcoming"
        if due == as_of:
            return "due"
        return "overdue"

    out: dict[tuple[str, str], str] = {}
    for row in rows:
        if row["law"] not in ("SoL", "LSS"):
            continue
        clocks = [("ivo.ej-verkstallt", d(row["decided_on"]), d(row["executed_on"]))]
        if row["interrupted_on"] is not None:
            clocks.append(("ivo.avbrott", d(row["interrupted_on"]), d(row["resumed_on"])))
        for rule, start, done in clocks:
            assert start is not None
            if start > as_of:
                continue
            if done is not None and done <= as_of and done < window:
                continue
            out[(rule, row["id"])] = status(start + three, done)
    return out


def engine_set(ev: Any) -> dict[tuple[str, str], str]:
    out = {}
    for f in ev.findings:
        key = (f.rule_id, f.subject)
        assert key not in out, f"duplicate finding {key}"
        out[key] = f.status.value
    return out


def compare(label: str, got: dict[tuple[str, str], str], want: dict[tuple[str, str], str]) -> str:
    if got == want:
        return "OK"
    only_e = sorted(set(got.items()) - set(want.items()))[:5]
    only_b = sorted(set(want.items()) - set(got.items()))[:5]
    print(f"  MISMATCH ({label}): engine {len(got)}, baseline {len(want)}; "
          f"engine only {only_e}; baseline only {only_b}", file=sys.stderr)
    return "MISMATCH"


# --------------------------------------------------------------------------- child


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def _rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run_child(n: int, args: argparse.Namespace) -> dict[str, Any]:
    import resource

    from _gen import decision_rows, decisions, executions

    from engine.config import Config
    from engine.evaluate import evaluate, load_ruleset
    from engine.rules.loader import RuleSet
    from facts.store import open_db, upsert_facts
    from facts.types import DECISION

    as_of = date.fromisoformat(args.as_of)
    config = Config(base_dir=ROOT)
    window = config.rules.resolved_window_days
    res: dict[str, Any] = {"n": n, "rounds": args.rounds}

    t0 = time.perf_counter()
    rows = decision_rows(n, as_of)
    models = decisions(rows)
    changes = executions(rows, as_of)
    res["gen"] = time.perf_counter() - t0
    res["changed"] = len(changes)
    res["interrupted"] = sum(1 for r in rows if r["interrupted_on"])
    res["executed"] = sum(1 for r in rows if r["executed_on"])
    del rows

    tmp = Path(tempfile.mkdtemp(prefix="bevaka-bench-"))
    try:
        src = tmp / "loaded.db"
        db = open_db(src)
        t0 = time.perf_counter()
        upsert_facts(db, DECISION, ((m, "bench", i + 2) for i, m in enumerate(models)))
        res["load"] = time.perf_counter() - t0
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        del models
        gc.collect()
        res["rss_after_load_mib"] = _rss_mib()

        t0 = time.perf_counter()
        full = load_ruleset(config)
        res["rules_load"] = time.perf_counter() - t0
        # Only the two rules the baseline implements: other packs also read decisions
        # (internkontroll point 7) and would make the ratio unfair.
        ruleset = RuleSet(full.packs, [r for r in full.rules if r.rule.id in RULES],
                          full.revision)

        def fresh_copy(tag: str) -> Any:
            dst = tmp / f"{tag}.db"
            shutil.copyfile(src, dst)
            return dst, open_db(dst)

        times: dict[str, list[float]] = {k: [] for k in ("cold", "warm", "upd", "incr", "base")}
        checks: set[str] = set()
        for r in range(args.rounds):
            dst, db = fresh_copy(f"round{r}")
            if r % 2 == 1:
                t, want = _timed(baseline, src, as_of, window)
                times["base"].append(t)
            t, ev = _timed(evaluate, db, config, as_of, ruleset)
            times["cold"].append(t)
            cold = engine_set(ev)
            t, ev = _timed(evaluate, db, config, as_of, ruleset)
            times["warm"].append(t)
            warm = engine_set(ev)
            del ev
            if r % 2 == 0:
                t, want = _timed(baseline, src, as_of, window)
                times["base"].append(t)
            checks.add(compare("cold", cold, want))
            checks.add(compare("warm", warm, want))
            if r == 0:
                res["findings"] = len(cold)
                res["by_status"] = {s: sum(1 for v in cold.values() if v == s)
                                    for s in ("overdue", "due", "upcoming", "resolved")}
                res["by_rule"] = {rule: sum(1 for k in cold if k[0] == rule) for rule in RULES}
            del cold, warm
            t, _ = _timed(upsert_facts, db, DECISION, [(m, "bench-change", 0) for m in changes])
            times["upd"].append(t)
            t, ev = _timed(evaluate, db, config, as_of, ruleset)
            times["incr"].append(t)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            checks.add(compare("incremental", engine_set(ev), baseline(dst, as_of, window)))
            del ev
            db.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{dst}{suffix}").unlink(missing_ok=True)
        res["times"] = times
        res["check"] = "MISMATCH" if "MISMATCH" in checks else "OK"
        res["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        if args.tracemalloc:
            import tracemalloc

            _, db = fresh_copy("trace")
            gc.collect()
            tracemalloc.start()
            evaluate(db, config, as_of, ruleset)
            res["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            db.close()

        if args.profile:
            import cProfile
            import io
            import pstats

            _, db = fresh_copy("profile")
            prof = cProfile.Profile()
            prof.enable()
            evaluate(db, config, as_of, ruleset)
            prof.disable()
            db.close()
            out = io.StringIO()
            st = pstats.Stats(prof, stream=out).strip_dirs()
            st.sort_stats("cumulative").print_stats(15)
            st.sort_stats("tottime").print_stats(10)
            res["profile"] = out.getvalue()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


# --------------------------------------------------------------------------- report


def _fmt(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                        strict=True)))


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(r, widths) for r in rows]
    return "\n".join(lines)


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    med = {id(r): {k: statistics.median(v) for k, v in r["times"].items()} for r in results}
    print(f"\nbevaka evaluate benchmark, as of {args.as_of}, median of {args.rounds} round(s); "
          f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs")
    print()
    rows = []
    for r in results:
        m = med[id(r)]
        rows.append([f"{r['n']:,}", _fmt(r["gen"]), _fmt(r["load"]), _fmt(m["cold"]), _fmt(m["warm"]),
                     _fmt(m["upd"]), _fmt(m["incr"]), _fmt(m["base"]), str(r["findings"]), r["check"]])
    print(_table(["N", "gen", "load", "cold", "warm", "upsert 1%", "incr", "baseline", "findings",
                  "check"], rows))
    print()
    rows = []
    for r in results:
        m = med[id(r)]
        b = m["base"]
        tm = r.get("tracemalloc_peak_mib")
        rows.append([f"{r['n']:,}", f"{m['cold'] / b:.1f}x", f"{m['warm'] / b:.1f}x",
                     f"{m['incr'] / b:.1f}x", f"{(m['upd'] + m['incr']) / b:.1f}x",
                     f"{r['rss_after_load_mib']:.0f}", f"{r['maxrss_mib']:.0f}",
                     "-" if tm is None else f"{tm:.0f}"])
    print(_table(["N", "cold/base", "warm/base", "incr/base", "(upsert+incr)/base",
                  "RSS after load MiB", "peak RSS MiB", "tracemalloc cold MiB"], rows))
    print()
    for r in results:
        spread = ", ".join(f"{k} {min(v):.3f}-{max(v):.3f}" for k, v in r["times"].items())
        print(f"N={r['n']:,}: rules load {_fmt(r['rules_load'])}; executed {r['executed']:,}, "
              f"interrupted {r['interrupted']:,}, changed {r['changed']:,}; findings {r['by_rule']} "
              f"{r['by_status']}")
        print(f"  min-max s: {spread}")
    for r in results:
        if "profile" in r:
            print(f"\n--- cProfile of a cold evaluate, N={r['n']:,} ---")
            print(r["profile"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, action="append", help="number of decisions (repeatable)")
    ap.add_argument("--as-of", default="2024-06-30")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="cProfile one cold evaluate per N")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="tracemalloc peak of one extra cold evaluate per N (slow)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child is not None:
        res = run_child(args.child, args)
        Path(args.result).write_text(json.dumps(res), encoding="utf-8")
        return 0

    results = []
    for n in args.n or [10000, 100000]:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
            result_path = fh.name
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), "--result",
               result_path, "--as-of", args.as_of, "--rounds", str(args.rounds)]
        cmd += ["--profile"] * args.profile + ["--tracemalloc"] * args.tracemalloc
        print(f"N={n:,}: running {args.rounds} round(s) in a child process ...", file=sys.stderr,
              flush=True)
        t0 = time.perf_counter()
        try:
            subprocess.run(cmd, check=True)
            results.append(json.loads(Path(result_path).read_text(encoding="utf-8")))
        finally:
            Path(result_path).unlink(missing_ok=True)
        print(f"N={n:,}: done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
