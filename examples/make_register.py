"""Write the invented example register of favourable decisions (gynnande beslut) for 2024.

    .venv/bin/python examples/make_register.py            # writes examples/beslut-2024.{xlsx,csv}
    .venv/bin/python examples/make_register.py --out DIR  # writes DIR/beslut-2024.{xlsx,csv}

Every decision below is invented: the ids are running numbers, and no row describes a real
person. The script is deterministic (no randomness, no ``date.today()``), so running it again
gives the same cell values. The two files are twins holding exactly the same facts:

* ``beslut-2024.xlsx``: Swedish headers; most dates are native Excel dates, a few are text in
  the YYMMDD form IVO lists use (``240628``) and one is YYYYMMDD text (``20240410``).
* ``beslut-2024.csv``: the same rows, semicolon-separated, UTF-8, ISO dates.

The register is an extract as entered up to 2025-01-10; no date column holds a date after
2024-12-31. "cal" = three calendar months (clamped to the month's last day), "90d" = 90 days
(config.toml ``three_months``). Quarter reports follow catalogue R-O01/R-N03: (a) not executed,
(b) interrupted, (c) executed after being reported.

Edge cases (everything else, D-2024-013 .. D-2024-040, is executed within three months under
both readings and never reportable):

  id          law  decided     executed    interrupted resumed     expected
  D-2024-001  SoL  2024-06-28  2024-10-17  -           -           due cal 2024-09-28 / 90d
              2024-09-26; overdue as of 2024-09-30; Q3 (a) not executed; Q4 (c) executed;
              late 19 days (cal) / 21 days (90d)
  D-2024-002  SoL  2024-04-10  2024-07-15  2024-10-01  -           first execution 5 days late
              (due 2024-07-10, executed before Q3 end: never reported for it); interruption due
              cal 2025-01-01, so as of 2024-12-31 upcoming and not in Q4; under 90d due
              2024-12-30, so Q4 (b) interrupted
  D-2024-003  SoL  2024-05-02  -           -           -           due cal 2024-08-02 / 90d
              2024-07-31; Q3 and Q4 (a) not executed
  D-2024-004  SoL  2024-11-30  -           -           -           month-end clamp: due cal
              2025-02-28 (90d also 2025-02-28); not due at 2024-12-31, not in Q4
  D-2024-005  SoL  2024-08-31  2024-11-30  -           -           the 31st: due cal 2024-11-30,
              on time (late_days 0); due 90d 2024-11-29, late 1 day; in no quarter report
  D-2024-006  SoL  2024-01-15  2024-02-05  2024-05-20  2024-07-29  resumed within three months
              (due cal 2024-08-20 / 90d 2024-08-18): on time, never reportable
  D-2024-007  LSS  2024-01-22  2024-02-12  2024-03-11  2024-07-22  resumed late (due cal
              2024-06-11 / 90d 2024-06-09): Q2 (b) interrupted; Q3 (c) re-executed; late 41/43
  D-2024-008  LSS  2024-03-18  -           -           -           not executed, due cal
              2024-06-18 / 90d 2024-06-16: Q2, Q3 and Q4 (a)
  D-2024-009  LSS  2024-08-12  -           -           -           not executed, due cal
              2024-11-12 / 90d 2024-11-10: Q4 (a)
  D-2024-010  LSS  2024-03-13  2024-07-08  -           -           executed late (due cal
              2024-06-13 / 90d 2024-06-11): Q2 (a); Q3 (c) executed; late 25/27 days
  D-2024-011  SoL  2024-02-14  2024-05-14  -           -           executed on the due date
              (cal and 90d both 2024-05-14, leap year): on time, late_days 0
  D-2024-012  SoL  2024-11-04  -           -           -           decided in Q4, due cal
              2025-02-04 / 90d 2025-02-02: upcoming, not overdue, not in Q4

Notes (Anteckning) and reasons (Orsak) hold no personal data: no names, no personnummer.
The edge cases have an invented birth date (Födelsedatum) for IVO's pseudo-identifier in the
individrapport worksheets; the other rows have the birth year only.
"""

from __future__ import annotations

import argparse
import csv
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
STEM = "beslut-2024"

HEADERS = [
    "Ärende", "Lag", "Verksamhet", "Insats", "Beslutsdatum", "Verkställd", "Avbrott",
    "Återupptagen", "Kön", "Födelseår", "Födelsedatum", "Handläggare", "Orsak", "Anteckning",
]
DATE_COLUMNS = {"Beslutsdatum", "Verkställd", "Avbrott", "Återupptagen", "Födelsedatum"}

# Handläggare: role keys from config.toml [roles], by area.
OFFICER = {"ÄO": "bistand_ao", "FSO": "bistand_fso", "IFO": "ifo"}


class Decision(NamedTuple):
    id: str
    law: str
    area: str
    service: str
    decided: date
    executed: date | None
    sex: str
    born: int
    interrupted: date | None = None
    resumed: date | None = None
    reason: str | None = None
    note: str | None = None


def d(text: str) -> date:
    return date.fromisoformat(text)


DECISIONS: list[Decision] = [
    # --- edge cases (see the table above) ---
    Decision("D-2024-001", "SoL", "ÄO", "SÄBO", d("2024-06-28"), d("2024-10-17"), "Kvinna", 1936,
             reason="Ingen ledig plats", note="Erbjuden plats 241010"),
    Decision("D-2024-002", "SoL", "IFO", "Kontaktperson", d("2024-04-10"), d("2024-07-15"),
             "Man", 2008, interrupted=d("2024-10-01"),
             reason="Uppdragstagaren avslutade uppdraget",
             note="Ny uppdragstagare matchad 250107"),
    Decision("D-2024-003", "SoL", "IFO", "Kontaktfamilj", d("2024-05-02"), None, "Kvinna", 2015,
             reason="Brist på kontaktfamiljer", note="Väntar på matchning"),
    Decision("D-2024-004", "SoL", "ÄO", "SÄBO", d("2024-11-30"), None, "Man", 1934,
             note="Väntar på ledig plats"),
    Decision("D-2024-005", "SoL", "ÄO", "SÄBO", d("2024-08-31"), d("2024-11-30"), "Kvinna", 1940,
             reason="Ingen ledig plats"),
    Decision("D-2024-006", "SoL", "FSO", "Boendestöd", d("2024-01-15"), d("2024-02-05"), "Man",
             1982, interrupted=d("2024-05-20"), resumed=d("2024-07-29"),
             reason="Uppehåll på den enskildes begäran"),
    Decision("D-2024-007", "LSS", "FSO", "Kontaktperson", d("2024-01-22"), d("2024-02-12"),
             "Kvinna", 1995, interrupted=d("2024-03-11"), resumed=d("2024-07-22"),
             reason="Uppdragstagaren avslutade uppdraget",
             note="Ny uppdragstagare matchad 240715"),
    Decision("D-2024-008", "LSS", "FSO", "Daglig verksamhet", d("2024-03-18"), None, "Man", 2001,
             reason="Ingen ledig plats i önskad verksamhet", note="Väntar på ledig plats"),
    Decision("D-2024-009", "LSS", "FSO", "Korttidsvistelse", d("2024-08-12"), None, "Kvinna",
             2012, reason="Ingen ledig plats", note="Väntar på ledig plats"),
    Decision("D-2024-010", "LSS", "FSO", "Ledsagarservice", d("2024-03-13"), d("2024-07-08"),
             "Man", 1987, reason="Brist på ledsagare"),
    Decision("D-2024-011", "SoL", "ÄO", "SÄBO", d("2024-02-14"), d("2024-05-14"), "Man", 1931),
    Decision("D-2024-012", "SoL", "ÄO", "SÄBO", d("2024-11-04"), None, "Kvinna", 1938,
             note="Väntar på ledig plats"),
    # --- ordinary decisions, executed within three months ---
    Decision("D-2024-013", "SoL", "ÄO", "Hemtjänst", d("2024-01-08"), d("2024-01-15"), "Kvinna",
             1941),
    Decision("D-2024-014", "SoL", "ÄO", "SÄBO", d("2024-01-17"), d("2024-03-11"), "Man", 1933),
    Decision("D-2024-015", "LSS", "FSO", "Daglig verksamhet", d("2024-01-29"), d("2024-03-04"),
             "Man", 2003),
    Decision("D-2024-016", "SoL", "IFO", "Kontaktfamilj", d("2024-02-06"), d("2024-04-15"),
             "Kvinna", 2014),
    Decision("D-2024-017", "SoL", "ÄO", "Korttidsvistelse", d("2024-02-19"), d("2024-02-26"),
             "Man", 1938),
    Decision("D-2024-018", "LSS", "FSO", "Ledsagarservice", d("2024-02-27"), d("2024-04-08"),
             "Kvinna", 1988),
    Decision("D-2024-019", "SoL", "FSO", "Boendestöd", d("2024-03-05"), d("2024-04-02"), "Man",
             1979),
    Decision("D-2024-020", "SoL", "ÄO", "Hemtjänst", d("2024-03-20"), d("2024-03-25"), "Kvinna",
             1944),
    Decision("D-2024-021", "LSS", "FSO", "Korttidsvistelse", d("2024-04-03"), d("2024-05-13"),
             "Man", 2011),
    Decision("D-2024-022", "SoL", "IFO", "Kontaktperson", d("2024-04-16"), d("2024-06-17"), "Man",
             2009),
    Decision("D-2024-023", "SoL", "ÄO", "SÄBO", d("2024-04-24"), d("2024-06-03"), "Kvinna", 1930),
    Decision("D-2024-024", "LSS", "FSO", "Kontaktperson", d("2024-05-13"), d("2024-07-01"),
             "Kvinna", 1997),
    Decision("D-2024-025", "SoL", "ÄO", "Hemtjänst", d("2024-05-21"), d("2024-05-27"), "Man",
             1947),
    Decision("D-2024-026", "SoL", "FSO", "Boendestöd", d("2024-06-04"), d("2024-07-08"), "Kvinna",
             1985),
    Decision("D-2024-027", "LSS", "FSO", "Daglig verksamhet", d("2024-06-12"), d("2024-08-19"),
             "Man", 2005, note="Start efter semesterperioden"),
    Decision("D-2024-028", "SoL", "ÄO", "SÄBO", d("2024-06-19"), d("2024-08-26"), "Man", 1935),
    Decision("D-2024-029", "SoL", "IFO", "Kontaktfamilj", d("2024-07-02"), d("2024-09-09"), "Man",
             2017),
    Decision("D-2024-030", "SoL", "ÄO", "Korttidsvistelse", d("2024-07-10"), d("2024-07-12"),
             "Kvinna", 1939),
    Decision("D-2024-031", "LSS", "FSO", "Ledsagarservice", d("2024-08-06"), d("2024-09-23"),
             "Man", 1992),
    Decision("D-2024-032", "SoL", "ÄO", "Hemtjänst", d("2024-08-20"), d("2024-08-26"), "Kvinna",
             1950),
    Decision("D-2024-033", "SoL", "ÄO", "SÄBO", d("2024-09-03"), d("2024-11-11"), "Kvinna", 1937),
    Decision("D-2024-034", "LSS", "FSO", "Korttidsvistelse", d("2024-09-17"), d("2024-10-28"),
             "Kvinna", 2013),
    Decision("D-2024-035", "SoL", "IFO", "Kontaktperson", d("2024-10-01"), d("2024-11-25"),
             "Kvinna", 2008),
    Decision("D-2024-036", "SoL", "FSO", "Boendestöd", d("2024-10-15"), d("2024-11-04"), "Man",
             1990),
    Decision("D-2024-037", "SoL", "ÄO", "Hemtjänst", d("2024-10-22"), d("2024-10-28"), "Man",
             1943),
    Decision("D-2024-038", "LSS", "FSO", "Daglig verksamhet", d("2024-11-12"), d("2024-12-16"),
             "Kvinna", 2004),
    Decision("D-2024-039", "SoL", "ÄO", "Korttidsvistelse", d("2024-11-26"), d("2024-12-02"),
             "Man", 1942),
    Decision("D-2024-040", "SoL", "ÄO", "Hemtjänst", d("2024-12-10"), d("2024-12-16"), "Kvinna",
             1946),
]

# Cells written to the XLSX as text instead of native dates: (id, header) -> strftime format.
TEXT_DATES: dict[tuple[str, str], str] = {
    ("D-2024-001", "Beslutsdatum"): "%y%m%d",
    ("D-2024-001", "Verkställd"): "%y%m%d",
    ("D-2024-003", "Beslutsdatum"): "%y%m%d",
    ("D-2024-005", "Beslutsdatum"): "%y%m%d",
    ("D-2024-009", "Beslutsdatum"): "%y%m%d",
    ("D-2024-002", "Beslutsdatum"): "%Y%m%d",
}

# A fixed timestamp for the workbook properties, so the files do not carry the build time.
FIXED_TIME = datetime(2025, 1, 10, 8, 0, 0)


def birth_date(r: Decision) -> date | None:
    """An invented birth date in the birth year for the edge cases (D-2024-001 .. 012), which
    IVO's individrapport needs (its pseudo-identifier is the birth date and sex); the ordinary
    decisions have the year only, as most registers do."""
    n = int(r.id[-3:])
    if n > 12:
        return None
    return date(r.born, n, min(3 + 2 * n, 28))


def records() -> list[dict[str, date | int | str | None]]:
    """The register as rows of {Swedish header: value}."""
    return [
        {
            "Ärende": r.id,
            "Lag": r.law,
            "Verksamhet": r.area,
            "Insats": r.service,
            "Beslutsdatum": r.decided,
            "Verkställd": r.executed,
            "Avbrott": r.interrupted,
            "Återupptagen": r.resumed,
            "Kön": r.sex,
            "Födelseår": r.born,
            "Födelsedatum": birth_date(r),
            "Handläggare": OFFICER[r.area],
            "Orsak": r.reason,
            "Anteckning": r.note,
        }
        for r in DECISIONS
    ]


def write_xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Beslut"
    ws.append(HEADERS)
    for rec in records():
        ws.append([rec[h] for h in HEADERS])
        row = ws.max_row
        for col, header in enumerate(HEADERS, start=1):
            if header not in DATE_COLUMNS:
                continue
            cell = ws.cell(row=row, column=col)
            value = rec[header]
            fmt = TEXT_DATES.get((str(rec["Ärende"]), header))
            if fmt and isinstance(value, date):
                cell.value = value.strftime(fmt)
                cell.number_format = "@"
            elif value is not None:
                cell.number_format = "yyyy-mm-dd"
    for col, header in enumerate(HEADERS, start=1):
        width = max(len(header), *(len(str(c.value or "")) for c in ws[get_column_letter(col)]))
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, 40)
    ws.freeze_panes = "A2"
    wb.properties.creator = "bevaka examples/make_register.py"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)


def write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(HEADERS)
        for rec in records():
            writer.writerow([_csv_value(rec[h]) for h in HEADERS])


def _csv_value(value: date | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write into")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    write_xlsx(out / f"{STEM}.xlsx")
    write_csv(out / f"{STEM}.csv")
    print(f"skrev {out / STEM}.xlsx och .csv ({len(DECISIONS)} beslut)")


if __name__ == "__main__":
    main()
