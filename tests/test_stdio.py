"""End to end over stdio: the console script launched as a subprocess, as desktop clients do.

One server process per protocol mode is driven through `mcp.Client(StdioServerParameters)`
by a module-scoped fixture that records a transcript; the tests then assert on it. `auto`
negotiates the 2026-07-28 protocol (server/discover), `legacy` the initialize handshake that
today's desktop clients use. A second part writes raw lines to the server's stdin to check
the wire itself: stdout carries nothing but JSON-RPC, logs go to stderr, and a garbage line
does not break the session.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PromptReference, ResourceTemplateReference

from ai_glossary_mcp.app.tools import TOOL_NAMES
from helpers import initialize_request, jsonrpc, raw_stdio, stdio_params, stdio_transport

TOOL_ORDER = list(TOOL_NAMES)
LONG_CONTEXT_QUERY = "model forgets the middle of long prompts"
PASSAGE = "We fine-tuned with LoRA and DPO, then used the KV cache."


async def _session(mode: str, errlog) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with Client(stdio_transport(stdio_params("--log-level", "info"), errlog), mode=mode) as c:
        out["protocol_version"] = c.protocol_version
        out["server_info"] = c.server_info
        out["capabilities"] = c.server_capabilities
        out["tools"] = (await c.list_tools()).tools
        out["define"] = await c.call_tool("define_term", {"term": "kv cache"})
        out["define_missing"] = await c.call_tool("define_term", {"term": "k-means"})
        out["search"] = await c.call_tool("search_terms", {"query": LONG_CONTEXT_QUERY})
        out["mentions"] = await c.call_tool("find_terms_in_text", {"text": PASSAGE})
        out["resource_md"] = await c.read_resource("glossary://terms/dpo")
        out["resource_about"] = await c.read_resource("glossary://about")
        out["templates"] = (await c.list_resource_templates()).resource_templates
        out["prompts"] = (await c.list_prompts()).prompts
        out["prompt"] = await c.get_prompt("explain_term", {"term": "DPO", "audience": "beginner"})
        out["complete_term"] = await c.complete(
            PromptReference(type="ref/prompt", name="explain_term"), {"name": "term", "value": "Lo"}
        )
        template = ResourceTemplateReference(type="ref/resource", uri="glossary://terms/{id}")
        out["complete_id"] = await c.complete(template, {"name": "id", "value": "kv"})
        try:
            await c.call_tool("no_such_tool", {})
        except MCPError as exc:
            out["unknown_tool_error"] = exc
        # still alive after an error
        out["after_error"] = await c.call_tool("define_term", {"term": "DPO", "detail": "brief"})
    return out


@pytest.fixture(scope="module", params=["auto", "legacy"])
def transcript(request) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        err_path = Path(tmp) / "stderr.log"
        with open(err_path, "w", encoding="utf-8") as errlog:
            out = anyio.run(_session, request.param, errlog)
        out["stderr"] = err_path.read_text(encoding="utf-8")
        out["mode"] = request.param
    return out


def _structured(result) -> dict[str, Any]:
    assert not result.is_error, result
    data = result.structured_content
    assert data is not None
    assert json.loads(result.content[0].text) == data  # the text copy is the same JSON
    return data


def test_handshake_identifies_the_server(transcript):
    assert transcript["server_info"].name == "ai-glossary-mcp"
    assert transcript["server_info"].version
    expected = "2026-07-28" if transcript["mode"] == "auto" else "2025-11-25"
    assert transcript["protocol_version"] == expected
    caps = transcript["capabilities"]
    assert caps.tools is not None and caps.resources is not None and caps.prompts is not None
    assert caps.completions is not None


def test_nine_tools_in_a_fixed_order_with_schemas(transcript):
    tools = transcript["tools"]
    assert [t.name for t in tools] == TOOL_ORDER
    for t in tools:
        assert t.input_schema["type"] == "object" and t.output_schema, t.name
        assert t.annotations.read_only_hint is True


def test_define_term_structured_content_matches_its_schema(transcript):
    data = _structured(transcript["define"])
    schema = {t.name: t for t in transcript["tools"]}["define_term"].output_schema
    jsonschema.validate(data, schema)
    assert data["found"] is True
    assert data["entry"]["id"] == "kv-cache" and data["entry"]["uri"] == "glossary://terms/kv-cache"
    assert data["match"] == {"kind": "normalized", "score": data["match"]["score"], "query": "kv cache"}
    assert data["entry"]["definition"]


def test_define_term_not_found_is_an_answer_with_suggestions(transcript):
    data = _structured(transcript["define_missing"])
    assert data["found"] is False and data["entry"] is None
    assert data["suggestions"] and all({"id", "term", "score"} <= set(s) for s in data["suggestions"])


def test_search_terms_ranks_the_described_concept_first(transcript):
    data = _structured(transcript["search"])
    jsonschema.validate(data, {t.name: t for t in transcript["tools"]}["search_terms"].output_schema)
    assert data["results"][0]["id"] == "lost-in-the-middle"
    scores = [hit["score"] for hit in data["results"]]
    assert scores == sorted(scores, reverse=True)


def test_find_terms_in_text_gives_offsets_into_the_passage(transcript):
    data = _structured(transcript["mentions"])
    ids = [m["id"] for m in data["mentions"]]
    assert {"lora", "dpo", "kv-cache"} <= set(ids)
    for m in data["mentions"]:
        assert PASSAGE[m["start"] : m["end"]] == m["surface"]
    assert {e["id"] for e in data["entries"]} >= {"lora", "dpo", "kv-cache"}


def test_entry_resource_is_markdown(transcript):
    (content,) = transcript["resource_md"].contents
    assert str(content.uri) == "glossary://terms/dpo"
    assert content.mime_type == "text/markdown"
    assert content.text.startswith("# DPO (Direct Preference Optimization)")


def test_about_resource_reports_counts_and_hash(transcript):
    (content,) = transcript["resource_about"].contents
    about = json.loads(content.text)
    assert about["counts"]["entries"] == 101
    assert len(about["content_hash"]) == 16 and int(about["content_hash"], 16) >= 0
    assert [p["name"] for p in about["packs"]] == ["ai-ml"]


def test_templates_and_prompts_are_listed(transcript):
    assert {t.uri_template for t in transcript["templates"]} == {
        "glossary://terms/{id}",
        "glossary://terms/{id}.json",
    }
    assert [p.name for p in transcript["prompts"]] == [
        "explain_term",
        "compare_terms",
        "walk_through_formula",
    ]


def test_explain_term_prompt_embeds_the_entry(transcript):
    messages = transcript["prompt"].messages
    assert len(messages) == 2
    embedded = messages[0].content
    assert embedded.type == "resource" and str(embedded.resource.uri) == "glossary://terms/dpo"
    assert "Direct Preference Optimization" in embedded.resource.text
    assert messages[1].content.type == "text"
    instruction = messages[1].content.text
    assert "glossary://terms/dpo" in instruction and "new to machine learning" in instruction


def test_completion_for_prompt_argument_and_template_id(transcript):
    terms = transcript["complete_term"].completion.values
    assert "Low-Rank Adaptation" in terms and terms[0].lower().startswith("lo")
    ids = transcript["complete_id"].completion.values
    assert ids[0] == "kv-cache"


def test_unknown_tool_is_a_jsonrpc_error_and_the_session_survives(transcript):
    exc = transcript.get("unknown_tool_error")
    assert isinstance(exc, MCPError)
    assert exc.error.code == INVALID_PARAMS and "define_term" in exc.error.message
    assert _structured(transcript["after_error"])["entry"]["id"] == "dpo"


def test_server_stderr_has_logs_and_no_traceback(transcript):
    assert "serving 101 entries over stdio" in transcript["stderr"]
    assert "Traceback" not in transcript["stderr"]


# -- raw wire ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw_exchange() -> dict[str, Any]:
    """initialize (2025-06-18) / initialized / a garbage line / tools/call, straight onto stdin."""
    with raw_stdio("--log-level", "info") as srv:
        srv.send(initialize_request(1, "2025-06-18"))
        init = srv.read_until_id(1)
        srv.send(jsonrpc("notifications/initialized", id=None))
        srv.write_line("this is {not json")
        define_dpo = {"name": "define_term", "arguments": {"term": "DPO", "detail": "brief"}}
        srv.send(jsonrpc("tools/call", define_dpo, 2))
        call = srv.read_until_id(2)
        srv.send(jsonrpc("ping", None, 3))
        ping = srv.read_until_id(3)
        rest = srv.drain()
        srv.proc.wait(timeout=10)
        return {
            "init": init,
            "call": call,
            "ping": ping,
            "rest": rest,
            "lines": list(srv.stdout_lines),
            "stderr": srv.stderr_text(),
            "returncode": srv.proc.returncode,
        }


def test_raw_initialize_answers_the_requested_version(raw_exchange):
    (init,) = raw_exchange["init"]
    assert init["jsonrpc"] == "2.0" and init["id"] == 1
    assert init["result"]["protocolVersion"] == "2025-06-18"
    assert init["result"]["serverInfo"]["name"] == "ai-glossary-mcp"


def test_garbage_line_gets_a_parse_error_and_the_next_request_is_answered(raw_exchange):
    # JSON-RPC 2.0: a line that is not JSON gets -32700 with a null id; the session carries on.
    call = raw_exchange["call"]
    assert len(call) == 2, call
    parse_error, answer = call
    assert parse_error["id"] is None and parse_error["error"]["code"] == -32700
    assert answer["id"] == 2 and "error" not in answer
    assert answer["result"]["structuredContent"]["entry"]["id"] == "dpo"
    assert raw_exchange["ping"] == [{"jsonrpc": "2.0", "id": 3, "result": {}}]


def test_stdout_carries_only_jsonrpc_messages(raw_exchange):
    lines = raw_exchange["lines"]
    assert len(lines) == 4 and raw_exchange["rest"] == []
    for line in lines:
        assert line.endswith("\n") and "\n" not in line[:-1]  # one message per line
        msg = json.loads(line)
        assert msg["jsonrpc"] == "2.0"
        assert ("id" in msg and ("result" in msg) != ("error" in msg)) or ("method" in msg)


def test_logs_go_to_stderr_and_the_server_exits_cleanly_on_eof(raw_exchange):
    assert "INFO ai_glossary_mcp: serving 101 entries over stdio" in raw_exchange["stderr"]
    assert not any("serving" in line for line in raw_exchange["lines"])
    assert "Traceback" not in raw_exchange["stderr"]
    assert raw_exchange["returncode"] == 0
