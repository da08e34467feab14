"""The MCP adapter: tools, resources, prompts and completions over a GlossaryService.

`create_server(service)` returns an `MCPServer` (mcp 2.x). It holds no
glossary logic: every tool validates nothing itself and answers nothing
itself, it calls the service and returns the service's typed result: that
pydantic class fills `structuredContent`, and a compact JSON copy goes in the
text content for clients that read only text. Each tool's `outputSchema` is
the schema of that same class, derived ahead of time (output_schemas.py) so
a start does not spend tens of milliseconds in pydantic's schema generator;
the SDK is told the tool is unstructured and given only the schema, so it
publishes the schema and does not validate every answer again against a
model the answer was just built from.

Resources are served from the current glossary on every call (listing and
reading dispatch on the URI), so a reload needs no re-registration and can
never leave a stale resource behind. Two SDK defaults are tightened in
`GlossaryMCPServer`: an unknown tool or prompt is a JSON-RPC error (the
spec's rule) rather than an `isError` result, and argument-validation
failures come back as one readable line instead of pydantic's report.
"""

# No `from __future__ import annotations`: the SDK evaluates every tool and prompt signature when it
# registers it, and string annotations cost it an eval() each (about 8 ms of a start in all).
import base64
import inspect
import json
import logging
import threading
import weakref
from contextvars import ContextVar
from functools import partial
from typing import Annotated, Any, Literal

import anyio
from mcp.server import MCPServer
from mcp.server.caching import CacheHint
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError, UnexpectedToolError
from mcp.server.mcpserver.utilities.func_metadata import func_metadata
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolResult,
    Completion,
    Icon,
    PromptReference,
    ResourceLink,
    ResourceTemplateReference,
    TextContent,
    ToolAnnotations,
)
from mcp_types import (
    Resource as MCPResource,
)
from mcp_types import (
    Tool as MCPTool,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field, ValidationError, WithJsonSchema

from ai_glossary_mcp import __version__
from ai_glossary_mcp.app.output_schemas import compact_schema, published_schemas
from ai_glossary_mcp.app.render import about, categories_markdown, entry_markdown, index_markdown
from ai_glossary_mcp.app.results import (
    CompareResult,
    DefineManyResult,
    DefineResult,
    EvaluationResult,
    FormulaResult,
    ListResult,
    MentionsResult,
    RelatedResult,
    SearchResult,
)
from ai_glossary_mcp.app.service import (
    MAX_TERM_CHARS,
    MAX_TEXT_CHARS,
    Detail,
    GlossaryService,
    decode_cursor,
    encode_cursor,
    entry_full,
)
from ai_glossary_mcp.data.glossary import URI_PREFIX, entry_uri
from ai_glossary_mcp.data.index import first_sentence
from ai_glossary_mcp.errors import InvalidArgument
from ai_glossary_mcp.search.fusion import row as fusion_row
from ai_glossary_mcp.search.fuzzy import fuzzy_scores
from ai_glossary_mcp.search.normalize import fold, name_key
from ai_glossary_mcp.serving.sdk_compat import check_sdk, connection_of

logger = logging.getLogger(__name__)

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
CACHE = CacheHint(ttl_ms=300_000, scope="public")
STATIC_RESOURCES = ("glossary://about", "glossary://index", "glossary://categories")
RESOURCES_LISTING = "resources/list"  # the listing a resources/list cursor belongs to
TEMPLATE_URI = "glossary://terms/{id}"
JSON_TEMPLATE_URI = "glossary://terms/{id}.json"
MAX_COMPLETIONS = 100
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
MAX_PREFIX_NAMES = 2000
MAX_COMPLETION_INPUT = 5 * (MAX_TERM_CHARS + 2)  # five terms and their separators

_RESOURCES_OFFSET: ContextVar[int | None] = ContextVar("resources_offset", default=None)

# Shared argument types. A term is explained once, in define_term's description, not in every tool that takes
# one. Categories are not listed: the packs declare them, and an unknown one is an error that lists them.
# String lengths are checked by the service (with a message that says the limit), not declared per argument.
Term = str


def _answer(result: BaseModel) -> CallToolResult:
    """Structured content plus its compact JSON copy as text, then a resource_link to each entry the answer
    is about (only its name and uri: every field of every link is paid for in the agent's context)."""
    links = [ResourceLink(type="resource_link", name=i, uri=entry_uri(i)) for i in result.linked_ids()]
    return CallToolResult(
        content=[TextContent(type="text", text=result.model_dump_json()), *links],
        structured_content=result.model_dump(mode="json"),
    )


def _call(fn, *args: Any) -> CallToolResult:
    try:
        return _answer(fn(*args))
    except InvalidArgument as exc:
        raise ToolError(str(exc)) from None


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


def instructions_for(service: GlossaryService) -> str:
    # Sent once per session but kept in context every turn: what no single tool description says.
    g = service.glossary
    packs = ", ".join(f"{p.pack.name} {p.pack.version}" for p in g.packs)
    return (
        "A curated, reviewed AI & ML glossary: ground definitions, formulas and numbers in it, not in memory. "
        "found=false is an answer, not an error: use its suggestions or search_terms. Cite "
        f"entries by uri (glossary://terms/<id>, also a resource). {packs}, {len(g)} entries, content hash "
        f"{g.content_hash}; more at glossary://about."
    )


class GlossaryMCPServer(MCPServer):
    """MCPServer with the glossary's resource dispatch and stricter error mapping."""

    resource_page_size = 1000
    # Set while load_cache.DeferredCheck confirms the pack files behind an already opened store: every
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
        self.connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self.tool_functions: dict[str, Any] = {}  # name -> function, in registration order (through add_tool)
        self._arg_models: dict[str, Any] = {}  # name -> the SDK's FuncMetadata for it, built on first call
        self.output_schemas: dict[str, dict[str, Any]] = {}  # tool name -> the outputSchema it publishes
        self._published_tools: list[MCPTool] | None = None  # list_tools' answer, built on first use
        # The subscriptions/listen fan-out (2026-07-28 clients), kept so a reload can publish on it.
        self.subscriptions = InMemorySubscriptionBus()
        super().__init__(subscriptions=self.subscriptions, **kwargs)
        self.middleware.extend([self._refuse_unknown_tools, self._page_resources])

    def add_tool(self, fn: Any, name: str | None = None, **kwargs: Any) -> None:
        super().add_tool(fn, name=name, **kwargs)
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

    async def _refuse_unknown_tools(self, ctx: Any, call_next: Any) -> Any:
        """An unknown tool is a JSON-RPC error (the spec's rule), not an isError result."""
        if ctx.method == "tools/call":
            name = (ctx.params or {}).get("name")
            if isinstance(name, str) and name not in self.tool_functions:
                raise MCPError(
                    code=INVALID_PARAMS,
                    message=f"Unknown tool: {name[:100]!r}; tools are: {', '.join(self.tool_functions)}",
                )
        return await call_next(ctx)

    async def _page_resources(self, ctx: Any, call_next: Any) -> Any:
        """resources/list in pages of `resource_page_size`, so a 100,000-entry glossary is not one 20 MB reply:
        the cursor is read here, the SDK's handler lists that page (list_resources), and the next cursor is
        added to its answer."""
        if ctx.method != "resources/list":
            return await call_next(ctx)
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
        end = offset + len(result.get("resources", ()))
        if end < len(self.service.glossary) + len(STATIC_RESOURCES):
            result = {**result, "nextCursor": encode_cursor(end, RESOURCES_LISTING)}
        return result

    async def _serve_tool_calls(self, ctx: Any, call_next: Any) -> Any:
        """tools/call on an initialized handshake-era connection, answered here: the arguments are validated
        by the same model the SDK builds (func_metadata), the tool runs, and its CallToolResult is the answer.
        This skips only layers that add nothing for these tools (a second validation of params, a Context
        the tools do not take, and validating the result against the model it was just built from), which
        cost more than most lookups. Anything else (the 2026-07-28 era, requests before initialize, params
        with _meta) takes the SDK's full path."""
        params = ctx.params
        if (
            ctx.method != "tools/call"
            or ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
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
            if inspect.iscoroutinefunction(fn):
                return await fn(**kwargs)
            return await anyio.to_thread.run_sync(partial(fn, **kwargs))  # slow tools keep the loop free
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

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
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
        self, name: str, arguments: dict[str, Any] | None = None, context: Any = None
    ) -> Any:
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
        g = self.service.glossary
        static = [
            MCPResource(
                uri="glossary://about",
                name="about",
                title="About this glossary",
                description="Server version, packs, counts and the content hash to cite.",
                mime_type="application/json",
            ),
            MCPResource(
                uri="glossary://index",
                name="index",
                title="Glossary index",
                description="All terms grouped by letter, as links.",
                mime_type="text/markdown",
            ),
            MCPResource(
                uri="glossary://categories",
                name="categories",
                title="Glossary categories",
                description="Each category with its entries, as links.",
                mime_type="text/markdown",
            ),
        ]
        total = len(static) + len(g)
        stop = total if limit is None else min(total, offset + limit)
        if offset < 0 or offset >= stop:
            return []
        head = static[offset:stop]
        first, last = max(0, offset - len(static)), stop - len(static)
        return head + [
            MCPResource(
                uri=entry_uri(e.id),
                name=e.id,
                title=e.term + (f" ({e.acronym})" if e.acronym else ""),
                description=first_sentence(e.definition),
                mime_type="text/markdown",
            )
            for e in g.entries[first:last]
        ]

    async def read_resource(self, uri: Any, context: Any = None) -> list[ReadResourceContents]:
        await self.wait_for_glossary()
        text = str(uri)
        index = self.service.index
        if text == "glossary://about":
            body = json.dumps(about(index.glossary, __version__), ensure_ascii=False, indent=2)
            return [ReadResourceContents(content=body, mime_type="application/json")]
        if text == "glossary://index":
            return [ReadResourceContents(content=index_markdown(index), mime_type="text/markdown")]
        if text == "glossary://categories":
            return [ReadResourceContents(content=categories_markdown(index), mime_type="text/markdown")]
        if text.startswith(URI_PREFIX):
            entry_id = text[len(URI_PREFIX) :]
            as_json = entry_id.endswith(".json")
            entry_id = entry_id[: -len(".json")] if as_json else entry_id
            entry = index.glossary.by_id.get(entry_id)
            if entry is not None:
                if as_json:
                    body = entry_full(index.glossary, entry).model_dump_json(indent=2)
                    return [ReadResourceContents(content=body, mime_type="application/json")]
                return [
                    ReadResourceContents(
                        content=entry_markdown(index.glossary, entry), mime_type="text/markdown"
                    )
                ]
        shown = text if len(text) <= 200 else text[:200] + "..."
        raise ResourceNotFoundError(
            f"Resource not found: {shown}. Entry URIs look like glossary://terms/<id> (ids from list_terms or "
            "glossary://index); glossary://about, glossary://index and glossary://categories also exist."
        )


def _complete_names(
    service: GlossaryService, prefix: str, want: Literal["id", "term"]
) -> tuple[list[str], int]:
    """Ids or terms for a partial value (prefix matches first, by rank, then fuzzy ones), and how many
    there are in all (for an empty value: every entry, of which the first MAX_COMPLETIONS come back)."""
    index = service.index
    by_id = index.glossary.by_id
    if len(prefix) > MAX_TERM_CHARS:
        return [], 0
    folded = fold(prefix).strip()
    total = None
    if not folded:
        ids, total = index.ids_page(None, None, 0, MAX_COMPLETIONS)
    else:
        key = name_key(prefix)
        scored: dict[str, float] = {}
        # Names in key order: the first MAX_PREFIX_NAMES are enough to fill a completion list.
        for raw, nk in index.names_with_prefix(folded, MAX_PREFIX_NAMES):
            rank = fusion_row(
                "complete", "exact name prefix" if nk.kind == "exact" else "other name prefix"
            ).bonus
            scored[nk.entry_id] = max(scored.get(nk.entry_id, 0), rank - len(raw) / 1000)
        if key:
            _, seen = fuzzy_scores(index, key)
            similar = fusion_row("complete", "similar names")
            for entry_id, s in seen.best.items():
                if similar.admits(s):
                    scored[entry_id] = max(scored.get(entry_id, 0), similar.value(s))
        ids = sorted(scored, key=lambda i: (-scored[i], i))
    values = list(dict.fromkeys(i if want == "id" else by_id[i].term for i in ids))
    return values, len(values) if total is None else total


def create_server(
    service: GlossaryService, *, log_level: str = "WARNING", auth: Any = None, token_verifier: Any = None
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
        log_level=log_level.upper(),  # type: ignore[arg-type]
        auth=auth,
        token_verifier=token_verifier,
        cache_hints=dict.fromkeys(
            ("tools/list", "resources/list", "resources/templates/list", "prompts/list", "resources/read"),
            CACHE,
        ),  # type: ignore[misc]
    )

    async def track_session(ctx: Any, call_next: Any) -> Any:
        # Remember live sessions so a reload can tell each one that the resource list changed.
        connection = connection_of(ctx)
        if connection is not None:
            try:
                server.connections.add(connection)
            except TypeError:  # not weak-referenceable: nothing to notify later
                pass
        return await call_next(ctx)

    server.middleware.append(track_session)
    server.middleware.append(server._serve_tool_calls)  # innermost: after every observer has seen the call
    _register_tools(server, service)
    _register_templates(server)
    _register_prompts(server, service)
    _register_completions(server, service)
    return server


def _structured_tool(server: GlossaryMCPServer, schemas: dict[str, dict[str, Any]], **kwargs: Any) -> Any:
    """server.tool(), publishing as outputSchema the derived schema of the function's return class (the
    function returns that class's content as a CallToolResult, through _call)."""

    def register(fn: Any) -> Any:
        server.tool(structured_output=False, **kwargs)(fn)
        server.output_schemas[kwargs.get("name") or fn.__name__] = schemas[
            fn.__annotations__["return"].__name__
        ]
        return fn

    return register


def _register_tools(server: GlossaryMCPServer, service: GlossaryService) -> None:
    # Every word below is sent to the model on every turn (tests/test_context_budget.py counts them and
    # holds them to a budget): each description says when to use the tool rather than its siblings and
    # what comes back, once; argument descriptions only say what the name and type do not.
    schemas = published_schemas()

    # Lookups that take microseconds are `async def`: they run on the event loop and skip the SDK's hop to a
    # worker thread, which costs more than the lookup. Those that can take milliseconds on a large glossary
    # (find_related, compare_terms, find_terms_in_text) stay plain functions, run in a worker thread, so the
    # loop keeps serving other requests meanwhile.
    @_structured_tool(server, schemas, title="Define a term", annotations=READ_ONLY)
    async def define_term(term: Term, detail: Detail = "brief") -> DefineResult:
        """Reviewed definition of an AI/ML term, by name, acronym, alias or misspelling ('KV cache', 'DPO');
        use it instead of memory. detail=full adds aliases, category, formula, relations, links."""
        return _call(service.define, term, detail)  # type: ignore[return-value]

    @_structured_tool(server, schemas, title="Define several terms", annotations=READ_ONLY)
    async def define_terms(
        terms: Annotated[list[Term], Field(min_length=1, max_length=20)],
        detail: Detail = "brief",
    ) -> DefineManyResult:
        """define_term for up to 20 terms in one call; results in input order."""
        return _call(service.define_many, terms, detail)  # type: ignore[return-value]

    @_structured_tool(server, schemas, title="Search the glossary", annotations=READ_ONLY)
    async def search_terms(
        query: Annotated[str, Field(description="e.g. 'shrink weights to 4 bits'")],
        limit: Annotated[int, Field(ge=1, le=50)] = 5,
        category: str = "",
    ) -> SearchResult:
        """Ranked search of names and definitions, each hit with the passage that matched: for when you know
        what a concept does but not its name."""
        return _call(service.search, query, limit, category)  # type: ignore[return-value]

    @_structured_tool(server, schemas, title="List terms", annotations=READ_ONLY)
    async def list_terms(
        letter: Annotated[str, Field(description="A-Z or #")] = "",
        category: str = "",
        cursor: str = "",
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> ListResult:
        """Browse entries alphabetically, optionally by letter or category; pass next_cursor as cursor until
        it is ''."""
        return _call(service.list_terms, letter, category, cursor, limit)  # type: ignore[return-value]

    @_structured_tool(server, schemas, title="Find related terms", annotations=READ_ONLY)
    def find_related(
        term: Term,
        relation: str = "",
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> RelatedResult:
        """Concepts connected to a term, best first, each with why: curated relations (variant-of, builds-on,
        uses, ...; `relation` keeps one), mutual mentions, same-category neighbours."""
        return _call(service.related, term, relation, limit)  # type: ignore[return-value]

    @_structured_tool(server, schemas, title="Explain a formula", annotations=READ_ONLY)
    async def explain_formula(
        term: Term,
        symbol: str = "",
        include_mathml: bool = False,
    ) -> FormulaResult:
        """A term's formula as LaTeX and text, read in words, with its legend (or one `symbol`: β, \\beta or
        beta). No formula: has_formula=false; never invent one."""
        return _call(service.explain_formula, term, symbol, include_mathml)  # type: ignore[return-value]

    @_structured_tool(server, schemas, title="Evaluate a formula", annotations=READ_ONLY)
    async def evaluate_formula(
        term: Term,
        inputs: Annotated[dict[str, Any], WithJsonSchema(_inputs_schema())],
    ) -> EvaluationResult:
        """Compute a formula on your numbers, with every intermediate step: never guess a result. Wrong inputs
        get an error saying what the formula takes."""
        return _call(service.evaluate, term, inputs)  # type: ignore[return-value]

    @_structured_tool(server, schemas, title="Compare terms", annotations=READ_ONLY)
    def compare_terms(terms: Annotated[list[Term], Field(min_length=2, max_length=5)]) -> CompareResult:
        """For 'X vs Y': brief definitions side by side, the curated relations among them and shared
        neighbours."""
        return _call(service.compare, terms)  # type: ignore[return-value]

    @_structured_tool(server, schemas, title="Find glossary terms in text", annotations=READ_ONLY)
    def find_terms_in_text(text: Annotated[str, Field(max_length=MAX_TEXT_CHARS)]) -> MentionsResult:
        """Spot glossary terms in a passage, e.g. a draft: offsets and one-line definitions. Short all-caps
        acronyms match case-sensitively."""
        return _call(service.find_in_text, text)  # type: ignore[return-value]


_INPUT_KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    # Nullable, because strict function-calling modes require every declared name: null means "not given".
    "number": {"type": ["number", "null"]},
    "integer": {"type": ["integer", "null"]},
    "vector": {"type": ["array", "null"], "items": {"type": "number"}},
    "matrix": {"type": ["array", "null"], "items": {"type": "array", "items": {"type": "number"}}},
    "number-or-vector": {"type": ["number", "array", "null"], "items": {"type": "number"}},
}


def _inputs_schema() -> dict[str, Any]:
    """evaluate_formula's `inputs`: every name some formula takes, typed and optional, and which formula
    takes which, said once."""
    from ai_glossary_mcp.formulas.evaluator import INPUT_KINDS, REQUIRED_INPUTS

    return {
        "type": "object",
        "description": "Required by formula (the rest are optional): "
        + "; ".join(f"{entry_id}: {', '.join(names)}" for entry_id, names in REQUIRED_INPUTS.items())
        + ".",
        "properties": {name: _INPUT_KIND_SCHEMAS[kind] for name, kind in INPUT_KINDS.items()},
    }


def _register_templates(server: GlossaryMCPServer) -> None:
    # Reading is dispatched by GlossaryMCPServer.read_resource; these register the templates so that
    # resources/templates/list shows them and completion/complete can refer to them.
    @server.resource(
        TEMPLATE_URI,
        name="term",
        title="Glossary entry (Markdown)",
        mime_type="text/markdown",
        description="One entry as Markdown: definition, formula and legend, relations as links.",
    )
    def _term(id: str) -> str:  # pragma: no cover - read_resource dispatches before templates
        raise ResourceNotFoundError(id)

    @server.resource(
        JSON_TEMPLATE_URI,
        name="term-json",
        title="Glossary entry (JSON)",
        mime_type="application/json",
        description="One entry as JSON (the define_term entry).",
    )
    def _term_json(id: str) -> str:  # pragma: no cover
        raise ResourceNotFoundError(id)


def _embedded(service: GlossaryService, term: str) -> tuple[dict, Any]:
    result = service.define(term, "brief")
    if not result.found or result.entry is None:
        hint = ", ".join(s.term for s in (result.ambiguous or result.suggestions)) or "none"
        raise MCPError(code=INVALID_PARAMS, message=f"No glossary entry for {term[:100]!r}; closest: {hint}")
    entry = service.glossary.by_id[result.entry.id]
    block = {
        "type": "resource",
        "resource": {
            "uri": entry_uri(entry.id),
            "mimeType": "text/markdown",
            "text": entry_markdown(service.glossary, entry),
        },
    }
    return block, entry


AUDIENCE_STYLE = {
    "beginner": "someone new to machine learning: plain words, one intuition or analogy, no unexplained jargon",
    "practitioner": "a practitioner: what it is, when to use it, trade-offs and common pitfalls",
    "expert": "an expert: precise, concise, with the mechanism, the math where it matters and the limits",
}


def _register_prompts(server: GlossaryMCPServer, service: GlossaryService) -> None:
    @server.prompt(title="Explain a term")
    def explain_term(
        term: Annotated[str, Field(description="The glossary term to explain (name, acronym or alias).")],
        audience: Annotated[
            str, Field(description="beginner, practitioner (default) or expert.")
        ] = "practitioner",
    ) -> list[dict]:
        """Explain one glossary term for an audience, grounded in its reviewed entry."""
        term = prompt_term(term)
        if audience not in AUDIENCE_STYLE:
            raise MCPError(code=INVALID_PARAMS, message="audience must be beginner, practitioner or expert")
        block, entry = _embedded(service, term)
        formula_hint = (
            " The entry has a formula: walk through it, and if you quote numbers, compute them with the "
            f"evaluate_formula tool (term '{entry.id}') rather than by hand."
            if entry.formula
            else ""
        )
        text = (
            f"Explain {entry.term} to {AUDIENCE_STYLE[audience]}. Ground the explanation in the glossary entry "
            f"below, keep its definition's meaning, and cite it as {entry_uri(entry.id)}. Mention one or two "
            f"related terms from the entry where they help.{formula_hint}"
        )
        return [{"role": "user", "content": block}, {"role": "user", "content": text}]

    @server.prompt(title="Compare terms")
    def compare_terms(
        terms: Annotated[str, Field(description="Comma-separated terms, e.g. 'DPO, RLHF, GRPO' (2-5).")],
    ) -> list[dict]:
        """Compare 2-5 glossary terms side by side, grounded in their reviewed entries."""
        names = [t.strip() for t in terms.split(",") if t.strip()]
        if not 2 <= len(names) <= 5:
            raise MCPError(code=INVALID_PARAMS, message="terms must be 2 to 5 comma-separated glossary terms")
        blocks, entries = [], []
        for name in names:
            block, entry = _embedded(service, prompt_term(name))
            blocks.append(block)
            entries.append(entry)
        listing = ", ".join(f"{e.term} ({entry_uri(e.id)})" for e in entries)
        text = (
            f"Compare {listing}. Using only the glossary entries above as ground truth, explain what each is, "
            "how they relate, where they differ (goal, mechanism, cost, when to use which) and cite each entry's "
            "URI. Finish with a short table."
        )
        return [{"role": "user", "content": b} for b in blocks] + [{"role": "user", "content": text}]

    @server.prompt(title="Walk through a formula")
    def walk_through_formula(
        term: Annotated[str, Field(description="A glossary term that has a formula (e.g. DPO, softmax).")],
        symbol: Annotated[str, Field(description="Optional: one symbol of its legend to focus on.")] = "",
    ) -> list[dict]:
        """Walk through a glossary formula, or one symbol of it, grounded in the reviewed entry."""
        term = prompt_term(term)
        try:
            result = service.explain_formula(term, symbol)
        except InvalidArgument as exc:  # e.g. a symbol the legend does not have: the message lists them
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
        if not result.has_formula or result.entry is None:
            available = ", ".join(f.term for f in result.formulas_available) or "none"
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"{term[:100]!r} has no formula in the glossary; formulas: {available}",
            )
        block, entry = _embedded(service, result.entry.id)
        focus = (
            f" Focus on {result.variable.symbol}: what it stands for, where it enters the formula and how "
            "changing it changes the result."
            if result.variable
            else " Explain every symbol of its legend."
        )
        text = (
            f"Walk through the formula of {entry.term} step by step, using only the glossary entry below as "
            f"ground truth, and cite it as {entry_uri(entry.id)}.{focus} If you show numbers, compute them "
            f"with the evaluate_formula tool (term '{entry.id}') rather than by hand."
        )
        return [{"role": "user", "content": block}, {"role": "user", "content": text}]


def prompt_term(term: str) -> str:
    """A prompt's term argument, checked as the tools check theirs; a bad one is a JSON-RPC -32602 error."""
    from ai_glossary_mcp.app.service import check_text

    try:
        return check_text(term, "term")
    except InvalidArgument as exc:
        raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None


def _register_completions(server: GlossaryMCPServer, service: GlossaryService) -> None:
    @server.completion()
    async def complete(ref: Any, argument: Any, context: Any) -> Completion | None:
        await server.wait_for_glossary()
        value = argument.value or ""
        if len(value) > MAX_COMPLETION_INPUT:  # each value echoes the input: never amplify a huge one
            return Completion(values=[], total=0, has_more=False)
        if isinstance(ref, ResourceTemplateReference) and ref.uri in (TEMPLATE_URI, JSON_TEMPLATE_URI):
            if argument.name != "id":
                return None
            values, total = _complete_names(service, value, "id")
        elif isinstance(ref, PromptReference) and ref.name == "walk_through_formula":
            if argument.name == "term":
                values, total = _complete_formula_terms(service, value)
            elif argument.name == "symbol":
                # The symbols of the formula of the term already chosen (the client sends it in context).
                chosen = ((getattr(context, "arguments", None) or {}).get("term") or "")[:MAX_TERM_CHARS]
                values = [
                    v for v in _formula_symbols(service, chosen) if fold(v).startswith(fold(value).strip())
                ]
                total = len(values)
            else:
                return None
        elif isinstance(ref, PromptReference) and ref.name in ("explain_term", "compare_terms"):
            if argument.name == "audience":
                values = [a for a in AUDIENCE_STYLE if a.startswith(value.strip().lower())]
                total = len(values)
            elif argument.name == "term":
                values, total = _complete_names(service, value, "term")
            elif argument.name == "terms":
                head, _, last = value.rpartition(",")
                prefix = head + ", " if head else ""
                names, total = _complete_names(service, last.strip(), "term")
                values = [prefix + t for t in names]
            else:
                return None
        else:
            return None
        return Completion(values=values[:MAX_COMPLETIONS], total=total, has_more=total > MAX_COMPLETIONS)


def _complete_formula_terms(service: GlossaryService, value: str) -> tuple[list[str], int]:
    """Terms for walk_through_formula's `term`: the name completion, keeping entries that have a formula."""
    by_term = {e.term: e for e in service.glossary.formula_entries}
    names, _ = _complete_names(service, value, "term")
    values = [n for n in names if n in by_term] if value.strip() else sorted(by_term)
    return values, len(values)


def _formula_symbols(service: GlossaryService, term: str) -> list[str]:
    """The legend's symbols of the formula of `term` (any name define_term resolves), or none."""
    if not term.strip():
        return []
    result = service.define(term, "brief")
    entry = service.glossary.by_id.get(result.entry.id) if result.found and result.entry else None
    if entry is None or entry.formula is None:
        return []
    return [v.symbol for v in entry.formula.variables]
