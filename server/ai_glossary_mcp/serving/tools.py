"""The nine tools, registered on a GlossaryMCPServer: each is one call of the service.

A tool adapts only: its signature is its input schema (bounds from
app/bounds.py, names from app/tools.py), its body calls the service and
returns the service's typed result as a CallToolResult: that pydantic class
fills `structuredContent`, and a compact JSON copy goes in the text content
for clients that read only text. Each tool's `outputSchema` is the schema of
that same class, derived ahead of time (app/output_schemas.py) so a start
does not spend tens of milliseconds in pydantic's schema generator; the SDK
is told the tool is unstructured and given only the schema, so it publishes
the schema and does not validate every answer again against a model the
answer was just built from.
"""

# No `from __future__ import annotations`: the SDK evaluates every tool signature when it registers it,
# and string annotations cost it an eval() each (about 8 ms of a start in all).
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ResourceLink, TextContent, ToolAnnotations
from pydantic import Field, WithJsonSchema

from ai_glossary_mcp.app.bounds import (
    COMPARE_TERMS,
    DEFINE_BATCH,
    LIST_LIMIT,
    MAX_TEXT_CHARS,
    RELATED_LIMIT,
    SEARCH_LIMIT,
)
from ai_glossary_mcp.app.checks import Detail
from ai_glossary_mcp.app.output_schemas import published_schemas
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
from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.app.tools import TOOL_NAMES, ToolName
from ai_glossary_mcp.data.glossary import entry_uri
from ai_glossary_mcp.errors import InvalidArgument

if TYPE_CHECKING:
    from ai_glossary_mcp.serving.mcp_server import GlossaryMCPServer

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)

# Shared argument types. A term is explained once, in define_term's description, not in every tool that takes
# one. Categories are not listed: the packs declare them, and an unknown one is an error that lists them.
# String lengths are checked by the service (with a message that says the limit), not declared per argument.
Term = str

ToolFunction = TypeVar("ToolFunction", bound=Callable[..., Any])


class AnswerResult(Protocol):
    """What answer() reads of a service result (every model in app/results.py has it)."""

    def linked_ids(self) -> list[str]: ...
    def model_dump_json(self) -> str: ...
    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


def answer(result: AnswerResult) -> CallToolResult:
    """Structured content plus its compact JSON copy as text, then a resource_link to each entry the answer
    is about (only its name and uri: every field of every link is paid for in the agent's context)."""
    links = [ResourceLink(type="resource_link", name=i, uri=entry_uri(i)) for i in result.linked_ids()]
    return CallToolResult(
        content=[TextContent(type="text", text=result.model_dump_json()), *links],
        structured_content=result.model_dump(mode="json"),
    )


def _call(fn: Callable[..., AnswerResult], *args: Any) -> CallToolResult:
    try:
        return answer(fn(*args))
    except InvalidArgument as exc:
        raise ToolError(str(exc)) from None


def _structured_tool(
    server: "GlossaryMCPServer", schemas: dict[str, dict[str, Any]], **kwargs: Any
) -> Callable[[ToolFunction], ToolFunction]:
    """server.tool(), publishing as outputSchema the derived schema of the result class the function's
    return annotation names: `Annotated[CallToolResult, SomeResult]`, the SDK's own spelling of "a
    CallToolResult whose structured content is a SomeResult" (built through _call)."""

    name = str(kwargs.pop("name"))

    def register(fn: ToolFunction) -> ToolFunction:
        server.tool(name=name, structured_output=False, **kwargs)(fn)
        (result_class,) = fn.__annotations__["return"].__metadata__
        server.output_schemas[name] = schemas[result_class.__name__]
        return fn

    return register


def register_tools(server: "GlossaryMCPServer", service: GlossaryService) -> None:
    # Every word below is sent to the model on every turn (tests/test_context_budget.py counts them and
    # holds them to a budget): each description says when to use the tool rather than its siblings and
    # what comes back, once; argument descriptions only say what the name and type do not.
    schemas = published_schemas()

    # Lookups that take microseconds are `async def`: they run on the event loop and skip the SDK's hop to a
    # worker thread, which costs more than the lookup. Those that can take milliseconds on a large glossary
    # (find_related, compare_terms, find_terms_in_text) stay plain functions, run in a worker thread, so the
    # loop keeps serving other requests meanwhile.
    @_structured_tool(
        server, schemas, name=ToolName.DEFINE_TERM, title="Define a term", annotations=READ_ONLY
    )
    async def define_term(term: Term, detail: Detail = "brief") -> Annotated[CallToolResult, DefineResult]:
        """Reviewed definition of an AI/ML term, by name, acronym, alias or misspelling ('KV cache', 'DPO');
        use it instead of memory. detail=full adds aliases, category, formula, relations, links."""
        return _call(service.define, term, detail)

    @_structured_tool(
        server,
        schemas,
        name=ToolName.DEFINE_TERMS,
        title="Define several terms",
        # Not a docstring, so the batch bound is the one declared in app/bounds.py.
        description=f"define_term for up to {DEFINE_BATCH.high} terms in one call; results in input order.",
        annotations=READ_ONLY,
    )
    async def define_terms(
        terms: Annotated[list[Term], Field(min_length=DEFINE_BATCH.low, max_length=DEFINE_BATCH.high)],
        detail: Detail = "brief",
    ) -> Annotated[CallToolResult, DefineManyResult]:
        return _call(service.define_many, terms, detail)

    @_structured_tool(
        server, schemas, name=ToolName.SEARCH_TERMS, title="Search the glossary", annotations=READ_ONLY
    )
    async def search_terms(
        query: Annotated[str, Field(description="e.g. 'shrink weights to 4 bits'")],
        limit: Annotated[int, Field(ge=SEARCH_LIMIT.low, le=SEARCH_LIMIT.high)] = SEARCH_LIMIT.default,
        category: str = "",
    ) -> Annotated[CallToolResult, SearchResult]:
        """Ranked search of names, definitions and meaning, each hit with the passage that matched: for when
        you know what a concept does but not its name."""
        return _call(service.search, query, limit, category)

    @_structured_tool(server, schemas, name=ToolName.LIST_TERMS, title="List terms", annotations=READ_ONLY)
    async def list_terms(
        letter: Annotated[str, Field(description="A-Z or #")] = "",
        category: str = "",
        cursor: str = "",
        limit: Annotated[int, Field(ge=LIST_LIMIT.low, le=LIST_LIMIT.high)] = LIST_LIMIT.default,
    ) -> Annotated[CallToolResult, ListResult]:
        """Browse entries alphabetically, optionally by letter or category; pass next_cursor as cursor until
        it is ''."""
        return _call(service.list_terms, letter, category, cursor, limit)

    @_structured_tool(
        server, schemas, name=ToolName.FIND_RELATED, title="Find related terms", annotations=READ_ONLY
    )
    def find_related(
        term: Term,
        relation: str = "",
        limit: Annotated[int, Field(ge=RELATED_LIMIT.low, le=RELATED_LIMIT.high)] = RELATED_LIMIT.default,
    ) -> Annotated[CallToolResult, RelatedResult]:
        """Concepts connected to a term, best first, each with why: curated relations (variant-of, builds-on,
        uses, ...; `relation` keeps one), mutual mentions, same-category neighbours."""
        return _call(service.related, term, relation, limit)

    @_structured_tool(
        server, schemas, name=ToolName.EXPLAIN_FORMULA, title="Explain a formula", annotations=READ_ONLY
    )
    async def explain_formula(
        term: Term,
        symbol: str = "",
        include_mathml: bool = False,
    ) -> Annotated[CallToolResult, FormulaResult]:
        """A term's formula as LaTeX and text, read in words, with its legend (or one `symbol`: β, \\beta or
        beta). No formula: has_formula=false; never invent one."""
        return _call(service.explain_formula, term, symbol, include_mathml)

    @_structured_tool(
        server, schemas, name=ToolName.EVALUATE_FORMULA, title="Evaluate a formula", annotations=READ_ONLY
    )
    async def evaluate_formula(
        term: Term,
        inputs: Annotated[dict[str, Any], WithJsonSchema(_inputs_schema())],
    ) -> Annotated[CallToolResult, EvaluationResult]:
        """Compute a formula on your numbers, with every intermediate step: never guess a result. Wrong inputs
        get an error saying what the formula takes."""
        return _call(service.evaluate, term, inputs)

    @_structured_tool(
        server, schemas, name=ToolName.COMPARE_TERMS, title="Compare terms", annotations=READ_ONLY
    )
    def compare_terms(
        terms: Annotated[list[Term], Field(min_length=COMPARE_TERMS.low, max_length=COMPARE_TERMS.high)],
    ) -> Annotated[CallToolResult, CompareResult]:
        """For 'X vs Y': brief definitions side by side, the curated relations among them and shared
        neighbours."""
        return _call(service.compare, terms)

    @_structured_tool(
        server,
        schemas,
        name=ToolName.FIND_TERMS_IN_TEXT,
        title="Find glossary terms in text",
        annotations=READ_ONLY,
    )
    def find_terms_in_text(
        text: Annotated[str, Field(max_length=MAX_TEXT_CHARS)],
    ) -> Annotated[CallToolResult, MentionsResult]:
        """Spot glossary terms in a passage, e.g. a draft: offsets and one-line definitions. Short all-caps
        acronyms match case-sensitively."""
        return _call(service.find_in_text, text)

    if tuple(server.tool_functions) != TOOL_NAMES:  # the enum is what tests, instructions and manifest read
        raise RuntimeError(f"registered tools {list(server.tool_functions)} are not ToolName {TOOL_NAMES}")


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
