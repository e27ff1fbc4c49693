"""Sizes of the reliability trials: small in ``make test``, the campaign's full size with
``BEVAKA_RELIABILITY=full`` (``make reliability``). Each trial prints its figure."""

from __future__ import annotations

import os

FULL = os.environ.get("BEVAKA_RELIABILITY") == "full"


def size(ci: int, full: int) -> int:
    return full if FULL else ci


def report(name: str, trials: int, failures: int, **more: object) -> None:
    extra = "".join(f", {k} {v}" for k, v in more.items())
    print(f"\n[reliability] {name}: {trials} trials, {failures} failures{extra}")
