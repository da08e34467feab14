"""Candidates: which name keys are worth a fuzzy score against a query's key (the step before scoring).

Scoring every key with rapidfuzz would cost milliseconds on a large glossary, so a query first picks at
most MAX_CANDIDATES keys: those sharing the most trigrams with it, or, when counting trigrams would add up
too many postings, the keys made of the query's words (each as written or one edit away). Both counts have
a numpy twin used only on large glossaries (arrays.py says why); the pure-Python count is the reference
the twins are tested against (tests/test_scale.py).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from itertools import chain
from types import ModuleType
from typing import TYPE_CHECKING

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.index import FUZZY_WORD_MIN, deletion_variants, trigrams
from ai_glossary_mcp.search.arrays import int_array, numpy_allowed, run_starts, union

if TYPE_CHECKING:
    from ai_glossary_mcp.search.arrays import IdArray

MAX_CANDIDATES = 32  # keys scored per query: enough for the winner and its rivals, few enough to be cheap
STOP_GRAM = 2_000  # trigram postings longer than this are skipped once the rarer half is counted
DENSE_GRAM_POSTINGS = 1_000  # above this many postings in all, numpy counts shared trigrams or words
SORT_COUNT_POSTINGS = 20_000  # up to this many, by sorting them (no array the size of the glossary)
WORD_PATH_POSTINGS = (
    20_000  # above this many trigram postings to count, candidates come from the query's words
)
MERGE_PER_PROBE = (
    8  # word sets are merged to count shared keys unless that touches 8x more ids than binary searches
)


def candidate_keys(index: IndexView, key: str) -> list[int]:
    """Name keys worth scoring against `key`: the keys sharing the most trigrams with it, or, when counting
    trigrams would add up more than WORD_PATH_POSTINGS postings (a large glossary whose names share a
    vocabulary, so every trigram is common), the keys made of the query's words, each as written or one
    edit away; the trigram count still decides when the words find nothing (joined or split words,
    heavier typos). Trigrams come first when cheap because they also find rivals more than one edit per
    word away ("ecnoder": encoder and decoder), which the margin rule needs to see."""
    grams = trigrams(key)
    postings = sorted(index.gram_postings(grams).values(), key=len)
    half = (len(postings) + 1) // 2
    # The rarer half always counts: stopping early loses names made of common words (most names in a large
    # glossary). Beyond it, trigrams held by more than STOP_GRAM keys (" co", "ion") say little and are most
    # of the work.
    if postings and len(postings[-1]) > STOP_GRAM:  # (sorted: when the longest is short, all count)
        postings = [p for i, p in enumerate(postings) if i < half or len(p) <= STOP_GRAM]
    total = sum(len(p) for p in postings)
    if total > WORD_PATH_POSTINGS and (by_words := word_candidates(index, key)):
        return by_words
    return _trigram_candidates(postings, total, max(1, len(grams) // 4), numpy_allowed(index))


def _trigram_candidates(postings: list[Sequence[int]], total: int, need: int, use_numpy: bool) -> list[int]:
    """The MAX_CANDIDATES keys sharing the most trigrams with the query (ties by key id), among those
    sharing at least `need`, given the posting lists to count. Many postings are counted by numpy: sorting
    them when there are a few thousand (the work follows the postings), one counter per key beyond that."""
    if total <= DENSE_GRAM_POSTINGS or not use_numpy:
        hits = Counter(chain.from_iterable(postings))  # counted in C
        enough = [k for k, c in hits.items() if c >= need]  # most keys share a trigram or two: no tuples
        if len(enough) <= MAX_CANDIDATES:
            return sorted(enough, key=lambda k: (-hits[k], k))
        return [k for _, k in heapq.nsmallest(MAX_CANDIDATES, [(-hits[k], k) for k in enough])]
    import numpy as np

    joined: IdArray = np.concatenate([int_array(np, p) for p in postings])
    if total <= SORT_COUNT_POSTINGS:
        joined.sort(kind="stable")  # each posting list is sorted: a stable sort merges the runs
        starts = np.flatnonzero(run_starts(np, joined))
        ids, counts = joined[starts], np.diff(np.append(starts, len(joined)))
        keep = counts >= need
        ids, counts = ids[keep], counts[keep]
    else:
        counts = np.bincount(joined)
        ids = np.flatnonzero(counts >= need)
        counts = counts[ids]
    if len(ids) > MAX_CANDIDATES:  # keep the best counts (and every id tied with the last) before sorting
        cut = counts >= kth_largest_count(np, counts, MAX_CANDIDATES)
        ids, counts = ids[cut], counts[cut]
    best: list[int] = ids[np.lexsort((ids, -counts))][:MAX_CANDIDATES].tolist()
    return best


def kth_largest_count(np: ModuleType, counts: IdArray, k: int) -> int:
    """The k-th largest of some small non-negative counts (shared trigrams), from their histogram: what
    np.partition finds, in a fraction of its time."""
    at_least = np.cumsum(np.bincount(counts)[::-1])[::-1]  # at_least[c]: how many counts are >= c
    return int(np.flatnonzero(at_least >= k)[-1])


def word_candidates(index: IndexView, key: str) -> list[int] | None:
    """Keys made of the query's words, each word as written or one edit away from it (words of four letters
    or more; found through the index's deletion variants): all of them for one- and two-word queries, all
    but one for longer ones. The MAX_CANDIDATES best: most of the words, then closest in length, then by
    key id. Keys longer than an accepted match could be stay in, as rivals for the margin rule: "time" is
    one edit from the acronym "AIME" but also a word of "inference time compute". None when the words find
    nothing (a word matches nothing and cannot be spared, or no key holds enough of them)."""
    from rapidfuzz.distance import OSA

    query_words = list(dict.fromkeys(key.split()))
    need = len(query_words) if len(query_words) <= 2 else len(query_words) - 1
    postings = dict(index.word_postings(query_words))
    if sum(w in postings or len(w) >= FUZZY_WORD_MIN for w in query_words) < need:
        return None  # too many words that are neither key words nor long enough to be misspelt ones
    variants = {w: deletion_variants(w) for w in query_words}
    similar = index.similar_words(set().union(*variants.values()))
    spellings = {
        w: {w}
        | {s for v in variants[w] for s in similar.get(v, ()) if OSA.distance(w, s, score_cutoff=1) <= 1}
        for w in query_words
    }
    postings.update(index.word_postings(set().union(*spellings.values()) - postings.keys()))
    found_words = {w: frozenset(s for s in spellings[w] if s in postings) for w in query_words}
    if sum(bool(f) for f in found_words.values()) < need:
        return None
    # Query words that find the same key words count once: "attention atention" is one word twice.
    per_word = [[postings[s] for s in sorted(f)] for f in dict.fromkeys(f for f in found_words.values() if f)]
    need = min(need, len(per_word))
    size = len(key) - key.count(" ")
    if sum(len(p) for lists in per_word for p in lists) <= DENSE_GRAM_POSTINGS or not numpy_allowed(index):
        keys_held = Counter(chain.from_iterable(set(chain.from_iterable(lists)) for lists in per_word))
        lengths = index.key_lengths
        best = sorted((-c, abs(lengths[k] - size), k) for k, c in keys_held.items() if c >= need)
        return [k for _, _, k in best[:MAX_CANDIDATES]] or None
    import numpy as np

    sets = sorted(
        (
            union(np, [int_array(np, p) for p in lists]) if len(lists) > 1 else int_array(np, lists[0])
            for lists in per_word
        ),
        key=len,
    )
    # A key in `need` of the sets is in at least one of the smallest len(sets) - need + 1 of them.
    spare = len(sets) - need
    probes = len(sets[0]) * (len(sets) - 1) if spare == 0 else sum(map(len, sets[: spare + 1])) * len(sets)
    if sum(map(len, sets)) <= MERGE_PER_PROBE * probes:
        # Sets of similar sizes: merge them (a stable sort merges sorted runs); a key in `need` sets then
        # starts a run of at least `need` equal ids.
        joined: IdArray = np.concatenate(sets)
        joined.sort(kind="stable")
        heads = joined[: len(joined) - need + 1]
        universe: IdArray = heads[heads == joined[need - 1 :]]
        if need == len(sets):  # in every set: each such key once (a set holds a key once)
            held: IdArray = np.full(len(universe), need, dtype=np.int64)
        else:
            universe = universe[run_starts(np, universe)]
            held = np.searchsorted(joined, universe, "right") - np.searchsorted(joined, universe, "left")
    else:  # a few keys to look up in much larger sets: binary searches touch far less memory
        universe = sets[0] if spare == 0 else union(np, sets[: spare + 1])
        held = np.full(len(universe), 1 if spare == 0 else 0, dtype=np.int64)
        for ids in sets[1:] if spare == 0 else sets:
            at = np.searchsorted(ids, universe)
            held += ids[np.minimum(at, len(ids) - 1)] == universe
    enough = held >= need
    found, held = universe[enough], held[enough]
    if not len(found):
        return None
    gap = np.abs(np.frombuffer(index.key_lengths, dtype=np.uint8)[found].astype(np.int64) - size)
    best_keys: list[int] = found[np.lexsort((found, gap, -held))][:MAX_CANDIDATES].tolist()
    return best_keys
