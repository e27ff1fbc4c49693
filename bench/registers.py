"""The files a benchmark size works on, written the way municipalities export them.

One folder per size holds:

* ``beslut.csv`` (``;``, UTF-8 with BOM, Swedish headers) and ``beslut.xlsx`` (openpyxl
  write-only, real date cells): the whole register;
* ``andringar.csv``: the 1 % of decisions that changed since the first run;
* ``andring-1.csv``: one decision that changed;
* ``config.toml``: only the IVO pack (a copy of the shipped one in ``rules/``) and a
  ``[roles]`` address for every officer and for ``enhetschef`` (the escalation role);
* ``config-90.toml``: the rule change: the next version of both IVO rules (``rules-v2/``,
  otherwise unchanged) with ``[params] three_months = "90-days"``.

``read_register`` is the one plain-``csv`` reader the oracle and the SQLite floor share.
``prepare`` runs in a child process of its own (``registers.prepare``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from _gen import OFFICERS, Row, changes, decision_rows, one_change
from child import Ctx, Result

# Register column -> generator field, in the order municipalities export them.
COLUMNS = {
    "Ärende": "id", "Lag": "law", "Verksamhet": "area", "Insats": "service",
    "Beslutsdatum": "decided_on", "Verkställd": "executed_on", "Avbrott": "interrupted_on",
    "Återupptagen": "resumed_on", "Kön": "sex", "Födelseår": "birth_year",
    "Handläggare": "officer",
}
CSV_FILE, XLSX_FILE = "beslut.csv", "beslut.xlsx"
CHANGES_FILE, ONE_FILE = "andringar.csv", "andring-1.csv"
CONFIG_FILE, CONFIG_90_FILE = "config.toml", "config-90.toml"
STAMP = "registers.json"
DOMAIN = "bench.example"
ESCALATION_ROLE = "enhetschef"


def address(role: str) -> str:
    return f"{role}@{DOMAIN}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def write_csv(path: Path, rows: Iterable[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([_cell(r[f]) for f in COLUMNS.values()])


def write_xlsx(path: Path, rows: Iterable[Row]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Beslut")
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append([r[f] for f in COLUMNS.values()])
    wb.save(path)


def read_register(path: Path) -> list[dict[str, str]]:
    """A register CSV as ``{field: text}`` rows (empty cells as ``""``)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=";")
        fields = [COLUMNS[h] for h in next(reader)]
        return [dict(zip(fields, cells, strict=True)) for cells in reader]


def write_configs(folder: Path, rules_source: Path) -> None:
    """The IVO pack as shipped in ``rules/``, and as the next version of each rule in
    ``rules-v2/`` (the rule change, together with ``three_months = "90-days"``)."""
    shutil.copytree(rules_source / "ivo", folder / "rules" / "ivo", dirs_exist_ok=True)
    shutil.copytree(rules_source / "ivo", folder / "rules-v2" / "ivo", dirs_exist_ok=True)
    for rule in (folder / "rules-v2" / "ivo").glob("*.yaml"):
        text = rule.read_text(encoding="utf-8")
        bumped = re.sub(r"^version: (\d+)$", lambda m: f"version: {int(m[1]) + 1}", text,
                        flags=re.MULTILINE)
        rule.write_text(bumped, encoding="utf-8")
    roles = "\n".join(f'{r} = "{address(r)}"' for r in [ESCALATION_ROLE, *OFFICERS])

    def config(rules: str, params: str = "") -> str:
        return ("# Written by bench/registers.py: the IVO pack only, an address per role.\n"
                f'[rules]\nshipped = false\nlocal = ["{rules}"]\n\n{params}[roles]\n{roles}\n')

    (folder / CONFIG_FILE).write_text(config("rules"), encoding="utf-8")
    (folder / CONFIG_90_FILE).write_text(
        config("rules-v2", '[params]\nthree_months = "90-days"\n\n'), encoding="utf-8")


def prepare(folder: Path, n: int, as_of: date, rules_source: Path) -> dict[str, object]:
    """Write every file of size ``n`` unless ``folder`` already holds them for the same
    generator, size and date. Returns the register's shape (counts)."""
    here = Path(__file__).parent
    sources = "".join((here / f).read_text(encoding="utf-8") for f in ("_gen.py", "registers.py"))
    key = {"n": n, "as_of": as_of.isoformat(),
           "code": hashlib.sha256(sources.encode()).hexdigest()[:16]}
    stamp = folder / STAMP
    if stamp.exists():
        known = json.loads(stamp.read_text(encoding="utf-8"))
        if known.get("key") == key:
            return dict(known["shape"])
    folder.mkdir(parents=True, exist_ok=True)
    rows = decision_rows(n, as_of)
    changed = changes(rows, as_of)
    write_csv(folder / CSV_FILE, rows)
    write_xlsx(folder / XLSX_FILE, rows)
    write_csv(folder / CHANGES_FILE, changed)
    write_csv(folder / ONE_FILE, [one_change(rows, as_of)])
    write_configs(folder, rules_source)
    shape = {"decisions": n, "executed": sum(1 for r in rows if r["executed_on"]),
             "interrupted": sum(1 for r in rows if r["interrupted_on"]),
             "changed": len(changed)}
    stamp.write_text(json.dumps({"key": key, "shape": shape}), encoding="utf-8")
    return shape


def prepare_phase(ctx: Ctx) -> Result:
    """``prepare`` in a child: the parent never holds the generated rows, so its peak RSS,
    which every child's ``ru_maxrss`` starts from, stays that of a bare interpreter."""
    from engine.config import Config, load_config

    shape = prepare(ctx.work, int(ctx.opts["n"]), ctx.as_of, Config(base_dir=ctx.work).rules_dir)
    window = load_config(ctx.work / CONFIG_FILE).rules.resolved_window_days
    return {"shape": shape, "window_days": window}


PHASES = {"registers.prepare": prepare_phase}
