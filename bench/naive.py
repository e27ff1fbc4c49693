"""Naive durable_rules: the reference for "rebuild after a rule change".

The way the library's documentation suggests using it: a ``durable.lang`` ruleset with clock A
and clock B, and one ``post()`` per decision. The decisions are read from the floor's ``raw``
table; each clock's start, done and deadline are computed in Python first (durable_rules has
no dates; ISO text compares correctly). An event is consumed by the first rule it matches,
so the listing conditions are rules by priority: both clocks, clock A, clock B, then a
catch-all so that a decision no clock lists is not "not handled". The action computes the
status. ``MessageNotHandledException`` is caught all the same.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from functools import cache
from typing import Any

import oracle
from child import Ctx, Result, timed


def _ruleset(name: str, as_of: str, window: str, sink: oracle.Findings) -> None:
    from durable.lang import m, pri, ruleset, when_all

    def listed(clock: str) -> Any:
        start, done = getattr(m, f"{clock}_start"), getattr(m, f"{clock}_done")
        return (start <= as_of) & ((done == None) | (done >= window))  # noqa: E711 (durable DSL)

    def record(c: Any, *which: str) -> None:
        for clock, rule in (("a", oracle.CLOCK_A), ("b", oracle.CLOCK_B)):
            if clock in which:
                due, done = c.m[f"{clock}_due"], c.m[f"{clock}_done"]
                sink[(rule, c.m["id"])] = oracle.status(due, done, as_of)

    with ruleset(name):
        @when_all(pri(1), listed("a") & listed("b"))
        def both(c: Any) -> None:
            record(c, "a", "b")

        @when_all(pri(2), listed("a"))
        def clock_a(c: Any) -> None:
            record(c, "a")

        @when_all(pri(3), listed("b"))
        def clock_b(c: Any) -> None:
            record(c, "b")

        @when_all(pri(4), +m.kind)
        def rest(c: Any) -> None:
            return None


def rebuild(ctx: Ctx) -> Result:
    """All decisions through durable_rules with ``three_months = "90-days"``, as of the day
    after the first run (what bevaka's rebuild computes)."""
    from durable.engine import MessageNotHandledException
    from durable.lang import post

    three = "90-days"
    as_of = ctx.next_day
    window = (as_of - timedelta(days=ctx.window_days)).isoformat()

    @cache
    def due(start: str) -> str:
        return oracle.deadline(date.fromisoformat(start), three).isoformat()

    res: Result = {}
    got: oracle.Findings = {}
    name = f"naive-{as_of}-{three}"
    unhandled = 0
    with timed(res):
        _ruleset(name, as_of.isoformat(), window, got)
        conn = sqlite3.connect(ctx.db)
        rows = conn.execute("SELECT id, law, decided_on, executed_on, interrupted_on, resumed_on"
                            " FROM raw WHERE law IN ('SoL', 'LSS')").fetchall()
        conn.close()
        for case, _law, decided, executed, interrupted, resumed in rows:
            message = {"id": case, "kind": "beslut",
                       "a_start": decided, "a_done": executed or None, "a_due": due(decided),
                       "b_start": interrupted or None, "b_done": resumed or None,
                       "b_due": due(interrupted) if interrupted else None}
            try:
                post(name, message)
            except MessageNotHandledException:
                unhandled += 1
    res["rows"] = len(rows)
    res["unhandled"] = unhandled
    want = oracle.expected(ctx.work, as_of, ctx.window_days, three_months=three)
    res["check"] = oracle.compare("naive durable_rules", got, want)
    return res


PHASES = {"naive.rebuild": rebuild}
