"""The SQLite floor: the least work that gives the same answers, measured on the same data.

Plain ``sqlite3`` in WAL mode like bevaka. The register is loaded as text into ``raw``; the
cold run derives one ``clocks`` row per (decision, clock) with the deadline computed at load
(``oracle.deadline`` through a cached SQL function: calendar months, clamped) and indexes
``(done, deadline)``. Every later phase is then one indexed query, plus the row updates the
phase needs. Each phase's answers are checked against the oracle as well, so the floor is
known to do the same job.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import oracle
import registers as reg
from child import Ctx, Result, timed

FIELDS = list(reg.COLUMNS.values())
RAW = "CREATE TABLE {t} (" + ", ".join(f"{f} TEXT" for f in FIELDS) + ")"
INSERT = "INSERT INTO {t} VALUES (" + ", ".join("?" * len(FIELDS)) + ")"
CLOCKS = """CREATE TABLE clocks (id TEXT, rule TEXT, law TEXT, area TEXT, service TEXT,
    decided_on TEXT, officer TEXT, sex TEXT, birth_year TEXT, start TEXT, done TEXT,
    deadline TEXT, PRIMARY KEY (id, rule))"""
_SHARED = "id, {rule}, law, area, service, decided_on, officer, sex, birth_year"
DERIVE = f"""INSERT INTO clocks
    SELECT {_SHARED.format(rule="'" + oracle.CLOCK_A + "'")},
           decided_on, nullif(executed_on, ''), due(decided_on)
      FROM {{src}} WHERE law IN ('SoL', 'LSS')
    UNION ALL
    SELECT {_SHARED.format(rule="'" + oracle.CLOCK_B + "'")},
           interrupted_on, nullif(resumed_on, ''), due(interrupted_on)
      FROM {{src}} WHERE law IN ('SoL', 'LSS') AND interrupted_on <> ''"""
STATUS = """CASE WHEN done <= :d THEN 'resolved' WHEN deadline > :d THEN 'upcoming'
                 WHEN deadline = :d THEN 'due' ELSE 'overdue' END"""
FINDINGS = f"""SELECT rule, id, {STATUS} FROM clocks
    WHERE (done IS NULL OR done >= :w) AND start <= :d"""
REMINDERS = """SELECT officer, deadline FROM clocks
    WHERE (done IS NULL OR done > :d) AND start <= :d AND deadline <= :warn"""
REPORT = f"""SELECT law, rule, id, area, service, decided_on, start, deadline, done, sex,
           birth_year, {STATUS} FROM clocks
    WHERE start <= :d AND (((done IS NULL OR done > :d) AND deadline <= :d)
          OR (done BETWEEN :qs AND :d AND done > deadline))"""
WARN_DAYS, ESCALATE_AFTER = 14, 30  # [rules] warn_days; finding.escalate.after_days


def connect(ctx: Ctx, three_months: str = "calendar") -> sqlite3.Connection:
    conn = sqlite3.connect(ctx.db)
    conn.execute("PRAGMA journal_mode=WAL")

    @cache
    def due(start: str) -> str:
        return oracle.deadline(date.fromisoformat(start), three_months).isoformat()

    conn.create_function("due", 1, due, deterministic=True)
    return conn


def _findings(conn: sqlite3.Connection, as_of: date, window_days: int,
              case: str | None = None, scan: bool = False) -> oracle.Findings:
    params = {"d": as_of.isoformat(), "w": (as_of - timedelta(days=window_days)).isoformat()}
    sql = FINDINGS if case is None else FINDINGS + " AND id = :id"
    if scan:
        sql = sql.replace("FROM clocks", "FROM clocks NOT INDEXED")
    return {(rule, i): s for rule, i, s in conn.execute(sql, {**params, "id": case})}


def _check(ctx: Ctx, got: oracle.Findings, label: str, as_of: date, *files: str,
           three_months: str = "calendar") -> str:
    want = oracle.expected(ctx.work, as_of, ctx.window_days, *files, three_months=three_months)
    return oracle.compare(f"floor {label}", got, want)


def _load(conn: sqlite3.Connection, table: str, rows: Any) -> int:
    conn.execute(RAW.format(t=table))
    cur = conn.executemany(INSERT.format(t=table), rows)
    return cur.rowcount


def import_csv(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        conn = connect(ctx)
        with (ctx.work / reg.CSV_FILE).open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=";")
            next(reader)
            res["rows"] = _load(conn, "raw", reader)
        conn.commit()
        conn.close()
    res["rows_per_s"] = res["rows"] / res["seconds"]
    return res


def import_xlsx(ctx: Ctx) -> Result:
    from openpyxl import load_workbook

    def text(v: object) -> object:
        return v.date().isoformat() if isinstance(v, datetime) else v

    res: Result = {}
    with timed(res):
        conn = connect(ctx)
        wb = load_workbook(ctx.work / reg.XLSX_FILE, read_only=True, data_only=True)
        cells = wb.worksheets[0].iter_rows(min_row=2, values_only=True)
        res["rows"] = _load(conn, "raw", ([text(v) for v in row] for row in cells))
        wb.close()
        conn.commit()
        conn.close()
    res["rows_per_s"] = res["rows"] / res["seconds"]
    return res


def cold(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        conn = connect(ctx)
        conn.execute(CLOCKS)
        conn.execute(DERIVE.format(src="raw"))
        conn.execute("CREATE INDEX clocks_done_deadline ON clocks (done, deadline)")
        conn.commit()
        got = _findings(conn, ctx.as_of, ctx.window_days)
        conn.close()
    res["findings"] = len(got)
    res["check"] = _check(ctx, got, "cold", ctx.as_of)
    return res


def daily(ctx: Ctx) -> Result:
    """The query; then, for comparison only, the same query without the index."""
    res: Result = {}
    with timed(res):
        conn = connect(ctx)
        got = _findings(conn, ctx.next_day, ctx.window_days)
        conn.close()
    res["check"] = _check(ctx, got, "daily", ctx.next_day)
    with timed(res, "scan_seconds"):
        conn = connect(ctx)
        _findings(conn, ctx.next_day, ctx.window_days, scan=True)
        conn.close()
    return res


def _apply(conn: sqlite3.Connection, ctx: Ctx, register: str) -> list[str]:
    """Replace the clocks of the decisions in ``register``: their deadlines re-derived."""
    rows = [[r[f] for f in FIELDS] for r in reg.read_register(ctx.work / register)]
    conn.execute(RAW.format(t="temp.delta"))
    conn.executemany(INSERT.format(t="delta"), rows)
    conn.execute("DELETE FROM clocks WHERE id IN (SELECT id FROM delta)")
    conn.execute(DERIVE.format(src="delta"))
    conn.commit()
    return [r[0] for r in rows]


def change(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        conn = connect(ctx)
        res["rows"] = len(_apply(conn, ctx, reg.CHANGES_FILE))
        got = _findings(conn, ctx.next_day, ctx.window_days)
        conn.close()
    res["check"] = _check(ctx, got, "1% changed", ctx.next_day, reg.CHANGES_FILE)
    return res


def one_fact(ctx: Ctx) -> Result:
    """The changed decision's clocks re-derived and its findings read back."""
    res: Result = {}
    conn = connect(ctx)
    with timed(res):
        (case,) = _apply(conn, ctx, reg.ONE_FILE)
        got = _findings(conn, ctx.next_day, ctx.window_days, case)
    conn.close()
    res["rows"] = 1
    res["findings"] = len(got)
    return res


def rebuild(ctx: Ctx) -> Result:
    res: Result = {}
    with timed(res):
        conn = connect(ctx, "90-days")
        conn.execute("UPDATE clocks SET deadline = due(start)")
        conn.commit()
        got = _findings(conn, ctx.next_day, ctx.window_days)
        conn.close()
    res["check"] = _check(ctx, got, "rebuild", ctx.next_day, three_months="90-days")
    return res


def report_ivo(ctx: Ctx) -> Result:
    """The quarter's IVO rows (ending on the as-of date) written as one CSV."""
    kinds = {oracle.CLOCK_A: "not_executed", oracle.CLOCK_B: "interrupted"}
    start = date(ctx.as_of.year, 3 * ((ctx.as_of.month - 1) // 3) + 1, 1)
    res: Result = {}
    out = ctx.scratch / "ivo.csv"
    with timed(res):
        conn = connect(ctx)
        rows = conn.execute(REPORT, {"d": ctx.as_of.isoformat(), "qs": start.isoformat()})
        got = set()
        with out.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, delimiter=";")
            for row in rows:
                category = "executed" if row[-1] == "resolved" else kinds[row[1]]
                got.add((row[0], category, row[2]))
                w.writerow([category, *row[:-1]])
        conn.close()
    want = oracle.ivo_rows(oracle.register(ctx.work / reg.CSV_FILE), start, ctx.as_of,
                           ctx.window_days)
    res["rows"] = len(got)
    res["check"] = oracle.compare("floor report ivo", dict.fromkeys(got, "listed"),
                                  dict.fromkeys(want, "listed"))
    return res


def notify(ctx: Ctx) -> Result:
    """Reminders due tomorrow (overdue, due, upcoming within warn_days) grouped by address;
    overdue for ``ESCALATE_AFTER`` days or more also to the escalation role."""
    d = ctx.next_day
    escalate = (d - timedelta(days=ESCALATE_AFTER)).isoformat()
    params = {"d": d.isoformat(), "warn": (d + timedelta(days=WARN_DAYS)).isoformat()}
    res: Result = {}
    with timed(res):
        conn = connect(ctx)
        digests: dict[str, list[str]] = {}
        for officer, deadline in conn.execute(REMINDERS, params):
            digests.setdefault(reg.address(officer), []).append(deadline)
            if deadline <= escalate:
                digests.setdefault(reg.address(reg.ESCALATION_ROLE), []).append(deadline)
        conn.close()
    res["messages"] = len(digests)
    res["reminders"] = sum(len(v) for v in digests.values())
    return res


def hash_chain(ctx: Ctx) -> Result:
    """``opts['rows']`` log rows of ``opts['row_bytes']`` hashed in a chain with hashlib."""
    rows, size = int(ctx.opts["rows"]), int(ctx.opts["row_bytes"])
    payload = "x" * size
    res: Result = {}
    with timed(res):
        prev = "0" * 64
        for seq in range(1, rows + 1):
            text = "\n".join([prev, str(seq), "run", "finding", "2024-07-01T06:30:00", payload])
            prev = hashlib.sha256(text.encode()).hexdigest()
    res["rows"] = rows
    return res


PHASES = {
    "floor.import-csv": import_csv, "floor.import-xlsx": import_xlsx, "floor.cold": cold,
    "floor.daily": daily, "floor.change": change, "floor.one-fact": one_fact,
    "floor.rebuild": rebuild, "floor.report-ivo": report_ivo, "floor.notify": notify,
    "floor.audit-verify": hash_chain,
}
