"""The main job: evaluate, log to the audit trail, queue and send reminders.

``bevaka serve`` runs :func:`daily_run` every day; ``make demo`` runs it once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from engine.audit import record_evaluation
from engine.config import Config
from engine.evaluate import evaluate
from engine.findings import Evaluation


def evaluate_and_log(db: Database, config: Config, as_of: date, command: str) -> Evaluation:
    """Evaluate as of a date and append the run to the audit log."""
    ev = evaluate(db, config, as_of)
    record_evaluation(db, ev, command)
    return ev


def daily_run(db: Database, config: Config, as_of: date, dry_run: bool = False,
              out_dir: str | None = None) -> dict[str, Any]:
    """Evaluate as of ``as_of``, log it, and notify (or write .eml files when ``dry_run``)."""
    from notifications import notify

    ev = evaluate_and_log(db, config, as_of, "daily" if not dry_run else "daily --dry-run")
    result = notify(db, config, ev.findings, as_of, ev.run_id, dry_run=dry_run, out_dir=out_dir)
    by_status: dict[str, int] = {}
    for f in ev.findings:
        by_status[f.status.value] = by_status.get(f.status.value, 0) + 1
    return {"run_id": ev.run_id, "as_of": as_of.isoformat(), "findings": len(ev.findings),
            "by_status": by_status, "notify": result.to_dict()}
