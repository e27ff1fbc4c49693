"""The facts store: one SQLite file through sqlite-utils, with migrations and provenance.

Each fact type has its own table whose columns are the model's fields plus provenance:
``_source`` (file), ``_row`` (row in that file), ``_imported_at`` (UTC), ``_hash`` (of the
fact's content) and ``_rev`` (the store revision that last changed it). Upserts go by natural
key; a row whose content is unchanged is left alone, so importing a file twice changes
nothing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import BaseModel
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from facts.orgs import DEFAULT_ORG
from facts.types import FACT_TYPES, FactType, unwrap_annotation

migrations = Migrations("bevaka.facts")

BUSY_SECONDS = 60.0
BATCH_ROWS = 1000  # rows per executemany() in an upsert
ORG = "org"  # the organisation column of every fact table

PROVENANCE = {"_source": str, "_row": int, "_imported_at": str, "_hash": str, "_rev": int}


def _column_type(annotation: Any) -> type:
    annotation = unwrap_annotation(annotation)
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return int
        if issubclass(annotation, int) and not issubclass(annotation, Enum):
            return int
        if issubclass(annotation, float):
            return float
    return str


def columns_for(ft: FactType) -> dict[str, type]:
    cols = {name: _column_type(f.annotation) for name, f in ft.model.model_fields.items()}
    cols.update(PROVENANCE)
    return cols


def primary_key(ft: FactType) -> tuple[str, ...]:
    """A fact's key in its table: the organisation, then the natural key."""
    return (ORG, *ft.key)


def _create_fact_table(db: Database, ft: FactType) -> None:
    table = db.table(ft.table)
    table.create({ORG: str, **columns_for(ft)}, pk=primary_key(ft),
                 not_null=set(primary_key(ft)))
    table.create_index(["_rev"])
    table.create_index([ORG, "_rev"], if_not_exists=True)


def _register(ft: FactType) -> None:
    @migrations(name=f"create_{ft.table}")
    def _m(db: Database) -> None:
        _create_fact_table(db, ft)


@migrations(name="create_meta")
def _meta(db: Database) -> None:
    db.table("_bevaka_meta").create({"key": str, "value": str}, pk="key")
    db.table("_bevaka_meta").insert({"key": "facts_rev", "value": "0"})


for _ft in FACT_TYPES.values():
    _register(_ft)


@migrations(name="add_submissions_period")
def _add_submissions_period(db: Database) -> None:
    """Submissions got ``period`` (which occurrence of a recurring obligation)."""
    table = db.table("submissions")
    if "period" not in table.columns_dict:
        table.add_column("period", str)


@migrations(name="add_org")
def _add_org(db: Database) -> None:
    """Every fact belongs to an organisation: ``org`` leads the primary key. Rows from before
    organisations existed get ``kommun/von`` (see CHANGELOG: how to move them)."""
    for ft in FACT_TYPES.values():
        table = db.table(ft.table)
        if not table.exists() or ORG in table.columns_dict:
            continue
        table.add_column(ORG, str, not_null_default=DEFAULT_ORG)
        table.transform(pk=primary_key(ft), column_order=[ORG, *ft.key])


@migrations(name="org_rev_index")
def _org_rev_index(db: Database) -> None:
    """An index on (org, _rev): the daily run asks each organisation's latest revision of
    every fact type, and the facts changed after one, without scanning the table."""
    for ft in FACT_TYPES.values():
        table = db.table(ft.table)
        if table.exists():
            table.create_index([ORG, "_rev"], if_not_exists=True)


CACHE_KIB = 65536


def connect(path: str | Path) -> Database:
    """A connection to the database file at ``path`` (WAL, foreign keys); no schema work.

    Callers above the facts layer open databases through ``bevaka.open_database``, which
    applies every package's migrations; this is the shared connection setup.
    """
    # Wait up to BUSY_SECONDS for another writer (a migration, an import) instead of failing.
    conn = sqlite3.connect(str(Path(path)), timeout=BUSY_SECONDS)
    db = sqlite_utils.Database(conn)
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    # A rebuild writes a rule's rows and their indexes in one transaction: with SQLite's
    # default 2 MB page cache it spills pages to the file again and again (measured: a third
    # of a 100 000-row rebuild in system time). Up to 64 MiB, used only as needed.
    db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    return db


def apply_schema(db: Database) -> None:
    """Apply the facts layer's pending migrations (one table per fact type, meta)."""
    migrations.apply(db)


def fact_record(model: BaseModel) -> dict[str, Any]:
    """The JSON-shaped dict of a fact: dates as ISO strings, enums as values."""
    return model.model_dump(mode="json")


def content_hash(record: dict[str, Any]) -> str:
    payload = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def current_rev(db: Database) -> int:
    row = db.execute("SELECT value FROM _bevaka_meta WHERE key = 'facts_rev'").fetchone()
    return int(row[0]) if row else 0


def _upsert_sql(ft: FactType, columns: list[str]) -> str:
    """``INSERT … ON CONFLICT DO UPDATE … WHERE the content changed``: an unchanged row is not
    written (its ``_rev`` stays), so importing a file twice changes nothing, and nothing has
    to be read first."""
    cols = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    conflict = ", ".join(f'"{c}"' for c in primary_key(ft))
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in primary_key(ft))
    return (f'INSERT INTO "{ft.table}" ({cols}) VALUES ({marks}) ON CONFLICT ({conflict}) '
            f'DO UPDATE SET {updates} WHERE "_hash" IS NOT excluded."_hash"')


def upsert_facts(
    db: Database, ft: FactType, items: Iterable[tuple[BaseModel, str, int]], org: str
) -> tuple[int, int]:
    """Upsert ``(model, source, row)`` items of organisation ``org``. Returns (changed,
    unchanged).

    Must be called inside a transaction by the caller if atomicity across files matters.
    """
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rev = current_rev(db) + 1
    columns = [ORG, *ft.model.model_fields, *PROVENANCE]
    sql = _upsert_sql(ft, columns)
    total = changed = 0
    batch: list[list[Any]] = []

    def flush() -> int:
        cur = db.conn.executemany(sql, batch)
        batch.clear()
        return max(cur.rowcount, 0)

    for model, source, row in items:
        record = fact_record(model)
        record.update(org=org, _source=source, _row=row, _imported_at=now,
                      _hash=content_hash(record), _rev=rev)
        batch.append([record[c] for c in columns])
        total += 1
        if len(batch) >= BATCH_ROWS:
            changed += flush()
    if batch:
        changed += flush()
    if changed:
        db.execute("UPDATE _bevaka_meta SET value = ? WHERE key = 'facts_rev'", [str(rev)])
    return changed, total - changed


def load_facts(db: Database, ft: FactType, org: str | None = None,
               since_rev: int = 0) -> list[dict[str, Any]]:
    """Rows of one fact type as dicts (``org`` and provenance columns included), of one
    organisation or all, optionally only those changed after ``since_rev``."""
    sql = f'SELECT * FROM "{ft.table}" WHERE 1'
    params: list[Any] = []
    if org is not None:
        sql += f' AND "{ORG}" = ?'
        params.append(org)
    if since_rev:
        sql += ' AND "_rev" > ?'
        params.append(since_rev)
    cur = db.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def organisations(db: Database) -> list[str]:
    """Every organisation that has facts in the database, sorted."""
    found: set[str] = set()
    for ft in FACT_TYPES.values():
        found.update(r[0] for r in db.execute(f'SELECT DISTINCT "{ORG}" FROM "{ft.table}"'))
    return sorted(found)


def snapshot_hash(db: Database, orgs: Iterable[str] | None = None) -> str:
    """A hash of every fact's content (of the given organisations, or all), in key order:
    what an evaluation saw."""
    h = hashlib.sha256()
    wanted = sorted(orgs) if orgs is not None else None
    for ft in FACT_TYPES.values():
        key_cols = ", ".join(f'"{k}"' for k in primary_key(ft))
        h.update(ft.table.encode())
        sql = f'SELECT "_hash" FROM "{ft.table}"'
        params: list[Any] = []
        if wanted is not None:
            sql += f' WHERE "{ORG}" IN ({", ".join("?" for _ in wanted)})'
            params = list(wanted)
        for (digest,) in db.execute(f"{sql} ORDER BY {key_cols}", params):
            h.update(digest.encode())
    return h.hexdigest()


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
