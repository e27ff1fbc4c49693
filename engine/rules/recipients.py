"""Who a finding goes to: ``finding.recipients`` and ``finding.escalate.to``.

Each entry is one of

* ``role:enhetschef``: a role key, declared in the pack's ``pack.yaml`` (``roles:``) or in the
  installation's ``[roles]``;
* ``officer``: a text field of the fact, a text parameter or a derived text value, whose value
  (a role key or an e-mail address) is used; an empty value adds nobody;
* ``namn@kommun.se``: an e-mail address.

Anything else is an error when the rule is loaded, so a misspelt field can no longer turn
into a role key nobody has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.rules.valuetypes import suggest

ROLE_PREFIX = "role:"
ROLE_KEY = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Recipient:
    kind: str  # "role", "field" or "address"
    value: str  # the role key, the field name or the address


class RecipientError(ValueError):
    def __init__(self, message: str, offset: int = 0):
        self.offset = offset  # where in the entry the problem is
        super().__init__(message)


def parse_recipient(entry: str, scope: Mapping[str, str], roles: Iterable[str]) -> Recipient:
    """The recipient ``entry`` names, checked against the rule's names and the known roles."""
    known = set(roles)
    if entry.startswith(ROLE_PREFIX):
        key = entry[len(ROLE_PREFIX):]
        if key not in known:
            where = ("; deklarera den under roles: i pack.yaml (eller [roles] i config.toml)"
                     if ROLE_KEY.fullmatch(key)
                     else "; en rollnyckel skrivs med små bokstäver, siffror och _")
            raise RecipientError(f"okänd roll {key!r}{suggest(key, known) or where}", len(ROLE_PREFIX))
        return Recipient("role", key)
    if "@" in entry:
        return Recipient("address", entry)
    if entry in scope:
        if scope[entry] not in ("str", "any", "null"):
            raise RecipientError(f"mottagarfältet {entry!r} är inte text")
        return Recipient("field", entry)
    if entry in known:
        raise RecipientError(f"okänt fält {entry!r}; menar du rollen, skriv role:{entry}")
    fields = [k for k, t in scope.items() if t in ("str", "any")]
    hint = (suggest(entry, fields) or suggest(entry, [ROLE_PREFIX + k for k in known])
            or " (en roll skrivs role:nyckel)")
    raise RecipientError(f"okänt fält {entry!r}{hint}")


def resolve(recipients: Iterable[Recipient], env: Mapping[str, Any],
            into: list[str] | None = None) -> list[str]:
    """The role keys and addresses for one finding, in order, without duplicates: a field's
    value (a role key or an address; empty adds nobody), or the role key or address itself."""
    out = [] if into is None else into
    for r in recipients:
        value = env.get(r.value) if r.kind == "field" else r.value
        if value and str(value) not in out:
            out.append(str(value))
    return out
