"""The near-words signal: a query word no entry uses is read as the glossary word nearest to it in meaning,
and what that adds stays on the text row's scale."""

from __future__ import annotations

import numpy as np
import pytest

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.search import bm25, fusion, near_words, semantic
from ai_glossary_mcp.search.normalize import stem
from ai_glossary_mcp.search.query import Query


@pytest.fixture(scope="module")
def service() -> GlossaryService:
    return GlossaryService(load_glossary())


def _without_near_words(monkeypatch) -> None:
    rows = tuple(r for r in fusion.FUSED["search"] if r.signal != "near words")
    monkeypatch.setitem(fusion.FUSED, "search", rows)


def test_only_words_no_entry_uses_are_looked_up(service):
    query = Query(service.index, "answer questions about a photo of the attention heads")
    assert near_words.unknown_words(query) == ["photo"]  # "answer", "attention", "heads" are glossary words
    assert near_words.ranked(Query(service.index, "attention heads"), 10) == []


def test_an_unknown_word_stands_for_its_nearest_glossary_word(service):
    weights = near_words.neighbours(Query(service.index, "a chatbot that reads a photo"))
    assert stem("image") in weights
    assert all(near_words.NEAREST <= w <= 1.0 for w in weights.values())


def test_query_words_are_embedded_as_the_vocabulary_is(service):
    """word_vectors is embed_texts without its per-call cost: the two must give the same vectors, or a
    query word and the glossary word it spells would not meet at cosine 1."""
    sample = ["photo", "citations", "quantization", "vram", "chatbot"]
    assert np.allclose(near_words.word_vectors(sample), semantic.embed_texts(sample), atol=1e-5)


def test_a_word_nothing_resembles_adds_nothing(service):
    assert near_words.neighbours(Query(service.index, "zxqvbn blorptastic")) == {}


def test_the_neighbour_lifts_the_entry_that_says_it_the_glossary_way(service, monkeypatch):
    """'photo' is no glossary word; 'image' is the vision-language entry's."""
    question = "chatbot that can look at a photo and answer questions about it"
    with_row = [h.id for h in service.search(question, 10).results]
    _without_near_words(monkeypatch)
    without = [h.id for h in service.search(question, 10).results]
    assert with_row.index("vlm") < (without.index("vlm") if "vlm" in without else 10)


def test_text_and_near_words_together_stay_within_the_text_rows_cap(service):
    text_row, near_row = fusion.row("search", "text"), fusion.row("search", "near words")
    for question in (
        "my chatbot keeps making up citations",
        "chatbot that can look at a photo and answer questions about it",
        "how long the user waits before anything of the reply starts appearing",
    ):
        query = Query(service.index, question)
        text = dict(bm25.evidence(query, 15))
        added = near_words.ranked(query, 15)
        assert added, question
        for doc, score in added:
            assert score > 0
            total = text_row.value(text.get(doc, 0.0)) + near_row.value(score)
            assert total <= text_row.weight + 1e-9


def test_the_store_keeps_the_glossary_words_and_their_embeddings(service):
    stems, matrix = near_words.stored_words(service.index)
    expected = [token for token, _ in near_words.vocabulary(service.index.entries)]
    assert list(stems) == expected
    assert matrix.shape == (256, len(stems))
    assert stem("quantization") in stems


def test_suggestions_count_the_neighbour_as_search_does(service, monkeypatch):
    """define_term's suggestions add the near-words row to the text row, as search_terms does."""

    def vlm_score() -> float:
        found = {s.id: s.score for s in service.define("photo chatbot").suggestions}
        return found.get("vlm", 0.0)

    with_row = vlm_score()
    rows = tuple(r for r in fusion.FUSED["suggest"] if r.signal != "near words")
    monkeypatch.setitem(fusion.FUSED, "suggest", rows)
    assert with_row > vlm_score() + 0.1


@pytest.mark.parametrize("category", [None, "quantization"])
def test_the_numpy_path_gives_the_loops_ranking_and_doubles(service, category):
    """A large glossary adds the sums up in numpy; on the bundled one both paths must agree exactly."""
    index = service.index
    allowed = index.category_positions(category) if category else None
    for question in (
        "chatbot that can look at a photo and answer questions about it",
        "my 7B model doesn't fit in 8 GB of VRAM, what can I do",
        "how long the user waits before anything of the reply starts appearing",
    ):
        query = Query(index, question, allowed)
        loop = near_words.ranked(query, 15)
        assert loop or category, question
        listed = dict(bm25.raw_hits(query, 15))
        dense = near_words.dense_ranked(query, near_words.neighbours(query), listed, 15)
        assert dense == loop


def test_the_memo_of_nearest_words_stays_bounded_and_changes_no_answer(monkeypatch):
    """A fresh index: the first answer is computed, a full memo is read but never grows."""
    index = GlossaryService(load_glossary()).index
    question = "chatbot that can look at a photo of my citations"
    first = near_words.neighbours(Query(index, question))
    assert first
    monkeypatch.setattr(near_words, "KEPT_WORDS", 2)
    other = GlossaryService(load_glossary()).index
    assert near_words.neighbours(Query(other, question)) == first
    assert len(near_words._nearest[other]) == 2
    assert near_words.neighbours(Query(other, question)) == first  # read from a full memo
    assert near_words.neighbours(Query(other, "a zxqvbn blorptastic photo")) == {
        stem("image"): first[stem("image")]
    }
    assert len(near_words._nearest[other]) == 2
