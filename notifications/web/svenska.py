"""Datasette's own words in Swedish: filter operators, the description of a filtered view,
facet types, error pages and numbers. Datasette < 1.0 has no translations, so the web
view's templates (``templates/``) replace its English chrome and take these helpers as
template variables and filters (:mod:`notifications.web.plugin`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: Datasette's filter lookups (``kolumn__lookup=värde``) as the filter form shows them.
LOOKUPS = {
    "exact": "=", "not": "≠", "contains": "innehåller", "endswith": "slutar med",
    "startswith": "börjar med", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤",
    "like": "matchar mönstret", "notlike": "matchar inte mönstret", "glob": "matchar jokertecken",
    "in": "finns bland", "notin": "finns inte bland", "arraycontains": "listan innehåller",
    "arraynotcontains": "listan innehåller inte", "date": "datum är", "isnull": "saknas",
    "notnull": "finns", "isblank": "är tomt", "notblank": "är inte tomt",
}
FACET_TYPES = {"array": "lista", "date": "datum", "column": "kolumn"}

#: status → (heading, what it means and what to do)
ERRORS = {
    400: ("Felaktig begäran", "Adressen innehåller något som granskningsvyn inte tar emot. "
                              "Gå tillbaka till startsidan och välj en vy eller en färdig fråga."),
    403: ("Förbjudet", "Den här sidan visas inte: granskningsvyn visar bara vyerna och de färdiga "
                       "frågorna. Fritt SQL och tabellerna bakom vyerna är avstängda."),
    404: ("Hittades inte", "Sidan finns inte i granskningsvyn. Kontrollera adressen eller gå till "
                           "startsidan och välj en vy eller en färdig fråga."),
    405: ("Inte tillåtet", "Granskningsvyn är skrivskyddad: bara läsning."),
    500: ("Internt fel", "Ett fel i bevaka eller Datasette: sidan kunde inte visas. Rapportera "
                         "felet till den som driver granskningsvyn."),
}


def lookup(key: str) -> str:
    """The Swedish name of a filter lookup (its key when unknown)."""
    return LOOKUPS.get(key, key)


def _quoted(lookup_key: str, value: str) -> str:
    if lookup_key in ("isnull", "notnull", "isblank", "notblank"):
        return ""
    return f" {value}" if value.lstrip("-").isdigit() else f" ”{value}”"


def describe(selections: Iterable[tuple[str, str, str]], sort: str | None = None,
             sort_desc: str | None = None, search: str | None = None) -> str:
    """What a filtered, sorted view shows, in Swedish: ``där regel = ”x” och status = ”y”,
    sorterat efter frist`` (Datasette's ``human_description_en``)."""
    bits = [f"{column} {lookup(op)}{_quoted(op, value)}" for column, op, value in selections]
    if search:
        bits.insert(0, f"sökningen matchar ”{search}”")
    text = ""
    if bits:
        text = "där " + (", ".join(bits[:-1]) + " och " + bits[-1] if len(bits) > 1 else bits[0])
    if sort or sort_desc:
        order = f"sorterat efter {sort}" if sort else f"sorterat fallande efter {sort_desc}"
        text = f"{text}, {order}" if text else order
    return text


def heading(count: int | None, description: str) -> str:
    """A table page's heading: ``15 rader där regel = ”x”, sorterat efter frist``,
    ``186 rader, sorterat efter frist``."""
    text = rows(count) if count is not None else ""
    if description:
        text += (" " if description.startswith("där") else ", ") + description
    return text.lstrip(", ")


def rows(n: int | None) -> str:
    """``1 rad``, ``15 rader``, ``1 234 rader``."""
    if n is None:
        return "många rader"
    return f"{number(n)} {'rad' if n == 1 else 'rader'}"


def number(value: Any) -> str:
    """A number the Swedish way: a space between thousands, a decimal comma."""
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",")
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    return str(value)


def error(status: int) -> tuple[str, str]:
    """The heading and the explanation of an error page."""
    if status in ERRORS:
        return ERRORS[status]
    return ERRORS[500] if status >= 500 else ERRORS[400]


def query_error(message: str) -> str:
    """Why a canned query gave no result, in Swedish (Datasette's message is English)."""
    if "too long" in message or "interrupted" in message:
        return "frågan tog längre tid än tidsgränsen; begränsa den med parametrarna"
    return "ett internt fel i frågan; rapportera det till den som driver granskningsvyn"


TEMPLATE_VARS: dict[str, Any] = {"sv_lookup": lookup, "sv_describe": describe, "sv_rows": rows,
                                 "sv_heading": heading,
                                 "sv_error": error, "sv_query_error": query_error,
                                 "sv_facet_types": FACET_TYPES}
