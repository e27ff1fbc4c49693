"""The IVO quarter's files, read back as a person would: the individrapport worksheets (openpyxl,
pdftotext), the three reports in every format, cells that a spreadsheet would run as
formulas, the birth date nowhere but the worksheets, the reporting-window reminder over a real
SMTP server on loopback, and the särskild avgift exposure on both sides of 2026-01-01."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, REGISTER_XLSX, SV_HEADERS, Bevaka, config_text, write_csv
from openpyxl import load_workbook
from smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

from engine.ivo_worksheet import FIELDS

EVENTS = EXAMPLES / "ivo-handelser-2024.yaml"
WINDOWS = EXAMPLES / "ivo-rapporteringsperioder.yaml"
# D-2024-041 (Kvinna) and D-2024-046 (Man): their invented birth dates in every written form.
BIRTH = {"D-2024-041": ("1944-03-09", "19440309", "440309", "9 mars 1944"),
         "D-2024-046": ("2006-04-12", "20060412", "060412", "12 april 2006")}


def pdftotext(path: Path) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is needed (make test installs poppler-utils)"
    text = subprocess.run([tool, "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.split())  # words in reading order, one space apart


def _sheet(path: Path) -> list[list[Any]]:
    return [list(r) for r in load_workbook(path).worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
def quarter(bevaka: Bevaka) -> Bevaka:
    bevaka.ok("import", str(REGISTER_XLSX), str(EVENTS), str(WINDOWS))
    return bevaka


def test_worksheets_have_every_field_and_the_pseudo_identifier(quarter: Bevaka) -> None:
    out = quarter.tmp / "individ"
    result = quarter.ok("report", "individrapport", "--quarter", "2024Q4", "--out", str(out))
    assert "10 individrapporter för 2024Q4" in result.output
    rows = _sheet(out / "individrapport-2024Q4.xlsx")
    assert rows[0][0] == "Individrapporter till IVO 2024Q4 (kommun/von)"
    header = rows[1]
    assert header == [label for _, _, label in FIELDS]
    assert header[:6] == ["Typ av rapport", "Kvartal", "Lag", "Verksamhetsområde",
                          "Personnummer (IVO:s format)", "Kön"]
    data = [dict(zip(header, r, strict=True)) for r in rows[2:] if r[1] == "2024Q4"]
    by_ref = {r["Ärende (kommunens, skickas inte)"]: r for r in data}
    assert len(by_ref) == 10

    woman = by_ref["D-2024-041"]
    pid = woman["Personnummer (IVO:s format)"]
    assert re.fullmatch(r"19440309-T\d[02468]\d", pid), pid  # even: a woman
    assert woman["Typ av rapport"] == "Verkställt (avslutande rapport)"
    assert woman["Verkställt datum"].date().isoformat() == "2024-11-20"
    assert woman["Beslutsdatum"].date().isoformat() == "2024-07-15"
    assert woman["Lagrum"] == "SoL (2001:453) 16 kap. 6 g §"
    man = by_ref["D-2024-046/2024-06-10"]
    assert re.fullmatch(r"20060412-T\d[13579]\d", man["Personnummer (IVO:s format)"])  # odd
    assert man["Datum för avbrott"].date().isoformat() == "2024-06-10"
    declined = by_ref["D-2024-043"]
    assert declined["Erbjudanden (datum; tackat nej)"] == (
        "2024-08-15 Lägenhet i annat område; tackat nej 2024-08-20")
    assert declined["Typ av rapport"] == "Återrapportering, ej verkställt"
    assert declined["Orsak till dröjsmålet"] == "Ingen ledig lägenhet i önskat område"
    closed = by_ref["D-2024-044"]
    assert (closed["Avslutat datum"].date().isoformat(), closed["Avslutsorsak"]) == (
        "2024-11-05", "avliden")
    assert by_ref["D-2024-045"]["Väntar på valt utförare (LOV)"] == "Ja, sedan 2024-06-01"
    part = by_ref["D-2024-042/3 av 5 timmar hemtjänst per vecka"]
    assert part["Ej verkställd del"] == "3 av 5 timmar hemtjänst per vecka"
    # The register's D-2024-009 has a birth date; D-2024-003 too: none needs completing but
    # the reasons the register does not give.
    assert by_ref["D-2024-009"]["Att komplettera"] in (None, "")

    text = pdftotext(out / "individrapport-2024Q4.pdf")
    for _, _, label in FIELDS:
        assert label in text, label
    for ref, r in by_ref.items():
        assert ref in text
        if r["Personnummer (IVO:s format)"]:
            assert r["Personnummer (IVO:s format)"] in text
    assert "Sida 1 av 10" in text

    # The same number every quarter (IVO: one number for the person while reported).
    again = quarter.tmp / "igen"
    quarter.ok("report", "individrapport", "--quarter", "2024Q3", "--out", str(again))
    q3 = [r for r in _sheet(again / "individrapport-2024Q3.xlsx")[2:] if r[1] == "2024Q3"]
    assert pid in {r[4] for r in q3} or "D-2024-041" not in {r[16] for r in q3}
    q3_046 = next(r for r in q3 if r[16] == "D-2024-046/2024-06-10")
    assert q3_046[4] == man["Personnummer (IVO:s format)"]


def test_three_reports_in_every_format(quarter: Bevaka) -> None:
    out = quarter.tmp / "rapporter"
    quarter.ok("report", "ivo", "--quarter", "2024Q4", "--out", str(out),
               "--format", "csv,xlsx,html,pdf")
    quarter.ok("report", "kf", "--quarter", "2024Q4", "--out", str(out))
    quarter.ok("report", "revision", "--quarter", "2024Q4", "--out", str(out))
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{r}-2024Q4.{ext}" for r in ("ivo", "kf", "revision")
                           for ext in ("csv", "xlsx", "html", "pdf"))
    kf = pdftotext(out / "kf-2024Q4.pdf")
    assert "Statistikrapport till kommunfullmäktige 2024Q4" in kf
    assert "SoL (2001:453) 16 kap. 6 h §" in kf and "LSS 28 h §" in kf
    assert "Typ av insats Ej verkställda Hemtjänst 1 1 2" in kf
    with (out / "kf-2024Q4.csv").open(encoding="utf-8-sig", newline="") as fh:
        kf_rows = list(csv.reader(fh, delimiter=";"))
    assert kf_rows[0] == ["Lag", "Uppdelning", "Lista", "Insats eller tid", "Kvinnor", "Män",
                          "Totalt"]
    assert ["SoL", "Summa", "Ej verkställda", "", "2", "1", "3"] in kf_rows
    rev = pdftotext(out / "revision-2024Q4.pdf")
    assert "Underlag för revisorerna 2024Q4" in rev and "Regelrevision" in rev
    run_id = _sheet(out / "revision-2024Q4.xlsx")
    assert any(str(c).startswith("Körning ") for r in run_id for c in r if c)
    ivo = pdftotext(out / "ivo-2024Q4.pdf")
    assert "Ej verkställda gynnande beslut enligt LSS per 2024-12-31" in ivo
    assert "D-2024-043" in ivo and "Sida 1 av" in ivo
    html = (out / "ivo-2024Q4.html").read_text(encoding="utf-8")
    assert '<td class="token">D-2024-041</td>' in html


def test_the_birth_date_is_only_in_the_facts_table_and_the_worksheets(
        quarter: Bevaka) -> None:
    out = quarter.tmp / "allt"
    mail = quarter.tmp / "mail"
    quarter.ok("check", "--as-of", "2024-12-31", "--json")
    quarter.ok("explain", "ivo.ej-verkstallt/D-2024-041", "--as-of", "2024-12-31", "--json")
    quarter.ok("notify", "--as-of", "2024-12-31", "--dry-run", "--out", str(mail))
    quarter.ok("report", "ivo", "--quarter", "2024Q4", "--out", str(out), "--format",
               "csv,xlsx,html,pdf", "--json")
    quarter.ok("report", "kf", "--quarter", "2024Q4", "--out", str(out), "--json")
    quarter.ok("report", "revision", "--quarter", "2024Q4", "--out", str(out), "--json")
    quarter.ok("report", "avgift", "--as-of", "2024-12-31", "--out", str(out), "--json")
    individ = quarter.tmp / "individ"
    quarter.ok("report", "individrapport", "--quarter", "2024Q4", "--out", str(individ))
    assert list(mail.glob("*.eml")), "the dry run wrote no e-mail"

    def texts(path: Path) -> str:
        if path.suffix == ".pdf":
            return pdftotext(path)
        if path.suffix == ".xlsx":
            return "\n".join(str(c) for ws in load_workbook(path).worksheets
                             for r in ws.iter_rows(values_only=True) for c in r if c is not None)
        return path.read_text(encoding="utf-8", errors="replace")

    outbound = [p for d in (out, mail) for p in d.iterdir()]
    assert len(outbound) > 10
    for path in outbound:
        content = texts(path)
        for forms in BIRTH.values():
            for form in forms:
                assert form not in content, (path.name, form)
    # In the database: only the decisions table holds it (not deadlines, the audit log,
    # the outbox, notified or any other table).
    conn = sqlite3.connect(quarter.db_path)
    try:
        holding = {line.split('"')[1] for line in conn.iterdump()
                   if any(form in line for forms in BIRTH.values() for form in forms[:2])}
    finally:
        conn.close()
    assert holding == {"decisions"}
    # The worksheets are the one place it appears.
    sheet = texts(individ / "individrapport-2024Q4.xlsx")
    assert "19440309-T" in sheet and "20060412-T" in sheet
    assert "19440309-T" in pdftotext(individ / "individrapport-2024Q4.pdf")


def test_cells_a_spreadsheet_would_run_are_written_as_text(bevaka: Bevaka) -> None:
    rows = [["F-1", "SoL", "=HYPERLINK(\"http://x\")", "+SÄBO", "2024-05-02", "", "", "", "Kvinna",
             "1940", "bistand_ao"],
            ["F-2", "SoL", "@IFO", "-1+2", "2024-05-02", "", "", "", "Man", "1941", "bistand_ao"]]
    path = write_csv(bevaka.tmp / "f.csv", [*SV_HEADERS, "Orsak"],
                     [[*r, "\tflik"] for r in rows])
    bevaka.ok("import", str(path))
    out = bevaka.tmp / "f"
    bevaka.ok("report", "ivo", "--quarter", "2024Q4", "--out", str(out))
    bevaka.ok("report", "revision", "--quarter", "2024Q4", "--out", str(out), "--format",
              "csv,xlsx")
    ws = load_workbook(out / "ivo-2024Q4.xlsx")["SoL"]
    cells = {c.value: c for r in ws.iter_rows(min_row=3) for c in r if isinstance(c.value, str)}
    for text in ('=HYPERLINK("http://x")', "+SÄBO", "@IFO", "-1+2"):
        assert cells[text].data_type == "s", text
    with (out / "ivo-2024Q4.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh, delimiter=";"))
    values = {v for r in table[1:] for v in r}
    assert {"'=HYPERLINK(\"http://x\")", "'+SÄBO", "'@IFO", "'-1+2"} <= values
    assert not values & {'=HYPERLINK("http://x")', "+SÄBO", "@IFO", "-1+2"}
    rev = load_workbook(out / "revision-2024Q4.xlsx").worksheets[0]
    assert all(c.data_type != "f" for r in rev.iter_rows() for c in r)


def test_window_reminder_before_2024q4_closes(bevaka: Bevaka,
                                              smtp_server: SmtpServer) -> None:  # noqa: F811
    config = bevaka.tmp / "smtp.toml"
    config.write_text(config_text(extra=(
        'ivo_rapportor = "ivo-rapportor@kommun.example"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\n')), encoding="utf-8")
    window = bevaka.tmp / "perioder.yaml"
    window.write_text("ivo_window:\n  - {quarter: 2024Q4, opens_on: 2025-01-01, "
                      "closes_on: 2025-01-31}\n", encoding="utf-8")
    bevaka.ok("import", str(window), config=config)
    bevaka.ok("notify", "--as-of", "2025-01-20", config=config)
    to_reporter = [r.message for r in smtp_server.received
                   if r.rcpt_tos == ["ivo-rapportor@kommun.example"]]
    assert len(to_reporter) == 1
    body = " ".join(to_reporter[0].get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert "2024Q4" in body
    assert "sista dag att skicka kvartalets individrapporter är 31 januari 2025" in body
    assert "2025-01-31" in body
    assert "öppen 2025-01-01–2025-01-31" in body  # the window-is-open notice, sent once

    bevaka.ok("report", "ivo", "--quarter", "2024Q4", "--mark-reported", "--reported-on",
              "2025-01-21", config=config)
    before = len(smtp_server.received)
    bevaka.ok("notify", "--as-of", "2025-01-31", config=config)
    later = [r for r in smtp_server.received[before:]
             if r.rcpt_tos == ["ivo-rapportor@kommun.example"]]
    assert later == []  # marked reported: no reminder on the closing day
    found = json.loads(bevaka.ok("check", "--as-of", "2025-01-31", "--json", config=config).stdout)
    window = next(f for f in found if f["id"] == "ivo.rapporteringsperiod/2024Q4")
    assert (window["status"], window["done_on"]) == ("resolved", "2025-01-21")


AVGIFT_ROWS = [
    ["A-1", "SoL", "ÄO", "SÄBO", "2025-12-31", "", "", "", "Kvinna", "1940", "bistand_ao"],
    ["B-1", "SoL", "ÄO", "SÄBO", "2026-01-01", "", "", "", "Man", "1941", "bistand_ao"],
    ["C-1", "LSS", "FSO", "Daglig verksamhet", "2026-01-01", "", "", "", "Man", "1990",
     "bistand_ao"],
    ["D-1", "LSS", "FSO", "Korttidsvistelse", "2023-06-01", "2024-01-15", "", "", "Kvinna",
     "2010", "bistand_ao"],
]


def _avgift(bevaka: Bevaka, config: Path, as_of: str) -> dict[str, Any]:
    data = json.loads(bevaka.ok("report", "avgift", "--as-of", as_of, "--json",
                                config=config).stdout)
    assert "inte IVO:s bedömning" in data["label"]
    return {**data, "by": {r["ref"]: r for r in data["rows"]}}


def test_avgift_ranges_and_the_two_year_alert_either_side_of_2026(bevaka: Bevaka) -> None:
    config = bevaka.tmp / "avgift.toml"
    config.write_text(config_text(extra=(
        '[ivo]\nreasonable_months = 3\nalert_days = 90\n'
        '[ivo.monthly_cost]\n"SÄBO" = 60000\n"Korttidsvistelse" = 20000\n')), encoding="utf-8")
    bevaka.ok("import", str(write_csv(bevaka.tmp / "a.csv", SV_HEADERS, AVGIFT_ROWS)),
              config=config)

    # 2025-12-31: D-1 (LSS, decided 2023-06-01, due 2023-09-01, executed 2024-01-15) may be
    # fined until 2026-01-15 (two years from the execution): within 90 days, an alert. Its range
    # is the old one (decided before 2026): 10 000–1 000 000 kr; 4.47 months past the
    # reasonable time (2023-09-01 → 2024-01-15) × 20 000 kr = 89 400 kr.
    before = _avgift(bevaka, config, "2025-12-31")
    d1 = before["by"]["D-1"]
    assert (d1["floor"], d1["ceiling"], d1["fee_citation"]) == (10_000, 1_000_000, "LSS 28 b §")
    assert (d1["two_year_limit"], d1["alert"], d1["two_year_citation"]) == (
        "2026-01-15", True, "LSS 28 e §")
    assert d1["months_past"] == 4.47 and d1["estimate"] == 89_400
    assert before["alerts"] == ["D-1"]
    assert "A-1" not in before["by"]  # due 2026-03-31: not yet reportable

    # 2026-04-30: A-1 decided 2025-12-31 keeps 10 000–1 000 000 kr, B-1 and C-1 decided
    # 2026-01-01 get 15 000–1 500 000 kr (SFS 2025:1299 / 2025:1298); D-1's two years ended on
    # 2026-01-15, so it is no longer exposed.
    after = _avgift(bevaka, config, "2026-04-30")
    a1, b1, c1 = (after["by"][k] for k in ("A-1", "B-1", "C-1"))
    assert (a1["floor"], a1["ceiling"], a1["fee_citation"]) == (
        10_000, 1_000_000, "SoL (2025:400) 34 kap. 7 §")
    assert (b1["floor"], b1["ceiling"]) == (15_000, 1_500_000)
    assert b1["fee_citation"] == "SoL (2025:400) 34 kap. 7 § i lydelse enligt SFS 2025:1299"
    assert (c1["floor"], c1["ceiling"], c1["fee_citation"]) == (
        15_000, 1_500_000, "LSS 28 b § i lydelse enligt SFS 2025:1298")
    assert "D-1" not in after["by"]
    # due 2026-03-31, 30 days past = 0.99 months × 60 000 = 59 400 kr, within the range;
    # C-1 has no configured cost: no estimate, only the range.
    assert (a1["months_past"], a1["estimate"]) == (0.99, 59_400)
    assert c1["estimate"] is None and after["totals"]["without_cost"] == 1
    assert a1["two_year_limit"] is None and not a1["alert"]  # not executed: no limit running
    assert after["alerts"] == []

    out = bevaka.tmp / "avgift"
    bevaka.ok("report", "avgift", "--as-of", "2026-04-30", "--out", str(out), config=config)
    text = pdftotext(out / "avgift-2026-04-30.pdf")
    assert "UPPSKATTNING" in text and "inte IVO:s bedömning" in text
    assert "15000" in text and "1500000" in text
