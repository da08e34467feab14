"""End to end over streamable HTTP: real server subprocesses on free loopback ports.

Four servers boot in parallel once for the module: a stateful one, two independent
`--stateless` replicas (the second bound to 0.0.0.0, as a replica behind a load balancer
would be, which must warn because it has no auth), and one with bearer tokens from both
AI_GLOSSARY_MCP_TOKEN and a tokens file named in a --config file, at --log-level debug.
The SDK client (`mcp.Client(url)`) drives the happy paths; raw `httpx2` requests check the
refusals (Host/Origin, auth, body size, malformed JSON) byte for byte.
"""

from __future__ import annotations

import json
import re
import time

import anyio
import httpx2
import pytest
from mcp import Client

from ai_glossary_mcp.app.tools import TOOL_NAMES
from helpers import (
    MCP_HEADERS,
    HttpSpec,
    http_servers,
    initialize_request,
    jsonrpc,
    parse_http_jsonrpc,
    run_cli,
)

ENV_TOKEN = "secret"
FILE_TOKEN = "tok-from-file-4c1e9a77d2"
TOOL_ORDER = list(TOOL_NAMES)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("http")
    tokens = tmp / "tokens.txt"
    tokens.write_text(f"# team tokens\n\n{FILE_TOKEN}\n", encoding="utf-8")
    config = tmp / "auth.yaml"
    config.write_text(f"auth:\n  tokens_file: {tokens}\n", encoding="utf-8")
    specs = (
        HttpSpec(),
        HttpSpec(("--stateless",)),
        HttpSpec(("--stateless",), host="0.0.0.0", ready_host="127.0.0.1"),
        HttpSpec(("--config", str(config), "--log-level", "debug"), env={"AI_GLOSSARY_MCP_TOKEN": ENV_TOKEN}),
    )
    with http_servers(*specs) as running:
        yield dict(zip(("stateful", "stateless_a", "stateless_b", "auth"), running, strict=True))


@pytest.fixture(scope="module")
def stateful(servers):
    return servers["stateful"]


@pytest.fixture(scope="module")
def auth(servers):
    return servers["auth"]


def settled_stderr(srv, needle: str = "", timeout: float = 10.0) -> str:
    """The server's stderr once it contains `needle` and has stopped growing (logs are asynchronous)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        text = srv.stderr_text()
        if needle in text and text == last:
            return text
        last = text
        time.sleep(0.2)
    return srv.stderr_text()


def post(srv, body, headers=None, **kw) -> httpx2.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return httpx2.post(srv.url, content=content, headers=MCP_HEADERS | (headers or {}), timeout=30, **kw)


async def _drive(url: str, mode: str) -> dict:
    async with Client(url, mode=mode) as c:
        tools = (await c.list_tools()).tools
        define = await c.call_tool("define_term", {"term": "DPO"})
        search = await c.call_tool("search_terms", {"query": "shrink weights to 4 bits", "limit": 3})
        resource = await c.read_resource("glossary://terms/kv-cache")
        return {
            "version": c.protocol_version,
            "tools": [t.name for t in tools],
            "define": define,
            "search": search,
            "resource": resource,
        }


def _check_client_run(run: dict) -> None:
    assert run["tools"] == TOOL_ORDER
    d = run["define"].structured_content
    assert not run["define"].is_error and d["found"] and d["entry"]["id"] == "dpo"
    assert d["match"]["kind"] == "acronym"
    s = run["search"].structured_content
    assert 1 <= len(s["results"]) <= 3
    assert {"quantization", "qlora", "gptq", "awq", "mxfp4", "ptq"} & {h["id"] for h in s["results"]}
    (content,) = run["resource"].contents
    assert content.mime_type == "text/markdown" and content.text.startswith("# KV-Cache")


@pytest.mark.parametrize("mode,version", [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
@pytest.mark.parametrize("which", ["stateful", "stateless_a"])
def test_sdk_client_over_http(servers, which, mode, version):
    run = anyio.run(_drive, servers[which].url, mode)
    assert run["version"] == version
    _check_client_run(run)


def test_stateful_initialize_opens_a_session_and_stateless_does_not(servers):
    r = post(servers["stateful"], initialize_request())
    assert r.status_code == 200 and r.headers.get("mcp-session-id")
    assert r.headers["content-type"].startswith("text/event-stream")
    (msg,) = parse_http_jsonrpc(r)
    assert msg["id"] == 1 and msg["result"]["serverInfo"]["name"] == "ai-glossary-mcp"

    r = post(servers["stateless_a"], initialize_request())
    assert r.status_code == 200 and "mcp-session-id" not in r.headers
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["result"]["protocolVersion"] == "2025-06-18"


# -- healthz ----------------------------------------------------------------------------------
def test_healthz_reports_counts_and_never_glossary_text(stateful):
    r = httpx2.get(stateful.base + "/healthz", timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["packs"] == ["ai-ml"] and body["entries"] == 101
    assert re.fullmatch(r"[0-9a-f]{16}", body["content_hash"])
    assert set(body) == {"status", "version", "packs", "entries", "content_hash"}
    assert "preference" not in r.text.lower() and len(r.content) < 300


def test_healthz_needs_no_token_and_agrees_across_replicas(servers):
    hashes = set()
    for srv in servers.values():
        r = httpx2.get(srv.base + "/healthz", timeout=10)  # auth server included: no token sent
        assert r.status_code == 200, srv
        hashes.add(r.json()["content_hash"])
    assert len(hashes) == 1


# -- DNS-rebinding protection -----------------------------------------------------------------
def test_foreign_host_header_is_rejected_with_421(stateful):
    r = post(stateful, initialize_request(), {"Host": "evil.example.com"})
    assert r.status_code == 421
    assert "Invalid Host header" in r.text and "mcp-session-id" not in r.headers


def test_foreign_origin_is_rejected_with_403(stateful):
    r = post(stateful, initialize_request(), {"Origin": "http://evil.example.com"})
    assert r.status_code == 403
    assert "Invalid Origin header" in r.text
    ok = post(stateful, initialize_request(), {"Origin": f"http://127.0.0.1:{stateful.port}"})
    assert ok.status_code == 200  # an allowed origin is fine


def test_rebinding_refusals_are_logged_on_stderr(stateful):
    post(stateful, initialize_request(), {"Host": "rebind.example.net"})
    text = settled_stderr(stateful, "rebind.example.net")
    assert "Invalid Host header: rebind.example.net" in text


# -- body limits and malformed input ------------------------------------------------------------
def test_oversized_body_gets_413_and_the_server_keeps_serving(stateful):
    big = json.dumps(
        jsonrpc(
            "tools/call", {"name": "find_terms_in_text", "arguments": {"text": "x" * (1024 * 1024 + 100)}}, 9
        )
    )
    assert len(big) > 1024 * 1024
    r = post(stateful, big)
    assert r.status_code == 413
    assert post(stateful, initialize_request()).status_code == 200


def test_malformed_json_gets_a_parse_error_and_the_server_keeps_serving(stateful):
    r = post(stateful, b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert r.status_code == 400
    body = r.json()
    assert body["jsonrpc"] == "2.0" and body["id"] is None
    assert body["error"]["code"] == -32700
    ok = post(stateful, initialize_request(7))
    assert ok.status_code == 200
    (msg,) = parse_http_jsonrpc(ok)
    assert msg["id"] == 7 and "result" in msg


def test_malformed_json_inside_a_session_keeps_the_session(stateful):
    init = post(stateful, initialize_request())
    sid = init.headers["mcp-session-id"]
    hdrs = {"mcp-session-id": sid, "mcp-protocol-version": "2025-06-18"}
    assert post(stateful, jsonrpc("notifications/initialized", id=None), hdrs).status_code == 202
    bad = post(stateful, b"not json at all", hdrs)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == -32700
    r = post(stateful, jsonrpc("tools/call", {"name": "define_term", "arguments": {"term": "RoPE"}}, 2), hdrs)
    assert r.status_code == 200
    (msg,) = parse_http_jsonrpc(r)
    assert msg["id"] == 2 and msg["result"]["structuredContent"]["entry"]["id"] == "rope"


# -- stateless replicas -------------------------------------------------------------------------
def test_two_stateless_replicas_answer_one_client_alternately(servers):
    a, b = servers["stateless_a"], servers["stateless_b"]
    hdrs = {"mcp-protocol-version": "2025-06-18"}
    define_gqa = {"name": "define_term", "arguments": {"term": "GQA", "detail": "brief"}}
    flow = [
        (a, initialize_request(1)),
        (b, jsonrpc("tools/list", {}, 2)),
        (a, jsonrpc("tools/call", define_gqa, 3)),
        (b, jsonrpc("tools/call", define_gqa, 4)),
        (a, jsonrpc("resources/read", {"uri": "glossary://terms/grouped-query-attention"}, 5)),
        (b, jsonrpc("resources/read", {"uri": "glossary://terms/grouped-query-attention"}, 6)),
    ]
    answers = {}
    with httpx2.Client(timeout=30) as http:
        for srv, msg in flow:
            r = http.post(srv.url, content=json.dumps(msg), headers=MCP_HEADERS | hdrs)
            assert r.status_code == 200, (srv.port, r.text)
            assert "mcp-session-id" not in r.headers
            (answer,) = parse_http_jsonrpc(r)
            assert answer["id"] == msg["id"] and "result" in answer, answer
            answers[msg["id"]] = answer["result"]
    assert [t["name"] for t in answers[2]["tools"]] == TOOL_ORDER
    assert answers[3]["structuredContent"] == answers[4]["structuredContent"]
    assert answers[3]["structuredContent"]["entry"]["id"] == "grouped-query-attention"
    assert answers[5]["contents"] == answers[6]["contents"]


def test_binding_all_interfaces_without_auth_warns(servers):
    text = servers["stateless_b"].stderr_text()
    warning = [line for line in text.splitlines() if "warning" in line.lower() and "0.0.0.0" in line]
    assert len(warning) == 1, text
    assert "without authentication" in warning[0] and "AI_GLOSSARY_MCP_TOKEN" in warning[0]
    # the loopback server does not warn
    assert "without authentication" not in servers["stateless_a"].stderr_text()
    assert "without authentication" not in servers["auth"].stderr_text()


# -- bearer tokens ------------------------------------------------------------------------------
def test_no_token_is_401_with_www_authenticate(auth):
    r = post(auth, initialize_request())
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "mcp-session-id" not in r.headers


@pytest.mark.parametrize(
    "header", ["Bearer wrong-token", f"Bearer {ENV_TOKEN}x", f"Basic {ENV_TOKEN}", "Bearer"]
)
def test_wrong_token_is_401(auth, header):
    r = post(auth, initialize_request(), {"Authorization": header})
    assert r.status_code == 401
    assert "www-authenticate" in r.headers


@pytest.mark.parametrize("token", [ENV_TOKEN, FILE_TOKEN], ids=["env-token", "tokens-file"])
def test_right_token_is_200_and_the_session_works(auth, token):
    hdrs = {"Authorization": f"Bearer {token}"}
    r = post(auth, initialize_request(), hdrs)
    assert r.status_code == 200
    (msg,) = parse_http_jsonrpc(r)
    assert msg["result"]["serverInfo"]["name"] == "ai-glossary-mcp"
    sid = r.headers["mcp-session-id"]
    hdrs |= {"mcp-session-id": sid, "mcp-protocol-version": "2025-06-18"}
    r = post(auth, jsonrpc("tools/call", {"name": "define_term", "arguments": {"term": "MoE"}}, 2), hdrs)
    assert r.status_code == 200
    (msg,) = parse_http_jsonrpc(r)
    assert msg["result"]["structuredContent"]["entry"]["id"] == "mixture-of-experts"
    # the session belongs to the credential: no token, no access
    r = post(auth, jsonrpc("tools/list", {}, 3), {k: v for k, v in hdrs.items() if k != "Authorization"})
    assert r.status_code == 401


def test_tokens_never_reach_the_logs_even_at_debug(auth):
    for token in (ENV_TOKEN, FILE_TOKEN, "leaky-wrong-token-5b2f"):
        post(auth, initialize_request(), {"Authorization": f"Bearer {token}"})
    text = settled_stderr(auth, " DEBUG ")
    assert " DEBUG " in text  # debug logging really is on
    for token in (ENV_TOKEN, FILE_TOKEN, "leaky-wrong-token-5b2f"):
        assert token not in text


# -- port already in use --------------------------------------------------------------------------
def test_port_in_use_exits_non_zero_with_one_line_and_no_traceback(stateful):
    r = run_cli(
        "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(stateful.port), timeout=60
    )
    assert r.returncode != 0
    assert "Traceback" not in r.stderr and "ExceptionGroup" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("ai-glossary-mcp: "), r.stderr
    assert str(stateful.port) in lines[-1]
    assert r.stdout == ""
    # and the first server is unaffected
    assert httpx2.get(stateful.base + "/healthz", timeout=10).status_code == 200
