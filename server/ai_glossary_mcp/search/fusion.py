"""The fusion table: every weight that turns a signal's score into a rank, for every use, in one place.

A row says, for one use (search, suggest, related, complete) and one signal, how a score counts:
value = min(cap, bonus + weight * score / scale - rank_step * rank), where rank is the hit's place in the
signal's list. Search adds an entry's values up (`summed`); suggest keeps each entry's best value
(`best_of`: a suggestion is as good as its best reason), where the rows marked `sums` (what the words
say) count as one reason, their values added up as in search. Rows with a `ranked` function are fused
there, in table order (keep it: sums of doubles depend on the order); the others are applied by the
code that finds their hits (app/related.py's related entries, app/completion.py's completions)
via `row(...).value`.

Adding a signal (e.g. embeddings):
  1. one module in search/ with `def ranked(query: Query, depth: int | None) -> Iterable[tuple[int, float]]`
     (query.py's `Signal`: entry positions, best first, at most `depth`, only `query.allowed` ones);
  2. one row here, e.g. Row("search", "meaning", "<why this weight>", semantic.ranked, weight=0.5);
  3. if the signal reads data computed from the entries when the store is built (as `meaning` reads
     embedding vectors), one row in STORED below: every store build (app/ passes STORED to data/'s
     load_index and memory_store; data/ never imports search) then computes it
     and keeps it as one blob, and the signal reads it back with `index.signal_data(name)`.
Search then fuses it; nothing else changes: two files (the module and this one). tests/quality
(`make eval`) says whether the weight helps.

Search's values are calibrated: each signal's score is on a fixed scale (no scaling to the best hit), so
the sum means the same in every query; ranking.py reports it capped at 1. A named entry gets 1 and more;
the words' evidence is at most 0.55 (BM25F, saturated, the `near words` row included: it adds into the same
saturated sum) + 0.45 (cosine). The weights, and linear fusion rather than reciprocal-rank (whose values
carry no calibrated meaning), are measured in benchmarks/results/2026-12-02-calibrated-fusion.md; the near
words, and the retuning that did not help, in benchmarks/results/2026-12-02-ranking.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from math import inf
from typing import TYPE_CHECKING, TypeVar

from ai_glossary_mcp.search import bm25, names, near_words, semantic
from ai_glossary_mcp.search.query import Query, Signal

if TYPE_CHECKING:
    from ai_glossary_mcp.data.model import Entry

K = TypeVar("K", bound=Hashable)

NAME_BOOSTS = 5  # search's name rows lift at most five entries (a tie's candidates), so each other signal
# is asked for limit + 5 hits: those hold the fused top `limit`


@dataclass(frozen=True)
class Row:
    use: str
    signal: str
    reason: str
    ranked: Signal | None = None  # None: the caller finds the hits and applies `value` itself
    weight: float = 0.0
    bonus: float = 0.0
    scale: float = 1.0  # the signal's full score (100 for rapidfuzz's percentages)
    floor: float | None = None  # in the signal's own units: hits scoring less are ignored
    cap: float = inf
    rank_step: float = 0.0
    depth: int | None = None  # hits asked of the signal; None: what the use asks for
    sums: bool = False  # best_of: this row's values add up with the other `sums` rows' into one reason

    @property
    def plain(self) -> bool:
        """Whether a value is just bonus + weight * score (no floor, cap, scale or rank step)."""
        return self.floor is None and self.cap == inf and self.scale == 1.0 and self.rank_step == 0.0

    def admits(self, score: float) -> bool:
        return self.floor is None or score >= self.floor

    def value(self, score: float = 0.0, rank: int = 0) -> float:
        return min(self.cap, self.bonus + self.weight * (score / self.scale) - self.rank_step * rank)


@dataclass(frozen=True)
class Stored:
    """Data a signal computes from the entries once per store build (the name keys it in the store)."""

    name: str
    build: Callable[[Sequence[Entry]], bytes]
    reason: str


STORED: tuple[Stored, ...] = (
    Stored(
        semantic.STORED_VECTORS,
        semantic.entry_matrix,
        "the embedding of every entry's text, float16: embedding 100,000 entries takes ~90 s, a query one",
    ),
    Stored(
        near_words.STORED_WORDS,
        near_words.build,
        "the glossary's words and their embeddings: a query's unknown word is compared with each",
    ),
)


FUSION: tuple[Row, ...] = (
    Row(
        "search",
        "meaning",
        "cosine of the query's and the entry's embeddings: up to 0.45 from a cosine of 0.1 "
        "(unrelated text scores about 0.1, on-topic 0.3-0.7); before `text`: above 20,000 entries it "
        "asks BM25F for its shortlist, and the text row reuses that pass",
        semantic.ranked,
        weight=0.5,
        bonus=-0.05,
        floor=0.1,
    ),
    Row(
        "search",
        "text",
        "BM25F evidence of the query's words, raw/(raw+1.5): up to 0.55, half of it at a raw 1.5",
        bm25.evidence,
        weight=0.55,
    ),
    Row(
        "search",
        "near words",
        "a word no entry uses counts as its nearest glossary word times their cosine: what that adds to "
        "the text row's saturated evidence, on its scale (the two rows together stay within 0.55)",
        near_words.ranked,
        weight=0.55,
    ),
    Row(
        "search",
        "name",
        "the entry the query names goes first: 1 is at least what the words can give (0.55 + 0.45), "
        "and a surer match gets up to 0.1 more",
        names.decided,
        weight=0.1,
        bonus=1.0,
    ),
    Row(
        "search",
        "near names",
        "a typo too close to several names to decide lifts each by half its "
        "similarity: above weak text hits, not above a strong one",
        names.near,
        weight=0.5,
    ),
    Row(
        "suggest",
        "similar names",
        "a close spelling is the likeliest meant name; below 45% similarity names are unrelated",
        names.similar,
        weight=1.0,
        scale=100,
        floor=45,
        depth=20,
    ),
    Row(
        "suggest",
        "meaning",
        "entries the words mean, on search's scale (adds up with `text`)",
        semantic.ranked,
        weight=0.5,
        bonus=-0.05,
        floor=0.1,
        depth=10,
        sums=True,
    ),
    Row(
        "suggest",
        "text",
        "entries the words describe, on search's scale (with `meaning`, the score search would give)",
        bm25.evidence,
        weight=0.55,
        depth=10,
        sums=True,
    ),
    Row(
        "suggest",
        "near words",
        "a word no entry uses, read as its nearest glossary word (adds up with `text`, as in search)",
        near_words.ranked,
        weight=0.55,
        depth=10,
        sums=True,
    ),
    Row(
        "suggest",
        "example names",
        "a near miss of an instance's name suggests its concept, as a close spelling would",
        names.example_names,
        weight=1.0,
        scale=100,
        floor=45,
    ),
    Row(
        "related",
        "curated relation",
        "a relation someone wrote is the strongest link, in written order",
        bonus=1.0,
        rank_step=0.001,
    ),
    Row(
        "related",
        "inferred relation",
        "an inverse a curated relation implies, just below curated ones",
        bonus=0.95,
        rank_step=0.001,
    ),
    Row("related", "mutual mention", "two definitions naming each other: below any relation", bonus=0.8),
    Row("related", "mention", "one definition naming the other", bonus=0.7),
    Row(
        "related",
        "same-category text",
        "entries of the category sharing words, below every mention",
        weight=0.4,
        bonus=0.2,
    ),
    Row(
        "complete",
        "exact name prefix",
        "a prefix of an id or term completes first (shorter names first)",
        bonus=3.0,
    ),
    Row("complete", "other name prefix", "then a prefix of an acronym or alias", bonus=2.5),
    Row(
        "complete",
        "similar names",
        "then close spellings, from 60% similarity (below every prefix)",
        weight=1.0,
        scale=100,
        floor=60,
    ),
)

_ROWS = {(r.use, r.signal): r for r in FUSION}
if len(_ROWS) != len(FUSION):  # a second row for the same (use, signal) would be silently ignored
    raise ValueError("FUSION names a (use, signal) pair twice")
FUSED = {  # the rows `summed` and `best_of` apply, by use, in table order (read per query: no filtering then)
    use: tuple(r for r in FUSION if r.use == use and r.ranked is not None) for use in ("search", "suggest")
}


def row(use: str, signal: str) -> Row:
    return _ROWS[use, signal]


def summed(use: str, query: Query, depth: int | None) -> dict[int, float]:
    """Each entry's values summed over the use's signals, by position (search)."""
    fused: defaultdict[int, float] = defaultdict(float)
    for r in FUSED[use]:
        assert r.ranked is not None  # FUSED keeps only the rows with a signal
        hits = r.ranked(query, depth if r.depth is None else r.depth)
        if r.plain:  # the loop search runs per hit: value = bonus + weight * score, nothing else to apply
            bonus, weight = r.bonus, r.weight
            for doc, score in hits:
                fused[doc] += bonus + weight * score
            continue
        for rank, (doc, score) in enumerate(hits):
            if not r.admits(score):
                break  # hits come best first
            fused[doc] += r.value(score, rank)
    return fused


def best_of(use: str, query: Query, key: Callable[[int], K]) -> dict[K, float]:
    """Each entry's best value over the use's signals, by `key` of its position (suggest, by id); the
    `sums` rows' values are added up first and count as one value."""
    fused: dict[K, float] = {}
    added: defaultdict[K, float] = defaultdict(float)
    for r in FUSED[use]:
        assert r.ranked is not None  # FUSED keeps only the rows with a signal
        for rank, (doc, score) in enumerate(r.ranked(query, r.depth)):
            if not r.admits(score):
                break  # hits come best first
            value, k = r.value(score, rank), key(doc)
            if r.sums:
                added[k] += value
            elif value > fused.get(k, -1.0):
                fused[k] = value
    for k, value in added.items():
        if value > fused.get(k, -1.0):
            fused[k] = value
    return fused
