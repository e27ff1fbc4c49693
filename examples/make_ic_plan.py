"""Write the Oxelösund VON internal-control plan 2024 and the invented data that goes with it.

    .venv/bin/python examples/make_ic_plan.py            # writes into examples/
    .venv/bin/python examples/make_ic_plan.py --out DIR  # writes into DIR

Files:

* ``internkontroll-2024.xlsx``: the eight control points of *Internkontrollplan 2024*,
  Vård- och omsorgsnämnden, Oxelösunds kommun, exactly as the plan prints them (domain source
  003, lines 1000–1051; catalogue table T2), with the plan's Swedish column headers plus
  ``Plan``, ``År`` and ``Mätmånader`` (the plan prints "Mars och september" inside the
  frequency column). Owners are written as printed (``MAS``, ``US``, ``1:e
  socialsekreterare``) and read as the role keys ``mas``, ``us`` and
  ``forsta_socialsekreterare``.
* ``sammantraden-oxelosund-2024.csv``: four VON meetings in 2024. **Invented dates**: the
  plan says only that the results are reported to VON in May and November.
* ``kontrollresultat-2024.csv``: **invented** control results, one per point and half-year,
  with a few deviations from the norm (point 2 has no result in the autumn, point 3's spring
  sample is one record short, point 6's spring control was done in June and reported in
  November).
* ``utredningar-bou-2024.csv``: **invented** child and youth investigations (case
  references only): in March 2024 two of nine ongoing investigations had run more than three
  months (22,2 %, above the 10 % of point 8); in September one of ten (exactly 10 %, not above).

The script is deterministic (no randomness, no ``date.today()``, fixed workbook times).
"""

from __future__ import annotations

import argparse
import csv
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
PLAN = "Internkontrollplan 2024 VON Oxelösund"
YEAR = 2024
FIXED_TIME = datetime(2023, 11, 21, 12, 0, 0)  # the plan's workshop/adoption meeting

PLAN_XLSX = "internkontroll-2024.xlsx"
MEETINGS_CSV = "sammantraden-oxelosund-2024.csv"
RESULTS_CSV = "kontrollresultat-2024.csv"
INVESTIGATIONS_CSV = "utredningar-bou-2024.csv"

PLAN_HEADERS = ["Plan", "År", "Nr", "Rutin/System (område)", "Kontrollmoment",
                "Kontrollansvarig", "Omfattning", "Frekvens", "Mätmånader", "Urval",
                "Rapportering", "Konsekvens", "Sannolikhet", "Risk"]

# (nr, area, control step, owner, scope, frequency, months measured, sample method,
#  reporting, consequence, likelihood, risk) — source 003 L1004-1037, catalogue T2.
POINTS: list[tuple[int, str, str, str, str, str, str | None, str | None, str, int, int, int]] = [
    (1, "Dokumentation i patientjournal HSL",
     "Att relevanta vårdplaner finns och följs upp av berörd personal",
     "MAS", "5 st/mätning", "2 ggr/år", None, "Stickprov", "VON maj/nov", 4, 3, 12),
    (2, "ÄO riktlinjer", "Att riktlinjerna för biståndsbedömning följs vid beslut",
     "US", "5 st beslut/mätning", "2 ggr/år", None, "Stickprov", "VON maj/nov", 3, 3, 9),
    (3, "IFO BoU journalanteckningar",
     "Att journalanteckningar förs korrekt och enligt föreskrift (SOSFS 2014:5)",
     "US", "5 st ärenden/mätning", "2 ggr/år", None, "Stickprov", "VON maj/nov", 3, 4, 12),
    (4, "ÄO genomförandeplaner",
     "Att planerna för brukare inom hemtjänst och särskilt boende är korrekta",
     "US", "5 + 5 st / mätning", "2 ggr/år", None, "Stickprov", "VON maj/nov", 3, 4, 12),
    (5, "IFO SoL (orosanmälan barn)",
     "Att reglerna enl. 11 kap 1 a § SoL vid orosanmälan för barn följs",
     "1:e socialsekreterare", "Samtliga öppnade aktualiseringar under resp månad", "2 ggr/år",
     "Mars och september", "IVO:s egenkontrollmall", "VON maj/nov", 4, 4, 16),
    (6, "Äldreomsorg",
     "Att beslutad insats och utförd insats om hjälp i hemmet överensstämmer",
     "US", "5 st beslut/mätning", "2 ggr/år", None, "Stickprov", "VON maj/nov", 4, 3, 12),
    (7, "LSS-insatser", "Att beslutad insats blir verkställd inom 3 mån",
     "US", "Samtliga", "2 ggr/år", None, "LSS 9§10", "VON maj/nov", 3, 3, 9),
    (8, "IFO BoU utredningar enl. 11 kap 1 § SoL",
     "Andelen utredningar barn och unga som pågår över 3 mån ska ej överstiga 10% av samtliga",
     "US", "Samtliga pågående under respektive månad", "2 ggr/år", "Mars och september", None,
     "VON maj/nov", 4, 4, 16),
]

# Invented: four VON meetings of 2024 (May and November are the reporting months). The dates
# and titles are those of the invented 2024 calendar in oxelosund-moten.yaml, so importing
# both files gives one calendar.
MEETINGS = [date(2024, 3, 20), date(2024, 5, 22), date(2024, 9, 25), date(2024, 11, 20)]
MEETING_TITLE = "VON Oxelösund (påhittat datum)"

RESULT_HEADERS = ["Plan", "Nr", "Utförd", "Antal granskade", "Avvikelser",
                  "Åtgärdsplan senast", "Rapporterad"]
MAY, NOV = date(2024, 5, 22), date(2024, 11, 20)
# Invented: (nr, performed, sample size, deviations, action plan due, reported on).
RESULTS: list[tuple[int, date, int, int, date | None, date | None]] = [
    (1, date(2024, 4, 16), 5, 1, date(2024, 6, 28), MAY),
    (1, date(2024, 10, 15), 5, 0, None, NOV),
    (2, date(2024, 4, 18), 5, 0, None, MAY),
    (3, date(2024, 4, 11), 4, 0, None, MAY),
    (3, date(2024, 10, 10), 5, 2, date(2024, 12, 31), NOV),
    (4, date(2024, 4, 23), 10, 3, date(2024, 9, 30), MAY),
    (4, date(2024, 10, 22), 10, 1, None, NOV),
    (5, date(2024, 4, 9), 7, 0, None, MAY),
    (5, date(2024, 10, 8), 9, 1, None, NOV),
    (6, date(2024, 6, 12), 5, 2, None, NOV),
    (6, date(2024, 10, 17), 5, 0, None, NOV),
    (7, date(2024, 4, 30), 2, 0, None, MAY),
    (7, date(2024, 10, 31), 6, 2, None, NOV),
    (8, date(2024, 4, 8), 9, 2, date(2024, 6, 30), MAY),
    (8, date(2024, 10, 7), 10, 1, None, NOV),
]

INVESTIGATION_HEADERS = ["Utredning", "Inledd", "Avslutad", "Enhet"]
UNIT = "IFO Barn och unga"
# Invented: (case reference, opened, closed).
INVESTIGATIONS: list[tuple[str, date, date | None]] = [
    ("BoU-2023-039", date(2023, 10, 2), date(2024, 1, 15)),   # closed before March
    ("BoU-2023-041", date(2023, 11, 20), date(2024, 3, 12)),  # March: > 3 months at closing
    ("BoU-2023-044", date(2023, 12, 15), date(2024, 4, 10)),  # March: > 3 months at month end
    ("BoU-2023-045", date(2023, 12, 31), date(2024, 4, 15)),  # March: exactly 3 months
    ("BoU-2024-001", date(2024, 1, 8), date(2024, 3, 28)),
    ("BoU-2024-002", date(2024, 1, 22), date(2024, 4, 19)),
    ("BoU-2024-003", date(2024, 2, 5), date(2024, 5, 2)),
    ("BoU-2024-004", date(2024, 2, 19), date(2024, 5, 15)),
    ("BoU-2024-005", date(2024, 3, 4), date(2024, 6, 3)),
    ("BoU-2024-006", date(2024, 3, 18), date(2024, 6, 27)),
    ("BoU-2024-007", date(2024, 4, 15), date(2024, 7, 12)),
    ("BoU-2024-008", date(2024, 5, 6), date(2024, 8, 30)),    # closed before September
    ("BoU-2024-010", date(2024, 5, 27), date(2024, 9, 20)),   # September: > 3 months
    ("BoU-2024-011", date(2024, 6, 10), date(2024, 9, 5)),
    ("BoU-2024-012", date(2024, 6, 24), date(2024, 9, 16)),
    ("BoU-2024-013", date(2024, 7, 8), date(2024, 10, 1)),
    ("BoU-2024-014", date(2024, 7, 29), date(2024, 10, 21)),
    ("BoU-2024-015", date(2024, 8, 12), date(2024, 11, 4)),
    ("BoU-2024-016", date(2024, 8, 26), date(2024, 11, 18)),
    ("BoU-2024-017", date(2024, 9, 2), None),
    ("BoU-2024-018", date(2024, 9, 9), date(2024, 12, 2)),
    ("BoU-2024-019", date(2024, 9, 23), None),
]


def plan_rows() -> list[list[str | int | None]]:
    return [[PLAN, YEAR, nr, area, step, owner, scope, freq, months, sample, reporting, k, s, risk]
            for (nr, area, step, owner, scope, freq, months, sample, reporting, k, s, risk)
            in POINTS]


def write_plan(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Internkontrollplan 2024"
    ws.append(PLAN_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in plan_rows():
        ws.append(row)
    widths = {"Rutin/System (område)": 36, "Kontrollmoment": 60, "Omfattning": 34}
    for col, header in enumerate(PLAN_HEADERS, start=1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = widths.get(header, max(len(header) + 2, 12))
        for cell in ws[letter][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    wb.properties.creator = "bevaka examples/make_ic_plan.py"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)


def _cell(value: date | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _write_csv(path: Path, headers: list[str], rows: list[list[date | int | str | None]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_cell(v) for v in row])


def write_all(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_plan(out / PLAN_XLSX)
    _write_csv(out / MEETINGS_CSV, ["Nämnd", "Datum", "Rubrik"],
               [["VON", d, MEETING_TITLE] for d in MEETINGS])
    _write_csv(out / RESULTS_CSV, RESULT_HEADERS,
               [[PLAN, nr, done, n, dev, due, rep] for (nr, done, n, dev, due, rep) in RESULTS])
    _write_csv(out / INVESTIGATIONS_CSV, INVESTIGATION_HEADERS,
               [[ref, opened, closed, UNIT] for (ref, opened, closed) in INVESTIGATIONS])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write into")
    args = parser.parse_args(argv)
    write_all(args.out)
    print(f"skrev {PLAN_XLSX}, {MEETINGS_CSV}, {RESULTS_CSV} och {INVESTIGATIONS_CSV} i {args.out}")


if __name__ == "__main__":
    main()
