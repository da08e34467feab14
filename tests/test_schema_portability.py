"""Every tool's inputSchema survives the schema converters of the function-calling APIs agents use.

An MCP client hands each tool's inputSchema to a model API. OpenAI's strict mode needs every object to
declare its properties (all of them required, additionalProperties false); openai-agents and pydantic-ai
rewrite schemas into that form, and Gemini's google-genai converts them into its OpenAPI subset. A schema
they cannot express is dropped to non-strict, emptied, or rejected. So, for every tool:

- every object node in the schema declares its properties;
- openai-agents' `ensure_strict_json_schema` (with open objects rejected, as its MCP layer asks) and
  pydantic-ai's `OpenAIJsonSchemaTransformer(strict=True)` convert it into a strict schema (every object
  closed, every property required and none emptied);
- google-genai's `FunctionDeclaration(parameters_json_schema=...)` and `Schema.from_json_schema` (raising
  on unsupported fields) accept it and keep every property, nested ones included;
- real calls still work after conversion: each call is completed the way a strict-mode model must send it
  (every declared name; the schema's default, or null, for those the call leaves out), checked against
  the converted schema, sent to the server, and answered exactly like the original call.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

# Real calls, one or more per tool, including every evaluate_formula shape.
CALLS: dict[str, list[dict[str, Any]]] = {
    "define_term": [{"term": "DPO"}, {"term": "kv cache", "detail": "full"}],
    "define_terms": [{"terms": ["RoPE", "GQA"]}, {"terms": ["DPO"], "detail": "full"}],
    "search_terms": [{"query": "shrink weights to 4 bits"}, {"query": "attention", "limit": 3}],
    "list_terms": [{"letter": "D"}, {"limit": 5}],
    "find_related": [{"term": "DPO"}, {"term": "LoRA", "relation": "same-category", "limit": 3}],
    "explain_formula": [{"term": "DPO"}, {"term": "DPO", "symbol": "beta", "include_mathml": True}],
    "evaluate_formula": [
        {"term": "softmax", "inputs": {"logits": [1, 2, 3]}},
        {"term": "self-attention", "inputs": {"Q": [[1, 0]], "K": [[1, 0], [0, 1]], "V": [[1, 2], [3, 4]]}},
        {"term": "loss function", "inputs": {"probabilities": [0.5, 0.25]}},
        {
            "term": "DPO",
            "inputs": {
                "log_pi_theta_y_w": -1.0,
                "log_pi_ref_y_w": -1.2,
                "log_pi_theta_y_l": -2.0,
                "log_pi_ref_y_l": -1.8,
                "beta": 0.2,
            },
        },
        {"term": "GRPO", "inputs": {"rewards": [1, 0, 0, 1]}},
        {"term": "RLHF", "inputs": {"r_t": [1.1, 0.7], "A_t": [1.0, -1.0], "epsilon": 0.2}},
        {"term": "RoPE", "inputs": {"x": [1.0, 0.0, 0.5, 0.5], "m": 3, "y": [0.0, 1.0, 1.0, 0.0], "n": 1}},
        {"term": "scaling laws", "inputs": {"N": 7e9, "D": 1.4e12}},
    ],
    "compare_terms": [{"terms": ["DPO", "RLHF"]}],
    "find_terms_in_text": [{"text": "We fine-tuned with LoRA and then DPO."}],
}


def _objects(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "object" or (isinstance(kind, list) and "object" in kind):
            found.append((path, node))
        for key, value in node.items():
            found += _objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _objects(value, f"{path}[{i}]")
    return found


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return schema


def _strict_call(
    args: dict[str, Any], schema: dict[str, Any], original: dict[str, Any], root: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`args` as a strict-mode model must send them: every property of `schema` present, the original
    schema's default (or null) for those left out, the same rule inside nested objects."""
    root = root or schema
    out = dict(args)
    for name, sub in schema.get("properties", {}).items():
        declared = original.get("properties", {}).get(name, {})
        sub = _resolve(sub, root)
        if name not in out:
            out[name] = declared.get("default")
        elif isinstance(out[name], dict) and "properties" in sub:
            out[name] = _strict_call(out[name], sub, _resolve(declared, original), root)
    return out


@pytest.fixture(scope="module")
def tools() -> dict[str, dict[str, Any]]:
    import anyio
    from mcp import Client

    from ai_glossary_mcp.app.service import GlossaryService
    from ai_glossary_mcp.data.loader import load_glossary
    from ai_glossary_mcp.serving.mcp_server import create_server

    async def listed() -> dict[str, dict[str, Any]]:
        async with Client(create_server(GlossaryService(load_glossary()))) as client:
            return {t.name: t.input_schema for t in (await client.list_tools()).tools}

    return anyio.run(listed)


def test_every_tool_has_real_calls(tools):
    assert set(CALLS) == set(tools)


def test_every_object_declares_its_properties(tools):
    for name, schema in tools.items():
        for path, node in _objects(schema):
            assert node.get("properties"), f"{name}: {path} is an object with no declared properties"


def openai_agents_strict(schema: dict[str, Any]) -> dict[str, Any]:
    from agents.strict_schema import ensure_strict_json_schema

    # As openai-agents' MCP layer calls it; it raises where that layer would fall back to non-strict.
    return ensure_strict_json_schema(copy.deepcopy(schema), _reject_open_objects=True)


def pydantic_ai_strict(schema: dict[str, Any]) -> dict[str, Any]:
    from pydantic_ai.profiles.openai import OpenAIJsonSchemaTransformer

    return OpenAIJsonSchemaTransformer(copy.deepcopy(schema), strict=True).walk()


@pytest.mark.parametrize("convert", [openai_agents_strict, pydantic_ai_strict])
def test_strict_conversion_keeps_every_call_working(tools, convert):
    import anyio
    from mcp import Client

    from ai_glossary_mcp.app.service import GlossaryService
    from ai_glossary_mcp.data.loader import load_glossary
    from ai_glossary_mcp.serving.mcp_server import create_server

    converted = {name: convert(schema) for name, schema in tools.items()}
    for name, strict in converted.items():
        for path, node in _objects(strict):
            assert node.get("additionalProperties") is False and set(node["required"]) == set(
                node["properties"]
            ), (name, path)
        assert set(strict["properties"]) == set(tools[name]["properties"]), name
        for path, node in _objects(
            strict
        ):  # no property emptied into {} (pydantic-ai's fate for open objects)
            assert all(node["properties"].values()), (name, path)

    async def check() -> None:
        async with Client(create_server(GlossaryService(load_glossary()))) as client:
            for name, calls in CALLS.items():
                for args in calls:
                    strict_args = _strict_call(args, converted[name], tools[name])
                    jsonschema.validate(strict_args, converted[name])
                    plain = await client.call_tool(name, args)
                    strict = await client.call_tool(name, strict_args)
                    assert not plain.is_error and not strict.is_error, (name, strict_args, strict.content)
                    assert strict.structured_content == plain.structured_content, (name, strict_args)

    anyio.run(check)


def test_gemini_accepts_every_schema_and_keeps_every_property(tools):
    from google.genai import types

    for name, schema in tools.items():
        types.FunctionDeclaration(name=name, description="", parameters_json_schema=schema)
        gemini = types.Schema.from_json_schema(
            json_schema=types.JSONSchema(**schema), raise_error_on_unsupported_field=True
        )
        assert set(gemini.properties or {}) == set(schema["properties"]), name
        for prop, sub in schema["properties"].items():
            sub = _resolve(sub, schema)
            if "properties" in sub:  # nested objects keep their properties too (evaluate_formula's inputs)
                assert set(gemini.properties[prop].properties or {}) == set(sub["properties"]), (name, prop)


def test_declared_inputs_are_exactly_the_names_the_evaluators_accept(tools):
    import re

    from ai_glossary_mcp.formulas.evaluator import EVALUATORS, REQUIRED_INPUTS, FormulaInputError, evaluate

    accepted: set[str] = set()
    for entry_id in EVALUATORS:
        with pytest.raises(FormulaInputError) as caught:
            evaluate(entry_id, {"not_an_input": 1})
        listing = str(caught.value).split("accepted names: ", 1)[1]
        names = dict(re.findall(r"(\w+) \((required|optional)", listing))
        assert [n for n, kind in names.items() if kind == "required"] == list(REQUIRED_INPUTS[entry_id]), (
            entry_id
        )
        accepted |= set(names)
    assert set(tools["evaluate_formula"]["properties"]["inputs"]["properties"]) == accepted
