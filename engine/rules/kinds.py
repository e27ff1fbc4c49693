"""The finding of each kind of rule: which keys it takes, and their checked expressions.

* ``deadline``: ``start`` (listed from), ``due`` (required), ``done`` (met on), ``escalate``;
* ``check``: ``holds`` (required): the condition that should be true; ``start``/``end``;
* ``measure``: ``value`` (required, a number), ``target`` (a number) with ``target_is``
  (``min``: the value should be at least the target, the default; ``max``: at most),
  ``band`` (text, e.g. a decision table's output), ``unit`` (text as written, e.g. ``%``);
  ``start``/``end``.

A key of another kind is a load error naming the kinds it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.rules.nodes import Node
from engine.rules.schema import KIND_KEYS, KINDS, REQUIRED, FindingSpec
from engine.rules.typecheck import infer

#: Expression keys of a finding and the type each must have (``subject`` is any type).
EXPRESSIONS = {"subject": None, "start": "date", "due": "date", "done": "date", "end": "date",
               "holds": "bool", "value": "number", "target": "number", "band": "str"}
TYPE_SV = {"date": "ett datum", "bool": "ett villkor (sant eller falskt)", "number": "ett tal",
           "str": "text"}
KIND_SV = {"deadline": "frister", "check": "kontroller", "measure": "mått"}

Err = Callable[[tuple[Any, ...], str], None]
Parse = Callable[[tuple[Any, ...], str, dict[str, str]], Node | None]


def finding_nodes(kind: str, spec: FindingSpec, scope: dict[str, str], parse: Parse,
                  err: Err) -> dict[str, Node | None]:
    """The parsed, type-checked expressions of ``spec`` for a rule of ``kind``."""
    allowed = set(KIND_KEYS[kind])
    for key in sorted(set(spec.model_fields_set) & _kind_specific()):
        if key not in allowed:
            owners = [KIND_SV[k] for k in KINDS if key in KIND_KEYS[k]]
            err(("finding", key, "__key__"), f"finding.{key} gäller bara {' och '.join(owners)}, "
                f"inte kind: {kind}")
    for key in REQUIRED[kind]:
        if getattr(spec, key) is None:
            err(("finding",), f"finding.{key} saknas (krävs för kind: {kind})")
    nodes: dict[str, Node | None] = {}
    for key, want in EXPRESSIONS.items():
        text = getattr(spec, key)
        if text is None or (key != "subject" and key not in allowed):
            nodes[key] = None
            continue
        node = parse(("finding", key), text, scope)
        nodes[key] = node
        if node is not None and want is not None and infer(node, scope) not in (want, "any"):
            err(("finding", key), f"finding.{key} ska vara {TYPE_SV[want]}")
    return nodes


def _kind_specific() -> set[str]:
    return {k for keys in KIND_KEYS.values() for k in keys}
