"""The glossary's resources: three static pages and one page per entry, in Markdown or JSON.

Resources are served from the current glossary on every call (listing and
reading dispatch on the URI), so a reload needs no re-registration and can
never leave a stale resource behind. GlossaryMCPServer's list_resources and
read_resource call these; the two templates are registered only so that
resources/templates/list shows them and completion/complete can refer to
them.
"""

# No `from __future__ import annotations`: the SDK evaluates the template signatures it registers.
import json
from typing import TYPE_CHECKING

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp_types import Resource as MCPResource
from pydantic import AnyUrl

from ai_glossary_mcp import __version__
from ai_glossary_mcp.app.render import about, categories_markdown, entry_markdown, index_markdown
from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.app.shape import entry_full
from ai_glossary_mcp.data.glossary import URI_PREFIX, entry_uri
from ai_glossary_mcp.data.index import first_sentence
from ai_glossary_mcp.data.names import title

if TYPE_CHECKING:
    from ai_glossary_mcp.serving.mcp_server import GlossaryMCPServer

STATIC_RESOURCES = ("glossary://about", "glossary://index", "glossary://categories")
RESOURCES_LISTING = "resources/list"  # the listing a resources/list cursor belongs to
TEMPLATE_URI = "glossary://terms/{id}"
JSON_TEMPLATE_URI = "glossary://terms/{id}.json"


def _static_resources() -> list[MCPResource]:
    return [
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


def resources_page(service: GlossaryService, offset: int, limit: int | None) -> list[MCPResource]:
    """The resources from `offset`, at most `limit` (None: all): the static pages, then the entries."""
    g = service.glossary
    static = _static_resources()
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
            title=title(e),
            description=first_sentence(e.definition),
            mime_type="text/markdown",
        )
        for e in g.entries[first:last]
    ]


def read(service: GlossaryService, uri: AnyUrl | str) -> list[ReadResourceContents]:
    """The contents of one resource, or ResourceNotFoundError saying which URIs exist."""
    text = str(uri)
    index = service.index
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
                ReadResourceContents(content=entry_markdown(index.glossary, entry), mime_type="text/markdown")
            ]
    shown = text if len(text) <= 200 else text[:200] + "..."
    raise ResourceNotFoundError(
        f"Resource not found: {shown}. Entry URIs look like glossary://terms/<id> (ids from list_terms or "
        "glossary://index); glossary://about, glossary://index and glossary://categories also exist."
    )


def register_templates(server: "GlossaryMCPServer") -> None:
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
