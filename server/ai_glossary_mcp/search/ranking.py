"""Search: rank entries for a query by fusing the "search" rows of fusion.py (the text's BM25F, the name
the query spells, the names a typo is torn between), then shape the top `limit`, best = 1.0.
"""

from __future__ import annotations

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.search.fusion import NAME_BOOSTS, summed
from ai_glossary_mcp.search.query import Query

SEARCH_FUZZY_WORDS = 4  # search tries typo-tolerant name matching only for queries this short


def search(index: IndexView, query: str, limit: int, category: str | None) -> list[tuple[Entry, float]]:
    """Rank entries for a query: a resolved name first, then BM25F, fused."""
    allowed = index.category_positions(category) if category else None
    # A description of several words is a search, not a misspelled name: typo matching is for short queries.
    q = Query(index, query, allowed, fuzzy=len(query.split()) <= SEARCH_FUZZY_WORDS)
    fused = summed("search", q, limit + NAME_BOOSTS)
    if not fused:
        return []
    top = max(fused.values())
    ranked = sorted(fused.items(), key=lambda ds: (-ds[1], ds[0]))[:limit]
    return [(index.entries[doc], round(score / top, 3)) for doc, score in ranked]
