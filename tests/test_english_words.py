"""The English word list behind the real-word typo rule: what counts as a word, what does not, and that
the shipped file is what `make schema` derives from the pinned pyspellchecker."""

from __future__ import annotations

import gzip

import pytest

from ai_glossary_mcp.search.english_words import (
    ENGLISH_WORDS_FILE,
    MIN_LETTERS,
    derived_file_bytes,
    is_english_word,
    pyspellchecker_words,
)


@pytest.mark.parametrize("word", ["decider", "widow", "content", "mode", "spars", "casual", "export", "café"])
def test_listed_english_words_are_words(word):
    assert is_english_word(word)


@pytest.mark.parametrize(
    "word",
    [
        "tranformer",
        "atention",
        "quantizaton",
        "continuos",
        "embeding",
        "rmsnorm",
        "",
        "decide r",
        "Decider",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    ],
)
def test_misspellings_jargon_and_unfolded_text_are_not(word):
    assert not is_english_word(word)


def test_short_strings_are_never_looked_up():
    listed = {w.lower() for w in pyspellchecker_words()}
    short = [w for w in ("tim", "ops", "ser", "top") if w in listed]
    assert short, "the source lists short words, which is why they are not looked up"
    assert not any(is_english_word(w) for w in short)
    assert all(len(w) < MIN_LETTERS for w in short)


def test_every_listed_word_is_found_and_near_misses_are_not():
    lines = gzip.decompress(ENGLISH_WORDS_FILE.read_bytes()).decode("utf-8").splitlines()
    checked = 0
    for line in lines:
        width, words = line.split(" ")
        width = int(width)
        listed = [words[i : i + width] for i in range(0, len(words), width)]
        assert listed == sorted(set(listed)) and all(len(w) == width for w in listed)
        known = set(listed)
        for word in listed[:: max(1, len(listed) // 50)] + listed[-1:]:  # first, last and ~50 between
            assert is_english_word(word), word
            # The same word with one letter changed, where that is not listed, is not found either.
            for letter in "qxzj":
                near_miss = word[:-1] + letter
                if near_miss not in known:
                    assert not is_english_word(near_miss), near_miss
                    break
            checked += 1
    assert checked > 500


def test_the_shipped_file_is_what_make_schema_derives():
    assert ENGLISH_WORDS_FILE.read_bytes() == derived_file_bytes(pyspellchecker_words()), (
        "english_words.gz is stale: run `make schema`"
    )
