"""Pure lookups over a GlossaryIndex: resolve a name, rank a search, find
related entries, spot names in text.

Resolution is a pipeline of increasingly forgiving rules, and the first rule
that fires wins: the raw spelling (exact id/term, acronym, alias), then the
normalised key (case, Unicode, separators, articles, plurals, British
spelling), then typo-level fuzzy matching. Fuzzy matching is guarded because
a confident wrong answer is worse than none: names of up to four letters and
acronyms only forgive swapped or doubled letters (one changed letter makes
another real name: GPT4 is not GPTQ), a changed number is never a typo, and
nor is a capital letter added at the end of a mixed-case name (AutoGPT is not
AutoGPTQ), and longer names forgive a few edits only inside the same words (a
word added, replaced or given a prefix is another name, not a typo, and so is
a real English word: "decider" is not "decoder"). The winner must beat the
best candidate for any other entry by a margin, or the answer is "ambiguous".
Anything weaker is "not found" with suggestions.

Search is BM25F over precomputed postings, fused with name resolution so a
query that names an entry puts it first.
"""

from __future__ import annotations

import heapq
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain

from ai_glossary_mcp.data.index import (
    FUZZY_WORD_MIN,
    GlossaryIndex,
    Posting,
    Surface,
    deletion_variants,
    first_sentence,
    trigrams,
)
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.search.english_words import is_english_word
from ai_glossary_mcp.search.normalize import (
    compact_key,
    fold,
    is_article,
    key_word,
    name_key,
    search_tokens,
    stem,
    words,
)

FUZZY_MIN_RATIO = 86.0  # a close spelling of a key of 7+ letters (words still checked one by one)
FUZZY_MARGIN = 4.0  # winner must beat the best other entry by this many points
SHORT_NAME = 4  # names of at most this many letters (and acronyms) match a typo only if letters were swapped or doubled
SHORT_ALIAS = 6  # aliases of at most this many letters match only as written (or normalised)
MAX_CANDIDATES = 32
STOP_GRAM = 2_000  # trigram postings longer than this are skipped once the rarer half is counted
SEARCH_FUZZY_WORDS = 4  # search_terms tries typo-tolerant name matching only for queries this short
DENSE_POSTINGS = 4_000  # above this many postings in all, numpy adds up BM25 weights (faster from there)
DENSE_GRAM_POSTINGS = 1_000  # and counts shared trigrams or words
SORT_COUNT_POSTINGS = 20_000  # up to this many, by sorting them (no array the size of the glossary)
WORD_PATH_POSTINGS = (
    20_000  # above this many trigram postings to count, candidates come from the query's words
)
NUMPY_MIN_KEYS = 2_000  # glossaries with fewer name keys never import numpy
MERGE_PER_PROBE = (
    8  # word sets are merged to count shared keys unless that touches 8x more ids than binary searches
)
SPARSE_TOP_RATIO = (
    8  # BM25 ranks only the entries it touched when its postings are at most 1/8 of the glossary
)
ROWS_PER_COLUMN = 64  # the k-th best score is first bounded from below by the best of each of n/64 columns
SUGGESTION_FLOOR = 45.0


@dataclass(frozen=True)
class Resolution:
    entry: Entry | None
    kind: str | None = None
    score: float = 0.0
    ambiguous: tuple[tuple[Entry, float], ...] = ()
    suggestions: tuple[tuple[Entry, float], ...] = ()
    example_of: Entry | None = None  # the query names an instance of this entry (its `examples:`), not it


@dataclass
class _Scored:
    best: dict[str, float] = field(default_factory=dict)

    def add(self, entry_id: str, score: float) -> None:
        if score > self.best.get(entry_id, -1.0):
            self.best[entry_id] = score

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.best.items(), key=lambda kv: (-kv[1], kv[0]))


def _candidate_keys(index: GlossaryIndex, key: str) -> list[int]:
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
    postings = [p for i, p in enumerate(postings) if i < half or len(p) <= STOP_GRAM]
    total = sum(len(p) for p in postings)
    if total > WORD_PATH_POSTINGS and (by_words := _word_candidates(index, key)):
        return by_words
    return _trigram_candidates(postings, total, max(1, len(grams) // 4), _numpy_allowed(index))


def _numpy_allowed(index: GlossaryIndex) -> bool:
    """numpy only pays for itself on large glossaries (importing it costs ~100 ms and ~12 MB)."""
    return len(index.key_lengths) > NUMPY_MIN_KEYS


def _trigram_candidates(postings: list[Sequence[int]], total: int, need: int, use_numpy: bool) -> list[int]:
    """The MAX_CANDIDATES keys sharing the most trigrams with the query (ties by key id), among those
    sharing at least `need`, given the posting lists to count. Many postings are counted by numpy: sorting
    them when there are a few thousand (the work follows the postings), one counter per key beyond that."""
    if total <= DENSE_GRAM_POSTINGS or not use_numpy:
        hits = Counter(chain.from_iterable(postings))  # counted in C
        return [
            k for _, k in heapq.nsmallest(MAX_CANDIDATES, [(-c, k) for k, c in hits.items() if c >= need])
        ]
    import numpy as np

    joined = np.concatenate([_int_array(np, p) for p in postings])
    if total <= SORT_COUNT_POSTINGS:
        joined.sort(kind="stable")  # each posting list is sorted: a stable sort merges the runs
        starts = np.flatnonzero(_run_starts(np, joined))
        ids, counts = joined[starts], np.diff(np.append(starts, len(joined)))
        keep = counts >= need
        ids, counts = ids[keep], counts[keep]
    else:
        counts = np.bincount(joined)
        ids = np.flatnonzero(counts >= need)
        counts = counts[ids]
    if len(ids) > MAX_CANDIDATES:  # keep the best counts (and every id tied with the last) before sorting
        cut = counts >= _kth_largest_count(np, counts, MAX_CANDIDATES)
        ids, counts = ids[cut], counts[cut]
    return ids[np.lexsort((ids, -counts))][:MAX_CANDIDATES].tolist()


def _kth_largest_count(np, counts, k: int) -> int:
    """The k-th largest of some small non-negative counts (shared trigrams), from their histogram: what
    np.partition finds, in a fraction of its time."""
    at_least = np.cumsum(np.bincount(counts)[::-1])[::-1]  # at_least[c]: how many counts are >= c
    return int(np.flatnonzero(at_least >= k)[-1])


def _word_candidates(index: GlossaryIndex, key: str) -> list[int] | None:
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
    if sum(len(p) for lists in per_word for p in lists) <= DENSE_GRAM_POSTINGS or not _numpy_allowed(index):
        held = Counter(chain.from_iterable(set(chain.from_iterable(lists)) for lists in per_word))
        lengths = index.key_lengths
        best = sorted((-c, abs(lengths[k] - size), k) for k, c in held.items() if c >= need)
        return [k for _, _, k in best[:MAX_CANDIDATES]] or None
    import numpy as np

    sets = sorted(
        (
            _union(np, [_int_array(np, p) for p in lists]) if len(lists) > 1 else _int_array(np, lists[0])
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
        joined = np.concatenate(sets)
        joined.sort(kind="stable")
        heads = joined[: len(joined) - need + 1]
        universe = heads[heads == joined[need - 1 :]]
        if need == len(sets):  # in every set: each such key once (a set holds a key once)
            held = np.full(len(universe), need, dtype=np.int64)
        else:
            universe = universe[_run_starts(np, universe)]
            held = np.searchsorted(joined, universe, "right") - np.searchsorted(joined, universe, "left")
    else:  # a few keys to look up in much larger sets: binary searches touch far less memory
        universe = sets[0] if spare == 0 else _union(np, sets[: spare + 1])
        held = np.full(len(universe), 1 if spare == 0 else 0, dtype=np.int64)
        for ids in sets[1:] if spare == 0 else sets:
            at = np.searchsorted(ids, universe)
            held += ids[np.minimum(at, len(ids) - 1)] == universe
    enough = held >= need
    found, held = universe[enough], held[enough]
    if not len(found):
        return None
    gap = np.abs(np.frombuffer(index.key_lengths, dtype=np.uint8)[found].astype(np.int64) - size)
    return found[np.lexsort((found, gap, -held))][:MAX_CANDIDATES].tolist()


def _union(np, arrays):
    """The sorted distinct ids of several id arrays (np.unique takes ~20 times longer on numpy 2.4)."""
    joined = np.concatenate(arrays)
    joined.sort(kind="stable")  # merges the sorted runs: 2-3 times faster than the default sort here
    return joined[_run_starts(np, joined)]


def _run_starts(np, ordered):
    """True where a sorted array's value differs from the one before: the first of each run of equal ids."""
    if not len(ordered):
        return np.zeros(0, dtype=bool)  # not [True]: that would index an empty array out of range
    return np.concatenate(([True], ordered[1:] != ordered[:-1]))


def _int_array(np, values):
    return (
        np.frombuffer(values, dtype=np.int32)
        if isinstance(values, array)
        else np.asarray(values, dtype=np.int64)
    )


def _scores(query: str, choices: list[str], scorer) -> list[float]:
    """scorer(query, choice) for every choice, computed in rapidfuzz's C++ loop."""
    from rapidfuzz import process

    out = [0.0] * len(choices)
    for _, score, i in process.extract(query, choices, scorer=scorer, processor=None, limit=None):
        out[i] = score
    return out


def _fuzzy_accepts(
    query_key: str, key: str, kind: str, ratio: float, distance: int, typed_words: _TypedWords, written: str
) -> bool:
    """Whether the query is `key` misspelt: a few letters dropped, doubled, swapped or changed inside the
    same words, never another word. `distance` is the edit distance of the space-free keys; `typed_words`
    tells which of the query's words were English words as typed; `written` is the name as written."""
    q = query_key.replace(" ", "")
    k = key.replace(" ", "")
    shortest = min(len(q), len(k))
    if shortest <= 3 or _digits(q) != _digits(
        k
    ):  # numbers are identity, never typos: float4/float8, GSM1K/GSM8K
        return False
    if _capital_added(q, k, typed_words.typed, written):
        return False  # a capital letter at the end is part of the name: AutoGPT is not AutoGPTQ
    if kind == "alias" and len(k) <= SHORT_ALIAS:
        return False  # short aliases are other names' spellings (AIME, Eval, LVLM, DSpark): exact only
    if shortest <= SHORT_NAME or kind == "acronym":  # the shorter of the two has four letters or fewer
        # One letter changed, added or dropped turns a short name or an acronym into another real one (GPT4
        # and GPTQ, NoPE and RoPE, LoHa and LoRA, SimNPO and SimPO): only two neighbours swapped ("GPQT") or
        # a letter doubled or undoubled ("MMLLU") pass.
        if distance != 1:
            return False
        return _swapped(q, k) if len(q) == len(k) else _doubled(q, k) or _doubled(k, q)
    if shortest <= 6:
        close = distance <= 1
    else:  # a few edits for the length, or a close spelling with about the key's length ("tokenisaton")
        close = distance <= max(1, shortest // 7) or (
            ratio >= FUZZY_MIN_RATIO and abs(len(q) - len(k)) <= max(2, shortest // 6)
        )
    return close and _same_words(query_key.split(), key.split(), q, k, distance, typed_words)


def _same_words(
    query_words: list[str], key_words: list[str], q: str, k: str, distance: int, typed_words: _TypedWords
) -> bool:
    """Whether the edits stay inside the key's words: words joined or split ("flash atention"), or each
    changed word a misspelling of its counterpart (one edit in a word under eight letters, two from eight;
    no changed letter in words of three letters or fewer, so "top p" is not "top k"). Not a
    word added ("HumanEval X"), a prefix added or dropped ("unsupervised", "non causal", "unpaired"),
    letters added at a word's end ("functional"), or a real English word in place of another ("decider",
    "content window", joined or not: "ModeCollapse"): that is a different word, even one letter away, unless
    it is an inflection ("page attention"), a letter doubled or undoubled, or two neighbouring letters
    swapped ("bets of n"), which make a real word only by accident."""
    if len(query_words) != len(key_words):
        if distance > 1:
            return False
        longer, other = (query_words, k) if len(query_words) > len(key_words) else (key_words, q)
        if not all(
            w in other for w in longer if len(w) <= 2
        ):  # "kv cahce" splits "kvcahce"; "kv x cache" adds x
            return False
        # With a letter changed as well, each real word must still be there, within the key's words: "flash
        # atention" is "flashattention", "sentance piece" is "sentencepiece"; "retraining" is not "pre training".
        if distance and len(query_words) < len(key_words) and _real_word_in_joined(q, k, key_words):
            return (
                False  # "ModeCollapse", "ContentWindow": the edit makes a real word of one of the key's words
            )
        return distance == 0 or all(
            _within_key_words(said, key_words)
            for said in query_words
            if typed_words.english_form(said) is not None
        )
    from rapidfuzz.distance import OSA

    for said, meant in zip(query_words, key_words):
        if said == meant or _inflected(said, meant):  # "group query attention", "page attention"
            continue
        if _prefixed(said, meant) or _prefixed(meant, said) or _suffixed(said, meant):
            return False
        typed = typed_words.english_form(said)
        if typed is not None and not _same_word(said, meant, typed):
            return False
        if min(len(said), len(meant)) <= 3:
            # A letter dropped, added or swapped ("Inference-Tim Compute", "Mixture iof Experts"); a changed
            # one makes another short word ("top p" is not "top k").
            if OSA.distance(said, meant) > 1 or (len(said) == len(meant) and not _swapped(said, meant)):
                return False
        elif min(OSA.distance(said, meant), OSA.distance(said + "s", meant)) > (
            2 if len(meant) >= 8 else 1
        ) and not (meant.startswith(said) and len(meant) - len(said) <= 2):
            # said + "s": the plural folding took an s that belonged to the word ("proceds" is "proced");
            # a word cut short ("Model Collaps") is a typo too.
            return False
    return True


def _doubled(longer: str, word: str) -> bool:
    """Whether `longer` is `word` with one of its letters typed twice."""
    return len(longer) == len(word) + 1 and any(
        longer[i] == longer[i + 1] and longer[:i] + longer[i + 1 :] == word for i in range(len(longer) - 1)
    )


def _capital_added(q: str, k: str, typed: str, written: str) -> bool:
    """Whether one name is the other with a capital letter added at the end, as written in mixed case:
    AutoGPT and AutoGPTQ, MMLU-Pro and MMLU-ProX (a capital at the end names a variant; "FlashAttentio" and
    "QLoRAA" are typos). All-capital text carries no such sign ("SWIGLUE")."""
    if len(k) == len(q) + 1 and k.startswith(q):
        longer, longer_key = written, k
    elif len(q) == len(k) + 1 and q.startswith(k):
        longer, longer_key = typed, q
    else:
        return False
    if longer_key[-1] == longer_key[-2]:
        return False  # a doubled letter is a typo: "QLoRAA"
    letters = [c for c in longer if c.isalpha()]
    return bool(letters) and letters[-1].isupper() and any(c.islower() for c in letters)


def _within_key_words(word: str, key_words: list[str]) -> bool:
    """Whether `word` occurs in the joined key words from the start of one of them ("flash" in "flashattention")
    or inside one of them ("piece" in "sentencepiece"); not straddling two from inside one ("retraining" in
    "pre training")."""
    joined, spans, at = "".join(key_words), [], 0
    for part in key_words:
        spans.append((at, at + len(part)))
        at += len(part)
    found = joined.find(word)
    while found >= 0:
        start, end = next(span for span in spans if span[0] <= found < span[1])
        if found == start or found + len(word) <= end:
            return True
        found = joined.find(word, found + 1)
    return False


def _real_word_in_joined(q: str, k: str, key_words: list[str]) -> bool:
    """Whether the joined query `q` (one edit from the joined key `k`) spells, where the key word holding the
    edit stands, an English word that is neither that word nor an inflection of it ("ModeCollapse"). An edit
    at the edge of two words may belong to either: real only if it is so both ways."""
    edit = next((j for j, (a, b) in enumerate(zip(q, k)) if a != b), min(len(q), len(k)))
    verdicts, start = [], 0
    for meant in key_words:
        end = start + len(meant)
        # The edit is inside this word, or a letter added at its end (which may belong to the next word too).
        if start <= edit < end or (edit == end and len(q) > len(k)):
            said = q[start : end + len(q) - len(k)]
            verdicts.append(said != meant and is_english_word(said) and not _same_word(said, meant))
        start = end
    return bool(verdicts) and all(verdicts)


def _inflected(said: str, meant: str) -> bool:
    """Whether two words are forms of one: the same stem, or `meant` is `said` + "d"/"ed" (page and paged,
    augment and augmented), which the light stemmer does not see."""
    return stem(said) == stem(meant) or meant in (said + "d", said + "ed")


def _same_word(said: str, meant: str, typed: str | None = None) -> bool:
    """Whether the key word `said` (typed as `typed`) is `meant` inflected, with a letter doubled or undoubled,
    or with two neighbouring letters swapped: the same word, not another one."""
    return (
        _inflected(said, meant)
        or key_word(said) == meant
        or _squeezed(said) == _squeezed(meant)
        or _swapped(typed or said, meant)
    )


def _squeezed(word: str) -> str:
    """`word` with every run of one letter written once: "modelling" and "modeling" agree."""
    return re.sub(r"(.)\1+", r"\1", word)


def _swapped(typed: str, word: str) -> bool:
    """Whether `typed` is `word` with two neighbouring letters swapped."""
    if len(typed) != len(word):
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, word)) if a != b]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and sorted(typed) == sorted(word)


def _prefixed(longer: str, word: str) -> bool:
    """Whether `longer` is `word` with two or more letters in front (un-supervised, non-causal): another
    word, where a typo adds one letter."""
    return len(longer) - len(word) >= 2 and longer.endswith(word)


def _suffixed(longer: str, word: str) -> bool:
    """Whether the query's word `longer` is the key's `word` with two or more letters added behind
    (function-al). Only this way round: a key word longer at the end is the typed word cut short, by the
    typist or by the plural folding ("collapse" typed "collaps" becomes "collap"), which is a typo."""
    return len(longer) - len(word) >= 2 and longer.startswith(word)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def fuzzy_scores(
    index: GlossaryIndex, query_key: str, decisive_only: bool = False, typed: str | None = None
) -> tuple[_Scored, _Scored]:
    """(accepted fuzzy matches, candidate similarities) per entry, 0-100, for the key of the query `typed`
    (default: the key itself). Candidates close in length are
    scored first. With `decisive_only` (resolve), once a match is accepted the others are scored only if
    they could still matter, i.e. come within FUZZY_MARGIN of it: a candidate's similarity is capped by
    its length alone, and its 0.9 x token_set_ratio by 90, so when the best is 94 or more a candidate whose
    length caps it below the rival line is skipped, and the answer (entry, score, rivals) is unchanged."""
    accepted, seen = _Scored(), _Scored()
    ids = _candidate_keys(index, query_key)
    if not ids:
        return accepted, seen
    letters = len(query_key) - query_key.count(" ")
    lengths = index.key_lengths
    ids.sort(key=lambda k: (abs(lengths[k] - letters), k))
    near = [k for k in ids if abs(lengths[k] - letters) <= max(3, letters // 4)]
    far = ids[len(near) :]
    typed_words = _TypedWords(typed if typed is not None else query_key)
    _score_candidates(index, query_key, near, accepted, seen, typed_words)
    if far and decisive_only and accepted.best:
        rival_line = max(accepted.best.values()) - FUZZY_MARGIN
        if rival_line >= 90:
            far = [k for k in far if _ratio_cap(query_key, letters, lengths[k]) > rival_line]
    _score_candidates(index, query_key, far, accepted, seen, typed_words)
    return accepted, seen


class _TypedWords:
    """The query's words as typed, by key word, and which of them are English words: "spars" is one,
    "continuos" is not, though its key word is "continuo". Worked out only for the words the word rules ask
    about, once per query: most queries never get that far."""

    def __init__(self, typed: str):
        self.typed = typed
        self._forms: dict[str, list[str]] | None = None
        self._real: dict[str, str | None] = {}

    def english_form(self, word: str) -> str | None:
        """How the query's key word `word` was typed, if that is an English word (every form of it is, when
        several typed words fold to it); None otherwise."""
        if word not in self._real:
            if self._forms is None:
                self._forms = defaultdict(list)
                for w in words(self.typed):
                    self._forms[key_word(w)].append(w)
            forms = self._forms.get(word, ())
            self._real[word] = forms[0] if forms and all(map(is_english_word, forms)) else None
        return self._real[word]


def _ratio_cap(query_key: str, letters: int, key_letters: int) -> float:
    """The highest fuzz.ratio(query_key, key) can be for a key of `key_letters` letters: ratio is
    100 * (1 - indel distance / total length); the distance is at least the difference in letters (spaces
    aside), and a key of n letters is at most 2n - 1 characters long (words joined by single spaces)."""
    return 100.0 * (1.0 - abs(letters - key_letters) / (len(query_key) + max(1, 2 * key_letters - 1)))


def _score_candidates(
    index: GlossaryIndex,
    query_key: str,
    key_ids: list[int],
    accepted: _Scored,
    seen: _Scored,
    typed_words: _TypedWords,
) -> None:
    if not key_ids:
        return
    from rapidfuzz import fuzz  # imported on the first fuzzy lookup: a start needs none of it
    from rapidfuzz.distance import OSA

    candidates = index.keys_at(key_ids)
    keys = [key for key, _ in candidates]
    ratios = _scores(query_key, keys, fuzz.ratio)
    token_ratios = _scores(query_key, keys, fuzz.token_set_ratio)
    # Edit distance on the space-free keys: "kvcache" is one edit from "kv cache", not two.
    distances = _scores(query_key.replace(" ", ""), [key.replace(" ", "") for key in keys], OSA.distance)
    most_edits = max(1, len(query_key.replace(" ", "")) // 7)  # no accepting rule allows more edits than this
    for (key, nk), ratio, token_ratio, distance in zip(candidates, ratios, token_ratios, distances):
        seen.add(nk.entry_id, max(ratio, token_ratio * 0.9))
        if (distance <= most_edits or ratio >= FUZZY_MIN_RATIO) and _fuzzy_accepts(
            query_key, key, nk.kind, ratio, int(distance), typed_words, nk.text
        ):
            accepted.add(nk.entry_id, ratio)


def _typo_reachable(index: GlossaryIndex, key: str) -> bool:
    """Whether any name could be `key` misspelt: not when it is longer than every name by two words."""
    return bool(key) and key.count(" ") <= index.max_name_words


def resolve(
    index: GlossaryIndex, query: str, with_suggestions: bool = True, fuzzy: bool = True
) -> Resolution:
    """Resolve a (validated) name to one entry, or explain why not (with suggestions unless the
    caller ranks candidates itself, as search does)."""

    def not_found(seen: _Scored | None = None) -> Resolution:
        return Resolution(None, suggestions=tuple(suggest(index, query, seen)) if with_suggestions else ())

    by_id = index.glossary.by_id
    raw = index.raw_names.get(fold(query).strip())
    if raw is not None:
        return Resolution(by_id[raw.entry_id], raw.kind, 1.0)
    key = name_key(query)
    if not key:
        return not_found()
    nk = index.keys.get(key) or index.compact_keys.get(key.replace(" ", ""))
    if nk is not None:
        return Resolution(by_id[nk.entry_id], "normalized", 1.0)
    owner = index.example_of.get(key.replace(" ", ""))
    if owner is not None:  # an instance is not its concept: not found, its concept suggested first
        rest = [(e, s) for e, s in suggest(index, query) if e.id != owner] if with_suggestions else []
        return Resolution(None, suggestions=((by_id[owner], 1.0), *rest[:4]), example_of=by_id[owner])
    if not fuzzy or not _typo_reachable(index, key):
        return not_found()
    accepted, seen = fuzzy_scores(index, key, decisive_only=True, typed=query)
    ranked = accepted.ranked()
    if ranked:
        best_id, best = ranked[0]
        rivals = [(eid, s) for eid, s in seen.ranked() if eid != best_id and s > best - FUZZY_MARGIN]
        if rivals:
            tied = [(by_id[best_id], best / 100)] + [(by_id[eid], s / 100) for eid, s in rivals[:4]]
            return Resolution(None, ambiguous=tuple(tied), suggestions=tuple(tied))
        return Resolution(by_id[best_id], "fuzzy", round(best / 100, 3))
    return not_found(seen)


def suggest(
    index: GlossaryIndex, query: str, seen: _Scored | None = None, limit: int = 5
) -> list[tuple[Entry, float]]:
    """Closest entries for a query that did not resolve: name similarity fused with search."""
    if seen is None:
        key = name_key(query)
        seen = fuzzy_scores(index, key)[1] if _typo_reachable(index, key) else _Scored()
    pool = _Scored()
    for entry_id, score in seen.ranked()[:20]:
        if score >= SUGGESTION_FLOOR:
            pool.add(entry_id, score / 100)
    for rank, (doc, score) in enumerate(bm25(index, query, top=10)):
        pool.add(index.entries[doc].id, min(0.95, 0.5 * score + 0.3 - 0.02 * rank))
    if index.example_of:  # a near miss of an instance's name suggests the concept it is an example of
        from rapidfuzz import fuzz

        examples = list(index.example_of)
        for example, score in zip(examples, _scores(compact_key(query), examples, fuzz.ratio)):
            if score >= SUGGESTION_FLOOR:
                pool.add(index.example_of[example], score / 100)
    by_id = index.glossary.by_id
    return [(by_id[eid], round(s, 3)) for eid, s in pool.ranked()[:limit]]


# -- full-text search --------------------------------------------------------
def bm25(
    index: GlossaryIndex, text: str, allowed: set[int] | frozenset[int] | None = None, top: int | None = None
) -> list[tuple[int, float]]:
    """(entry position, score normalised to the best hit = 1.0), best first, ties by position;
    only the best `top` when given."""
    lists = [p for t in dict.fromkeys(search_tokens(text)) if (p := index.posting(t)) is not None]
    if top is not None and sum(len(p.docs) for p in lists) > DENSE_POSTINGS and _numpy_allowed(index):
        scores = _dense_top(len(index.entries), lists, allowed, top)
    else:
        scores = defaultdict(float)
        for docs, impacts in lists:
            for doc, impact in zip(docs, impacts):
                scores[doc] += impact
        if allowed is not None:
            scores = {d: s for d, s in scores.items() if d in allowed}
    if not scores:
        return []
    best = max(scores.values())
    keyed = [(-s, d) for d, s in scores.items()]  # best score first, ties by position
    ranked = heapq.nsmallest(top, keyed) if top is not None and top < len(keyed) else sorted(keyed)
    return [(d, -s / best) for s, d in ranked]


def _dense_top(
    n: int, lists: list[Posting], allowed: set[int] | frozenset[int] | None, top: int
) -> dict[int, float]:
    """The same sums as the loop in bm25, in C: one float64 accumulator per entry, posting lists added
    token by token (so each entry's additions happen in the same order and give the same doubles), then
    only the entries tied with or above the top-th best score come back to Python. numpy is imported
    here, on the first long query, so small glossaries never pay for it."""
    import numpy as np

    k = min(top, n)
    if k <= 0:
        return {}
    # np.add.at adds in array order, list by list, from 0.0: the loop's doubles. Adding list by list needs
    # no concatenated copies (bincount also casts the entries to int64), so far less memory is touched.
    acc = np.zeros(n)
    docs = [_int_array(np, p.docs) for p in lists]
    for p, at in zip(lists, docs):
        np.add.at(acc, at, _float_array(np, p.impacts))
    if allowed is not None:  # only the category's entries compete: gather them rather than zero the others
        positions = _positions(np, allowed)
        found, scores = _top_scores(np, acc[positions], k)
        found = positions[found]
    elif sum(map(len, docs)) * SPARSE_TOP_RATIO <= n:
        # Few entries were touched: rank those (their distinct positions, merged) rather than scan all of acc.
        touched = _union(np, docs)
        values = acc[touched]
        positive = values > 0  # as _top_scores keeps: an entry's impacts could in principle sum to 0
        found, scores = _best_of(np, touched[positive], values[positive], k)
    else:
        found, scores = _top_scores(np, acc, k)
    return dict(zip(found.tolist(), scores.tolist()))


def _float_array(np, values):
    return (
        np.frombuffer(values, dtype=np.float64)
        if isinstance(values, array)
        else np.asarray(values, dtype=np.float64)
    )


def _top_scores(np, acc, k: int):
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


def _best_of(np, found, values, k: int):
    """(found, values) cut to the entries scoring at least the k-th best value, in their given order."""
    if len(found) > k:
        keep = values >= np.partition(values, len(values) - k)[len(values) - k]
        found, values = found[keep], values[keep]
    return found, values


def _positions(np, allowed: set[int] | frozenset[int]):
    """Allowed entry positions as an array, in any order. category_positions hands out the same frozenset
    per category, so a repeat search costs one dictionary lookup instead of a 12,000-item walk (at most 16
    kept: a category's set and array are ~1 MB at 100,000 entries)."""
    if isinstance(allowed, frozenset):
        return _frozen_positions(allowed)
    return np.fromiter(allowed, dtype=np.intp, count=len(allowed))


@lru_cache(maxsize=16)
def _frozen_positions(allowed: frozenset[int]):
    import numpy as np

    return np.fromiter(allowed, dtype=np.intp, count=len(allowed))


def search(index: GlossaryIndex, query: str, limit: int, category: str | None) -> list[tuple[Entry, float]]:
    """Rank entries for a query: a resolved name first, then BM25F, fused."""
    allowed = index.category_positions(category) if category else None
    fused: dict[int, float] = defaultdict(float)
    # At most five entries get a name boost below, so the best limit + 5 text hits hold the fused top `limit`.
    for doc, score in bm25(index, query, allowed, top=limit + 5):
        fused[doc] += 0.8 * score
    # A description of several words is a search, not a misspelled name: typo matching is for short queries.
    short = len(query.split()) <= SEARCH_FUZZY_WORDS
    resolution = resolve(index, query, with_suggestions=False, fuzzy=short)
    if resolution.entry is not None:
        doc = index.position[resolution.entry.id]
        if allowed is None or doc in allowed:
            fused[doc] += 1.0 + 0.2 * resolution.score
    else:
        for entry, score in resolution.ambiguous:
            doc = index.position[entry.id]
            if allowed is None or doc in allowed:
                fused[doc] += 0.5 * score
    if not fused:
        return []
    top = max(fused.values())
    ranked = sorted(fused.items(), key=lambda ds: (-ds[1], ds[0]))[:limit]
    return [(index.entries[doc], round(score / top, 3)) for doc, score in ranked]


_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")


@lru_cache(maxsize=2048)
def _sentences(definition: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """A definition's sentences with their stemmed words (cached: the same hits come back often)."""
    sentences = [s.strip() for s in _SENTENCE.findall(definition) if s.strip()] or [definition]
    return tuple((s, frozenset(search_tokens(s))) for s in sentences)


def snippet(entry: Entry, query: str, width: int = 220, wanted: set[str] | None = None) -> str:
    """The definition sentence sharing the most stemmed words with the query (the first on ties);
    `wanted` is the query's search tokens, when the caller has them already."""
    wanted = set(search_tokens(query)) if wanted is None else wanted
    best, most = "", -1
    for sentence, tokens in _sentences(entry.definition):
        shared = len(wanted & tokens)
        if shared > most:
            best, most = sentence, shared
    return best if len(best) <= width else best[: width - 3].rstrip() + "..."


# -- names in free text -------------------------------------------------------
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_JOIN_GAP = re.compile(r"(?:[\s\-‐‑–—_/]|\b(?:a|an|the)\b)*", re.IGNORECASE)


@dataclass(frozen=True)
class Spot:
    entry_id: str
    start: int
    end: int


def _surface_matches(surface: Surface, found: str) -> bool:
    if not surface.case_sensitive:
        return True
    bare = re.sub(r"[\W_]+", "", found)
    want = re.sub(r"[\W_]+", "", surface.text)
    return bare == want or bare == want + "s"


def spot_names(index: GlossaryIndex, text: str) -> list[Spot]:
    """Every glossary name in `text`, longest match first, on word boundaries."""
    tokens = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    kept = [(s, e, key_word(fold(w))) for s, e, w in tokens if not is_article(fold(w))]
    # A name may span spaces, hyphens, slashes and dropped articles, never a comma or a full stop.
    joinable = [bool(_JOIN_GAP.fullmatch(text[kept[k][1] : kept[k + 1][0]])) for k in range(len(kept) - 1)]
    spots: list[Spot] = []
    i = 0
    while i < len(kept):
        matched = False
        longest = index.phrase_starts.get(kept[i][2], 0)  # no name starts with most words
        for length in range(min(longest, len(kept) - i), 0, -1):
            if length > 1 and not all(joinable[i : i + length - 1]):
                continue
            window = kept[i : i + length]
            surfaces = index.phrases.get(tuple(w for _, _, w in window))
            if not surfaces:
                continue
            start, end = window[0][0], window[-1][1]
            found = text[start:end]
            hits = [s for s in surfaces if _surface_matches(s, found)]
            if hits:
                spots.append(Spot(hits[0].entry_id, start, end))
                i += length
                matched = True
                break
        if not matched:
            i += 1
    return spots


def definition_mentions(index: GlossaryIndex, entry: Entry) -> list[str]:
    """Ids of other entries named in this entry's definition, in order of first mention."""
    return list(
        dict.fromkeys(s.entry_id for s in spot_names(index, entry.definition) if s.entry_id != entry.id)
    )


__all__ = [
    "Resolution",
    "bm25",
    "definition_mentions",
    "first_sentence",
    "resolve",
    "search",
    "snippet",
    "spot_names",
    "suggest",
]
