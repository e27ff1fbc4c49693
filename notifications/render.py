"""Render one digest (Swedish, text + HTML) and build the RFC 5322 message.

Only whitelisted fields reach the templates: case reference, rule title, status, due date,
days overdue/left, legal basis and the ``why`` sentence. A finding's fact ``context`` (notes,
names, sex, birth year, ...) is never passed in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from engine.config import Config
from engine.findings import STATUS_SV, Status
from facts.vocabulary import plural
from notifications.select import LEVEL_ORDER, LEVEL_SV, Digest, DigestItem, Level

__all__ = ["Rendered", "build_message", "digest_key", "render_digest", "late_note", "subject_for"]

TEMPLATES = Path(__file__).parent / "templates"

_env = SandboxedEnvironment(  # templates only read what they are given
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=lambda name: bool(name and name.endswith((".html", ".html.j2"))),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    # Per finding id, the raw field values shown (for the personal-data scan).
    fields: dict[str, list[str]]


def _days(n: int) -> str:
    return f"{n} dag" if n == 1 else f"{n} dagar"




def days_text(item: DigestItem, as_of: date) -> str:
    """``12 dagar försenad`` / ``förfaller i dag`` / ``3 dagar kvar``."""
    f = item.finding
    assert f.due_on is not None, "a check or a measure has no days to count"
    delta = (f.due_on - as_of).days
    if item.level in (Level.forsenad, Level.eskalerad):
        return f"{_days(max(f.days_overdue, -delta, 0))} försenad"
    if item.level is Level.idag or delta <= 0:
        return "förfaller i dag"
    return f"{_days(delta)} kvar"


def _measured(f: Any) -> str:
    """``värde 62 %, mål minst 80 %`` for a measure; empty for a check."""
    if f.value is None:
        return ""
    unit = f" {f.unit}" if f.unit else ""
    text = f"värde {f.value:g}{unit}"
    if f.target is not None:
        text += f", mål {'högst' if f.target_is == 'max' else 'minst'} {f.target:g}{unit}"
    return text


def status_text(item: DigestItem) -> str:
    status = STATUS_SV[Status(item.finding.status)]
    return f"{status} (eskalerad)" if item.level is Level.eskalerad else status


def _item_view(item: DigestItem, as_of: date) -> dict[str, Any]:
    f = item.finding
    if f.due_on is not None:
        label, when = "Förfallodag", f"{f.due_on.isoformat()} ({days_text(item, as_of)})"
    else:  # a check or a measure: what it found, no due date
        label, when = ("Mått", _measured(f)) if f.value is not None else ("Kontroll", "avviker")
    return {
        "case_ref": f.subject,
        "rule_title": f.rule_title,
        "status": status_text(item),
        "level": str(item.level),
        "label": label,
        "when": when,
        "legal_basis": "; ".join(f.legal_basis) if f.legal_basis else "ej angivet",
        "why": f.why.strip(),
    }


def late_note(as_of: date) -> str:
    """What a digest sent by a catch-up for a missed day says about itself."""
    return f"försenad påminnelse för {as_of.isoformat()}"


def subject_for(digest: Digest, as_of: date, late: bool = False) -> str:
    """``bevaka: 3 bevakningar att hantera (2 försenade) per 2024-09-30``: counts only; a
    catch-up's digest for a missed day (``late``) adds ``(försenad påminnelse för …)``."""
    n = len(digest.items)
    overdue = sum(1 for it in digest.items if it.level in (Level.forsenad, Level.eskalerad))
    subject = f"bevaka: {plural(n, 'bevakning', 'bevakningar')} att hantera"
    if overdue:
        subject += f" ({plural(overdue, 'försenad', 'försenade')})"
    subject = f"{subject} per {as_of.isoformat()}"
    return f"{subject} ({late_note(as_of)})" if late else subject


def more_line(digest: Digest, shown: int, list_url: str = "") -> str:
    """What a capped digest says about the reminders it does not write out."""
    rest = len(digest.items) - shown
    if rest <= 0:
        return ""
    where = list_url or f"bevaka check --org {digest.org}"
    return (f"Ytterligare {plural(rest, 'bevakning', 'bevakningar')} visas inte här; "
            f"hela listan: {where}")


def render_digest(digest: Digest, as_of: date, limit: int | None = None,
                  list_url: str = "", late: bool = False) -> Rendered:
    """Render ``digest`` as of ``as_of``: subject, plain text and HTML (deterministic). With
    ``limit``, only the first ``limit`` reminders (most urgent first) are written out and the
    digest says how many more there are and where the whole list is (``list_url``). ``late``:
    sent by a catch-up after ``as_of`` was missed (the service was down), and says so.

    Example::

        >>> r = render_digest(digest, date(2024, 9, 30))
        >>> r.subject
        'bevaka: 3 bevakningar att hantera (2 försenade) per 2024-09-30'
    """
    shown = digest.items if limit is None else digest.items[:limit]
    sections = []
    for level in LEVEL_ORDER:
        items = [_item_view(it, as_of) for it in shown if it.level is level]
        if items:
            title = LEVEL_SV[level]
            heading = f"{title} ({len(items)})"
            sections.append({"level": str(level), "title": title, "heading": heading,
                             "rule": "-" * len(heading), "entries": items})
    subject = subject_for(digest, as_of, late)
    n = len(digest.items)
    ctx = {
        "subject": subject,
        "as_of": as_of.isoformat(),
        "count": plural(n, "bevakning", "bevakningar"),
        "sections": sections,
        "more": more_line(digest, len(shown), list_url),
        "late": (f"Detta är en {late_note(as_of)}: bevaka kördes inte den dagen (tjänsten var "
                 "nere) och har kört ikapp nu." if late else ""),
    }
    text = _env.get_template("digest.txt.j2").render(ctx)
    html = _env.get_template("digest.html.j2").render(ctx)
    fields = {it.finding.id: [str(v) for v in _item_view(it, as_of).values()] for it in shown}
    return Rendered(subject, text, html, fields)


def digest_key(digest: Digest, rendered: Rendered) -> str:
    """The idempotency key: organisation, address, (finding, level) pairs and the rendered
    content.

    The same findings at the same levels render the same, so a rerun adds nothing; a message
    that was blocked comes back under a new key once its content changes (e.g. fixed data).
    """
    content = hashlib.sha256(
        "\x00".join((rendered.subject, rendered.text, rendered.html)).encode()
    ).hexdigest()
    payload = json.dumps([digest.org, digest.address, digest.pairs, content], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def build_message(config: Config, to: str, rendered: Rendered, key: str = "") -> EmailMessage:
    """The e-mail: From, To, Subject, Date, Message-ID, text/plain + text/html alternative.

    Example::

        >>> msg = build_message(config, "mas@kommun.example", render_digest(d, as_of))
        >>> msg.get_content_type()
        'multipart/alternative'
    """
    domain = config.smtp.sender.rsplit("@", 1)[1]
    msg = EmailMessage()
    msg["From"] = config.smtp.sender
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=key[:16] or None, domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg["Content-Language"] = "sv"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg
