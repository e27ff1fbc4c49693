"""Deterministic synthetic decision register for the benchmarks (not a test fixture).

The workload follows /work/shared/reference/durable-rules-measurements.md: N favourable
decisions from ``random.Random(20240630)``, SoL 70 % / LSS 30 %, decided 2023-01-01..2024-06-30,
75 % executed after ~Exp(45 days), 8 % of the executed interrupted, 60 % of those resumed.
Dates that would fall after ``as_of`` are left empty (the register is read on ``as_of``; it
cannot hold a future execution), so the realised shares are slightly below the nominal ones.
Sex and birth year come from a second generator, so the decision stream is the same as
before they were added.

Rows are plain dicts (dates as ``date`` or None) keyed by the English field names; the
writers in ``registers.py`` turn them into the files a municipality exports.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

SEED = 20240630
FIRST = date(2023, 1, 1)
LAST = date(2024, 6, 30)

AREAS = {
    "SoL": {
        "Äldreomsorg": ["Hemtjänst", "Särskilt boende", "Korttidsvistelse", "Dagverksamhet",
                        "Trygghetslarm"],
        "Individ- och familjeomsorg": ["Kontaktperson", "Stödboende", "Öppenvård"],
    },
    "LSS": {
        "Funktionsstöd": ["Bostad med särskild service", "Daglig verksamhet", "Personlig assistans",
                          "Korttidsvistelse", "Ledsagarservice", "Kontaktperson"],
    },
}
OFFICERS = [f"handlaggare_{i:04d}" for i in range(2000)]
SEXES = ["Kvinna", "Man", "Annat"]

Row = dict[str, object]


def decision_rows(n: int, as_of: date, seed: int = SEED) -> list[Row]:
    """``n`` decision rows, ids ``B-0000001``…"""
    rng = random.Random(seed)
    people = random.Random(seed + 2)
    span = (LAST - FIRST).days
    rows: list[Row] = []
    for i in range(n):
        law = "SoL" if rng.random() < 0.70 else "LSS"
        area = rng.choice(sorted(AREAS[law]))
        service = rng.choice(AREAS[law][area])
        decided = FIRST + timedelta(days=rng.randint(0, span))
        executed = interrupted = resumed = None
        if rng.random() < 0.75:
            executed = decided + timedelta(days=int(rng.expovariate(1 / 45)))
            if rng.random() < 0.08:
                interrupted = executed + timedelta(days=rng.randint(7, 240))
                if rng.random() < 0.60:
                    resumed = interrupted + timedelta(days=int(rng.expovariate(1 / 60)))
        # Nothing in the register lies after the day it is read.
        if resumed and resumed > as_of:
            resumed = None
        if interrupted and interrupted > as_of:
            interrupted = resumed = None
        if executed and executed > as_of:
            executed = interrupted = resumed = None
        elderly = area == "Äldreomsorg"
        rows.append({
            "id": f"B-{i + 1:07d}", "law": law, "area": area, "service": service,
            "decided_on": decided, "executed_on": executed, "interrupted_on": interrupted,
            "resumed_on": resumed, "officer": rng.choice(OFFICERS),
            "sex": people.choices(SEXES, weights=[55, 44, 1])[0],
            "birth_year": people.randint(1920, 1960) if elderly else people.randint(1940, 2020),
        })
    return rows


def changes(rows: list[Row], day: date, share: float = 0.01, seed: int = SEED + 1) -> list[Row]:
    """A day's register changes: ``share`` of all decisions, each with one new event on
    ``day``. Most are executions of open decisions; one in ten interrupts an executed decision
    and one in ten resumes an open interruption (both clocks move)."""
    rng = random.Random(seed)
    k = max(1, round(len(rows) * share))
    pools = {
        "executed_on": [r for r in rows if r["executed_on"] is None],
        "interrupted_on": [r for r in rows if r["executed_on"] and not r["interrupted_on"]],
        "resumed_on": [r for r in rows if r["interrupted_on"] and not r["resumed_on"]],
    }
    wanted = {"interrupted_on": k // 10, "resumed_on": k // 10}
    wanted["executed_on"] = k - sum(wanted.values())
    out: list[Row] = []
    for field, count in wanted.items():
        pool = pools[field]
        for r in rng.sample(pool, min(count, len(pool))):
            out.append({**r, field: day})
    out.sort(key=lambda r: str(r["id"]))
    return out


def one_change(rows: list[Row], day: date) -> Row:
    """One open decision (the first in the register), now executed on ``day``."""
    first = next(r for r in rows if r["executed_on"] is None)
    return {**first, "executed_on": day}
