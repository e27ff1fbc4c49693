"""The anchor wired to the application: after every run the new head goes to the anchor file
(:mod:`engine.audit_anchor`) and, if configured, to the auditors' e-mail and syslog
(:mod:`notifications.anchor`); ``audit verify`` and the web view's chain status check the log
against the anchor file and against copies an auditor kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from sqlite_utils import Database

from engine.audit_anchor import Head, head_of_run
from engine.audit_anchor import append as append_anchor
from engine.audit_anchor import check as check_anchor
from engine.audit_anchor import missing_file as missing_anchor
from engine.audit_anchor import read as read_anchor
from engine.audit_anchor import reading as anchor_reading
from engine.audit_anchor import size as anchor_size
from engine.audit_verify import RunSpan, VerifyResult, verify
from engine.config import Config
from notifications.anchor import queue_anchor_mail, send_syslog

log = logging.getLogger("bevaka.audit")


def anchor_run(db: Database, config: Config, anchor: int | OSError, anchor_path: Path,
               run_id: str, org: str) -> Head | None:
    """Anchor the head run ``run_id`` left: a line appended to the anchor file (``anchor``,
    from :func:`engine.audit_anchor.appending`), and the e-mail and syslog copies if
    configured. The run is already committed, so a copy that cannot be made is a warning
    (verify will name the run as not anchored)."""
    head = head_of_run(db, run_id)
    if head is None:  # pragma: no cover - record_run always writes an end row
        return None
    try:
        if isinstance(anchor, OSError):
            raise anchor
        append_anchor(anchor, head)
    except OSError as exc:
        log.warning("körningen %s är loggad men ankaret kunde inte skrivas till %s (%s); "
                    "bevaka audit verify anger den som saknad i ankaret",
                    run_id, anchor_path, exc.strerror or exc)
    if config.audit.anchor_email:
        queue_anchor_mail(db, config, head, org)
    if config.audit.anchor_syslog:
        try:
            send_syslog(config, head)
        except OSError as exc:
            log.warning("ankaret för seq %s kunde inte skickas till syslog (%s): %s",
                        head.seq, config.audit.anchor_syslog_address, exc.strerror or exc)
    return head


def kept_copies(paths: Sequence[str | Path]) -> list[tuple[Path, list[Head]]]:
    """The anchor lines of each copy an auditor kept (each must exist and be readable)."""
    copies = []
    for path in map(Path, paths):
        if not path.exists():
            missing_anchor(path, kept=True)  # raises
        copies.append((path, read_anchor(path)))
    return copies


def verify_anchored(open_db: Callable[[], Database], anchor_path: Path,
                    copies: list[tuple[Path, list[Head]]],
                    size: int | None | Literal["now"] = "now") -> VerifyResult:
    """:func:`engine.audit_verify.verify`, then the check against the live anchor file and
    each kept copy; a failed anchor check makes the result not ok, with its problem. The log's
    snapshot and the anchor file's length are taken together under the anchor's shared lock
    (``size``: a length taken earlier, with the snapshot the database is)."""
    spans: list[RunSpan] = []
    db = open_db()
    with anchor_reading(anchor_path):
        db.conn.execute("BEGIN")  # one snapshot of the log for the whole walk, taken now
        db.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        length = anchor_size(anchor_path) if size == "now" else size
    try:
        result = verify(db, spans)
    finally:
        db.conn.execute("ROLLBACK")
    live = None if length is None else read_anchor(anchor_path, length)
    checks = [missing_anchor(anchor_path, kept=False) if live is None
              else check_anchor(spans, live, anchor_path, kept=False)]
    checks += [check_anchor(spans, heads, path, kept=True) for path, heads in copies]
    result.anchors = [c.to_dict() for c in checks]
    bad = next((c for c in checks if not c.ok), None)
    if result.ok and bad is not None:
        result.ok, result.problem = False, bad.problem
    return result
