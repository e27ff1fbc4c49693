"""The tables: medians of the rounds, ratios to the floor, peak RSS, targets and verdicts.

Targets are defined at 1e6 decisions (``audit verify`` at 1e5); at other sizes the verdict is
printed in parentheses, as an indication. Figures scaled from a smaller measurement say so:
"(skalat från 1e5)", "(skalat från k körningar)".
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

Results = list[dict[str, Any]]
TARGET_N = 1_000_000
VERIFY_TARGET_N = 100_000
MB = 1e6


# ---- small helpers --------------------------------------------------------------------------


def progress(n: int) -> Callable[[str], None]:
    t0 = time.perf_counter()

    def say(what: str) -> None:
        print(f"[N={n:,} {time.perf_counter() - t0:5.0f} s] {what}", file=sys.stderr, flush=True)

    return say


def ok(results: Results) -> Results:
    return [r for r in results if "error" not in r]


def med(results: Results, key: str = "seconds") -> float | None:
    values = [r[key] for r in ok(results) if r.get(key) is not None]
    return statistics.median(values) if values else None


def first(results: Results, key: str) -> Any:
    return next((r[key] for r in ok(results) if key in r), None)


def error(results: Results) -> str | None:
    return next((r["error"] for r in results if "error" in r), None)


def peak(results: Results) -> float | None:
    values = [r["rss_mb"] for r in ok(results) if "rss_mb" in r]
    return max(values) if values else None


def t(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def mb(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} MB"


def nbytes(value: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", MB), ("KB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} bytes"


def faster(speedup: float | None) -> str:
    if speedup is None:
        return "–"
    return f"bevaka {speedup:.1f}× faster" if speedup >= 1 else f"bevaka {1 / speedup:.1f}× slower"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def x(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}×"


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value / 1000:.0f}k rows/s"


def size(n: int) -> str:
    return f"1e{round(math.log10(n))}" if n == 10 ** round(math.log10(n)) else f"{n:,}"


def verdict(passed: bool | None, n: int, target_n: int = TARGET_N) -> str:
    if passed is None:
        return "–"
    word = "PASS" if passed else "MISS"
    return word if n == target_n else f"({word.lower()})"


def extrapolate(res: dict[str, Any], at_first: float, at_last: float) -> float:
    """A quantity after ``days`` runs, from its values after run 1 and after the last run
    measured, growing linearly with the runs in between (exact when all days ran)."""
    k, days = res["runs"].get("runs") or 1, res["days"]
    if k >= days or k < 2:
        return at_last
    return at_last + max(0.0, at_last - at_first) * (days - k) / (k - 1)


def hash_opts(res: dict[str, Any]) -> dict[str, int]:
    """The floor of audit verify hashes as many rows as the log would hold after ``days``
    runs, each the mean size of a row the measured runs added."""
    first_run, last_run = res["inventory checked.db"], res["inventory runs.db"]
    rows_1, rows_k = first_run.get("log_rows", 0), last_run.get("log_rows", 0)
    grown = last_run.get("payload_bytes", 0) - first_run.get("payload_bytes", 0)
    row_bytes = round(grown / (rows_k - rows_1)) if rows_k > rows_1 and grown > 0 else 500
    return {"rows": round(extrapolate(res, rows_1, rows_k)), "row_bytes": row_bytes}


def stale_rows(res: dict[str, Any]) -> int | None:
    """Rows outside the log (and the decision inputs beside it) after the rule change, less
    those after the same day's run with the rules unchanged: what is left of the old rule
    version."""
    same, changed = res["inventory daily.db"], res["inventory rebuilt.db"]
    if "log_rows" not in same or "log_rows" not in changed:
        return None

    def outside(inv: dict[str, Any]) -> int:
        return int(inv["rows"] - inv["log_rows"] - inv.get("input_rows", 0))

    return outside(changed) - outside(same)


# ---- one size -------------------------------------------------------------------------------


class Table:
    HEADER = ("phase", "rounds", "bevaka", "floor", "× floor", "peak RSS", "measured", "target",
              "result")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.rss: list[tuple[float, str]] = []

    def add(self, phase: str, bevaka: Results | float | None, floor: Results | float | None,
            measured: str, target: str, result: str, rss: float | None = None,
            rounds: int | None = 1) -> None:
        bt = med(bevaka) if isinstance(bevaka, list) else bevaka
        ft = med(floor) if isinstance(floor, list) else floor
        if isinstance(bevaka, list):
            rss = peak(bevaka)
            failed = error(bevaka) if not ok(bevaka) else None
            if failed:
                measured, result = f"bevaka: {failed}", "MISS"
        if rss is not None:
            self.rss.append((rss, phase))
        if isinstance(bevaka, list):
            rounds = len(ok(bevaka))
        self.rows.append((phase, "–" if rounds is None else str(rounds), t(bt), t(ft),
                          x(ratio(bt, ft)), mb(rss), measured, target, result))

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.HEADER) + " |",
                 "|" + "|".join("---" for _ in self.HEADER) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)


def _imports(tab: Table, res: dict[str, Any], n: int) -> None:
    for key, label, target in (("import-csv", "import CSV", 150_000),
                               ("import-xlsx", "import XLSX", 50_000)):
        p = res["pairs"][key]
        rows = first(p["bevaka"], "rows") or n
        b, f = med(p["bevaka"]), med(p["floor"])
        got = rows / b if b else None
        tab.add(label, p["bevaka"], p["floor"],
                f"{rows:,} rows: {rate(got)} (floor {rate(rows / f if f else None)})",
                f"≥ {target // 1000}k rows/s", verdict(got >= target if got else None, n))


def _runs(tab: Table, res: dict[str, Any], n: int) -> None:
    p = res["pairs"]
    cold = p["cold"]
    tab.add("cold run (first check)", cold["bevaka"], cold["floor"],
            f"{first(cold['bevaka'], 'findings') or 0:,} findings", "–", "–")
    daily = p["daily"]
    r = ratio(med(daily["bevaka"]), med(daily["floor"]))
    tab.add("daily run, nothing changed (incl. log)", daily["bevaka"], daily["floor"],
            f"{first(daily['bevaka'], 'findings') or 0:,} findings; floor without the index "
            f"{t(med(daily['floor'], 'scan_seconds'))}", "≤ 2× floor",
            verdict(r <= 2 if r else None, n))
    ch = p["change"]
    r = ratio(med(ch["bevaka"]), med(ch["floor"]))
    tab.add("daily run, 1 % changed", ch["bevaka"], ch["floor"],
            f"{first(ch['bevaka'], 'rows') or 0:,} rows: import {t(med(ch['bevaka'], 'import_seconds'))}"
            " + run", "≤ 5× floor", verdict(r <= 5 if r else None, n))
    one = p["one-fact"]
    b = med(one["bevaka"])
    tab.add("one fact changed (in process)", one["bevaka"], one["floor"],
            "import 1 row + run", "≤ 5 ms", verdict(b <= 0.005 if b else None, n))


def _rebuild(tab: Table, res: dict[str, Any], n: int) -> None:
    reb = res["pairs"]["rebuild"]
    b, f = med(reb["bevaka"]), med(reb["floor"])
    naive, note = _naive(res)
    speedup = ratio(naive, b)
    moon = ratio(b, f)
    moon_word = verdict(moon <= 5 if moon else None, n).strip("()").upper()
    tab.add("rebuild after a rule change", reb["bevaka"], reb["floor"],
            f"naive durable_rules {t(naive)}{note}: {faster(speedup)}; moonshot ≤ 5× floor: "
            f"{moon_word}", "≥ 5× faster than naive",
            verdict(speedup >= 5 if speedup else None, n))


def _naive(res: dict[str, Any]) -> tuple[float | None, str]:
    if "naive" in res:
        return med(res["naive"]), ""
    ref = res.get("reference")
    if not ref:
        return None, ""
    base = med(ref["naive"])
    return (base * res["n"] / ref["n"] if base else None), f" (skalat från {size(ref['n'])})"


def _notify(tab: Table, res: dict[str, Any], n: int, smaller: Results | None,
            smaller_n: int | None) -> None:
    p = res["pairs"]["notify"]
    b, f = med(p["bevaka"]), med(p["floor"])
    reminders = first(p["bevaka"], "reminders") or 0
    messages = first(p["bevaka"], "messages") or 0
    text = (f"{messages:,} messages, {reminders:,} reminders, "
            f"{nbytes(first(p['bevaka'], 'bytes') or 0)} (largest "
            f"{nbytes(first(p['bevaka'], 'largest_bytes') or 0)})")
    if (first(p["floor"], "messages"), first(p["floor"], "reminders")) != (messages, reminders):
        text += (f" (floor: {first(p['floor'], 'messages')} messages, "
                 f"{first(p['floor'], 'reminders')} reminders)")
    exponent = None
    if smaller and smaller_n and b:
        sb, sr = med(smaller), first(smaller, "reminders")
        if sb and sr and reminders > sr:
            exponent = math.log(b / sb) / math.log(reminders / sr)
            text += f"; time ∝ reminders^{exponent:.2f} (vs {size(smaller_n)})"
    r = ratio(b, f)
    passed = None if r is None else r <= 5 and (exponent is None or exponent <= 1.15)
    tab.add("notify --dry-run", p["bevaka"], p["floor"], text,
            "≤ 5× floor; linear in reminders", verdict(passed, n))


def _audit(tab: Table, res: dict[str, Any], n: int) -> None:
    runs, days = res["runs"], res["days"]
    k = runs.get("runs") or 0
    note = f" (skalat från {k} körningar)" if k and k < days else ""
    verify_1 = res["inventory checked.db"].get("verify_seconds")
    verify_k = med(res["verify"])
    rows = first(res["verify"], "rows") or 0
    rows_after = first(res["hash"], "rows") or rows
    # The larger of: time per row, and time per run after the first (noisy when runs add
    # few rows), so that neither a per-row nor a per-run cost is left out.
    vb = None if verify_k is None else max(verify_k * rows_after / rows if rows else verify_k,
                                           extrapolate(res, verify_1 or verify_k, verify_k))
    okay = first(res["verify"], "ok")
    measured = (f"{rows:,} rows of {k} runs verified in {t(verify_k)}, "
                f"{first(res['hash'], 'rows') or 0:,} rows after {days}{note}"
                + ("" if okay else ", NOT OK"))
    tab.add(f"audit verify after {days} runs", vb, med(res["hash"]), measured, "≤ 10 s (at 1e5)",
            verdict(vb <= 10 if vb is not None else None, n, VERIFY_TARGET_N), peak(res["verify"]),
            len(ok(res["verify"])))
    log = res["log"]
    grown = log.get("payload_bytes")
    tab.add("log growth, run with nothing changed", log.get("seconds"), None,
            f"{grown:,} bytes of rows, file +{log.get('file_bytes', 0):,} bytes" if grown is not None
            else f"bevaka: {log.get('error')}", "≤ 1 KB",
            verdict(grown <= 1000 if grown is not None else None, n), log.get("rss_mb"))
    one = res["inventory checked.db"].get("file_bytes")
    last = res["inventory runs.db"].get("file_bytes")
    if not one or not last or k < 2:
        failed = runs.get("error") or res["inventory runs.db"].get("error")
        tab.add(f"database after {days} runs", None, None, f"bevaka: {failed}",
                "≤ 2× run 1", "MISS")
        return
    est = extrapolate(res, one, last)
    stale = stale_rows(res)
    per_run = runs["seconds"] / (k - 1) if k > 1 else None
    tab.add(f"database after {days} runs", per_run, None,
            f"run 1: {nbytes(one)}, run {days}: {nbytes(est)}{note} = {x(est / one)}; "
            f"rows left of the old rule version after the rebuild: {stale}; "
            "bevaka = time per run",
            "≤ 2× run 1; no old-version rows",
            verdict(est <= 2 * one and stale <= 0 if stale is not None else None, n),
            runs.get("rss_mb"))


def checks(res: dict[str, Any]) -> dict[str, str]:
    """Oracle verdict per check of one size."""
    out: dict[str, str] = {}
    for key, pair in res["pairs"].items():
        for side, results in pair.items():
            for r in ok(results):
                if "check" in r:
                    label = key if side == "bevaka" else f"{side} {key}"
                    out[label] = "MISMATCH" if "MISMATCH" in (out.get(label), r["check"]) \
                        else r["check"]
    for r in ok(res.get("naive", []) or res.get("reference", {}).get("naive", [])):
        out["naive durable_rules"] = r["check"]
    return out


def render_size(res: dict[str, Any], smaller: dict[str, Any] | None) -> str:
    n = res["n"]
    tab = Table()
    _imports(tab, res, n)
    _runs(tab, res, n)
    _rebuild(tab, res, n)
    rep = res["pairs"]["report-ivo"]
    tab.add("report ivo (quarter ending on the first run)", rep["bevaka"], rep["floor"],
            f"{first(rep['bevaka'], 'rows') or 0:,} rows, "
            f"{nbytes(first(rep['bevaka'], 'bytes') or 0)} (CSV + XLSX)", "–", "–")
    ref = res.get("reference")
    if ref:
        small, small_n = ref["notify"], ref["n"]
    elif smaller:
        small, small_n = smaller["pairs"]["notify"]["bevaka"], smaller["n"]
    else:
        small, small_n = None, None
    _notify(tab, res, n, small, small_n)
    _audit(tab, res, n)
    top = max(tab.rss) if tab.rss else None
    tab.add("peak RSS, every phase", None, None,
            f"highest: {top[1]}" if top else "–", "≤ 300 MB",
            verdict(top[0] <= 300 if top else None, n), top[0] if top else None, None)
    oracle = checks(res)
    bad = [k for k, v in oracle.items() if v != "OK"]
    shape = res["shape"]
    head = (f"### N = {n:,} ({size(n)}): {shape['executed']:,} executed, "
            f"{shape['interrupted']:,} interrupted; {res['rounds']} round(s), medians; "
            f"{t(res.get('seconds'))} for this size")
    tail = ("findings = oracle: " + ("OK" if not bad else "MISMATCH in " + ", ".join(bad))
            + f" ({', '.join(sorted(oracle))})")
    return "\n".join([head, "", tab.markdown(), "", tail])


def render(results: Results, wall: float, machine: str) -> str:
    parts = [f"bevaka benchmark: {machine}", ""]
    smaller = None
    for res in results:
        parts += [render_size(res, smaller), ""]
        smaller = res
    parts.append(f"wall time {wall / 60:.1f} min")
    return "\n".join(parts)


def exit_code(results: Results) -> int:
    """1 if any findings differ from the oracle's, 2 if a child failed (not a timeout)."""
    if any(v != "OK" for res in results for v in checks(res).values()):
        return 1
    failed = [r for res in results for r in _all(res) if "error" in r
              and not str(r["error"]).startswith("timeout")]
    return 2 if failed else 0


def _all(res: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for pair in res["pairs"].values():
        for results in pair.values():
            yield from results
    yield from res.get("verify", [])
    yield from res.get("hash", [])
    yield from res.get("naive", [])
    yield res["log"]
    yield res["runs"]
    yield from (v for k, v in res.items() if k.startswith("inventory"))
