"""The ``bevaka`` command line (see :mod:`bevaka.cli.main`)."""

from bevaka.cli.main import cli, main

__all__ = ["cli", "main"]
