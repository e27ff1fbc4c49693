"""The one module that talks to durable_rules.

It handles the traps measured on this project (see docs/architecture.md):

* Every rule gets its own ruleset, named ``rule_id@version#revision`` so a changed rule is a
  new name (ruleset names cannot be redefined in a Host).
* A message matches the rule (priority 1) or the catch-all (priority 2), so no message is
  "not handled", and every id of a batch must come back through one of them: a message
  silently dropped by durable's 32-bit id hash is detected, not lost.
* Messages are *events* with unique ids, asserted in batches of 1000 through the C extension
  (``assert_events``), and the actions run synchronously right after (``do_actions``) on a
  Host whose background dispatcher threads are disabled. ``cap`` hands up to 1000 matches to
  one action call.
* Actions only collect ids; an exception inside one is raised here instead of being
  swallowed into the session state.
* Values must be JSON: dates are sent as ISO strings (which compare correctly). durable's JSON
  reader takes an exponent only after a decimal point: a number written ``1e+16`` or
  ``1e-05``, as Python writes such floats, crashes the process (segmentation fault) or loses
  the batch, so those are sent as ``1.0e+16``, the same number. A float that is not finite has no JSON form at
  all and is refused (:class:`MatchError`, the rule fails) instead of being sent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import durable_rules_engine
from durable import engine as _engine

from engine.rules.to_durable import NEVER, TAG

BATCH = 1000


class MatchError(RuntimeError):
    """durable_rules lost or mangled messages, or an action failed."""


class _Host(_engine.Host):
    """A durable Host without background threads; actions are looked up in a dict."""

    def __init__(self) -> None:
        self._actions: dict[str, Callable[[Any], None]] = {}
        super().__init__()

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._actions[action_name]

    def _run(self) -> None:  # no dispatcher/timer threads: we drive actions ourselves
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


_HOLD_FLOATS = {float, dict, list, tuple}  # the value types _payload looks into


def _floats(value: Any) -> list[float]:
    """The floats in a message value (a list or dict parameter can hold some)."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [f for v in value for f in _floats(v)]
    return []


# A JSON string (skipped whole, so nothing inside one is touched) or a whole number (not the end
# of 1.25e+17) with an exponent, which durable's reader (json.c, getNumber) cannot take.
_STRING_OR_BARE_EXPONENT = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![\d.])(-?\d+)([eE][-+]?\d+)')


def _payload(name: str, batch: list[dict[str, Any]]) -> str:
    """``batch`` as JSON that durable's reader takes: ``1e+16`` written ``1.0e+16``; a float
    that is not finite raises :class:`MatchError`."""
    rewrite = False
    for message in batch:
        for key, value in message.items():
            if type(value) not in _HOLD_FLOATS:
                continue
            for f in _floats(value):
                if not math.isfinite(f):
                    raise MatchError(f"{name}: {key} = {f} i {message.get('id')!r} är inget ändligt "
                                     "tal; durable_rules kan inte läsa det")
                text = repr(f)
                rewrite = rewrite or ("e" in text and "." not in text)
    payload = json.dumps(batch, ensure_ascii=False)
    if not rewrite:
        return payload
    return _STRING_OR_BARE_EXPONENT.sub(lambda m: m[0] if m[1] is None else f"{m[1]}.0{m[2]}",
                                        payload)


class Matcher:
    """Registers rule conditions as durable rulesets and matches message batches.

    One Matcher per process; rulesets are registered once per name and reused.
    """

    def __init__(self) -> None:
        self._host = _Host()
        self._registered: set[str] = set()
        self._never: set[str] = set()
        self._sink: dict[str, list[str]] = {}

    def _collector(self, key: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            try:
                messages = c.m if isinstance(c.m, list) else [c.m]
                self._sink[key].extend(m["id"] for m in messages)
            except Exception as exc:  # pragma: no cover - durable would swallow it
                self._sink.setdefault("_errors", []).append(repr(exc))

        return action

    def register(self, name: str, condition: dict[str, Any]) -> None:
        if name in self._registered:
            return
        if condition == NEVER:  # durable spins on a condition no message can meet: skip it
            self._never.add(name)
            self._registered.add(name)
            return
        match_key, rest_key = f"{name}:match", f"{name}:rest"
        self._host._actions[match_key] = self._collector(match_key)
        self._host._actions[rest_key] = self._collector(rest_key)
        definition = {
            name: {
                "match": {"all": [{"m": condition}], "pri": 1, "cap": BATCH, "run": match_key},
                "rest": {"all": [{"m": {"$ex": {TAG: 1}}}], "pri": 2, "cap": BATCH,
                         "run": rest_key},
            }
        }
        self._host.register_rulesets(definition)
        self._registered.add(name)

    def match(self, name: str, messages: Iterable[dict[str, Any]]) -> set[str]:
        """Ids of the messages that satisfy ruleset ``name``'s condition.

        Every message needs a unique string ``id``.
        """
        if name in self._never:
            return set()
        ruleset = self._host.get_ruleset(name)
        matched: set[str] = set()
        batch: list[dict[str, Any]] = []
        for message in messages:
            batch.append({k: _jsonable(v) for k, v in message.items()} | {TAG: 1})
            if len(batch) == BATCH:
                matched |= self._run_batch(name, ruleset, batch)
                batch = []
        if batch:
            matched |= self._run_batch(name, ruleset, batch)
        return matched

    def _run_batch(self, name: str, ruleset: Any, batch: list[dict[str, Any]]) -> set[str]:
        if len({m["id"] for m in batch}) != len(batch):
            raise MatchError(f"{name}: samma id förekommer två gånger i en sats")
        match_key, rest_key = f"{name}:match", f"{name}:rest"
        self._sink[match_key], self._sink[rest_key] = [], []
        payload = _payload(name, batch)
        code, state = durable_rules_engine.assert_events(ruleset._handle, payload)
        errors: list[Any] = []
        ruleset.do_actions(state, lambda e, _s: errors.append(e) if e else None)
        if errors or self._sink.pop("_errors", []):
            raise MatchError(f"{name}: en regelåtgärd misslyckades: {errors}")
        matched, rest = set(self._sink.pop(match_key)), set(self._sink.pop(rest_key))
        # An event that satisfies several branches of an "or" can fire the match action once per
        # branch, so compare sets: every id must come back, through one rule or the other.
        missing = {m["id"] for m in batch} - matched - rest
        if missing:
            raise MatchError(
                f"{name}: durable_rules tappade {len(missing)} av {len(batch)} meddelanden "
                f"(kod {code}), t.ex. {sorted(missing)[0]!r}; id-kollision eller dubblett"
            )
        return matched
