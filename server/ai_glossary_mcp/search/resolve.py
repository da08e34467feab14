"""Resolve a name to one entry, or explain why not: decide.py's answer, with suggestions for a miss.

Suggestions fuse the "suggest" rows of fusion.py (close spellings, entries the words describe, concepts of
similar instance names), each entry scored by its best reason.
"""

from __future__ import annotations

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.search.decide import Resolution, decide
from ai_glossary_mcp.search.fusion import best_of
from ai_glossary_mcp.search.fuzzy import Scored
from ai_glossary_mcp.search.names import SIMILAR
from ai_glossary_mcp.search.query import Query

SUGGESTIONS = 5  # a miss offers at most this many entries


def resolve(index: IndexView, query: str, with_suggestions: bool = True, fuzzy: bool = True) -> Resolution:
    """Resolve a (validated) name to one entry, or explain why not (with suggestions unless the
    caller ranks candidates itself, as search does)."""
    resolution, seen = decide(index, query, fuzzy)
    if resolution.entry is not None or resolution.ambiguous or not with_suggestions:
        return resolution
    if resolution.example_of is not None:  # the concept first, then what else the query resembles
        owner = resolution.example_of
        rest = [(e, s) for e, s in suggest(index, query) if e.id != owner.id]
        return Resolution(None, suggestions=((owner, 1.0), *rest[: SUGGESTIONS - 1]), example_of=owner)
    return Resolution(None, suggestions=tuple(suggest(index, query, seen)))


def suggest(
    index: IndexView, query: str, seen: Scored | None = None, limit: int = SUGGESTIONS
) -> list[tuple[Entry, float]]:
    """Closest entries for a query that did not resolve: name similarity fused with search. `seen` is the
    fuzzy candidates' similarities when resolve has them already."""
    q = Query(index, query)
    if seen is not None:
        q.memo[SIMILAR] = seen
    entries = index.entries
    pool = best_of("suggest", q, key=lambda doc: entries[doc].id)
    by_id = index.glossary.by_id
    ranked = sorted(pool.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(by_id[eid], round(s, 3)) for eid, s in ranked]
