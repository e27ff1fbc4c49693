"""Corrections and erasure with their audit rows: retractions (one fact, or every fact a whole
register no longer has) and gallring. The facts layer changes the store
(:mod:`facts.retract`, :mod:`facts.erase`); this module writes the matching ``retraction``
and ``erasure`` rows to the audit log in the same transaction (:func:`engine.audit.record_note`)
and, after an erasure, blanks the outbox bodies that name an erased case and vacuums the file
so no freed page keeps its data.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlite_utils import Database

from engine.audit import record_note
from engine.decision_inputs import erase as erase_inputs
from engine.ended import mark
from facts.erase import Erasure, erasable, erase
from facts.retract import retract_one
from facts.types import fact_type


def log_retractions(db: Database, records: list[dict[str, Any]]) -> None:
    """One ``retraction`` row for the facts one file or command retracted; their findings
    will end as *återkallad* in the next logged run (:mod:`engine.ended`)."""
    first = records[0]
    mark(db, first["org"], first["kind"], [r["fact_key"] for r in records], "retracted")
    record_note(db, "retraction", {
        "org": first["org"], "kind": first["kind"], "reason": first["reason"],
        "source": first["source"], "facts": [r["fact_key"] for r in records]})


def retract(db: Database, kind: str, key: str, reason: str, org: str) -> dict[str, Any]:
    """Retract one fact and log it, in one transaction."""
    ft = fact_type(kind)
    with db.atomic():
        records = retract_one(db, ft, org, key, reason)
        log_retractions(db, records)
    return records[0]


def _digest(keys: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()


def gallra(db: Database, before: date, org: str | None, dry_run: bool) -> Erasure:
    """Erase the closed cases before ``before`` (see :mod:`facts.erase`), log the erasure
    (case references, counts and a hash of the keys), blank the outbox bodies that name an
    erased case (the caller then calls :func:`vacuum`). ``dry_run`` only lists them."""
    if dry_run:
        return erasable(db, before, org)
    with db.atomic():
        result = erase(db, before, org)
        if not result.count:
            return result
        for o, kinds in result.facts.items():
            for kind, keys in kinds.items():
                mark(db, o, kind, keys, "erased")
                erase_inputs(db, o, kind, keys)  # the log's records keep their hashes only
        cases = result.cases()
        counts = {kind: len(keys) for kinds in result.facts.values()
                  for kind, keys in kinds.items()}
        record_note(db, "erasure", {
            "before": before.isoformat(), "orgs": sorted(result.facts), "cases": cases,
            "counts": counts, "facts_hash": _digest([f"{o}/{k}/{key}"
                                                     for o, kinds in result.facts.items()
                                                     for k, keys in kinds.items()
                                                     for key in keys])})
        _blank_outbox(db, cases)
    return result


def vacuum(db: Database) -> None:
    """Rewrite the file (and empty the WAL) so no freed page keeps erased data."""
    db.execute("PRAGMA secure_delete = ON")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _blank_outbox(db: Database, cases: list[str]) -> None:
    """Messages that name an erased case lose their bodies; a pending one is not sent."""
    if not db.table("outbox").exists():
        return
    for case in cases:
        hit = "(instr(body_text, ?) > 0 OR instr(body_html, ?) > 0 OR instr(eml, ?) > 0)"
        db.execute("UPDATE outbox SET status = 'blocked', last_error = 'gallrad' "
                   f"WHERE status = 'pending' AND {hit}", [case, case, case])
        db.execute(f"UPDATE outbox SET body_text = NULL, body_html = NULL, eml = NULL WHERE {hit}",
                   [case, case, case])
