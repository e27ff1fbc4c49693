"""Deterministic synthetic decision register for the benchmarks (not a test fixture).

The workload follows /work/shared/reference/durable-rules-measurements.md: N favourable
decisions from ``random.Random(20240630)``, SoL 70 % / LSS 30 %, decided 2023-01-01..2024-06-30,
75 % executed after ~Exp(45 days), 8 % of the executed interrupted, 60 % of those resumed.
Dates that would fall after ``as_of`` are left empty (the register is read on ``as_of``; it
cannot hold a future execution), so the realised shares are slightly below the nominal ones.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from facts.models import Decision

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


def decision_rows(n: int, as_of: date, seed: int = SEED) -> list[dict[str, object]]:
    """``n`` decision rows as plain dicts (dates as ``date``), ids ``B-0000001``…"""
    rng = random.Random(seed)
    span = (LAST - FIRST).days
    rows: list[dict[str, object]] = []
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
        rows.append({
            "id": f"B-{i + 1:07d}", "law": law, "area": area, "service": service,
            "decided_on": decided, "executed_on": executed, "interrupted_on": interrupted,
            "resumed_on": resumed, "officer": rng.choice(OFFICERS),
        })
    return rows


def decisions(rows: list[dict[str, object]]) -> list[Decision]:
    """The rows as validated ``Decision`` models."""
    return [Decision(**r) for r in rows]


def executions(rows: list[dict[str, object]], as_of: date, share: float = 0.01,
               seed: int = SEED + 1) -> list[Decision]:
    """A day's change: ``share`` of all decisions, chosen among the unexecuted, now executed."""
    rng = random.Random(seed)
    open_rows = [r for r in rows if r["executed_on"] is None]
    k = min(len(open_rows), max(1, round(len(rows) * share)))
    out = []
    for r in rng.sample(open_rows, k):
        decided = r["decided_on"]
        assert isinstance(decided, date)
        executed = min(as_of, decided + timedelta(days=int(rng.expovariate(1 / 45))))
        out.append(Decision(**{**r, "executed_on": executed}))
    return out
