"""The audit log's anchor sent out of the building: an e-mail to the auditors through the
outbox, and a line to syslog (``[audit] anchor_email``, ``anchor_syslog``).

Both carry only the anchor line (:class:`engine.audit_anchor.Head`: seq numbers, the head
hash, the run id and a time), never personal data, so a copy exists that someone who can
write the database and the anchor file beside it cannot reach.
"""

from __future__ import annotations

import logging
import logging.handlers
import socket
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlite_utils import Database

from engine.audit_anchor import Head
from engine.config import Config
from notifications import outbox
from notifications.outbox import as_utc, utc_iso

SUBJECT = "bevaka: revisionsloggens ankare, seq {seq}"
BODY = """\
Revisionsloggens nya huvud efter körning {run_id} ({at}):

{line}

Spara raden (eller hela brevet). Den visar att loggen fram till seq {seq} såg ut så här;
bevaka audit verify --anchor FIL jämför loggen med de rader du sparat och larmar om loggen
har kortats, tömts, skrivits om eller om körningar lagts till utanför bevaka.

Brevet innehåller inga personuppgifter: bara löpnummer, en kontrollsumma, körningens id och
en tidpunkt.
"""


def anchor_message(config: Config, head: Head) -> EmailMessage:
    """The e-mail to ``[audit] anchor_email`` with one anchor line."""
    domain = config.smtp.sender.rsplit("@", 1)[1]
    msg = EmailMessage()
    msg["From"] = config.smtp.sender
    msg["To"] = config.audit.anchor_email
    msg["Subject"] = SUBJECT.format(seq=head.seq)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=f"ankare-{head.seq}", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = "sv"
    msg.set_content(BODY.format(run_id=head.run_id, at=head.at, line=head.line(), seq=head.seq),
                    subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg


def queue_anchor_mail(db: Database, config: Config, head: Head, org: str,
                      now: datetime | None = None) -> int | None:
    """Queue the anchor e-mail in the outbox (sent with the next digests or by the outbox
    job); once per run. Returns the outbox id, or None if it was queued before."""
    moment = as_utc(now)
    msg = anchor_message(config, head)
    text = BODY.format(run_id=head.run_id, at=head.at, line=head.line(), seq=head.seq)
    with db.atomic():
        return outbox.insert_message(db, {
            "idempotency_key": f"ankare:{head.run_id}", "org": org,
            "recipient": config.audit.anchor_email, "role": "revisorer",
            "subject": str(msg["Subject"]), "body_text": text,
            "eml": msg.as_string(), "message_id": str(msg["Message-ID"]), "status": "pending",
            "next_attempt_at": utc_iso(moment), "created_at": utc_iso(moment),
            "run_id": head.run_id,
        })


class _Handler(logging.handlers.SysLogHandler):
    """A syslog handler whose failure is the caller's to report (not printed by logging)."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        raise  # re-raises the exception emit caught


def _syslog_target(address: str) -> str | tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if sep and host and port.isdigit() and not address.startswith("/"):
        return (host, int(port))
    return address


def send_syslog(config: Config, head: Head) -> None:
    """Send the anchor line to syslog (``[audit] anchor_syslog_address``: a socket path, or
    host:port over UDP), facility auth, as ``bevaka-ankare: {…}``. Raises ``OSError``."""
    try:
        handler = _Handler(address=_syslog_target(config.audit.anchor_syslog_address),
                           facility=logging.handlers.SysLogHandler.LOG_AUTH,
                           socktype=socket.SOCK_DGRAM)
    except Exception as exc:  # noqa: BLE001 - e.g. a host name that does not resolve
        raise OSError(str(exc)) from None
    handler.ident = "bevaka-ankare: "
    try:
        handler.emit(logging.LogRecord("bevaka.audit", logging.WARNING, __file__, 0,
                                       "%s", (head.line(),), None))
    except OSError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to send is the caller's warning
        raise OSError(str(exc)) from None
    finally:
        handler.close()
