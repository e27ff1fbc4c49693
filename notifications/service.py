"""Queue digests in the outbox, send what is pending, or write a dry run: the public API.

Flow: findings -> :func:`notifications.select.select_reminders` (what is due, per address)
-> render + personal-data scan -> ``outbox`` rows (``pending`` or ``blocked``) and
``notified`` rows in one transaction per message -> :func:`send_pending` over one SMTP
connection. Everything is re-runnable: the same findings at the same levels queue nothing new,
and a message is only ever sent from its ``pending`` outbox row.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from engine.config import Config
from engine.findings import Finding
from notifications import outbox
from notifications.delivery import SendResult, send_pending
from notifications.files import private_dir, write_private
from notifications.outbox import as_utc, log_event, utc_iso
from notifications.privacy import find_personnummer
from notifications.render import Rendered, build_message, digest_key, render_digest
from notifications.select import Digest, Selection, Unaddressed, select_reminders

BLOCKED_SUBJECT = "(spärrat: personnummer i innehållet)"


@dataclass
class QueueResult:
    """What :func:`queue_digests` did (or, for a dry run, would do)."""

    run_id: str
    as_of: date
    dry_run: bool = False
    queued: int = 0  # new pending messages
    reminders: int = 0  # (finding, level) reminders in those messages
    blocked: int = 0  # messages stopped by the personal-data check
    already_notified: int = 0  # (finding, address, level) skipped: sent before
    unaddressed: list[Unaddressed] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "queued": self.queued,
            "reminders": self.reminders,
            "blocked": self.blocked,
            "already_notified": self.already_notified,
            "unaddressed": [u.to_dict() for u in self.unaddressed],
            "outbox_ids": list(self.outbox_ids),
        }


@dataclass
class NotifyResult:
    """What :func:`notify` did: the queueing, the sending (None in a dry run) and files."""

    queue: QueueResult
    send: SendResult | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.queue.dry_run

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "queue": self.queue.to_dict(),
            "send": self.send.to_dict() if self.send else None,
            "files": [str(p) for p in self.files],
        }


@dataclass
class _Planned:
    digest: Digest
    rendered: Rendered
    key: str
    pnr_count: int
    pnr_findings: list[str]  # ids of the findings whose shown fields hold a personnummer

    @property
    def blocked(self) -> bool:
        return bool(self.pnr_count or self.pnr_findings)


Reminders = Iterable[Finding] | Selection


def _plan(
    db: Database, config: Config, findings: Reminders, as_of: date, late: bool = False
) -> tuple[Selection, list[_Planned]]:
    """Render each digest. ``findings`` are the findings to choose reminders from, or a
    :class:`Selection` already made (the daily job's, from :mod:`notifications.due`)."""
    selection = (findings if isinstance(findings, Selection)
                 else select_reminders(db, config, findings, as_of))
    planned = []
    for digest in selection.digests:
        rendered = render_digest(digest, as_of, config.notify.max_items, config.notify.list_url,
                                 late)
        # the HTML is also read as a mail client shows it (entities such as &#8211; decoded)
        count = (len(find_personnummer(rendered.subject)) + len(find_personnummer(rendered.text))
                 + len(find_personnummer(html.unescape(rendered.html))))
        culprits = [fid for fid, values in rendered.fields.items()
                    if any(find_personnummer(v) for v in values)]
        planned.append(_Planned(digest, rendered, digest_key(digest, rendered), count, culprits))
    return selection, planned


def _log_unaddressed(db: Database, sel: Selection, run_id: str, now: datetime) -> None:
    for u in sel.unaddressed:
        log_event(
            db, "no_address" if u.role else "no_recipient", at=now, org=u.org, run_id=run_id,
            role=u.role,
            level=str(u.level), finding_ids=[u.finding_id], case_refs=[u.case_ref],
            error=(f"mottagaren {u.role!r} har ingen adress i [roles]" if u.role
                   else "bevakningen anger ingen mottagare"),
        )


def _queue_one(
    db: Database, config: Config, p: _Planned, as_of: date, run_id: str, now: datetime
) -> int | None:
    d = p.digest
    row: dict[str, Any] = {
        "idempotency_key": p.key, "org": d.org, "recipient": d.address,
        "role": ",".join(d.roles) or None,
        "created_at": utc_iso(now), "run_id": run_id, "as_of": as_of.isoformat(),
    }
    if p.blocked:
        culprits = p.pnr_findings or [it.finding.id for it in d.items]
        reason = (f"personnummer i meddelandet ({max(p.pnr_count, 1)} st); spärrat, skickas"
                  f" inte. Rätta texten för bevakning {', '.join(culprits)}")
        row.update(subject=BLOCKED_SUBJECT, status="blocked", last_error=reason)
        with db.atomic():
            oid = outbox.insert_message(db, row)
            if oid is not None:
                refs = [it.finding.subject for it in d.items if it.finding.id in culprits]
                log_event(db, "blocked", at=now, org=d.org, run_id=run_id, outbox_id=oid,
                          role=row["role"], finding_ids=culprits, case_refs=refs, error=reason)
        return oid
    msg = build_message(config, d.address, p.rendered, p.key)
    row.update(
        subject=p.rendered.subject, body_text=p.rendered.text, body_html=p.rendered.html,
        eml=msg.as_string(), message_id=msg["Message-ID"], status="pending",
        next_attempt_at=utc_iso(now),
    )
    with db.atomic():
        oid = outbox.insert_message(db, row)
        if oid is not None:
            outbox.mark_notified(db, d.org, oid, d.address, d.pairs, now)
    return oid


def queue_digests(
    db: Database,
    config: Config,
    findings: Reminders,
    as_of: date,
    run_id: str,
    *,
    now: datetime | None = None,
    late: bool = False,
) -> QueueResult:
    """Queue one digest per address for the reminders due as of ``as_of``.

    Each new message is an outbox row (``pending``, or ``blocked`` if a personnummer was
    found) plus ``notified`` rows, in one transaction. Idempotent: the same findings at the
    same levels queue nothing new. Findings whose recipient has no address are logged in
    ``notification_log`` and listed in ``unaddressed``. ``late``: a catch-up's run for a
    missed day; the digests say they are late (:func:`notifications.render.late_note`).

    Example::

        >>> db = open_db("bevaka.db")
        >>> res = queue_digests(db, config, evaluation.findings, date(2024, 9, 30), "run-1")
        >>> res.queued, res.blocked, [u.role for u in res.unaddressed]
        (2, 0, [])
    """
    now = as_utc(now)
    selection, planned = _plan(db, config, findings, as_of, late)
    result = QueueResult(run_id=run_id, as_of=as_of, unaddressed=list(selection.unaddressed),
                         already_notified=selection.already_notified)
    _log_unaddressed(db, selection, run_id, now)
    for p in planned:
        oid = _queue_one(db, config, p, as_of, run_id, now)
        if oid is None:
            continue
        if p.blocked:
            result.blocked += 1
        else:
            result.queued += 1
            result.reminders += len(p.digest.items)
            result.outbox_ids.append(oid)
    return result


def _filename(index: int, address: str, as_of: date) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", address.replace("@", "_at_"))
    return f"{as_of.isoformat()}_{index:02d}_{safe}.eml"


def _dry_run(
    db: Database, config: Config, findings: Reminders, as_of: date, run_id: str,
    out_dir: Path | str | None, late: bool = False,
) -> tuple[QueueResult, list[Path]]:
    target = Path(out_dir) if out_dir is not None else config.resolve(config.notify.dry_run_dir)
    selection, planned = _plan(db, config, findings, as_of, late)
    result = QueueResult(run_id=run_id, as_of=as_of, dry_run=True,
                         unaddressed=list(selection.unaddressed),
                         already_notified=selection.already_notified)
    files: list[Path] = []
    for p in planned:
        if p.blocked:
            result.blocked += 1
            continue
        private_dir(target)
        path = target / _filename(len(files) + 1, p.digest.address, as_of)
        write_private(path, build_message(config, p.digest.address, p.rendered, p.key).as_bytes())
        files.append(path)
        result.queued += 1
        result.reminders += len(p.digest.items)
    return result, files


def write_dry_run(
    db: Database,
    config: Config,
    findings: Reminders,
    as_of: date,
    run_id: str,
    out_dir: Path | str | None = None,
) -> list[Path]:
    """Write the digests that would be queued as ``.eml`` files; send and record nothing.

    ``out_dir`` defaults to ``[notify] dry_run_dir``. The database is only read: no outbox
    rows, no ``notified`` rows (a later real run still sends everything). Blocked digests are
    not written.

    Example::

        >>> write_dry_run(db, config, findings, date(2024, 9, 30), "run-1", "outbox")
        [PosixPath('outbox/2024-09-30_01_mas_at_kommun.example.eml')]
    """
    return _dry_run(db, config, findings, as_of, run_id, out_dir)[1]


def notify(
    db: Database,
    config: Config,
    findings: Reminders,
    as_of: date,
    run_id: str,
    dry_run: bool = False,
    out_dir: Path | str | None = None,
    *,
    now: datetime | None = None,
    late: bool = False,
    ignore_backoff: bool = False,
) -> NotifyResult:
    """Queue the digests due as of ``as_of`` and send everything pending (``bevaka notify``).

    With ``dry_run`` the digests are written as ``.eml`` files to ``out_dir`` (default
    ``[notify] dry_run_dir``) instead, and the database is not changed. ``late``: a catch-up
    for a missed day (the digests say so). ``ignore_backoff``: send what waits for its
    back-off too (:func:`send_pending`).

    Example::

        >>> res = notify(db, config, evaluation.findings, evaluation.as_of, evaluation.run_id)
        >>> res.to_dict()["send"]
        {'sent': 2, 'deferred': 0, 'failed': 0, 'pending': 0}
    """
    if dry_run:
        queued, files = _dry_run(db, config, findings, as_of, run_id, out_dir, late)
        return NotifyResult(queue=queued, files=files)
    queued = queue_digests(db, config, findings, as_of, run_id, now=now, late=late)
    return NotifyResult(queue=queued, send=send_pending(db, config, now=now,
                                                        ignore_backoff=ignore_backoff))


def outbox_counts(db: Database) -> dict[str, int]:
    """Messages per outbox status, e.g. ``{'pending': 0, 'sent': 4, 'failed': 0, 'blocked': 1}``."""
    return {status: outbox.count_status(db, status) for status in outbox.STATUSES}
