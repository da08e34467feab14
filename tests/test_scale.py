"""Lookups on a larger glossary (a 2,000-entry synthetic pack from benchmarks/make_pack.py).

The bundled glossary is small enough that shortcuts in candidate generation go
unnoticed: here most names share their words with hundreds of others, as in a
real team glossary. Typos must still resolve to the right entry (or come back
ambiguous, never as another entry), descriptions must still find their entry,
and the numpy paths used for long postings must answer exactly like the
plain loops, from a store file as from an in-memory store.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.index import GlossaryIndex
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.data.store import memory_store, open_store
from ai_glossary_mcp.data.store_writer import write_store
from ai_glossary_mcp.search import bm25, candidates, fuzzy, resolve
from ai_glossary_mcp.search.fusion import STORED
from ai_glossary_mcp.search.normalize import name_key, search_tokens

ROOT = Path(__file__).resolve().parents[1]
N = 2000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale") / "pack"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_pack.py"), str(N), str(out), "--seed", "7"],
        check=True,
        capture_output=True,
    )
    built = GlossaryIndex(load_glossary([out]))
    path = out.parent / "store.sqlite"
    write_store(built, path, STORED)
    return memory_store(built, STORED), open_store(path)


def _key_list(index) -> list[str]:
    """Every name key, by key id."""
    return [key for key, _ in index.keys_at(range(len(index.key_lengths)))]


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
    queries = [_typo(e.term, rng) or e.term for e in sample] + [
        "k-means",
        "model forgets the middle of long prompts",
    ]
    texts = [e.definition for e in sample[:20]] + ["long prompts and memory traffic in a serving pipeline"]

    monkeypatch.setattr(
        candidates, "WORD_PATH_POSTINGS", 10**9
    )  # the trigram count, whose numpy paths are checked here

    categories = sorted({e.category for e in sample})

    def answers(index):
        keys = [candidates.candidate_keys(index, name_key(q)) for q in queries]
        ranked = [bm25.bm25(index, t, top=5) for t in texts]
        ranked += [
            bm25.bm25(index, t, index.category_positions(c), top=k)
            for t in texts
            for c in categories[:3]
            for k in (1, 5)
        ]
        defined = [GlossaryService(index).define(q, "full").model_dump() for q in queries]
        return keys, ranked, defined

    longest = max(sum(len(p.docs) for t in set(search_tokens(x)) if (p := memory.posting(t))) for x in texts)
    assert longest > bm25.DENSE_POSTINGS  # the numpy path is really taken
    dense = answers(memory)
    assert answers(stored) == dense
    for ratio in (0, 10**9):  # BM25 ranks only the entries it touched, then every entry
        monkeypatch.setattr(bm25, "SPARSE_TOP_RATIO", ratio)
        assert answers(memory) == dense and answers(stored) == dense
    monkeypatch.setattr(candidates, "SORT_COUNT_POSTINGS", 0)  # one counter per key instead of sorting
    assert answers(memory) == dense and answers(stored) == dense
    monkeypatch.setattr(bm25, "DENSE_POSTINGS", 10**9)
    monkeypatch.setattr(candidates, "DENSE_GRAM_POSTINGS", 10**9)
    assert answers(memory) == dense and answers(stored) == dense


def _typos(memory, seed: int, count: int) -> list[tuple[str, str, str]]:
    """(entry id, one of its names, that name with one letter dropped, swapped or replaced) for up to
    `count` random entries."""
    rng = random.Random(seed)
    out = []
    for entry in rng.sample(list(memory.entries), count):
        name = rng.choice([entry.term, *entry.aliases])
        at = [i for i, ch in enumerate(name) if ch.isalpha()][1:-1]
        if len(name) < 12 or not at:
            continue
        i = rng.choice(at)
        edit = rng.choice(["drop", "swap", "replace"])
        if edit == "drop":
            typo = name[:i] + name[i + 1 :]
        elif edit == "swap":
            typo = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        else:
            typo = name[:i] + ("x" if name[i].lower() != "x" else "z") + name[i + 1 :]
        if name_key(typo) not in memory.keys:
            out.append((entry.id, name, typo))
    return out


def test_candidates_from_words_find_what_trigrams_find(big, monkeypatch):
    """Where counting trigrams is costly (a large glossary whose names share a vocabulary) candidates come
    from the query's words. Forced here on 200 random one-edit typos: the misspelt name's own key is
    among its word candidates, the answers are those of the trigram count (a few may differ in which
    entries an ambiguous answer lists), never another entry, and the store answers exactly like memory."""
    memory, stored = big
    queries = _typos(memory, 3, 200)
    assert len(queries) >= 150

    def resolved(index):
        out = []
        for _, _, q in queries:
            r = resolve.resolve(index, q)
            out.append((r.entry.id if r.entry else None, r.kind, [e.id for e, _ in r.ambiguous]))
        return out

    monkeypatch.setattr(candidates, "WORD_PATH_POSTINGS", -1)
    by_words = resolved(memory)
    assert resolved(stored) == by_words
    taken = 0
    for _, name, q in queries:
        key_ids = candidates.word_candidates(memory, name_key(q))
        if key_ids is not None:
            taken += 1
            assert name_key(name) in [key for key, _ in memory.keys_at(key_ids)], (q, name)
    monkeypatch.setattr(candidates, "WORD_PATH_POSTINGS", 10**9)
    by_trigrams = resolved(memory)
    same = 0
    for (entry_id, _, q), old, new in zip(queries, by_trigrams, by_words, strict=True):
        assert new[0] in (None, entry_id), (q, new)
        assert (new[0] is None) == (old[0] is None), (q, old, new)  # resolved by both, or by neither
        same += new == old
    assert taken >= 0.9 * len(queries) and same >= 0.95 * len(queries)
    resolved_right = sum(new[0] == entry_id for (entry_id, _, _), new in zip(queries, by_words, strict=True))
    assert resolved_right >= 0.85 * len(queries)


def test_word_candidates_give_way_when_words_find_nothing(big):
    memory, _ = big
    assert candidates.word_candidates(memory, "qzxv wkpj") is None  # no such words
    assert candidates.word_candidates(memory, "kvcache") is None  # one unknown word (could be joined words)
    kid, key = next(
        (i, k)
        for i, k in enumerate(_key_list(memory))
        if k.count(" ") == 1 and all(len(w) >= 6 and w.isalpha() for w in k.split())
    )
    first, second = key.split()
    found = candidates.word_candidates(memory, key)
    assert kid in found and all({first, second} <= set(k.split()) for k, _ in memory.keys_at(found))
    assert kid in candidates.word_candidates(
        memory, f"{first} {second[:2]}{second[3:]}"
    )  # one letter dropped


def test_word_candidates_are_the_same_with_and_without_numpy(big, monkeypatch):
    """Small glossaries count word candidates in Python (no numpy import), large ones with numpy, which
    merges the words' key sets or binary-searches them, whichever touches fewer ids."""
    memory, stored = big
    keys = [name_key(q) for _, _, q in _typos(memory, 4, 150)] + [
        "attention atention",
        "sparse sparse sparse",
    ]
    # Words of different names: often no key holds enough of them, which the merge count must survive.
    rng = random.Random(6)
    words = sorted({w for k in _key_list(memory) for w in k.split() if len(w) >= 4})
    mixed = [" ".join(rng.sample(words, n)) for n in (3, 4, 5) for _ in range(40)]
    keys += mixed

    def found(index):
        return [candidates.word_candidates(index, k) for k in keys]

    monkeypatch.setattr(candidates, "DENSE_GRAM_POSTINGS", 10**9)
    in_python = found(memory)
    assert sum(c is not None for c in in_python[: -len(mixed)]) >= 0.9 * (len(keys) - len(mixed))
    monkeypatch.setattr(candidates, "DENSE_GRAM_POSTINGS", 0)
    assert found(memory) == in_python and found(stored) == in_python
    for merge_per_probe in (
        0,
        10**9,
    ):  # numpy counts shared keys by binary searches only, then by merging only
        monkeypatch.setattr(candidates, "MERGE_PER_PROBE", merge_per_probe)
        assert found(memory) == in_python and found(stored) == in_python
    assert sum(c is None for c in in_python[-len(mixed) :]) >= 10  # some mixed-word keys are held by no key


def test_names_on_the_bundled_glossary_never_import_numpy(tmp_path):
    """numpy is for long posting lists, for meaning (search, suggestions) and for building a store's
    vectors: names that resolve, exactly or as typos, do without it on a stored 101-entry glossary
    (importing it costs a first lookup ~100 ms and the process ~15 MB)."""
    from ai_glossary_mcp.data.bundled import bundled_pack_dir
    from ai_glossary_mcp.data.index import GlossaryIndex
    from ai_glossary_mcp.data.loader import load_glossary
    from ai_glossary_mcp.data.store_writer import write_store

    store = tmp_path / "bundled.sqlite"
    write_store(GlossaryIndex(load_glossary([bundled_pack_dir()])), store, STORED)
    code = (
        "import sys\n"
        "from ai_glossary_mcp.data.store import open_store\n"
        "from ai_glossary_mcp.search.resolve import resolve\n"
        "from tests.quality.evaluate import load_queries\n"
        f"index = open_store({str(store)!r})\n"
        "kinds = ('exact', 'acronym', 'alias', 'variant', 'typo')\n"
        "for q in load_queries():\n"
        "    if q.kind in kinds:\n"
        "        assert resolve(index, q.query, with_suggestions=False).entry is not None, q.query\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_skipping_far_candidates_changes_no_decision(big, glossary, monkeypatch):
    """resolve scores candidates closest in length first and, once a match is accepted, skips those whose
    length caps them below the rival line: the winner, its score and its rivals are the same as with every
    candidate scored, on the 2,000-entry pack (both candidate paths) and on the bundled glossary."""
    from tests.quality.evaluate import load_queries

    memory, stored = big
    queries = [q for _, _, q in _typos(memory, 5, 200)] + [e.term + " x" for e in memory.entries[:40]]
    bundled = memory_store(glossary, STORED)
    cases = [(memory, q) for q in queries] + [(stored, q) for q in queries[:60]]
    cases += [(bundled, q.query) for q in load_queries() if q.kind != "search"]

    def decision(index, key, typed, decisive_only):
        accepted, seen = fuzzy.fuzzy_scores(index, key, decisive_only, typed=typed)  # as resolve calls it
        ranked = accepted.ranked()
        if not ranked:
            return None
        best_id, best = ranked[0]
        return (
            best_id,
            best,
            {(e, s) for e, s in seen.ranked() if e != best_id and s > best - fuzzy.FUZZY_MARGIN},
        )

    skipped = 0
    for word_path in (-1, 10**9):  # candidates from words, then from trigrams
        monkeypatch.setattr(candidates, "WORD_PATH_POSTINGS", word_path)
        for index, q in cases:
            key = name_key(q)
            if not key:
                continue
            assert decision(index, key, q, True) == decision(index, key, q, False), q
            skipped += len(fuzzy.fuzzy_scores(index, key, True)[1].best) < len(
                fuzzy.fuzzy_scores(index, key)[1].best
            )
    assert skipped > 20  # the shortcut is really taken


def test_kth_largest_count_is_what_partition_finds():
    import numpy as np

    rng = random.Random(5)
    for _ in range(300):
        counts = np.array(
            [rng.choice([1, 1, 1, 2, 2, 3, rng.randint(0, 30)]) for _ in range(rng.randint(1, 400))]
        )
        k = rng.randint(1, len(counts))
        assert (
            candidates.kth_largest_count(np, counts, k)
            == np.partition(counts, len(counts) - k)[len(counts) - k]
        )
