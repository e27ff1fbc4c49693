"""The rule library ships with the package: the built wheel, installed in a fresh virtualenv,
works from an empty folder with no config.toml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"bevaka": "bevaka", "engine": "engine", "facts": "facts",
            "notifications": "notifications", "rules": "bevaka_rules"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Build from the files git tracks, copied elsewhere: what CI's clean clone would build,
    # and no build/ folder left in the checkout.
    src = tmp_path_factory.mktemp("src")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout.split()
    for name in tracked:
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(out), str(src)], check=True, capture_output=True)
    (found,) = out.glob("bevaka-*.whl")
    return found


def test_the_wheel_holds_every_module_pack_and_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    wanted = {PACKAGES[p.split("/")[0]] + "/" + p.split("/", 1)[1] for p in tracked
              if p.endswith((".py", ".yaml", ".j2", ".toml"))}
    assert wanted and not wanted - names, sorted(wanted - names)


def test_import_and_ivo_report_from_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, text=True, timeout=900)
    work = tmp_path / "tom"
    work.mkdir()
    (work / "beslut.csv").write_bytes((ROOT / "examples" / "beslut-2024.csv").read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEVAKA_")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    bevaka = str(env_dir / "bin" / "bevaka")
    imported = subprocess.run([bevaka, "import", "beslut.csv"], cwd=work, env=env,
                              capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    report = subprocess.run([bevaka, "report", "ivo", "--quarter", "2024Q4", "--json"], cwd=work,
                            env=env, capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["quarter"] == "2024Q4" and data["SoL"]["not_executed"]
    assert (work / "bevaka.db").exists() and not (work / "config.toml").exists()
    rules = subprocess.run([bevaka, "rules", "list", "--json"], cwd=work, env=env,
                           capture_output=True, text=True)
    assert all("site-packages/bevaka_rules/" in r["file"] for r in json.loads(rules.stdout))
