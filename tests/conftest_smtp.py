"""Shared builders for the notification tests: findings, config and a database file.

Imported explicitly by ``tests/test_notify*.py`` (not a pytest conftest).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from conftest import open_db
from sqlite_utils import Database

from engine.config import Config, NotifyConfig, RulesConfig, SmtpConfig
from engine.findings import Finding, Status

AS_OF = date(2024, 9, 30)

ROLES = {
    "enhetschef": "enhetschef@kommun.example",
    "mas": "mas@kommun.example",
    "bistand_ao": "bistand.ao@kommun.example",
}


def make_config(tmp_path: Path, port: int = 25, **smtp: Any) -> Config:
    return Config(
        roles=dict(ROLES),
        rules=RulesConfig(warn_days=14, resolved_window_days=92),
        smtp=SmtpConfig(**{"host": "127.0.0.1", "port": port, "timeout": 5, **smtp}),
        notify=NotifyConfig(dry_run_dir="utkorg", max_attempts=3, retry_minutes=15),
        base_dir=tmp_path,
    )


def make_db(tmp_path: Path) -> Database:
    return open_db(tmp_path / "bevaka.db")


def make_finding(
    fid: str,
    subject: str,
    status: Status,
    due_on: date,
    recipients: list[str],
    *,
    as_of: date = AS_OF,
    escalated: bool = False,
    rule_title: str = "Verkställighet inom tre månader",
    why: str | None = None,
    legal_basis: list[str] | None = None,
    context: dict[str, Any] | None = None,
) -> Finding:
    overdue = max((as_of - due_on).days, 0) if status is Status.overdue else 0
    return Finding(
        id=fid,
        rule_id="ivo.ej_verkstallt",
        rule_version=1,
        rule_title=rule_title,
        fact_type="decision",
        subject=subject,
        status=status,
        as_of=as_of,
        start_on=due_on - timedelta(days=92),
        due_on=due_on,
        done_on=date(2024, 9, 1) if status is Status.resolved else None,
        late_days=0 if status is Status.resolved else None,
        days_overdue=overdue,
        severity="high",
        recipients=recipients,
        escalated=escalated,
        legal_basis=legal_basis if legal_basis is not None else ["SoL 16 kap. 6 f §"],
        why=why or f"Beslutet i ärende {subject} ska vara verkställt senast {due_on}.",
        context=context or {},
    )


def two_recipient_findings() -> list[Finding]:
    """enhetschef: 3 reminders; mas: 2 reminders; plus two findings that remind nobody."""
    d = AS_OF
    return [
        make_finding("f1", "AO-2024-0101", Status.overdue, d - timedelta(days=20), ["enhetschef"],
                     context={"note": "Anna Andersson", "birth_year": 1941, "sex": "K"}),
        make_finding("f2", "AO-2024-0102", Status.due, d, ["enhetschef"]),
        make_finding("f3", "AO-2024-0103", Status.upcoming, d + timedelta(days=5),
                     ["enhetschef", "enhetschef@kommun.example"]),
        make_finding("f4", "AO-2024-0104", Status.overdue, d - timedelta(days=40), ["mas"],
                     escalated=True, rule_title="Rapport till IVO"),
        make_finding("f5", "AO-2024-0105", Status.upcoming, d + timedelta(days=14), ["mas"]),
        make_finding("f6", "AO-2024-0106", Status.upcoming, d + timedelta(days=15), ["mas"]),
        make_finding("f7", "AO-2024-0107", Status.resolved, d - timedelta(days=3), ["mas"]),
    ]


def counts(result: Any) -> dict[str, int]:
    """The four counts of a SendResult."""
    d = result.to_dict()
    return {k: d[k] for k in ("sent", "deferred", "failed", "pending")}
