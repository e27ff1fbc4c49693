"""The findings as they are published outside bevaka: the web view, calendar feeds.

Every channel that is not e-mail publishes the **last logged state** (``finding_state``, what
the audit log's commitment covers), not a fresh evaluation: what a calendar or the web view
shows is what the log says, on the date of each organisation's last logged run. A published
row has case references, rule ids and titles, dates, statuses, role keys and addresses and
the why text only; no fact field is copied. Column names are Swedish (people read them in
the web view); :data:`COLUMNS` lists them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlite_utils import Database

from engine.audit import change_counts
from engine.config import Config
from engine.findings import KIND_SV, OPEN, SEVERITY_SV, STATUS_SV, Status
from engine.projection import make_finding
from engine.rules.loaded import RuleSet

COLUMNS = ("organisation", "bevakning", "regel", "version", "rubrik", "typ", "statuskod", "status",
           "arende", "start", "frist", "klar", "kvartal", "lag", "allvar", "eskalerad",
           "mottagare", "adresser", "varde", "band", "varfor", "andringar", "per", "oppen")

_LAWS = (("LSS", r"\bLSS\b"), ("SoL", r"\bSoL\b"), ("KL", r"Kommunallagen|\bKL\b"),
         ("HSL", r"\bHSL\b|hälso- och sjukvårdslag"), ("Lag 1930:173", r"1930:173"),
         ("Avtal", r"Överenskommelse|avtal"))


def law_of(texts: list[str]) -> str:
    """The law a finding's legal basis names first (SoL, LSS, KL …), for grouping."""
    for text in texts:
        for name, pattern in _LAWS:
            if re.search(pattern, text, flags=re.IGNORECASE if name == "Avtal" else 0):
                return name
    return "övrigt"


def quarter_of(d: str | None) -> str | None:
    if not d:
        return None
    day = date.fromisoformat(d)
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


_ROWS = """
SELECT s.org, s.id, s.payload, d.*
FROM finding_state s
LEFT JOIN deadlines d ON d.org = s.org AND d.id = s.id
  AND d.rule_key = json_extract(s.payload, '$.rule_id') || '@' || json_extract(s.payload, '$.rule_version')
WHERE s.org = ?
ORDER BY s.id
"""


def published(db: Database, config: Config, rulesets: dict[str, RuleSet]) -> Iterator[dict[str, Any]]:
    """The published row of every finding in the last logged state of each organisation in
    ``rulesets`` (an organisation without a logged run has none)."""
    runs = dict(db.execute("SELECT org, as_of FROM run_state").fetchall())
    for org, ruleset in rulesets.items():
        if org not in runs:
            continue
        as_of = date.fromisoformat(runs[org])
        rules = {lr.key: lr for lr in ruleset.rules}
        roles = {k: v.strip().lower() for k, v in config.roles_for(org).items()}
        counts = change_counts(db, [org])
        cur = db.execute(_ROWS, [org])
        names = [c[0] for c in cur.description]
        basis: dict[tuple[Any, ...], list[str]] = {}
        for values in cur:
            row = dict(zip(names[3:], values[3:], strict=True))
            state = json.loads(values[2])
            lr = rules.get(f"{state['rule_id']}@{state['rule_version']}")
            if lr is not None and row.get("rule_key") is not None:
                f = make_finding(lr, row, as_of, basis)
                title, why, recipients, severity, legal = (f.rule_title, f.why, f.recipients,
                                                           f.severity, f.legal_basis)
                start = f.start_on.isoformat() if f.start_on else None
            else:  # a failed rule's IT check: no row, no rule to render
                title, why, recipients, severity, legal = (
                    "Regel som inte kunde utvärderas",
                    f"Regeln {state.get('subject')} kunde inte utvärderas; se bevaka check.",
                    ["it"], "high", [])
                start = None
            status = Status(state["status"])
            yield {
                "organisation": org, "bevakning": state["id"], "regel": state["rule_id"],
                "version": state["rule_version"], "rubrik": title,
                "typ": KIND_SV.get(state["kind"], state["kind"]),
                "statuskod": status.value, "status": STATUS_SV[status], "arende": state["subject"],
                "start": start, "frist": state["due_on"], "klar": state["done_on"],
                "kvartal": quarter_of(state["due_on"] or start or as_of.isoformat()),
                "lag": law_of(legal), "allvar": SEVERITY_SV.get(severity, severity),
                "eskalerad": int(bool(state["escalated"])),
                "mottagare": ", ".join(recipients),
                "adresser": ", ".join(sorted({r.lower() if "@" in r else roles.get(r, "")
                                              for r in recipients} - {""})),
                "varde": state["value"], "band": state["band"], "varfor": why,
                "andringar": counts.get((org, state["id"]), 0), "per": as_of.isoformat(),
                "oppen": int(status in OPEN),
            }


def for_recipient(rows: list[dict[str, Any]], who: str) -> list[dict[str, Any]]:
    """The rows that go to ``who``: a role key among the recipients, or an address (the
    recipient's own, or a role's in the organisation)."""
    key = who.strip().lower()
    out = []
    for r in rows:
        roles = {x.strip().lower() for x in (r["mottagare"] or "").split(",") if x.strip()}
        addresses = {x.strip() for x in (r["adresser"] or "").split(",") if x.strip()}
        if key in roles or key in addresses:
            out.append(r)
    return out
