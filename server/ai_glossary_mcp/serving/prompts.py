"""The three prompts: explain a term, compare terms, walk through a formula.

Each embeds the reviewed entries it is about as resources and adds one
instruction that says how to use them. The arguments are checked by the
service's checks (app/checks.py); a bad one, or a term with no entry, is a
JSON-RPC invalid-params error, as the spec asks of prompts.
"""

# No `from __future__ import annotations`: the SDK evaluates every prompt signature when it registers it.
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import Field

from ai_glossary_mcp.app.bounds import COMPARE_TERMS
from ai_glossary_mcp.app.checks import AUDIENCE_STYLE, check_audience, check_prompt_terms, check_text
from ai_glossary_mcp.app.render import entry_markdown
from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.app.tools import ToolName
from ai_glossary_mcp.data.glossary import entry_uri
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.errors import InvalidArgument

if TYPE_CHECKING:
    from ai_glossary_mcp.serving.mcp_server import GlossaryMCPServer


CheckArgs = ParamSpec("CheckArgs")
Checked = TypeVar("Checked")
# A prompt's messages, as the SDK takes them: {"role": ..., "content": <content block>}.
PromptMessage = dict[str, Any]


def _checked(
    check: Callable[CheckArgs, Checked], *args: CheckArgs.args, **kwargs: CheckArgs.kwargs
) -> Checked:
    """check(*args), with InvalidArgument as the JSON-RPC -32602 error a prompt answers with."""
    try:
        return check(*args, **kwargs)
    except InvalidArgument as exc:
        raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None


def _embedded(service: GlossaryService, term: str) -> tuple[dict[str, Any], Entry]:
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


def register_prompts(server: "GlossaryMCPServer", service: GlossaryService) -> None:
    @server.prompt(title="Explain a term")
    def explain_term(
        term: Annotated[str, Field(description="The glossary term to explain (name, acronym or alias).")],
        audience: Annotated[
            str, Field(description="beginner, practitioner (default) or expert.")
        ] = "practitioner",
    ) -> list[PromptMessage]:
        """Explain one glossary term for an audience, grounded in its reviewed entry."""
        term = _checked(check_text, term, "term")
        audience = _checked(check_audience, audience)
        block, entry = _embedded(service, term)
        formula_hint = (
            " The entry has a formula: walk through it, and if you quote numbers, compute them with the "
            f"{ToolName.EVALUATE_FORMULA} tool (term '{entry.id}') rather than by hand."
            if entry.formula
            else ""
        )
        text = (
            f"Explain {entry.term} to {AUDIENCE_STYLE[audience]}. Ground the explanation in the glossary "
            f"entry below, keep its definition's meaning, and cite it as {entry_uri(entry.id)}. Mention one "
            f"or two related terms from the entry where they help.{formula_hint}"
        )
        return [{"role": "user", "content": block}, {"role": "user", "content": text}]

    @server.prompt(
        title="Compare terms",
        # Not a docstring, so the bounds are the ones declared in app/bounds.py.
        description=f"Compare {COMPARE_TERMS.low}-{COMPARE_TERMS.high} glossary terms side by side, "
        "grounded in their reviewed entries.",
    )
    def compare_terms(
        terms: Annotated[
            str,
            Field(
                description="Comma-separated terms, e.g. 'DPO, RLHF, GRPO' "
                f"({COMPARE_TERMS.low}-{COMPARE_TERMS.high})."
            ),
        ],
    ) -> list[PromptMessage]:
        names = _checked(check_prompt_terms, terms)
        blocks, entries = [], []
        for name in names:
            block, entry = _embedded(service, _checked(check_text, name, "term"))
            blocks.append(block)
            entries.append(entry)
        listing = ", ".join(f"{e.term} ({entry_uri(e.id)})" for e in entries)
        text = (
            f"Compare {listing}. Using only the glossary entries above as ground truth, explain what each "
            "is, how they relate, where they differ (goal, mechanism, cost, when to use which) and cite each "
            "entry's URI. Finish with a short table."
        )
        return [{"role": "user", "content": b} for b in blocks] + [{"role": "user", "content": text}]

    @server.prompt(title="Walk through a formula")
    def walk_through_formula(
        term: Annotated[str, Field(description="A glossary term that has a formula (e.g. DPO, softmax).")],
        symbol: Annotated[str, Field(description="Optional: one symbol of its legend to focus on.")] = "",
    ) -> list[PromptMessage]:
        """Walk through a glossary formula, or one symbol of it, grounded in the reviewed entry."""
        term = _checked(check_text, term, "term")
        # A symbol the legend does not have is an error whose message lists the symbols it has.
        result = _checked(service.explain_formula, term, symbol)
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
            f"with the {ToolName.EVALUATE_FORMULA} tool (term '{entry.id}') rather than by hand."
        )
        return [{"role": "user", "content": block}, {"role": "user", "content": text}]
