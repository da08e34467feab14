"""The one name matcher: which entry a name or a span of text names, tier by tier, most literal first.

define_term (decide.py), find_terms_in_text (spotting.py) and suggestions ask the same question of a list of
key words (normalize.py's `name_key` words, so case, Unicode, separators, articles, plurals and British
spelling are already folded):

1. normalised: the key words as a name key (`index.keys`);
2. joined: the key words with the spaces removed (`index.compact_keys`: "multi head" = "multihead");
3. stemmed: the Snowball stems of the words (`index.stem_phrases`, where each name is filed with its words
   stemmed, with neighbours joined and split at camel humps): "quantizing" = "quantized" = "quantization",
   "pretrained" = "pre-training", "Flash Attention" = "FlashAttention".

A looser tier is tried only when the stricter ones found nothing, and it is accepted only when it names one
entry; several entries at that tier are a tie, never a guess. Short acronyms ("MoE", "SFT") are not stemmed:
they are not words and do not inflect.

The Snowball stemmer (snowballstemmer, BSD, pure Python) costs ~20 µs a word, so stems are cached per word;
a passage repeats its words, and names are stemmed once when the index is built.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

from ai_glossary_mcp.search.english_words import is_english_word
from ai_glossary_mcp.search.normalize import name_key, search_tokens, stem

if TYPE_CHECKING:  # data/index.py builds with this module: a run-time import would be circular
    from ai_glossary_mcp.data.contract import IndexView

STEM_WORD_CHARS = 40  # longer "words" are not words: not stemmed, not cached
JOINED_WORD_MIN = 3  # words are joined (or split at camel humps) only into and out of words of 3+ letters
ADJECTIVE_ENDINGS = ("al", "ive", "ous", "ic", "ful", "less", "ly")  # suffixes that make a word describe
_CAMEL_HUMP = re.compile(r"(?<=[a-z])(?=[A-Z])")
_Fact = TypeVar("_Fact", float, bool)


_per_thread = threading.local()


def _stemmer() -> Any:
    """This thread's Snowball English stemmer, made on its first stem: importing snowballstemmer loads all
    its ~30 languages (~15 ms), which a start that serves a compiled store does not need. One per thread:
    a stemmer keeps its word in its own fields while it works, so two threads sharing one (the HTTP server
    runs tool calls in worker threads) get wrong stems, which the cache below would then keep."""
    stemmer = getattr(_per_thread, "stemmer", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _per_thread.stemmer = snowballstemmer.stemmer("english")
    return stemmer


@lru_cache(maxsize=32768)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def stem_word(word: str) -> str:
    """The Snowball stem of one folded word (words of digits and long strings are kept as they are)."""
    if len(word) > STEM_WORD_CHARS or not word.isalpha():
        return word
    return _stem(word)


def _camel_split(text: str) -> str:
    """ "FlashAttention" -> "Flash Attention": the words a joined name joins, when each hump is a word."""
    humps = _CAMEL_HUMP.sub(" ", text)
    return humps if humps != text and all(len(h) >= JOINED_WORD_MIN for h in humps.split()) else text


def stem_forms(name: str) -> set[tuple[str, ...]]:
    """The stemmed spellings a name is filed under: its key words stemmed, with one pair of neighbouring
    words joined, and all joined ("fine-tuning": fine|tune, finetun), from its written words and from its
    camel humps ("FlashAttention": flash|attent). Only words of 3+ letters are joined ("tok/s" is not
    "toks")."""
    forms: set[tuple[str, ...]] = set()
    for spelling in dict.fromkeys((name, _camel_split(name))):
        key_words = name_key(spelling).split()
        variants = [key_words]
        long_enough = [len(w) >= JOINED_WORD_MIN for w in key_words]
        for i in range(len(key_words) - 1):
            if long_enough[i] and long_enough[i + 1]:
                variants.append([*key_words[:i], key_words[i] + key_words[i + 1], *key_words[i + 2 :]])
        if len(key_words) > 2 and all(long_enough):
            variants.append(["".join(key_words)])
        forms.update(tuple(stem_word(w) for w in v) for v in variants if v)
    return forms


def stemmed_ids(index: IndexView, key_words: Sequence[str], stems: Sequence[str]) -> tuple[str, ...]:
    """The stemmed tier for key words and their stems (spotting has both already): the entries whose
    stemmed forms they spell. Not for an adjective ("functional" is not "function": it names a property)
    nor for one word that is its own stem ("token": a word, not an inflected name)."""
    ids: tuple[str, ...] = index.stem_phrases.get(tuple(stems), ())
    if not ids and len(stems) == 2:  # written apart, filed joined ("Re-Rank": "reranking")
        ids = index.stem_phrases.get((stem_word("".join(key_words)),), ())
    if not ids:
        return ()
    bare = len(stems) == 1 and stems[0] == key_words[0]
    if bare or any(w.endswith(ADJECTIVE_ENDINGS) and s != w for w, s in zip(key_words, stems, strict=True)):
        nk = index.compact_keys.get("".join(key_words))  # then only the name it spells joined
        return (nk.entry_id,) if nk is not None and nk.entry_id in ids else ()
    return ids


@dataclass(frozen=True, slots=True)
class NameMatch:
    """What the matcher found: the tier ("normalized", "joined" or "stemmed") and the entry ids it names
    (one: a match; several: a tie at that tier)."""

    tier: str
    ids: tuple[str, ...]

    @property
    def entry_id(self) -> str | None:
        return self.ids[0] if len(self.ids) == 1 else None


def match_words(index: IndexView, key_words: Sequence[str], literal: bool = True) -> NameMatch | None:
    """The strictest tier at which `key_words` name something, or None (`literal=False` skips tier 1, for
    a caller that has checked it its own way, as spotting does with case-sensitive acronyms)."""
    if not key_words:
        return None
    if literal:
        nk = index.keys.get(" ".join(key_words))
        if nk is not None:
            return NameMatch("normalized", (nk.entry_id,))
    compact = "".join(key_words)
    nk = index.compact_keys.get(compact)
    if nk is not None:
        return NameMatch("joined", (nk.entry_id,))
    ids = stemmed_ids(index, key_words, [stem_word(w) for w in key_words])
    return NameMatch("stemmed", ids) if ids else None


# -- a name with other words around it (define_term only: a span of text is matched word by word) ----------
# How informative a word is comes from the served glossary itself: the share of entries whose text uses it
# (BM25F's document frequency, computed when the index is built). No word list is kept here.
GENERIC_SHARE = 0.2  # a word in at least this share of entries says little ("model", "training")
MODIFIER_SHARE = 0.04  # a leading modifier must be at least this common, and used by the entry's own text
PREFIXED_NAMES = 8  # names tried when the query is the start of a longer name
WORD_FACTS = 4096  # words whose facts are kept per index (a full table starts afresh)


class _WordFacts:
    """What the modifier pass has worked out about single words of one index: questions repeat their words
    ("model", "training"), and whether a word is a head noun costs ~12 µs (its deletion variants looked
    up). Holds no reference to the index, so the index can go (and its facts with it) when a reload
    replaces it; words longer than STEM_WORD_CHARS (a client's junk) are answered, never kept."""

    __slots__ = ("head", "share", "spelt")

    def __init__(self) -> None:
        self.share: dict[str, float] = {}  # the share of entries whose text uses the word
        self.spelt: dict[str, bool] = {}  # an English word, so it may be a head noun
        self.head: dict[str, bool] = {}  # a head noun: English, and no near-miss of a name's word


_FACTS: WeakKeyDictionary[IndexView, _WordFacts] = WeakKeyDictionary()


def _facts(index: IndexView) -> _WordFacts:
    facts = _FACTS.get(index)
    if facts is None:
        facts = _FACTS[index] = _WordFacts()
    return facts


def _kept(table: dict[str, _Fact], word: str, value: _Fact) -> _Fact:
    if len(word) <= STEM_WORD_CHARS:
        if len(table) >= WORD_FACTS:
            table.clear()
        table[word] = value
    return value


def is_generic(index: IndexView, word: str) -> bool:
    """Whether the glossary uses a word too widely for it to tell concepts apart ("model", "training")."""
    return _share(index, word) >= GENERIC_SHARE


def _share(index: IndexView, word: str) -> float:
    table = _facts(index).share
    found = table.get(word)
    if found is None:
        posting = index.posting(stem(word))
        found = _kept(
            table, word, len(posting.docs) / max(len(index.entries), 1) if posting is not None else 0.0
        )
    return found


@lru_cache(maxsize=1024)
def _words_of(text: str) -> frozenset[str]:
    return frozenset(search_tokens(text))


def _entry_words(index: IndexView, entry_id: str) -> frozenset[str]:
    """The stemmed words an entry describes itself with: its names, tags and definition (cached by text)."""
    entry = index.entries[index.position[entry_id]]
    return _words_of(" ".join((entry.term, *entry.aliases, *entry.tags, entry.definition)))


def _quantity(words: Sequence[str], i: int) -> bool:
    """Whether the word at `i` is part of a quantity ("4 bit": a numeral and the word it counts)."""
    return words[i].isdigit() or bool(i and words[i - 1].isdigit())


def _generic_modifier(index: IndexView, words: Sequence[str], i: int) -> bool:
    """The part of `_modifiers_ok` that is the same for every entry, for the word at `i` (it reads only the
    words up to `i`): a quantity, or a word the glossary uses generically."""
    return _quantity(words, i) or _share(index, words[i]) >= MODIFIER_SHARE


def _modifiers_ok(index: IndexView, before: Sequence[str], entry_id: str) -> bool:
    """Words before a name make a kind of it ("sparse mixture of experts"): accepted when the glossary uses
    each word generically and the entry itself describes its concept with it. A quantity ("4 bit": a
    numeral and the word it counts) always is."""
    return all(
        _quantity(before, i)
        or (_generic_modifier(index, before, i) and stem(word) in _entry_words(index, entry_id))
        for i, word in enumerate(before)
    )


def _near_name_word(index: IndexView, word: str) -> bool:
    """Whether a word is one edit from a different word of some name: then it may be a typo of it
    ("cashing" for "caching"), which the typo tier decides, not this one."""
    from ai_glossary_mcp.data.index import deletion_variants  # here: data/index.py imports this module

    near = index.similar_words(deletion_variants(word))
    return any(w != word for found in near.values() for w in found)


def _spelt_word(index: IndexView, word: str) -> bool:
    """The part of `_head_ok` that needs no name: the word is spelt as an English word."""
    table = _facts(index).spelt
    found = table.get(word)
    if found is None:
        found = _kept(table, word, word.isalpha() and is_english_word(word))
    return found


def _head_ok(index: IndexView, word: str) -> bool:
    """A word after a name is its head noun ("RAG pipeline"): accepted when it is an English word and not a
    near-miss of a name's word. A version or a suffix ("2", "XL") names another release, so it is not."""
    table = _facts(index).head
    found = table.get(word)
    if found is None:
        found = _kept(table, word, _spelt_word(index, word) and not _near_name_word(index, word))
    return found


def _named_with(index: IndexView, word: str) -> list[str]:
    """The entries whose concept `word` heads, when it is informative: a name of several words ending in it
    whose other words are not a name themselves ("fine tuning" for "tuning"; "MoE layer" is MoE with a
    head noun added, so "layer" heads no concept of its own). Such a head makes a compound that may be one
    of them ("prompt tuning")."""
    if _share(index, word) >= GENERIC_SHARE:
        return []
    key_ids = index.word_postings([word]).get(word, ())
    rivals: dict[str, None] = {}
    for key, nk in index.keys_at(list(key_ids)):
        parts = key.split()
        if len(parts) > 1 and parts[-1] == word and match_words(index, parts[:-1]) is None:
            rivals[nk.entry_id] = None
    return list(rivals)


def _run_bounds(index: IndexView, key_words: Sequence[str]) -> tuple[int, int]:
    """(latest start, earliest end) of a run of the key words that `with_modifiers` could accept, from
    what each word is on its own. The words before a run must each be a generic modifier, so a run starts
    at the first word that is not one, or before it; the words after it must each be spelt as English
    words (a head noun is one), so it ends after the last word that is not one. A run outside these
    bounds fails a check `with_modifiers` would make of it, whatever entry it names: skipping it without
    a look-up keeps the answer (tests/test_modifier_runs.py checks it against trying every run)."""
    n = len(key_words)
    earliest_end = n
    while earliest_end > 0 and _spelt_word(index, key_words[earliest_end - 1]):
        earliest_end -= 1
    latest_start = 0
    while latest_start < n - 1 and _generic_modifier(index, key_words, latest_start):
        latest_start += 1
    return latest_start, earliest_end


def with_modifiers(index: IndexView, key_words: Sequence[str]) -> NameMatch | None:
    """The one entry a name with generic words around it names: the longest run of the key words that the
    matcher resolves to one entry, when every word before it is an accepted modifier and every word after
    it an accepted head noun; or a name the key words begin, when the rest of it is generic ("mixed
    precision" for "mixed precision training"). Runs are tried longest first, then leftmost, among those
    `_run_bounds` leaves (in a question most words are neither modifiers nor head nouns: few runs or none)."""
    n = len(key_words)
    latest_start, earliest_end = _run_bounds(index, key_words)
    for length in range(n - 1, max(earliest_end - latest_start, 1) - 1, -1):
        for start in range(max(0, earliest_end - length), min(latest_start, n - length) + 1):
            hit = match_words(index, key_words[start : start + length])
            entry_id = hit.entry_id if hit is not None else None
            if entry_id is None:
                continue
            before, after = key_words[:start], key_words[start + length :]
            if not all(_head_ok(index, w) for w in after) or not _modifiers_ok(index, before, entry_id):
                continue
            rivals = [e for w in after for e in _named_with(index, w) if e != entry_id]
            return NameMatch("modified", tuple(dict.fromkeys([entry_id, *rivals])))
    return name_begun_by(index, key_words)


def name_begun_by(index: IndexView, key_words: Sequence[str]) -> NameMatch | None:
    """The entries with a name that the key words begin and only generic words end ("mixed precision" for
    "mixed precision training"); find_terms_in_text asks this of a span that no tier names."""
    if index.phrase_starts.get(key_words[0], 0) <= len(key_words):  # no name starts so and goes on
        return None
    prefix = " ".join(key_words) + " "
    owners = {
        nk.entry_id
        for key, nk in index.names_with_prefix(prefix, PREFIXED_NAMES)
        if all(_share(index, w) >= GENERIC_SHARE for w in name_key(key[len(prefix) :]).split())
    }
    return NameMatch("modified", tuple(sorted(owners))) if owners else None


def headed_by(index: IndexView, word: str) -> list[str]:
    """The entries a bare word of their names may mean ("attention": self-attention, multi-head attention,
    ...; "loss": loss function, DPO loss, ...), the one whose text weighs the word most first (its BM25F
    weight: the entry that defines the concept repeats it, a kind of it mentions it)."""
    key_ids = index.word_postings([word]).get(word, ())
    named = {nk.entry_id for key, nk in index.keys_at(list(key_ids)) if " " in key}
    posting = index.posting(stem(word))
    if not named or posting is None:
        return sorted(named)
    weight = {index.entries[doc].id: w for doc, w in zip(posting.docs, posting.impacts, strict=True)}
    return sorted(named, key=lambda eid: (-weight.get(eid, 0.0), eid))
