"""bevaka engine: rules, evaluation, findings, audit log, IVO report and scheduling.

Public API (most callers use the application object ``bevaka.Bevaka``, which wires this
package to the facts store and the notifications)::

    from datetime import date
    from bevaka import open_database
    from engine import load_config, evaluate

    config = load_config("config.toml")
    ev = evaluate(open_database(config.db_path), config, date(2024, 12, 31))
    for f in ev.findings:
        print(f.id, f.status, f.due_on, f.why)
"""

from engine.config import Config, ConfigError, load_config
from engine.evaluate import evaluate, load_ruleset
from engine.findings import Evaluation, Finding, Status
from engine.ivo import IvoReport, ivo_report

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
]
