"""The "near words" signal: a query word the glossary never uses counts as the glossary word nearest to it
in meaning, so a question in everyday words ("photo", "citations", "cheaper") meets the entries whose text
says it the glossary's way ("image", "reference", "cost").

Why shaped so:
- Only words BM25F cannot see are read this way (their stem has no posting): a word the glossary uses
  already counts for itself, and reading it as a neighbour too only blurred the ranking (measured in
  benchmarks/results/2026-12-02-ranking.md). Each such word takes its one nearest glossary word, if their
  cosine is at least NEAREST, and weighs as that word times the cosine.
- What it gives is BM25F evidence, on the `text` row's scale: the score is the evidence the query's words
  and their neighbours give together, saturated as bm25.evidence saturates, minus what the words alone
  gave in the `text` row's list (so the two rows add up to one saturated sum, never more than its 0.55).
- On a large glossary (arrays.numpy_allowed) the sums are added up in numpy, as bm25.py's dense path does,
  so a common word's long posting list costs no Python loop.
- The glossary's words and their embeddings are computed when the store is built (fusion.py's STORED):
  one blob holding the stems, newline-separated, then one float16 row per stem. A word is embedded by
  its commonest spelling in the entries; at most VOCABULARY stems, the most widespread first, so a large
  glossary keeps the query's product small.
- A query's unknown words (at most QUERY_WORDS, each at most semantic.QUERY_WORD_CHARS long: words the
  query's own embedding splits anyway) are embedded by `word_vectors`, the same vectors as
  `semantic.embed_texts` (a test holds them equal) at a tenth of its cost per word. Each word's nearest
  glossary word is remembered per index (KEPT_WORDS of them, then the memo is read, never grown: what a
  client can make the server hold stays bounded).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from ai_glossary_mcp.search import semantic
from ai_glossary_mcp.search.arrays import float_array, int_array, numpy_allowed
from ai_glossary_mcp.search.bm25 import HALF_EVIDENCE, raw_hits, raw_sums
from ai_glossary_mcp.search.normalize import STOP_WORDS, search_tokens, stem, words
from ai_glossary_mcp.search.query import Query

if TYPE_CHECKING:
    import numpy as np

    from ai_glossary_mcp.data.contract import IndexView

NEAREST = 0.5  # the least cosine at which a glossary word stands for an unknown one (0.4-0.6 measured alike)
VOCABULARY = 10_000  # glossary stems kept, the most widespread first (8 words x 10,000: a ~0.4 ms product)
QUERY_WORDS = 8  # unknown words looked up per query (questions have 0-5)
MIN_LETTERS = 3  # shorter words are mostly acronyms and units: their embeddings are noise
HEADER_BYTES = 8  # the blob starts with the byte length of its stems' text, then pads to 8 bytes
STORED_WORDS = "near words: wordllama l2_supercat_256 float16, glossary stems by their commonest spelling"

KEPT_WORDS = 4_096  # unknown words whose nearest glossary word is remembered, per index (~0.5 MB at most)

_loaded: WeakKeyDictionary[Any, tuple[tuple[str, ...], Any]] = (
    WeakKeyDictionary()
)  # index -> (stems, columns)
_nearest: WeakKeyDictionary[Any, dict[str, tuple[str, float] | None]] = WeakKeyDictionary()  # index -> memo


def _spellings(entry: Any) -> list[str]:
    """The entry's words as written, in the fields that define what it means (as the index reads them)."""
    texts = [entry.term, *(entry.aliases or ()), *(entry.tags or ()), entry.definition]
    if entry.acronym:
        texts.append(entry.acronym)
    return [w for text in texts for w in words(text) if w not in STOP_WORDS]


def _usable(word: str) -> bool:
    return word.isalpha() and MIN_LETTERS <= len(word) <= semantic.QUERY_WORD_CHARS


def vocabulary(entries: Sequence[Any]) -> list[tuple[str, str]]:
    """(stem, its commonest spelling) for the VOCABULARY most widespread stems, by stem."""
    spelled: defaultdict[str, Counter[str]] = defaultdict(Counter)
    spread: Counter[str] = Counter()
    for entry in entries:
        seen = set()
        for word in _spellings(entry):
            if _usable(word):
                token = stem(word)
                spelled[token][word] += 1
                seen.add(token)
        spread.update(seen)
    kept = sorted(spread, key=lambda t: (-spread[t], t))[:VOCABULARY]
    return [(token, spelled[token].most_common(1)[0][0]) for token in sorted(kept)]


def build(entries: Sequence[Any]) -> bytes:
    """What a store keeps: the stems' text, then their spellings' embeddings as float16 rows."""
    pairs = vocabulary(entries)
    text = "\n".join(token for token, _ in pairs).encode("utf-8")
    padding = b"\0" * (-(HEADER_BYTES + len(text)) % HEADER_BYTES)
    header = len(text).to_bytes(HEADER_BYTES, "little")
    if not pairs:
        return header + text + padding
    vectors = semantic.embed_texts([spelling for _, spelling in pairs]).astype("float16")
    return header + text + padding + vectors.tobytes()


def stored_words(index: IndexView) -> tuple[tuple[str, ...], np.ndarray]:
    """The index's glossary stems and their embeddings, one float32 column per stem (read once per index)."""
    found = _loaded.get(index)
    if found is None:
        import numpy as np

        blob = index.signal_data(STORED_WORDS)
        size = int.from_bytes(blob[:HEADER_BYTES].tobytes(), "little")
        stems = tuple(blob[HEADER_BYTES : HEADER_BYTES + size].tobytes().decode("utf-8").split("\n"))
        start = HEADER_BYTES + size + (-(HEADER_BYTES + size) % HEADER_BYTES)
        rows = blob[start:].view(np.float16).reshape(-1, semantic.DIMENSIONS)
        # Kept transposed and contiguous: (words x 256) @ (256 x stems) is ~5x faster than through a .T view.
        columns = np.ascontiguousarray(rows.T, dtype=np.float32)
        found = _loaded[index] = (stems if len(rows) else (), columns)
    return found


def unknown_words(query: Query) -> list[str]:
    """The query's words (distinct, in order) whose stem no entry's text holds."""
    index, out = query.index, []
    for word in dict.fromkeys(words(query.text)):
        if word not in STOP_WORDS and _usable(word) and index.posting(stem(word)) is None:
            out.append(word)
            if len(out) == QUERY_WORDS:
                break
    return out


def neighbours(query: Query) -> dict[str, float]:
    """Glossary stem -> weight: each unknown word's nearest glossary stem, weighted by their cosine."""
    unknown = unknown_words(query)
    if not unknown:
        return {}
    stems, columns = stored_words(query.index)
    if not stems:
        return {}
    kept = _nearest.setdefault(query.index, {})
    nearest = {w: kept[w] for w in unknown if w in kept}
    missing = [w for w in unknown if w not in kept]
    if missing:
        cosines = word_vectors(missing) @ columns
        for word, column, row in zip(missing, cosines.argmax(axis=1).tolist(), cosines, strict=True):
            cosine = float(row[column])
            nearest[word] = (stems[column], cosine) if cosine >= NEAREST else None
            if len(kept) < KEPT_WORDS:  # a full memo is read, never grown
                kept[word] = nearest[word]
    weights: defaultdict[str, float] = defaultdict(float)
    for found in nearest.values():
        if found is not None:
            weights[found[0]] += found[1]
    return dict(weights)


def word_vectors(words: Sequence[str]) -> np.ndarray:
    """One `semantic.embed_query` row per word (an L2-normalised sum of its token vectors): a word's few
    tokens need none of `semantic.embed_texts`' batch machinery (a batch goes through the tokenizer's
    thread pool: ~300 us for three words on a busy machine)."""
    import numpy as np

    rows = np.empty((len(words), semantic.DIMENSIONS), dtype=np.float32)
    for i, word in enumerate(words):
        rows[i] = semantic.embed_query(word)
    return rows


def _saturated(raw: float) -> float:
    return raw / (raw + HALF_EVIDENCE)


def ranked(query: Query, depth: int | None) -> list[tuple[int, float]]:
    """The signal: (entry position, the evidence the neighbours add to the words'), best first."""
    weights = neighbours(query)
    if not weights:
        return []
    index = query.index
    listed = dict(raw_hits(query, depth))  # what the `text` row counted (its memo: no second pass)
    if numpy_allowed(index):
        return dense_ranked(query, weights, listed, depth)
    own = dict.fromkeys(search_tokens(query.text), 1.0)  # 1.0 * impact is the impact: BM25F's own sums
    added = sums(index, weights, query.allowed)
    raw = sums(index, own, query.allowed)
    scores = [
        (doc, _saturated(raw.get(doc, 0.0) + extra) - _saturated(listed.get(doc, 0.0)))
        for doc, extra in added.items()
    ]
    scores.sort(key=lambda ds: (-ds[1], ds[0]))
    return scores if depth is None else scores[:depth]


def sums(
    index: IndexView, weights: dict[str, float], allowed: set[int] | frozenset[int] | None
) -> dict[int, float]:
    """Each entry's sum of weight * impact over the tokens' postings (tokens in the given order)."""
    totals: defaultdict[int, float] = defaultdict(float)
    for token, weight in weights.items():
        posting = index.posting(token)
        if posting is None:
            continue
        for doc, impact in zip(posting.docs, posting.impacts, strict=True):
            if allowed is None or doc in allowed:
                totals[doc] += weight * impact
    return totals


def dense_sums(index: IndexView, weights: dict[str, float]) -> np.ndarray:
    """`sums` for every entry at once, in numpy (the same additions in the same order: the same doubles)."""
    import numpy as np

    totals = np.zeros(len(index.entries))
    for token, weight in weights.items():
        posting = index.posting(token)
        if posting is not None:
            impacts = float_array(np, posting.impacts)
            np.add.at(totals, int_array(np, posting.docs), impacts if weight == 1.0 else weight * impacts)
    return totals


def dense_ranked(
    query: Query,
    weights: dict[str, float],
    listed: dict[int, float],
    depth: int | None,
) -> list[tuple[int, float]]:
    """`ranked` on a large glossary: the sums in numpy, and only the touched entries back in Python."""
    import numpy as np

    added = dense_sums(query.index, weights)
    docs = np.flatnonzero(added)
    if query.allowed is not None:
        docs = docs[np.isin(docs, np.fromiter(query.allowed, np.intp, len(query.allowed)))]
    raw = raw_sums(query)[docs]  # BM25F's own sums over the query's words, as the text row added them
    counted = np.zeros(len(docs))  # the text row's raw sums, for the few entries it listed (docs is sorted)
    if listed and len(docs):
        keys = np.fromiter(listed, np.intp, len(listed))
        at = np.minimum(np.searchsorted(docs, keys), len(docs) - 1)
        hit = docs[at] == keys
        counted[at[hit]] = np.fromiter(listed.values(), np.float64, len(listed))[hit]
    scores = (raw + added[docs]) / (raw + added[docs] + HALF_EVIDENCE) - counted / (counted + HALF_EVIDENCE)
    k = len(docs) if depth is None else min(depth, len(docs))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((docs[top], -scores[top]))]
    return [(int(docs[i]), float(scores[i])) for i in top]


__all__ = [
    "NEAREST",
    "STORED_WORDS",
    "build",
    "dense_ranked",
    "dense_sums",
    "neighbours",
    "ranked",
    "stored_words",
    "sums",
    "unknown_words",
    "word_vectors",
]
