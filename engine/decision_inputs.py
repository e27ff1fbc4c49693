"""The erasable part of a decision record: the fact's fields and the derived values.

The audit log is a hash chain: a row cannot be changed or removed without breaking it. A
decision record's input (the rule's fact, masked by the policy of :mod:`engine.decisions`, and
the values derived from it) is personal data that gallring must be able to remove, so the
chained record keeps only the case reference and a salted hash of it::

    "input": {"fact_type": "decision", "key": "D-2024-1", "sha256": "<64 hex>"}

and the input itself is in ``decision_inputs`` (not chained): ``content`` is the canonical JSON
``{"fields": …, "derived": …, "result": {start_on, end_on}}`` (the result's dates that are the
fact's own) and ``sha256`` is SHA-256 of ``salt`` followed by ``content``.
The salt is random, one per fact, and is erased with it, so after gallring the hash that stays
in the chain cannot be tested against guesses (an Insats has few possible values).

:func:`split` moves a new record's input out (inside the run's transaction),
:func:`restore` puts it back when a record is read (``input.erased`` when it was erased),
:func:`erase` removes a fact's inputs, and :func:`problems` is what ``audit verify`` checks:
every stored input still has its hash, and every chained hash has its input unless the fact
was erased (``bevaka gallra``'s tombstone).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from facts.erase import ERASED_BY
from facts.retract import TOMBSTONES

migrations = Migrations("bevaka.engine.decision_inputs")

TABLE = "decision_inputs"
#: the result's dates that are the fact's own (a decision's date as the start, a case's end):
#: kept with the input, so gallring removes them too. The finding's due and done dates stay
#: in the chain: they are bevaka's outcome, which the change records commit to.
FACT_DATES = ("start_on", "end_on")


@migrations(name="create_decision_inputs")
def _create(db: Database) -> None:
    db.executescript(f"""
        CREATE TABLE {TABLE} (org TEXT NOT NULL, fact_type TEXT NOT NULL, fact_key TEXT NOT NULL,
            sha256 TEXT NOT NULL, salt TEXT NOT NULL, content TEXT NOT NULL,
            PRIMARY KEY (org, fact_type, fact_key, sha256));
        CREATE INDEX {TABLE}_sha256 ON {TABLE} (sha256);
    """)


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(salt: str, content: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + content.encode("utf-8")).hexdigest()


def split(db: Database, records: list[dict[str, Any] | None]) -> list[dict[str, Any] | None]:
    """The records as the chain keeps them: each one's ``input.fields`` and ``derived`` stored
    in ``decision_inputs`` and replaced by their salted hash (inside the caller's
    transaction)."""
    salts: dict[tuple[str, str, str], str] = {}
    # a first run (or a rebuilt log) has no salts to look up: one query instead of one a fact
    stored = db.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchone() is not None
    rows = []
    out: list[dict[str, Any] | None] = []
    for rec in records:
        inp = rec.get("input") if rec else None
        if rec is None or not inp:
            out.append(rec)
            continue
        fact = (rec["org"], inp["fact_type"], inp["key"])
        if fact not in salts and not stored:
            salts[fact] = secrets.token_hex(16)
        elif fact not in salts:
            found = db.execute(f"SELECT salt FROM {TABLE} WHERE org = ? AND fact_type = ? AND "
                               "fact_key = ? LIMIT 1", list(fact)).fetchone()
            salts[fact] = found[0] if found else secrets.token_hex(16)
        result = dict(rec.get("result") or {})
        dates = {k: result.pop(k) for k in FACT_DATES if k in result}
        content = _canonical({"fields": inp.get("fields") or {},
                              "derived": rec.get("derived") or {}, "result": dates})
        h = digest(salts[fact], content)
        rows.append((*fact, h, salts[fact], content))
        chained = {k: v for k, v in rec.items() if k != "derived"}
        chained["input"] = {"fact_type": inp["fact_type"], "key": inp["key"], "sha256": h}
        chained["result"] = result
        out.append(chained)
    db.conn.executemany(f"INSERT OR IGNORE INTO {TABLE} (org, fact_type, fact_key, sha256, "
                        "salt, content) VALUES (?, ?, ?, ?, ?, ?)", rows)
    return out


def restore(db: Database, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records read from the log with their input put back: ``input.fields`` and
    ``derived`` again, or empty ones and ``input.erased`` when the fact was erased. A record
    written before inputs were kept apart holds them itself and is returned as it is."""
    for rec in records:
        inp = rec.get("input")
        if not inp or "sha256" not in inp:
            continue
        row = db.execute(f"SELECT content FROM {TABLE} WHERE org = ? AND fact_type = ? AND "
                         "fact_key = ? AND sha256 = ?",
                         [rec["org"], inp["fact_type"], inp["key"], inp["sha256"]]).fetchone()
        content = json.loads(row[0]) if row else {"fields": {}, "derived": {}}
        inp["fields"] = content["fields"]
        rec["derived"] = content["derived"]
        rec["result"] = {**rec.get("result", {}), **content.get("result", {})}
        if row is None:
            inp["erased"] = True
    return records


def erase(db: Database, org: str, fact_type: str, keys: Iterable[str]) -> None:
    """Remove the inputs (and the salt) of ``org``'s facts ``keys`` of ``fact_type``."""
    db.conn.executemany(f"DELETE FROM {TABLE} WHERE org = ? AND fact_type = ? AND fact_key = ?",
                        [(org, fact_type, k) for k in keys])


def problems(db: Database) -> list[str]:
    """What ``audit verify`` finds wrong with the inputs: one whose hash no longer matches
    (its content or salt was changed), and a chained hash without its input whose fact was
    not erased by ``bevaka gallra``. At most a few lines, each naming the case."""
    if not db[TABLE].exists():
        return []
    out = []
    for org, ft, key, h, salt, content in db.execute(
            f"SELECT org, fact_type, fact_key, sha256, salt, content FROM {TABLE}"):
        if digest(salt, content) != h:
            out.append(f"indata för {org} {ft} {key} har ändrats efter att posten skrevs")
            if len(out) >= 5:
                return out
    field = "CASE WHEN json_valid(a.payload) THEN json_extract(a.payload, '$.input.{}') END"
    org_f = "CASE WHEN json_valid(a.payload) THEN json_extract(a.payload, '$.org') END"
    sql = f"""
        SELECT a.seq, {org_f}, {field.format('fact_type')}, {field.format('key')}
        FROM audit_log a
        WHERE a.kind = 'decision' AND {field.format('sha256')} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {TABLE} i WHERE i.sha256 = {field.format('sha256')})
          AND NOT EXISTS (SELECT 1 FROM {TOMBSTONES} t WHERE t.org = {org_f}
                          AND t.kind = {field.format('fact_type')}
                          AND t.fact_key = {field.format('key')} AND t.source = ?)
        ORDER BY a.seq LIMIT 5"""
    for seq, org, ft, key in db.execute(sql, [ERASED_BY]):
        out.append(f"rad {seq}: indata för {org} {ft} {key} saknas, men faktat har inte gallrats")
    return out
