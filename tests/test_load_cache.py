"""The load cache: reused while pack files are unchanged, rebuilt the moment one changes, never required."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ai_glossary_mcp.data import load_cache
from ai_glossary_mcp.data.loader import bundled_pack_dir
from ai_glossary_mcp.errors import PackValidationError
from ai_glossary_mcp.search.fusion import STORED, Stored

PACKS = Path(__file__).resolve().parent / "fixtures" / "packs"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(load_cache.CACHE_ENV, str(directory))
    return directory


@pytest.fixture
def pack(tmp_path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(PACKS / "valid", target)
    return target


def test_second_load_comes_from_the_cache(cache, pack):
    first = load_cache.load_index([pack], signals=STORED)
    files = list(cache.glob("glossary-*.sqlite"))
    assert len(files) == 1
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)
    second = load_cache.load_index([pack], signals=STORED)
    assert not list(cache.glob("latest-*"))  # a small pack set is always checked at once: nothing to remember
    assert second is not first
    assert second.glossary.content_hash == first.glossary.content_hash
    assert [e.id for e in second.entries] == [e.id for e in first.entries]
    assert dict(second.glossary.edges) == dict(first.glossary.edges)


def test_a_changed_file_is_never_served_from_the_cache(cache, pack):
    before = load_cache.load_index([pack], signals=STORED)
    path = next(p for p in pack.glob("*.yaml") if p.name != "pack.yaml")
    text = path.read_text(encoding="utf-8")
    entry_id = path.stem
    old = before.glossary.by_id[entry_id].definition
    path.write_text(text.replace(old, "A brand new definition."), encoding="utf-8")
    after = load_cache.load_index([pack], signals=STORED)
    assert after.glossary.by_id[entry_id].definition == "A brand new definition."
    assert after.glossary.content_hash != before.glossary.content_hash


def test_an_invalid_pack_is_reported_not_cached(cache, pack):
    load_cache.load_index([pack], signals=STORED)
    (pack / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(PackValidationError):
        load_cache.load_index([pack], signals=STORED)
    assert len(list(cache.glob("glossary-*.sqlite"))) == 1


def test_a_corrupt_cache_file_is_ignored_and_replaced(cache, pack):
    first = load_cache.load_index([pack], signals=STORED)
    (path,) = cache.glob("glossary-*.sqlite")
    path.write_bytes(b"not a database")
    again = load_cache.load_index([pack], signals=STORED)
    assert again.glossary.content_hash == first.glossary.content_hash
    assert path.read_bytes() != b"not a database"


def test_a_cache_directory_others_can_write_is_not_used(cache, pack):
    cache.mkdir(mode=0o777)
    os.chmod(cache, 0o777)
    load_cache.load_index([pack], signals=STORED)
    assert list(cache.glob("glossary-*.sqlite")) == []


def test_disabled_cache_writes_nothing(cache, pack):
    index = load_cache.load_index([pack], use_cache=False, signals=STORED)
    assert not cache.exists() or list(cache.iterdir()) == []
    assert index.path is None and len(index.glossary) == 3  # served from an in-memory store


def test_bundled_glossary_round_trips_through_the_store(cache):
    from ai_glossary_mcp.data.index import GlossaryIndex
    from ai_glossary_mcp.data.loader import load_glossary
    from ai_glossary_mcp.data.store import StoredIndex

    built = GlossaryIndex(load_glossary([bundled_pack_dir()]))
    load_cache.load_index([bundled_pack_dir()], signals=STORED)
    stored = load_cache.load_index([bundled_pack_dir()], signals=STORED)
    assert isinstance(stored, StoredIndex)
    assert len(stored.glossary) == 101 and stored.glossary.counts() == built.glossary.counts()
    assert stored.glossary.by_id["grpo"].formula.example.result == [1, -1, -1, 1]
    assert list(stored.entries) == list(built.entries)
    assert {k: stored.glossary.edges[k] for k in built.glossary.edges} == dict(built.glossary.edges)
    for table in ("raw_names", "keys", "compact_keys"):
        assert dict(getattr(stored, table)) == getattr(built, table)
    assert stored.keys_at(range(len(built.key_list))) == [(key, built.keys[key]) for key in built.key_list]
    for token, posting in built.postings.items():
        got = stored.posting(token)
        assert (list(got.docs), list(got.impacts)) == (list(posting.docs), list(posting.impacts))
    assert dict(stored.phrases) == built.phrases and dict(stored.phrase_starts) == built.phrase_starts
    assert dict(stored.stem_phrases) == built.stem_phrases and dict(stored.stem_starts) == built.stem_starts
    assert dict(stored.by_category) == built.by_category and dict(stored.letters) == built.letters
    assert stored.max_name_words == built.max_name_words


def test_a_large_pack_set_is_built_in_a_child_process(cache, pack, monkeypatch, caplog):
    """Above BUILD_IN_CHILD_FILES files the store is built by a spawned child: the same store (and answers)
    as an in-process build, and the server process never holds the build."""
    monkeypatch.setattr(load_cache, "BUILD_IN_CHILD_FILES", 1)
    with caplog.at_level("INFO", logger="ai_glossary_mcp.cache"):
        built = load_cache.load_index([pack], signals=STORED)
    assert "child process" in caplog.text and "failed" not in caplog.text
    assert built.path is not None and built.path.parent == cache  # served from the file the child wrote
    reference = load_cache.load_index([pack], use_cache=False, signals=STORED)
    assert built.glossary.content_hash == reference.glossary.content_hash
    assert [e.model_dump() for e in built.entries] == [e.model_dump() for e in reference.entries]
    assert dict(built.glossary.edges) == dict(reference.glossary.edges)


def test_a_child_build_reports_invalid_packs_like_an_in_process_build(cache, pack, monkeypatch, caplog):
    (pack / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(PackValidationError) as here:
        load_cache.load_index([pack], use_cache=False, signals=STORED)
    monkeypatch.setattr(load_cache, "BUILD_IN_CHILD_FILES", 1)
    with caplog.at_level("INFO", logger="ai_glossary_mcp.cache"), pytest.raises(PackValidationError) as child:
        load_cache.load_index([pack], signals=STORED)
    assert "child process" in caplog.text
    assert child.value.problems == here.value.problems and str(child.value) == str(here.value)
    assert "broken.yaml:2: YAML syntax error" in str(child.value)
    assert not list(cache.glob("glossary-*.sqlite"))


def test_a_child_build_never_runs_the_callers_script_again(cache, pack, tmp_path):
    """A script without a __main__ guard that loads a large pack set runs once (multiprocessing's spawn
    would import it again in the child), and the store still gets built by the child."""
    import subprocess
    import sys

    ran = tmp_path / "ran.txt"
    script = tmp_path / "embed.py"
    script.write_text(
        "import pathlib, sys\n"
        f"pathlib.Path({str(ran)!r}).open('a').write('ran\\n')\n"
        "from ai_glossary_mcp.data import load_cache\n"
        "from ai_glossary_mcp.search.fusion import STORED\n"
        "load_cache.BUILD_IN_CHILD_FILES = 1\n"
        f"index = load_cache.load_index([pathlib.Path({str(pack)!r})], signals=STORED)\n"
        "print(type(index).__name__, index.path is not None)\n",
        encoding="utf-8",
    )
    env = {**os.environ, load_cache.CACHE_ENV: str(cache), "AI_GLOSSARY_MCP_LOG_LEVEL": "info"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "StoredIndex True"
    assert ran.read_text().splitlines() == ["ran"]
    assert "failed" not in done.stderr and len(list(cache.glob("glossary-*.sqlite"))) == 1


def test_a_store_built_without_a_signals_data_is_a_miss_for_a_caller_that_needs_it(cache, pack):
    """The cache key is the packs and the code; which signals' data a store keeps is checked on opening, so
    a store built for fewer signals is rebuilt, never served to a search that then finds no vectors."""
    bare = load_cache.load_index([pack], signals=())
    assert not bare.holds_signal_data([s.name for s in STORED])
    full = load_cache.load_index([pack], signals=STORED)
    assert full.holds_signal_data([s.name for s in STORED])
    for signal in STORED:
        assert len(full.signal_data(signal.name)) > 0


def test_a_build_function_a_child_cannot_import_is_built_in_this_process(cache, pack, monkeypatch):
    """A signal whose build function has no importable name (a partial, a callable object) makes the store
    be built here instead of in a child: `load_index` still answers."""
    import functools

    monkeypatch.setattr(load_cache, "BUILD_IN_CHILD_FILES", 0)
    odd = [Stored(s.name, functools.partial(s.build), s.reason) for s in STORED]
    stored = load_cache.load_index([pack], signals=odd)
    assert stored.holds_signal_data([s.name for s in STORED])
