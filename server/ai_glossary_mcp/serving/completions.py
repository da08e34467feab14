"""completion/complete: maps a request's reference to a service completion target, and back.

The ranking is the service's (app/completion.py); this module only reads
which template or prompt the client refers to and wraps the answer in the
SDK's `Completion`. A reference to anything else completes nothing (None).
"""

# No `from __future__ import annotations`: the SDK inspects the completion handler it registers.
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from mcp_types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

from ai_glossary_mcp.app.completion import ENTRY
from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.serving.resources import JSON_TEMPLATE_URI, TEMPLATE_URI

if TYPE_CHECKING:
    from ai_glossary_mcp.serving.mcp_server import GlossaryMCPServer


CompletionHandler = Callable[
    [ResourceTemplateReference | PromptReference, CompletionArgument, CompletionContext | None],
    Awaitable[Completion | None],
]


def _target(ref: ResourceTemplateReference | PromptReference) -> str | None:
    if isinstance(ref, ResourceTemplateReference) and ref.uri in (TEMPLATE_URI, JSON_TEMPLATE_URI):
        return ENTRY
    if isinstance(ref, PromptReference):
        return ref.name
    return None


def register_completions(server: "GlossaryMCPServer", service: GlossaryService) -> None:
    async def complete(
        ref: ResourceTemplateReference | PromptReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        await server.wait_for_glossary()
        chosen = (context.arguments if context is not None else None) or {}
        done = service.complete(_target(ref) or "", argument.name, argument.value or "", chosen)
        if done is None:
            return None
        return Completion(values=done.values, total=done.total, has_more=done.has_more)

    # mcp 2.3's MCPServer.completion() has no annotations; it calls the handler as CompletionHandler.
    register: Callable[[CompletionHandler], CompletionHandler] = server.completion()  # type: ignore[no-untyped-call]
    register(complete)
