"""Running the server: stdio for one client, streamable HTTP for a team.

stdio is what desktop clients launch; nothing but JSON-RPC may reach stdout,
so logging is configured onto stderr before anything else runs, and the wire
itself (framing, unreadable lines, EOF) is stdio_wire.py under the SDK's
serving loop. HTTP uses the SDK's streamable-HTTP app under uvicorn with our
security settings applied explicitly (never left to defaults that depend on
the bind address): DNS-rebinding protection with a Host/Origin allow-list
(also on `/healthz`), a request body cap, bearer tokens through the SDK's
TokenVerifier hook, connection limits (http_limits.py) and session rules
(http_sessions.py). The banner is printed only once the port is bound, with
URLs and client commands that connect as printed.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import ipaddress
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.shared.subscriptions import ResourcesListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ai_glossary_mcp import __version__
from ai_glossary_mcp.config import Config
from ai_glossary_mcp.errors import ConfigError
from ai_glossary_mcp.search import semantic
from ai_glossary_mcp.serving.http_limits import (
    MAX_HEAD_BYTES,
    REQUEST_TIMEOUT,
    connection_cap,
    default_protocol,
    guarded_protocol,
    quiet_accept_errors,
    raise_descriptor_limit,
)
from ai_glossary_mcp.serving.http_sessions import SessionGuard
from ai_glossary_mcp.serving.mcp_server import GlossaryMCPServer
from ai_glossary_mcp.serving.sdk_compat import serve_streams
from ai_glossary_mcp.serving.stdio_wire import claimed_stdio, serve_lines

if TYPE_CHECKING:  # the reloader needs the YAML loader; cli.py imports it only with --watch
    from ai_glossary_mcp.serving.reload import Reloader

logger = logging.getLogger("ai_glossary_mcp")

HealthEndpoint = Callable[[Request], Awaitable[Response]]


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
    await server.subscriptions.publish(ResourcesListChanged())
    for connection in list(server.connections):
        if connection.protocol_version in MODERN_PROTOCOL_VERSIONS:
            continue  # 2026-07-28 clients hear about changes through subscriptions/listen (published above)
        try:
            await connection.send_resource_list_changed()  # best-effort on the standalone stream
        except Exception:  # a closed connection is not our problem; others must still hear about it
            logger.debug("could not notify a connection", exc_info=True)


async def serve_stdio(server: GlossaryMCPServer, reloader: Reloader | None = None) -> None:
    """Serve one client over stdin/stdout through the SDK's serving loop and our own wire (stdio_wire)."""
    semantic.warm(semantic.SERVING_WARM_DELAY)  # the model loads in the background; a search waits for it
    try:
        with claimed_stdio() as (fd_in, fd_out):
            async with anyio.create_task_group() as tg:
                if reloader is not None:
                    tg.start_soon(reloader.run)
                await serve_lines(partial(serve_streams, server), fd_in, fd_out)
                tg.cancel_scope.cancel()
    finally:
        semantic.settle()


WILDCARD_BINDS = ("0.0.0.0", "::", "")


def security_settings(config: Config) -> TransportSecuritySettings:
    """DNS-rebinding protection from allowed_hosts and allowed_origins. Every allowed host is also an allowed
    origin (http and https), so listing a host is enough to serve browsers on it. A pattern the check
    cannot match ('*', '*.example.com') is refused at start, in one line, instead of rejecting every
    request."""
    hosts = [str(h).strip() for h in config.get("allowed_hosts")]
    origins = [str(o).strip() for o in config.get("allowed_origins")]
    for kind, values in (("allowed_hosts", hosts), ("allowed_origins", origins)):
        for value in values:
            if "*" in value.removesuffix(":*") or not value.removesuffix(":*"):
                raise ConfigError(
                    f"{kind}: {value!r} is not supported; list exact names, with ':*' for any port "
                    "(e.g. 'glossary.example.com:*')"
                )
    derived = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=list(dict.fromkeys(origins + derived)),
    )


def connect_host(config: Config) -> str:
    """The host a client on this machine should use: a wildcard bind is reached on loopback."""
    host = config.get("host")
    if host in WILDCARD_BINDS:
        host = "127.0.0.1" if host != "::" else "::1"
    return f"[{host}]" if ":" in host else host


def _host_allowed(host_port: str, security: TransportSecuritySettings) -> bool:
    host = host_port.rpartition(":")[0]
    return host_port in security.allowed_hosts or f"{host}:*" in security.allowed_hosts


def connection_banner(
    server: GlossaryMCPServer, config: Config, security: TransportSecuritySettings, with_token: bool
) -> str:
    """What to print once the port is bound: URLs and client commands that connect as printed."""
    g = server.service.glossary
    port, path = config.get("port"), config.get("path")
    base = f"http://{connect_host(config)}:{port}"
    header = ' --header "Authorization: Bearer $AI_GLOSSARY_MCP_TOKEN"' if with_token else ""
    lines = [
        f"ai-glossary-mcp {__version__}: {len(g)} entries (hash {g.content_hash}), "
        f"{'stateless' if config.get('stateless') else 'stateful'} HTTP",
        f"  MCP endpoint: {base}{path}",
        f"  Health:       {base}/healthz",
        f"  Connect:      claude mcp add --transport http ai-glossary {base}{path}{header}",
        f"                npx @modelcontextprotocol/inspector --cli {base}{path}{header} --method tools/list",
    ]
    if with_token:
        lines.append("  (set AI_GLOSSARY_MCP_TOKEN to one of the configured tokens in the client's shell)")
    if not _host_allowed(f"{connect_host(config)}:{port}", security):
        lines.append(f"  Note: {connect_host(config)} is not in allowed_hosts, so these URLs get 421; add it")
    if config.get("host") in WILDCARD_BINDS:
        lines.append(
            "  Listening on all interfaces: other machines connect by a name listed in allowed_hosts."
        )
    lines.append("  Stop with Ctrl-C.")
    return "\n".join(lines)


def quiet_sdk_loggers(level: str) -> None:
    """The SDK's HTTP transport logs every request and session at info ("Terminating session: None" on every
    stateless request); those lines are debug detail here, shown only with --log-level debug."""
    if level.lower() != "debug":
        for name in ("mcp.server.streamable_http", "mcp.server.streamable_http_manager"):
            logging.getLogger(name).setLevel(logging.WARNING)


def build_http_app(server: GlossaryMCPServer, config: Config) -> SessionGuard:
    """The Starlette app for streamable HTTP, with our security settings and the session guard in front."""
    security = security_settings(config)
    guard = TransportSecurityMiddleware(security)

    async def healthz(request: Request) -> Response:
        refused = await guard.validate_request(request)  # the same Host/Origin rules as the MCP endpoint
        if refused is not None:
            return refused
        g = server.service.glossary
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "packs": [p.pack.name for p in g.packs],
                "entries": len(g),
                "content_hash": g.content_hash,
            }
        )

    # mcp 2.3 leaves custom_route's decorator unannotated; it takes a Starlette endpoint like healthz.
    route: Callable[[HealthEndpoint], HealthEndpoint] = server.custom_route("/healthz", methods=["GET"])
    route(healthz)

    stateless = bool(config.get("stateless"))
    max_sessions = int(config.get("max_sessions"))
    app = server.streamable_http_app(
        streamable_http_path=config.get("path"),
        json_response=stateless,
        stateless_http=stateless,
        max_request_body_size=config.get("max_body_bytes"),
        session_idle_timeout=None if stateless else float(config.get("session_idle_timeout")),
        # The guard keeps the table at max_sessions by closing the least recently used session; the SDK's own
        # limit (which refuses newcomers with 503) is only a backstop above it.
        max_sessions=None if stateless else 2 * max_sessions,
        transport_security=security,
        host=config.get("host"),
    )
    return SessionGuard(
        app,
        config.get("path"),
        stateless=stateless,
        max_sessions=max_sessions,
        idle_timeout=float(config.get("session_idle_timeout")),
        max_body_bytes=int(config.get("max_body_bytes")),
    )


def auth_settings(config: Config) -> tuple[AuthSettings | None, StaticTokenVerifier | None]:
    tokens = config.tokens()
    if not tokens:
        return None, None
    base = f"http://{connect_host(config)}:{config.get('port')}"
    return AuthSettings(issuer_url=AnyHttpUrl(base), resource_server_url=None), StaticTokenVerifier(tokens)


def bind_socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed: a busy port is one error line, no banner."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise OSError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


async def serve_http(
    server: GlossaryMCPServer,
    config: Config,
    reloader: Reloader | None = None,
    ready: Any = None,
    with_token: bool = False,
) -> None:
    import uvicorn

    semantic.warm(semantic.SERVING_WARM_DELAY)
    quiet_sdk_loggers(config.get("log_level"))
    descriptors = raise_descriptor_limit()
    app = build_http_app(server, config)
    sock = bind_socket(config.get("host"), config.get("port"))
    protocol = guarded_protocol(default_protocol(), REQUEST_TIMEOUT, connection_cap(descriptors))
    uv = uvicorn.Config(
        app,
        log_config=None,
        log_level=config.get("log_level"),
        lifespan="on",
        timeout_graceful_shutdown=3,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,  # h11's own cap; httptools gets ours
        http=protocol,
        access_log=config.get("log_level") == "debug",
    )  # a line per request only in debug
    uv_server = uvicorn.Server(uv)
    quiet_accept_errors(asyncio.get_running_loop())
    print(
        connection_banner(server, config, security_settings(config), with_token), file=sys.stderr, flush=True
    )
    async with anyio.create_task_group() as tg:
        if reloader is not None:
            tg.start_soon(reloader.run)
        try:
            await uv_server.serve(sockets=[sock])
        except SystemExit:  # uvicorn calls sys.exit() when it cannot start
            pass
        finally:
            sock.close()
        tg.cancel_scope.cancel()
    semantic.settle()
    if not uv_server.started:
        raise OSError(f"could not serve on {config.get('host')}:{config.get('port')}")
