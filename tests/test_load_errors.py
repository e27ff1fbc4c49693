"""Broken rule files and config.toml: one Swedish line naming the file and the line or key,
never a traceback; why templates compiled in the sandbox and tried when the rule is loaded.

Each case is one of the classes the reliability campaign found (tests/reliability/
test_rule_fuzz.py mutates the shipped files at random; these pin the messages)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, RULES_DIR, write_config

from bevaka.cli import cli

SOURCE = RULES_DIR / "ivo" / "avbrott.yaml"
TEXT = SOURCE.read_text(encoding="utf-8")


def _pack(tmp: Path, raw: bytes) -> Path:
    pack = tmp / "rules" / "ivo"
    pack.mkdir(parents=True, exist_ok=True)
    (pack / "pack.yaml").write_bytes((RULES_DIR / "ivo" / "pack.yaml").read_bytes())
    (pack / "avbrott.yaml").write_bytes(raw)
    return pack / "avbrott.yaml"


def _validate(tmp: Path, text: str | bytes) -> tuple[int, str, Path]:
    raw = text.encode() if isinstance(text, str) else text
    path = _pack(tmp, raw)
    config = write_config(tmp / "config.toml", tmp / "rules")
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", str(tmp / "b.db"),
                                      "rules", "validate"])
    return result.exit_code, result.output, path


def _why(why: str) -> str:
    start = TEXT.index("  why: >")
    end = TEXT.index("report:")
    return TEXT[:start] + f"  why: {why!r}\n" + TEXT[end:]


@pytest.mark.parametrize(("text", "line", "words"), [
    (TEXT.encode().replace(b"Klocka B", b"Klocka \xe5"), 5, "inte UTF-8"),
    (TEXT.replace("2024-10-01}", "2024-02-30}", 1), 56, "2024-02-30 är inget datum"),
    (TEXT.replace("\n  subject: id", "\n\tsubject: id"), 34, "tabbtecken"),
    (TEXT.replace("\nversion: 1", "\nversion: 1\nversion: 2"), 3, "två gånger"),
    (TEXT.replace("\nversion: 1", "\nversion: 99999999999999999999999"), 2, "högst 1000000"),
    (TEXT.replace("\nversion: 1", "\nversion: ett"), 2, "ska vara ett heltal"),
    (TEXT.replace("severity: high", "severity: [1]"), 12, "severity"),
    (TEXT.replace("\ntitle:", "\ntittle:"), 3, "okänd nyckel 'tittle'; menade du 'title'"),
    (TEXT + "\nzz: " + "[" * 80 + "]" * 80 + "\n", 89, "för djupt nästlad"),
    (TEXT.replace('when: "', 'when: "' + " + ".join(["1"] * 500) + " > 0 and ", 1), 17,
     "för långt eller djupt nästlat"),
    (TEXT.replace("\nderive:", "\nderive:\n  mix: \"max(1, decided_on)\"", 1), 29,
     "max blandar number och date"),
    (_why("{{ ''.__class__.__mro__[1].__subclasses__()|length }}"), 42, "sandlådan"),
    (_why("{{ subject|okant }}"), 42, "okänt filter 'okant'"),
    (_why("{{ nosuchname }}"), 42, "okänt namn 'nosuchname'"),
    (_why("{{ 1/0 }}"), 42, "division med noll"),
    (_why("{{ subject * 100000000 }}"), 42, "för lång"),
    (_why("{% include 'x' %}"), 42, "include"),
    (_why("{{ as_of|dagar(1, 2) }}"), 42, "fel antal argument"),
    (_why("{{ lipsum() }}"), 42, "lipsum"),
    (_why("{% if %}"), 42, "mallfel"),
    (b"a: &a [*a]\n", 1, "hänvisar till sig självt"),
    (TEXT[:1500], 0, ""),  # truncated: some line and some message
])
def test_a_broken_rule_file_is_one_swedish_line(tmp_path: Path, text: str | bytes, line: int,
                                                words: str) -> None:
    code, output, path = _validate(tmp_path, text)
    assert code == 1, output
    lines = output.strip().splitlines()
    assert lines and all(re.match(rf"{re.escape(str(path))}:\d+(:\d+)?: \S", x) for x in lines), output
    assert "Traceback" not in output and "Internt fel" not in output
    if line:
        assert any(x.startswith(f"{path}:{line}:") and words in x for x in lines), output


def test_a_why_that_fails_on_some_data_fails_in_its_text_not_the_command(tmp_path: Path) -> None:
    """``officer.upper()`` renders for the typed sample but not where officer is empty: the
    command still lists every finding, and that why says it could not be written and where."""
    _pack(tmp_path, _why("{{ subject }} {{ officer.upper() }}").encode())
    config = write_config(tmp_path / "config.toml", tmp_path / "rules")
    args = ["--config", str(config), "--db", str(tmp_path / "b.db")]
    runner = CliRunner()
    assert runner.invoke(cli, [*args, "rules", "validate"]).exit_code == 0
    assert runner.invoke(cli, [*args, "import", str(EXAMPLES / "beslut-2024.csv")]).exit_code == 0
    result = runner.invoke(cli, [*args, "check", "--as-of", "2024-12-31", "--json"])
    assert result.exit_code in (0, 3), result.output
    assert "Traceback" not in result.output and "Internt fel" not in result.output


def test_an_evaluation_type_error_is_the_rules_failure_in_swedish(tmp_path: Path) -> None:
    """A date past year 9999 at evaluation: the rule fails alone (exit 3) with a Swedish reason."""
    text = TEXT.replace("interrupted_on + 3 months)", "interrupted_on + 99999999 days)")
    _pack(tmp_path, text.encode())
    config = write_config(tmp_path / "config.toml", tmp_path / "rules")
    args = ["--config", str(config), "--db", str(tmp_path / "b.db")]
    runner = CliRunner()
    assert runner.invoke(cli, [*args, "import", str(EXAMPLES / "beslut-2024.csv")]).exit_code == 0
    result = runner.invoke(cli, [*args, "check", "--as-of", "2024-12-31"])
    assert result.exit_code == 3, result.output
    assert "Regeln ivo.avbrott" in result.output and "utanför år 1–9999" in result.output
    assert "internt fel" not in result.output.lower() and "Traceback" not in result.output


@pytest.mark.parametrize(("text", "expected"), [
    ("a = \n", r"config\.toml:1:5: ogiltig TOML: ett värde saknas"),
    ("[smtp]\nport = \"x\"\n", r"config\.toml:2: \[smtp\.port\] ska vara ett heltal"),
    ("[smtp]\nprot = 25\n", r"config\.toml:2: \[smtp\.prot\] okänd inställning; menade du 'port'"),
    ("[rulez]\n", r"config\.toml:1: \[rulez\] okänd inställning; menade du 'rules'"),
    ("[notify]\nafter_crash = \"maybe\"\n", r"config\.toml:2: \[notify\.after_crash\] ska vara en av"),
    ("[rules]\nwarn_days = -1\n", r"config\.toml:2: \[rules\.warn_days\] ska vara minst 0"),
    ("[a]\n[a]\n", r"config\.toml:2:3: ogiltig TOML: samma tabell"),
])
def test_a_broken_config_is_one_swedish_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "config.toml"), "rules", "list"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and re.search(expected, lines[0]), result.output


def test_a_missing_or_unreadable_config_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["rules", "list"], env={"BEVAKA_CONFIG": str(tmp_path / "nej.toml")})
    assert result.exit_code == 1
    assert result.output.strip() == (f"Fel: {tmp_path / 'nej.toml'}: konfigurationsfilen finns inte "
                                     "(angiven med --config eller BEVAKA_CONFIG); rätta sökvägen "
                                     "eller kopiera config.toml från bevaka")
    result = runner.invoke(cli, ["--config", str(tmp_path), "rules", "list"])
    assert result.exit_code == 1 and "är en mapp" in result.output
    (tmp_path / "c.toml").write_bytes(b"[smtp]\nhost = \"\xe5\"\n")
    result = runner.invoke(cli, ["--config", str(tmp_path / "c.toml"), "rules", "list"])
    assert result.exit_code == 1 and result.output.startswith(f"Fel: {tmp_path / 'c.toml'}:2: ")
