"""How a finding that goes away ended, when it is not the rule's doing: its fact was retracted
(``bevaka retract``, or missing from a ``--whole-register`` import) or erased (gallring).

A removed finding's change record in the audit log then says so (``"ended": "retracted"`` or
``"erased"``), and the views show it as *återkallad* or *gallrad*, not as a finding that
simply dropped out: a withdrawn decision is not a decision that was executed.

The mark is made when the fact goes, while its ``deadlines`` rows still name it
(:func:`mark`), and read by the next logged run's delta (:func:`marks`); that run clears it
(:func:`clear`), whether or not the finding was listed then.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("bevaka.engine.ended")

#: the ways a fact can go that a removed finding's record names, with their Swedish words
ENDED_SV = {"retracted": "återkallad", "erased": "gallrad"}


@migrations(name="create_deadline_ended")
def _create(db: Database) -> None:
    db.execute("CREATE TABLE deadline_ended (org TEXT NOT NULL, id TEXT NOT NULL, "
               "how TEXT NOT NULL, PRIMARY KEY (org, id)) WITHOUT ROWID")


def mark(db: Database, org: str, fact_type: str, keys: Iterable[str], how: str) -> int:
    """Mark the findings of ``org``'s facts ``keys`` of ``fact_type`` as ended ``how``
    (inside the caller's transaction, before the facts' rows are derived again). Returns
    the findings marked."""
    if how not in ENDED_SV:
        raise ValueError(f"okänt sätt att upphöra: {how!r}")
    if not db["deadlines"].exists():
        return 0
    rule_keys = [k for (k,) in db.execute(  # (org, rule_key, fact_key) is an index
        "SELECT DISTINCT rule_key FROM deadlines WHERE org = ?", [org])]
    wanted = [(how, org, rk, fact_type, k) for k in keys for rk in rule_keys]
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR REPLACE INTO deadline_ended (org, id, how) SELECT org, id, ? FROM deadlines "
        "WHERE org = ? AND rule_key = ? AND fact_type = ? AND fact_key = ?", wanted)
    return db.conn.total_changes - before


def marks(db: Database, org: str) -> dict[str, str]:
    """Finding id → how it ended, for ``org``'s findings marked since its last logged run."""
    return dict(db.execute("SELECT id, how FROM deadline_ended WHERE org = ?", [org]).fetchall())


def clear(db: Database, orgs: Iterable[str]) -> None:
    """Forget the marks of ``orgs`` (their logged run has used them)."""
    db.conn.executemany("DELETE FROM deadline_ended WHERE org = ?", [(o,) for o in orgs])
