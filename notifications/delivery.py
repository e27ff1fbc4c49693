"""Sending what is pending in the outbox: at most once per digest, across any crash.

One process sends at a time: :func:`send_pending` holds an exclusive lock file beside the
database (``<db>.send.lock``) for the whole batch, so a claim it finds on a pending message was
left by a process that died, and is resolved at once (:func:`notifications.outbox.recover`),
not after a lease runs out.

Per message, each step is committed before the next begins:

1. **claim** (``claimed_by``): taken; nothing has gone to the server;
2. **sending** (``sending_at``): the SMTP transaction begins; from here it may arrive;
3. **sent**, **failed** (5xx: refused for good) or **pending** again (4xx, down, timeout:
   retried later, each time waiting twice as long up to ``[notify] max_retry_minutes``).

A crash between 1 and 2 sends the message on the next run; a crash between 2 and 3 leaves it
uncertain, resolved by ``[notify] after_crash``: ``skip`` (the default) reports it failed and
never sends it twice; ``resend`` sends it again with the same Message-ID. Every message has a
stable Message-ID, recorded when it was queued, before any DATA.

A connection that fails after the whole message went out (a timeout waiting for the reply to
the end of DATA) is the same uncertainty without a crash, and resolved by the same policy.

A run stops sending after ``[notify] send_budget_seconds``, and at the first timeout or refused
connection (the server is down: the rest are deferred without a try each), so a hanging server
holds a run for one timeout, not one per message.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from engine.config import Config
from notifications import outbox
from notifications.outbox import FailedMessage, as_utc, log_event, utc_iso
from notifications.transport import PermanentError, SmtpSetupError, SmtpTransport, TransientError


@dataclass
class SendResult:
    """What :func:`send_pending` did: ``pending`` is what is left in the outbox afterwards;
    ``failed_messages`` the messages that failed in this run (refused, given up, or cut off by
    an earlier crash), for the operator."""

    sent: int = 0
    deferred: int = 0  # transient failure: retried later
    failed: int = 0  # given up in this run
    pending: int = 0
    busy: bool = False  # another process was sending: nothing was tried
    stopped: str | None = None  # "budget" or "server" when the run stopped sending early
    failed_messages: list[FailedMessage] = field(default_factory=list)
    #: with messages left pending: why (one Swedish line: the error that kept them, another
    #: sender, the time budget) and when the next is due (UTC ISO)
    reason: str | None = None
    next_attempt_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "deferred": self.deferred, "failed": self.failed,
                "pending": self.pending, "busy": self.busy, "stopped": self.stopped,
                "reason": self.reason, "next_attempt_at": self.next_attempt_at,
                "failed_messages": [m.to_dict() for m in self.failed_messages]}

    def explain_pending(self, db: Database, config: Config) -> None:
        """Fill :attr:`reason` and :attr:`next_attempt_at` from the outbox when messages are
        left pending."""
        if not self.pending:
            return
        error, self.next_attempt_at = outbox.pending_state(db)
        if self.busy:
            self.reason = ("en annan process skickar från utkorgen just nu (bevaka serve eller "
                           "en annan bevaka notify); den skickar dem")
        elif self.stopped == "budget":
            self.reason = (f"sändningen stoppades efter [notify] send_budget_seconds = "
                           f"{config.notify.send_budget_seconds} s")
        else:
            self.reason = error or "inget sändningsförsök ännu"


def _db_file(db: Database) -> Path | None:
    for _, name, path in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and path:
            return Path(path)
    return None


@contextmanager
def sender_lock(db: Database) -> Iterator[bool]:
    """Hold the database's sender lock while the block runs; yields False if another process
    holds it (then nothing may be claimed)."""
    path = _db_file(db)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: one sender is the operator's promise
        yield True
        return
    if path is None:  # an in-memory database has one connection: nobody else can send
        yield True
        return
    lock = path.with_name(path.name + ".send.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _parse(eml: str) -> EmailMessage:
    msg = email.message_from_string(eml, _class=EmailMessage, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _server_down(exc: TransientError) -> bool:
    """A timeout or a refused connection: trying the next message would only wait again."""
    text = str(exc)
    return exc.connection_lost and ("svarade inte inom" in text or "svarar inte" in text)


class _Batch:
    """One run's sending, over one connection."""

    def __init__(self, db: Database, config: Config, now: datetime,
                 clock: Callable[[], float], ignore_backoff: bool = False):
        self.db, self.config, self.now, self.clock = db, config, now, clock
        self.ignore_backoff = ignore_backoff
        n = config.notify
        self.retry = timedelta(minutes=n.retry_minutes)
        self.cap = timedelta(minutes=n.max_retry_minutes)
        self.deadline = clock() + n.send_budget_seconds
        self.token = f"{socket.gethostname()}:{os.getpid()}:{utc_iso(now)}"
        self.transport = SmtpTransport(config)
        self.down: TransientError | None = None
        self.result = SendResult()
        self.failed_ids: list[int] = []

    def defer(self, row: outbox.OutboxRow, error: str) -> None:
        if outbox.mark_transient(self.db, row, error, self.now, self.retry,
                                 self.config.notify.max_attempts, self.cap):
            self.result.failed += 1
            self.failed_ids.append(row.id)
        else:
            self.result.deferred += 1

    def one(self, row: outbox.OutboxRow) -> None:
        if not outbox.claim(self.db, row, self.token):
            return
        if self.down is None and not self.transport.connected:
            try:
                self.transport.open()
            except TransientError as exc:
                self.down = exc
            except SmtpSetupError:
                outbox.release(self.db, row)
                raise
        if self.down is not None:
            self.defer(row, str(self.down))
            return
        outbox.mark_sending(self.db, row, self.now)
        try:
            self.transport.send(_parse(row.eml))
        except TransientError as exc:
            if exc.uncertain and self.config.notify.after_crash == "skip":
                outbox.mark_uncertain(self.db, row, str(exc), self.now)
                self.result.failed += 1
                self.failed_ids.append(row.id)
            else:
                self.defer(row, str(exc))
            if _server_down(exc):
                self.down, self.result.stopped = exc, "server"
        except PermanentError as exc:
            outbox.mark_failed(self.db, row, str(exc), self.now)
            self.result.failed += 1
            self.failed_ids.append(row.id)
        except SmtpSetupError:
            outbox.release(self.db, row)  # refused before any DATA (login, sender)
            raise
        else:
            outbox.mark_sent(self.db, row, self.now)
            self.result.sent += 1

    def run(self) -> None:
        for row in outbox.due_messages(self.db, self.now, ignore_backoff=self.ignore_backoff):
            if self.clock() > self.deadline:
                self.result.stopped = "budget"
                log_event(self.db, "budget", at=self.now,
                          error=f"sändningen stoppades efter {self.config.notify.send_budget_seconds}"
                                " s; resten skickas vid nästa körning")
                break
            if self.down is not None:
                self.defer(row, str(self.down))
                continue
            self.one(row)


def send_pending(db: Database, config: Config, now: datetime | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 ignore_backoff: bool = False) -> SendResult:
    """Send every ``pending`` message whose ``next_attempt_at`` <= ``now``, over one connection,
    at most once each (see the module's docstring). ``ignore_backoff`` (``bevaka notify
    --now``): every pending message, also those waiting for their back-off, in this run only;
    the sender lock and the claims still hold, so nothing sent or being sent goes again.
    With messages left pending, the result says why (:meth:`SendResult.explain_pending`).

    A refused message (5xx) is ``failed`` at once with the server's reply; after ``[notify]
    max_attempts`` temporary failures too. A failed login raises :class:`SmtpSetupError` (one
    line) and stops the batch; the messages stay pending, their attempts unchanged.

    Example::

        >>> send_pending(open_db("bevaka.db"), config).to_dict()["sent"]
        2
    """
    now = as_utc(now)
    with sender_lock(db) as held:
        if not held:
            busy = SendResult(busy=True, pending=outbox.count_status(db, "pending"))
            busy.explain_pending(db, config)
            return busy
        batch = _Batch(db, config, now, clock, ignore_backoff)
        cut_off = outbox.recover(db, now, config.notify.after_crash)
        batch.failed_ids.extend(cut_off)
        batch.result.failed += len(outbox.failed_messages(db, cut_off)) if cut_off else 0
        try:
            batch.run()
        except SmtpSetupError as exc:
            log_event(db, "smtp_setup", at=now, error=str(exc))
            raise
        finally:
            batch.transport.close()
    result = batch.result
    result.pending = outbox.count_status(db, "pending")
    result.failed_messages = outbox.failed_messages(db, batch.failed_ids) if batch.failed_ids else []
    result.explain_pending(db, config)
    return result


def retry_failed(db: Database, now: datetime | None = None,
                 ids: list[int] | None = None) -> list[int]:
    """Queue failed messages again (all, or ``ids``), with their Message-IDs; they go out on
    the next :func:`send_pending`."""
    return outbox.retry_failed(db, as_utc(now), ids)


__all__ = ["SendResult", "retry_failed", "send_pending", "sender_lock", "utc_iso"]
