"""bevaka: keeps watch over the deadlines of Swedish municipal social care.

The application package is the composition root above ``facts``, ``engine`` and
``notifications``: :class:`Bevaka` does everything the command line (``bevaka.cli``) and the
service (``bevaka.scheduling``) do, and :func:`open_database` is the one way to open a
database with every package's schema.

Example::

    from datetime import date
    from bevaka import Bevaka

    app = Bevaka.from_files("config.toml")
    app.import_files(["examples/beslut-2024.xlsx"])
    for f in app.check(date(2024, 9, 30)).findings:
        print(f.id, f.status, f.due_on, f.why)
"""

from bevaka.app import Bevaka
from bevaka.schema import DatabaseError, open_database

__all__ = ["Bevaka", "DatabaseError", "open_database"]
