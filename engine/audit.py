"""Tamper-evident outcome log: what every run changed, hash-chained (like OPA's decision log).

Table ``audit_log``: per recorded run one ``run`` row, one ``finding`` row per finding the run
changed (new, changed or removed since the last logged run; see :mod:`engine.state`) and an
``end`` row with the number of changes, their hash and the commitment to the complete
finding state after the run, all written in one ``BEGIN IMMEDIATE`` transaction together
with the stored state. A run where nothing changed adds two rows. Each row's ``hash`` is
``sha256(prev_hash \\n seq \\n run_id \\n kind \\n recorded_at \\n payload)``; the first row's
``prev_hash`` is 64 zeros. Triggers refuse UPDATE and DELETE, but :func:`verify` does not rely
on them: it recomputes the whole chain, so edits made after dropping the triggers are found.

``seq`` is ``AUTOINCREMENT`` so that ``sqlite_sequence`` remembers the highest seq ever written;
:func:`verify` uses that to notice rows deleted from the end of the log. A hash chain kept in
the same file cannot detect someone who rewrites the whole chain (or the chain and
``sqlite_sequence``): for that, the application anchors each run's head outside the database
(:mod:`engine.audit_anchor`), and verify compares the log with the anchor.

Between runs stand ``retraction`` and ``erasure`` rows (:func:`record_note`): which facts
were retracted, why and from which file, and what an erasure (gallring) removed, as case
references, counts and hashes. Nothing in the log needs erasing, so the chain still verifies
after ``bevaka gallra``.

Payloads carry no personal data: finding rows are state payloads (case references, rule
ids, statuses and dates). Runs recorded before change records existed hold one row per
finding (:meth:`Finding.public_dict`); :mod:`engine.audit_verify` checks both forms.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from engine.decision_inputs import restore
from engine.ended import clear as clear_ended
from engine.findings import Evaluation
from engine.state import Change, diff, info_of, mark_run, payload_of, stored
from engine.state import apply as apply_state

GENESIS = "0" * 64
KINDS = ("run", "rule", "finding", "decision", "end", "retraction", "erasure")

#: ``decide(changes)`` → (rule source payloads to log, one decision record or None per change).
Decide = Callable[[list[Change]], tuple[list[dict[str, Any]], list[dict[str, Any] | None]]]

migrations = Migrations("bevaka.engine.audit")


#: The statements that create the log and its write protection; :func:`engine.audit_verify.verify`
#: checks that the database still holds exactly these (a rebuilt table or a dropped trigger).
AUDIT_TABLE_SQL = """
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
NO_UPDATE_SQL = """
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log är skrivskyddad: rader får inte ändras'); END
        """
NO_DELETE_SQL = """
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log är skrivskyddad: rader får inte tas bort'); END
        """
PROTECTED_SQL = {("table", "audit_log"): AUDIT_TABLE_SQL,
                 ("trigger", "audit_log_no_update"): NO_UPDATE_SQL,
                 ("trigger", "audit_log_no_delete"): NO_DELETE_SQL}


@migrations(name="create_audit_log")
def _create_audit_log(db: Database) -> None:
    db.execute(AUDIT_TABLE_SQL)
    db.execute("CREATE INDEX audit_log_run_id ON audit_log (run_id, kind)")
    db.execute(NO_UPDATE_SQL)
    db.execute(NO_DELETE_SQL)


@migrations(name="audit_log_lookups")
def _lookups(db: Database) -> None:
    """Rule rows found without reading the log (a partial index: only they are in it), and
    each finding's change records by organisation and id (a calendar's SEQUENCE, ``audit show
    --finding``). Both grow with what is logged, not with the register."""
    db.execute("CREATE INDEX IF NOT EXISTS audit_log_rules ON audit_log (seq) WHERE kind = 'rule'")
    db.execute(f"CREATE INDEX IF NOT EXISTS audit_log_finding_ids ON audit_log "
               f"({_field('org')}, {_field('id')}) WHERE kind = 'finding'")


def _field(name: str) -> str:
    """A payload field in SQL that is null, not an error, for a row that is not JSON (an
    edited row must still be found by verify, not refused by an index)."""
    return f"(CASE WHEN json_valid(payload) THEN json_extract(payload, '$.{name}') END)"


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
    """Append a run whose ``evaluation.findings`` are the complete listed findings of its
    organisations: the changes are found by comparing them with the stored state. Returns the
    rows written. (The application's runs use :func:`record_run` with SQL-found changes.)"""
    orgs = evaluation.orgs or sorted({f.org for f in evaluation.findings})
    new = {(f.org, f.id): payload_of(f) for f in evaluation.findings}
    info = {(f.org, f.id): info_of(f) for f in evaluation.findings}

    def found() -> list[Change]:
        old = stored(db, orgs=orgs)
        return diff(old, new, set(old) | set(new), info)

    return record_run(db, evaluation, found, command)


def record_run(db: Database, evaluation: Evaluation,
               changes: list[Change] | Callable[[], list[Change]], command: str,
               decide: Decide | None = None) -> int:
    """Append one run (run row, one finding row per change, end row) and bring the stored
    finding state, each organisation's last run and the journal up to date, atomically.
    Returns rows written. ``changes`` may be a function: it is then called inside the write
    transaction, so no other run can change the state between finding and recording them.

    With ``decide`` (:func:`engine.decisions.decisions`), each change that leaves a finding
    listed is followed by its ``decision`` row, and the source of every rule revision those
    name that the log does not hold yet is logged as a ``rule`` row after the run row; the end
    row then counts and hashes the decision rows too.

    Takes ``BEGIN IMMEDIATE`` so concurrent writers cannot interleave the chain; must not be
    called inside an open transaction. Raises ``ValueError`` if the run id is already logged.
    """
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("record_run måste anropas utanför en öppen transaktion")
    recorded_at = datetime.now(UTC).isoformat(timespec="seconds")
    run_id = evaluation.run_id
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = changes() if callable(changes) else changes
        change_payloads = [canonical_json(c.record()) for c in found]
        sources, records = decide(found) if decide else ([], [None] * len(found))
        decision_payloads = [canonical_json(r) if r is not None else None for r in records]
        run_data: dict[str, Any] = {
            "run_id": run_id, "as_of": evaluation.as_of.isoformat(),
            "rules_revision": evaluation.rules_revision, "facts_hash": evaluation.facts_hash,
            "command": command, "findings": len(change_payloads),
            "engine_version": engine_version(), "orgs": evaluation.orgs,
        }
        if evaluation.failed_rules:
            run_data["failed_rules"] = evaluation.failed_rules
        run_payload = canonical_json(run_data)
        if conn.execute("SELECT 1 FROM audit_log WHERE run_id = ? AND kind = 'run'",
                        [run_id]).fetchone():
            raise ValueError(f"körning {run_id} finns redan i granskningsloggen")
        commitment, count = apply_state(db, found)
        end_data: dict[str, Any] = {
            "findings": len(change_payloads),
            "findings_hash": findings_digest(change_payloads),
            "state": {"count": count, "commitment": commitment},
        }
        made = [p for p in decision_payloads if p is not None]
        if made or sources:  # a run that decided nothing new keeps its end row small
            end_data.update(decisions=len(made), decisions_hash=findings_digest(made),
                            rules=len(sources))
        entries = [("run", run_payload), *(("rule", canonical_json(s)) for s in sources)]
        for change, decision in zip(change_payloads, decision_payloads, strict=True):
            entries.append(("finding", change))
            if decision is not None:
                entries.append(("decision", decision))
        entries.append(("end", canonical_json(end_data)))
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
            " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        mark_run(db, evaluation.orgs, evaluation.as_of.isoformat(), run_id)
        conn.executemany("DELETE FROM deadline_journal WHERE org = ?",
                         [(o,) for o in evaluation.orgs])
        clear_ended(db, evaluation.orgs)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(rows)


#: Rows that stand alone between runs: a retraction of facts (with its reason and source)
#: and an erasure (gallring). Their payloads hold case references, counts and hashes only.
NOTE_KINDS = ("retraction", "erasure")


def record_note(db: Database, kind: str, data: dict[str, Any]) -> str:
    """Append one ``retraction`` or ``erasure`` row to the chain (its own "run id"
    ``KIND-…``); inside the caller's transaction if one is open, so the row and the change
    it records are written together. Returns the row's run id."""
    if kind not in NOTE_KINDS:
        raise ValueError(f"unknown note kind {kind!r}")
    conn = db.conn
    run_id = f"{kind}-{uuid.uuid4().hex[:12]}"
    recorded_at = datetime.now(UTC).isoformat(timespec="seconds")
    payload = canonical_json(data)
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
        digest = row_hash(prev, seq, run_id, kind, recorded_at, payload)
        conn.execute("INSERT INTO audit_log (seq, run_id, kind, recorded_at, payload, prev_hash, "
                     "hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (seq, run_id, kind, recorded_at, payload, prev, digest))
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return run_id


def notes(db: Database, kind: str | None = None) -> list[dict[str, Any]]:
    """The retraction and erasure rows, oldest first: payload plus run_id and recorded_at."""
    kinds = [kind] if kind else list(NOTE_KINDS)
    marks = ", ".join("?" for _ in kinds)
    out = []
    for run_id, k, at, payload in db.execute(
            f"SELECT run_id, kind, recorded_at, payload FROM audit_log WHERE kind IN ({marks}) "
            "ORDER BY seq", kinds):
        out.append({**json.loads(payload), "run_id": run_id, "kind": k, "recorded_at": at})
    return out


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


def decisions_for_run(db: Database, run_id: str,
                      finding_id: str | None = None) -> list[dict[str, Any]]:
    """The decision records of one run (of one finding, if given), in logged order."""
    sql = "SELECT payload FROM audit_log WHERE run_id = ? AND kind = 'decision'"
    params: list[Any] = [run_id]
    if finding_id is not None:
        sql += f" AND {_field('finding_id')} = ?"
        params.append(finding_id)
    return restore(db, [json.loads(p) for (p,) in db.execute(sql + " ORDER BY seq", params)])


def rule_sources(db: Database) -> dict[str, dict[str, Any]]:
    """Revision → the logged source of that rule revision (``rule`` rows)."""
    out: dict[str, dict[str, Any]] = {}
    for (payload,) in db.execute("SELECT payload FROM audit_log WHERE kind = 'rule' ORDER BY seq"):
        data = json.loads(payload)
        out.setdefault(str(data.get("revision")), data)
    return out


def change_counts(db: Database, orgs: list[str]) -> dict[tuple[str, str], int]:
    """(org, id) → how many change records the log holds for that finding (read from the
    index of change records, not from the payloads)."""
    marks = ", ".join("?" for _ in orgs)
    rows = db.execute(f"SELECT {_field('org')}, {_field('id')}, count(*) FROM audit_log "
                      f"WHERE kind = 'finding' AND {_field('org')} IN ({marks}) "
                      f"AND {_field('op')} IS NOT NULL GROUP BY 1, 2", orgs).fetchall()
    return {(str(o), str(i)): int(n) for o, i, n in rows}


def findings_for_run(db: Database, run_id: str) -> list[dict[str, Any]]:
    """The finding rows of one run (its change records, or the findings of a run recorded
    before change records), in logged order."""
    cur = db.conn.execute(
        "SELECT payload FROM audit_log WHERE run_id = ? AND kind = 'finding' ORDER BY seq",
        [run_id],
    )
    return [json.loads(p) for (p,) in cur.fetchall()]
