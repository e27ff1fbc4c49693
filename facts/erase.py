"""Erasure (gallring): the facts of cases closed before a date, and the facts that belong to
them, removed from the store.

A closed case is a decision with ``closed_on`` (Avslutat), an investigation with
``closed_on`` or a patient with ``ended_on`` before the date; the interruptions, partial
executions and offers of an erased decision, and the reviews of an erased patient, go with
it. Each erased fact leaves a tombstone (:mod:`facts.retract`) holding its key (the case
reference) only, so the engine removes its derived rows at the next run. The deletes run
with ``PRAGMA secure_delete`` so the freed pages are overwritten; the caller vacuums the file
afterwards (:meth:`bevaka.Bevaka.gallra`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from facts.retract import retract
from facts.store import ORG
from facts.types import FACT_TYPES

#: the tombstone source of an erased fact (a retraction names its file or command instead)
ERASED_BY = "bevaka gallra"
#: kind → the field that says when its case closed
CLOSED_BY = {"decision": "closed_on", "investigation": "closed_on", "patient": "ended_on"}
#: kind → the facts that belong to one of its cases: (kind, field holding the case's key)
BELONGING = {"decision": [("interruption", "decision_id"), ("partial_execution", "decision_id"),
                          ("offer", "decision_id")],
             "patient": [("health_review", "patient_id")]}


@dataclass
class Erasure:
    """What an erasure removed (or would remove): kind → the keys, per organisation."""

    before: date
    facts: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # org → kind → keys

    @property
    def count(self) -> int:
        return sum(len(keys) for kinds in self.facts.values() for keys in kinds.values())

    def cases(self) -> list[str]:
        """The case references of the closed cases erased (not their belonging facts)."""
        return sorted({k for kinds in self.facts.values() for kind, keys in kinds.items()
                       if kind in CLOSED_BY for k in keys})


def _closed(db: Database, kind: str, before: date, org: str | None) -> dict[str, list[str]]:
    ft = FACT_TYPES[kind]
    column = CLOSED_BY[kind]
    sql = (f'SELECT "{ORG}", "{ft.key[0]}" FROM "{ft.table}" WHERE "{column}" IS NOT NULL '
           f'AND "{column}" < ?')
    params: list[str] = [before.isoformat()]
    if org is not None:
        sql += f' AND "{ORG}" = ?'
        params.append(org)
    out: dict[str, list[str]] = {}
    for o, key in db.execute(sql + " ORDER BY 1, 2", params):
        out.setdefault(str(o), []).append(str(key))
    return out


def _belonging(db: Database, kind: str, column: str, org: str, parents: list[str]) -> list[str]:
    ft = FACT_TYPES[kind]
    keys = " || '|' || ".join(f'"{k}"' for k in ft.key)
    found: list[str] = []
    for start in range(0, len(parents), 500):
        chunk = parents[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.extend(str(k) for (k,) in db.execute(
            f'SELECT {keys} FROM "{ft.table}" WHERE "{ORG}" = ? AND "{column}" IN ({marks})',
            [org, *chunk]))
    return found


def erasable(db: Database, before: date, org: str | None = None) -> Erasure:
    """The facts an erasure before ``before`` removes (of ``org``, or every organisation)."""
    result = Erasure(before)
    for kind in CLOSED_BY:
        for o, keys in _closed(db, kind, before, org).items():
            kinds = result.facts.setdefault(o, {})
            kinds[kind] = keys
            for child, column in BELONGING.get(kind, []):
                if found := _belonging(db, child, column, o, keys):
                    kinds[child] = kinds.get(child, []) + found
    return result


def erase(db: Database, before: date, org: str | None = None) -> Erasure:
    """Remove the facts :func:`erasable` finds, inside the caller's transaction."""
    result = erasable(db, before, org)
    db.execute("PRAGMA secure_delete = ON")
    reason = f"gallring: ärendet avslutat före {before.isoformat()}"
    for o, kinds in result.facts.items():
        for kind, keys in kinds.items():
            retract(db, FACT_TYPES[kind], o, keys, reason, ERASED_BY)
    return result
