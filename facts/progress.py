"""Progress of an import: a callback the importer calls after each batch of rows.

:func:`terminal_progress` is the default: a ``rich`` progress bar on stderr for a file of more
than :data:`SHOWN_FROM_ROWS` rows, and only when stderr is a terminal (a pipe, a log, a test
or CI sees nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Protocol

SHOWN_FROM_ROWS = 10_000


class Progress(Protocol):
    def __call__(self, path: Path, rows: int, share: float | None, done: bool) -> None:
        """``rows`` of ``path`` are read (``share`` of the file, when known); ``done``: the file
        is finished (imported or rejected)."""


def no_progress(path: Path, rows: int, share: float | None, done: bool) -> None:
    """Shows nothing."""


class ProgressBar:
    """A ``rich`` bar per file, from its :data:`SHOWN_FROM_ROWS`-th row on."""

    def __init__(self, console: Any = None):
        self.console = console
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, path: Path, rows: int, share: float | None, done: bool) -> None:
        if self._bar is None:
            if done or rows <= SHOWN_FROM_ROWS:
                return
            self._start(path, share is not None)
        if done:  # the last batch was shown
            self._bar.stop()
            self._bar = None
            return
        self._bar.update(self._task, completed=share if share is not None else rows, rows=rows)

    def _start(self, path: Path, measured: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = self.console or Console(stderr=True)
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                             TextColumn("{task.fields[rows]} rader"), TimeElapsedColumn(),
                             TimeRemainingColumn(), console=console, transient=False)
        self._task = self._bar.add_task(f"Importerar {path.name}", total=1.0 if measured else None,
                                        rows=0)
        self._bar.start()


def terminal_progress() -> Progress:
    """A :class:`ProgressBar` when stderr is a terminal, else :func:`no_progress`."""
    return ProgressBar() if sys.stderr.isatty() else no_progress
