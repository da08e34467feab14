"""Protocol abuse over a raw stdio subprocess and raw HTTP POSTs.

Three channels, each a real `ai-glossary-mcp` process:
- stdio: raw bytes to stdin, stdout lines read with timeouts (2025-06-18 handshake);
- http-legacy: the stateful HTTP server, an initialized 2025-06-18 session (Mcp-Session-Id);
- http-modern: the stateless HTTP server, 2026-07-28 single-exchange requests (no session).

Every abuse is followed by a normal `define_term("DPO")` that must be answered correctly: the
server keeps serving. A request that carries an id must get an answer for that id (or, for a
message the server cannot read, a JSON-RPC error); silence on a request with an id means the
client waits forever. Behaviour that belongs to the SDK's legacy HTTP transport and deviates
from JSON-RPC is marked as an expected failure (xfail) with the reason, so it shows up in the
summary without failing the run; deviations in our own wiring fail.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from helpers import MCP_HEADERS, initialize_request, parse_http_jsonrpc, raw_stdio

from ._util import is_jsonrpc_line, rss_kb

pytestmark = pytest.mark.stress

MODERN = "2026-07-28"
LEGACY = "2025-06-18"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "stress-abuse", "version": "0"},
    "io.modelcontextprotocol/clientCapabilities": {},
}
FIFTY_MB = 50 * 1024 * 1024
INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, PARSE_ERROR = -32600, -32601, -32602, -32700
SDK_LEGACY_HTTP = (
    "SDK legacy streamable-HTTP transport (mcp/server/streamable_http.py, "
    "_handle_post_request) answers a body that is valid JSON but not one JSON-RPC message "
    "with -32602 'Validation error: <pydantic report>' instead of -32600 Invalid Request"
)
SDK_LEGACY_DUP_ID = (
    "SDK legacy streamable-HTTP transport: two in-flight requests with the same id in one session "
    "(a client error) -- the later one is answered and the earlier one's SSE response never gets its "
    "answer: it stays open forever with keep-alive pings (a hung request and a leaked stream per "
    "occurrence), or, when the first answer is ready as the second stream registers, neither is "
    "answered; instead of a -32600 for the duplicate"
)


@dataclass
class Exchange:
    status: int | None  # HTTP status; None on stdio
    messages: list[dict[str, Any]]
    seconds: float

    def for_id(self, id: Any) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("id") == id and ("result" in m or "error" in m)]

    def errors(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if "error" in m]


# -- channels -----------------------------------------------------------------------------------
class Channel:
    name = "?"
    requests = 0

    def envelope(self, id: Any, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        return msg

    def call(self, id: Any, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.envelope(id, "tools/call", {"name": name, "arguments": arguments})

    def exchange(
        self, raw: bytes, expect_ids: tuple = (), settle: float = 1.0, timeout: float = 30.0
    ) -> Exchange:
        raise NotImplementedError

    def healthy(self) -> None:
        """A normal request after the abuse is answered, correctly."""
        rid = f"health-{time.monotonic_ns()}"
        ex = self.exchange(
            json.dumps(self.call(rid, "define_term", {"term": "DPO"})).encode(), expect_ids=(rid,)
        )
        answers = ex.for_id(rid)
        assert len(answers) == 1 and "result" in answers[0], (
            f"{self.name}: no answer after abuse: {ex.messages}"
        )
        assert answers[0]["result"]["structuredContent"]["entry"]["id"] == "dpo"


class StdioChannel(Channel):
    name = "stdio"

    def __init__(self, raw: Any):
        self.raw = raw
        self.pid = raw.proc.pid
        self.lines: list[str] = []
        self._n = 0

    def _read(self, timeout: float) -> dict[str, Any] | None:
        try:
            line = self.raw.read_line(timeout)
        except TimeoutError:
            return None
        if line is None:
            raise EOFError("the stdio server closed stdout:\n" + self.raw.stderr_text()[-3000:])
        self.lines.append(line)
        assert is_jsonrpc_line(line), f"stdout carried a non-JSON-RPC line: {line[:300]!r}"
        return json.loads(line)

    def exchange(
        self, raw: bytes, expect_ids: tuple = (), settle: float = 1.0, timeout: float = 30.0
    ) -> Exchange:
        """Write one line; collect what comes back until every expected id is answered (or `settle`
        seconds pass quietly), then prove liveness with a sentinel ping and collect up to its answer."""
        t0 = time.monotonic()
        self.raw.write_line(raw)
        self.requests += 1
        messages: list[dict[str, Any]] = []
        pending = set(expect_ids)
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            quiet = settle if not pending else min(5.0, deadline - time.monotonic())
            msg = self._read(max(0.01, quiet))
            if msg is None:
                if not pending:
                    break
                continue
            messages.append(msg)
            if "result" in msg or "error" in msg:
                pending.discard(msg.get("id"))
            if not pending and expect_ids:
                break
        self._n += 1
        sentinel = f"sentinel-{self._n}"
        self.raw.write_line(json.dumps({"jsonrpc": "2.0", "id": sentinel, "method": "ping"}).encode())
        self.requests += 1
        end = time.monotonic() + timeout
        while True:
            msg = self._read(max(0.01, end - time.monotonic()))
            if msg is None:
                raise AssertionError(
                    f"stdio: no answer to a ping within {timeout}s after the abuse (server hung)"
                )
            if msg.get("id") == sentinel:
                break
            messages.append(msg)
        return Exchange(None, messages, time.monotonic() - t0)


class HttpChannel(Channel):
    def __init__(self, name: str, srv: Any, modern: bool):
        self.name, self.srv, self.modern = name, srv, modern
        self.client = httpx2.Client(timeout=httpx2.Timeout(120.0, connect=10.0))
        self.session: str | None = None
        if not modern:
            r = self.client.post(srv.url, json=initialize_request(version=LEGACY), headers=self.headers())
            assert r.status_code == 200, r.text
            self.session = r.headers["mcp-session-id"]
            r = self.client.post(
                srv.url,
                json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                headers=self.headers(),
            )
            assert r.status_code in (200, 202), r.text

    def envelope(self, id: Any, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.modern:
            params = dict(params or {})
            params["_meta"] = META
        return super().envelope(id, method, params)

    def headers(self, body: Any = None) -> dict[str, str]:
        h = dict(MCP_HEADERS)
        if self.modern:
            h["mcp-protocol-version"] = MODERN
            method, name = "ping", None
            if isinstance(body, dict):
                method = str(body.get("method", "ping"))
                params = body.get("params")
                if isinstance(params, dict) and isinstance(params.get("name"), str):
                    name = params["name"]
            h["mcp-method"] = method
            if name is not None and name.isascii() and name.isprintable():
                h["mcp-name"] = name
        else:
            h["mcp-protocol-version"] = LEGACY
            if self.session:
                h["mcp-session-id"] = self.session
        return h

    def exchange(
        self,
        raw: bytes,
        expect_ids: tuple = (),
        settle: float = 1.0,
        timeout: float = 30.0,
        client: httpx2.Client | None = None,
    ) -> Exchange:
        try:
            decoded = json.loads(raw)
        except (ValueError, RecursionError):
            decoded = None
        t0 = time.monotonic()
        r = (client or self.client).post(
            self.srv.url,
            content=raw,
            headers=self.headers(decoded),
            timeout=httpx2.Timeout(timeout, connect=10.0),
        )
        self.requests += 1
        took = time.monotonic() - t0
        ctype = r.headers.get("content-type", "")
        messages = (
            parse_http_jsonrpc(r)
            if r.content and ctype.startswith(("application/json", "text/event-stream"))
            else []
        )
        assert r.status_code < 500, f"{self.name}: HTTP {r.status_code} (server error): {r.text[:500]}"
        return Exchange(r.status_code, messages, took)

    def close(self) -> None:
        if self.session:
            with contextlib.suppress(httpx2.HTTPError):
                self.client.delete(self.srv.url, headers=self.headers())
        self.client.close()


@pytest.fixture(scope="module")
def stdio_channel():
    with raw_stdio() as raw:
        raw.send(initialize_request(version=LEGACY))
        first = raw.read_message(60)
        assert first.get("id") == 1 and "result" in first, first
        raw.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        ch = StdioChannel(raw)
        ch.lines.append(json.dumps(first))
        yield ch


@pytest.fixture(scope="module")
def legacy_channel(http_stateful):
    ch = HttpChannel("http-legacy", http_stateful, modern=False)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def modern_channel(http_stateless):
    ch = HttpChannel("http-modern", http_stateless, modern=True)
    yield ch
    ch.close()


CHANNELS = ["stdio", "http-legacy", "http-modern"]


@pytest.fixture(params=CHANNELS)
def channel(request: pytest.FixtureRequest) -> Channel:
    return request.getfixturevalue(
        {"stdio": "stdio_channel", "http-legacy": "legacy_channel", "http-modern": "modern_channel"}[
            request.param
        ]
    )


def _run(ch: Channel, rec: Any, raw: bytes, **kw: Any) -> Exchange:
    before = ch.requests
    rec.inputs = 1
    ex = ch.exchange(raw, **kw)
    rec.latencies.append(ex.seconds)
    rec.details["status"] = ex.status
    rec.details["responses"] = len(ex.messages)
    rec.details["first_response"] = json.dumps(ex.messages[:1])[:300]
    rec.requests = ch.requests - before
    return ex


def _finish(ch: Channel, rec: Any, observed: str) -> None:
    before = ch.requests
    ch.healthy()
    rec.requests = (rec.requests or 0) + ch.requests - before
    rec.add_note(observed)


def _codes(ex: Exchange) -> list[int]:
    return [m["error"].get("code") for m in ex.errors()]


def _observed(ex: Exchange) -> str:
    if not ex.messages:
        return (
            f"observed: HTTP {ex.status}, no JSON-RPC body"
            if ex.status
            else "observed: no response (silence)"
        )
    codes = _codes(ex)
    head = f"HTTP {ex.status}, " if ex.status else ""
    return f"observed: {head}{len(ex.messages)} message(s)" + (
        f", error codes {sorted(set(codes))}" if codes else ""
    )


# -- the abuses -----------------------------------------------------------------------------------
def test_truncated_json(channel: Channel, stress_record: Any) -> None:
    ex = _run(channel, stress_record, b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"defi')
    # Nothing identifies the request, so silence is tolerable on stdio;
    # any answer must be -32700 with id null.
    for m in ex.messages:
        assert "error" in m and m["error"]["code"] == PARSE_ERROR and m.get("id") is None, m
    if channel.name != "stdio":
        assert ex.status == 400 and _codes(ex) == [PARSE_ERROR], (ex.status, ex.messages)
    _finish(channel, stress_record, _observed(ex))


def test_batch_of_1000_requests(channel: Channel, stress_record: Any) -> None:
    """Batching is not part of current MCP. Sane answers: one -32600 Invalid Request (id null), or an answer
    (e.g. a -32600 error) for every item's id. Silence leaves 1,000 requests with ids unanswered."""
    batch = [channel.call(10_000 + i, "define_term", {"term": "DPO"}) for i in range(1000)]
    ex = _run(channel, stress_record, json.dumps(batch).encode(), expect_ids=(), settle=3.0, timeout=120.0)
    stress_record.requests = (stress_record.requests or 0) + 999  # the batch carries 1,000 requests
    answered = {m.get("id") for m in ex.messages if "result" in m or "error" in m}
    per_item = all(10_000 + i in answered for i in range(1000))
    codes = _codes(ex)
    observed = _observed(ex)
    stress_record.add_note(observed)
    if channel.name == "http-legacy" and codes == [INVALID_PARAMS]:
        channel.healthy()
        pytest.xfail(SDK_LEGACY_HTTP)
    assert per_item or codes == [INVALID_REQUEST], (
        f"{channel.name}: a batch of 1,000 requests got neither -32600 nor per-item answers ({observed})"
    )
    if codes == [INVALID_REQUEST]:
        assert ex.messages[0].get("id") is None
    _finish(channel, stress_record, "")


def test_reused_request_id(channel: Channel, stress_record: Any) -> None:
    """Two different requests with the same id: both are answered, each with its own answer."""
    a = channel.call(
        42, "find_terms_in_text", {"text": "KV cache and LoRA with DPO. " * 700}
    )  # the slower one
    b = channel.call(42, "search_terms", {"query": "shrink weights to 4 bits", "limit": 3})
    stress_record.inputs = 2
    if isinstance(channel, StdioChannel):
        ex = _run(
            channel,
            stress_record,
            (json.dumps(a) + "\n" + json.dumps(b)).encode(),
            expect_ids=(42,),
            settle=2.0,
        )
        answers = ex.for_id(42)
        if len(answers) < 2:  # the first answer ended the wait; the second may still be in flight
            more = channel.exchange(b"", settle=2.0)
            answers += more.for_id(42)
    else:
        answers = _concurrent_same_id(channel, stress_record, a, b)
        if channel.name == "http-legacy" and len(answers) == 1 and "results" in str(answers[0])[:2000]:
            stress_record.add_note(
                "observed: the second request was answered, the first one's SSE stream "
                f"stayed open without its answer for {REUSE_WAIT:.0f}s (pings only)"
            )
            channel.healthy()
            pytest.xfail(SDK_LEGACY_DUP_ID)
        if channel.name == "http-legacy" and not answers:
            # The same collision when the first answer is ready as the second request registers its stream
            # (about 1 run in 4 here, also before this round's changes): both streams end without an answer.
            stress_record.add_note("observed: both SSE streams ended without an answer for id 42")
            channel.healthy()
            pytest.xfail(SDK_LEGACY_DUP_ID)
    kinds = sorted(
        "mentions" if "mentions" in (m.get("result", {}).get("structuredContent") or {}) else "results"
        for m in answers
        if "result" in m
    )
    assert kinds == ["mentions", "results"], (
        f"{channel.name}: answers for the reused id: {str(answers)[:600]}"
    )
    _finish(channel, stress_record, f"observed: {len(answers)} answers for id 42")


REUSE_WAIT = 10.0


def _concurrent_same_id(channel: HttpChannel, rec: Any, a: dict[str, Any], b: dict[str, Any]) -> list[dict]:
    """POST `a` (slow) and, while it runs, `b` with the same id on separate connections; give each
    REUSE_WAIT seconds to produce its answer (an SSE stream may stay open with keep-alive pings)."""
    answers: list[dict] = []
    done = [threading.Event(), threading.Event()]
    clients = [httpx2.Client(timeout=httpx2.Timeout(REUSE_WAIT + 10, connect=10.0)) for _ in range(2)]

    def send(i: int, message: dict[str, Any]) -> None:
        t0 = time.monotonic()
        try:
            with clients[i].stream(
                "POST",
                channel.srv.url,
                content=json.dumps(message).encode(),
                headers=channel.headers(message),
            ) as r:
                buffer = b""
                for chunk in r.iter_bytes():
                    buffer += chunk
                    if r.headers.get("content-type", "").startswith("application/json"):
                        continue
                    for line in buffer.decode("utf-8", "replace").splitlines():
                        if line.startswith("data:") and line[5:].strip():
                            msg = json.loads(line[5:].strip())
                            if msg.get("id") == message["id"]:
                                answers.append(msg)
                                return
                if r.headers.get("content-type", "").startswith("application/json") and buffer:
                    answers.append(json.loads(buffer))
        except (httpx2.HTTPError, ValueError, RuntimeError):
            pass  # aborted below, or the server closed the stream
        finally:
            rec.latencies.append(time.monotonic() - t0)
            done[i].set()

    threads = [threading.Thread(target=send, args=(0, a), daemon=True)]
    threads[0].start()
    time.sleep(0.05)
    threads.append(threading.Thread(target=send, args=(1, b), daemon=True))
    threads[1].start()
    deadline = time.monotonic() + REUSE_WAIT
    for event in done:
        event.wait(max(0.0, deadline - time.monotonic()))
    for c in clients:  # abort whatever is still waiting
        c.close()
    for t in threads:
        t.join(10)
    channel.requests += 2
    rec.requests = 2
    return answers


def test_notification_with_an_id(channel: Channel, stress_record: Any) -> None:
    """A notification method sent with an id is a request for an unknown method (or ignored):
    never a crash."""
    msg = channel.envelope(77, "notifications/initialized")
    ex = _run(channel, stress_record, json.dumps(msg).encode(), expect_ids=(), settle=1.5)
    for m in ex.messages:
        assert m.get("id") in (77, None) and "error" in m, m
        assert m["error"]["code"] in (METHOD_NOT_FOUND, INVALID_REQUEST, INVALID_PARAMS), m
    _finish(channel, stress_record, _observed(ex))


def test_unknown_method(channel: Channel, stress_record: Any) -> None:
    ex = _run(
        channel,
        stress_record,
        json.dumps(channel.envelope(7, "glossary/explode", {})).encode(),
        expect_ids=(7,),
    )
    answers = ex.for_id(7)
    assert len(answers) == 1 and answers[0]["error"]["code"] == METHOD_NOT_FOUND, ex.messages
    _finish(channel, stress_record, _observed(ex))


@pytest.mark.parametrize("variant", ["version-1.0", "no-version", "id-object"])
def test_invalid_jsonrpc_envelope(channel: Channel, variant: str, stress_record: Any) -> None:
    """An envelope that is not JSON-RPC 2.0 must be answered with -32600 Invalid Request for its id; with no
    usable id (an object), silence is tolerated, since there is no id to answer to."""
    msg = channel.envelope(9, "ping")
    if variant == "version-1.0":
        msg["jsonrpc"] = "1.0"
    elif variant == "no-version":
        del msg["jsonrpc"]
    else:
        msg["id"] = {"nested": [1, 2]}
    ex = _run(channel, stress_record, json.dumps(msg).encode(), expect_ids=(), settle=2.0)
    codes = _codes(ex)
    stress_record.add_note(_observed(ex))
    if channel.name == "http-legacy" and codes == [INVALID_PARAMS]:
        channel.healthy()
        pytest.xfail(SDK_LEGACY_HTTP)
    if variant == "id-object" and not ex.messages:
        # No usable id: nothing to answer to (MCP's error response needs an id), so silence is tolerated.
        _finish(channel, stress_record, "")
        return
    assert codes == [INVALID_REQUEST], (
        f"{channel.name}: {variant} envelope -> {_observed(ex)} {ex.messages[:1]}"
    )
    assert ex.messages[0].get("id") in (9, None)
    _finish(channel, stress_record, "")


def test_lone_surrogate_escape(channel: Channel, stress_record: Any) -> None:
    """Valid JSON (RFC 8259 allows the escape) whose string is not valid Unicode: the request has an id, so it
    must be answered (an error for id 10, an isError result, or -32700 with id null over HTTP)."""
    body = json.dumps(
        channel.call(10, "define_term", {"term": "\ud800"})
    ).encode()  # json.dumps writes \ud800
    assert b"\\ud800" in body
    ex = _run(channel, stress_record, body, expect_ids=(10,), settle=5.0, timeout=8.0)
    answers = ex.for_id(10)
    stress_record.add_note(_observed(ex))
    if channel.name == "stdio":
        assert answers, (
            "stdio: a request whose argument holds a lone-surrogate escape got no answer (client hangs)"
        )
    else:
        assert answers or (ex.status == 400 and _codes(ex) == [PARSE_ERROR]), (ex.status, ex.messages)
    for m in answers:
        assert "error" in m or m["result"].get("isError") is True, m
    _finish(channel, stress_record, "")


def test_invalid_utf8_and_garbage(channel: Channel, stress_record: Any) -> None:
    """Bytes that are not UTF-8, a NUL-laden line and a bare `null`: no crash, nothing but errors back."""
    for raw in (
        b'{"jsonrpc":"2.0","id":14,"method":"ping","x":"\xff\xfe\xc0\xaf"}',
        b"\x00\x01\x02\xff" * 100,
        b"null",
        b"[]",
        b"{}",
        b'"just a string"',
        b"1e999999",
    ):
        ex = _run(channel, stress_record, raw, expect_ids=(), settle=0.5)
        for m in ex.messages:
            assert m.get("id") in (14, None), m
            assert "error" in m or m.get("id") == 14, m
    stress_record.inputs = 7
    _finish(channel, stress_record, "7 garbage bodies")


def test_fifty_megabyte_message(channel: Channel, stress_record: Any) -> None:
    """stdio: a 50 MB line (a request with a 50 MB argument) is refused with -32600 for its id, unread, so the
    memory never grows; HTTP: a 50 MB body is refused with 413 without being buffered."""
    term = "x" * FIFTY_MB
    body = json.dumps(channel.call(88, "define_term", {"term": term})).encode()
    del term
    if isinstance(channel, StdioChannel):
        before = rss_kb(channel.pid)
        ex = _run(channel, stress_record, body, expect_ids=(88,), settle=5.0, timeout=180.0)
        del body
        peak_after = rss_kb(channel.pid)
        answers = ex.for_id(88)
        assert answers and answers[0]["error"]["code"] == INVALID_REQUEST, ex.messages[:1]
        text = answers[0]["error"]["message"]
        assert len(text) < 4000 and "MiB" in text, text[:300]
        time.sleep(1.0)
        after = rss_kb(channel.pid)
        stress_record.mem_growth_pct = 100.0 * (after - before) / before
        stress_record.details.update(rss_before_kb=before, rss_after_kb=after, rss_right_after_kb=peak_after)
        stress_record.add_note(f"RSS {before // 1024} -> {after // 1024} MB")
        # The line is discarded as it streams in (a 4 MiB cap): it is never held, so RSS barely moves.
        assert peak_after - before < 16 * 1024, (
            f"RSS grew by {(peak_after - before) // 1024} MB for one 50 MB line"
        )
    else:
        ex = _run(channel, stress_record, body, timeout=120.0)
        del body
        assert ex.status == 413, (ex.status, ex.messages[:1])
        assert ex.seconds < 60, f"the 413 took {ex.seconds:.1f}s"
    _finish(channel, stress_record, _observed(ex))


def test_stdio_stdout_carries_only_jsonrpc(stdio_channel: StdioChannel, stress_record: Any) -> None:
    """Everything the stdio server wrote during the abuse is JSON-RPC, and it exits cleanly on EOF."""
    stdio_channel.healthy()
    rest = stdio_channel.raw.drain(timeout=30)
    lines = stdio_channel.lines + rest
    bad = [line[:200] for line in lines if not is_jsonrpc_line(line)]
    stress_record.inputs = len(lines)
    stress_record.requests = stdio_channel.requests
    stress_record.add_note(f"{len(lines)} stdout lines checked")
    assert not bad, f"non-JSON-RPC stdout lines: {bad[:5]}"
    code = stdio_channel.raw.proc.wait(timeout=30)
    assert code == 0, f"stdio server exited with {code} on EOF:\n{stdio_channel.raw.stderr_text()[-2000:]}"
    errors = stdio_channel.raw.stderr_text()
    stress_record.details["stderr_tail"] = errors[-1000:]
    assert "Traceback" not in errors, errors[-3000:]
