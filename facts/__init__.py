"""bevaka facts: models, register readers and the SQLite facts store.

Public API::

    from facts import open_db, import_files
    db = open_db("bevaka.db")
    report = import_files(db, ["beslut.xlsx"], kind="decisions")
"""

# Domain modules register their fact types first, so the store creates their tables.
# (one import line per facts/kinds_*.py module; keep them above facts.store)
from facts import kinds_agreement  # noqa: F401  # isort: skip
from facts import kinds_registers  # noqa: F401  # isort: skip
from facts import kinds_control  # noqa: F401
from facts.dates import DateParseError, parse_date
from facts.importer import FactImportError, ImportReport, import_files
from facts.store import load_facts, open_db, snapshot_hash
from facts.types import FACT_TYPES, FactType, fact_type

__all__ = [
    "FACT_TYPES",
    "DateParseError",
    "FactImportError",
    "FactType",
    "ImportReport",
    "fact_type",
    "import_files",
    "load_facts",
    "open_db",
    "parse_date",
    "snapshot_hash",
]
