"""The staging table of an import: a file's validated rows wait in a TEMP table until the
whole file is known to be good, then one statement brings them into the fact table.

Rows go in with ``executemany`` in batches, inside the import's transaction, and nothing is
read from the fact table: the merge is ``INSERT … SELECT … ON CONFLICT (org, key) DO UPDATE
… WHERE "_hash" IS NOT excluded."_hash"``, so an unchanged fact is not written. Before it, two
rows of the file with the same key and different content reject the file, both rows named;
identical duplicates are one fact. The stage holds every row of the file, which is also what
an import of a whole register needs to find the facts the register no longer has.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from sqlite_utils import Database

from facts.store import bump_rev, current_rev, fact_columns, imported_at, upsert_clause
from facts.types import FactType

STAGE_PREFIX = "_bevaka_stage_"


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def rows_sv(numbers: list[int]) -> str:
    """``rad 2 och rad 5``; ``rad 2, rad 5 och rad 9``."""
    names = [f"rad {n}" for n in numbers]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} och {names[-1]}"


class Stage:
    """The TEMP table of one fact type's rows from one file: the fields (JSON-mode values),
    ``_row`` and ``_hash``. Created empty; dropped by :meth:`drop`."""

    def __init__(self, db: Database, ft: FactType):
        self.db, self.ft = db, ft
        self.fields = list(ft.model.model_fields)
        self.table = f'temp."{STAGE_PREFIX}{ft.table}"'
        self.rows = 0
        self._key_of = itemgetter(*(self.fields.index(k) for k in ft.key))
        self._last_key: Any = None
        self._ascending = True  # every key so far greater than the one before: none repeats
        columns = [*self.fields, "_row", "_hash"]
        self.drop()
        db.execute(f"CREATE TEMP TABLE \"{STAGE_PREFIX}{ft.table}\" ({_quoted(columns)})")
        self._insert = f"INSERT INTO {self.table} VALUES ({', '.join('?' for _ in columns)})"

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        """Stage validated rows: ``(*field values, row number, hash)``."""
        self.db.conn.executemany(self._insert, rows)
        self.rows += len(rows)
        if self._ascending and rows:
            keys = [self._key_of(row) for row in rows]
            try:
                self._ascending = (self._last_key is None or self._last_key < keys[0]) and all(
                    a < b for a, b in zip(keys, keys[1:], strict=False))
            except TypeError:  # keys of different types: no order, ask SQLite
                self._ascending = False
            self._last_key = keys[-1]

    def conflicts(self, headers: Mapping[str, str]) -> list[str]:
        """One line per key that two or more rows give different content: ``rad 2 och rad
        5: samma nyckel (ärende D-1) med olika värden``. ``headers`` names the key fields as
        the file does (field → header). A file in key order has no repeated key."""
        if self._ascending:
            return []
        key = _quoted(list(self.ft.key))
        sql = (f'SELECT group_concat("_row"), {key} FROM {self.table} GROUP BY {key} '
               f'HAVING count(DISTINCT "_hash") > 1 ORDER BY min("_row")')
        problems = []
        for numbers, *values in self.db.execute(sql).fetchall():
            rows = sorted(int(n) for n in str(numbers).split(","))
            named = ", ".join(f"{(headers.get(k) or self.ft.header_for(k)).lower()} {v}"
                              for k, v in zip(self.ft.key, values, strict=True))
            problems.append(f"{rows_sv(rows)}: samma nyckel ({named}) med olika värden")
        return problems

    def merge(self, org: str, source: str) -> int:
        """Bring the staged rows into the fact table as facts of ``org`` from ``source``, in a
        new revision; returns how many facts were new or changed."""
        rev = current_rev(self.db) + 1
        columns = fact_columns(self.ft)
        picked = ["?", *(f'"{f}"' for f in self.fields), "?", '"_row"', "?", '"_hash"', "?"]
        sql = (f'INSERT INTO "{self.ft.table}" ({_quoted(columns)}) SELECT {", ".join(picked)} '
               f"FROM {self.table} WHERE true {upsert_clause(self.ft, columns)}")
        changed = max(self.db.execute(sql, [org, source, imported_at(), rev]).rowcount, 0)
        if changed:
            bump_rev(self.db, rev)
        return changed

    def drop(self) -> None:
        self.db.execute(f"DROP TABLE IF EXISTS {self.table}")
