"""Errors of the rule language that are not about one file's syntax."""

from __future__ import annotations


class EvalError(ValueError):
    """An expression could not be evaluated (an unknown name at run time, a bad comparison …)."""
