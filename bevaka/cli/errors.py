"""How the command line reports what went wrong: one line, and the right exit code.

* A user mistake (any :class:`facts.errors.UserError`: a rejected file, an unknown id, a broken
  config.toml or rule file) prints ``Fel: …`` and exits 1.
* Anything else is a fault in bevaka: it prints one line saying so and where the full
  traceback was written, and exits 70 (``EX_SOFTWARE``). It is never shown as a user error.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import click

EXIT_USER = 1
EXIT_RULES_FAILED = 3  # the work was done, but one or more rules failed (named in the output)
EXIT_UNDELIVERED = 4  # the work was done, but messages could not be delivered (named)
EXIT_PENDING = 5  # the work was done, but messages are left in the outbox for later (why is named)
EXIT_FAULT = 70


class UserFacingError(click.ClickException):
    """A user mistake, printed as ``Fel: …`` (exit 1)."""

    exit_code = EXIT_USER

    def show(self, file: object = None) -> None:
        click.echo(f"Fel: {self.format_message()}", err=True)


class InternalFault(click.ClickException):
    """A fault in bevaka (exit 70): one line, the traceback is in a file."""

    exit_code = EXIT_FAULT

    def show(self, file: object = None) -> None:
        click.echo(self.format_message(), err=True)


def fault_dir() -> Path:
    """Where tracebacks of internal faults go: ``BEVAKA_FAULT_DIR``, else the user's state
    folder (``$XDG_STATE_HOME/bevaka`` or ``~/.local/state/bevaka``), else the temp folder."""
    if os.environ.get("BEVAKA_FAULT_DIR"):
        return Path(os.environ["BEVAKA_FAULT_DIR"])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "bevaka"


def report_fault(exc: BaseException) -> InternalFault:
    """Write the traceback of ``exc`` to a private file and return the one-line fault."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = "".join(traceback.format_exception(exc))
    where: Path | None = None
    for folder in (fault_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            where = folder / f"fel-{stamp}-{os.getpid()}.txt"
            fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            break
        except OSError:
            where = None
    kind = type(exc).__name__
    place = f"hela felspårningen finns i {where}" if where else "felspårningen kunde inte sparas"
    return InternalFault(
        f"Internt fel i bevaka (en bugg, inte ett fel i dina data): {kind}; {place}. "
        "Skicka filen till den som underhåller bevaka."
    )
