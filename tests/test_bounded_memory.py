"""What a client sends must not pin memory: distinct long queries (what many different clients send) leave
next to nothing behind in the caches keyed by query text. A fast in-process twin of the stdio soak's
memory-per-distinct-request check (`make stress`), which projects the same figure over a full cache."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import load_glossary

KEPT_BYTES_PER_QUERY = 200  # 65,536 distinct queries could then hold at most ~13 MB


def _term(i: int) -> str:
    return "𝒜" * 460 + f"{10_000_000 + i:020d}"  # 480 characters, outside the BMP, all distinct


def test_distinct_long_queries_leave_almost_nothing_behind():
    service = GlossaryService(load_glossary())
    for i in range(300):  # warm every code path and its fixed-size caches
        service.define(_term(i), "brief")
        service.search(_term(i), 5)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        n = 1000
        for i in range(300, 300 + n):
            assert service.define(_term(i), "brief").found is False
            service.search(_term(i), 5)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    kept = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert kept / n <= KEPT_BYTES_PER_QUERY, f"{kept / n:.0f} bytes kept per distinct query"


def test_a_replaced_index_is_freed_after_every_tool_path_ran_on_it():
    """Per-index caches (confusables, modifier facts, stored vectors, near words, spotting memos) are keyed
    weakly by the index: one that keeps a strong reference to its own key pins every replaced glossary, so
    a server under `--watch` grows with each reload."""
    glossary = load_glossary()
    service = GlossaryService(glossary)
    old = weakref.ref(service.index)
    for term in (
        "KV-Cache",
        "speculatve decoding",
        "k-means",
        "sparse mixture of experts",
        "loss",
        "dpo lss",
    ):
        service.define(term, "full")
    service.search("model forgets the middle of long prompts", 5)
    service.search("why does my chatbot make things up", 5)
    service.find_in_text(
        "We train with mixed precision and a DPO loss; the loss is logged. Tokenized inputs."
    )
    service.related("lora")
    service.compare(["lora", "qlora"])
    service.replace(glossary)
    gc.collect()
    assert old() is None, "a per-index cache keeps the replaced index alive: " + repr(
        [type(r).__name__ for r in gc.get_referrers(old())][:8]
    )
