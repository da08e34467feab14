"""Search: rank entries for a query by fusing the "search" rows of fusion.py (the words' BM25F evidence,
with the glossary words nearest to the words it never uses; the meaning's cosine; the name the query
spells; the names a typo is torn between), top `limit` first.

The score is calibrated, the same scale in every query (never scaled to the best hit): the fused sum,
capped at 1. 1 is a name the query spells; a question the words and the meaning both match scores
about 0.6-0.9; below CONFIDENT the glossary probably does not answer the query (off-topic questions
score 0.1-0.45 here).
"""

from __future__ import annotations

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.search.fusion import NAME_BOOSTS, summed
from ai_glossary_mcp.search.query import Query

SEARCH_FUZZY_WORDS = 4  # search tries typo-tolerant name matching only for queries this short
CONFIDENT = 0.5  # scores from here on are answers; below, likely nothing in the glossary fits


def confident(score: float) -> bool:
    return score >= CONFIDENT


def search(index: IndexView, query: str, limit: int, category: str | None) -> list[tuple[Entry, float]]:
    """Rank entries for a query: a resolved name first, then BM25F and meaning, fused; calibrated 0-1."""
    allowed = index.category_positions(category) if category else None
    # A description of several words is a search, not a misspelled name: typo matching is for short queries.
    q = Query(index, query, allowed, fuzzy=len(query.split()) <= SEARCH_FUZZY_WORDS)
    fused = summed("search", q, limit + NAME_BOOSTS)
    ranked = sorted(fused.items(), key=lambda ds: (-ds[1], ds[0]))[:limit]
    return [(index.entries[doc], round(min(1.0, score), 3)) for doc, score in ranked if score > 0]
