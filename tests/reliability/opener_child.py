"""A process that opens new databases when told: ``python opener_child.py WORK N``.

For trial ``t`` in ``range(N)`` it waits for ``WORK/go<t>``, then opens the new database
``WORK/t<t>/bevaka.db`` (creating it and applying every migration, as the first-ever ``bevaka``
command on it does) and prints ``ok`` or the error. The race trial runs several of these and
creates each go-file once all are waiting, so their first migrations collide; starting the
processes once keeps the trials cheap."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bevaka.schema import MIGRATION_SETS, open_database

if __name__ == "__main__":
    work, n = Path(sys.argv[1]), int(sys.argv[2])
    for t in range(n):
        print("ready", flush=True)
        while not (work / f"go{t}").exists():
            time.sleep(0.0005)
        try:
            db = open_database(work / f"t{t}" / "bevaka.db", create=True)
            pending = sum(len(m.pending(db)) for m in MIGRATION_SETS)
            db.execute("SELECT count(*) FROM audit_log").fetchone()
            db.close()
            print("ok" if pending == 0 else f"error {pending} migrations pending", flush=True)
        except Exception as exc:  # noqa: BLE001 - the trial counts every kind of failure
            print(f"error {type(exc).__name__}: {exc}", flush=True)
