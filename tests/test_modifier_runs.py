"""The modifier pass skips runs without changing what it finds, and its per-word facts stay small.

`matcher.with_modifiers` looks up only the runs of a query's words that `_run_bounds` leaves: a run is
skipped when a word before it is no generic modifier or a word after it no English word, whatever entry it
names. Checked against the obviously correct pass that looks up every run, on queries generated from the
bundled glossary: every name with generic, informative, English and made-up words around it, numerals,
and word salads of glossary words.
"""

from __future__ import annotations

import gc
import random
import weakref
from collections.abc import Sequence

import pytest

from ai_glossary_mcp.data.store import memory_store
from ai_glossary_mcp.search import matcher
from ai_glossary_mcp.search.fusion import STORED
from ai_glossary_mcp.search.matcher import NameMatch, match_words, with_modifiers
from ai_glossary_mcp.search.normalize import name_key, stem


def _every_run(index, key_words: Sequence[str]) -> NameMatch | None:
    """with_modifiers as first written: every run, longest first, then leftmost, each looked up."""
    n = len(key_words)
    for length in range(n - 1, 0, -1):
        for start in range(n - length + 1):
            hit = match_words(index, key_words[start : start + length])
            entry_id = hit.entry_id if hit is not None else None
            if entry_id is None:
                continue
            before, after = key_words[:start], key_words[start + length :]
            if not all(matcher._head_ok(index, w) for w in after):
                continue
            if not all(
                w.isdigit()
                or (i and before[i - 1].isdigit())
                or (
                    matcher._share(index, w) >= matcher.MODIFIER_SHARE
                    and stem(w) in matcher._entry_words(index, entry_id)
                )
                for i, w in enumerate(before)
            ):
                continue
            rivals = [e for w in after for e in matcher._named_with(index, w) if e != entry_id]
            return NameMatch("modified", tuple(dict.fromkeys([entry_id, *rivals])))
    return None


def _generated(service) -> list[list[str]]:
    index = service.index
    rng = random.Random(19)
    names = sorted({name_key(n) for e in index.entries for n in (e.term, *e.aliases)} - {""})
    glossary_words = sorted({w for e in index.entries for w in name_key(e.definition).split()})
    generic = [w for w in glossary_words if matcher._share(index, w) >= matcher.MODIFIER_SHARE]
    around = [*generic, *glossary_words[::7], "4", "8", "bit", "pipeline", "layer", "xl", "2", "qzx"]
    queries: list[list[str]] = []
    for name in names:
        words = name.split()
        for _ in range(4):
            before = rng.sample(around, rng.randint(0, 3))
            after = rng.sample(around, rng.randint(0, 2))
            queries.append([*before, *words, *after])
        queries.append([rng.choice(generic), *words, rng.choice(generic)])
    for _ in range(400):
        queries.append([rng.choice(glossary_words + names) for _ in range(rng.randint(2, 8))])
    return [" ".join(q).split() for q in queries if len(" ".join(q).split()) > 1]


def test_skipping_runs_keeps_every_answer_of_the_full_pass(service):
    index = service.index
    queries = _generated(service)
    found = 0
    for key_words in queries:
        expected = _every_run(index, key_words)
        assert with_modifiers(index, key_words) == expected, key_words
        found += expected is not None
    assert found > 200  # names with words around them are found: not only misses are compared


def test_a_question_of_uninformative_words_looks_up_no_run(service):
    key_words = name_key("how do I make a model cheaper to run on a small GPU").split()
    latest_start, earliest_end = matcher._run_bounds(service.index, key_words)
    assert earliest_end - latest_start > len(key_words) - 1  # no run fits both bounds


@pytest.mark.parametrize("query", ["sparse mixture of experts", "4 bit quantization", "RAG pipeline"])
def test_names_with_modifiers_still_resolve_through_the_bounds(service, query):
    key_words = name_key(query).split()
    assert with_modifiers(service.index, key_words) == _every_run(service.index, key_words)
    assert with_modifiers(service.index, key_words) is not None


def test_word_facts_go_with_their_index_and_stay_bounded(glossary):
    index = memory_store(glossary, STORED)
    with_modifiers(index, ["sparse", "mixture", "of", "experts"])
    with_modifiers(index, ["rag", "pipeline"])
    facts = matcher._FACTS[index]
    assert facts.head and facts.spelt and facts.share  # the pass kept what it worked out
    for i in range(matcher.WORD_FACTS + 10):
        matcher._share(index, f"word{i}")
    matcher._share(index, "x" * (matcher.STEM_WORD_CHARS + 1))
    assert len(facts.share) <= matcher.WORD_FACTS
    assert "x" * (matcher.STEM_WORD_CHARS + 1) not in facts.share
    gone = weakref.ref(index)
    del index, facts
    gc.collect()
    assert gone() is None  # the facts hold no reference to the index
