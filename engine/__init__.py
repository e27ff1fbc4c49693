"""bevaka engine: rules, evaluation, findings, audit log, IVO report and scheduling.

Public API::

    from datetime import date
    from facts import open_db, import_files
    from engine import load_config, evaluate, ivo_report

    config = load_config("config.toml")
    db = open_db(config.db_path)
    ev = evaluate(db, config, date(2024, 12, 31))
    for f in ev.findings:
        print(f.id, f.status, f.due_on, f.why)
"""

from engine.config import Config, ConfigError, load_config
from engine.evaluate import evaluate, load_ruleset
from engine.findings import Evaluation, Finding, Status
from engine.ivo import IvoReport, ivo_report, write_report

__all__ = [
    "Config",
    "ConfigError",
    "Evaluation",
    "Finding",
    "IvoReport",
    "Status",
    "evaluate",
    "ivo_report",
    "load_config",
    "load_ruleset",
    "write_report",
]
