"""The SQLite store answers exactly like the in-memory index it was written from.

Servers started from the CLI serve the store (load_cache.py); the in-process
tests mostly use the in-memory index. Every query of the quality set, plus
find_related and find_terms_in_text for every entry, must come back identical
from both, and the numpy sums used for long posting lists must rank exactly
like the plain loop used for short ones.
"""

from __future__ import annotations

import pytest
from tests.quality.evaluate import load_queries

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data import store
from ai_glossary_mcp.data.index import GlossaryIndex, NameKey
from ai_glossary_mcp.data.store import open_store, write_store
from ai_glossary_mcp.search import arrays, bm25


@pytest.fixture(scope="module")
def pair(glossary, tmp_path_factory):
    memory = GlossaryIndex(glossary)
    path = tmp_path_factory.mktemp("store") / "glossary.sqlite"
    write_store(memory, path)
    return GlossaryService(memory), GlossaryService(open_store(path))


def test_every_quality_query_gets_the_same_answer(pair):
    memory, stored = pair
    for q in load_queries():
        if q.kind == "search":
            assert stored.search(q.query, 10).model_dump() == memory.search(q.query, 10).model_dump(), q.query
        else:
            for detail in ("brief", "full"):
                assert (
                    stored.define(q.query, detail).model_dump() == memory.define(q.query, detail).model_dump()
                ), q
    assert stored.list_terms(limit=200).model_dump() == memory.list_terms(limit=200).model_dump()
    assert (
        stored.list_terms(category="attention").model_dump()
        == memory.list_terms(category="attention").model_dump()
    )
    for letter, category in [("S", ""), ("", "training"), ("R", "alignment"), ("Q", "attention")]:
        first = memory.list_terms(letter, category, limit=3)
        assert stored.list_terms(letter, category, limit=3).model_dump() == first.model_dump()
        if first.next_cursor:
            again = stored.list_terms(letter, category, first.next_cursor, 3).model_dump()
            assert again == memory.list_terms(letter, category, first.next_cursor, 3).model_dump()


def test_completions_are_the_same(pair):
    from ai_glossary_mcp.serving.mcp_server import _complete_names

    memory, stored = pair
    for prefix in ["", "k", "KV", "flash", "rot", "sp", "dpo", "lo", "xyz", "mixture of", "grp"]:
        for want in ("id", "term"):
            assert _complete_names(stored, prefix, want) == _complete_names(memory, prefix, want), (
                prefix,
                want,
            )
    assert _complete_names(stored, "", "id")[1] == 101


def test_related_and_mentions_are_the_same_for_every_entry(pair, glossary):
    memory, stored = pair
    for entry in glossary.entries:
        assert (
            stored.related(entry.id, limit=50).model_dump() == memory.related(entry.id, limit=50).model_dump()
        )
        text = entry.definition
        assert stored.find_in_text(text).model_dump() == memory.find_in_text(text).model_dump()


@pytest.mark.parametrize("top", [1, 3, 10])
def test_dense_sums_rank_exactly_like_the_python_loop(pair, glossary, monkeypatch, top):
    memory, _ = pair
    queries = [q.query for q in load_queries() if q.kind == "search"] + [
        e.definition for e in glossary.entries
    ]
    index = memory.index
    within = {e.definition: index.category_positions(e.category) for e in glossary.entries}
    loop = {q: bm25.bm25(index, q, top=top) for q in queries}
    loop_within = {q: bm25.bm25(index, q, allowed, top=top) for q, allowed in within.items()}
    monkeypatch.setattr(bm25, "DENSE_POSTINGS", 0)
    monkeypatch.setattr(arrays, "NUMPY_MIN_KEYS", 0)
    assert {q: bm25.bm25(index, q, top=top) for q in queries} == loop
    assert {q: bm25.bm25(index, q, allowed, top=top) for q, allowed in within.items()} == loop_within
    assert sum(len(hits) for hits in loop.values()) > top * len(queries) // 2  # the queries do find things


def test_name_rows_come_back_as_name_keys(pair):
    """Stored name rows are NameKey tuples (equal to plain tuples, so equality alone would not tell)."""
    memory, stored = pair[0].index, pair[1].index
    rows = stored.keys_at(range(40))
    assert rows == memory.keys_at(range(40))
    assert all(type(nk) is NameKey for _, nk in rows)
    prefixed = stored.names_with_prefix("k", 10)
    assert prefixed and all(type(nk) is NameKey for _, nk in prefixed)
    assert type(stored.keys[next(iter(memory.keys))]) is NameKey


def test_decoded_name_rows_are_kept_and_evicted_when_full(pair, monkeypatch):
    memory, stored = pair[0].index, pair[1].index
    everything = range(len(memory.key_list))
    monkeypatch.setattr(store, "KEY_CACHE", 7)
    small = open_store(stored.path)
    for _ in range(2):  # the first pass fills the cache and evicts from it many times, the second reads it
        assert small.keys_at(everything) == memory.keys_at(everything)
        assert 0 < small._key_row.cache_info().currsize <= 7
    monkeypatch.setattr(store, "KEY_CACHE", 10**6)
    large = open_store(stored.path)
    assert large.keys_at(everything) == memory.keys_at(everything)
    assert large.keys_at(everything) == memory.keys_at(everything)  # now served from the cache
    assert large._key_row.cache_info().currsize == len(memory.key_list)
    assert large._key_row.cache_info().hits == len(memory.key_list)


def test_word_variants_are_the_same(pair):
    """The store groups deletion variants in SQL; every variant maps to the same key words as in memory."""
    memory, stored = pair[0].index, pair[1].index
    variants = list(memory.word_variants)
    assert len(variants) > 1000
    got = stored.similar_words(variants)
    assert {v: set(ws) for v, ws in got.items()} == {v: set(ws) for v, ws in memory.word_variants.items()}
