"""Heartbeats: one row per scheduled run (daily, catch-up, outbox), also when a run fails.

``scheduled_for`` is the slot the run covers, in the configured time zone; ``started_at`` and
``finished_at`` are UTC. ``summary`` is the job's returned dict as JSON: jobs must not put
personal data in it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

log = logging.getLogger("bevaka.scheduling")

DAILY_JOBS = ("daily", "catch-up")


def iso_seconds(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _utc_now() -> str:
    return iso_seconds(datetime.now(UTC))


migrations = Migrations("bevaka.engine.scheduling")


@migrations(name="create_heartbeats")
def _create_heartbeats(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE heartbeats (
            id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            scheduled_for TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            ok INTEGER NOT NULL,
            summary TEXT,
            error TEXT
        )
        """
    )
    db.execute("CREATE INDEX heartbeats_job_slot ON heartbeats (job, scheduled_for)")





def _failed_rules_line(failed: Any) -> str | None:
    """The heartbeat's error line for a run that was done but where some rules failed."""
    if not failed:
        return None
    parts = [f"{f.get('rule_id')} ({f.get('org')}): {f.get('reason')}" for f in failed]
    return ("regler som misslyckades: " + "; ".join(parts))[:500]


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    line = " ".join(text.split())
    return line[:500]


def run_recorded(
    db: Database, job_name: str, scheduled_for: datetime, fn: Callable[[], Any]
) -> dict[str, Any]:
    """Run ``fn`` and write its heartbeat whatever happens. Returns the heartbeat as a dict.

    An exception from ``fn`` is logged and recorded (ok=0, one-line error), not re-raised.
    """
    started = _utc_now()
    summary: str | None = None
    error: str | None = None
    try:
        result = fn()
        if result is None:
            result = {}
        elif not isinstance(result, dict):
            result = {"result": result}
        summary = json.dumps(result, sort_keys=True, ensure_ascii=False, default=str)
        ok = True
        error = _failed_rules_line(result.get("failed_rules"))
    except Exception as exc:  # noqa: BLE001 - the scheduler must keep running
        log.exception("jobbet %s (%s) misslyckades", job_name, iso_seconds(scheduled_for))
        error = _one_line(exc)
        ok = False
    record = {
        "job": job_name,
        "scheduled_for": iso_seconds(scheduled_for),
        "started_at": started,
        "finished_at": _utc_now(),
        "ok": int(ok),
        "summary": summary,
        "error": error,
    }
    with db.atomic():
        cur = db.execute(
            "INSERT INTO heartbeats"
            " (job, scheduled_for, started_at, finished_at, ok, summary, error) VALUES"
            " (:job, :scheduled_for, :started_at, :finished_at, :ok, :summary, :error)",
            record,
        )
    return _heartbeat_dict({"id": cur.lastrowid, **record})


def _heartbeat_dict(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["ok"] = bool(out["ok"])
    if out.get("summary") is not None:
        with suppress(ValueError):
            out["summary"] = json.loads(out["summary"])
    return out


def last_heartbeat(db: Database, job: str | None = None) -> dict[str, Any] | None:
    """The most recent heartbeat (optionally of one job), ``ok`` as bool and ``summary`` parsed."""
    sql = "SELECT * FROM heartbeats"
    params: list[Any] = []
    if job is not None:
        sql += " WHERE job = ?"
        params.append(job)
    cur = db.execute(sql + " ORDER BY id DESC LIMIT 1", params)
    row = cur.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cur.description]
    return _heartbeat_dict(dict(zip(names, row, strict=True)))


def last_covered_slot(db: Database) -> datetime | None:
    """The latest slot a successful daily or catch-up run covered (aware), or None."""
    latest: datetime | None = None
    for (text,) in db.execute("SELECT scheduled_for FROM heartbeats WHERE ok = 1 AND job IN"
                              " (?, ?)", list(DAILY_JOBS)):
        try:
            when = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            continue
        if when.tzinfo is not None and (latest is None or when > latest):
            latest = when
    return latest


def slot_covered(db: Database, slot: datetime) -> bool:
    """Whether a successful daily or catch-up run covers ``slot`` (or a later one)."""
    # Prefilter by the local date prefix (ISO strings sort by date), compare exactly in UTC.
    floor = (slot.date() - timedelta(days=1)).isoformat()
    rows = db.execute(
        "SELECT scheduled_for FROM heartbeats"
        " WHERE ok = 1 AND job IN (?, ?) AND scheduled_for >= ?",
        [*DAILY_JOBS, floor],
    ).fetchall()
    target = slot.astimezone(UTC)
    for (text,) in rows:
        try:
            when = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            continue
        if when.tzinfo is not None and when.astimezone(UTC) >= target:
            return True
    return False


