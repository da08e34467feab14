"""Running the server: stdio for one client, streamable HTTP for a team.

stdio is what desktop clients launch; nothing but JSON-RPC may reach stdout,
so logging is configured onto stderr before anything else runs. HTTP uses the
SDK's streamable-HTTP app under uvicorn with our security settings applied
explicitly (never left to defaults that depend on the bind address):
DNS-rebinding protection with a Host/Origin allow-list, a request body cap,
session limits, optional bearer tokens through the SDK's TokenVerifier hook,
and an unauthenticated `/healthz` that reveals counts, never glossary text.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import sys
from functools import partial
from typing import Any

import anyio
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.subscriptions import ResourcesListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import __version__
from .config import Config
from .mcp_server import GlossaryMCPServer
from .stdio_wire import claimed_stdio, serve_lines

logger = logging.getLogger("ai_glossary_mcp")


def configure_logging(level: str) -> None:
    """All logs to stderr, one line each. stdout belongs to the protocol."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("mcp", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(max(logging.WARNING, root.level))


class StaticTokenVerifier:
    """Bearer tokens from a file or the environment, compared in constant time and never logged."""

    def __init__(self, tokens: list[str]):
        self._tokens = [t.encode() for t in tokens]

    async def verify_token(self, token: str) -> AccessToken | None:
        given = token.encode()
        ok = False
        for known in self._tokens:  # check all, so timing does not reveal which token matched
            ok |= hmac.compare_digest(given, known)
        return AccessToken(token="[redacted]", client_id="bearer", scopes=[]) if ok else None


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def notify_list_changed(server: GlossaryMCPServer) -> None:
    """Tell every connected client that the resource list changed (legacy sessions and listeners)."""
    await server._subscriptions.publish(ResourcesListChanged())  # noqa: SLF001 - the SDK's fan-out seam
    for connection in list(server.connections):
        if connection.protocol_version in MODERN_PROTOCOL_VERSIONS:
            continue  # 2026-07-28 clients hear about changes through subscriptions/listen (published above)
        try:
            await connection.send_resource_list_changed()  # best-effort on the standalone stream
        except Exception:  # a closed connection is not our problem; others must still hear about it
            logger.debug("could not notify a connection", exc_info=True)


def advertise_list_changed(server: GlossaryMCPServer) -> None:
    """Handshake-era clients learn about listChanged from initialize; say resources can change."""
    low = server._lowlevel_server  # noqa: SLF001
    low.create_initialization_options = partial(  # type: ignore[method-assign]
        type(low).create_initialization_options, low, NotificationOptions(resources_changed=True)
    )


async def serve_stdio(server: GlossaryMCPServer, reloader: Any = None) -> None:
    """Serve one client over stdin/stdout through the SDK's serving loop and our own wire (stdio_wire)."""
    low = server._lowlevel_server  # noqa: SLF001
    with claimed_stdio() as (fd_in, fd_out):
        async with anyio.create_task_group() as tg:
            if reloader is not None:
                tg.start_soon(reloader.run)

            async def run_server(read_stream: Any, write_stream: Any) -> None:
                await low.run(read_stream, write_stream, low.create_initialization_options())

            await serve_lines(run_server, fd_in, fd_out)
            tg.cancel_scope.cancel()


def build_http_app(server: GlossaryMCPServer, config: Config) -> Any:
    """The Starlette app for streamable HTTP, with our security settings."""
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(config.get("allowed_hosts")),
        allowed_origins=list(config.get("allowed_origins")),
    )

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> JSONResponse:
        g = server.service.glossary
        return JSONResponse({
            "status": "ok",
            "version": __version__,
            "packs": [p.pack.name for p in g.packs],
            "entries": len(g),
            "content_hash": g.content_hash,
        })

    stateless = bool(config.get("stateless"))
    return server.streamable_http_app(
        streamable_http_path=config.get("path"),
        json_response=stateless,
        stateless_http=stateless,
        max_request_body_size=config.get("max_body_bytes"),
        session_idle_timeout=None if stateless else float(config.get("session_idle_timeout")),
        max_sessions=None if stateless else config.get("max_sessions"),
        transport_security=security,
        host=config.get("host"),
    )


def auth_settings(config: Config) -> tuple[AuthSettings | None, StaticTokenVerifier | None]:
    tokens = config.tokens()
    if not tokens:
        return None, None
    host = config.get("host")
    base = f"http://{host if ':' not in host else '[' + host + ']'}:{config.get('port')}"
    return AuthSettings(issuer_url=base, resource_server_url=None), StaticTokenVerifier(tokens)


async def serve_http(server: GlossaryMCPServer, config: Config, reloader: Any = None,
                     ready: Any = None) -> None:
    import uvicorn

    app = build_http_app(server, config)
    uv = uvicorn.Config(app, host=config.get("host"), port=config.get("port"), log_config=None,
                        log_level=config.get("log_level"), lifespan="on", timeout_graceful_shutdown=3,
                        h11_max_incomplete_event_size=64 * 1024)
    uv_server = uvicorn.Server(uv)
    async with anyio.create_task_group() as tg:
        if reloader is not None:
            tg.start_soon(reloader.run)
        try:
            await uv_server.serve()
        except SystemExit:  # uvicorn calls sys.exit() when it cannot start (port in use, bad address)
            pass
        tg.cancel_scope.cancel()
    if not uv_server.started:
        raise OSError(f"could not listen on {config.get('host')}:{config.get('port')} (is the port in use?)")
