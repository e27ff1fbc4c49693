"""A sending process for the crash trials: ``python sender_child.py TMP PORT``.

It opens the trial's database and sends what is pending, as ``bevaka serve``'s outbox job
would; the trial kills it with SIGKILL at a chosen moment."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared builders

from conftest_smtp import make_config, make_db  # noqa: E402

from notifications import send_pending  # noqa: E402

if __name__ == "__main__":
    tmp, port = Path(sys.argv[1]), int(sys.argv[2])
    send_pending(make_db(tmp), make_config(tmp, port))
