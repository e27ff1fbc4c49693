"""The durable outbox: tables (registered with ``facts.store``) and the row operations.

Tables (created by :func:`notifications.schema.apply_schema`, which ``bevaka.open_database`` calls):

``outbox``
    one row per digest message. ``status`` is ``pending`` (waiting or being retried),
    ``sent``, ``failed`` (permanently refused, or ``[notify] max_attempts`` reached) or
    ``blocked`` (personal data found: no bodies and no ``eml`` are stored; never sent).
``notified``
    which reminder level of which finding was queued for which address (and in which outbox
    row), so a later run does not send the same again.
``notification_log``
    blocked messages, missing addresses and delivery failures. Finding ids, case references,
    role keys and the (redacted) error only: no addresses, no personal data.

All timestamps are UTC ISO 8601 strings (``2024-09-30T06:30:00+00:00``), so they compare as
text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from facts.orgs import DEFAULT_ORG
from notifications.privacy import redact

__all__ = [
    "STATUSES",
    "OutboxRow",
    "log_event",
    "migrations",
    "utc_iso",
]

STATUSES = ("pending", "sent", "failed", "blocked")

migrations = Migrations("bevaka.notifications")


@migrations(name="create_outbox")
def _create_outbox(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            recipient TEXT NOT NULL,
            role TEXT,
            subject TEXT NOT NULL,
            body_text TEXT,
            body_html TEXT,
            eml TEXT,
            message_id TEXT,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            run_id TEXT,
            as_of TEXT
        );
        CREATE INDEX outbox_status_next ON outbox (status, next_attempt_at);
        CREATE TABLE notified (
            finding_id TEXT NOT NULL,
            recipient TEXT NOT NULL,
            level TEXT NOT NULL,
            outbox_id INTEGER NOT NULL REFERENCES outbox (id),
            notified_at TEXT NOT NULL,
            PRIMARY KEY (finding_id, recipient, level)
        );
        CREATE TABLE notification_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            run_id TEXT,
            event TEXT NOT NULL,
            outbox_id INTEGER,
            role TEXT,
            level TEXT,
            finding_ids TEXT,
            case_refs TEXT,
            error TEXT
        );
        CREATE INDEX notification_log_at ON notification_log (at);
        """
    )



@migrations(name="add_org")
def _add_org(db: Database) -> None:
    """Messages and reminders belong to an organisation (rows from before: ``kommun/von``)."""
    db.table("outbox").add_column("org", str, not_null_default=DEFAULT_ORG)
    db.table("notification_log").add_column("org", str)
    db.table("notified").add_column("org", str, not_null_default=DEFAULT_ORG)
    db.table("notified").transform(pk=("org", "finding_id", "recipient", "level"),
                                   column_order=["org", "finding_id", "recipient", "level"])


@migrations(name="exactly_once")
def _exactly_once(db: Database) -> None:
    """Who is sending a message (``claimed_by``), since when the SMTP transaction of it may
    have begun (``sending_at``), and a failed message the operator has dealt with
    (``dismissed_at``)."""
    for column in ("claimed_by", "sending_at", "dismissed_at"):
        db.table("outbox").add_column(column, str)


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime:
    """``moment`` in UTC (a naive datetime is taken to be UTC); now if None."""
    if moment is None:
        return utc_now()
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="seconds")


def log_event(
    db: Database,
    event: str,
    *,
    at: datetime,
    org: str | None = None,
    run_id: str | None = None,
    outbox_id: int | None = None,
    role: str | None = None,
    level: str | None = None,
    finding_ids: Sequence[str] = (),
    case_refs: Sequence[str] = (),
    error: str | None = None,
) -> None:
    """Append one row to ``notification_log`` (case refs and error text are redacted)."""
    db.execute(
        "INSERT INTO notification_log (at, org, run_id, event, outbox_id, role, level,"
        " finding_ids, case_refs, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            utc_iso(at), org, run_id, event, outbox_id, role, level,
            json.dumps(list(finding_ids), ensure_ascii=False) if finding_ids else None,
            json.dumps([redact(c) for c in case_refs], ensure_ascii=False) if case_refs else None,
            redact(error) if error else None,
        ],
    )


def insert_message(db: Database, row: dict[str, Any]) -> int | None:
    """Insert an outbox row unless its idempotency key exists; the new id or None."""
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cur = db.execute(
        f"INSERT OR IGNORE INTO outbox ({cols}) VALUES ({marks})", list(row.values())
    )
    return int(cur.lastrowid) if cur.rowcount and cur.lastrowid else None


def mark_notified(
    db: Database, org: str, outbox_id: int, address: str, pairs: Sequence[tuple[str, str]],
    at: datetime,
) -> None:
    for finding_id, level in pairs:
        db.execute(
            "INSERT OR IGNORE INTO notified (org, finding_id, recipient, level, outbox_id,"
            " notified_at) VALUES (?, ?, ?, ?, ?, ?)",
            [org, finding_id, address, level, outbox_id, utc_iso(at)],
        )


@dataclass(frozen=True)
class OutboxRow:
    id: int
    recipient: str
    eml: str
    attempts: int
    run_id: str | None


def due_messages(db: Database, now: datetime, *, ignore_backoff: bool = False
                 ) -> list[OutboxRow]:
    """Pending messages whose ``next_attempt_at`` is at or before ``now``, oldest first; with
    ``ignore_backoff`` every pending message not claimed (``bevaka notify --now``). A claimed
    one (being sent) is never due."""
    backoff_sql = "" if ignore_backoff else " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
    rows = db.execute(
        "SELECT id, recipient, eml, attempts, run_id FROM outbox WHERE status = 'pending'"
        " AND eml IS NOT NULL AND claimed_by IS NULL" + backoff_sql + " ORDER BY id",
        [] if ignore_backoff else [utc_iso(now)],
    ).fetchall()
    return [OutboxRow(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def claim(db: Database, row: OutboxRow, token: str) -> bool:
    """Take ``row`` for sending (committed before anything goes to the server). False if it is
    no longer pending or someone has it. Only the holder of the sender lock claims, so a claim
    found by the next holder was left by a process that died (:func:`recover`)."""
    with db.atomic():
        cur = db.execute("UPDATE outbox SET claimed_by = ? WHERE id = ? AND status = 'pending'"
                         " AND claimed_by IS NULL", [token, row.id])
    return cur.rowcount == 1


def mark_sending(db: Database, row: OutboxRow, now: datetime) -> None:
    """Committed right before the SMTP transaction: from here the message may arrive."""
    with db.atomic():
        db.execute("UPDATE outbox SET sending_at = ? WHERE id = ?", [utc_iso(now), row.id])


def release(db: Database, row: OutboxRow) -> None:
    """Give a claimed message back untouched (nothing was sent)."""
    with db.atomic():
        db.execute("UPDATE outbox SET claimed_by = NULL, sending_at = NULL WHERE id = ?", [row.id])


def mark_sent(db: Database, row: OutboxRow, now: datetime) -> None:
    with db.atomic():
        db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
            " last_error = NULL, next_attempt_at = NULL, claimed_by = NULL, sending_at = NULL"
            " WHERE id = ?",
            [utc_iso(now), row.id],
        )


CUT_OFF = ("sändningen avbröts (processen dog under SMTP-överföringen) och meddelandet kan ha "
           "levererats; det skickas inte igen automatiskt. Kontrollera med mottagaren och kör "
           "bevaka notify --retry-failed för att skicka det igen")


def recover(db: Database, now: datetime, after_crash: str) -> list[int]:
    """Claims left by a process that died. A message it had not begun to send goes back to
    pending at once; one it was sending may have arrived: with ``after_crash = "skip"`` it is
    ``failed`` (and logged as such), with ``"resend"`` it is pending again. Returns the ids
    of the messages whose delivery is uncertain."""
    uncertain = []
    with db.atomic():
        rows = db.execute("SELECT id, run_id, sending_at FROM outbox WHERE status = 'pending' "
                          "AND claimed_by IS NOT NULL").fetchall()
        for oid, run_id, sending_at in rows:
            if sending_at is None or after_crash == "resend":
                db.execute("UPDATE outbox SET claimed_by = NULL, sending_at = NULL, "
                           "next_attempt_at = ? WHERE id = ?", [utc_iso(now), oid])
                if sending_at is not None:
                    uncertain.append(oid)
                    log_event(db, "resent_after_crash", at=now, run_id=run_id, outbox_id=oid,
                              error="sändningen avbröts; skickas igen med samma Message-ID")
                continue
            uncertain.append(oid)
            db.execute("UPDATE outbox SET status = 'failed', claimed_by = NULL, last_error = ?, "
                       "next_attempt_at = NULL WHERE id = ?", [CUT_OFF, oid])
            log_event(db, "uncertain", at=now, run_id=run_id, outbox_id=oid, error=CUT_OFF)
    return uncertain


def backoff(attempts: int, retry: timedelta, cap: timedelta) -> timedelta:
    """The wait before retry number ``attempts`` (1, 2, …): ``retry``, twice it, … ≤ ``cap``."""
    return min(retry * (2 ** max(attempts - 1, 0)), cap)


def mark_transient(
    db: Database, row: OutboxRow, error: str, now: datetime, retry: timedelta, max_attempts: int,
    cap: timedelta | None = None,
) -> bool:
    """Count a failed attempt; retry later (backing off: :func:`backoff`), or ``failed`` after
    ``max_attempts``. True if the message is now permanently failed.
    """
    attempts = row.attempts + 1
    error = redact(error)
    wait = backoff(attempts, retry, cap or retry * 96)
    with db.atomic():
        if attempts >= max_attempts:
            db.execute(
                "UPDATE outbox SET status = 'failed', attempts = ?, last_error = ?,"
                " next_attempt_at = NULL, claimed_by = NULL, sending_at = NULL WHERE id = ?",
                [attempts, f"{error} (gav upp efter {attempts} försök)", row.id],
            )
            log_event(db, "failed", at=now, run_id=row.run_id, outbox_id=row.id,
                      error=f"{error} (gav upp efter {attempts} försök)")
            return True
        db.execute(
            "UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?,"
            " claimed_by = NULL, sending_at = NULL WHERE id = ?",
            [attempts, error, utc_iso(now + wait), row.id],
        )
        log_event(db, "transient", at=now, run_id=row.run_id, outbox_id=row.id, error=error)
    return False


UNCERTAIN = ("meddelandet kan ha levererats och skickas inte igen automatiskt; kontrollera med "
             "mottagaren och kör bevaka notify --retry-failed för att skicka det igen")


def mark_uncertain(db: Database, row: OutboxRow, error: str, now: datetime) -> None:
    """The connection failed after the whole message was sent (no reply to the end of DATA):
    it may have arrived, so it is ``failed`` with the reason, as after a crash with
    ``[notify] after_crash = "skip"``."""
    mark_failed(db, row, f"{error}; {UNCERTAIN}", now)


def mark_failed(db: Database, row: OutboxRow, error: str, now: datetime) -> None:
    error = redact(error)
    with db.atomic():
        db.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?,"
            " next_attempt_at = NULL, claimed_by = NULL, sending_at = NULL WHERE id = ?",
            [error, row.id],
        )
        log_event(db, "failed", at=now, run_id=row.run_id, outbox_id=row.id, error=error)


def count_status(db: Database, status: str) -> int:
    row = db.execute("SELECT count(*) FROM outbox WHERE status = ?", [status]).fetchone()
    return int(row[0])


def pending_state(db: Database) -> tuple[str | None, str | None]:
    """Why messages are still pending and when the next is retried: the error of the most
    recent failed attempt among them (None if none was tried) and the earliest
    ``next_attempt_at`` (UTC ISO, None if none is set)."""
    last = db.execute("SELECT last_error FROM outbox WHERE status = 'pending' AND last_error "
                      "IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    nxt = db.execute("SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'"
                     ).fetchone()
    return (last[0] if last else None), (nxt[0] if nxt else None)


@dataclass(frozen=True)
class FailedMessage:
    """A message that will not go out by itself: refused, given up, or cut off by a crash."""

    id: int
    org: str
    role: str | None
    error: str
    at: str | None  # when it was created

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "org": self.org, "role": self.role, "error": self.error,
                "created_at": self.at}


def failed_messages(db: Database, ids: Sequence[int] | None = None) -> list[FailedMessage]:
    """Failed messages not dismissed (or those of ``ids``), oldest first."""
    sql = ("SELECT id, org, role, last_error, created_at FROM outbox WHERE status = 'failed' "
           "AND dismissed_at IS NULL")
    params: list[Any] = []
    if ids is not None and not ids:
        return []
    if ids is not None:
        sql += f" AND id IN ({', '.join('?' for _ in ids)})"
        params = list(ids)
    return [FailedMessage(r[0], r[1], r[2], r[3] or "", r[4])
            for r in db.execute(sql + " ORDER BY id", params)]


def retry_failed(db: Database, now: datetime, ids: Sequence[int] | None = None) -> list[int]:
    """Put failed messages (all not dismissed, or ``ids``) back in the queue, attempts reset;
    they keep their Message-ID. Returns their ids."""
    wanted = [m.id for m in failed_messages(db, ids)]
    with db.atomic():
        for oid in wanted:
            db.execute("UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, "
                       "claimed_by = NULL, sending_at = NULL WHERE id = ? AND eml IS NOT NULL",
                       [utc_iso(now), oid])
            log_event(db, "retry_failed", at=now, outbox_id=oid)
    return wanted
