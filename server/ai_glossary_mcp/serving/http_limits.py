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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from typing import Any

logger = logging.getLogger("ai_glossary_mcp.http")

DESCRIPTORS_RESERVED = 64  # files, pipes and the listening socket besides client connections
REQUEST_TIMEOUT = 10.0
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


class GuardedConnection:
    """Mixin for a uvicorn HTTP protocol class (H11Protocol or HttpToolsProtocol).

    Its `super()` calls reach that class, which only `guarded_protocol()` names: to the type checker the
    mixin's base is `object`, hence the `[misc]` ignores on them."""

    request_timeout: float = REQUEST_TIMEOUT
    max_connections: int = 1000
    cycle: Any  # uvicorn's RequestResponseCycle, a different class for each protocol implementation
    connections: set[asyncio.Protocol]
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
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

    def _awaiting_request(self) -> bool:
        cycle = self.cycle
        return cycle is None or cycle.response_complete

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._waiting_since = time.monotonic()
        armed_cycle = self.cycle

        def expire() -> None:
            self._head_timer = None
            if self.cycle is armed_cycle and self._awaiting_request() and not self.transport.is_closing():
                logger.debug(
                    "closing a connection that sent no complete request in %.0f s", self.request_timeout
                )
                self.transport.close()

        self._head_timer = self.loop.call_later(self.request_timeout, expire)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
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
    return type(
        f"Guarded{base.__name__}",
        (GuardedConnection, base),
        {"request_timeout": request_timeout, "max_connections": max_connections},
    )


def default_protocol() -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return AutoHTTPProtocol


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
