"""``bevaka init``: a commented config.toml and an empty database for a new installation."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from bevaka.schema import open_database
from engine.config import load_config
from facts.errors import UserError
from facts.orgs import DEFAULT_ORG, check_org


class InitError(UserError):
    """The folder is missing, or a config.toml is already there."""


@dataclass
class Installation:
    config: Path
    database: Path


def config_template(org: str = DEFAULT_ORG) -> str:
    """The commented config.toml that ``bevaka init`` writes, for organisation ``org``."""
    text = resources.files("bevaka").joinpath("templates/config.toml").read_text(encoding="utf-8")
    return Template(text).substitute(org=check_org(org))


def init(folder: str | Path, org: str = DEFAULT_ORG, force: bool = False) -> Installation:
    """Write ``folder/config.toml`` (refusing to overwrite one unless ``force``) and create the
    database it names. The folder must exist."""
    root = Path(folder)
    if not root.is_dir():
        raise InitError(f"{root}: mappen finns inte; skapa den först")
    target = root / "config.toml"
    if target.exists() and not force:
        raise InitError(f"{target}: finns redan; ta bort den eller använd --force")
    target.write_text(config_template(org), encoding="utf-8")
    config = load_config(target)
    open_database(config.db_path, create=True).close()
    return Installation(target, config.db_path)
