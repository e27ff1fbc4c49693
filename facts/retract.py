"""Retraction and erasure of facts: a withdrawn or mis-keyed fact stops producing findings.

A retracted fact's row is deleted and a tombstone is left in ``_bevaka_retractions``: its
organisation, kind, key (``fact_key``: the key values joined by ``|``, as the engine names a
fact), the reason, the source (the file of a ``--whole-register`` import, or the command) and
the store revision. The engine reads tombstones newer than a rule's last materialisation as
changed facts, so their findings go (:func:`engine.derivation.changed_keys`). Tombstones hold
case references only, never a fact's content, so erasing (gallring) leaves nothing personal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from facts.errors import UserError
from facts.store import ORG, bump_rev, current_rev, imported_at, migrations
from facts.types import FactType

TOMBSTONES = "_bevaka_retractions"


@migrations(name="create_retractions")
def _create_retractions(db: Database) -> None:
    db.table(TOMBSTONES).create(
        {"org": str, "kind": str, "fact_key": str, "reason": str, "source": str,
         "retracted_at": str, "rev": int})
    db.execute(f"CREATE INDEX {TOMBSTONES}_kind_rev ON {TOMBSTONES} (org, kind, rev)")


class UnknownFact(UserError):
    """``bevaka retract`` named a fact that is not in the database."""


def fact_key(values: Iterable[Any]) -> str:
    return "|".join(str(v) for v in values)


def _key_sql(ft: FactType, alias: str) -> str:
    return " || '|' || ".join(f'{alias}."{k}"' for k in ft.key)


def missing_from(db: Database, ft: FactType, org: str, stage_table: str) -> list[str]:
    """The keys of ``org``'s facts of ``ft`` that the staged file does not have."""
    match = " AND ".join(f's."{k}" IS f."{k}"' for k in ft.key)
    sql = (f'SELECT {_key_sql(ft, "f")} FROM "{ft.table}" f WHERE f."{ORG}" = ? AND NOT EXISTS '
           f"(SELECT 1 FROM {stage_table} s WHERE {match}) ORDER BY 1")
    return [str(k) for (k,) in db.execute(sql, [org])]


def retract(db: Database, ft: FactType, org: str, keys: list[str], reason: str,
            source: str) -> list[dict[str, Any]]:
    """Delete the facts ``keys`` of ``org`` and leave their tombstones, in one new revision
    (inside the caller's transaction). Returns one record per fact, for the audit log."""
    if not keys:
        return []
    if not reason.strip():
        raise UserError("ange ett skäl för återkallelsen med --reason")
    rev = current_rev(db) + 1
    at = imported_at()
    where = f'"{ORG}" = ? AND {_key_sql(ft, ft.table)} = ?'
    db.conn.executemany(f'DELETE FROM "{ft.table}" WHERE {where}', [(org, k) for k in keys])
    db.conn.executemany(
        f"INSERT INTO {TOMBSTONES} (org, kind, fact_key, reason, source, retracted_at, rev) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", [(org, ft.name, k, reason, source, at, rev) for k in keys])
    bump_rev(db, rev)
    return [{"org": org, "kind": ft.name, "fact_key": k, "reason": reason, "source": source}
            for k in keys]


def existing(db: Database, ft: FactType, org: str, key: str) -> bool:
    sql = f'SELECT 1 FROM "{ft.table}" WHERE "{ORG}" = ? AND {_key_sql(ft, ft.table)} = ?'
    return db.execute(sql, [org, key]).fetchone() is not None


def retract_one(db: Database, ft: FactType, org: str, key: str, reason: str,
                source: str = "bevaka retract") -> list[dict[str, Any]]:
    """Retract one fact named by its key (``D-2024-1``; a key of two fields as
    ``VON|2024-09-30``); an unknown fact is an error."""
    if not existing(db, ft, org, key):
        raise UnknownFact(f"inget {ft.title_sv.lower()} med nyckeln {key!r} i organisation {org}")
    return retract(db, ft, org, [key], reason, source)


def tombstoned_keys(db: Database, ft: FactType, org: str, since_rev: int) -> list[str]:
    """The keys of ``org``'s facts of ``ft`` retracted or erased after ``since_rev``."""
    return [str(k) for (k,) in db.execute(
        f"SELECT fact_key FROM {TOMBSTONES} WHERE org = ? AND kind = ? AND rev > ?",
        [org, ft.name, since_rev])]


def tombstone_rev(db: Database, ft: FactType, org: str) -> int:
    row = db.execute(f"SELECT max(rev) FROM {TOMBSTONES} WHERE org = ? AND kind = ?",
                     [org, ft.name]).fetchone()
    return int(row[0] or 0)
