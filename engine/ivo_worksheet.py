"""Individrapport worksheets: one row per reportable decision, in the order of IVO's e-tjänst
(Rapportuppgifter, Uppgifter om individen, Uppgifter om beslutet), ready to type in.

IVO's pseudo-identifier replaces the personnummer: the birth date and four characters,
``ÅÅÅÅMMDD-T`` and three digits (or ``-TF`` and two), where the third of the four characters
is even for a woman and odd for a man, and the same number is used for the person for as
long as the decision is reported (IVO: "Vanliga frågor om ej verkställda beslut"). bevaka
writes ``ÅÅÅÅMMDD-T`` + three digits: the free digits come from a hash of the organisation
and the case reference, so the number is the same every quarter; two decisions that would get
the same number in one worksheet get the next free one.

The birth date is read from the facts table only here (``decisions.birth_date``): it is in no
finding, why text, e-mail, log record or other report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from engine.ivo import LIST_SV, IvoReport

#: The worksheet's fields in the e-tjänst's order: (section, field, label).
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("Rapportuppgifter", "report_type", "Typ av rapport"),
    ("Rapportuppgifter", "quarter", "Kvartal"),
    ("Rapportuppgifter", "law", "Lag"),
    ("Rapportuppgifter", "area", "Verksamhetsområde"),
    ("Uppgifter om individen", "pseudo_id", "Personnummer (IVO:s format)"),
    ("Uppgifter om individen", "sex", "Kön"),
    ("Uppgifter om beslutet", "service", "Insats / bistånd"),
    ("Uppgifter om beslutet", "part", "Ej verkställd del"),
    ("Uppgifter om beslutet", "decided_on", "Beslutsdatum"),
    ("Uppgifter om beslutet", "interrupted_on", "Datum för avbrott"),
    ("Uppgifter om beslutet", "offers", "Erbjudanden (datum; tackat nej)"),
    ("Uppgifter om beslutet", "reason", "Orsak till dröjsmålet"),
    ("Uppgifter om beslutet", "lov", "Väntar på valt utförare (LOV)"),
    ("Uppgifter om beslutet", "executed_on", "Verkställt datum"),
    ("Uppgifter om beslutet", "closed_on", "Avslutat datum"),
    ("Uppgifter om beslutet", "closed_reason", "Avslutsorsak"),
    ("Kommunens uppgifter", "case_ref", "Ärende (kommunens, skickas inte)"),
    ("Kommunens uppgifter", "citation", "Lagrum"),
    ("Kommunens uppgifter", "missing", "Att komplettera"),
)

SEX_DIGITS = {"Kvinna": "02468", "Man": "13579"}


@dataclass
class Worksheet:
    quarter: str
    org: str
    as_of: str
    rows: list[dict[str, Any]]


def _digits(org: str, case_ref: str, attempt: int, sex: str) -> str:
    h = hashlib.sha256(f"{org}\n{case_ref}\n{attempt}".encode()).digest()
    return f"{h[0] % 10}{SEX_DIGITS[sex][h[1] % 5]}{h[2] % 10}"


def pseudo_id(birth_date: str | None, sex: str | None, org: str, case_ref: str,
              taken: set[str] | None = None) -> str | None:
    """IVO's pseudo-identifier ``ÅÅÅÅMMDD-T`` + three digits, the middle one even for a
    woman and odd for a man; None without a birth date or with a sex other than Kvinna/Man.
    ``taken``: numbers already used in the worksheet (the next free one is chosen)."""
    if not birth_date or sex not in SEX_DIGITS:
        return None
    stem = birth_date.replace("-", "")
    for attempt in range(1000):
        candidate = f"{stem}-T{_digits(org, case_ref, attempt, sex)}"
        if taken is None or candidate not in taken:
            if taken is not None:
                taken.add(candidate)
            return candidate
    raise ValueError(f"inget ledigt IVO-nummer för {stem}")  # 500 people born the same day


def report_type(row: dict[str, Any], quarter_start: str) -> str:
    if row["category"] in ("executed", "partial_executed"):
        return "Verkställt (avslutande rapport)"
    if row["category"] == "closed":
        return "Avslutat av annan anledning (avslutande rapport)"
    first = (row["due_on"] or "") >= quarter_start
    kind = {"interrupted": "avbrott", "partial": "delvis ej verkställt"}.get(row["category"],
                                                                             "ej verkställt")
    return f"Ny rapport, {kind}" if first else f"Återrapportering, {kind}"


def _offers_text(offers: list[dict[str, Any]]) -> str:
    parts = []
    for o in offers:
        text = o["offered_on"] + (f" {o['offer']}" if o.get("offer") else "")
        text += f"; tackat nej {o['declined_on']}" if o.get("declined_on") else ""
        parts.append(text)
    return " | ".join(parts)


def worksheet(rep: IvoReport) -> Worksheet:
    """The individrapport worksheet for the quarter's snapshot (every listed row)."""
    taken: set[str] = set()
    out = []
    for r in sorted(rep.rows, key=lambda r: (r["subject"], r["ref"])):
        pid = pseudo_id(r.get("birth_date"), r.get("sex"), rep.org, r["subject"], taken)
        missing = [what for what, ok in (("födelsedatum", r.get("birth_date")),
                                         ("kön (Kvinna eller Man)", r.get("sex") in SEX_DIGITS),
                                         ("orsak till dröjsmålet", r.get("reason")
                                          or r["category"] in ("executed", "closed"))) if not ok]
        done_executed = r["done_on"] if r["category"] in ("executed", "partial_executed") else None
        out.append({
            "report_type": report_type(r, rep.start.isoformat()), "quarter": rep.quarter,
            "law": r["law"], "area": r.get("area") or "", "pseudo_id": pid or "",
            "sex": r.get("sex") or "", "service": r.get("service") or "", "part": r.get("part") or "",
            "decided_on": r.get("decided_on") or "", "interrupted_on": r.get("interrupted_on") or "",
            "offers": _offers_text(r.get("offers", [])), "reason": r.get("reason") or "",
            "lov": f"Ja, sedan {r['lov_wait_from']}" if r.get("lov") else "",
            "executed_on": done_executed or "",
            "closed_on": r.get("closed_on") or "", "closed_reason": r.get("closed_reason") or "",
            "case_ref": r["ref"], "citation": r["citation"], "missing": ", ".join(missing),
            "category_sv": LIST_SV.get(r["category"], r["category"]),
        })
    return Worksheet(rep.quarter, rep.org, rep.as_of.isoformat(), out)
