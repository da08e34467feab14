"""stdio under the faults a deployment meets, against the real console script in a subprocess.

JSON-RPC 2.0's rules on the wire: every line that is not a notification gets an answer
(-32700 for unparseable JSON, -32600 for what is not one message, `id: null` unless the
id can be read); a readable id is always answered, even on JSON nested too deep to parse;
a line over the cap is refused without being held in memory; at EOF (`cat requests |
ai-glossary-mcp`) every request already sent is answered before exit; Ctrl-C in a
terminal stops the server; stdout carries JSON-RPC only. The unit part checks the id
scanner that makes the deep-nesting and oversize answers possible.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time

import pytest

from ai_glossary_mcp.serving.stdio_wire import MAX_LINE_BYTES, classify, scan_top_level_id
from helpers import EXE, ROOT, initialize_request, jsonrpc, raw_stdio, server_env


def _lines(*messages: dict | str) -> bytes:
    return b"".join((m if isinstance(m, str) else json.dumps(m)).encode() + b"\n" for m in messages)


def _define(rid: int, term: str = "tranformer") -> dict:
    return jsonrpc("tools/call", {"name": "define_term", "arguments": {"term": term}}, rid)


def _run_piped(data: bytes, timeout: float = 60) -> tuple[list[dict], subprocess.CompletedProcess]:
    proc = subprocess.run(
        [str(EXE)], input=data, capture_output=True, env=server_env(), cwd=ROOT, timeout=timeout
    )
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return out, proc


@pytest.mark.parametrize(
    "line, code",
    [
        ("this is {not json", -32700),
        (
            '{"jsonrpc": "2.0", "id": 7, "method": "tools/li',
            -32700,
        ),  # truncated: not JSON, so the id is unknown
        ("[]", -32600),
        ("42", -32600),
        ('{"jsonrpc": "2.0", "id": null, "method": 5}', -32600),  # a null id is no id to answer with
    ],
)
def test_an_unreadable_line_gets_an_error_with_a_null_id(line, code):
    message, replies = classify(line.encode())
    assert message is None
    assert [(r.id, r.error.code) for r in replies] == [(None, code)]


def test_a_notification_that_cannot_be_read_is_not_answered():
    assert classify(b'{"jsonrpc": "2.0", "method": "notifications/x", "params": 3}') == (None, [])


def test_a_request_with_a_readable_id_is_answered_with_that_id():
    message, replies = classify(b'{"jsonrpc": "2.0", "id": "r-1", "method": 12}')
    assert message is None and [(r.id, r.error.code) for r in replies] == [("r-1", -32600)]
    _, batch = classify(b'[{"jsonrpc": "2.0", "id": 4, "method": "ping"}, {"jsonrpc": "2.0", "method": "x"}]')
    assert [(r.id, r.error.code) for r in batch] == [(4, -32600)]


def test_the_id_scanner_reads_deep_and_cut_off_objects():
    deep = (
        b'{"jsonrpc": "2.0", "method": "x", "params": {"a": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b'}, "id": 12}'
    )
    assert scan_top_level_id(deep) == 12
    assert (
        scan_top_level_id(b'{"jsonrpc": "2.0", "id": "abc\\"d", "method": "tools/call", "params": {"x": "')
        == 'abc"d'
    )
    assert scan_top_level_id(b'{"params": {"id": 3}, "method": "id"}') is None  # nested ids do not count
    assert scan_top_level_id(b'[{"id": 3}]') is None
    assert scan_top_level_id(b'{"id": 1.5}') is None


def test_faulty_lines_on_a_live_server_are_answered_in_full():
    deep = (
        '{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    data = _lines(
        initialize_request(1),
        jsonrpc("notifications/initialized", id=None),
        "not json",
        "[]",
        "42",
        deep,
        jsonrpc("ping", None, 2),
    )
    out, proc = _run_piped(data)
    assert proc.returncode == 0
    by_id = {}
    for msg in out:
        by_id.setdefault(msg["id"], []).append(msg)
    assert [m["error"]["code"] for m in by_id[None]] == [-32700, -32600, -32600]
    assert by_id[9][0]["error"]["code"] == -32600 and "nested too deeply" in by_id[9][0]["error"]["message"]
    assert by_id[1][0]["result"]["serverInfo"]["name"] == "ai-glossary-mcp"
    assert by_id[2] == [{"jsonrpc": "2.0", "id": 2, "result": {}}]
    assert len(out) == 6


def test_eof_answers_every_request_already_sent():
    # `cat requests.jsonl | ai-glossary-mcp`: 61 requests (typo lookups, the slower path) then EOF at once.
    calls = [_define(100 + i, "tranformer" if i % 2 else "ditsilation") for i in range(60)]
    data = _lines(initialize_request(1), jsonrpc("notifications/initialized", id=None), *calls)
    out, proc = _run_piped(data)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert sorted(m["id"] for m in out) == [1] + list(range(100, 160))
    assert all("result" in m for m in out)


def test_eof_right_after_one_call_still_answers_it():
    data = _lines(initialize_request(1), jsonrpc("notifications/initialized", id=None), _define(2, "DPO"))
    out, proc = _run_piped(data)
    assert proc.returncode == 0
    assert [m["id"] for m in out] == [1, 2]
    assert out[1]["result"]["structuredContent"]["entry"]["id"] == "dpo"


def test_eof_does_not_wait_for_a_request_the_client_cancelled():
    # The SDK never answers a cancelled request (the spec's rule), so EOF must not wait out its grace for it.
    find = jsonrpc(
        "tools/call", {"name": "find_terms_in_text", "arguments": {"text": "LoRA and DPO " * 500}}, 2
    )
    cancel = jsonrpc("notifications/cancelled", {"requestId": 2, "reason": "test"}, id=None)
    data = _lines(
        initialize_request(1), jsonrpc("notifications/initialized", id=None), find, cancel, _define(3, "DPO")
    )
    out, proc = _run_piped(data)
    assert proc.returncode == 0
    assert 3 in [m.get("id") for m in out]
    assert b"still unanswered" not in proc.stderr, proc.stderr.decode()[-2000:]


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_line_over_the_cap_is_refused_without_holding_it():
    size = 3 * MAX_LINE_BYTES  # 12 MiB
    with raw_stdio() as srv:
        # a first search waits for the embedding model, which loads in the background from the start
        srv.send(initialize_request(1))
        srv.read_until_id(1)
        srv.send(jsonrpc("notifications/initialized", id=None))
        srv.send(jsonrpc("tools/call", {"name": "search_terms", "arguments": {"query": "warm up"}}, 3))
        assert "result" in srv.read_until_id(3)[0]
        before = _rss_kib(srv.proc.pid)
        head = (
            b'{"jsonrpc": "2.0", "id": 42, "method": "tools/call", "params": {"name": "define_term", '
            b'"arguments": {"term": "'
        )
        srv.write_line(head + b"a" * size + b'"}}}')
        (answer,) = srv.read_until_id(42, timeout=60)
        grown = _rss_kib(srv.proc.pid) - before
        srv.send(jsonrpc("ping", None, 2))
        assert srv.read_until_id(2) == [{"jsonrpc": "2.0", "id": 2, "result": {}}]
    assert answer["error"]["code"] == -32600 and "MiB" in answer["error"]["message"]
    assert grown < 2 * MAX_LINE_BYTES // 1024, f"resident memory grew by {grown} KiB for a refused line"


def test_ctrl_c_in_a_terminal_stops_the_server():
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console script on a terminal, as a person starts it
        # A shell starts a foreground program with SIGINT at its default; pytest run as a background job
        # (`make test &`) would hand down an ignored SIGINT, and Python then never raises KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(str(EXE), [str(EXE)], server_env())
    try:
        os.write(fd, json.dumps(jsonrpc("ping", None, 1)).encode() + b"\n")
        seen, deadline = b"", time.monotonic() + 30
        while b'"result"' not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                seen += os.read(fd, 4096)
        assert b'"id":1,"result":{}' in seen, seen
        os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to the foreground process
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the server kept running after Ctrl-C")
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 130
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def test_tool_calls_on_a_handshake_connection_keep_the_sdk_answers():
    # Handshake-era tools/call is answered by GlossaryMCPServer's own path; errors must read as before.
    bad = jsonrpc(
        "tools/call", {"name": "search_terms", "arguments": {"query": "attention", "limit": 999}}, 2
    )
    missing = jsonrpc("tools/call", {"name": "define_term", "arguments": {}}, 3)
    unknown = jsonrpc("tools/call", {"name": "no_such_tool", "arguments": {}}, 4)
    early = _define(5, "DPO")
    data = _lines(
        early,
        initialize_request(1),
        jsonrpc("notifications/initialized", id=None),
        bad,
        missing,
        unknown,
        _define(6, "DPO"),
    )
    out, proc = _run_piped(data)
    by_id = {m["id"]: m for m in out}
    assert proc.returncode == 0 and set(by_id) == {1, 2, 3, 4, 5, 6}
    assert "error" in by_id[5]  # before initialize: refused, as the SDK does
    for rid, field in ((2, "`limit`"), (3, "`term`")):
        result = by_id[rid]["result"]
        assert result["isError"] is True
        text = result["content"][0]["text"]
        assert (
            text.startswith(f"invalid arguments for {'search_terms' if rid == 2 else 'define_term'}")
            and field in text
        ), text
    assert by_id[4]["error"]["code"] == -32602 and "define_term" in by_id[4]["error"]["message"]
    assert by_id[6]["result"]["structuredContent"]["entry"]["id"] == "dpo"


def test_the_tool_call_fast_path_answers_as_the_sdk_path_does():
    # tools/call on a handshake connection is answered by our innermost middleware; params carrying _meta
    # take the SDK's full path. Both must give the same answer to every call, good or bad.
    calls = [
        {"name": "define_term", "arguments": {"term": "DPO"}},
        {"name": "define_term", "arguments": {"term": "tranformer", "detail": "full"}},
        {"name": "search_terms", "arguments": {"query": "shrink weights", "limit": 0}},
        {"name": "define_term", "arguments": {}},
        {"name": "list_terms", "arguments": None},
        {"name": "list_terms"},
        *({"name": "list_terms", "arguments": bad} for bad in ([], 0, "", False, "x")),
    ]
    requests = []
    for i, call in enumerate(calls):
        requests.append(jsonrpc("tools/call", call, 100 + i))
        requests.append(jsonrpc("tools/call", {**call, "_meta": {}}, 200 + i))
    data = _lines(initialize_request(1), jsonrpc("notifications/initialized", id=None), *requests)
    out, proc = _run_piped(data)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    by_id = {m["id"]: m for m in out}

    def shape(answer: dict) -> tuple:
        if "error" in answer:
            return ("error", answer["error"]["code"])
        result = answer["result"]
        return ("result", result.get("isError", False), result["content"][0]["text"])

    for i, call in enumerate(calls):
        assert shape(by_id[100 + i]) == shape(by_id[200 + i]), call
