"""The stdio wire: JSON-RPC lines in and out of fds 0 and 1, on the event loop, per JSON-RPC 2.0.

Why not the SDK's `stdio_server()` as it comes: it reads and writes through anyio's
`wrap_file`, so every line and every answer hops to a worker thread and back (the
largest single cost of a call); it drops lines it cannot parse without an answer;
it holds a line of any length in memory; and at EOF the serving loop cancels the
requests still in flight. This module keeps the SDK's serving loop and replaces
only the two ends of the pipe:

- `StdinLines` reads fd 0 on the event loop (readiness through `add_reader`, then
  one `os.read`; the descriptor stays blocking, so a terminal shared with stderr
  is never switched to non-blocking mode). Lines are split as bytes and capped:
  a line over `MAX_LINE_BYTES` is discarded as it streams in, keeping only its
  first `ID_PEEK_BYTES` to recover the request id from.
- `classify()` parses each line once with the SDK's own message adapter; a line
  it rejects gets an answer here: -32700 for unparseable JSON, -32600 for
  anything that is not one JSON-RPC message, with the request id whenever it can
  be read (a scanner finds a top-level "id" even in JSON nested too deep for any
  parser), `null` otherwise; notifications are never answered.
- `StdoutWriter` is the serving loop's write stream: it serialises each message
  and writes it to fd 1 at once (no writer task, no thread), and crosses off the
  request it answers, so that at EOF the reader can wait (up to `EOF_GRACE`
  seconds) until everything read has been answered before it ends the input.

While serving, fd 0 reads from /dev/null and fd 1 goes to stderr, so a stray
print or a child process can never write into the protocol stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import mcp_types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError, JSONRPCMessage, JSONRPCRequest
from pydantic import ValidationError

logger = logging.getLogger("ai_glossary_mcp.stdio")

MAX_LINE_BYTES = 4 * 1024 * 1024
ID_PEEK_BYTES = 64 * 1024
READ_CHUNK = 256 * 1024
EOF_GRACE = 10.0

RequestId = str | int

# Strings (with escapes) and brackets: enough to know the depth of every "id" key without parsing.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]]')
_ID_VALUE = re.compile(rb'\s*:\s*("(?:[^"\\]|\\.)*"|-?(?:0|[1-9][0-9]*))\s*(?:[,}]|$)')


def readable_id(item: object) -> RequestId | None:
    rid = item.get("id") if isinstance(item, dict) else None
    return rid if isinstance(rid, (str, int)) and not isinstance(rid, bool) else None


def scan_top_level_id(raw: bytes) -> RequestId | None:
    """The "id" of a JSON object read from its text alone: works on objects nested too deep to parse and
    on the head of a line that was cut off. None if the text is not an object or has no usable id."""
    if not raw.lstrip().startswith(b"{"):
        return None
    depth = 0
    for match in _TOKEN.finditer(raw):
        token = match.group()
        first = token[0]
        if first in b"{[":
            depth += 1
        elif first in b"}]":
            depth -= 1
            if depth == 0:
                return None
        elif depth == 1 and token == b'"id"':
            value = _ID_VALUE.match(raw, match.end())
            if value is not None:
                try:
                    rid = json.loads(value.group(1))
                except ValueError:
                    return None
                return rid if isinstance(rid, (str, int)) else None
    return None


def _error(rid: RequestId | None, code: int, message: str) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=rid, error=ErrorData(code=code, message=message))


def _first_problem(exc: ValidationError) -> str:
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"][1:]) or "message"  # loc[0] is the union member tried
        return f"{where}: {err['msg']}"
    return "not a JSON-RPC 2.0 message"


def classify(line: bytes) -> tuple[SessionMessage | None, list[JSONRPCError]]:
    """One stdin line: the message to serve, or the error answers it is owed (none for a notification)."""
    try:
        return SessionMessage(mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)), []
    except ValidationError as exc:
        rejection = exc
    text = line.decode("utf-8", errors="replace")
    if (
        len(text) != len(line) or "\ufffd" in text
    ):  # invalid UTF-8 inside a string: serve it replaced, as before
        try:
            return SessionMessage(mcp_types.jsonrpc_message_adapter.validate_json(text, by_name=False)), []
        except ValidationError as exc:
            rejection = exc
    try:
        data = json.loads(text)
    except RecursionError:
        rid = scan_top_level_id(line)
        return None, [
            _error(rid, INVALID_REQUEST, "Invalid Request: the message is nested too deeply to read")
        ]
    except ValueError:
        return None, [
            _error(
                None,
                PARSE_ERROR,
                "Parse error: the line is not valid JSON; send one JSON-RPC message per line",
            )
        ]
    if isinstance(data, list):
        message = "Invalid Request: batches are not supported; send one message per line"
        ids = [rid for rid in map(readable_id, data) if rid is not None]
        return None, [_error(rid, INVALID_REQUEST, message) for rid in ids] or [
            _error(None, INVALID_REQUEST, message)
        ]
    if not isinstance(data, dict):
        return None, [_error(None, INVALID_REQUEST, "Invalid Request: a message is a JSON object")]
    if "id" not in data and "method" in data:
        logger.debug("dropped an unreadable notification")
        return None, []
    if "method" not in data and ("result" in data or "error" in data):
        logger.debug("dropped an unreadable response from the client")
        return None, []
    return None, [_error(readable_id(data), INVALID_REQUEST, f"Invalid Request: {_first_problem(rejection)}")]


def oversize_reply(head: bytes, size: int) -> JSONRPCError:
    return _error(
        scan_top_level_id(head),
        INVALID_REQUEST,
        f"Invalid Request: the message is over {MAX_LINE_BYTES // (1024 * 1024)} MiB "
        f"({size:,} bytes or more); it was discarded unread",
    )


class InFlight:
    """Requests read but not yet answered, so that EOF can wait for their answers."""

    def __init__(self) -> None:
        self.counts: Counter[RequestId] = Counter()
        self._idle: asyncio.Event | None = None

    def add(self, rid: RequestId) -> None:
        self.counts[rid] += 1

    def done(self, rid: RequestId) -> None:
        n = self.counts.get(rid)
        if n is None:
            return
        if n <= 1:
            del self.counts[rid]
            if not self.counts and self._idle is not None:
                self._idle.set()
        else:
            self.counts[rid] = n - 1

    async def wait_idle(self, grace: float) -> bool:
        if not self.counts:
            return True
        self._idle = asyncio.Event()
        with anyio.move_on_after(grace):
            await self._idle.wait()
        return not self.counts


class StdoutWriter:
    """The serving loop's write stream: each message goes to the descriptor as one line, at once."""

    def __init__(self, fd: int, in_flight: InFlight):
        self.fd = fd
        self.in_flight = in_flight
        self.broken = False

    def write_message(self, message: JSONRPCMessage, settles: bool = True) -> None:
        """Write one message; an answer (`settles`) crosses its request off the requests in flight."""
        data = message.model_dump_json(by_alias=True, exclude_unset=True).encode() + b"\n"
        rid = getattr(message, "id", None)
        if settles and rid is not None and not isinstance(message, JSONRPCRequest):
            self.in_flight.done(rid)
        if self.broken:
            return
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except BlockingIOError:  # a descriptor someone else made non-blocking: finish the line blocking
            os.set_blocking(self.fd, True)
            while view:
                view = view[os.write(self.fd, view) :]
        except (BrokenPipeError, OSError):
            self.broken = True  # the client went away; keep draining answers so shutdown stays orderly
            logger.info("stdout is closed; the client has gone")

    async def send(self, item: SessionMessage) -> None:
        self.write_message(item.message)

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> StdoutWriter:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None


async def _readable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def _reader_for(fd: int) -> Callable[[], Awaitable[bytes]]:
    """An awaitable chunk reader for fd: event-loop readiness for pipes, sockets and terminals; direct reads
    for regular files (always readable, and epoll refuses them); a worker thread where neither works."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_reader(fd, lambda: None)
        loop.remove_reader(fd)
    except PermissionError:  # a regular file (`< requests.jsonl`): reads never block

        async def read_file() -> bytes:
            await anyio.lowlevel.checkpoint()
            return os.read(fd, READ_CHUNK)

        return read_file
    except (NotImplementedError, OSError, ValueError):  # e.g. Windows' proactor loop
        return lambda: anyio.to_thread.run_sync(os.read, fd, READ_CHUNK)

    async def read_ready() -> bytes:
        while True:
            try:
                await _readable(loop, fd)
                return os.read(fd, READ_CHUNK)
            except BlockingIOError:  # another reader took the bytes first
                continue

    return read_ready


class StdinLines:
    """Lines of fd 0 as served messages; answers owed to unreadable lines go straight to the writer."""

    def __init__(self, fd: int, writer: StdoutWriter, in_flight: InFlight, eof_grace: float = EOF_GRACE):
        self.fd = fd
        self.writer = writer
        self.in_flight = in_flight
        self.eof_grace = eof_grace

    def _serve_line(self, line: bytes, out: list[SessionMessage]) -> None:
        if not line.strip():
            return  # a blank line carries no message
        message, replies = classify(line)
        for reply in replies:  # answers to unreadable lines: they settle no request in flight
            self.writer.write_message(reply, settles=False)
        if message is not None:
            inner = message.message
            if isinstance(inner, JSONRPCRequest):
                self.in_flight.add(inner.id)
            elif getattr(inner, "method", None) == "notifications/cancelled":
                # The SDK never answers a request the client cancelled (the spec's rule): stop waiting for it.
                cancelled = readable_id({"id": (getattr(inner, "params", None) or {}).get("requestId")})
                if cancelled is not None:
                    self.in_flight.done(cancelled)
            out.append(message)

    async def pump(self, send: MemoryObjectSendStream[SessionMessage]) -> None:
        """Read until EOF, sending each message on `send`; then let the requests in flight be answered."""
        read = _reader_for(self.fd)
        pending = bytearray()
        skipping: tuple[bytes, int] | None = None  # head and size so far of an oversize line
        async with send:
            while True:
                try:
                    chunk = await read()
                except OSError as exc:
                    logger.info("stdin unreadable (%s); treating it as EOF", exc)
                    chunk = b""
                if not chunk:
                    break
                out: list[SessionMessage] = []
                start = 0
                while True:
                    end = chunk.find(b"\n", start)
                    if end < 0:
                        rest = chunk[start:]
                        if skipping is not None:
                            skipping = (skipping[0], skipping[1] + len(rest))
                        else:
                            pending += rest
                            if len(pending) > MAX_LINE_BYTES:
                                skipping = (bytes(pending[:ID_PEEK_BYTES]), len(pending))
                                pending = bytearray()
                        break
                    piece = chunk[start:end]
                    start = end + 1
                    if skipping is not None:
                        self.writer.write_message(
                            oversize_reply(skipping[0], skipping[1] + len(piece)), settles=False
                        )
                        skipping = None
                        continue
                    if pending:
                        pending += piece
                        line, pending = bytes(pending), bytearray()
                    else:
                        line = piece
                    if len(line) > MAX_LINE_BYTES:
                        self.writer.write_message(
                            oversize_reply(line[:ID_PEEK_BYTES], len(line)), settles=False
                        )
                        continue
                    self._serve_line(line, out)
                for message in out:
                    await send.send(message)
            if skipping is not None:
                self.writer.write_message(oversize_reply(*skipping), settles=False)
            elif pending:
                out = []
                self._serve_line(bytes(pending), out)
                for message in out:
                    await send.send(message)
            if not await self.in_flight.wait_idle(self.eof_grace):
                logger.warning(
                    "stdin closed with %d request(s) still unanswered after %.0f s; stopping",
                    sum(self.in_flight.counts.values()),
                    self.eof_grace,
                )


@contextmanager
def claimed_stdio() -> Iterator[tuple[int, int]]:
    """Private duplicates of fds 0 and 1 for the wire, with fd 0 reading /dev/null and fd 1 writing to
    stderr meanwhile (a stray print cannot corrupt the protocol); everything is put back on exit."""
    wire_in = os.dup(0)
    wire_out = os.dup(1)
    saved_in, saved_out = os.dup(0), os.dup(1)
    try:
        sys.stdout.flush()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(2, 1)
        yield wire_in, wire_out
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os.dup2(saved_in, 0)
        os.dup2(saved_out, 1)
        for fd in (saved_in, saved_out, wire_in, wire_out):
            os.close(fd)


async def serve_lines(
    run_server: Callable[[MemoryObjectReceiveStream[SessionMessage], StdoutWriter], Awaitable[None]],
    fd_in: int,
    fd_out: int,
    eof_grace: float = EOF_GRACE,
) -> None:
    """Drive `run_server(read_stream, write_stream)` (the SDK's serving loop) over the two descriptors."""
    in_flight = InFlight()
    writer = StdoutWriter(fd_out, in_flight)
    lines = StdinLines(fd_in, writer, in_flight, eof_grace)
    send, receive = anyio.create_memory_object_stream[SessionMessage](0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(lines.pump, send)
        await run_server(receive, writer)
        tg.cancel_scope.cancel()
