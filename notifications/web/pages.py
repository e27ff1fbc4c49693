"""What an officer's page shows: open findings, the next 30 days as a calendar grid, and the
internal-control heat map (a grid of the risk matrix in its bands) where the organisation has
a plan. Pure functions over published rows (:mod:`notifications.published`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from notifications.published import for_recipient

DAYS = 30
WEEKDAYS = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
          "oktober", "november", "december")
BAND_CLASS = {"grön": "gron", "gul": "gul", "orange": "orange", "röd": "rod"}
ORDER = {"overdue": 0, "due": 1, "failed": 2, "not_met": 3, "upcoming": 4}


def open_findings(rows: list[dict[str, Any]], who: str) -> list[dict[str, Any]]:
    """The open findings that go to ``who``, what needs action first."""
    mine = [r for r in for_recipient(rows, who) if int(r["oppen"])]
    return sorted(mine, key=lambda r: (ORDER.get(r["statuskod"], 9), r["frist"] or "", r["bevakning"]))


def calendar_grid(items: list[dict[str, Any]], start: date, days: int = DAYS) -> list[list[dict[str, Any]]]:
    """Weeks (Monday to Sunday) covering ``start`` … ``start + days - 1``; each day has its
    date, whether it is in the span, and the deadlines due that day."""
    end = start + timedelta(days=days - 1)
    first = start - timedelta(days=start.weekday())
    last = end + timedelta(days=6 - end.weekday())
    due: dict[str, list[dict[str, Any]]] = {}
    for r in items:
        if r["frist"]:
            due.setdefault(r["frist"], []).append(r)
    weeks, day = [], first
    while day <= last:
        week = []
        for _ in range(7):
            week.append({"date": day, "day": day.day, "in_span": start <= day <= end,
                         "today": day == start, "first": day == first, "month": MONTHS[day.month - 1],
                         "due": due.get(day.isoformat(), []) if start <= day <= end else []})
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def heat_map(cells: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Rows of the risk matrix, highest consequence first, likelihood to the right; None when
    there is no plan."""
    if not cells:
        return None
    size = max(int(c["konsekvens"]) for c in cells)
    by = {(int(c["konsekvens"]), int(c["sannolikhet"])): c for c in cells}
    rows = [{"konsekvens": k,
             "cells": [{**by[(k, s)], "klass": BAND_CLASS.get(by[(k, s)]["band"] or "", "annan")}
                       for s in range(1, size + 1) if (k, s) in by]}
            for k in range(size, 0, -1)]
    return {"plan": cells[0]["plan"], "ar": cells[0]["ar"], "size": size, "rows": rows,
            "points": sum(int(c["antal"]) for c in cells)}
