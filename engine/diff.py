"""Compare the findings of two rule directories on the same facts (``bevaka rules diff``).

``added`` and ``removed`` are findings only one rule set gives; ``changed`` are findings whose
status differs (the decisions a law change affects); ``moved`` are findings whose dates,
lateness or severity differ while the status stays the same.

Both rule sets are evaluated in a throw-away copy of the database, so the real
``deadlines`` table and the audit log are untouched.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils import Database

from engine.config import Config
from engine.evaluate import load_ruleset
from engine.findings import SEVERITY_SV, Finding, status_sv
from engine.materialize import refresh
from engine.projection import project
from engine.schema import apply_schema

COMPARED = ("status", "due_on", "done_on", "late_days", "severity", "escalated", "rule_version")
#: the compared fields and their values as the diff's Swedish summary names them
FIELD_SV = {"status": "status", "due_on": "frist", "done_on": "klar", "late_days": "dagar sen",
            "severity": "allvarlighet", "escalated": "eskalerad", "rule_version": "regelversion"}


def _sv(field: str, value: Any) -> Any:
    if field == "status":
        return status_sv(value)
    if field == "severity" and value in SEVERITY_SV:
        return SEVERITY_SV[value]
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return "–" if value is None else value


def _findings(db: Database, config: Config, rules_dir: str | Path, as_of: date,
              org: str) -> dict[str, Finding]:
    ruleset = load_ruleset(config, org, rules_dir)
    refresh(db, ruleset, org)
    return {f.id: f for f in project(db, ruleset, as_of, config.rules.resolved_window_days, org)}


def _copy(db: Database) -> tuple[Database, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="bevaka-diff-"))
    target = tmp / "copy.db"
    src = db.conn
    dst = sqlite_utils.Database(target)
    src.backup(dst.conn)
    apply_schema(dst)
    dst.execute("DELETE FROM deadlines")
    dst.execute("DELETE FROM materialized")
    return dst, tmp


def diff_rulesets(db: Database, config: Config, old_dir: str | Path, new_dir: str | Path,
                  as_of: date, org: str) -> dict[str, Any]:
    """Organisation ``org``'s findings that appear, disappear or change between two rule
    directories."""
    copy, tmp = _copy(db)
    try:
        old = _findings(copy, config, old_dir, as_of, org)
        new = _findings(copy, config, new_dir, as_of, org)
    finally:
        copy.close()
        shutil.rmtree(tmp, ignore_errors=True)

    def brief(f: Finding) -> str:
        return f"{status_sv(f.status)}, frist {f.due_on}"

    changed: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    for fid in sorted(set(old) & set(new)):
        a, b = old[fid].model_dump(mode="json"), new[fid].model_dump(mode="json")
        fields = {k: {"old": a[k], "new": b[k]} for k in COMPARED if a[k] != b[k]}
        if not fields:
            continue
        summary = "; ".join(f"{FIELD_SV.get(k, k)}: {_sv(k, v['old'])} → {_sv(k, v['new'])}"
                            for k, v in fields.items())
        item = {"id": fid, "subject": new[fid].subject, "changes": fields, "summary": summary}
        # A changed status is what a law change is about; dates that move without changing
        # the status are listed separately.
        (changed if "status" in fields else moved).append(item)
    return {
        "as_of": as_of.isoformat(),
        "org": org,
        "added": [{"id": i, "subject": new[i].subject, "summary": brief(new[i])}
                  for i in sorted(set(new) - set(old))],
        "removed": [{"id": i, "subject": old[i].subject, "summary": brief(old[i])}
                    for i in sorted(set(old) - set(new))],
        "changed": changed,
        "moved": moved,
    }
