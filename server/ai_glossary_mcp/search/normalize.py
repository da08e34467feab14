"""Text normalisation shared by the index and every query.

One function turns any spelling of a name into the key we store and look up, so
that "LLM-as-a-Judge", "llm as judge" and "LLM_as_a_judge" meet at the same key,
as do "Embeddings"/"embedding" and "quantisation"/"quantization". Keys and
queries go through exactly the same code: the index never has to guess how a
query was spelled. A second, lighter function tokenises text for full-text
search (stemmed words, no stop-word removal beyond articles).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache, wraps

# Characters that separate words inside names: hyphens of every Unicode kind,
# underscores, slashes, dots, and the like.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_/\\.,:;|+·•]+")
_NON_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_ARTICLES = frozenset({"a", "an", "the"})
_TRAILING_PLUSES = re.compile(r"\+[\s+]*$")

# British -> American stems. Applied to whole words only, so "noise" or
# "precise" are never touched.
_BRITISH_STEMS = (
    ("isation", "ization"),
    ("isations", "izations"),
    ("ised", "ized"),
    ("ising", "izing"),
    ("iser", "izer"),
    ("isers", "izers"),
    ("our", "or"),
    ("ours", "ors"),
    ("elling", "eling"),
    ("elled", "eled"),
)
_BRITISH_WORDS = {
    "optimise": "optimize",
    "normalise": "normalize",
    "quantise": "quantize",
    "tokenise": "tokenize",
    "regularise": "regularize",
    "generalise": "generalize",
    "summarise": "summarize",
    "minimise": "minimize",
    "maximise": "maximize",
    "parallelise": "parallelize",
    "modelling": "modeling",
    "behaviour": "behavior",
    "behaviours": "behaviors",
    "colour": "color",
    "centre": "center",
    "programme": "program",
    "analyse": "analyze",
}
_OUR_WORDS = frozenset(
    {"behaviour", "behaviours", "colour", "colours", "favour", "labour", "neighbour", "neighbours"}
)


def _americanise(word: str) -> str:
    mapped = _BRITISH_WORDS.get(word)
    if mapped:
        return mapped
    if word in _OUR_WORDS:
        return word.replace("our", "or")
    for british, american in _BRITISH_STEMS[:6]:
        if word.endswith(british) and len(word) > len(british) + 2:
            return word[: -len(british)] + american
    return word


def _singular(word: str) -> str:
    """Light plural folding: enough for names ("embeddings", "laws", "models")."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes")) and len(word) > 4:  # "losses", "classes", "indexes": the -es plural
        return word[:-2]
    if word.endswith(("ss", "us", "is", "as", "ous")):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


def fold(text: str) -> str:
    """Unicode-fold and lower-case text; drop control and format characters."""
    if text.isascii() and text.isprintable():
        return text.lower()  # the common case: NFKC is the identity, casefold is lower, nothing to drop
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return text.casefold()


def words(text: str) -> list[str]:
    """Split folded text into bare words (separators and punctuation removed)."""
    text = _SEPARATORS.sub(" ", fold(text))
    text = _NON_WORD.sub(" ", text)
    return text.split()


CACHED_CHARS = 100  # longer inputs are computed, never cached: a cache keyed by raw input must stay small
CACHED_WORD_CHARS = 40


def _cached_when_short(maxsize: int, longest: int) -> Callable[[Callable[[str], str]], Callable[[str], str]]:
    """An lru_cache for a str -> str function, used only for inputs of at most `longest` characters: these
    caches are keyed by what clients send, so what one input can pin stays small."""

    def decorate(fn: Callable[[str], str]) -> Callable[[str], str]:
        cached = lru_cache(maxsize=maxsize)(fn)

        @wraps(fn)
        def call(text: str) -> str:
            return cached(text) if len(text) <= longest else fn(text)

        return call

    return decorate


@_cached_when_short(16384, CACHED_CHARS)
def name_key(text: str) -> str:
    """The lookup key of a name: folded, separators unified, articles dropped,
    British spelling and plurals folded. Empty when nothing word-like remains.
    A trailing "+" names a successor (LoRA+ is not LoRA), so it stays, as a word."""
    key = " ".join(key_word(w) for w in words(text) if w not in _ARTICLES)
    tail = _TRAILING_PLUSES.search(text) if key else None
    return key + " plus" * tail.group().count("+") if tail else key


@_cached_when_short(16384, CACHED_WORD_CHARS)
def key_word(word: str) -> str:
    """One already-folded word as it appears in a name key (cached: spotting names in a passage asks
    for every word of it, and the same words recur)."""
    return _singular(_americanise(word))


def is_article(word: str) -> bool:
    return word in _ARTICLES


def compact_key(text: str) -> str:
    """The name key without spaces: "kv cache" and "kvcache" meet here."""
    return name_key(text).replace(" ", "")


_SUFFIXES = (
    "ational",
    "ization",
    "ations",
    "ation",
    "ness",
    "ments",
    "ment",
    "ings",
    "ing",
    "ed",
    "ies",
    "es",
    "s",
)


@_cached_when_short(32768, CACHED_WORD_CHARS)
def stem(word: str) -> str:
    """A light suffix-stripping stemmer for full-text search (not for names)."""
    word = _americanise(word)
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix == "ies":
                return base + "y"
            return base
    return word


STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "as",
        "at",
        "from",
        "is",
        "are",
        "be",
        "been",
        "being",
        "was",
        "were",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "which",
        "what",
        "who",
        "whom",
        "how",
        "why",
        "when",
        "where",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "may",
        "might",
        "than",
        "then",
        "so",
        "such",
        "not",
        "no",
        "into",
        "over",
        "under",
        "about",
        "via",
        "per",
        "each",
        "all",
        "any",
        "both",
        "more",
        "most",
        "other",
        "some",
        "own",
        "same",
        "too",
        "very",
        "just",
        "also",
        "only",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "they",
        "them",
        "their",
        "he",
        "she",
        "his",
        "her",
        "there",
        "here",
        "up",
        "out",
        "if",
        "but",
        "because",
        "while",
        "during",
        "before",
        "after",
        "between",
        "through",
        "without",
        "within",
        "against",
        "among",
        "until",
    ]
)


def search_tokens(text: str) -> list[str]:
    """Stemmed content words of a text, in order, for the full-text index."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS]
