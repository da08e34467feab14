"""Output schemas that clients can check cheaply, with the same meaning as pydantic's.

Clients validate `structuredContent` against a tool's `outputSchema` on every
call (the Python SDK does, with the `jsonschema` package), so the published
schema's shape is a per-call cost paid by every caller. pydantic emits `$ref`
into `$defs` for every nested model and `anyOf: [X, {"type": "null"}]` for
every optional field; resolving references and trying alternatives is most of
that cost. `compact_schema` rewrites a schema into an equivalent one without
either: references are inlined (the result models are not recursive) and an
optional X becomes X with `"null"` added to its `type`, which JSON Schema
defines to mean the same thing, since `properties`, `required` and `items`
only constrain instances of their own type. Titles pydantic derives from field
names are dropped; descriptions stay.

Deriving these schemas with pydantic takes tens of milliseconds, a visible
share of a cold start, so they are derived once, by `make schema`, into
output_schemas.json next to this module, and a start only reads that file.
Tests fail if the file differs from what `make schema` would write now, or
if any tool publishes something other than what the SDK itself would derive
from the tool's return annotation (compacted, in the same property order).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

SCHEMA_FILE = Path(__file__).with_name("output_schemas.json")

_NULL = {"type": "null"}
# Keywords whose value maps names to subschemas, and those whose value is a subschema or a list of them.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


class _Recursive(Exception):
    pass


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An equivalent schema without $ref (when not recursive), nullable anyOfs or derived titles."""
    defs = schema.get("$defs", {})
    try:
        out: dict[str, Any] = _walk(schema, defs, ())  # a dict walked is a dict
    except _Recursive:
        return schema
    out.pop("$defs", None)
    return out


def _walk(node: Any, defs: dict[str, Any], stack: tuple[str, ...]) -> Any:
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name in stack or name not in defs:
            raise _Recursive(name)
        merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return _walk(merged, defs, stack + (name,))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = (
                {name: _walk(sub, defs, stack) for name, sub in value.items()} if key != "$defs" else value
            )
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            out[key] = _walk(value, defs, stack)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_walk(sub, defs, stack) for sub in value]
        else:
            out[key] = copy.deepcopy(value)
    return _nullable(out)


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    """{"anyOf": [X, {"type": "null"}], ...} -> X with "null" added to its type, when X has one type."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or _NULL not in options:
        return node
    other = options[0] if options[1] == _NULL else options[1]
    kind = other.get("type")
    if not isinstance(kind, str) or kind == "null" or "const" in other:
        return node
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    clash = set(merged) & set(other)
    if clash - {"description", "default"}:
        return node
    merged = {**other, **merged, "type": [kind, "null"]}
    if "enum" in other:
        merged["enum"] = list(other["enum"]) + [None]
    return merged


def derive(models: Iterable[type[BaseModel]]) -> dict[str, dict[str, Any]]:
    """The published schema of each result model, by class name, as pydantic derives it, compacted."""
    return {model.__name__: compact_schema(model.model_json_schema()) for model in models}


def derived_file_text(models: Iterable[type[BaseModel]]) -> str:
    """What `make schema` writes to SCHEMA_FILE."""
    return json.dumps(derive(models), indent=1, ensure_ascii=False) + "\n"  # pydantic's property order


def published_schemas() -> dict[str, dict[str, Any]]:
    """The schemas in SCHEMA_FILE, by result class name (a fresh copy: callers may keep and change it)."""
    schemas: dict[str, dict[str, Any]] = json.loads(_schema_text())
    return schemas


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return SCHEMA_FILE.read_text(encoding="utf-8")  # read once per process


__all__ = ["SCHEMA_FILE", "compact_schema", "derive", "derived_file_text", "published_schemas"]
