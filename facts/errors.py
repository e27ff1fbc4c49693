"""The one base class for mistakes a user can fix (a bad file, an unknown id, a broken rule).

Every package's user-facing errors derive from :class:`UserError`; the command line prints
them as one line and exits 1. Anything else that escapes is a fault in bevaka itself and is
reported as such (with the traceback written to a file), never dressed up as a user error.
"""

from __future__ import annotations


class UserError(ValueError):
    """A mistake the user can correct; ``str(err)`` is one line (or one line per problem)."""
