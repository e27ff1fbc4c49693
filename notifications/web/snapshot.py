"""The web view's snapshot: a copy of the database that holds only what may be shown.

:func:`make_snapshot` copies the live database with SQLite's backup API (a consistent copy
while the service goes on writing), then, in the copy only:

* drops every table except the audit log (``audit_log`` with ``sqlite_sequence``, so
  ``audit verify`` runs on the served file), ``heartbeats`` and ``run_state``; the outbox is
  copied without its bodies (text, HTML, the whole message) and dropped: no fact table
  (birth years, notes, summaries), no ``deadlines`` context reaches the served file;
* writes the published findings (:mod:`notifications.published`: case references, titles,
  dates, statuses, why texts), the rules' metadata, the role addresses and the cells of the
  internal-control heat map as tables whose names start with ``_``;
* creates the Swedish **views** the web view exposes (:data:`VIEWS`) and ``VACUUM``\\ s, so
  dropped data is not left in free pages.

Datasette then opens the file immutable and serves the views only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from engine.config import Config
from engine.ended import ENDED_SV
from engine.findings import STATUS_SV
from engine.rules.loaded import LoadedRule, RuleSet
from engine.state import OPS_SV
from facts.personnummer import replace_personnummer
from facts.types import FACT_TYPES
from notifications.published import COLUMNS, published

KEEP = {"audit_log", "sqlite_sequence", "heartbeats", "run_state", "outbox"}
OUTBOX_COLUMNS = ("id, org, recipient, role, subject, status, attempts, last_error, created_at, "
                  "sent_at, run_id, as_of")
RISK_RULE = "internkontroll.risk"


def _f(path: str, column: str = "payload") -> str:
    """A JSON field of a log row, null for a row that is not JSON."""
    return f"(CASE WHEN json_valid({column}) THEN json_extract({column}, '{path}') END)"


#: the codes the outbox keeps, as the views show them (the log's: engine.state.OPS_SV)
KIND_TITLES = {name: ft.title_sv for name, ft in FACT_TYPES.items()}
OUTBOX_SV = {"pending": "väntar", "sent": "skickad", "failed": "misslyckad", "blocked": "stoppad"}


def _sv(expr: str, words: dict[str, str]) -> str:
    """``expr``'s code in Swedish (an unknown code as it is)."""
    return f"(CASE {expr} {' '.join(f'WHEN {k!r} THEN {v!r}' for k, v in words.items())} ELSE {expr} END)"


#: name → SQL of the views the web view serves (every other table is refused).
VIEWS: dict[str, str] = {
    "bevakningar": f"SELECT {', '.join(c for c in COLUMNS if c not in ('adresser', 'oppen'))} "
                   "FROM _bevakningar",
    "bevakningar_per_kvartal": "SELECT organisation, regel, statuskod, status, kvartal, "
                               "count(*) AS antal FROM _bevakningar GROUP BY 1, 2, 3, 4, 5",
    "korningar": f"""
        SELECT r.run_id AS korning, {_f('$.as_of', 'r.payload')} AS per,
          {_f('$.command', 'r.payload')} AS kommando, {_f('$.orgs', 'r.payload')} AS organisationer,
          {_f('$.findings', 'r.payload')} AS andringar,
          {_f('$.state.count', 'e.payload')} AS bevakningar,
          {_f('$.decisions', 'e.payload')} AS beslutsposter,
          coalesce({_f('$.failed_rules', 'r.payload')}, '[]') AS misslyckade_regler,
          r.recorded_at AS registrerad, e.seq AS slutrad,
          h.job AS jobb, h.started_at AS heartbeat_start, h.finished_at AS heartbeat_slut,
          h.ok AS heartbeat_ok
        FROM audit_log r JOIN audit_log e ON e.run_id = r.run_id AND e.kind = 'end'
        LEFT JOIN heartbeats h ON {_f('$.run_id', 'h.summary')} = r.run_id
        WHERE r.kind = 'run'""",
    "andringar": f"""
        SELECT a.seq, a.run_id AS korning, {_f('$.as_of', 'r.payload')} AS per,
          {_f('$.org', 'a.payload')} AS organisation, {_f('$.id', 'a.payload')} AS bevakning,
          {_sv(f"coalesce({_f('$.ended', 'a.payload')}, {_f('$.op', 'a.payload')})",
               {**OPS_SV, **ENDED_SV})} AS andring,
          coalesce(s.status, {_f('$.status', 'a.payload')}) AS status,
          {_f('$.due_on', 'a.payload')} AS frist, {_f('$.done_on', 'a.payload')} AS klar,
          {_f('$.rule_id', 'a.payload')} AS regel
        FROM audit_log a JOIN audit_log r ON r.run_id = a.run_id AND r.kind = 'run'
        LEFT JOIN _statusar s ON s.kod = {_f('$.status', 'a.payload')}
        WHERE a.kind = 'finding' AND {_f('$.op', 'a.payload')} IS NOT NULL""",
    "beslutsposter": f"""
        SELECT seq, run_id AS korning, {_f('$.org')} AS organisation,
          {_f('$.finding_id')} AS bevakning, {_sv(_f('$.op'), OPS_SV)} AS andring, {_f('$.as_of')} AS per,
          {_f('$.rule.id')} AS regel, {_f('$.rule.version')} AS version,
          substr({_f('$.rule.revision')}, 1, 12) AS revision,
          {_sv(_f('$.input.fact_type'), KIND_TITLES)} AS faktatyp,
          {_f('$.input.key')} AS nyckel,
          coalesce(s.status, {_f('$.result.status')}) AS utfall,
          {_f('$.result.due_on')} AS frist, {_f('$.masked')} AS maskerat, {_f('$.policy')} AS policy
        FROM audit_log LEFT JOIN _statusar s ON s.kod = {_f('$.result.status')}
        WHERE kind = 'decision'""",
    "utkorg": "SELECT id, org AS organisation, recipient AS mottagare, role AS roll, subject AS amne, "
              f"{_sv('status', OUTBOX_SV)} AS status, attempts AS forsok, last_error AS fel, "
              "created_at AS skapad, sent_at AS skickad, run_id AS korning, as_of AS per FROM _utkorg",
    "regler": "SELECT * FROM _regler",
}


def _copy(live: Path, out: Path) -> None:
    src = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    dst = sqlite3.connect(out)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _rules(rulesets: Iterable[RuleSet]) -> list[dict[str, Any]]:
    seen: dict[str, LoadedRule] = {}
    for rs in rulesets:
        for lr in rs.rules:
            seen.setdefault(lr.key, lr)
    return [{"regel": lr.rule.id, "version": lr.rule.version, "rubrik": lr.rule.title,
             "paket": lr.pack, "typ": lr.kind,
             "lagrum": "; ".join(b.text or f"(ur fältet {b.field})" for b in lr.rule.legal_basis),
             "giltig_fran": lr.rule.valid_from.isoformat() if lr.rule.valid_from else None,
             "giltig_till": lr.rule.valid_to.isoformat() if lr.rule.valid_to else None,
             "revision": lr.revision[:12]} for lr in sorted(seen.values(), key=lambda r: r.key)]


def risk_cells(db: Database, org: str, ruleset: RuleSet) -> list[dict[str, Any]]:
    """Every cell of the newest internal-control plan's risk matrix in ``org``: its band
    from the rule's own table, and the numbers of the plan's points in it. Empty when the
    organisation has no plan (or the rule is switched off)."""
    versions = ruleset.by_id(RISK_RULE)
    if not versions:
        return []
    lr = max(versions, key=lambda r: r.rule.version)
    points = [json.loads(c) for (c,) in db.execute(
        "SELECT context FROM deadlines WHERE org = ? AND rule_id = ?", [org, RISK_RULE])]
    if not points:
        return []
    year = max(int(p["occurrence"][:4]) for p in points if p.get("occurrence"))
    points = [p for p in points if str(p.get("occurrence", ""))[:4] == str(year)]
    size = int(lr.params.get("matrix_size", 5))
    out = []
    for k in range(1, size + 1):
        for s in range(1, size + 1):
            here = sorted((p for p in points if p.get("consequence") == k and p.get("likelihood") == s),
                          key=lambda p: int(p.get("nr", 0)))
            band = lr.evaluate_table("riskband", consequence=k, likelihood=s).get("band")
            out.append({"organisation": org, "plan": here[0]["plan"] if here else points[0].get("plan"),
                        "ar": year, "konsekvens": k, "sannolikhet": s, "risk": k * s, "band": band,
                        "punkter": ", ".join(str(p["nr"]) for p in here), "antal": len(here)})
    return out


def make_snapshot(db: Database, live: Path, config: Config, rulesets: dict[str, RuleSet],
                  out: Path) -> Path:
    """Write the web view's snapshot of ``live`` (open as ``db``) to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    _copy(live, out)
    # the scanner over every published text (why texts quote fact fields): none leaves
    rows = [{k: replace_personnummer(v) if isinstance(v, str) else v for k, v in r.items()}
            for r in published(db, config, rulesets)]
    roles = [{"organisation": o, "roll": role, "adress": addr.strip().lower()}
             for o in rulesets for role, addr in sorted(config.roles_for(o).items())]
    cells = [c for o, rs in rulesets.items() for c in risk_cells(db, o, rs)]
    snap = Database(out)
    try:
        for name in snap.table_names():
            if name not in KEEP and not name.startswith("sqlite_"):
                snap.execute(f'DROP TABLE "{name}"')
        for view in snap.view_names():
            snap.execute(f'DROP VIEW "{view}"')
        # the outbox without its bodies (text, HTML, the message): a new table, the old dropped
        snap.execute(f"CREATE TABLE _utkorg AS SELECT {OUTBOX_COLUMNS} FROM outbox")
        snap.execute("DROP TABLE outbox")
        snap.table("_bevakningar").insert_all(rows, pk=("organisation", "bevakning"),
                                        columns={c: str for c in COLUMNS if c not in ("version",)})
        snap.table("_regler").insert_all(_rules(rulesets.values()), pk=("regel", "version"))
        snap.table("_roller").insert_all(roles, pk=("organisation", "roll"))
        snap.table("_statusar").insert_all([{"kod": k.value, "status": v} for k, v in STATUS_SV.items()],
                                     pk="kod")
        snap.table("_riskkarta").insert_all(cells, columns={"organisation": str, "plan": str, "ar": int,
                                                      "konsekvens": int, "sannolikhet": int,
                                                      "risk": int, "band": str, "punkter": str,
                                                      "antal": int})
        for table in ("_bevakningar", "_regler", "_roller", "_statusar", "_riskkarta", "heartbeats",
                      "run_state"):
            if table not in snap.table_names():
                snap.table(table).create({"organisation": str})
        for name, sql in VIEWS.items():
            snap.execute(f'CREATE VIEW "{name}" AS {sql}')
        snap.execute("VACUUM")
    finally:
        snap.close()
    return out
