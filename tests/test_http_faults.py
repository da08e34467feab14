"""HTTP under the faults a deployment meets: real server subprocesses on 127.0.0.1, raw httpx2 requests.

Sessions: a full table admits a newcomer by closing the least recently used session (whose
client then gets 404 and re-initialises); batches get -32600 without an echo of the body;
stateless mode has no GET stream (405). Settings: /healthz applies the same Host/Origin
checks as /mcp; allowed_origins follows allowed_hosts; a pattern the check cannot match is
refused at start in one line; a wildcard bind prints URLs that connect; with a token the
hints carry the Authorization header; a busy port is one error line and no banner; stateless
requests leave no per-request lines at info. The slow ones (idle expiry with an open GET
stream, 1,100 idle and 200 byte-by-byte connections) are in tests/stress/test_http_limits.py.
"""

from __future__ import annotations

import json
import socket

import httpx2
import pytest

from helpers import MCP_HEADERS, HttpSpec, free_port, http_servers, initialize_request, jsonrpc, run_cli

TOKEN = "tok-faults-7f3a"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("http-faults")
    small = tmp / "small.yaml"
    small.write_text("max_sessions: 2\n", encoding="utf-8")
    named = tmp / "named.yaml"
    named.write_text(
        "allowed_hosts: ['glossary.test:*', '127.0.0.1:*']\nallowed_origins: []\n", encoding="utf-8"
    )
    specs = (
        HttpSpec(("--config", str(small))),
        HttpSpec(
            ("--stateless", "--config", str(named), "--log-level", "info"),
            host="0.0.0.0",
            ready_host="127.0.0.1",
        ),
        HttpSpec(env={"AI_GLOSSARY_MCP_TOKEN": TOKEN}),
    )
    with http_servers(*specs) as running:
        yield dict(zip(("small", "wildcard", "token"), running, strict=True))


def _open_session(srv) -> str:
    r = httpx2.post(srv.url, json=initialize_request(1), headers=MCP_HEADERS, timeout=10)
    assert r.status_code == 200, r.text
    sid = r.headers["mcp-session-id"]
    r = httpx2.post(
        srv.url,
        json=jsonrpc("notifications/initialized", id=None),
        headers=MCP_HEADERS | {"mcp-session-id": sid, "mcp-protocol-version": "2025-06-18"},
        timeout=10,
    )
    assert r.status_code == 202, r.text
    return sid


def _ping(srv, sid: str) -> int:
    r = httpx2.post(
        srv.url,
        json=jsonrpc("ping", None, 5),
        headers=MCP_HEADERS | {"mcp-session-id": sid, "mcp-protocol-version": "2025-06-18"},
        timeout=10,
    )
    return r.status_code


def test_a_full_session_table_admits_a_new_client_by_closing_the_least_recently_used(servers):
    srv = servers["small"]  # max_sessions: 2
    first, second = _open_session(srv), _open_session(srv)
    assert _ping(srv, first) == 200  # first is now the most recently used
    third = _open_session(srv)  # admitted, never 503: `second` is closed for it
    assert _ping(srv, second) == 404  # the spec's answer: that client re-initialises
    assert _ping(srv, first) == 200 and _ping(srv, third) == 200
    again = _open_session(srv)  # the evicted client re-initialises and is admitted
    assert _ping(srv, again) == 200


def test_a_request_the_server_refuses_closes_no_session(servers):
    # Only an admitted newcomer may cost the least recently used client its session: a refused
    # initialize (bad Host: 421) or a session-less request that is not an initialize (400) costs none.
    srv = servers["small"]  # max_sessions: 2
    first, second = _open_session(srv), _open_session(srv)
    r = httpx2.post(
        srv.url, json=initialize_request(1), headers=MCP_HEADERS | {"host": "evil.example"}, timeout=10
    )
    assert r.status_code == 421, r.text
    r = httpx2.post(srv.url, json=jsonrpc("ping", None, 5), headers=MCP_HEADERS, timeout=10)
    assert r.status_code == 400, r.text
    assert _ping(srv, first) == 200 and _ping(srv, second) == 200


@pytest.mark.parametrize("name", ["small", "wildcard"])
def test_a_batch_gets_invalid_request_without_an_echo(servers, name):
    srv = servers[name]
    marker = "echo-me-5b1d"
    batch = [jsonrpc("tools/call", {"name": "define_term", "arguments": {"term": marker}}, i) for i in (1, 2)]
    r = httpx2.post(srv.url, content=json.dumps(batch), headers=MCP_HEADERS, timeout=10)
    assert r.status_code == 400
    body = r.json()
    assert body["id"] is None and body["error"]["code"] == -32600
    assert marker not in r.text


def test_stateless_mode_offers_no_get_stream(servers):
    srv = servers["wildcard"]
    r = httpx2.get(srv.url, headers={"Accept": "text/event-stream"}, timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "POST"


@pytest.mark.parametrize(
    "headers, status",
    [
        ({"Host": "evil.example:80"}, 421),
        ({"Origin": "http://evil.example"}, 403),
    ],
)
def test_healthz_applies_the_host_and_origin_checks(servers, headers, status):
    srv = servers["small"]
    assert httpx2.get(srv.base + "/healthz", headers=headers, timeout=5).status_code == status
    assert httpx2.get(srv.base + "/healthz", timeout=5).status_code == 200


def test_allowed_origins_follow_allowed_hosts(servers):
    srv = servers["wildcard"]
    headers = MCP_HEADERS | {
        "Host": f"glossary.test:{srv.port}",
        "Origin": f"https://glossary.test:{srv.port}",
    }
    r = httpx2.post(srv.url, json=jsonrpc("ping", None, 1), headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    r = httpx2.post(
        srv.url, json=jsonrpc("ping", None, 1), headers=headers | {"Origin": "https://other.test"}, timeout=10
    )
    assert r.status_code == 403


def _banner_urls(stderr: str) -> list[str]:
    return [word for line in stderr.splitlines() for word in line.split() if word.startswith("http://")]


def test_a_wildcard_bind_prints_urls_that_connect(servers):
    srv = servers["wildcard"]
    urls = _banner_urls(srv.stderr_text())
    assert urls and all("0.0.0.0" not in u for u in urls)
    for url in urls:
        if url.endswith("/healthz"):
            assert httpx2.get(url, timeout=5).status_code == 200
        else:
            r = httpx2.post(url, json=jsonrpc("ping", None, 1), headers=MCP_HEADERS, timeout=10)
            assert r.status_code == 200, (url, r.text)


def test_stateless_requests_leave_no_lines_at_info(servers):
    srv = servers["wildcard"]  # --log-level info
    before = srv.stderr_text()
    for i in range(5):
        httpx2.post(srv.url, json=jsonrpc("ping", None, i), headers=MCP_HEADERS, timeout=10)
    added = srv.stderr_text()[len(before) :]
    assert "Terminating session" not in added and "INFO" not in added, added


def test_with_a_token_the_hints_carry_the_authorization_header(servers):
    srv = servers["token"]
    text = srv.stderr_text()
    connect = [line for line in text.splitlines() if "claude mcp add" in line or "inspector --cli" in line]
    assert len(connect) == 2
    assert all('--header "Authorization: Bearer $AI_GLOSSARY_MCP_TOKEN"' in line for line in connect)
    assert TOKEN not in text  # the secret itself is never printed
    r = httpx2.post(
        srv.url,
        json=initialize_request(1),
        timeout=10,
        headers=MCP_HEADERS | {"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 200


def test_a_pattern_the_host_check_cannot_match_is_refused_at_start(tmp_path):
    config = tmp_path / "star.yaml"
    config.write_text("allowed_hosts: ['*']\n", encoding="utf-8")
    proc = run_cli(
        "serve", "--transport", "http", "--port", str(free_port()), "--config", str(config), timeout=60
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "allowed_hosts" in lines[0] and "'*'" in lines[0], proc.stderr


def test_a_busy_port_is_one_error_line_and_no_banner():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = run_cli("serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port), timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "in use" in lines[0] and str(port) in lines[0], proc.stderr


@pytest.mark.parametrize("name", ["small", "wildcard"])
def test_an_object_that_is_not_jsonrpc_2_gets_invalid_request_for_its_id(servers, name):
    srv = servers[name]
    r = httpx2.post(
        srv.url,
        content=json.dumps({"jsonrpc": "1.0", "id": 9, "method": "ping"}),
        headers=MCP_HEADERS,
        timeout=10,
    )
    assert r.status_code == 400
    assert r.json()["id"] == 9 and r.json()["error"]["code"] == -32600 and "pydantic" not in r.text.lower()


@pytest.mark.parametrize(
    "body, refused",
    [
        # a second top-level "jsonrpc" (escaped or not) wins over the first: not JSON-RPC 2.0
        (b'{"jsonrpc": "2.0", "id": 7, "method": "ping", "json\\u0072pc": "1.0"}', True),
        (b'{"jsonrpc":"2.0","id":7,"method":"ping","jsonrpc":"1.0"}', True),
        # a nested "jsonrpc" key is the params' business: the message itself is JSON-RPC 2.0
        (b'{"jsonrpc": "2.0", "id": 7, "method": "ping", "params": {"_meta": {"jsonrpc": "1.0"}}}', False),
        (b'{"jsonrpc":"2.0","id":7,"method":"ping"}', False),
    ],
)
def test_only_the_top_level_jsonrpc_member_decides_whether_a_body_is_refused(servers, body, refused):
    r = httpx2.post(servers["wildcard"].url, content=body, headers=MCP_HEADERS, timeout=10)
    if refused:
        assert r.status_code == 400 and r.json()["error"]["code"] == -32600 and r.json()["id"] == 7, r.text
    else:
        assert r.status_code == 200 and r.json()["id"] == 7 and "result" in r.json(), r.text
