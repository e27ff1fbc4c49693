"""Where the shipped rule library is: the data package ``bevaka_rules`` (the checkout's
``rules/`` folder, installed with the package), found the same way in a wheel and in an
editable install."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_packs_dir() -> Path:
    """The folder holding the shipped packs (``<pack>/pack.yaml`` + rule files)."""
    return Path(str(resources.files("bevaka_rules")))
