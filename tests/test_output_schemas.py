"""Published output schemas: no $ref, no nullable anyOf, and the same verdicts as pydantic's own schema."""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema.validators import validator_for
from mcp.server.mcpserver.utilities.func_metadata import func_metadata

from ai_glossary_mcp.app.output_schemas import SCHEMA_FILE, compact_schema, derived_file_text
from ai_glossary_mcp.app.results import TOOL_RESULTS, DefineResult, RelatedResult, SearchResult

pytestmark = pytest.mark.anyio

CALLS = [
    ("define_term", {"term": "DPO", "detail": "full"}, DefineResult),
    ("define_term", {"term": "KV cache"}, DefineResult),
    ("define_term", {"term": "k-means"}, DefineResult),
    ("search_terms", {"query": "make the model smaller without retraining"}, SearchResult),
    ("find_related", {"term": "FlashAttention"}, RelatedResult),
]


def _valid(schema: dict, instance: object) -> bool:
    return not list(validator_for(schema)(schema).iter_errors(instance))


def _mutations(data: dict):
    """Instances that break the schema in one place: wrong types, missing required fields,
    null where not allowed."""
    for key, value in data.items():
        broken = copy.deepcopy(data)
        broken[key] = 12345 if not isinstance(value, (int, float)) or isinstance(value, bool) else "text"
        yield broken
        if isinstance(value, dict):
            for inner in list(value)[:6]:
                nested = copy.deepcopy(data)
                nested[key][inner] = None if value[inner] is not None else 7
                yield nested
                missing = copy.deepcopy(data)
                del missing[key][inner]
                yield missing
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in value[0]:
                nested = copy.deepcopy(data)
                nested[key][0][inner] = {"not": "allowed"}
                yield nested


async def test_published_schemas_are_compact(client):
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for tool in tools.values():
        text = json.dumps(tool.output_schema)
        assert "$ref" not in text and "$defs" not in text, tool.name
        assert not list(_nullable_pairs(tool.output_schema)), tool.name


def _nullable_pairs(node):
    """anyOf: [X, {"type": "null"}] anywhere in a schema (what compact_schema rewrites)."""
    if isinstance(node, dict):
        options = node.get("anyOf")
        if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
            yield node
        for value in node.values():
            yield from _nullable_pairs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nullable_pairs(value)


@pytest.mark.parametrize("tool,args,model", CALLS)
async def test_compact_schema_agrees_with_pydantic_schema(client, tool, args, model):
    original = model.model_json_schema(mode="serialization")
    compact = compact_schema(original)
    published = {t.name: t for t in (await client.list_tools()).tools}[tool].output_schema
    assert published == compact
    data = (await client.call_tool(tool, args)).structured_content
    assert _valid(original, data) and _valid(compact, data)
    verdicts = [(_valid(original, bad), _valid(compact, bad)) for bad in _mutations(data)]
    assert verdicts and all(a == b for a, b in verdicts)
    assert any(not a for a, _ in verdicts)  # the mutations do break things


def test_recursive_schemas_are_left_alone():
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "$ref": "#/$defs/Node",
    }
    assert compact_schema(schema) == schema


def test_schema_file_is_current():
    """output_schemas.json is what `make schema` derives from the result classes now."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == derived_file_text(TOOL_RESULTS), (
        "output_schemas.json is stale: run `make schema`"
    )


@pytest.mark.anyio
async def test_each_tool_publishes_the_schema_the_sdk_would_derive(server):
    """Registering without the SDK's schema derivation changes nothing a client sees: every tool's
    outputSchema is what the SDK derives from the function's return annotation, compacted."""
    tools = await server.list_tools()
    assert len(tools) == len(TOOL_RESULTS)
    for tool in tools:
        derived = func_metadata(server.tool_functions[tool.name], structured_output=True).output_schema
        assert derived is not None, tool.name
        # Compared as text: the order of properties is part of what a client (and a model) reads.
        assert json.dumps(tool.output_schema) == json.dumps(compact_schema(derived)), tool.name
