"""The rule library: shipped packs by default, local packs added, packs switched off by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import RULES_DIR, Bevaka

from engine.config import load_config
from engine.rules.library import shipped_packs_dir

LOCAL_RULE = (RULES_DIR / "ivo" / "ej-verkstallt.yaml").read_text(encoding="utf-8").replace(
    "id: ivo.ej-verkstallt", "id: lokal.ej-verkstallt")


def _local_pack(root: Path) -> Path:
    pack = root / "lokala" / "lokal"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: lokal\ntitle: Egna regler\nroles: {enhetschef: Enhetschef}\n",
                                    encoding="utf-8")
    (pack / "ej-verkstallt.yaml").write_text(LOCAL_RULE, encoding="utf-8")
    return root / "lokala"


def _ids(bevaka: Bevaka, config: Path) -> set[str]:
    rows = json.loads(bevaka.ok("rules", "list", "--json", config=config).output)
    return {r["id"] for r in rows}


def test_without_config_the_shipped_packs_are_used(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.toml here
    monkeypatch.delenv("BEVAKA_CONFIG", raising=False)
    assert load_config(None).rule_sources == [shipped_packs_dir()]
    assert {p.name for p in shipped_packs_dir().iterdir() if p.is_dir() and p.name[0] != "_"} >= {
        "ivo", "avtal", "internkontroll"}


def test_local_packs_are_added_and_shipped_ones_switched_off(bevaka: Bevaka) -> None:
    local = _local_pack(bevaka.tmp)
    config = bevaka.tmp / "lokal.toml"
    config.write_text(f'[rules]\nlocal = ["{local.as_posix()}"]\ndisable = ["avtal", "lex"]\n',
                      encoding="utf-8")
    ids = _ids(bevaka, config)
    assert "lokal.ej-verkstallt" in ids and "ivo.ej-verkstallt" in ids
    assert not any(i.startswith(("avtal.", "lex.")) for i in ids)


def test_a_pack_name_given_twice_is_an_error_until_one_is_switched_off(bevaka: Bevaka) -> None:
    twice = bevaka.tmp / "twice"
    shutil.copytree(RULES_DIR / "ivo", twice / "ivo")
    config = bevaka.tmp / "twice.toml"
    config.write_text(f'[rules]\nlocal = ["{twice.as_posix()}"]\n', encoding="utf-8")
    result = bevaka.run("rules", "validate", config=config)
    assert result.exit_code == 1
    assert "paketet 'ivo' finns redan" in result.output and 'disable = ["ivo"]' in result.output
    shipped_off = bevaka.tmp / "off.toml"
    shipped_off.write_text(f'[rules]\nshipped = false\nlocal = ["{twice.as_posix()}"]\n',
                           encoding="utf-8")
    assert _ids(bevaka, shipped_off) == {
        "ivo.ej-verkstallt", "ivo.avbrott", "ivo.avbrott-historik", "ivo.delvis-verkstallt",
        "ivo.rapporteringsperiod", "ivo.rapporteringsperiod-oppen"}
