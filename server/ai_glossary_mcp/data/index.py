"""The index builder: everything a query needs, computed once when a glossary loads.

- name maps: the raw spellings (case-folded) and the normalised keys of every
  id, term, acronym and alias, each pointing at one entry;
- a trigram index over the normalised keys, so fuzzy matching scores a few
  dozen candidates instead of every name; and, for large glossaries whose
  names share a small vocabulary (where every trigram is common), the keys
  holding each word, the words reachable by deleting one letter, and each
  key's length, so candidates can come from the query's words instead;
- BM25F statistics for full-text search: per token, the entries it occurs in
  (as compact arrays) with a field-weighted, length-normalised, saturated
  weight already applied, so a query only adds up posting lists;
- a phrase table for spotting glossary names in free text, and every name's stemmed forms (the name
  matcher's stemmed tier, search/matcher.py) for define_term and spotting alike.

The index is built from one Glossary; a reload builds a new one. It only
builds: store_writer.py writes its tables to SQLite (a file, or an in-memory
database) and store.py serves them through `contract.IndexView`, the one
interface lookups read, which is how a glossary of 100,000 entries starts in
well under a second and stays small in memory.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ai_glossary_mcp.data.glossary import Glossary
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.data.names import names, title
from ai_glossary_mcp.search.matcher import stem_forms
from ai_glossary_mcp.search.normalize import (
    compact_key,
    fold,
    is_article,
    key_word,
    name_key,
    search_tokens,
    words,
)

# BM25F field weights: names count far more than definition text.
FIELD_WEIGHTS = {"term": 5.0, "names": 3.5, "tags": 1.5, "definition": 1.0, "extra": 0.5}
FIELD_B = {"term": 0.3, "names": 0.3, "tags": 0.0, "definition": 0.75, "extra": 0.75}
K1 = 1.2
MAX_PHRASE_WORDS = 10


# Each name field's kind and precedence (a misspelling resolves like an alias but is never listed).
_NAME_KIND_RANK = {
    "term": ("exact", 0),
    "acronym": ("acronym", 1),
    "id": ("exact", 2),
    "alias": ("alias", 3),
    "misspelling": ("alias", 4),
}


class NameKey(NamedTuple):  # a tuple: fuzzy matching builds dozens per query from store rows
    entry_id: str
    kind: str  # "exact" (id or term), "acronym" or "alias"
    text: str  # the name as written
    rank: int  # precedence when two names of one entry share a key: term, acronym, id, alias


@dataclass(frozen=True)
class Surface:
    """A name as it may appear in free text."""

    entry_id: str
    text: str
    case_sensitive: bool


class Posting(NamedTuple):
    """One token's entries (by position) and what it adds to each one's score: idf times the entry's
    saturated weight, multiplied once here rather than on every query."""

    docs: Sequence[int]
    impacts: Sequence[float]


def is_short_acronym(name: str) -> bool:
    """ "MoE", "GQA", "NF4": short all-caps-ish names matched case-sensitively in text."""
    bare = "".join(ch for ch in name if ch.isalnum())
    uppers = sum(ch.isupper() for ch in bare)
    return 0 < len(bare) <= 6 and " " not in name and uppers >= 2


def trigrams(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def first_sentence(text: str) -> str:
    for end in (". ", "? ", "! "):
        cut = text.find(end)
        if 0 < cut < 400:
            return text[: cut + 1]
    return text if len(text) <= 400 else text[:397] + "..."


class GlossaryIndex:
    def __init__(self, glossary: Glossary):
        self.glossary = glossary
        self.entries: tuple[Entry, ...] = glossary.entries
        self.raw_names: dict[str, NameKey] = {}
        self.keys: dict[str, NameKey] = {}
        self.compact_keys: dict[str, NameKey] = {}
        self._build_names()
        # Named instances (entry `examples:`): never names of their entry, so they are kept apart from the
        # name tables; define_term answers them "an example of <entry>". A real name always wins. Keyed by
        # compact key, as names are also looked up, so spaced, joined and hyphenated spellings all match.
        self.example_of: dict[str, str] = {}
        for e in self.entries:
            for example in e.examples:
                self.example_of.setdefault(compact_key(example), e.id)
        self.key_list: list[str] = list(self.keys)
        self.max_name_words: int = max((k.count(" ") + 1 for k in self.key_list), default=0)
        self.key_trigrams: dict[str, array[int]] = self._build_trigrams()
        self.key_words: dict[str, array[int]] = self._build_key_words()
        # Letters (spaces left out) per key, to rank candidates by closeness in length; names are at most 200
        # characters (model.py), so a byte holds them.
        self.key_lengths: bytes = bytes(min(255, len(k) - k.count(" ")) for k in self.key_list)
        self.postings: dict[str, Posting] = {}
        self._build_bm25()
        self.phrases: dict[tuple[str, ...], list[Surface]] = self._build_phrases()
        self.phrase_starts: dict[str, int] = {}
        for key in self.phrases:
            self.phrase_starts[key[0]] = max(self.phrase_starts.get(key[0], 0), len(key))
        # The matcher's stemmed tier (matcher.py): every name's stemmed words, also with one pair of
        # neighbouring words joined and with all joined, and the longest such form each first word starts.
        self.stem_phrases: dict[tuple[str, ...], tuple[str, ...]] = self._build_stems()
        self.stem_starts: dict[str, int] = {}
        for form in self.stem_phrases:
            self.stem_starts[form[0]] = max(self.stem_starts.get(form[0], 0), len(form))
        self.by_category: dict[str, tuple[str, ...]] = self._build_categories()
        self.letters: dict[str, tuple[str, ...]] = self._build_letters()

    # -- names -------------------------------------------------------------
    def _names_of(self, e: Entry) -> list[NameKey]:
        out = []
        for n in names(e, with_id=True, with_misspellings=True):
            kind, rank = _NAME_KIND_RANK[n.field]
            out.append(NameKey(e.id, kind, n.text, rank))
        return out

    def _build_names(self) -> None:
        for e in self.entries:
            for nk in self._names_of(e):
                for table, key in ((self.raw_names, fold(nk.text).strip()), (self.keys, name_key(nk.text))):
                    held = table.get(key)
                    if held is None or (held.entry_id == nk.entry_id and nk.rank < held.rank):
                        table[key] = nk
        compact_owner: dict[str, set[str]] = defaultdict(set)
        for key, nk in self.keys.items():
            compact_owner[key.replace(" ", "")].add(nk.entry_id)
        for key, nk in self.keys.items():
            ck = key.replace(" ", "")
            if len(compact_owner[ck]) == 1 and ck not in self.compact_keys:
                self.compact_keys[ck] = nk

    def _build_stems(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        table: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)
        for e in self.entries:
            for n in names(e, with_id=True, with_misspellings=True):
                if is_short_acronym(n.text):
                    continue  # not a word: it does not inflect
                for form in stem_forms(n.text):
                    table[form][e.id] = None
        return {form: tuple(ids) for form, ids in table.items()}

    def _build_trigrams(self) -> dict[str, array[int]]:
        # Compact int arrays, not lists: at 100,000 entries there are millions of (trigram, key) pairs.
        table: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for i, key in enumerate(self.key_list):
            for gram in trigrams(key):
                table[gram].append(i)
        return dict(table)

    def _build_key_words(self) -> dict[str, array[int]]:
        table: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for i, key in enumerate(self.key_list):
            for word in dict.fromkeys(key.split()):
                table[word].append(i)  # ascending key ids, like the trigram lists
        return dict(table)

    # -- full text ---------------------------------------------------------
    def _fields(self, e: Entry) -> dict[str, list[str]]:
        other_names = [n.text for n in names(e) if n.field != "term"]  # the term is a field of its own
        extra = [self.glossary.vocabulary.categories.get(e.category, e.category)] if e.category else []
        if e.formula is not None:
            extra += [v.meaning for v in e.formula.variables] + list(e.formula.notes)
        # Interned: the same few thousand words recur in every entry, and all entries' tokens are held
        # at once.
        return {
            "term": _interned(search_tokens(e.term)),
            "names": _interned(search_tokens(" ; ".join(other_names))),
            "tags": _interned(search_tokens(" ".join(e.tags))),
            "definition": _interned(search_tokens(e.definition)),
            "extra": _interned(search_tokens(" ".join(extra))),
        }

    def _build_bm25(self) -> None:
        per_doc = [self._fields(e) for e in self.entries]
        n = max(len(per_doc), 1)
        avg = {f: (sum(len(d[f]) for d in per_doc) / n) or 1.0 for f in FIELD_WEIGHTS}
        # Per token, its entries and saturated weights as they are found, in compact arrays: a list of
        # (entry, weight) tuples costs ~70 bytes a pair, and a 100,000-entry glossary has ~10 million pairs.
        tf_docs: dict[str, array[int]] = defaultdict(lambda: array("i"))
        tf_weights: dict[str, array[float]] = defaultdict(lambda: array("d"))
        for doc, fields in enumerate(per_doc):
            per_doc[doc] = None  # type: ignore[call-overload]  # released as it is consumed
            weighted: dict[str, float] = defaultdict(float)
            for f, tokens in fields.items():
                if not tokens:
                    continue
                norm = 1.0 - FIELD_B[f] + FIELD_B[f] * len(tokens) / avg[f]
                counts: dict[str, int] = defaultdict(int)
                for t in tokens:
                    counts[t] += 1
                for t, c in counts.items():
                    weighted[t] += FIELD_WEIGHTS[f] * c / norm
            for t, w in weighted.items():
                tf_docs[t].append(doc)
                tf_weights[t].append(w / (K1 + w))
        for t, docs in tf_docs.items():
            idf = math.log(1.0 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            self.postings[t] = Posting(docs, array("d", [idf * w for w in tf_weights[t]]))

    # -- free text ---------------------------------------------------------
    def _build_phrases(self) -> dict[tuple[str, ...], list[Surface]]:
        table: dict[tuple[str, ...], list[Surface]] = defaultdict(list)
        for e in self.entries:
            for text in (n.text for n in names(e)):
                key = tuple(key_word(w) for w in words(text) if not is_article(w))
                if not key or len(key) > MAX_PHRASE_WORDS:
                    continue
                surface = Surface(e.id, text, is_short_acronym(text))
                if all(s.entry_id != e.id or s.case_sensitive != surface.case_sensitive for s in table[key]):
                    table[key].append(surface)
        return dict(table)

    def _build_categories(self) -> dict[str, tuple[str, ...]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for e in self.entries:
            if e.category is not None:
                grouped[e.category].append(e.id)
        return {c: tuple(ids) for c, ids in grouped.items()}

    def _build_letters(self) -> dict[str, tuple[str, ...]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for e in self.entries:
            grouped[letter_of(title(e))].append(e.id)
        return {k: tuple(v) for k, v in grouped.items()}


FUZZY_WORD_MIN = 4  # shorter words are matched exactly: one edit turns them into other words


def deletion_variants(word: str) -> set[str]:
    """The word and every string one deleted letter away from it (empty for words too short to misspell)."""
    if len(word) < FUZZY_WORD_MIN:
        return set()
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def indexed_variants(word: str) -> set[str]:
    """What a key word is filed under in the variant table: itself, and its deletion variants when it is
    long enough to be misspelt. Short key words are filed too, so that a misspelt query word of four
    letters or more finds them one deletion away ("msea": the key word "mea")."""
    return deletion_variants(word) or {word}


def _interned(tokens: list[str]) -> list[str]:
    return [sys.intern(t) for t in tokens]


def letter_of(term: str) -> str:
    """The index letter of a term: its first letter, or '#' for digits and symbols."""
    for ch in fold(term):
        if ch.isalpha() and ch.isascii():
            return ch.upper()
        if ch.isalnum():
            return "#"
    return "#"


__all__ = ["GlossaryIndex", "NameKey", "Surface", "compact_key", "first_sentence", "letter_of", "trigrams"]
