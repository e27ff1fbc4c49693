"""The committee's follow-up list (*balanslista*, Oxelösund VON, catalogue F23).

* ``balanslista_item`` — one row of the list on a list date, with its due value ("Uppdrag
  klart/återrapportering") parsed by :mod:`facts.due_values`.

A balanslista item's ``responsible`` is kept as written, and becomes a reminder recipient
only when it is a role key written in lower case (``ekonom``); a name (``Anna Svensson``,
``HR``) never does. The task text is kept for the register but never printed by a *why*
text, so it never reaches a reminder.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import field_validator

from facts.dates import DateParseError, parse_date
from facts.due_values import DueValueError, parse_due
from facts.fields import Date, OptDate, OptRoleOrEmail, OptStr, Text, blank_to_none, derive, header
from facts.models import Fact
from facts.types import FactType, register

_DUE_FIELDS = ("due_kind", "due_from", "due_to", "due_cadence", "due_months")
_ROLE_AS_WRITTEN = re.compile(r"^[a-zåäö][a-zåäö0-9_.-]*$")
_DATE_TOKEN = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{8}|\d{6}")


class MatterKind(StrEnum):
    B = "B"  # beslutsärende med tjänsteskrivelse
    MI = "MI"  # muntlig information


class BalanslistaItem(Fact):
    """One row of the committee's balanslista (follow-up list) on a list date. Catalogue F23.

    ``due_text`` is kept as written; ``due_kind``, ``due_from``/``due_to`` (absolute),
    ``due_cadence`` and ``due_months`` (recurring) are parsed from it at import.
    """

    list_date: Date = header("Listdatum", "Balanslistans datum", "Balanslista")
    row: Text = header("Rad", "Punkt")
    matter: Text = header("Ärendemening", "Ärendemening / ärendenummer",
                          "Ärendemening/ärendenummer")
    responsible: OptStr = header("Ansvarig", default=None)
    responsible_role: OptRoleOrEmail = header("Ansvarig roll", "Rollnyckel", default=None)
    decided_text: OptStr = header("Beslutsdatum som skrivet", default=None)
    decided_on: OptDate = header("Beslutsdatum", "Beslutsdatum och §", default=None)
    task: OptStr = header("Uppdrag/sammanfattning", "Uppdrag / sammanfattning", "Uppdrag",
                          default=None)
    kind: MatterKind | None = header("B/MI", default=None)
    due_text: str = header("Uppdrag klart/återrapportering", "Uppdrag klart/åter-rapportering",
                           "Återrapportering", "Uppdrag klart")
    due_kind: str = ""
    due_from: OptDate = None
    due_to: OptDate = None
    due_cadence: OptStr = None
    due_months: OptStr = None
    reported_on: OptDate = header("Återrapporterad", "Redovisad", "Senast redovisad", default=None)

    @derive
    def _derived(cls, data: dict[str, Any]) -> dict[str, Any]:
        for name in _DUE_FIELDS:
            if blank_to_none(data.get(name)) is not None:
                raise ValueError(f"{name} räknas fram ur återrapporteringen och ska inte anges")
        # Responsible: a role key only when written as one (lower case, no spaces).
        resp = blank_to_none(data.get("responsible"))
        if blank_to_none(data.get("responsible_role")) is None:
            data["responsible_role"] = (
                resp if isinstance(resp, str) and _ROLE_AS_WRITTEN.match(resp) else None
            )
        # Decision date: may list several dates ("2017-05-30 2019-03-26", "2023-11-21 § 45").
        raw = data.get("decided_on")
        if isinstance(raw, str) and raw.strip():
            tokens = _DATE_TOKEN.findall(raw)
            try:
                dates = [parse_date(t) for t in tokens]
            except DateParseError:
                dates = []
            if tokens and dates and all(dates):
                data["decided_text"] = " ".join(raw.split())
                data["decided_on"] = max(d for d in dates if d)
            # otherwise the field validator rejects the text with its column
        elif isinstance(raw, date):
            data.setdefault("decided_text", raw.isoformat())
        # Due value: parsed here; an unreadable one is rejected by the field validator.
        text = data.get("due_text")
        if isinstance(text, str):
            try:
                due = parse_due(text)
            except DueValueError:
                return data
            data["due_kind"] = due.kind
            data["due_from"] = due.start
            data["due_to"] = due.end
            data["due_cadence"] = due.cadence
            data["due_months"] = ",".join(str(m) for m in due.months) or None
        return data

    @field_validator("kind", mode="before")
    @classmethod
    def _matter_kind(cls, v: Any) -> Any:
        kind = str(v or "").strip().upper().rstrip("/").strip()
        if not kind:
            return None
        if kind not in ("B", "MI"):
            raise ValueError(f"{v!r} är varken B (beslutsärende) eller MI (muntlig information)")
        return kind

    @field_validator("due_text", mode="before")
    @classmethod
    def _due(cls, v: Any) -> Any:
        text = "" if v is None else str(v)
        try:
            parse_due(text)
        except DueValueError as exc:
            raise ValueError(str(exc)) from None
        return " ".join(text.split())


BALANSLISTA_ITEM = register(FactType(
    "balanslista_item", BalanslistaItem, table="balanslista_items", key=("list_date", "row"),
    title_sv="Balanslistepunkt", dated_by="list_date", numbered_by="row"))
