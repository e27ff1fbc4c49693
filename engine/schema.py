"""The engine's tables, applied after the facts layer's: ``deadlines``, ``materialized`` and
``audit_log``. Layers above call :func:`apply_schema` through their own (each layer applies
everything below it first), so the order is always facts → engine → notifications → bevaka.
"""

from __future__ import annotations

from sqlite_utils import Database

from engine.audit import migrations as audit_migrations
from engine.decision_inputs import migrations as input_migrations
from engine.ended import migrations as ended_migrations
from engine.materialize import migrations as deadline_migrations
from engine.state import migrations as state_migrations
from facts.store import apply_schema as apply_facts_schema

MIGRATIONS = (deadline_migrations, audit_migrations, state_migrations, ended_migrations,
              input_migrations)


def apply_schema(db: Database) -> None:
    """Apply the facts layer's and the engine's pending migrations, in that order."""
    apply_facts_schema(db)
    for m in MIGRATIONS:
        m.apply(db)
