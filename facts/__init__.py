"""bevaka facts: models, register readers and the SQLite facts store.

Public API (a database is opened with ``bevaka.open_database``, which applies every
package's schema)::

    from bevaka import open_database
    from facts import import_files
    report = import_files(open_database("bevaka.db", create=True), ["beslut.xlsx"])
"""

# Domain modules register their fact types first, so the store creates their tables.
# (one import line per facts/kinds_*.py module; keep them above facts.store)
# The order is the order of FACT_TYPES (import guessing breaks ties by it, snapshot_hash reads it).
from facts import kinds_agreement  # noqa: F401  # isort: skip
from facts import kinds_quality  # noqa: F401  # isort: skip
from facts import kinds_complaints  # noqa: F401  # isort: skip
from facts import kinds_balanslista  # noqa: F401  # isort: skip
from facts import kinds_registers  # noqa: F401  # isort: skip
from facts import kinds_control  # noqa: F401  # isort: skip
from facts import kinds_ivo  # noqa: F401  # isort: skip
from facts import kinds_health  # noqa: F401  # isort: skip
from facts.dates import DateParseError, parse_date
from facts.errors import UserError
from facts.importer import FactImportError, ImportReport, import_files
from facts.orgs import DEFAULT_ORG, OrgError, check_org
from facts.retract import retract_one
from facts.store import load_facts, organisations, snapshot_hash
from facts.types import FACT_TYPES, FactType, fact_type

__all__ = [
    "DEFAULT_ORG",
    "OrgError",
    "check_org",
    "organisations",
    "FACT_TYPES",
    "DateParseError",
    "FactImportError",
    "FactType",
    "ImportReport",
    "UserError",
    "fact_type",
    "import_files",
    "load_facts",
    "parse_date",
    "retract_one",
    "snapshot_hash",
]
