"""The law the IVO quarter cites, as data: which paragraph each listed decision rests on for a
reporting date, the särskild avgift's floor and ceiling by decision date, and the two-year limit.

Reporting duty (the reporting date is the quarter's last day):

=================  ===============================  =========================  ============
case               SoL (2001:453), to 2025-06-30     SoL (2025:400), from        LSS
                                                    2025-07-01
=================  ===============================  =========================  ============
not executed       16 kap. 6 f § första stycket      34 kap. 1 § första stycket  28 f § första stycket
interrupted        16 kap. 6 f § andra stycket       34 kap. 1 § andra stycket   28 f § andra stycket
executed notice    16 kap. 6 g §                     34 kap. 2 §                 28 g §
statistics to KF   16 kap. 6 h §                     34 kap. 3 §                 28 h §
=================  ===============================  =========================  ============

A part of an insats that is not delivered is reported as a decision not executed (first
paragraph); a decision closed without execution ends the reporting under the paragraph it was
listed under (IVO: "avslutat av annan anledning").

Särskild avgift: SoL (2025:400) 34 kap. 7 § and LSS 28 b § — lägst 10 000 och högst 1 000 000
kronor; from 2026-01-01 (SFS 2025:1299 for SoL, SFS 2025:1298 for LSS) lägst 15 000 och högst
1 500 000 kronor, chosen here by the decision date. Decisions under SoL (2001:453) cite its
16 kap. 6 b §. An application must reach the municipality within two years (SoL 34 kap. 10 §,
LSS 28 e §, SoL (2001:453) 16 kap. 6 e §); bevaka reads the two years from the day the decision
was executed (or closed), so an unexecuted decision has no limit running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

NEW_SOL = date(2025, 7, 1)  # SoL (2025:400) in force
NEW_FEES = date(2026, 1, 1)  # SFS 2025:1298 and 2025:1299 in force

#: The categories a decision is listed under in the quarter's reports.
CATEGORIES = ("not_executed", "interrupted", "partial", "executed", "partial_executed", "closed")

_PARAGRAPH = {  # (law, case) -> (old SoL, new SoL or LSS)
    ("SoL", "not_executed"): ("SoL (2001:453) 16 kap. 6 f § första stycket",
                              "SoL (2025:400) 34 kap. 1 § första stycket"),
    ("SoL", "interrupted"): ("SoL (2001:453) 16 kap. 6 f § andra stycket",
                             "SoL (2025:400) 34 kap. 1 § andra stycket"),
    ("SoL", "executed"): ("SoL (2001:453) 16 kap. 6 g §", "SoL (2025:400) 34 kap. 2 §"),
    ("SoL", "statistics"): ("SoL (2001:453) 16 kap. 6 h §", "SoL (2025:400) 34 kap. 3 §"),
    ("LSS", "not_executed"): ("LSS 28 f § första stycket",) * 2,
    ("LSS", "interrupted"): ("LSS 28 f § andra stycket",) * 2,
    ("LSS", "executed"): ("LSS 28 g §",) * 2,
    ("LSS", "statistics"): ("LSS 28 h §",) * 2,
}


def citation(law: str, case: str, reported_on: date) -> str:
    """The paragraph a row of ``case`` (a :data:`CATEGORIES` entry, ``statistics``, or
    ``closed_interrupted`` for a closure during an interruption) cites on ``reported_on``."""
    key = {"partial": "not_executed", "partial_executed": "executed", "closed": "not_executed",
           "closed_interrupted": "interrupted"}.get(case, case)
    old, new = _PARAGRAPH[(law, key)]
    return new if reported_on >= NEW_SOL else old


@dataclass(frozen=True)
class FeeRange:
    floor: int
    ceiling: int
    citation: str


def fee_range(law: str, decided_on: date) -> FeeRange:
    """The särskild avgift's floor and ceiling for a decision of ``law`` made on
    ``decided_on``."""
    if decided_on >= NEW_FEES:
        text = ("SoL (2025:400) 34 kap. 7 § i lydelse enligt SFS 2025:1299" if law == "SoL"
                else "LSS 28 b § i lydelse enligt SFS 2025:1298")
        return FeeRange(15_000, 1_500_000, text)
    if law == "SoL":
        text = ("SoL (2025:400) 34 kap. 7 §" if decided_on >= NEW_SOL
                else "SoL (2001:453) 16 kap. 6 b §")
    else:
        text = "LSS 28 b §"
    return FeeRange(10_000, 1_000_000, text)


def two_year_citation(law: str, on: date) -> str:
    """The two-year limit's paragraph on ``on``."""
    if law == "LSS":
        return "LSS 28 e §"
    return "SoL (2025:400) 34 kap. 10 §" if on >= NEW_SOL else "SoL (2001:453) 16 kap. 6 e §"


#: KF statistics: how long since the decision (or the interruption), in whole months.
#: IVO's own statistics use 7–9, 10–12, 13–17 and 18+ months; the two-year limit splits 18+.
TIME_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("upp till 6 mån", 0, 6),
    ("7–9 mån", 7, 9),
    ("10–12 mån", 10, 12),
    ("13–17 mån", 13, 17),
    ("18–23 mån", 18, 23),
    ("24 mån eller mer", 24, None),
)


def whole_months(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (2024-01-31 → 2024-02-29 is 0)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def time_band(start: date, as_of: date) -> str:
    months = whole_months(start, as_of)
    for label, low, high in TIME_BANDS:
        if months >= low and (high is None or months <= high):
            return label
    return TIME_BANDS[0][0]
