"""Tamper-evident outcome log: every evaluation's findings, hash-chained (like OPA's decision log).

Table ``audit_log``: one ``run`` row, one ``finding`` row per finding and one ``end`` row per
recorded evaluation, written in one ``BEGIN IMMEDIATE`` transaction. Each row's ``hash`` is
``sha256(prev_hash \\n seq \\n run_id \\n kind \\n recorded_at \\n payload)``; the first row's
``prev_hash`` is 64 zeros. Triggers refuse UPDATE and DELETE, but :func:`verify` does not rely
on them: it recomputes the whole chain, so edits made after dropping the triggers are found.

``seq`` is ``AUTOINCREMENT`` so that ``sqlite_sequence`` remembers the highest seq ever written;
:func:`verify` uses that to notice rows deleted from the end of the log. A hash chain kept in
the same file cannot detect someone who rewrites the whole chain (or the chain and
``sqlite_sequence``): for that, keep :attr:`VerifyResult.head_hash` somewhere else.

Payloads carry no personal data: finding rows are :meth:`Finding.public_dict` (case refs,
dates, rule ids, the reason text).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from engine.findings import Evaluation

GENESIS = "0" * 64
KINDS = ("run", "finding", "end")

migrations = Migrations("bevaka.engine.audit")


@migrations(name="create_audit_log")
def _create_audit_log(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX audit_log_run_id ON audit_log (run_id, kind)")
    db.execute(
        """
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log är skrivskyddad: rader får inte ändras'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log är skrivskyddad: rader får inte tas bort'); END
        """
    )



def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(
    prev_hash: str, seq: int, run_id: str, kind: str, recorded_at: str, payload: str
) -> str:
    text = "\n".join([prev_hash, str(seq), run_id, kind, recorded_at, payload])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def findings_digest(payloads: list[str]) -> str:
    """Hash over a run's finding payloads in order (stored in the run's ``end`` row)."""
    h = hashlib.sha256()
    for p in payloads:
        h.update(p.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def engine_version() -> str:
    try:
        return metadata.version("bevaka")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def record_evaluation(db: Database, evaluation: Evaluation, command: str) -> int:
    """Append one evaluation (run row, finding rows, end row) atomically. Returns rows written.

    Takes ``BEGIN IMMEDIATE`` so concurrent writers cannot interleave the chain; must not be
    called inside an open transaction. Raises ``ValueError`` if the run id is already logged.
    """
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("record_evaluation måste anropas utanför en öppen transaktion")
    recorded_at = datetime.now(UTC).isoformat(timespec="seconds")
    run_id = evaluation.run_id
    finding_payloads = [canonical_json(f.public_dict()) for f in evaluation.findings]
    run_payload = canonical_json(
        {
            "run_id": run_id,
            "as_of": evaluation.as_of.isoformat(),
            "evaluated_at": evaluation.evaluated_at,
            "rules_revision": evaluation.rules_revision,
            "facts_hash": evaluation.facts_hash,
            "command": command,
            "findings": len(finding_payloads),
            "engine_version": engine_version(),
            "orgs": evaluation.orgs,
            "failed_rules": evaluation.failed_rules,
        }
    )
    end_payload = canonical_json(
        {
            "run_id": run_id,
            "findings": len(finding_payloads),
            "findings_hash": findings_digest(finding_payloads),
        }
    )
    entries = [("run", run_payload)]
    entries += [("finding", p) for p in finding_payloads]
    entries.append(("end", end_payload))

    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute(
            "SELECT 1 FROM audit_log WHERE run_id = ? AND kind = 'run'", [run_id]
        ).fetchone():
            raise ValueError(f"körning {run_id} finns redan i granskningsloggen")
        last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (int(last[0]), str(last[1])) if last else (0, GENESIS)
        rows = []
        for kind, payload in entries:
            seq += 1
            digest = row_hash(prev, seq, run_id, kind, recorded_at, payload)
            rows.append((seq, run_id, kind, recorded_at, payload, prev, digest))
            prev = digest
        conn.executemany(
            "INSERT INTO audit_log (seq, run_id, kind, recorded_at, payload, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(rows)


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    runs: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_hash: str | None = None  # hash of the last row checked (keep a copy elsewhere)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(db: Database) -> VerifyResult:
    """Recompute the chain from seq 1 and check that every run is complete and consistent."""
    cur = db.conn.execute(
        "SELECT seq, run_id, kind, recorded_at, payload, prev_hash, hash FROM audit_log"
        " ORDER BY seq"
    )
    prev = GENESIS
    expected_seq = 1
    n = 0
    n_runs = 0
    open_run: dict[str, Any] | None = None  # {"seq", "run_id", "payloads", "declared"}
    seen_runs: set[str] = set()

    def bad(row_no: int, seq: Any, run_id: Any, what: str) -> VerifyResult:
        return VerifyResult(
            ok=False,
            rows=n,
            runs=n_runs,
            first_bad_seq=seq if isinstance(seq, int) else None,
            problem=f"rad {row_no} (seq {seq}, körning {run_id}): {what}",
            head_hash=None,
        )

    for seq, run_id, kind, recorded_at, payload, prev_hash, stored_hash in cur:
        n += 1
        if not isinstance(seq, int):
            return bad(n, seq, run_id, "seq är inte ett heltal – raden har ändrats")
        if seq != expected_seq:
            missing = (
                f"seq {expected_seq}"
                if seq == expected_seq + 1
                else f"seq {expected_seq}–{seq - 1}"
            )
            return bad(n, seq, run_id, f"{missing} saknas – rader har tagits bort")
        if prev_hash != prev:
            return bad(
                n, seq, run_id,
                "prev_hash stämmer inte med föregående rad – en rad har tagits bort eller flyttats",
            )
        fields = (run_id, kind, recorded_at, payload, stored_hash)
        if not all(isinstance(v, str) for v in fields):
            return bad(n, seq, run_id, "fält är inte text – raden har ändrats")
        if row_hash(prev, seq, run_id, kind, recorded_at, payload) != stored_hash:
            return bad(n, seq, run_id, "hash stämmer inte – raden har ändrats")
        prev = stored_hash
        expected_seq += 1

        # Structure: run, finding*, end — one run at a time, each closed.
        try:
            data = json.loads(payload)
        except ValueError:
            return bad(n, seq, run_id, "payload är inte giltig JSON")
        if kind == "run":
            if open_run is not None:
                return bad(
                    n, seq, run_id,
                    f"körning {open_run['run_id']} (seq {open_run['seq']}) saknar slutrad",
                )
            if run_id in seen_runs:
                return bad(n, seq, run_id, "körningens id förekommer två gånger")
            if not isinstance(data, dict) or data.get("run_id") != run_id:
                return bad(n, seq, run_id, "körningsradens run_id stämmer inte med kolumnen")
            seen_runs.add(run_id)
            n_runs += 1
            open_run = {
                "seq": seq, "run_id": run_id, "payloads": [], "declared": data.get("findings")
            }
        elif kind in ("finding", "end"):
            if open_run is None or open_run["run_id"] != run_id:
                return bad(n, seq, run_id, f"{kind}-rad utanför sin körning")
            if kind == "finding":
                open_run["payloads"].append(payload)
                continue
            count = len(open_run["payloads"])
            if not isinstance(data, dict) or data.get("findings") != count:
                return bad(
                    n, seq, run_id,
                    f"slutraden anger {data.get('findings') if isinstance(data, dict) else '?'}"
                    f" fynd men körningen har {count}",
                )
            if open_run["declared"] != count:
                return bad(
                    n, seq, run_id,
                    f"körningsraden anger {open_run['declared']} fynd men körningen har {count}",
                )
            if data.get("findings_hash") != findings_digest(open_run["payloads"]):
                return bad(n, seq, run_id, "slutradens fynd-hash stämmer inte")
            open_run = None
        else:
            return bad(n, seq, run_id, f"okänd radtyp {kind!r}")

    if open_run is not None:
        return bad(
            n, open_run["seq"], open_run["run_id"],
            "körningen saknar slutrad – den är ofullständig eller rader har tagits bort i slutet",
        )
    highest = _sequence_high_water(db)
    if highest is not None and highest > expected_seq - 1:
        last = expected_seq - 1
        gap = f"seq {last + 1}" if highest == last + 1 else f"seq {last + 1}–{highest}"
        return VerifyResult(
            ok=False,
            rows=n,
            runs=n_runs,
            first_bad_seq=last + 1,
            problem=f"rad {n + 1} ({gap}): saknas i slutet av loggen – rader har tagits bort",
        )
    return VerifyResult(ok=True, rows=n, runs=n_runs, head_hash=prev if n else None)


def _sequence_high_water(db: Database) -> int | None:
    try:
        row = db.conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'"
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    return int(row[0]) if row and isinstance(row[0], int) else None


def runs(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """The most recent runs, newest first: the run row's payload plus seq, recorded_at, closed."""
    cur = db.conn.execute(
        "SELECT r.seq, r.run_id, r.recorded_at, r.payload,"
        " EXISTS (SELECT 1 FROM audit_log e WHERE e.run_id = r.run_id AND e.kind = 'end')"
        " FROM audit_log r WHERE r.kind = 'run' ORDER BY r.seq DESC LIMIT ?",
        [limit],
    )
    out = []
    for seq, run_id, recorded_at, payload, closed in cur.fetchall():
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        data.update(seq=seq, run_id=run_id, recorded_at=recorded_at, closed=bool(closed))
        out.append(data)
    return out


def findings_for_run(db: Database, run_id: str) -> list[dict[str, Any]]:
    """The logged findings of one run (``Finding.public_dict`` shapes), in logged order."""
    cur = db.conn.execute(
        "SELECT payload FROM audit_log WHERE run_id = ? AND kind = 'finding' ORDER BY seq",
        [run_id],
    )
    return [json.loads(p) for (p,) in cur.fetchall()]
