"""Files and processes: what bevaka creates is private, ``--out`` writes only where it is told
and never through a link, ``notify --out`` does not send, a mistyped database path is not
created, and processes opening a new database at once all succeed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import EXAMPLES, RULES_DIR
from smtp_server import SmtpServer, smtp_server  # noqa: F401
from trials import report, size

from bevaka.cli import cli

BEVAKA = Path(sys.executable).with_name("bevaka")
OPENER = Path(__file__).with_name("opener_child.py")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(
        f'[rules]\ndir = "{RULES_DIR.as_posix()}"\n[roles]\nenhetschef = "ec@kommun.example"\n'
        'bistand_ao = "ao@kommun.example"\n[smtp]\nhost = "127.0.0.1"\nport = 9\n'
        '[notify]\ndry_run_dir = "utkorg"\n', encoding="utf-8")
    return tmp_path


def _run(site: Path, *args: str) -> Result:
    base = ["--db", str(site / "b.db"), "--config", str(site / "config.toml")]
    return CliRunner().invoke(cli, [*base, *args])


def _imported(site: Path) -> Path:
    assert _run(site, "import", str(EXAMPLES / "beslut-2024.csv")).exit_code == 0
    return site


def _one_line_error(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Fel: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


# ---- 0600 / 0700 ---------------------------------------------------------------------------


def test_the_bevaka_command_creates_its_files_for_its_owner_only(site: Path) -> None:
    """The real command, started with the usual umask 022: the database, its -wal/-shm, the
    report folder and its files are the owner's only (the umask set in ``main``)."""
    env = {**os.environ, "BEVAKA_DB": str(site / "b.db"),
           "BEVAKA_CONFIG": str(site / "config.toml")}
    old = os.umask(0o022)
    try:
        for args in (["import", str(EXAMPLES / "beslut-2024.csv")],
                     ["report", "ivo", "--quarter", "2024Q4", "--out", str(site / "rapporter")]):
            done = subprocess.run([str(BEVAKA), *args], env=env, capture_output=True, text=True,
                                  timeout=120, check=False)
            assert done.returncode == 0, done.stderr
    finally:
        os.umask(old)
    created = [p for p in site.iterdir() if p.name.startswith("b.db")]
    assert created and {_mode(p) for p in created} == {0o600}, created
    assert _mode(site / "rapporter") == 0o700
    reports = list((site / "rapporter").iterdir())
    assert len(reports) >= 2 and {_mode(p) for p in reports} == {0o600}
    assert not [p for p in reports if p.name.startswith(".bevaka-")]  # no staging folder left


def test_files_are_private_even_under_a_permissive_umask(site: Path) -> None:
    """Through the Python API (no ``main``, umask 022): explicit modes where files are made."""
    old = os.umask(0o022)
    try:
        _imported(site)
        assert _run(site, "notify", "--as-of", "2024-12-31", "--dry-run",
                    "--out", str(site / "eml")).exit_code == 0
        assert _run(site, "check", "--as-of", "2024-12-31", "--format", "xlsx",
                    "--out", str(site / "lista.xlsx")).exit_code == 0
        assert _run(site, "report", "kf", "--quarter", "2024Q4",
                    "--out", str(site / "kf")).exit_code == 0
        assert _run(site, "ics", "--role", "bistand_ao",
                    "--out", str(site / "ao.ics")).exit_code == 0
    finally:
        os.umask(old)
    assert _mode(site / "b.db") == 0o600
    assert _mode(site / "eml") == 0o700 and _mode(site / "kf") == 0o700
    files = [*(site / "eml").iterdir(), *(site / "kf").iterdir(), site / "lista.xlsx",
             site / "ao.ics"]
    assert len(files) >= 4 and {_mode(p) for p in files} == {0o600}, files


# ---- --out and links -----------------------------------------------------------------------


def test_report_out_refuses_a_link_in_the_target_folder(site: Path) -> None:
    _imported(site)
    victim = site / "viktig.txt"
    victim.write_text("orörd\n", encoding="utf-8")
    (site / "rapporter").mkdir()
    (site / "rapporter" / "ivo-2024Q4.csv").symlink_to(victim)
    result = _run(site, "report", "ivo", "--quarter", "2024Q4", "--out", str(site / "rapporter"))
    _one_line_error(result, "ivo-2024Q4.csv", "symbolisk länk")
    assert victim.read_text(encoding="utf-8") == "orörd\n"
    assert sorted(p.name for p in (site / "rapporter").iterdir()) == ["ivo-2024Q4.csv"]


def test_out_refuses_a_folder_or_a_file_that_is_a_link(site: Path) -> None:
    _imported(site)
    elsewhere = site / "någon-annanstans"
    elsewhere.mkdir()
    (site / "rapporter").symlink_to(elsewhere, target_is_directory=True)
    _one_line_error(_run(site, "report", "kf", "--quarter", "2024Q4",
                         "--out", str(site / "rapporter")), "symbolisk länk")
    victim = site / "viktig.xlsx"
    victim.write_bytes(b"orord")
    (site / "lista.xlsx").symlink_to(victim)
    _one_line_error(_run(site, "check", "--as-of", "2024-12-31", "--format", "xlsx",
                         "--out", str(site / "lista.xlsx")), "lista.xlsx", "symbolisk länk")
    (site / "ao.ics").symlink_to(victim)
    _one_line_error(_run(site, "ics", "--role", "bistand_ao", "--out", str(site / "ao.ics")),
                    "symbolisk länk")
    assert victim.read_bytes() == b"orord" and list(elsewhere.iterdir()) == []


def test_notify_dry_run_refuses_a_link_where_an_eml_file_goes(site: Path) -> None:
    _imported(site)
    victim = site / "viktig.txt"
    victim.write_text("orörd\n", encoding="utf-8")
    (site / "eml").mkdir()
    (site / "eml" / "2024-12-31_01_ec_at_kommun.example.eml").symlink_to(victim)
    result = _run(site, "notify", "--as-of", "2024-12-31", "--dry-run", "--out", str(site / "eml"))
    _one_line_error(result, "symbolisk länk")
    assert victim.read_text(encoding="utf-8") == "orörd\n"


def test_notify_out_without_dry_run_is_an_error_and_sends_nothing(
        site: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    text = (site / "config.toml").read_text(encoding="utf-8")
    (site / "config.toml").write_text(text.replace("port = 9", f"port = {smtp_server.port}"),
                                      encoding="utf-8")
    _imported(site)
    result = _run(site, "notify", "--as-of", "2024-12-31", "--out", str(site / "eml"))
    _one_line_error(result, "--out", "--dry-run")
    assert smtp_server.received == [] and not (site / "eml").exists()


def test_notify_names_a_role_without_an_address_once(site: Path) -> None:
    _imported(site)
    result = _run(site, "notify", "--as-of", "2024-12-31", "--dry-run")
    missing = [line for line in result.stderr.splitlines() if line.startswith("Ingen adress")]
    assert "Ingen adress för rollen ifo (kommun/von): lägg till den under [roles] i config.toml" \
        in missing
    assert len(missing) == len(set(missing)) and not [m for m in missing if "{" in m]


# ---- a mistyped database path ----------------------------------------------------------------


def test_audit_verify_on_a_mistyped_path_says_it_does_not_exist(site: Path) -> None:
    _imported(site)
    wrong = site / "b.bd"
    result = CliRunner().invoke(cli, ["--db", str(wrong), "--config", str(site / "config.toml"),
                                      "audit", "verify"])
    _one_line_error(result, str(wrong), "finns inte")
    assert not wrong.exists()
    assert "hel" not in result.stdout


# ---- processes opening a new database at once --------------------------------------------------


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    """Two processes (three at full size) start their first-ever command on the same new
    database at the same moment: every one succeeds (migrations under one write lock)."""
    trials, width = size(10, 30), size(2, 3)
    for t in range(trials):
        (tmp_path / f"t{t}").mkdir()
    procs = [subprocess.Popen([sys.executable, str(OPENER), str(tmp_path), str(trials)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(width)]
    failures, errors = 0, []
    try:
        for t in range(trials):
            for p in procs:
                assert p.stdout is not None and p.stdout.readline().strip() == "ready"
            (tmp_path / f"go{t}").touch()
            outcome = [p.stdout.readline().strip() for p in procs if p.stdout is not None]
            bad = [o for o in outcome if o != "ok"]
            failures += bool(bad)
            errors += bad
    finally:
        for p in procs:
            p.wait(timeout=60)
    report("first-ever opening of a new database, processes at once", trials, failures,
           processes=width, errors=errors or "none")
    assert failures == 0, errors
