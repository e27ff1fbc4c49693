"""The notification tables (``outbox``, ``notified``, ``notification_log``), applied after the
engine's (which applies the facts layer's first)."""

from __future__ import annotations

from sqlite_utils import Database

from engine.schema import apply_schema as apply_engine_schema
from notifications.outbox import migrations


def apply_schema(db: Database) -> None:
    """Apply the facts, engine and notification migrations, in that order."""
    apply_engine_schema(db)
    migrations.apply(db)
