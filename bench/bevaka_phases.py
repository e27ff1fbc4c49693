"""bevaka's side of each phase, through the public application API only.

``Bevaka(config, db)`` with the size's generated ``config.toml``; every timed region is the
whole command (open, work, close) except "one fact changed", which is timed inside a process
that has already run once. The first run and the rebuild are ``check`` (every finding listed);
the daily runs are ``run``, the scheduler's job without reminders (the run logged, counts
only). After the timed region the findings are compared with the oracle: for a daily run,
``evaluate`` (nothing logged) lists them, and the run's counts per status must match too.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

import oracle
import registers as reg
from child import QUARTER, Ctx, Result, db_content, timed

from bevaka import Bevaka
from engine.config import load_config


def _app(ctx: Ctx, config: str = reg.CONFIG_FILE) -> Bevaka:
    return Bevaka(load_config(ctx.work / config), ctx.db)


def _got(ev: Any) -> oracle.Findings:
    return {(f.rule_id, f.subject): str(f.status.value) for f in ev.findings}


def _check(ctx: Ctx, ev: Any, label: str, as_of: date, *files: str,
           three_months: str = "calendar") -> str:
    want = oracle.expected(ctx.work, as_of, ctx.window_days, *files, three_months=three_months)
    return oracle.compare(label, _got(ev), want)


def _check_run(ctx: Ctx, summary: dict[str, Any], label: str, as_of: date,
               *files: str) -> str:
    """A daily run's counts per status, and the findings ``evaluate`` lists, against the
    oracle's."""
    want = oracle.expected(ctx.work, as_of, ctx.window_days, *files)
    app = _app(ctx)
    listed = oracle.compare(label, _got(app.evaluate(as_of)), want)
    app.close()
    counts = {s: n for s, n in summary["by_status"].items() if n}
    expected = Counter(want.values())
    if counts != expected:
        print(f"MISMATCH ({label} counts): bevaka {counts}, oracle {dict(expected)}",
              file=sys.stderr)
        return "MISMATCH"
    return listed


def _import(ctx: Ctx, register: str) -> Result:
    res: Result = {}
    with timed(res):
        app = _app(ctx)
        report = app.import_files([ctx.work / register])
        app.close()
    res["rows"] = sum(f.rows for f in report.files)
    res["rows_per_s"] = res["rows"] / res["seconds"]
    return res


def import_csv(ctx: Ctx) -> Result:
    return _import(ctx, reg.CSV_FILE)


def import_xlsx(ctx: Ctx) -> Result:
    return _import(ctx, reg.XLSX_FILE)


def cold(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        app = _app(ctx)
        ev = app.check(ctx.as_of)
        app.close()
    res["findings"] = len(ev.findings)
    res["check"] = _check(ctx, ev, "cold", ctx.as_of)
    return res


def daily(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        app = _app(ctx)
        summary = app.run(ctx.next_day)
        app.close()
    res["findings"] = summary["findings"]
    res["check"] = _check_run(ctx, summary, "daily", ctx.next_day)
    return res


def change(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        app = _app(ctx)
        t0 = time.perf_counter()
        report = app.import_files([ctx.work / reg.CHANGES_FILE])
        res["import_seconds"] = time.perf_counter() - t0
        summary = app.run(ctx.next_day)
        app.close()
    res["rows"] = report.changed
    res["check"] = _check_run(ctx, summary, "1% changed", ctx.next_day, reg.CHANGES_FILE)
    return res


def one_fact(ctx: Ctx) -> Result:
    """A process that has run today's job gets one changed row: import it and run again."""
    res: Result = {}
    app = _app(ctx)
    app.run(ctx.next_day)
    with timed(res):
        report = app.import_files([ctx.work / reg.ONE_FILE])
        summary = app.run(ctx.next_day)
    app.close()
    res["rows"] = report.changed
    res["check"] = _check_run(ctx, summary, "one fact", ctx.next_day, reg.ONE_FILE)
    return res


def rebuild(ctx: Ctx) -> Result:
    """``[params] three_months = "90-days"``: both IVO rules get a new revision."""
    res: Result = {}
    with timed(res):
        app = _app(ctx, reg.CONFIG_90_FILE)
        ev = app.check(ctx.next_day)
        app.close()
    res["findings"] = len(ev.findings)
    res["check"] = _check(ctx, ev, "rebuild", ctx.next_day, three_months="90-days")
    return res


def report_ivo(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        app = _app(ctx)
        rep, files = app.report_ivo(QUARTER, out_dir=ctx.scratch)
        app.close()
    got = {(r["law"], r["category"], r["subject"]) for r in rep.rows}
    want = oracle.ivo_rows(oracle.register(ctx.work / reg.CSV_FILE), rep.start, rep.as_of,
                           ctx.window_days)
    res["rows"] = len(rep.rows)
    res["bytes"] = sum(p.stat().st_size for p in files)
    res["check"] = oracle.compare("report ivo", dict.fromkeys(got, "listed"),
                                  dict.fromkeys(want, "listed"))
    return res


def notify(ctx: Ctx) -> Result:
    """``notify --dry-run``: today's check and one digest per recipient as ``.eml`` files."""
    res: Result = {}
    with timed(res):
        app = _app(ctx)
        summary = app.notify(ctx.next_day, dry_run=True, out_dir=ctx.scratch)
        app.close()
    files = summary["notify"]["files"]
    res["messages"] = len(files)
    res["reminders"] = summary["notify"]["queue"]["reminders"]
    sizes = [(ctx.scratch / p).stat().st_size for p in files]
    res["bytes"], res["largest_bytes"] = sum(sizes), max(sizes, default=0)
    res["findings"] = summary["findings"]
    return res


def log_growth(ctx: Ctx) -> Result:
    """The first run's date once more: nothing changed. What did the run add?"""
    res: Result = {}
    before = db_content(ctx.db)
    with timed(res):
        app = _app(ctx)
        app.run(ctx.as_of)
        app.close()
    after = db_content(ctx.db)
    res["payload_bytes"] = after["payload_bytes"] - before["payload_bytes"]
    res["file_bytes"] = after["file_bytes"] - before["file_bytes"]
    res["rows"] = after["rows"] - before["rows"]
    return res


def daily_runs(ctx: Ctx) -> Result:
    """Run 1 is the cold run in the copy; then the daily job for each next day, up to
    ``opts['days']`` runs or until ``opts['budget']`` seconds have been spent."""
    days, budget = int(ctx.opts["days"]), float(ctx.opts["budget"])
    res: Result = {}
    runs = 1
    with timed(res):
        app = _app(ctx)
        t0 = time.perf_counter()
        while runs < days and (runs < 2 or time.perf_counter() - t0 < budget):
            app.run(ctx.as_of + timedelta(days=runs))
            runs += 1
        app.close()
    res["runs"] = runs
    return res


def inventory(ctx: Ctx) -> Result:
    """What a database holds (file, row content, rows), how many log rows verify and how
    long that took, in a child of its own so that no measured phase pays for the verify."""
    res: Result = db_content(ctx.db)
    with timed(res, "verify_seconds"):
        app = _app(ctx)
        res["log_rows"] = app.audit_verify().rows
        # the decision records' inputs beside the chain belong to the log, not to the rules
        res["input_rows"] = app.db.execute("SELECT count(*) FROM decision_inputs").fetchone()[0]
        app.close()
    return res


def audit_verify(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        app = _app(ctx)
        verdict = app.audit_verify()
        app.close()
    res.update(ok=verdict.ok, rows=verdict.rows, runs=verdict.runs)
    return res


PHASES = {
    "bevaka.import-csv": import_csv, "bevaka.import-xlsx": import_xlsx, "bevaka.cold": cold,
    "bevaka.daily": daily, "bevaka.change": change, "bevaka.one-fact": one_fact,
    "bevaka.rebuild": rebuild, "bevaka.report-ivo": report_ivo, "bevaka.notify": notify,
    "bevaka.log-growth": log_growth, "bevaka.daily-runs": daily_runs,
    "bevaka.audit-verify": audit_verify, "bevaka.inventory": inventory,
}
