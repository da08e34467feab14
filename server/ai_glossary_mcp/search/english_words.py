"""Whether a word is an ordinary English word, for the typo rules of name resolution.

A query word that is itself a real word is not a misspelling of a different
word: "decider" is not "decoder", "content window" is not "context window",
"Mode Collapse" is not "Model Collapse". Spell checkers draw the same line.
Telling real words from misspellings needs a dictionary: ENGLISH_WORDS_FILE,
next to this module, holds the English word list of pyspellchecker (MIT
licence, copyright Tyler Barrus, whose notice is english_words.LICENSE;
compiled from OpenSubtitles word counts and curated word lists), reduced to
its folded, purely alphabetic words of MIN_LETTERS or more letters. Shorter strings are not looked up:
too many of them are abbreviations or names that happen to be listed ("tim", "ops").

The file is derived ahead of time, by `make schema` (pyspellchecker is a test
and build dependency, not a runtime one), because the package's own format
costs ~0.2-0.8 s of JSON parsing and ~27 MB as a set of strings. Here each
word length is one line of same-width words in sorted order, so a process
reads ~0.4 MB of gzip once (~10 ms, ~1 MB kept) and answers by binary search
inside one string, in a few microseconds. It is read on the first question,
not at start: most sessions never meet a typo. Tests fail if the file differs
from what `make schema` would write with the installed pyspellchecker.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from ai_glossary_mcp.search.normalize import fold

ENGLISH_WORDS_FILE = Path(__file__).with_name("english_words.gz")
MIN_LETTERS = 4  # shorter words are not looked up: "tim", "ops" and "ser" are listed too


def is_english_word(word: str) -> bool:
    """Whether the folded `word` is a listed English word of at least MIN_LETTERS letters."""
    width = len(word)
    if width < MIN_LETTERS:
        return False
    block = _blocks().get(width)
    if block is None:
        return False
    lo, hi = 0, len(block) // width
    while lo < hi:  # binary search over the sorted, same-width words of `block`
        mid = (lo + hi) // 2
        probe = block[mid * width : (mid + 1) * width]
        if probe < word:
            lo = mid + 1
        elif probe > word:
            hi = mid
        else:
            return True
    return False


@lru_cache(maxsize=1)
def _blocks() -> dict[int, str]:
    """{word length: that length's words, sorted and concatenated}, read once per process."""
    lines = gzip.decompress(ENGLISH_WORDS_FILE.read_bytes()).decode("utf-8").splitlines()
    return dict(_parse(row) for row in lines)


def _parse(row: str) -> tuple[int, str]:
    width, _, words = row.partition(" ")
    return int(width), words


def derived_file_bytes(words: Iterable[str]) -> bytes:
    """What `make schema` writes to ENGLISH_WORDS_FILE for a word list (pyspellchecker's English words): one
    line per length, "<length> <the words of that length, sorted, concatenated>", gzip with no timestamp."""
    by_length: dict[int, set[str]] = defaultdict(set)
    for raw in words:
        word = fold(raw)
        if word.isalpha() and len(word) >= MIN_LETTERS:
            by_length[len(word)].add(word)
    text = "".join(f"{n} {''.join(sorted(by_length[n]))}\n" for n in sorted(by_length))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def pyspellchecker_words() -> list[str]:
    """The words of pyspellchecker's English dictionary (needs the package: `pip install -e '.[test]'`)."""
    from spellchecker import SpellChecker

    return list(SpellChecker(language="en").word_frequency.keys())


__all__ = [
    "ENGLISH_WORDS_FILE",
    "MIN_LETTERS",
    "derived_file_bytes",
    "is_english_word",
    "pyspellchecker_words",
]
