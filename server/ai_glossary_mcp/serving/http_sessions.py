"""HTTP session and request rules the SDK's streamable-HTTP manager does not enforce, as an ASGI wrapper.

`SessionGuard` sits in front of the SDK's app and only ever talks to it the way a
client would, so it needs nothing private:

- **A new client is always admitted.** The SDK answers 503 once `max_sessions`
  are open, so one client holding 256 sessions locks everyone out for the idle
  timeout (for ever if it holds a GET stream per session). Here the session table
  is an LRU: when it is full, the least recently used session is closed (an
  internal DELETE with that session's own credentials) and its client gets 404
  on its next request and re-initialises, as the spec says.
- **Idle sessions expire even while a GET stream is open.** The SDK counts an
  open GET stream as activity; a reaper closes sessions with no request started
  for `idle_timeout` seconds, which also ends their streams.
- **GET streams are capped**: stateless mode has nothing to stream (405, the
  spec's answer for a server that offers no GET stream); stateful streams are
  bounded by the session cap and at most `max_get_streams` at once.
- **Batches get -32600** (MCP has no batches) without echoing the input, where
  the SDK's legacy path answers -32602 with a pydantic report of the body; so
  does an object that is not JSON-RPC 2.0 (no or another "jsonrpc").
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp_types import INVALID_REQUEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ai_glossary_mcp.serving.stdio_wire import readable_id

logger = logging.getLogger("ai_glossary_mcp.http")

SESSION_HEADER = b"mcp-session-id"
REPLAYED_HEADERS = (b"host", b"origin", b"authorization")

Headers = list[tuple[bytes, bytes]]
# A body that opens with "jsonrpc": "2.0" and names "jsonrpc" nowhere else, with no escape that could spell
# it, is an object whose "jsonrpc" is "2.0" (the last duplicate key wins, and there is none): nothing to
# refuse, and no need to parse it a second time (the SDK parses it once). Anything else is parsed.
PLAIN_JSONRPC_2 = re.compile(rb'\s*\{\s*"jsonrpc"\s*:\s*"2\.0"\s*[,}]')
ErrorResponse = tuple[int, Headers, bytes]  # status, headers, body


def _error(
    status: int,
    code: int,
    message: str,
    extra_headers: Sequence[tuple[bytes, bytes]] = (),
    rid: str | int | None = None,
) -> ErrorResponse:
    body = json.dumps({"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra_headers,
    ]
    return status, headers, body


async def _respond(send: Send, response: ErrorResponse) -> None:
    status, headers, body = response
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class Session:
    scope: dict[str, Any]  # the opening request's scope, to address the session as its client did
    last_active: float = field(default_factory=time.monotonic)
    streams: int = 0


class SessionGuard:
    def __init__(
        self,
        app: ASGIApp,
        path: str,
        *,
        stateless: bool,
        max_sessions: int,
        idle_timeout: float,
        max_body_bytes: int,
        max_get_streams: int | None = None,
    ):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path = path
        self._path = path.rstrip("/")
        self.stateless = stateless
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.max_get_streams = max_get_streams if max_get_streams is not None else max_sessions
        self.sessions: OrderedDict[str, Session] = OrderedDict()
        self.get_streams = 0
        self._reaper: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._watch_lifespan(receive), send)
            return
        if scope["type"] != "http" or scope["path"].rstrip("/") != self._path:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "POST":
            receive, refusal = await self._refuse_batch(receive)
            if refusal is not None:
                await _respond(send, refusal)
                return
        if self.stateless:
            if method == "GET":
                await _respond(
                    send,
                    _error(
                        405,
                        INVALID_REQUEST,
                        "this server is stateless: it offers no GET stream; send requests with POST",
                        [(b"allow", b"POST")],
                    ),
                )
                return
            await self.app(scope, receive, send)
            return
        self._start_reaper()
        session_id = _header(scope, SESSION_HEADER)
        if session_id is None:
            if method == "POST":
                await self._open(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        session = self.sessions.get(session_id)
        if session is None:  # unknown or closed: the SDK answers 404
            await self.app(scope, receive, send)
            return
        session.last_active = time.monotonic()
        self.sessions.move_to_end(session_id)
        if method == "GET":
            if self.get_streams >= self.max_get_streams:
                await _respond(
                    send,
                    _error(
                        503,
                        INVALID_REQUEST,
                        "too many open GET streams; retry later",
                        [(b"retry-after", b"30")],
                    ),
                )
                return
            self.get_streams += 1
            session.streams += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.get_streams -= 1
                session.streams -= 1
            return
        try:
            await self.app(scope, receive, send)
        finally:
            session.last_active = time.monotonic()
            if method == "DELETE":
                self.sessions.pop(session_id, None)

    async def _open(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A session is closed to make room only once the SDK has accepted the new one: a request it refuses
        # (no or a wrong token, a bad Host, not an initialize) must not cost another client its session.
        # Until then the table may briefly hold more; the SDK's own cap is twice max_sessions.
        opened: list[str] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                for name, value in message.get("headers", ()):
                    if name.lower() == SESSION_HEADER:
                        opened.append(value.decode("latin-1"))
            await send(message)

        await self.app(scope, receive, watch)
        for session_id in opened:
            self.sessions[session_id] = Session(scope=dict(scope))
        while opened and len(self.sessions) > self.max_sessions:
            oldest = next(iter(self.sessions))
            logger.info("session table full (%d): closing the least recently used session", self.max_sessions)
            await self.close_session(oldest)

    async def close_session(self, session_id: str) -> None:
        """End a session as its client would, with a DELETE carrying the client's own credentials."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return
        headers = [(k, v) for k, v in session.scope["headers"] if k in REPLAYED_HEADERS]
        scope = dict(
            session.scope, method="DELETE", headers=headers + [(SESSION_HEADER, session_id.encode())]
        )

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: Message) -> None:
            return None

        try:
            await self.app(scope, receive, discard)
        except Exception:  # the session may be gone already; it must not keep the new client out
            logger.debug("closing session %s failed", session_id[:64], exc_info=True)

    async def _refuse_batch(self, receive: Receive) -> tuple[Receive, ErrorResponse | None]:
        """Read the body (up to the SDK's own cap; beyond it the SDK answers 413) and refuse, with -32600 and
        no echo, what is not one JSON-RPC 2.0 message: a batch, or an object without "jsonrpc": "2.0"."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message.get("type") != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body") or size > self.max_body_bytes:
                break
        body = b"".join(m.get("body", b"") for m in messages if m.get("type") == "http.request")
        refusal = None
        if (
            size <= self.max_body_bytes
            and messages[-1].get("type") == "http.request"
            and not messages[-1].get("more_body")
        ):
            head = body.lstrip()[:1]
            if PLAIN_JSONRPC_2.match(body) and body.count(b'"jsonrpc"') == 1 and b"\\" not in body:
                pass  # one JSON-RPC 2.0 object: the SDK's to answer
            elif head == b"[":
                refusal = _error(
                    400,
                    INVALID_REQUEST,
                    "Invalid Request: batches are not supported; send one JSON-RPC message per request",
                )
            elif head == b"{":
                try:
                    data = json.loads(body)
                except (ValueError, RecursionError):
                    data = None  # the SDK answers unparseable bodies itself (-32700)
                if isinstance(data, dict) and data.get("jsonrpc") != "2.0":
                    refusal = _error(
                        400,
                        INVALID_REQUEST,
                        'Invalid Request: not a JSON-RPC 2.0 message (it needs "jsonrpc": "2.0")',
                        rid=readable_id(data),
                    )
        pending = list(messages)

        async def replay() -> Message:
            if pending:
                return pending.pop(0)
            return await receive()

        return replay, refusal

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap())

    async def _reap(self) -> None:
        interval = max(0.5, min(self.idle_timeout / 4, 30.0))
        while True:
            await asyncio.sleep(interval)
            deadline = time.monotonic() - self.idle_timeout
            expired = [sid for sid, s in self.sessions.items() if s.last_active < deadline]
            for session_id in expired:
                logger.info("session %s idle for %.0f s: closed", session_id[:8], self.idle_timeout)
                await self.close_session(session_id)

    def _watch_lifespan(self, receive: Receive) -> Receive:
        async def watched() -> Message:
            message = await receive()
            if message.get("type") == "lifespan.shutdown" and self._reaper is not None:
                self._reaper.cancel()
            return message

        return watched


def _header(scope: Scope, name: bytes) -> str | None:
    headers: Headers = scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None
