"""The committee pack (*nämndens underlag*) for one meeting: ``bevaka report namnd``.

Every finding due to the meeting is in section 1; sections 3–5 show the balanslista, the
delegation reports and the internal control (its rules' findings and the recurring
obligations whose topic starts with ``internkontroll``, e.g. adopting next year's plan) on
their own.

From a logged evaluation as of the meeting day, for one organisation and committee (``VON``):

1. **Att behandla vid sammanträdet**: every deadline due after the previous meeting up to and
   including this one, and every check or measure that belongs to this meeting, grouped by
   the responsible role (the finding's first recipient);
2. **Kvar sedan tidigare**: what was due at or before the previous meeting and is still not
   done;
3. **Balanslistan**: each item of the newest list with its status at this meeting;
4. **Delegationsbeslut** reported to this meeting;
5. **Internkontroll**: the follow-up of the internal-control plan due at this meeting;
6. **IVO-kvartalet i siffror** (the last quarter ended before the meeting) and **synpunkter och
   klagomål** received since the previous meeting, in figures.

Written as HTML, PDF and XLSX (one sheet per section), Swedish throughout, with the rule
revision and the run id in the footer. Case references only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from engine.calendar import quarter_start
from engine.config import Config
from engine.findings import STATUS_SV, Evaluation, Finding, Kind, Status
from engine.ivo import LAWS, LISTS, ivo_report
from engine.rules.loader import RuleSet
from notifications.reports import document
from notifications.reports.export import Column, Table, write_xlsx
from notifications.reports.findings import footer, run_notes

__all__ = ["CommitteePack", "build_pack", "write_pack"]

NO_ROLE = "utan mottagare"


@dataclass
class CommitteePack:
    org: str
    org_name: str
    body: str
    meeting: date
    previous: date | None
    evaluation: Evaluation
    role_titles: dict[str, str]
    at_meeting: dict[str, list[Finding]] = field(default_factory=dict)
    backlog: list[Finding] = field(default_factory=list)
    balanslista: list[dict[str, Any]] = field(default_factory=list)
    balanslista_date: str | None = None
    delegation: list[dict[str, Any]] = field(default_factory=list)
    internal_control: list[Finding] = field(default_factory=list)
    ivo: dict[str, Any] = field(default_factory=dict)
    complaints: dict[str, int] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return f"namnd-{self.org.replace('/', '-')}-{self.meeting.isoformat()}"

    def role(self, key: str) -> str:
        """The role's Swedish title from the packs (the key itself when there is none)."""
        return self.role_titles.get(key) or key


def _meetings(db: Database, org: str, body: str) -> list[date]:
    rows = db.execute("SELECT date FROM meetings WHERE org = ? AND body = ? ORDER BY date",
                      [org, body]).fetchall()
    return [date.fromisoformat(r[0]) for r in rows]


def _belongs(f: Finding, meeting: date, previous: date | None) -> bool:
    """Due after the previous meeting up to this one, or a check/measure for this meeting."""
    if f.kind is Kind.deadline:
        assert f.due_on is not None
        return f.due_on <= meeting and (previous is None or f.due_on > previous)
    return f.occurrence == meeting


def _balanslista(db: Database, org: str, meeting: date,
                 findings: list[Finding]) -> tuple[str | None, list[dict[str, Any]]]:
    row = db.execute("SELECT max(list_date) FROM balanslista_items WHERE org = ? AND list_date <= ?",
                     [org, meeting.isoformat()]).fetchone()
    list_date = row[0] if row else None
    if list_date is None:
        return None, []
    by_row: dict[str, list[Finding]] = {}
    for f in findings:
        if f.fact_type == "balanslista_item":
            by_row.setdefault(f.subject, []).append(f)
    cur = db.execute("SELECT * FROM balanslista_items WHERE org = ? AND list_date = ? ORDER BY _row",
                     [org, list_date])
    names = [d[0] for d in cur.description]
    out = []
    for values in cur:
        item = dict(zip(names, values, strict=True))
        mine = sorted(by_row.get(item["row"], []), key=lambda f: (f.due_on or date.max))
        at = next((f for f in mine if f.due_on == meeting), None)
        open_ = next((f for f in mine if f.status is Status.overdue), None)
        shown = at or open_ or next((f for f in mine if f.status is Status.upcoming), None)
        if item.get("due_kind") == "paused":
            status, note = "pausad", ""
        elif shown is None:
            status, note = ("återrapporterad" if item.get("reported_on") else "ingen frist nu"), ""
        else:
            status = STATUS_SV[shown.status]
            note = f"frist {shown.due_on}" if shown.due_on else ""
        out.append({"row": item["row"], "matter": item["matter"],
                    "responsible": item.get("responsible_role") or item.get("responsible") or "",
                    "due_text": item.get("due_text") or "", "kind": item.get("kind") or "",
                    "status": status, "status_key": shown.status.value if shown else "",
                    "note": note, "reported_on": item.get("reported_on")})
    return list_date, out


def _delegation(db: Database, org: str, findings: list[Finding], meeting: date) -> list[dict[str, Any]]:
    ours = {f.subject: f for f in findings
            if f.fact_type == "delegation_report" and f.due_on == meeting}
    if not ours:
        return []
    marks = ", ".join("?" for _ in ours)
    cur = db.execute(f"SELECT * FROM delegation_reports WHERE org = ? AND id IN ({marks}) ORDER BY id",
                     [org, *ours])
    names = [d[0] for d in cur.description]
    out = []
    for values in cur:
        r = dict(zip(names, values, strict=True))
        f = ours[r["id"]]
        out.append({"id": r["id"], "delegate": r.get("delegate"), "period": r.get("period"),
                    "decision_types": r.get("decision_types"), "reported_on": r.get("reported_on"),
                    "status": STATUS_SV[f.status], "status_key": f.status.value})
    return out


def _ivo(db: Database, config: Config, org: str, meeting: date,
         ruleset: RuleSet) -> dict[str, Any]:
    """The last quarter that ended before the meeting, in figures per law and list."""
    end = quarter_start(meeting) - timedelta(days=1)
    quarter = f"{end.year}Q{(end.month - 1) // 3 + 1}"
    rep = ivo_report(db, config, quarter, org, ruleset)
    counts = {law: {c: len(rep.ids(law, c)) for c in LISTS} for law in LAWS}
    return {"quarter": quarter, "as_of": end, "counts": counts,
            "total": sum(n for per in counts.values() for n in per.values())}


def _complaints(db: Database, org: str, previous: date | None, meeting: date,
                findings: list[Finding]) -> dict[str, int]:
    start = (previous + timedelta(days=1)) if previous else date(meeting.year, 1, 1)
    rows = db.execute("SELECT kind, anonymous, answered_on FROM complaints WHERE org = ? AND "
                      "received_on BETWEEN ? AND ?",
                      [org, start.isoformat(), meeting.isoformat()]).fetchall()
    late = sum(1 for f in findings if f.fact_type == "complaint" and f.status is Status.overdue)
    return {"received": len(rows), "synpunkter": sum(1 for r in rows if r[0] == "synpunkt"),
            "klagomal": sum(1 for r in rows if r[0] != "synpunkt"),
            "anonymous": sum(1 for r in rows if r[1]),
            "answered": sum(1 for r in rows if r[2] and r[2] <= meeting.isoformat()),
            "overdue_now": late, "from": start.toordinal(), "to": meeting.toordinal()}


def build_pack(db: Database, config: Config, evaluation: Evaluation, ruleset: RuleSet, org: str,
               meeting: date, body: str = "VON") -> CommitteePack:
    """The pack for ``meeting`` from ``evaluation`` (as of the meeting day)."""
    meetings = _meetings(db, org, body)
    previous = max((m for m in meetings if m < meeting), default=None)
    findings = [f for f in evaluation.findings if f.org == org]
    titles: dict[str, str] = {}
    for rule_pack in ruleset.packs.values():
        titles.update(rule_pack.roles)
    pack = CommitteePack(org, config.org_name(org), body, meeting, previous, evaluation, titles)
    ic_duties = {r[0] for r in db.execute(
        "SELECT id FROM recurring_obligations WHERE org = ? AND topic LIKE 'internkontroll%'", [org])}
    ic = [f for f in findings
          if (f.rule_id.startswith("internkontroll.")
              or (f.fact_type == "recurring_obligation" and f.subject in ic_duties))
          and (f.occurrence == meeting or f.due_on == meeting)]
    pack.internal_control = sorted(ic, key=Finding.sort_key)
    for f in sorted(findings, key=Finding.sort_key):
        if _belongs(f, meeting, previous) and (f.kind is Kind.deadline or f.is_open):
            key = f.recipients[0] if f.recipients else NO_ROLE
            pack.at_meeting.setdefault(key, []).append(f)
        elif (f.kind is Kind.deadline and f.status is Status.overdue and f.due_on is not None
              and previous is not None and f.due_on <= previous):
            pack.backlog.append(f)
    pack.at_meeting = dict(sorted(pack.at_meeting.items(),
                                  key=lambda kv: (kv[0] == NO_ROLE, pack.role(kv[0]).lower())))
    pack.balanslista_date, pack.balanslista = _balanslista(db, org, meeting, findings)
    pack.delegation = _delegation(db, org, findings, meeting)
    pack.ivo = _ivo(db, config, org, meeting, ruleset)
    pack.complaints = _complaints(db, org, previous, meeting, findings)
    return pack


# ---- output ----------------------------------------------------------------------------------

_FINDING_COLUMNS = [Column("Ansvarig", "role"), Column("Status", "status"), Column("Frist", "due_on", "date"),
                    Column("Ärende", "subject"), Column("Regel", "rule_id"), Column("Vad", "why", width=70)]


def _finding_row(pack: CommitteePack, role: str, f: Finding) -> dict[str, Any]:
    return {"role": pack.role(role), "status": STATUS_SV[f.status], "status_key": f.status.value,
            "due_on": f.due_on, "subject": f.subject, "rule_id": f.rule_id,
            "rule_title": f.rule_title, "why": f.why, "escalated": f.escalated}


def tables(pack: CommitteePack) -> list[Table]:
    at = [_finding_row(pack, role, f) for role, fs in pack.at_meeting.items() for f in fs]
    back = [_finding_row(pack, f.recipients[0] if f.recipients else NO_ROLE, f) for f in pack.backlog]
    ic = [_finding_row(pack, f.recipients[0] if f.recipients else NO_ROLE, f)
          for f in pack.internal_control]
    ivo = [{"law": law, "list": name, "n": n} for law, per in pack.ivo["counts"].items()
           for name, n in per.items()]
    return [
        Table("Att behandla", _FINDING_COLUMNS, at),
        Table("Kvar sedan tidigare", _FINDING_COLUMNS, back),
        Table("Balanslistan", [Column("Rad", "row"), Column("Ärende", "matter", width=50),
                               Column("Ansvarig", "responsible"), Column("Återrapportering", "due_text"),
                               Column("B/MI", "kind"), Column("Status", "status"),
                               Column("Anmärkning", "note")], pack.balanslista),
        Table("Delegationsbeslut", [Column("Id", "id"), Column("Delegat", "delegate"),
                                    Column("Period", "period"),
                                    Column("Beslutstyper", "decision_types", width=50),
                                    Column("Redovisad", "reported_on", "date"),
                                    Column("Status", "status")], pack.delegation),
        Table("Internkontroll", _FINDING_COLUMNS, ic),
        Table("IVO-kvartalet", [Column("Lag", "law"), Column("Lista", "list"),
                                Column("Antal", "n", "int")], ivo),
    ]


def html(pack: CommitteePack) -> str:
    ev = pack.evaluation
    return document.render(
        "namnd.html.j2",
        title=f"Underlag till {pack.body} {document.sv_date(pack.meeting, long=True)}",
        subtitle=f"{pack.org_name} · sammanträde {pack.meeting.isoformat()}"
                 + (f" · förra sammanträdet {pack.previous.isoformat()}" if pack.previous else ""),
        footer=footer(ev), pack=pack, STATUS_SV=STATUS_SV,
        rows=lambda role, fs: [_finding_row(pack, role, f) for f in fs],
        role_of=lambda f: f.recipients[0] if f.recipients else NO_ROLE,
        ivo_lists={"not_executed": "Ej verkställda", "interrupted": "Avbrott",
                   "executed": "Verkställda efter rapport"},
        complaints_from=date.fromordinal(pack.complaints["from"]),
    )


def write_pack(pack: CommitteePack, out_dir: str | Path) -> list[Path]:
    """``<slug>.html``, ``<slug>.pdf`` and ``<slug>.xlsx`` in ``out_dir``."""
    out = Path(out_dir)
    text = html(pack)
    return [document.write_html(text, out / f"{pack.slug}.html"),
            document.write_pdf(text, out / f"{pack.slug}.pdf"),
            write_xlsx(tables(pack), out / f"{pack.slug}.xlsx",
                       notes=[("Sammanträde", pack.meeting), *run_notes(pack.evaluation)])]
