"""Completion of arguments: which values to offer for a partly typed one, best first.

The MCP adapter maps a completion/complete request to `complete(...)`
(a resource template's `id`, or a prompt's argument) and wraps the answer;
the ranking is here, beside the lookups it reuses: names that start with
the typed text first (exact names before aliases, shorter first), then
fuzzy matches; the weights and the fuzzy floor are rows of search/fusion.py's FUSION table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ai_glossary_mcp.app.bounds import COMPARE_TERMS, MAX_TERM_CHARS
from ai_glossary_mcp.app.checks import AUDIENCE_STYLE
from ai_glossary_mcp.search.fusion import row as fusion_row
from ai_glossary_mcp.search.fuzzy import fuzzy_scores
from ai_glossary_mcp.search.normalize import fold, name_key

if TYPE_CHECKING:
    from ai_glossary_mcp.app.service import GlossaryService

MAX_COMPLETIONS = 100  # values in one answer (the spec's cap)
MAX_PREFIX_NAMES = 2000  # names read in key order: enough to fill a completion list
MAX_COMPLETION_INPUT = COMPARE_TERMS.high * (MAX_TERM_CHARS + 2)  # five terms and their separators
ENTRY = "glossary://terms/{id}"  # the target of the entry resource templates (Markdown and JSON)


class Completed(NamedTuple):
    values: list[str]
    total: int
    has_more: bool


def complete(
    service: GlossaryService, target: str, argument: str, value: str, chosen: dict[str, Any]
) -> Completed | None:
    """Values for `argument` of `target` (ENTRY or a prompt's name) given its partial `value` and the
    arguments already chosen; None when that target has no such argument to complete."""
    if len(value) > MAX_COMPLETION_INPUT:  # each value echoes the input: never amplify a huge one
        return Completed([], 0, False)
    if target == ENTRY:
        if argument != "id":
            return None
        values, total = complete_names(service, value, "id")
    elif target == "walk_through_formula":
        if argument == "term":
            values, total = _complete_formula_terms(service, value)
        elif argument == "symbol":
            # The symbols of the formula of the term already chosen (the client sends it in context).
            term = (chosen.get("term") or "")[:MAX_TERM_CHARS]
            values = [v for v in _formula_symbols(service, term) if fold(v).startswith(fold(value).strip())]
            total = len(values)
        else:
            return None
    elif target in ("explain_term", "compare_terms"):
        if argument == "audience":
            values = [a for a in AUDIENCE_STYLE if a.startswith(value.strip().lower())]
            total = len(values)
        elif argument == "term":
            values, total = complete_names(service, value, "term")
        elif argument == "terms":
            head, _, last = value.rpartition(",")
            prefix = head + ", " if head else ""
            names, total = complete_names(service, last.strip(), "term")
            values = [prefix + t for t in names]
        else:
            return None
    else:
        return None
    return Completed(values[:MAX_COMPLETIONS], total, total > MAX_COMPLETIONS)


def complete_names(
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
        for raw, nk in index.names_with_prefix(folded, MAX_PREFIX_NAMES):
            row_name = "exact name prefix" if nk.kind == "exact" else "other name prefix"
            rank = fusion_row("complete", row_name).bonus
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


def _complete_formula_terms(service: GlossaryService, value: str) -> tuple[list[str], int]:
    """Terms for walk_through_formula's `term`: the name completion, keeping entries that have a formula."""
    by_term = {e.term: e for e in service.glossary.formula_entries}
    names, _ = complete_names(service, value, "term")
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
