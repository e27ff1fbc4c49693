"""The audit log's anchor: the chain head kept outside the database.

A hash chain kept in the same file as its rows cannot show that someone with write access to
the file rewrote it whole (or cut off its last runs and set ``sqlite_sequence`` back, or
appended a run with correct hashes). So after every run the application appends one line to
an **anchor file** beside the database (``<db>.anchor``, or ``[audit] anchor_path``), created
0600 and only ever opened for appending::

    {"at":"2026-12-01T06:30:02+00:00","first_seq":118,"hash":"9f2c…","run_id":"3e…","seq":121,"v":1}

``seq`` and ``hash`` are the run's end row, ``first_seq`` its run row, ``at`` when it was
recorded. A line holds no personal data (numbers, hashes, a run id and a time), so it can
also be mailed to the auditors or sent to syslog (``bevaka.app``), and an auditor can keep
the line ``bevaka audit anchor`` prints.

:func:`check` compares the log with such lines. Every line must name an end row that exists
with that hash (else: runs were removed from the end, the log was emptied or rewritten). The
live anchor file must also name every run recorded since its first line (else: a run was
added outside bevaka). A kept copy (``--anchor FILE``: heads an auditor kept, one or many) is
older than the log: each of its heads vouches for the chain up to it, and the runs after its
last head are reported as not covered by it, not as an error.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from engine.audit import canonical_json
from engine.audit_verify import RunSpan
from facts.errors import UserError

VERSION = 1
_HEX = frozenset("0123456789abcdef")


class AnchorError(UserError):
    """An anchor file that cannot be read (names the file and line)."""


@dataclass(frozen=True)
class Head:
    """One anchored head: the end row of one run."""

    seq: int
    hash: str
    run_id: str
    at: str
    first_seq: int

    def line(self) -> str:
        return canonical_json({"v": VERSION, **asdict(self)})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _head(row: Any) -> Head | None:
    if row is None:
        return None
    seq, digest, run_id, at, first = row
    return Head(int(seq), str(digest), str(run_id), str(at), int(first))


_HEAD_SQL = ("SELECT e.seq, e.hash, e.run_id, e.recorded_at, "
             "(SELECT r.seq FROM audit_log r WHERE r.run_id = e.run_id AND r.kind = 'run') "
             "FROM audit_log e WHERE e.kind = 'end'")


def head_of_run(db: Database, run_id: str) -> Head | None:
    """The head a run left: its end row (None if the run is not in the log)."""
    return _head(db.conn.execute(_HEAD_SQL + " AND e.run_id = ?", [run_id]).fetchone())


def current_head(db: Database) -> Head | None:
    """The head of the log: the end row of its last whole run (None if there is none)."""
    try:
        last = db.conn.execute("SELECT run_id FROM audit_log WHERE kind = 'end' "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        raise UserError("tabellen audit_log saknas – revisionsloggen har tagits bort; "
                        "kör bevaka audit verify") from None
    return head_of_run(db, str(last[0])) if last else None


@contextmanager
def appending(path: Path) -> Iterator[int | OSError]:
    """The anchor file opened for appending (created 0600) and locked exclusively, for the
    whole of recording a run and appending its head: a reader holding :func:`reading` then
    never sees a run committed whose line is not yet written. Yields the file descriptor, or
    the ``OSError`` that kept it from being opened (the run is recorded all the same)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        yield exc
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def append(fd: int, head: Head) -> None:
    """Append ``head`` as one line to the anchor file open as ``fd``, and flush it to disk."""
    os.write(fd, (head.line() + "\n").encode("utf-8"))
    os.fsync(fd)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Hold the anchor file's shared lock (no run is between its commit and its line) while
    the log is opened for reading and the file's length taken (:func:`size`)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def size(path: Path) -> int | None:
    """How long the anchor file is (None if there is none): taken under :func:`reading`,
    together with the log's snapshot, and then read with :func:`read` up to that length."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def parse_line(text: str, where: str) -> Head:
    """One anchor line (as written by :func:`append` or printed by ``bevaka audit anchor``)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise AnchorError(f"{where}: raden är inte ett ankare (JSON från bevaka audit "
                          "anchor --json)") from None
    if not isinstance(data, dict):
        raise AnchorError(f"{where}: raden är inte ett ankare (ett JSON-objekt väntades)")
    try:
        head = Head(seq=data["seq"], hash=data["hash"], run_id=data["run_id"],
                    at=data["at"], first_seq=data["first_seq"])
    except KeyError as exc:
        raise AnchorError(f"{where}: ankaret saknar fältet {exc.args[0]!r}") from None
    ints = all(isinstance(v, int) and not isinstance(v, bool) and v > 0
               for v in (head.seq, head.first_seq))
    if not ints or head.first_seq > head.seq:
        raise AnchorError(f"{where}: seq och first_seq ska vara positiva heltal")
    if not (isinstance(head.hash, str) and len(head.hash) == 64 and set(head.hash) <= _HEX):
        raise AnchorError(f"{where}: hash ska vara 64 hexadecimala tecken")
    if not isinstance(head.run_id, str) or not isinstance(head.at, str):
        raise AnchorError(f"{where}: run_id och at ska vara text")
    return head


def read(path: Path, limit: int | None = None) -> list[Head]:
    """The heads in an anchor file, in file order (empty lines skipped); with ``limit``, of
    its first ``limit`` bytes only (the lines it had when the log was read)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read() if limit is None else fh.read(limit)
    except OSError as exc:
        raise AnchorError(f"{path}: ankarfilen kan inte läsas ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AnchorError(f"{path}: ankarfilen är inte UTF-8-text") from None
    return [parse_line(line, f"{path}:{n}")
            for n, line in enumerate(text.splitlines(), 1) if line.strip()]


@dataclass
class AnchorCheck:
    """The log checked against one anchor file (``kept``: a copy an auditor kept)."""

    path: str
    kept: bool
    exists: bool
    ok: bool = True
    problem: str | None = None
    lines: int = 0
    anchored_seq: int | None = None  # the highest seq an anchor line names
    not_covered: int = 0  # (kept copy) runs recorded after its last line
    runs: list[str] = field(default_factory=list)  # (kept copy) those runs' ids

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(spans: list[RunSpan], heads: list[Head], path: Path, kept: bool) -> AnchorCheck:
    """Compare the whole runs of a verified log with the heads of one anchor file."""
    result = AnchorCheck(path=str(path), kept=kept, exists=True, lines=len(heads))
    if not heads:
        return result
    by_run = {s.run_id: s for s in spans}
    last_seq = spans[-1].seq if spans else 0
    result.anchored_seq = max(h.seq for h in heads)

    def fail(problem: str) -> AnchorCheck:
        result.ok, result.problem = False, problem
        return result

    for h in sorted(heads, key=lambda h: h.seq):
        span = by_run.get(h.run_id)
        if span is None:
            if not spans:
                return fail(f"revisionsloggen är tom men ankaret {path} anger {len(heads)} "
                            f"körningar, den senaste till seq {result.anchored_seq} – loggen "
                            "har tömts eller ersatts")
            if h.seq > last_seq:
                return fail(f"loggen slutar vid seq {last_seq} men ankaret {path} anger körning "
                            f"{h.run_id} till seq {h.seq} – körningar har tagits bort i slutet")
            return fail(f"körning {h.run_id} (seq {h.first_seq}–{h.seq}) i ankaret {path} finns "
                        "inte i loggen – loggen har skrivits om")
        if (span.first_seq, span.seq, span.hash) != (h.first_seq, h.seq, h.hash):
            where = (f"seq {span.first_seq}–{span.seq}" if (span.first_seq, span.seq)
                     == (h.first_seq, h.seq) else f"seq {span.first_seq}–{span.seq}, i ankaret "
                     f"seq {h.first_seq}–{h.seq}")
            return fail(f"körning {h.run_id} ({where}) har en annan hash än ankaret {path} "
                        f"anger – loggen har ändrats fram till seq {span.seq} och kedjan "
                        "räknats om")
    anchored = {h.run_id for h in heads}
    since = min(h.first_seq for h in heads)
    missing = [s for s in spans if s.first_seq >= since and s.run_id not in anchored]
    if kept:  # each kept head vouches for the chain before it: only the runs after it count
        after = [s for s in missing if s.first_seq > result.anchored_seq]
        result.not_covered, result.runs = len(after), [s.run_id for s in after]
        return result
    if missing:
        s = missing[0]
        more = f" (och {len(missing) - 1} till)" if len(missing) > 1 else ""
        return fail(f"körning {s.run_id} (seq {s.first_seq}–{s.seq}){more} saknas i ankaret "
                    f"{path} – den har lagts till utanför bevaka, eller bevaka avbröts innan "
                    "ankaret skrevs")
    return result


def missing_file(path: Path, kept: bool) -> AnchorCheck:
    """The result for an anchor file that does not exist (a kept copy: an error)."""
    if kept:
        raise AnchorError(f"{path}: ankarfilen finns inte; ange filen du sparade från "
                          "bevaka audit anchor")
    return AnchorCheck(path=str(path), kept=False, exists=False)
