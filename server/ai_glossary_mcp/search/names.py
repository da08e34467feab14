"""The name signals: what the query's spelling says about each entry (each function is a `Signal`).

- `decided`: the entry the query names (exactly, normalised, or as an accepted typo), scored by how sure
  the match is (1 for an exact name).
- `near`: the entries of a typo too close to several names to decide, scored by similarity (0-1).
- `similar`: every fuzzy candidate's similarity to the query (0-100), for suggestions.
- `example_names`: the concepts whose instances' names resemble the query (0-100), for suggestions.

`decided` and `near` read one decision per query (kept in the query's memo), so search pays for one
resolution however many of them it fuses.
"""

from __future__ import annotations

from collections.abc import Iterator

from ai_glossary_mcp.search.decide import Resolution, decide
from ai_glossary_mcp.search.fuzzy import Scored, fuzzy_scores, typo_reachable
from ai_glossary_mcp.search.normalize import compact_key, name_key
from ai_glossary_mcp.search.query import Query

DECISION = "decision"  # memo key: decide()'s (resolution, similarities) for the query
SIMILAR = "similar"  # memo key: the fuzzy candidates' similarities (resolve hands its own to suggest)


def decision(query: Query) -> tuple[Resolution, Scored | None]:
    found = query.memo.get(DECISION)
    if found is None:
        found = query.memo[DECISION] = decide(query.index, query.text, query.fuzzy)
    return found


def decided(query: Query, depth: int | None) -> list[tuple[int, float]]:
    resolution = decision(query)[0]
    if resolution.entry is None:
        return []
    doc = query.index.position[resolution.entry.id]
    return [(doc, resolution.score)] if query.allowed is None or doc in query.allowed else []


def near(query: Query, depth: int | None) -> list[tuple[int, float]]:
    ambiguous = decision(query)[0].ambiguous
    if not ambiguous:
        return []
    position, allowed = query.index.position, query.allowed
    tied = [(position[entry.id], score) for entry, score in ambiguous]
    return [(doc, score) for doc, score in tied if allowed is None or doc in allowed][:depth]


def similar(query: Query, depth: int | None) -> Iterator[tuple[int, float]]:
    seen = query.memo.get(SIMILAR)
    if seen is None:
        key = name_key(query.text)
        seen = query.memo[SIMILAR] = (
            fuzzy_scores(query.index, key)[1] if typo_reachable(query.index, key) else Scored()
        )
    position, allowed = query.index.position, query.allowed
    for entry_id, score in seen.ranked()[:depth]:
        doc = position[entry_id]
        if allowed is None or doc in allowed:
            yield doc, score


def example_names(query: Query, depth: int | None) -> Iterator[tuple[int, float]]:
    """fuzz.ratio of the query's compact key and each instance's name, best first (ties in the names'
    order), as its concept's score: rapidfuzz scores and orders them in C, and positions are looked up
    only for the pairs the caller reads (it stops at its floor)."""
    example_of = query.index.example_of
    if not example_of:
        return
    from rapidfuzz import fuzz, process

    examples = list(example_of)
    ranked = process.extract(
        compact_key(query.text), examples, scorer=fuzz.ratio, processor=None, limit=depth
    )
    position, allowed = query.index.position, query.allowed
    for _, score, i in ranked:
        doc = position[example_of[examples[i]]]
        if allowed is None or doc in allowed:
            yield doc, score
