"""The fusion table is where search's signals meet: a signal added as one row changes the ranking, and
the table's rows are what search, suggest, related and completion read."""

from __future__ import annotations

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.search import fusion
from ai_glossary_mcp.search.fusion import FUSION, Row
from ai_glossary_mcp.search.query import Query


def test_a_signal_added_as_one_row_takes_part_in_search(monkeypatch):
    service = GlossaryService(load_glossary())
    before = [h.id for h in service.search("attention", 5).results]
    last = service.index.entries[-1]
    assert last.id not in before[:1]

    def favours_last(query: Query, depth: int | None) -> list[tuple[int, float]]:
        return [(len(query.index.entries) - 1, 1.0)]

    row = Row("search", "test signal", "lifts one entry above every other signal", favours_last, weight=5.0)
    monkeypatch.setitem(fusion.FUSED, "search", (*fusion.FUSED["search"], row))
    after = [h.id for h in service.search("attention", 5).results]
    assert after[0] == last.id
    assert after[1:] == [i for i in before if i != last.id][:4]  # the other signals rank the rest as before


def test_every_fused_row_has_a_signal_and_every_use_is_read():
    assert {r.use for r in FUSION} == {"search", "suggest", "related", "complete"}
    for use in ("search", "suggest"):
        assert fusion.FUSED[use] == tuple(r for r in FUSION if r.use == use)
        assert all(callable(r.ranked) for r in fusion.FUSED[use])
    assert all(r.ranked is None for r in FUSION if r.use in ("related", "complete"))


def test_data_a_signal_declares_in_stored_is_built_into_the_store_and_read_back(monkeypatch):
    """A signal's build-time data needs one `Stored` row, nothing in data/: the writer keeps every row's
    blob and any index reads it back by name (the semantic signal's vectors travel the same way)."""

    def entry_lengths(entries) -> bytes:
        return bytes(min(255, len(e.definition)) for e in entries)

    probe = fusion.Stored("probe: definition lengths", entry_lengths, "a test signal's build-time data")
    monkeypatch.setattr(fusion, "STORED", (*fusion.STORED, probe))
    glossary = load_glossary()
    index = GlossaryService(glossary).index  # an in-memory store, filled by data/store_writer.py
    assert index.signal_data(probe.name).tobytes() == entry_lengths(index.entries)
    vectors = index.signal_data(fusion.STORED[0].name)
    assert len(vectors) == len(glossary.entries) * 256 * 2  # the semantic signal's float16 rows
