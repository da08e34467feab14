"""HTTP connection limits: what keeps idle and slow connections from taking the server down.

uvicorn times out a connection only between requests (keep-alive); a connection that
never completes a request is held for ever, and each one is a file descriptor. At the
common limit of 1,024 descriptors, about a thousand idle sockets leave `accept()`
failing, and asyncio logs a traceback for each failure. Three measures, all at the
connection level (below the app, the same for h11 and httptools):

- `raise_descriptor_limit()` lifts the soft RLIMIT_NOFILE to the hard limit at start.
- `GuardedConnection` (mixed into uvicorn's protocol class by `guarded_protocol()`)
  closes a connection that has not sent a complete request head within
  `request_timeout` seconds of connecting or of its last response (slow-header and
  idle clients alike); and when the open connections reach the cap, it closes the
  connections that have waited longest without a request in progress, so a new
  client is always let in. A connection serving a request or a stream is never evicted.
- `quiet_accept_errors()` rate-limits the event loop's repeated error reports
  (accept() failures) to one line per kind per minute.

Two more things live at this level because only here can they be done once for every
response and every parser:

- A request head is capped at MAX_HEAD_BYTES. h11 enforces its own cap (uvicorn's
  `h11_max_incomplete_event_size`); httptools (llhttp) has none, and uvicorn keeps
  every header it parses, so the guard counts the bytes of a head still incomplete
  and answers 400 and closes past the cap.
- Writes are coalesced (`CoalescingTransport`): uvicorn writes a response's head and
  its body in two `transport.write()` calls, which asyncio sends as two syscalls and,
  with TCP_NODELAY, two packets the client reads separately. The wrapper joins what
  is written in one turn of the event loop into one send, up to COALESCE_BYTES (past
  that it writes at once, so a streamed answer still meets uvicorn's flow control).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("ai_glossary_mcp.http")

DESCRIPTORS_RESERVED = 64  # files, pipes and the listening socket besides client connections
REQUEST_TIMEOUT = 10.0
MAX_HEAD_BYTES = 64 * 1024  # request line and headers; browsers and proxies send a few kB at most
COALESCE_BYTES = 64 * 1024  # more than this pending is written at once, so flow control still applies
LOG_EVERY = 60.0


def raise_descriptor_limit() -> int:
    """Raise the soft descriptor limit to the hard one; return the soft limit now in force."""
    try:
        import resource
    except ImportError:  # not POSIX
        return 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft if soft != resource.RLIM_INFINITY else target
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    except (ValueError, OSError):
        return soft


def connection_cap(descriptor_limit: int) -> int:
    return max(16, descriptor_limit - DESCRIPTORS_RESERVED)


class CoalescingTransport(asyncio.Transport):
    """A transport that joins the writes of one event-loop turn into one write of the transport it wraps.

    Everything else is the wrapped transport's: reading, flow control (its pause_writing and
    resume_writing reach the protocol directly) and extra info. Closing sends what is pending first;
    aborting drops it."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))
        self._pending_bytes += len(data)
        if self._pending_bytes >= COALESCE_BYTES:  # a large or streamed answer: the transport's own
            self._flush()  # buffer (and so uvicorn's flow control) sees it at once

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending) if len(self._pending) > 1 else self._pending[0]
            self._pending = []
            self._pending_bytes = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._pending_bytes = 0
        self._transport.abort()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._pending_bytes

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._flush()
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class GuardedConnection:
    """Mixin for a uvicorn HTTP protocol class (H11Protocol or HttpToolsProtocol).

    Its `super()` calls reach that class, which only `guarded_protocol()` names: to the type checker the
    mixin's base is `object`, hence the `[misc]` ignores on them."""

    request_timeout: float = REQUEST_TIMEOUT
    max_connections: int = 1000
    max_head_bytes: int | None = None  # set for parsers that enforce no cap of their own (httptools)
    cycle: Any  # uvicorn's RequestResponseCycle, a different class for each protocol implementation
    connections: set[asyncio.Protocol]
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    send_400_response: Callable[[str], None]

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[misc]
        self._head_bytes: int | None = 0  # bytes of the request head so far; None while none is being read
        self._head_restarted = False
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Answers go out at once: with Nagle's algorithm, a response written in two parts waits for the
            # client's delayed ACK (40 ms a request). asyncio sets this itself only on some paths.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._waiting_since = time.monotonic()
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        self._head_restarted = False
        super().data_received(data)  # type: ignore[misc]
        # Counted after parsing, so a chunk that completes a head (and may carry a body, or end a message
        # and begin the next head) is not counted: the head in memory stays below the cap plus two reads.
        if self.max_head_bytes is not None and self._head_bytes is not None and not self._head_restarted:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes and not self.transport.is_closing():
                self._head_bytes = None
                logger.debug("closing a connection whose request head exceeds %d bytes", self.max_head_bytes)
                self.send_400_response("Request head too large.")

    def on_headers_complete(self) -> None:  # httptools' parser callback (h11 has no such method)
        self._head_bytes = None
        super().on_headers_complete()  # type: ignore[misc]

    def on_message_complete(self) -> None:  # httptools: a pipelined request's head may follow
        self._head_bytes = 0
        self._head_restarted = True
        super().on_message_complete()  # type: ignore[misc]

    def _awaiting_request(self) -> bool:
        cycle = self.cycle
        return cycle is None or cycle.response_complete

    def _arm_head_timer(self, delay: float | None = None) -> None:
        # One timer per connection, not one per request: a response only moves _waiting_since, and the
        # timer, when it fires, closes the connection or looks again when the wait could next expire.
        # Re-arming per response (a cancel and a call_later) cost 5% of the server's CPU per request.
        self._head_timer = self.loop.call_later(
            self.request_timeout if delay is None else delay, self._head_timer_fired
        )

    def _head_timer_fired(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if not self._awaiting_request():  # serving a request or a stream: never closed for that
            self._arm_head_timer()
            return
        due = self._waiting_since + self.request_timeout
        now = time.monotonic()
        if now < due:  # a response completed since the timer was set
            self._arm_head_timer(due - now)
            return
        logger.debug("closing a connection that sent no complete request in %.0f s", self.request_timeout)
        self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._waiting_since = time.monotonic()
        if self._head_timer is None and not self.transport.is_closing():
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)  # type: ignore[misc]

    def _make_room(self) -> None:
        idle = sorted(
            (
                c
                for c in self.connections
                if isinstance(c, GuardedConnection)
                and c is not self
                and c._awaiting_request()
                and not c.transport.is_closing()
            ),
            key=lambda c: c._waiting_since,
        )
        excess = len(self.connections) - self.max_connections
        for victim in idle[: max(excess, 0)]:
            victim.transport.close()
        if len(idle) < excess:  # every other connection is busy: this one cannot be served
            self.transport.close()
        _rate_limited(
            logging.WARNING,
            "connection cap (%d) reached: closed the longest-idle connections",
            self.max_connections,
        )


def guarded_protocol(base: type[asyncio.Protocol], request_timeout: float, max_connections: int) -> type:
    """uvicorn's protocol class `base` with the connection guard mixed in."""
    own_cap = not hasattr(base, "on_headers_complete")  # h11 caps incomplete events itself
    return type(
        f"Guarded{base.__name__}",
        (GuardedConnection, base),
        {
            "request_timeout": request_timeout,
            "max_connections": max_connections,
            "max_head_bytes": None if own_cap else MAX_HEAD_BYTES,
        },
    )


def default_protocol() -> type[asyncio.Protocol]:
    """httptools (a C parser, a dependency) when it imports, as uvicorn's "auto" picks; h11 otherwise."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no wheel for this platform
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    return HttpToolsProtocol


_last_logged: dict[str, float] = {}


def _rate_limited(level: int, message: str, *args: Any) -> None:
    now = time.monotonic()
    if now - _last_logged.get(message, -LOG_EVERY) >= LOG_EVERY:
        _last_logged[message] = now
        logger.log(level, message + " (repeats are not logged for %d s)", *args, int(LOG_EVERY))


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """One line per kind of event-loop error per minute, without a traceback (accept() storms)."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", "event loop error")).replace("%", "%%")
        exc = context.get("exception")
        _rate_limited(logging.ERROR, message + "%s", f": {exc!r}" if exc is not None else "")

    loop.set_exception_handler(handle)
