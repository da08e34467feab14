"""BM25F full-text scoring over the index's precomputed postings: the "text" signal.

Each posting carries a token's impact on an entry (field weights and length normalisation are folded in
when the index is built), so a query's score is a sum of impacts. Long queries on a large glossary add
them up in numpy (`_dense_top`) in the same order as the loop, so both paths give the same doubles
(tests/test_scale.py checks it). That path hands its top back as numpy columns (`raw_columns`, kept per
query), so a deep list (the meaning signal's 512-entry shortlist at 100,000 entries) costs no Python
object per hit; only the prefix a caller lists is converted.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.index import Posting
from ai_glossary_mcp.search.arrays import float_array, int_array, numpy_allowed, union
from ai_glossary_mcp.search.normalize import search_tokens
from ai_glossary_mcp.search.query import Query

if TYPE_CHECKING:
    from ai_glossary_mcp.search.arrays import FloatArray, IdArray

T = TypeVar("T")
# (positions, raw sums), best first: numpy arrays when numpy added them up, else lists
Columns: TypeAlias = "tuple[list[int] | IdArray, list[float] | FloatArray]"

DENSE_POSTINGS = 4_000  # above this many postings in all, numpy adds up BM25 weights (faster from there)
SPARSE_TOP_RATIO = (
    8  # BM25 ranks only the entries it touched when its postings are at most 1/8 of the glossary
)
ROWS_PER_COLUMN = 64  # the k-th best score is first bounded from below by the best of each of n/64 columns


RAW_HITS = "bm25 raw hits"  # memo key: (depth asked, hits)
RAW_SUMS = "bm25 raw sums"  # memo key: every entry's raw sum, the dense path's accumulator
HALF_EVIDENCE = 1.5  # the raw BM25F sum that counts as half-sure evidence (on-topic questions: 2-17)


def ranked(query: Query, depth: int | None) -> list[tuple[int, float]]:
    """The signal relative to the query: the best `depth` entries, scored 0-1 (the best hit is 1)."""
    return bm25(query.index, query.text, query.allowed, top=depth)


def evidence(query: Query, depth: int | None) -> list[tuple[int, float]]:
    """The signal on a fixed scale: raw / (raw + HALF_EVIDENCE), so that 0.5 means the same in every query
    (a raw BM25F sum, not scaled to the best hit, saturated: a word or two of a name's weight is strong)."""
    return [(doc, raw / (raw + HALF_EVIDENCE)) for doc, raw in raw_hits(query, depth)]


def raw_hits(query: Query, depth: int | None) -> list[tuple[int, float]]:
    """The best `depth` raw BM25F sums, computed once per query at the deepest depth asked first (a
    shallower list is a prefix of a deeper one: same order, ties by position)."""
    docs, sums = raw_columns(query, depth)
    return list(zip(_listed(docs), _listed(sums), strict=True))


def raw_columns(query: Query, depth: int | None) -> Columns:
    """`raw_hits` as two columns (positions, raw sums): numpy arrays when numpy added them up, so that a
    deep shortlist (semantic.py reranks 512 at 100,000 entries) costs no Python object per hit."""
    kept = query.memo.get(RAW_HITS)
    if kept is None or not (kept[0] is None or (depth is not None and depth <= kept[0])):
        kept = query.memo[RAW_HITS] = (depth, *_columns(query.index, query.text, query.allowed, depth, query))
    return (kept[1], kept[2]) if depth is None else (kept[1][:depth], kept[2][:depth])


def bm25(
    index: IndexView,
    text: str,
    allowed: set[int] | frozenset[int] | None = None,
    top: int | None = None,
    relative: bool = True,
) -> list[tuple[int, float]]:
    """(entry position, score), best first, ties by position; only the best `top` when given. The score is
    normalised to the best hit = 1.0 when `relative`, else the raw BM25F sum."""
    docs, sums = _columns(index, text, allowed, top)
    if not len(docs):
        return []
    if relative:
        sums = [s / sums[0] for s in sums] if isinstance(sums, list) else sums / sums[0]
    return list(zip(_listed(docs), _listed(sums), strict=True))


def _listed(column: list[T] | Any) -> list[T]:
    """A column as a list: a list as it is, a numpy array converted in one call (same ints and doubles)."""
    return column if isinstance(column, list) else list(column.tolist())


def raw_sums(query: Query, lists: list[Posting] | None = None) -> FloatArray:
    """Every entry's raw BM25F sum over the query's words (no category filter), one float64 per entry
    position, added up once per query: the text row's dense path ranks from it, near_words.py reads it.
    `lists` are the query's posting lists when the caller has already looked them up."""
    acc: FloatArray | None = query.memo.get(RAW_SUMS)
    if acc is None:
        import numpy as np

        if lists is None:
            lists = _postings(query.index, query.text)
        acc = query.memo[RAW_SUMS] = _accumulated(np, len(query.index.entries), lists)
    return acc


def _postings(index: IndexView, text: str) -> list[Posting]:
    return [p for t in dict.fromkeys(search_tokens(text)) if (p := index.posting(t)) is not None]


def _accumulated(np: ModuleType, n: int, lists: list[Posting]) -> FloatArray:
    """One float64 accumulator per entry, the posting lists added token by token. np.add.at adds in array
    order, list by list, from 0.0: each entry's additions happen as the loop's, so the doubles are the
    loop's. Adding list by list needs no concatenated copies (bincount also casts the entries to int64),
    so far less memory is touched."""
    acc: FloatArray = np.zeros(n)
    for p in lists:
        np.add.at(acc, int_array(np, p.docs), float_array(np, p.impacts))
    return acc


def _columns(
    index: IndexView,
    text: str,
    allowed: set[int] | frozenset[int] | None,
    top: int | None,
    query: Query | None = None,
) -> Columns:
    """(positions, raw sums), best first, ties by position, at most `top`: numpy arrays on the dense
    path, lists on the loop's. With the query, the dense path's sums are its `raw_sums` (kept for others)."""
    lists = _postings(index, text)
    if top is not None and sum(len(p.docs) for p in lists) > DENSE_POSTINGS and numpy_allowed(index):
        return _dense_top(len(index.entries), lists, allowed, top, raw_sums(query, lists) if query else None)
    scores: defaultdict[int, float] | dict[int, float] = defaultdict(float)
    for docs, impacts in lists:
        for doc, impact in zip(docs, impacts, strict=True):
            scores[doc] += impact
    if allowed is not None:
        scores = {d: s for d, s in scores.items() if d in allowed}
    keyed = [(-s, d) for d, s in scores.items()]  # best score first, ties by position
    ranked = heapq.nsmallest(top, keyed) if top is not None and top < len(keyed) else sorted(keyed)
    return [d for _, d in ranked], [-s for s, _ in ranked]


def _dense_top(
    n: int,
    lists: list[Posting],
    allowed: set[int] | frozenset[int] | None,
    top: int,
    sums: FloatArray | None = None,
) -> tuple[IdArray, FloatArray]:
    """The same sums as the loop in bm25, in C: one float64 accumulator per entry, posting lists added
    token by token (so each entry's additions happen in the same order and give the same doubles), then
    the best `top` as arrays (positions, sums), ordered as the loop orders them. numpy is imported
    here, on the first long query, so small glossaries never pay for it."""
    import numpy as np

    k = min(top, n)
    if k <= 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    acc = sums if sums is not None else _accumulated(np, n, lists)
    if allowed is not None:  # only the category's entries compete: gather them rather than zero the others
        positions = _positions(np, allowed)
        found, scores = _top_scores(np, acc[positions], k)
        found = positions[found]
    elif sum(len(p.docs) for p in lists) * SPARSE_TOP_RATIO <= n:
        # Few entries were touched: rank those (their distinct positions, merged) rather than scan all of acc.
        touched = union(np, [int_array(np, p.docs) for p in lists])  # views of the lists, no copies
        values = acc[touched]
        positive = values > 0  # as _top_scores keeps: an entry's impacts could in principle sum to 0
        found, scores = _best_of(np, touched[positive], values[positive], k)
    else:
        found, scores = _top_scores(np, acc, k)
    order = np.lexsort((found, -scores))[:k]  # best score first, ties by position, as the loop's sort
    return found[order], scores[order]


def _top_scores(np: ModuleType, acc: FloatArray, k: int) -> tuple[IdArray, FloatArray]:
    """(indices, values) of acc's entries scoring at least its k-th best value (every positive one if fewer
    than k are positive), without np.partition over all of acc: that is slow when most entries are 0."""
    n = len(acc)
    rows = ROWS_PER_COLUMN if n >= ROWS_PER_COLUMN * k else 1
    # Each column's best is a different entry, so at least k entries score >= the k-th best column best:
    # a lower bound of the k-th best score that leaves only the likely top entries to partition.
    best = acc[: n - n % rows].reshape(rows, -1).max(axis=0)
    bound = np.partition(best, len(best) - k)[len(best) - k] if len(best) >= k else 0.0
    found = np.flatnonzero(acc >= bound) if bound > 0 else np.flatnonzero(acc > 0)
    return _best_of(np, found, acc[found], k)


def _best_of(np: ModuleType, found: IdArray, values: FloatArray, k: int) -> tuple[IdArray, FloatArray]:
    """(found, values) cut to the entries scoring at least the k-th best value, in their given order."""
    if len(found) > k:
        keep = values >= np.partition(values, len(values) - k)[len(values) - k]
        found, values = found[keep], values[keep]
    return found, values


def _positions(np: ModuleType, allowed: set[int] | frozenset[int]) -> IdArray:
    """Allowed entry positions as an array, in any order. category_positions hands out the same frozenset
    per category, so a repeat search costs one dictionary lookup instead of a 12,000-item walk (at most 16
    kept: a category's set and array are ~1 MB at 100,000 entries)."""
    if isinstance(allowed, frozenset):
        return _frozen_positions(allowed)
    positions: IdArray = np.fromiter(allowed, dtype=np.intp, count=len(allowed))
    return positions


@lru_cache(maxsize=16)
def _frozen_positions(allowed: frozenset[int]) -> IdArray:
    import numpy as np

    positions: IdArray = np.fromiter(allowed, dtype=np.intp, count=len(allowed))
    return positions
