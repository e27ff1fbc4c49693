"""Organisations: every fact belongs to one, written ``kommun/nämnd`` (``oxelosund/von``).

A kommun's committee (nämnd) is the unit whose meetings, plans and registers decide its
deadlines; two organisations never see each other's facts in a rule.
"""

from __future__ import annotations

import re

from facts.errors import UserError

DEFAULT_ORG = "kommun/von"
_ORG = re.compile(r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")


class OrgError(UserError):
    """An organisation that is not written ``kommun/nämnd``."""


def check_org(value: object) -> str:
    """``value`` as an organisation key, or :class:`OrgError` saying how to write one."""
    text = str(value or "").strip()
    if not _ORG.match(text):
        raise OrgError(
            f"{text!r} är ingen organisation; skriv kommun/nämnd med små bokstäver utan "
            "å, ä, ö, t.ex. oxelosund/von")
    return text
