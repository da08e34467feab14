"""The index contract (data/contract.py) is what the served stores offer, and all the service reads.

mypy proves the store's classes satisfy the Protocols (the `_conforms` functions at the end of
data/store.py); these checks make the same promise at run time, over both kinds of store and the
loaded Glossary, and check that the service holds nothing but a store, however it was built.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.contract import GlossaryView, IndexView
from ai_glossary_mcp.data.index import GlossaryIndex
from ai_glossary_mcp.data.store import StoredGlossary, StoredIndex, memory_store, open_store
from ai_glossary_mcp.data.store_writer import write_store
from ai_glossary_mcp.search.fusion import STORED


def _members(protocol: type) -> set[str]:
    names = {n for n in vars(protocol) if not n.startswith("_")}
    return names | ({"__len__"} if "__len__" in vars(protocol) else set())


def test_the_contract_lists_what_the_queries_read():
    assert len(_members(IndexView)) == 25 and {
        "posting",
        "keys_at",
        "ids_page",
        "glossary",
        "signal_data",
    } <= _members(IndexView)
    assert _members(GlossaryView) == {
        "packs", "entries", "by_id", "entry_pack", "edges", "vocabulary", "content_hash", "formula_entries",
        "counts", "__len__",
    }  # fmt: skip


@pytest.fixture(scope="module")
def stores(glossary, tmp_path_factory) -> dict[str, StoredIndex]:
    path = Path(tmp_path_factory.mktemp("contract")) / "glossary.sqlite"
    write_store(GlossaryIndex(glossary), path, STORED)
    return {"memory": memory_store(glossary, STORED), "file": open_store(path)}


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_both_stores_offer_every_member(stores, kind):
    index = stores[kind]
    assert (index.path is None) == (kind == "memory")
    assert all(hasattr(index, name) for name in _members(IndexView))
    assert isinstance(index.glossary, StoredGlossary)
    assert all(hasattr(index.glossary, name) for name in _members(GlossaryView))
    assert len(index.glossary) == 101 and index.ids_page("K", None, 0, 3)[1] >= 1


def test_the_loaded_glossary_offers_every_member(glossary):
    assert all(hasattr(glossary, name) for name in _members(GlossaryView))


def test_the_builder_is_not_an_index(glossary):
    """GlossaryIndex only builds: the query methods live on the store alone."""
    built = GlossaryIndex(glossary)
    assert {"posting", "gram_postings", "ids_page", "names_with_prefix"}.isdisjoint(dir(built))


def test_the_service_always_serves_a_store(glossary, stores):
    service = GlossaryService(glossary)
    assert isinstance(service.index, StoredIndex) and service.index.path is None
    before = service.define("KV-Cache").model_dump()
    service.replace(glossary)
    assert isinstance(service.index, StoredIndex)
    assert service.define("KV-Cache").model_dump() == before
    assert GlossaryService(stores["file"]).define("KV-Cache").model_dump() == before
