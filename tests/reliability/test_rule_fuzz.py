"""Mutated rule files: ``bevaka rules validate`` and then ``bevaka check`` never give a traceback.

Each trial mutates one shipped rule file (``rules/<pack>/*.yaml``, fixed seed; the classes are
in ``rule_mutations.py``), puts it alone in a copy of its pack and runs ``bevaka rules
validate --json`` through click's CliRunner (every 50th trial also as a real process). A file
that is refused must be refused with problems that are each one line naming the file and its
line; a file that validates is then checked (``bevaka check --json``) on the example data, where
a rule that fails on the data must fail alone (exit 3, the rule named), never the command.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rule_mutations import MUTATORS
from trials import report, size

from bevaka import Bevaka
from bevaka.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"
SEED = 8
AS_OF = "2024-12-31"
# English words that show a message was not written for a person (a Python or pydantic text)
ENGLISH = re.compile(r"Traceback|Error\b|object has no attribute|unsupported operand|"
                     r"Input should|Field required|not supported between|is not defined")
FACTS = {"nykoping/von": ["beslut-2024.xlsx", "nykoping-2024.yaml", "nykoping-2026.yaml",
                          "inlamnade-2024.csv", "ivo-handelser-2024.yaml",
                          "ivo-rapporteringsperioder.yaml", "avtal-aterkommande.yaml",
                          "investeringar.csv", "korttid-2026.csv", "kvalitetsregister-2024.csv",
                          "tomma-lagenheter-2024.csv"],
         "oxelosund/von": ["oxelosund-moten.yaml", "balanslista-2023-12-13.yaml",
                           "internkontroll-2024.xlsx", "kontrollresultat-2024.csv",
                           "utredningar-bou-2024.csv", "klagomal-2024.csv",
                           "oxelosund-skyldigheter.yaml", "sammantraden-oxelosund-2024.csv"]}


def _rule_files() -> list[Path]:
    return sorted(p for p in RULES.glob("*/*.yaml") if p.name != "pack.yaml")


def _config(folder: Path, rules: Path) -> Path:
    """The shipped config.toml with the shipped library replaced by the trial's folder."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace("shipped = true", "shipped = false", 1)
    text = text.replace("local = []", f'local = ["{rules.as_posix()}"]', 1)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def facts_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-facts")
    path = folder / "bevaka.db"
    with Bevaka.from_files(config=ROOT / "config.toml", db=path) as app:
        for org, names in FACTS.items():
            app.import_files([EXAMPLES / n for n in names], org=org)
    return path


def _problems_ok(problems: list[str], files: set[str]) -> list[str]:
    """The problems that are not one line naming a trial file and a line."""
    bad = []
    for p in problems:
        named = any(p.startswith(f"{f}:") and re.match(r"\d+\b", p[len(f) + 1:]) for f in files)
        if "\n" in p or not named or ENGLISH.search(p):
            bad.append(p)
    return bad


def _trial(i: int, folder: Path, db: Path, runner: CliRunner) -> tuple[str, str, str]:
    """(mutation, outcome, detail): outcome is refused, checked, rule_failed or a failure."""
    rng = random.Random(SEED * 1_000_003 + i)
    names = sorted(MUTATORS)
    kind = names[i % len(names)]
    source = rng.choice(_rule_files())
    files = MUTATORS[kind](rng, source.name, source.read_text(encoding="utf-8"))
    pack = folder / "rules" / source.parent.name
    pack.mkdir(parents=True)
    shutil.copy(source.parent / "pack.yaml", pack / "pack.yaml")
    for name, raw in files.items():
        (pack / name).write_bytes(raw)
    paths = {str(pack / n) for n in files} | {str(pack / "pack.yaml")}
    config = _config(folder, folder / "rules")
    args = ["--config", str(config), "--db", str(folder / "bevaka.db")]
    result = runner.invoke(cli, [*args, "rules", "validate", "--json"])
    if result.exit_code not in (0, 1) or not result.stdout.strip().startswith("{"):
        return kind, "validate_crash", f"{source.name}: exit {result.exit_code}: {result.output[-600:]}"
    verdict = json.loads(result.stdout)
    if i % 50 == 0:  # the same through a real process: what the operator sees on stderr
        proc = subprocess.run([sys.executable, "-m", "bevaka.cli", *args, "rules", "validate"],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        if proc.returncode not in (0, 1) or "Traceback" in proc.stderr or "Internt fel" in proc.stderr:
            return kind, "validate_crash", f"{source.name}: process: {proc.stderr[-600:]}"
    if not verdict["ok"]:
        bad = _problems_ok(verdict["problems"], paths)
        if bad or not verdict["problems"]:
            return kind, "bad_message", f"{source.name}: {bad or 'no problem given'}"
        return kind, "refused", ""
    shutil.copy(db, folder / "bevaka.db")
    result = runner.invoke(cli, [*args, "check", "--as-of", AS_OF, "--json"])
    if result.exit_code not in (0, 3) or "Internt fel" in result.output:
        return kind, "check_crash", f"{source.name}: exit {result.exit_code}: {result.output[-600:]}"
    if result.exit_code == 3:  # the rule failed alone: named, with a reason in Swedish
        named = [x for x in result.stderr.splitlines() if x.startswith("Regeln ")]
        if not named or any("internt fel" in x or ENGLISH.search(x) for x in named):
            return kind, "bad_rule_failure", f"{source.name}: {result.stderr[-600:]}"
        return kind, "rule_failed", ""
    return kind, "checked", ""


def test_mutated_rule_files_never_give_a_traceback(facts_db: Path, tmp_path: Path) -> None:
    trials = size(300, 2000)
    runner = CliRunner()
    outcomes: Counter[str] = Counter()
    per_kind: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    for i in range(trials):
        kind, outcome, detail = _trial(i, tmp_path / f"t{i}", facts_db, runner)
        outcomes[outcome] += 1
        per_kind[kind, outcome] += 1
        if detail:
            failures.append(f"trial {i} ({kind}, {outcome}): {detail}")
    report("rule fuzz", trials, len(failures), **dict(sorted(outcomes.items())))
    for f in failures[:40]:
        print(f)
    assert not failures, f"{len(failures)} of {trials} mutated rule files failed badly"
