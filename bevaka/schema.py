"""Opening the bevaka database: one schema, every package's migrations in a known order.

``open_database`` is the one way to open a database: it applies the migrations of facts,
engine, notifications and the application (heartbeats), in that order, whatever the caller
has imported. Migrations run inside one ``BEGIN IMMEDIATE`` transaction, so two processes
opening a new database at the same moment both succeed: the second waits for the first and
then finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from bevaka.heartbeats import migrations as heartbeat_migrations
from engine.schema import MIGRATIONS as ENGINE_MIGRATIONS
from facts.errors import UserError
from facts.store import connect
from facts.store import migrations as fact_migrations
from notifications.outbox import migrations as notification_migrations

#: Every migration set, in the order they are applied.
MIGRATION_SETS = (fact_migrations, *ENGINE_MIGRATIONS, notification_migrations, heartbeat_migrations)


class DatabaseError(UserError):
    """The database path is wrong: a missing folder, or a missing file where one must exist."""


def _pending(db: Database) -> bool:
    return any(m.pending(db) for m in MIGRATION_SETS)


def apply_all(db: Database) -> None:
    """Apply every pending migration of every package under one write lock."""
    if not _pending(db):
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        for m in MIGRATION_SETS:  # nested atomic() blocks become savepoints
            m.apply(db)
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


def open_database(path: str | Path, *, create: bool = False) -> Database:
    """Open the bevaka database at ``path`` and bring its schema up to date.

    The folder must exist. With ``create=False`` (reading commands) the file must exist too;
    ``create=True`` (import, init) creates an empty database in an existing folder.
    """
    file = Path(path)
    folder = file.parent if str(file.parent) else Path(".")
    if not folder.is_dir():
        raise DatabaseError(
            f"{file}: mappen {folder} finns inte; kontrollera --db (bevaka skapar inga mappar)")
    if file.exists() and file.is_dir():
        raise DatabaseError(f"{file}: är en mapp, inte en databasfil; kontrollera --db")
    if not create and not file.exists():
        raise DatabaseError(
            f"{file}: databasen finns inte; importera register först (bevaka import) "
            "eller kontrollera --db")
    with _opening(file):
        if create:
            _create_private(file)
        db = connect(file)
        apply_all(db)
    return db


@contextmanager
def _opening(file: Path) -> Iterator[None]:
    """Hold ``<db>.open.lock`` (an exclusive flock) while the file is created, switched to WAL
    and migrated: SQLite can answer "database is locked" at once (without waiting) to a second
    process doing the same to a brand-new file, so the openings take turns."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: BEGIN IMMEDIATE alone
        yield
        return
    try:
        fd = os.open(file.with_name(file.name + ".open.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a folder bevaka may not write in: SQLite's own locking alone
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _create_private(file: Path) -> None:
    """Create a new database file ``0600`` before SQLite opens it (SQLite gives its -wal and
    -shm files the database's mode). Two processes may race here: one creates it."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
