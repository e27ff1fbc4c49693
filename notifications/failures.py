"""Messages that will not go out by themselves, as findings for the IT role.

A message refused by the server (5xx), given up after ``[notify] max_attempts``, or cut off by a
crash while it was being sent (see :mod:`notifications.delivery`) stays ``failed`` in the
outbox with the reason. Until someone sends it again (``bevaka notify --retry-failed``) or
dismisses it (``--dismiss-failed ID``), it is a ``check`` finding ``bevaka.leveransfel/<id>``
for the role ``it``: listed, logged and reminded like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlite_utils import Database

from engine.findings import Finding, Kind, Status
from notifications.outbox import FailedMessage, failed_messages, log_event, utc_now

RULE = "bevaka.leveransfel"
ROLE = "it"


def _day(created: str | None, as_of: date) -> date:
    try:
        return datetime.fromisoformat(created).date() if created else as_of
    except ValueError:
        return as_of


def finding(m: FailedMessage, as_of: date) -> Finding:
    who = f"rollen {m.role}" if m.role else "en adress"
    return Finding(
        id=f"{RULE}/{m.id}", org=m.org, rule_id=RULE, rule_version=1,
        rule_title="Påminnelse som inte kunde levereras", fact_type="outbox",
        subject=f"meddelande {m.id}", kind=Kind.check, status=Status.failed, as_of=as_of,
        start_on=min(_day(m.at, as_of), as_of), due_on=None, done_on=None, late_days=None,
        days_overdue=0, severity="high", recipients=[ROLE], legal_basis=[],
        why=(f"Sammanställning {m.id} till {who} kunde inte levereras: {m.error}. Rätta "
             "adressen (under [roles] i config.toml) och kör bevaka notify --retry-failed, "
             f"eller avfärda den med bevaka notify --dismiss-failed {m.id}."),
    )


def delivery_findings(db: Database, as_of: date, orgs: Iterable[str]) -> list[Finding]:
    """The failed, undismissed messages of ``orgs`` as findings for the IT role."""
    wanted = set(orgs)
    return [finding(m, as_of) for m in failed_messages(db) if m.org in wanted]


def dismiss(db: Database, ids: Iterable[int]) -> list[int]:
    """Mark failed messages as dealt with (they stay in the outbox, failed, and are no longer
    findings). Returns the ids that were failed and not yet dismissed."""
    wanted = [m.id for m in failed_messages(db, list(ids))]
    now = utc_now()
    with db.atomic():
        for oid in wanted:
            db.execute("UPDATE outbox SET dismissed_at = ? WHERE id = ?",
                       [now.isoformat(timespec="seconds"), oid])
            log_event(db, "dismissed", at=now, outbox_id=oid)
    return wanted
