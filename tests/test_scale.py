"""Lookups on a larger glossary (a 2,000-entry synthetic pack from benchmarks/make_pack.py).

The bundled glossary is small enough that shortcuts in candidate generation go
unnoticed: here most names share their words with hundreds of others, as in a
real team glossary. Typos must still resolve to the right entry (or come back
ambiguous, never as another entry), descriptions must still find their entry,
and the numpy paths used for long postings must answer exactly like the
plain loops, from the SQLite store as from memory.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from ai_glossary_mcp import lookup
from ai_glossary_mcp.index import GlossaryIndex
from ai_glossary_mcp.loader import load_glossary
from ai_glossary_mcp.normalize import name_key
from ai_glossary_mcp.service import GlossaryService
from ai_glossary_mcp.store import open_store, write_store

ROOT = Path(__file__).resolve().parents[1]
N = 2000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale") / "pack"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_pack.py"), str(N), str(out), "--seed", "7"],
                   check=True, capture_output=True)
    memory = GlossaryIndex(load_glossary([out]))
    path = out.parent / "store.sqlite"
    write_store(memory, path)
    return memory, open_store(path)


def _typo(term: str, rng: random.Random) -> str | None:
    words = term.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    if len(w) < 7 or not w.isalpha():
        return None
    cut = rng.randrange(1, len(w) - 1)
    words[i] = w[:cut] + w[cut + 1 :]  # drop one letter
    return " ".join(words)


def test_typos_of_names_made_of_common_words_resolve(big):
    memory, stored = big
    service = GlossaryService(stored)
    rng = random.Random(1)
    entries = [e for e in memory.entries if len(e.term) >= 16]
    right = wrong = tried = 0
    for entry in rng.sample(entries, 150):
        query = _typo(entry.term, rng)
        if query is None or name_key(query) in memory.keys:
            continue
        tried += 1
        result = service.define(query, "brief")
        if result.found:
            right += result.entry.id == entry.id
            wrong += result.entry.id != entry.id
        else:
            assert result.ambiguous or result.suggestions
    assert tried >= 100 and wrong == 0 and right >= 0.85 * tried, (tried, right, wrong)


def test_every_name_resolves_to_its_entry(big):
    memory, stored = big
    service = GlossaryService(stored)
    for entry in memory.entries[::7]:
        for name in [entry.term, entry.id] + ([entry.acronym] if entry.acronym else []) + list(entry.aliases):
            result = service.define(name, "brief")
            assert result.found and result.entry.id == entry.id, name


def test_a_definition_finds_its_entry(big):
    memory, stored = big
    service = GlossaryService(stored)
    sample = memory.entries[::20]
    top3 = sum(any(hit.id == e.id for hit in service.search(e.definition[:200], 3).results) for e in sample)
    assert top3 >= 0.9 * len(sample)


def test_numpy_paths_answer_like_the_loops_from_memory_and_store(big, monkeypatch):
    memory, stored = big
    rng = random.Random(2)
    sample = rng.sample(list(memory.entries), 60)
    queries = [_typo(e.term, rng) or e.term for e in sample] + ["k-means", "model forgets the middle of long prompts"]
    texts = [e.definition for e in sample[:20]] + ["long prompts and memory traffic in a serving pipeline"]

    def answers(index):
        keys = [lookup._candidate_keys(index, name_key(q)) for q in queries]
        ranked = [lookup.bm25(index, t, top=5) for t in texts]
        defined = [GlossaryService(index).define(q, "full").model_dump() for q in queries]
        return keys, ranked, defined

    longest = max(sum(len(p.docs) for t in set(lookup.search_tokens(x)) if (p := memory.posting(t))) for x in texts)
    assert longest > lookup.DENSE_POSTINGS  # the numpy path is really taken
    dense = answers(memory)
    assert answers(stored) == dense
    monkeypatch.setattr(lookup, "DENSE_POSTINGS", 10**9)
    monkeypatch.setattr(lookup, "DENSE_GRAM_POSTINGS", 10**9)
    assert answers(memory) == dense and answers(stored) == dense
