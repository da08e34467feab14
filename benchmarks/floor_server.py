"""The floor: the smallest MCPServer there is, one `async echo(text: str) -> str` tool.

    python benchmarks/floor_server.py                     # stdio
    python benchmarks/floor_server.py --http --port P     # streamable HTTP, stateless, JSON responses

It is started the way the SDK starts an MCPServer: stdio through
`run_stdio_async()` (the SDK's `stdio_server()`), HTTP through
`streamable_http_app(json_response=True, stateless_http=True)` under uvicorn
with the same uvicorn settings (httptools parser) and transport-security settings
and a `/healthz` custom route. Whatever the SDK, Python and the transport cost is paid here too, so
ours/floor isolates what the glossary adds.
"""

from __future__ import annotations

import argparse
import logging
import sys


def build():
    from mcp.server import MCPServer

    server = MCPServer(name="floor", version="0.0.0", log_level="WARNING")

    @server.tool()
    async def echo(text: str) -> str:  # async: no worker-thread hop, the cheapest tool call the SDK serves
        """Return the text unchanged."""
        return text

    return server


async def serve_stdio(server) -> None:
    await server.run_stdio_async()  # the SDK's own stdio_server() (threaded file I/O): the MCPServer floor


async def serve_http(server, host: str, port: int, path: str) -> None:
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )
    app = server.streamable_http_app(
        streamable_http_path=path,
        json_response=True,
        stateless_http=True,
        max_request_body_size=1024 * 1024,
        session_idle_timeout=None,
        max_sessions=None,
        transport_security=security,
        host=host,
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=3,
        h11_max_incomplete_event_size=64 * 1024,
        http="httptools",  # the parser ours runs (a dependency of ours; see serving/http_limits.py)
    )
    await uvicorn.Server(config).serve()


def main(argv: list[str] | None = None) -> int:
    import anyio

    p = argparse.ArgumentParser(description="Minimal MCPServer (one echo tool) for benchmark baselines.")
    p.add_argument("--http", action="store_true", help="serve streamable HTTP (stateless, JSON responses)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--path", default="/mcp")
    args = p.parse_args(argv)
    # Same logging setup as ours: warnings only, on stderr.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    server = build()
    if args.http:
        anyio.run(serve_http, server, args.host, args.port, args.path)
    else:
        anyio.run(serve_stdio, server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
