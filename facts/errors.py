"""The one base class for mistakes a user can fix (a bad file, an unknown id, a broken rule).

Every package's user-facing errors derive from :class:`UserError`; the command line prints
them as one line and exits 1. Anything else that escapes is a fault in bevaka itself and is
reported as such (with the traceback written to a file), never dressed up as a user error.

A message never repeats a personnummer: a cell quoted in an error (``'121212-1212' är ingen
lag``) has it replaced by ``<personnummer>`` before the message exists, so stderr, ``--json``
and logs cannot carry one.
"""

from __future__ import annotations

from facts.personnummer import replace_personnummer


class UserError(ValueError):
    """A mistake the user can correct; ``str(err)`` is one line (or one line per problem)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(replace_personnummer(a) if isinstance(a, str) else a for a in args))
