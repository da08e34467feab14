"""The MCP adapter: tools, resources, prompts and completions over a GlossaryService.

`create_server(service)` returns an `MCPServer` (mcp 2.x). It only adapts:
every check of an argument's value, every answer and every ranking is the
service's (app/), and the modules here map them to the protocol: tools.py
(the nine tools), resources.py, prompts.py, completions.py, instructions.py.
This module holds the server class, which keeps only the protocol's own
rules and tightens SDK defaults: an unknown tool or prompt, or a prompt
called with undeclared or missing arguments, is a JSON-RPC error (the
spec's rule) rather than an `isError` result; a request that does not match
a tool's input schema gets one readable line instead of pydantic's report;
tools/call on an initialized connection takes a short path
(_serve_tool_calls); and resources/list comes in pages.
"""

import base64
import contextlib
import inspect
import logging
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
from typing import Any

import anyio
from mcp.server import MCPServer, ServerRequestContext
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.caching import CacheHint
from mcp.server.connection import Connection
from mcp.server.context import CallNext, HandlerResult
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata, func_metadata
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolResult,
    GetPromptResult,
    Icon,
    InputRequiredResult,
    TextContent,
    ToolAnnotations,
)
from mcp_types import Resource as MCPResource
from mcp_types import Tool as MCPTool
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import AnyUrl, ValidationError

from ai_glossary_mcp import __version__
from ai_glossary_mcp.app.cursors import decode_cursor, encode_cursor
from ai_glossary_mcp.app.output_schemas import compact_schema
from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.errors import InvalidArgument
from ai_glossary_mcp.serving import resources
from ai_glossary_mcp.serving.completions import register_completions
from ai_glossary_mcp.serving.instructions import instructions_for
from ai_glossary_mcp.serving.prompts import register_prompts
from ai_glossary_mcp.serving.resources import RESOURCES_LISTING, STATIC_RESOURCES, register_templates
from ai_glossary_mcp.serving.sdk_compat import check_sdk, connection_of
from ai_glossary_mcp.serving.tools import register_tools

logger = logging.getLogger(__name__)

CACHE = CacheHint(ttl_ms=300_000, scope="public")
# The server's icon (spec 2025-11-25): a small SVG, base64 in a data: URI so nothing is fetched. It travels
# once, in the initialize result. Tools carry none: tools/list is in the model's context every turn, and
# even this icon on each of the nine tools would cost several hundred tokens per turn.
_ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
    'fill="#2b5797"/><text x="16" y="23" font-family="serif" font-size="20" text-anchor="middle" '
    'fill="#fff">G</text></svg>'
)
SERVER_ICONS = [
    Icon(
        src="data:image/svg+xml;base64," + base64.b64encode(_ICON_SVG.encode()).decode(),
        mime_type="image/svg+xml",
        sizes=["any"],
    )
]

_RESOURCES_OFFSET: ContextVar[int | None] = ContextVar("resources_offset", default=None)

RequestContext = ServerRequestContext[Any, Any]  # what a middleware sees of a request


def _tool_error(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def _validation_message(tool: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"`{where}`: {err['msg']}")
    return (
        f"invalid arguments for {tool}: "
        + "; ".join(parts[:5])
        + ". Check the tool's input schema and retry."
    )


class GlossaryMCPServer(MCPServer):
    """MCPServer with the glossary's resource dispatch and stricter error mapping."""

    resource_page_size = 1000
    # Set while factory.DeferredCheck confirms the pack files behind an already opened store: every
    # request that reads the glossary waits for it (the handshake and the tool/prompt lists do not).
    glossary_ready: threading.Event | None = None

    async def wait_for_glossary(self) -> None:
        ready = self.glossary_ready
        if ready is not None and not ready.is_set():
            await anyio.to_thread.run_sync(ready.wait)

    def __init__(self, service: GlossaryService, **kwargs: Any):
        self.service = service
        # Live handshake-era connections (mcp.server.connection.Connection), to tell each one that the
        # resource list changed. Not ServerSession: that is a per-request proxy, gone after the request.
        self.connections: weakref.WeakSet[Connection] = weakref.WeakSet()
        # name -> function, in registration order (through add_tool)
        self.tool_functions: dict[str, Callable[..., Any]] = {}
        self._arg_models: dict[
            str, FuncMetadata
        ] = {}  # name -> the SDK's FuncMetadata for it, built on first call
        self.output_schemas: dict[str, dict[str, Any]] = {}  # tool name -> the outputSchema it publishes
        self._published_tools: list[MCPTool] | None = None  # list_tools' answer, built on first use
        # The subscriptions/listen fan-out (2026-07-28 clients), kept so a reload can publish on it.
        self.subscriptions = InMemorySubscriptionBus()
        super().__init__(subscriptions=self.subscriptions, **kwargs)
        # One layer for the glossary's protocol rules rather than one per rule: every request pays for each
        # layer it crosses (a coroutine and an await), whether or not the rule concerns its method.
        self.middleware.append(self._glossary_rules)

    async def _glossary_rules(self, ctx: RequestContext, call_next: CallNext) -> HandlerResult:
        """Unknown tools are refused, live connections remembered, resources/list paged, and tools/call on
        an initialized connection answered here (_serve_tool_calls): innermost, after every observer the
        SDK installs has seen the call."""
        method = ctx.method
        if method == "tools/call":
            self._refuse_unknown_tool(ctx)
        self._track_connection(ctx)
        if method == "tools/call":
            return await self._serve_tool_calls(ctx, call_next)
        if method == "resources/list":
            return await self._page_resources(ctx, call_next)
        return await call_next(ctx)

    def _track_connection(self, ctx: RequestContext) -> None:
        # Remember live connections so a reload can tell each one that the resource list changed.
        connection = connection_of(ctx)
        if connection is not None:
            with contextlib.suppress(TypeError):  # not weak-referenceable: nothing to notify later
                self.connections.add(connection)

    def add_tool(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        icons: list[Icon] | None = None,
        meta: dict[str, Any] | None = None,
        structured_output: bool | None = None,
    ) -> None:
        super().add_tool(
            fn,
            name=name,
            title=title,
            description=description,
            annotations=annotations,
            icons=icons,
            meta=meta,
            structured_output=structured_output,
        )
        self.tool_functions[name or fn.__name__] = fn
        self._published_tools = None

    async def list_tools(self) -> list[MCPTool]:
        """The SDK's tool list as published: every word is sent to the model on every turn, so descriptions
        lose their docstring indentation and input schemas their derived titles, $refs and nullable anyOfs
        (inlined, not shared through $defs: openai-agents' strict conversion rejects a property that is only
        a $ref); each outputSchema is the derived one. Built once: tools are registered before serving."""
        if self._published_tools is None:
            self._published_tools = [
                t.model_copy(
                    update={
                        "description": " ".join((t.description or "").split()),
                        "input_schema": compact_schema(t.input_schema),
                        **(
                            {"output_schema": self.output_schemas[t.name]}
                            if t.name in self.output_schemas
                            else {}
                        ),
                    }
                )
                for t in await super().list_tools()
            ]
        return list(self._published_tools)

    def _refuse_unknown_tool(self, ctx: RequestContext) -> None:
        """An unknown tool is a JSON-RPC error (the spec's rule), not an isError result."""
        name = (ctx.params or {}).get("name")
        if isinstance(name, str) and name not in self.tool_functions:
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"Unknown tool: {name[:100]!r}; tools are: {', '.join(self.tool_functions)}",
            )

    async def _page_resources(self, ctx: RequestContext, call_next: CallNext) -> HandlerResult:
        """resources/list in pages of `resource_page_size`, so a 100,000-entry glossary is not one 20 MB
        reply: the cursor is read here, the SDK's handler lists that page (list_resources), and the next
        cursor is added to its answer."""
        await self.wait_for_glossary()
        cursor = (ctx.params or {}).get("cursor")
        try:
            offset = decode_cursor(cursor if isinstance(cursor, str) else None, RESOURCES_LISTING)
        except InvalidArgument as exc:
            raise MCPError(code=INVALID_PARAMS, message=f"invalid resources/list cursor: {exc}") from None
        token = _RESOURCES_OFFSET.set(offset)
        try:
            result = await call_next(ctx)
        finally:
            _RESOURCES_OFFSET.reset(token)
        if not isinstance(result, dict):  # the SDK answers resources/list with a dict
            return result
        end = offset + len(result.get("resources", ()))
        if end < len(self.service.glossary) + len(STATIC_RESOURCES):
            result = {**result, "nextCursor": encode_cursor(end, RESOURCES_LISTING)}
        return result

    async def _serve_tool_calls(self, ctx: RequestContext, call_next: CallNext) -> HandlerResult:
        """tools/call on an initialized handshake-era connection, answered here: the arguments are validated
        by the same model the SDK builds (func_metadata), the tool runs, and its CallToolResult is the answer.
        This skips only layers that add nothing for these tools (a second validation of params, a Context
        the tools do not take, and validating the result against the model it was just built from), which
        cost more than most lookups. Anything else (the 2026-07-28 era, requests before initialize, params
        with _meta) takes the SDK's full path."""
        params = ctx.params
        if (
            ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
            or not isinstance(params, dict)
            or params.keys() - {"name", "arguments"}
        ):
            return await call_next(ctx)
        name, arguments = params.get("name"), params.get("arguments")
        if arguments is None:  # absent or null: no arguments. Anything else not an object: the SDK refuses it
            arguments = {}
        fn = self.tool_functions.get(name) if isinstance(name, str) else None
        connection = connection_of(ctx)
        if (
            fn is None
            or not isinstance(name, str)
            or not isinstance(arguments, dict)
            or connection is None
            or not connection.initialize_accepted
        ):
            return await call_next(ctx)
        metadata = self._arg_models.get(name)
        if metadata is None:
            metadata = self._arg_models[name] = func_metadata(fn, structured_output=False)
        await self.wait_for_glossary()
        try:
            kwargs = metadata.validate_arguments(arguments)
            result: CallToolResult  # every tool returns one (serving/tools.py)
            if inspect.iscoroutinefunction(fn):
                result = await fn(**kwargs)
            else:
                result = await anyio.to_thread.run_sync(
                    partial(fn, **kwargs)
                )  # slow tools keep the loop free
            return result
        except ValidationError as exc:
            return _tool_error(_validation_message(name, exc))
        except ToolError as exc:
            return _tool_error(str(exc))
        except MCPError:
            raise
        except Exception:
            logger.exception("Tool %r raised an unexpected exception", name)
            return _tool_error(
                f"Error executing tool {name}"
            )  # as the SDK's path: no internals to the client

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        await self.wait_for_glossary()
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(_validation_message(name, exc.__cause__)) from exc.__cause__
            # Our own messages already name the argument; the SDK's prefix adds nothing for the reader.
            raise ToolError(str(exc).removeprefix(f"Error executing tool {name}: ")) from exc.__cause__

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        prompt = next((p for p in await self.list_prompts() if p.name == name), None)
        if prompt is None:
            known = ", ".join(p.name for p in await self.list_prompts())
            raise MCPError(
                code=INVALID_PARAMS, message=f"Unknown prompt: {name[:100]!r}; prompts are: {known}"
            )
        await self.wait_for_glossary()
        declared = {a.name: a for a in (prompt.arguments or [])}
        given = dict(arguments or {})
        missing = [n for n, a in declared.items() if a.required and n not in given]
        unknown = [n for n in given if n not in declared]
        if missing or unknown:
            parts = ([f"missing required argument(s): {', '.join(missing)}"] if missing else []) + (
                [f"unknown argument(s): {', '.join(repr(n[:40]) for n in unknown[:5])}"] if unknown else []
            )
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"invalid arguments for prompt {name}: "
                + "; ".join(parts)
                + f". Its arguments are: {', '.join(declared) or 'none'}",
            )
        return await super().get_prompt(name, arguments, context)

    async def list_resources(self, offset: int | None = None, limit: int | None = None) -> list[MCPResource]:
        """The resources from `offset` (default: the page resources/list asked for, else everything)."""
        if offset is None:
            offset = _RESOURCES_OFFSET.get()
            limit = limit if offset is None else self.resource_page_size
            offset = offset or 0
        return resources.resources_page(self.service, offset, limit)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Any, Any] | None = None
    ) -> list[ReadResourceContents]:
        await self.wait_for_glossary()
        return resources.read(self.service, uri)


def create_server(
    service: GlossaryService,
    *,
    log_level: str = "WARNING",
    auth: AuthSettings | None = None,
    token_verifier: TokenVerifier | None = None,
) -> GlossaryMCPServer:
    check_sdk()
    server = GlossaryMCPServer(
        service,
        name="ai-glossary-mcp",
        title="AI & ML Glossary",
        description="Curated definitions, formulas and relations for AI & ML terms.",
        version=__version__,
        icons=SERVER_ICONS,
        instructions=instructions_for(service),
        log_level=log_level.upper(),  # the config's schema allows only the SDK's level names
        auth=auth,
        token_verifier=token_verifier,
        cache_hints=dict.fromkeys(
            ("tools/list", "resources/list", "resources/templates/list", "prompts/list", "resources/read"),
            CACHE,
        ),
    )

    register_tools(server, service)
    register_templates(server)
    register_prompts(server, service)
    register_completions(server, service)
    return server
