"""The HTTP parser and the write path: httptools under uvicorn, with the limits h11 had.

uvicorn's httptools protocol keeps every header it parses and has no cap of its own,
so the connection guard caps a request head at MAX_HEAD_BYTES: past it the client
gets 400 and the connection closes, while a large head under the cap and a large
body are served. Responses leave in one write per event-loop turn
(CoalescingTransport): nothing is sent until the turn ends, then the head and body
go out together, in order, and closing sends what is pending first; a write past
COALESCE_BYTES goes to the transport at once, so uvicorn's flow control still sees it.
A connection that sends no request closes REQUEST_TIMEOUT after connecting or after its
last answer, with one timer per connection rather than one per request.
"""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from ai_glossary_mcp.serving.http_limits import (
    COALESCE_BYTES,
    MAX_HEAD_BYTES,
    CoalescingTransport,
    default_protocol,
)
from helpers import MCP_HEADERS, http_server, jsonrpc

PING = json.dumps(jsonrpc("ping", None, 1)).encode()


def test_the_server_parses_http_with_httptools():
    assert default_protocol().__name__ == "HttpToolsProtocol"


@pytest.fixture(scope="module")
def stateless():
    with http_server("--stateless") as srv:
        yield srv


def _request(port: int, extra_headers: bytes = b"", body: bytes = PING) -> bytes:
    head = b"".join(f"{k}: {v}\r\n".encode() for k, v in MCP_HEADERS.items())
    return (
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port
        + head
        + extra_headers
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def _exchange(srv, data: bytes, chunk: int = 8192) -> bytes:
    """Send `data` in chunks (as a large client does); read one response, or until the server closes."""
    with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
        try:
            for i in range(0, len(data), chunk):
                sock.sendall(data[i : i + chunk])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed on us mid-head: its answer, if any, is still readable
        out = b""
        while not _complete(out) and (part := sock.recv(65536)):
            out += part
        return out


def _complete(response: bytes) -> bool:
    head, sep, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def test_a_request_head_past_the_cap_gets_400_and_the_connection_closes(stateless):
    flood = b"".join(b"x-filler-%d: %s\r\n" % (i, b"a" * 1000) for i in range(2 * MAX_HEAD_BYTES // 1000))
    answer = _exchange(stateless, _request(stateless.port, flood))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert answer.endswith(b"Request head too large."), answer[-200:]


def test_a_large_head_under_the_cap_and_a_large_body_are_served(stateless):
    headers = b"".join(b"x-filler-%d: %s\r\n" % (i, b"a" * 1000) for i in range(MAX_HEAD_BYTES // 2000))
    padded = json.dumps(jsonrpc("ping", {"_meta": {"pad": "p" * 400_000}}, 2)).encode()
    for request in (_request(stateless.port, headers), _request(stateless.port, body=padded)):
        answer = _exchange(stateless, request)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        assert b'"result"' in answer


def test_writes_of_one_loop_turn_leave_together_in_order():
    async def scenario() -> tuple[bytes, bytes, bytes]:
        loop = asyncio.get_running_loop()
        ours, peer = socket.socketpair()
        peer.setblocking(False)
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        coalesced = CoalescingTransport(transport, loop)  # type: ignore[arg-type]
        coalesced.write(b"HTTP/1.1 200 OK\r\n\r\n")
        coalesced.write(b"body")
        try:
            before = peer.recv(100)
        except BlockingIOError:
            before = b""
        await asyncio.sleep(0.05)
        after_turn = peer.recv(100)
        coalesced.write(b"last")
        coalesced.close()  # sends what is pending, then closes
        await asyncio.sleep(0.05)
        at_close = peer.recv(100)
        peer.close()
        return before, after_turn, at_close

    before, after_turn, at_close = asyncio.run(scenario())
    assert before == b""
    assert after_turn == b"HTTP/1.1 200 OK\r\n\r\nbody"
    assert at_close == b"last"


def test_a_large_write_reaches_the_transport_at_once():
    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        ours, peer = socket.socketpair()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        coalesced = CoalescingTransport(transport, loop)  # type: ignore[arg-type]
        coalesced.write(b"x" * (COALESCE_BYTES + 1))
        pending = coalesced.get_write_buffer_size() - transport.get_write_buffer_size()
        coalesced.abort()
        peer.close()
        return pending

    assert asyncio.run(scenario()) == 0  # nothing held back: flow control sees the whole answer


def test_a_connection_is_closed_a_request_timeout_after_its_last_response_not_its_first():
    """Real uvicorn, the guarded protocol with a 0.6 s timeout: an idle connection closes 0.6 s after
    connecting; one that keeps asking stays open while it asks, and closes 0.6 s after its last answer."""
    import threading
    import time

    import uvicorn

    from ai_glossary_mcp.serving.http_limits import guarded_protocol

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    timeout = 0.6
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, lifespan="off", http=guarded_protocol(default_protocol(), timeout, 100)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)

        def closed_after(conn: socket.socket) -> float:
            start = time.monotonic()
            conn.settimeout(5)
            assert conn.recv(100) == b""  # the server closed it
            return time.monotonic() - start

        with socket.create_connection(("127.0.0.1", port)) as idle:
            assert 0.4 < closed_after(idle) < 2.0

        with socket.create_connection(("127.0.0.1", port)) as busy:
            for _ in range(4):  # 4 x 0.3 s: past the first timeout, each request inside its own
                busy.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert busy.recv(1000).endswith(b"ok")
                time.sleep(0.3)
            assert 0.1 < closed_after(busy) < 2.0  # 0.6 s after the last answer, 0.3 s of it already slept
    finally:
        server.should_exit = True
        thread.join(10)
