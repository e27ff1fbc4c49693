"""Which findings are due for a reminder, at which level, to whom.

Levels, in rising order: ``varning`` (upcoming within ``[rules] warn_days``), ``idag`` (due
today), ``forsenad`` (overdue), ``eskalerad`` (overdue and escalated); ``avvikelse`` for a
failed check or a measure that does not meet its target (not for rules of severity ``info``,
which are listed only). Resolved deadlines, passed checks and met measures get no reminder.
A (finding, address, level) already in the ``notified`` table is not sent again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlite_utils import Database

from engine.config import Config
from engine.findings import Finding, Status
from facts.orgs import DEFAULT_ORG

__all__ = [
    "LEVEL_ORDER",
    "LEVEL_SV",
    "Digest",
    "DigestItem",
    "Level",
    "Selection",
    "Unaddressed",
    "reminder_level",
    "select_reminders",
]


class Level(StrEnum):
    varning = "varning"
    idag = "idag"
    forsenad = "forsenad"
    eskalerad = "eskalerad"
    avvikelse = "avvikelse"


#: Most urgent first: the order of sections in a digest.
LEVEL_ORDER = (Level.eskalerad, Level.forsenad, Level.avvikelse, Level.idag, Level.varning)

LEVEL_SV = {
    Level.eskalerad: "Eskalerade",
    Level.forsenad: "Försenade",
    Level.avvikelse: "Avvikelser",
    Level.idag: "Förfaller i dag",
    Level.varning: "Förfaller snart",
}


def reminder_level(finding: Finding, as_of: date, warn_days: int) -> Level | None:
    """The reminder level of ``finding`` as of ``as_of``, or None if no reminder is due.

    Example::

        >>> reminder_level(f, date(2024, 9, 30), 14)  # f overdue, not escalated
        <Level.forsenad: 'forsenad'>
    """
    if finding.status in (Status.failed, Status.not_met):
        return None if finding.severity == "info" else Level.avvikelse
    if finding.status is Status.overdue:
        return Level.eskalerad if finding.escalated else Level.forsenad
    if finding.status is Status.due:
        return Level.idag
    if (finding.status is Status.upcoming and finding.due_on is not None
            and (finding.due_on - as_of).days <= warn_days):
        return Level.varning
    return None


@dataclass(frozen=True)
class DigestItem:
    finding: Finding
    level: Level


@dataclass
class Digest:
    """Everything one address gets from one organisation in one run."""

    address: str
    roles: list[str] = field(default_factory=list)
    items: list[DigestItem] = field(default_factory=list)
    org: str = DEFAULT_ORG
    ids: set[str] = field(default_factory=set, repr=False)  # the finding ids in items

    def sort(self) -> None:
        rank = {lvl: i for i, lvl in enumerate(LEVEL_ORDER)}
        self.items.sort(key=lambda it: (rank[it.level], it.finding.due_on or it.finding.as_of,
                                        it.finding.subject, it.finding.rule_id, it.finding.id))

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Sorted (finding_id, level) pairs: what this digest reports."""
        return sorted((it.finding.id, str(it.level)) for it in self.items)


@dataclass(frozen=True)
class Unaddressed:
    """A finding that should remind someone, but ``recipient`` has no address (or is absent)."""

    finding_id: str
    case_ref: str
    level: Level
    role: str | None  # None: the finding names no recipient at all
    org: str = ""

    def to_dict(self) -> dict[str, str | None]:
        return {"finding_id": self.finding_id, "case_ref": self.case_ref,
                "level": str(self.level), "role": self.role, "org": self.org}


@dataclass
class Selection:
    digests: list[Digest] = field(default_factory=list)
    unaddressed: list[Unaddressed] = field(default_factory=list)
    already_notified: int = 0


def _notified(db: Database) -> set[tuple[str, str, str, str]]:
    rows = db.execute("SELECT org, finding_id, recipient, level FROM notified").fetchall()
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def select_reminders(
    db: Database, config: Config, findings: Iterable[Finding], as_of: date
) -> Selection:
    """Group the reminders due as of ``as_of`` into one :class:`Digest` per organisation and
    address (a role's address is looked up in the finding's organisation).

    Read-only: nothing is written (the caller records what it queues).

    Example::

        >>> sel = select_reminders(db, config, findings, date(2024, 9, 30))
        >>> [(d.address, len(d.items)) for d in sel.digests]
        [('enhetschef@kommun.example', 3), ('mas@kommun.example', 1)]
    """
    done = _notified(db)
    sel = Selection()
    by_address: dict[tuple[str, str], Digest] = {}
    for finding in findings:
        level = reminder_level(finding, as_of, config.rules.warn_days)
        if level is None:
            continue
        if not finding.recipients:
            sel.unaddressed.append(Unaddressed(finding.id, finding.subject, level, None,
                                               finding.org))
            continue
        for recipient in finding.recipients:
            address = config.address(recipient, finding.org)
            if not address:
                sel.unaddressed.append(Unaddressed(finding.id, finding.subject, level, recipient,
                                                   finding.org))
                continue
            address = address.strip().lower()
            if (finding.org, finding.id, address, str(level)) in done:
                sel.already_notified += 1
                continue
            digest = by_address.setdefault((finding.org, address), Digest(address, org=finding.org))
            if "@" not in recipient and recipient not in digest.roles:
                digest.roles.append(recipient)
            if finding.id not in digest.ids:
                digest.ids.add(finding.id)
                digest.items.append(DigestItem(finding, level))
    for digest in by_address.values():
        digest.roles.sort()
        digest.sort()
    sel.digests = sorted(by_address.values(), key=lambda d: (d.org, d.address))
    return sel
