"""The only place that touches the MCP SDK below its public API, for the exact version range pinned.

Everything else in the package uses the SDK's public surface (MCPServer, its
middleware list, `subscriptions=`, public handler methods, transports). Two
things have no public form in mcp 2.3:

- Serving an MCPServer over streams we own. `MCPServer.run_stdio_async()` builds
  the SDK's own `stdio_server()` (threaded file I/O, silently dropped lines); our
  wire (stdio_wire.py) needs `Server.run(read, write, options)` on the low-level
  server the MCPServer wraps, and initialization options that announce
  `resources.listChanged` when `--watch` can change the list (also for HTTP
  sessions, which call `create_initialization_options()` themselves).
- The live connection behind a request, to tell handshake-era clients later that
  the resource list changed: `ServerSession` keeps it in `_connection`.

`SUPPORTED` is the range these were checked against (pyproject pins the same);
`check_sdk()` refuses any other version at start with one line, and
tests/test_sdk_compat.py exercises each accessor against the installed SDK.
"""

from __future__ import annotations

from functools import partial
from importlib.metadata import version
from typing import Any

from mcp.server import MCPServer, Server, ServerRequestContext
from mcp.server.connection import Connection
from mcp.server.lowlevel.server import NotificationOptions
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage

SUPPORTED = ((2, 3), (2, 4))  # [2.3, 2.4)


def sdk_version() -> tuple[int, ...]:
    return tuple(int(p) for p in version("mcp").split(".")[:2] if p.isdigit())


def check_sdk() -> None:
    low, high = SUPPORTED
    if not low <= sdk_version() < high:
        raise RuntimeError(
            f"ai-glossary-mcp needs mcp >={'.'.join(map(str, low))},<{'.'.join(map(str, high))}; "
            f"installed: {version('mcp')}"
        )


def lowlevel(server: MCPServer[Any]) -> Server[Any]:
    return server._lowlevel_server


async def serve_streams(
    server: MCPServer[Any],
    read_stream: ReadStream[SessionMessage | Exception],
    write_stream: WriteStream[SessionMessage],
) -> None:
    """Serve one connection of the MCPServer over the given streams (the SDK's dual-era serving loop)."""
    low = lowlevel(server)
    await low.run(read_stream, write_stream, low.create_initialization_options())


def advertise_list_changed(server: MCPServer[Any]) -> None:
    """Handshake-era clients learn about listChanged from initialize: say resources can change."""
    low = lowlevel(server)
    # Rebinding the method is the point: the SDK's HTTP sessions call it without arguments.
    low.create_initialization_options = partial(  # type: ignore[method-assign]
        type(low).create_initialization_options, low, NotificationOptions(resources_changed=True)
    )


def connection_of(ctx: ServerRequestContext[Any, Any]) -> Connection | None:
    """The live Connection behind a request context, or None (stateless requests have no lasting one)."""
    connection: Connection | None = getattr(getattr(ctx, "session", None), "_connection", None)
    return connection
