"""The store file answers exactly like the in-memory store, and holds exactly what the builder built.

Servers started from the CLI serve a store file (load_cache.py); an in-process
`GlossaryService(glossary)` serves the same tables from an in-memory SQLite
database. Every query of the quality set, plus find_related and
find_terms_in_text for every entry, must come back identical from both; the
rows read back must be the builder's (`GlossaryIndex`); and the numpy sums
used for long posting lists must rank exactly like the plain loop used for
short ones.
"""

from __future__ import annotations

import pytest
from tests.quality.evaluate import load_queries

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data import store
from ai_glossary_mcp.data.index import GlossaryIndex, NameKey, indexed_variants
from ai_glossary_mcp.data.store import open_store
from ai_glossary_mcp.data.store_writer import write_store
from ai_glossary_mcp.search import arrays, bm25
from ai_glossary_mcp.search.fusion import STORED


@pytest.fixture(scope="module")
def built(glossary) -> GlossaryIndex:
    return GlossaryIndex(glossary)


@pytest.fixture(scope="module")
def pair(glossary, built, tmp_path_factory):
    """(a service over the in-memory store, a service over a store file written from the same build)."""
    path = tmp_path_factory.mktemp("store") / "glossary.sqlite"
    write_store(built, path, STORED)
    return GlossaryService(glossary), GlossaryService(open_store(path))


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


@pytest.mark.anyio
async def test_completions_are_the_same(pair):
    """Completions as a client asks for them (an entry id in the resource template, a term in a prompt)."""
    from mcp import Client
    from mcp_types import PromptReference, ResourceTemplateReference

    from ai_glossary_mcp.serving.mcp_server import create_server

    by_id = ResourceTemplateReference(type="ref/resource", uri="glossary://terms/{id}")
    by_term = PromptReference(type="ref/prompt", name="explain_term")

    async def completions(service):
        answers = []
        async with Client(create_server(service)) as client:
            for prefix in ["", "k", "KV", "flash", "rot", "sp", "dpo", "lo", "xyz", "mixture of", "grp"]:
                for reference, name in ((by_id, "id"), (by_term, "term")):
                    answer = (await client.complete(reference, {"name": name, "value": prefix})).completion
                    answers.append((prefix, name, answer.values, answer.total, answer.has_more))
        return answers

    memory, stored = pair
    from_store = await completions(stored)
    assert from_store == await completions(memory)
    assert from_store[0][:2] == ("", "id") and from_store[0][3] == 101  # every entry's id completes ""
    assert any(values for _, _, values, _, _ in from_store)


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


def _built_rows(built: GlossaryIndex, key_ids) -> list:
    return [(built.key_list[k], built.keys[built.key_list[k]]) for k in key_ids]


def test_name_rows_come_back_as_name_keys(pair, built):
    """Stored name rows are NameKey tuples (equal to plain tuples, so equality alone would not tell)."""
    memory, stored = built, pair[1].index
    rows = stored.keys_at(range(40))
    assert rows == _built_rows(memory, range(40)) == pair[0].index.keys_at(range(40))
    assert all(type(nk) is NameKey for _, nk in rows)
    prefixed = stored.names_with_prefix("k", 10)
    assert prefixed and all(type(nk) is NameKey for _, nk in prefixed)
    assert type(stored.keys[next(iter(memory.keys))]) is NameKey


def test_decoded_name_rows_are_kept_and_evicted_when_full(pair, built, monkeypatch):
    memory, stored = built, pair[1].index
    everything = range(len(memory.key_list))
    expected = _built_rows(memory, everything)
    monkeypatch.setattr(store, "KEY_CACHE", 7)
    small = open_store(stored.path)
    for _ in range(2):  # the first pass fills the cache and evicts from it many times, the second reads it
        assert small.keys_at(everything) == expected
        assert 0 < small._key_row.cache_info().currsize <= 7
    monkeypatch.setattr(store, "KEY_CACHE", 10**6)
    large = open_store(stored.path)
    assert large.keys_at(everything) == expected
    assert large.keys_at(everything) == expected  # now served from the cache
    assert large._key_row.cache_info().currsize == len(memory.key_list)
    assert large._key_row.cache_info().hits == len(memory.key_list)


def test_word_variants_are_the_same(pair, built):
    """The store groups deletion variants in SQL; every variant maps to the key words it was filed from."""
    stored = pair[1].index
    expected: dict[str, set[str]] = {}
    for word in built.key_words:
        for variant in indexed_variants(word):
            expected.setdefault(variant, set()).add(word)
    assert len(expected) > 1000
    got = stored.similar_words(list(expected))
    assert {v: set(ws) for v, ws in got.items()} == expected
