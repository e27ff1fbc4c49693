"""The demo's database, built through the API as ``make demo`` builds it (both organisations,
a logged check of each and the daily job as a dry run), for the tests of the outbound views."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import EXAMPLES, ROOT

from bevaka import Bevaka

CONFIG = ROOT / "config.toml"
NYKOPING = ["beslut-2024.xlsx", "nykoping-2024.yaml", "nykoping-2026.yaml", "inlamnade-2024.csv"]
OXELOSUND = ["oxelosund-moten.yaml", "balanslista-2023-12-13.yaml", "internkontroll-2024.xlsx",
             "kontrollresultat-2024.csv", "utredningar-bou-2024.csv", "klagomal-2024.csv",
             "avtal-aterkommande.yaml"]
AS_OF = date(2024, 12, 31)


def build_demo(folder: Path) -> Path:
    """The demo database in ``folder``; returns its path."""
    path = folder / "bevaka.db"
    with Bevaka.from_files(config=CONFIG, db=path) as app:
        app.import_files([EXAMPLES / n for n in NYKOPING], org="nykoping/von")
        app.check(AS_OF, org="nykoping/von")
        app.import_files([EXAMPLES / n for n in OXELOSUND], org="oxelosund/von")
        app.check(date(2024, 6, 30), org="oxelosund/von")
        app.notify(AS_OF, dry_run=True, out_dir=folder / "eml")
    return path
