"""Verify the audit log, and replay it to the finding state of any run.

:func:`verify` recomputes the hash chain from the first row, checks that every run is whole
(``run``, its ``finding`` rows, ``end``), that the counts and the findings hash of every end
row agree, and replays the change records: after each run, the commitment and count of the
replayed state must equal the ones the run's end row states. So an edited, deleted,
reordered or forged change record is found, and the run named, even when its row hashes
were recomputed. Decision and rule rows are hashed and counted against the end row (their
number and a digest over them), not parsed, so they cost verify little. Runs recorded before
change records existed (finding rows without ``op``) are checked for chain, structure and
findings hash only; the replay starts after them.

:func:`state_at` replays the log to the end of one run and returns that run's complete
finding state: what ``bevaka audit state --run`` lists.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from sqlite_utils import Database

from engine.audit import GENESIS, NOTE_KINDS, PROTECTED_SQL, findings_digest, row_hash
from engine.decision_inputs import problems as input_problems
from engine.state import digest, hex256, state_of
from facts.errors import UserError


class UnknownRun(UserError, LookupError):
    """A run id that is not in the audit log."""


class RunSpan(NamedTuple):
    """One whole run in the log: its id, the seq of its run and end rows and the end row's
    hash (what an anchor line states, :mod:`engine.audit_anchor`)."""

    run_id: str
    first_seq: int
    seq: int
    hash: str
    recorded_at: str


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    runs: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_hash: str | None = None  # hash of the last row checked (keep a copy elsewhere)
    state_count: int | None = None  # findings in the state after the last run
    commitment: str | None = None  # and its commitment
    #: the checks against anchor files (:class:`engine.audit_anchor.AnchorCheck` as dicts)
    anchors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Replay:
    """The finding state rebuilt from change records: (org, id) → payload hash."""

    hashes: dict[tuple[str, str], int] = field(default_factory=dict)
    payloads: dict[tuple[str, str], str] | None = None  # kept only when the state is wanted
    total: int = 0

    def apply(self, record: dict[str, Any]) -> str | None:
        """Apply one change record; a problem as text, or None."""
        op = record.pop("op")
        key = (str(record.get("org")), str(record.get("id")))
        old = self.hashes.get(key)
        if op == "new" and old is not None:
            return f"bevakningen {key[1]} är ny men fanns redan"
        if op in ("changed", "removed") and old is None:
            return f"bevakningen {key[1]} ändras eller tas bort men fanns inte"
        if op not in ("new", "changed", "removed"):
            return f"okänd ändring {op!r}"
        if old is not None:
            self.total -= old
            del self.hashes[key]
            if self.payloads is not None:
                self.payloads.pop(key, None)
        if op != "removed":
            text = state_of(record)
            h = digest(text)
            self.hashes[key] = h
            self.total += h
            if self.payloads is not None:
                self.payloads[key] = text
        return None


def _rows(db: Database) -> Iterator[tuple[Any, ...]]:
    yield from db.conn.execute(
        "SELECT seq, run_id, kind, recorded_at, payload, prev_hash, hash FROM audit_log"
        " ORDER BY seq")


def verify(db: Database, spans: list[RunSpan] | None = None) -> VerifyResult:
    """Recompute the chain, check every run's structure and replay its state commitment,
    then check that the table and its triggers are the ones bevaka created. ``spans``, if
    given, receives every whole run (for the check against an anchor)."""
    if not _has_table(db):
        return VerifyResult(ok=False, rows=0, runs=0,
                            problem="tabellen audit_log saknas – revisionsloggen har tagits bort")
    result = _walk(db, _Replay(), spans=spans)[0]
    if result.ok:
        problem = schema_problem(db) or next(iter(input_problems(db)), None)
        if problem:
            result.ok, result.problem = False, problem
    return result


def _has_table(db: Database) -> bool:
    return db.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                           "name = 'audit_log'").fetchone() is not None


def _normal(sql: str | None) -> str:
    return " ".join((sql or "").split())


def schema_problem(db: Database) -> str | None:
    """The table and triggers as bevaka created them, or what differs: a table rebuilt with
    CREATE/DROP/RENAME (SQLite rewrites its definition), or a trigger dropped."""
    found = {(t, n): _normal(sql) for t, n, sql in db.conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'audit_log' "
        "AND type IN ('table', 'trigger')")}
    for (kind, name), sql in PROTECTED_SQL.items():
        if (kind, name) not in found:
            return (f"triggern {name} saknas – skrivskyddet har tagits bort, så rader kan ha "
                    "ändrats")
        if found[(kind, name)] != _normal(sql):
            what = "tabellen audit_log" if kind == "table" else f"triggern {name}"
            return (f"{what} har byggts om (CREATE/DROP/RENAME): definitionen är inte den "
                    "bevaka skapade")
    return None


def state_at(db: Database, run_id: str) -> list[dict[str, Any]]:
    """The complete finding state after run ``run_id``, replayed from the log (sorted by
    organisation and id). Raises :class:`UnknownRun`; a broken log raises ``UserError``."""
    replay = _Replay(payloads={})
    result, reached = _walk(db, replay, stop_at=run_id)
    if not reached:
        if not result.ok:
            raise UserError(f"revisionsloggen är bruten: {result.problem}")
        raise UnknownRun(f"ingen körning {run_id!r} i revisionsloggen; se bevaka audit log")
    assert replay.payloads is not None
    return [json.loads(replay.payloads[k]) for k in sorted(replay.payloads)]


def _walk(db: Database, replay: _Replay, stop_at: str | None = None,
          spans: list[RunSpan] | None = None) -> tuple[VerifyResult, bool]:
    prev = GENESIS
    expected_seq = 1
    n = n_runs = 0
    open_run: dict[str, Any] | None = None
    seen_runs: set[str] = set()

    def bad(seq: Any, run_id: Any, what: str) -> tuple[VerifyResult, bool]:
        return VerifyResult(ok=False, rows=n, runs=n_runs,
                            first_bad_seq=seq if isinstance(seq, int) else None,
                            problem=f"rad {n} (seq {seq}, körning {run_id}): {what}"), False

    for seq, run_id, kind, recorded_at, payload, prev_hash, stored_hash in _rows(db):
        n += 1
        if not isinstance(seq, int):
            return bad(seq, run_id, "seq är inte ett heltal – raden har ändrats")
        if seq != expected_seq:
            missing = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq}–{seq - 1}"
            return bad(seq, run_id, f"{missing} saknas – rader har tagits bort")
        if prev_hash != prev:
            return bad(seq, run_id, "prev_hash stämmer inte med föregående rad – en rad har "
                       "tagits bort eller flyttats")
        if not all(isinstance(v, str) for v in (run_id, kind, recorded_at, payload, stored_hash)):
            return bad(seq, run_id, "fält är inte text – raden har ändrats")
        if row_hash(prev, seq, run_id, kind, recorded_at, payload) != stored_hash:
            return bad(seq, run_id, "hash stämmer inte – raden har ändrats")
        prev = stored_hash
        expected_seq += 1
        if kind in ("decision", "rule"):  # hashed, counted and digested, not parsed
            if open_run is None or open_run["run_id"] != run_id:
                return bad(seq, run_id, f"{kind}-rad utanför sin körning")
            open_run["decisions" if kind == "decision" else "rules"].append(payload)
            continue
        try:
            data = json.loads(payload)
        except ValueError:
            return bad(seq, run_id, "payload är inte giltig JSON")
        if kind == "run":
            if open_run is not None:
                return bad(seq, run_id, f"körning {open_run['run_id']} (seq {open_run['seq']}) "
                           "saknar slutrad")
            if run_id in seen_runs:
                return bad(seq, run_id, "körningens id förekommer två gånger")
            if not isinstance(data, dict) or data.get("run_id") != run_id:
                return bad(seq, run_id, "körningsradens run_id stämmer inte med kolumnen")
            seen_runs.add(run_id)
            n_runs += 1
            open_run = {"seq": seq, "run_id": run_id, "payloads": [], "decisions": [],
                        "rules": [], "declared": data.get("findings")}
        elif kind in ("finding", "end"):
            if open_run is None or open_run["run_id"] != run_id:
                return bad(seq, run_id, f"{kind}-rad utanför sin körning")
            if kind == "finding":
                open_run["payloads"].append(payload)
                if isinstance(data, dict) and "op" in data:
                    problem = replay.apply(dict(data))
                    if problem:
                        return bad(seq, run_id, f"ändringsposten stämmer inte: {problem}")
                continue
            problem = _check_end(open_run, data, replay)
            if problem:
                return bad(seq, run_id, problem)
            if spans is not None:
                spans.append(RunSpan(run_id, open_run["seq"], seq, stored_hash, recorded_at))
            open_run = None
            if run_id == stop_at:
                return VerifyResult(ok=True, rows=n, runs=n_runs, head_hash=prev), True
        elif kind in NOTE_KINDS:  # a retraction or erasure: stands alone between runs
            if open_run is not None:
                return bad(seq, run_id, f"{kind}-rad inne i körning {open_run['run_id']}")
            if not isinstance(data, dict):
                return bad(seq, run_id, f"{kind}-radens payload är inte ett objekt")
        else:
            return bad(seq, run_id, f"okänd radtyp {kind!r}")
    if open_run is not None:
        return VerifyResult(
            ok=False, rows=n, runs=n_runs, first_bad_seq=open_run["seq"],
            problem=(f"rad {n} (seq {open_run['seq']}, körning {open_run['run_id']}): körningen "
                     "saknar slutrad – den är ofullständig eller rader har tagits bort i slutet")), False
    highest = _sequence_high_water(db)
    if highest is not None and highest > expected_seq - 1:
        last = expected_seq - 1
        gap = f"seq {last + 1}" if highest == last + 1 else f"seq {last + 1}–{highest}"
        return VerifyResult(ok=False, rows=n, runs=n_runs, first_bad_seq=last + 1,
                            problem=f"rad {n + 1} ({gap}): saknas i slutet av loggen – rader "
                                    "har tagits bort"), False
    return VerifyResult(ok=True, rows=n, runs=n_runs, head_hash=prev if n else None,
                        state_count=len(replay.hashes), commitment=hex256(replay.total)), False


def _check_end(open_run: dict[str, Any], data: Any, replay: _Replay) -> str | None:
    count = len(open_run["payloads"])
    if not isinstance(data, dict) or data.get("findings") != count:
        declared = data.get("findings") if isinstance(data, dict) else "?"
        return f"slutraden anger {declared} fynd men körningen har {count}"
    if open_run["declared"] != count:
        return f"körningsraden anger {open_run['declared']} fynd men körningen har {count}"
    if data.get("findings_hash") != findings_digest(open_run["payloads"]):
        return "slutradens fynd-hash stämmer inte"
    if "decisions" in data or open_run["decisions"] or open_run["rules"]:
        if data.get("decisions") != len(open_run["decisions"]):
            return (f"slutraden anger {data.get('decisions')} beslutsposter men körningen har "
                    f"{len(open_run['decisions'])}")
        if data.get("decisions_hash") != findings_digest(open_run["decisions"]):
            return "slutradens hash över beslutsposterna stämmer inte"
        if data.get("rules") != len(open_run["rules"]):
            return (f"slutraden anger {data.get('rules')} regelkällor men körningen har "
                    f"{len(open_run['rules'])}")
    state = data.get("state")
    if state is not None:
        if not isinstance(state, dict):
            return "slutradens tillstånd är inte läsbart"
        if state.get("count") != len(replay.hashes):
            return (f"slutraden anger {state.get('count')} bevakningar i tillståndet men "
                    f"ändringarna ger {len(replay.hashes)}")
        if state.get("commitment") != hex256(replay.total):
            return "tillståndets åtagande (commitment) stämmer inte med ändringarna"
    return None


def _sequence_high_water(db: Database) -> int | None:
    try:
        row = db.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    except sqlite3.OperationalError:
        return None
    return int(row[0]) if row and isinstance(row[0], int) else None
