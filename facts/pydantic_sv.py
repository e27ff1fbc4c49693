"""Pydantic's validation errors in Swedish, for every file a person writes (rule files,
config.toml): pydantic's own texts are English and name Python types."""

from __future__ import annotations

from typing import Any

_SIMPLE = {
    "missing": "saknas",
    "extra_forbidden": "okänd nyckel",
    "int_type": "ska vara ett heltal",
    "int_parsing": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
    "int_parsing_size": "talet är för stort",
    "float_type": "ska vara ett tal",
    "float_parsing": "ska vara ett tal",
    "finite_number": "ska vara ett ändligt tal",
    "decimal_type": "ska vara ett tal",
    "decimal_parsing": "ska vara ett tal",
    "string_type": "ska vara en text",
    "string_unicode": "ska vara en text",
    "bool_type": "ska vara true eller false",
    "bool_parsing": "ska vara true eller false",
    "list_type": "ska vara en lista",
    "tuple_type": "ska vara en lista",
    "set_type": "ska vara en lista",
    "dict_type": "ska vara en mappning (nyckel: värde)",
    "mapping_type": "ska vara en mappning (nyckel: värde)",
    "model_type": "ska vara en mappning (nyckel: värde)",
    "model_attributes_type": "ska vara en mappning (nyckel: värde)",
    "dataclass_type": "ska vara en mappning (nyckel: värde)",
    "date_type": "ska vara ett datum, ÅÅÅÅ-MM-DD",
    "date_parsing": "ska vara ett datum, ÅÅÅÅ-MM-DD",
    "date_from_datetime_parsing": "ska vara ett datum, ÅÅÅÅ-MM-DD",
    "date_from_datetime_inexact": "ska vara ett datum utan klockslag",
    "date_past": "ska vara ett datum som har varit",
    "date_future": "ska vara ett datum som inte har varit",
    "datetime_type": "ska vara en tidpunkt",
    "datetime_parsing": "ska vara en tidpunkt",
    "time_type": "ska vara ett klockslag",
    "time_parsing": "ska vara ett klockslag",
    "none_required": "ska vara tomt (null)",
    "is_instance_of": "har fel typ",
    "callable_type": "har fel typ",
    "frozen_field": "får inte ändras",
    "recursion_loop": "hänvisar till sig själv (ett YAML-ankare i en slinga?)",
}

_LIMITS = {
    "greater_than": "ska vara större än {gt}",
    "greater_than_equal": "ska vara minst {ge}",
    "less_than": "ska vara mindre än {lt}",
    "less_than_equal": "ska vara högst {le}",
    "multiple_of": "ska vara en multipel av {multiple_of}",
    "string_too_short": "ska ha minst {min_length} tecken",
    "string_too_long": "får ha högst {max_length} tecken",
    "too_short": "ska ha minst {min_length} element",
    "too_long": "får ha högst {max_length} element",
    "string_pattern_mismatch": "har fel form (mönstret {pattern})",
    "literal_error": "ska vara en av {expected}",
    "enum": "ska vara en av {expected}",
    "union_tag_invalid": "ska vara en av {expected_tags}",
}


def message_sv(err: Any) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as a Swedish phrase: our
    own validators' texts as written, pydantic's translated, and an unknown kind as "ogiltigt
    värde" (never pydantic's English)."""
    kind = str(err.get("type", ""))
    msg = str(err.get("msg", ""))
    if kind in ("value_error", "assertion_error"):
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        return msg
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind in _LIMITS:
        ctx = {k: _plain(v) for k, v in (err.get("ctx") or {}).items()}
        try:
            return _LIMITS[kind].format(**ctx)
        except (KeyError, IndexError, ValueError):
            return "ogiltigt värde"
    return "ogiltigt värde"


def _plain(value: Any) -> str:
    text = str(value).replace(" or ", " eller ")
    return text if len(text) <= 200 else text[:200] + "…"
