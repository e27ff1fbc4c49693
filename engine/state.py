"""The finding state of the last logged run, and what a run changes in it.

The audit log does not copy every finding every day. It records, per run, the *changes*
(findings that are new, changed or removed since the last logged run) and a commitment to the
complete state after the run: an additive multiset hash, the sum modulo 2**256 of the SHA-256
of every finding's state payload. It can be updated change by change, and `audit verify`
recomputes it by replaying the changes from the first run.

A finding's state payload is its identity and what an auditor needs to know it is the same
finding in the same state: organisation, id, rule, kind, subject, status, due and done dates
(done only once met), value, band and whether it is escalated. Texts (why, legal basis) and
the day count are not state: they follow from it and the date.

``finding_state`` holds the payload (and its hash) of every finding listed by the last logged
run of each organisation; ``state_meta`` the running commitment and count; ``run_state`` the
date and run of each organisation's last logged run, which is where the next run's delta
starts (see :mod:`engine.delta`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from engine.findings import Finding

MOD = 2**256
FIELDS = ("org", "id", "rule_id", "rule_version", "kind", "subject", "status", "due_on",
          "done_on", "value", "band", "escalated")
#: the change kinds as the views and the command line show them
OPS_SV = {"new": "ny", "changed": "ändrad", "removed": "borttagen"}
#: What a change record adds for the reader (covered by the chain, not part of the state).
INFO = ("late_days", "days_overdue", "severity")

migrations = Migrations("bevaka.engine.state")


@migrations(name="create_state")
def _create(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE finding_state (
            org TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL, h TEXT NOT NULL,
            PRIMARY KEY (org, id)
        ) WITHOUT ROWID;
        CREATE TABLE run_state (org TEXT PRIMARY KEY, as_of TEXT NOT NULL, run_id TEXT NOT NULL);
        CREATE TABLE state_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO state_meta (key, value) VALUES ('commitment', '0'), ('count', '0');
        """
    )


@migrations(name="state_status")
def _status(db: Database) -> None:
    """Each stored finding's status as a column, for counting without reading the JSON."""
    db.execute("ALTER TABLE finding_state ADD COLUMN status TEXT")
    db.execute("UPDATE finding_state SET status = json_extract(payload, '$.status')")


@migrations(name="state_status_index")
def _status_index(db: Database) -> None:
    """Counting findings per status reads an index, not every stored payload."""
    db.execute("CREATE INDEX IF NOT EXISTS finding_state_status ON finding_state (org, status)")


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def payload(values: dict[str, Any]) -> str:
    """The canonical state payload of one finding (the keys of :data:`FIELDS`)."""
    return canonical({k: values.get(k) for k in FIELDS})


def payload_of(f: Finding) -> str:
    data = f.model_dump(mode="json", include=set(FIELDS))
    if f.kind != "deadline":
        data["escalated"] = False
    return payload(data)


def info_of(f: Finding) -> str:
    return canonical({k: getattr(f, k) for k in INFO})


def state_of(record: dict[str, Any]) -> str:
    """The state payload inside a change record (its other keys are information)."""
    return payload(record)


def digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")


def hex256(n: int) -> str:
    return f"{n % MOD:064x}"


@dataclass(frozen=True)
class Change:
    """One finding's change in a run: ``new`` (it was not in the state), ``changed`` (its
    payload differs) or ``removed`` (no longer listed)."""

    op: str
    org: str
    id: str
    old: str | None  # the payload before (None for new)
    new: str | None  # the payload after (None for removed)
    info: str | None = None  # late_days, days_overdue, severity after the change
    #: for a removed finding whose fact was retracted or erased: how (:mod:`engine.ended`)
    ended: str | None = None

    def record(self) -> dict[str, Any]:
        """The audit log's payload for this change: the state after it (or, for a removed
        finding, the state it had, and ``ended`` when its fact was retracted or erased), with
        ``op`` and, after a change, the information."""
        state = json.loads(self.new if self.new is not None else self.old or "{}")
        extra = json.loads(self.info) if self.info and self.new is not None else {}
        if self.ended and self.new is None:
            extra = {"ended": self.ended}
        return {"op": self.op, **extra, **state}


def diff(old: dict[tuple[str, str], str], new: dict[tuple[str, str], str],
         keys: Iterable[tuple[str, str]],
         info: dict[tuple[str, str], str] | None = None) -> list[Change]:
    """The changes between two partial states over ``keys`` (sorted, so a run's records are
    in a stable order)."""
    out = []
    for key in sorted(set(keys)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        op = "new" if a is None else "removed" if b is None else "changed"
        out.append(Change(op, key[0], key[1], a, b, (info or {}).get(key)))
    return out


def stored(db: Database, keys: Iterable[tuple[str, str]] | None = None,
           orgs: Iterable[str] | None = None) -> dict[tuple[str, str], str]:
    """The stored payloads of ``keys`` (or of every finding of ``orgs``)."""
    out: dict[tuple[str, str], str] = {}
    if keys is None:
        in_orgs = list(orgs or [])
        marks = ", ".join("?" for _ in in_orgs)
        sql = f"SELECT org, id, payload FROM finding_state WHERE org IN ({marks})"
        out.update(((o, i), p) for o, i, p in db.execute(sql, in_orgs))
        return out
    wanted = set(keys)
    if not wanted:
        return out
    orgs_ = sorted({o for o, _ in wanted})
    stored_count = db.execute(f"SELECT count(*) FROM finding_state WHERE org IN "
                              f"({', '.join('?' for _ in orgs_)})", orgs_).fetchone()[0]
    if len(wanted) * 4 > stored_count:  # most of the state: one read beats a key per row
        return {k: p for k, p in stored(db, orgs=orgs_).items() if k in wanted}
    db.execute("CREATE TEMP TABLE IF NOT EXISTS _state_keys (org TEXT, id TEXT, "
               "PRIMARY KEY (org, id)) WITHOUT ROWID")
    db.execute("DELETE FROM temp._state_keys")
    db.conn.executemany("INSERT OR IGNORE INTO temp._state_keys VALUES (?, ?)", sorted(wanted))
    out.update(((o, i), p) for o, i, p in db.execute(
        "SELECT s.org, s.id, s.payload FROM temp._state_keys k "
        "JOIN finding_state s ON s.org = k.org AND s.id = k.id"))
    db.execute("DELETE FROM temp._state_keys")
    return out


def commitment(db: Database) -> tuple[str, int]:
    """(commitment as 64 hex digits, number of findings) of the stored state."""
    meta = dict(db.execute("SELECT key, value FROM state_meta").fetchall())
    return hex256(int(meta.get("commitment", "0"), 16)), int(meta.get("count", "0"))


def apply(db: Database, changes: list[Change]) -> tuple[str, int]:
    """Write ``changes`` to the stored state (inside the caller's transaction) and return the
    new (commitment, count)."""
    total_hex, count = commitment(db)
    total = int(total_hex, 16)
    upserts, deletes = [], []
    for c in changes:
        if c.old is not None:
            total -= digest(c.old)
            count -= 1
        if c.new is not None:
            total += digest(c.new)
            count += 1
            upserts.append((c.org, c.id, c.new, hex256(digest(c.new)),
                            json.loads(c.new).get("status")))
        else:
            deletes.append((c.org, c.id))
    db.conn.executemany("DELETE FROM finding_state WHERE org = ? AND id = ?", deletes)
    db.conn.executemany("INSERT OR REPLACE INTO finding_state (org, id, payload, h, status) "
                        "VALUES (?, ?, ?, ?, ?)", upserts)
    total_hex = hex256(total)
    db.conn.executemany("UPDATE state_meta SET value = ? WHERE key = ?",
                        [(total_hex, "commitment"), (str(count), "count")])
    return total_hex, count


def mark_run(db: Database, orgs: Iterable[str], as_of: str, run_id: str) -> None:
    """Remember each organisation's last logged run (where the next delta starts)."""
    db.conn.executemany("INSERT OR REPLACE INTO run_state (org, as_of, run_id) VALUES (?, ?, ?)",
                        [(o, as_of, run_id) for o in orgs])


def status_counts(db: Database, orgs: Iterable[str]) -> dict[str, int]:
    """Findings per status in the stored state of ``orgs`` (after a logged run: that run's)."""
    wanted = list(orgs)
    marks = ", ".join("?" for _ in wanted)
    return dict(db.execute(f"SELECT status, count(*) FROM finding_state WHERE org IN ({marks}) "
                           "GROUP BY status ORDER BY status", wanted).fetchall())


def last_runs(db: Database) -> dict[str, str]:
    """Organisation → the ``as_of`` of its last logged run."""
    return dict(db.execute("SELECT org, as_of FROM run_state").fetchall())
