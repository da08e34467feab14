"""Semantic search as users meet it: a paraphrase finds its entry, an off-topic question comes back
low-confidence, scores mean the same across queries and in suggestions, the store keeps the vectors,
and the embedding model never holds up the first initialize."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ai_glossary_mcp.data.index import GlossaryIndex
from ai_glossary_mcp.data.store import open_store
from ai_glossary_mcp.data.store_writer import write_store
from ai_glossary_mcp.search import semantic
from ai_glossary_mcp.search.fusion import STORED
from ai_glossary_mcp.search.ranking import CONFIDENT
from helpers import server_env
from test_tools import call

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.anyio


async def _search(client, query: str, limit: int = 5) -> list[dict]:
    return (await call(client, "search_terms", {"query": query, "limit": limit})).structured_content[
        "results"
    ]


async def test_a_paraphrase_finds_its_entry_through_meaning(client):
    # BM25F alone ranks speculative decoding third here; the meaning of the words puts it first.
    hits = await _search(client, "ways to speed up token generation without changing the model's outputs")
    assert hits[0]["id"] == "speculative-decoding" and hits[0]["confident"]


@pytest.mark.parametrize(
    "query",
    [
        "how to cook rice in a pressure cooker",
        "which window blinds keep a bedroom darkest",
        "how to repot an orchid",
    ],
)
async def test_an_off_topic_question_comes_back_low_confidence(client, query):
    hits = await _search(client, query)
    assert all(not h["confident"] and h["score"] < CONFIDENT for h in hits), hits


async def test_scores_are_comparable_across_queries(client):
    named = (await _search(client, "KV cache", 1))[0]
    described = (await _search(client, "model forgets facts in the middle of a long prompt", 1))[0]
    off_topic = await _search(client, "what is the capital of Australia", 1)
    assert named["id"] == "kv-cache" and named["score"] == 1.0  # a name the query spells
    assert described["id"] == "lost-in-the-middle" and CONFIDENT <= described["score"] < 1.0
    assert not off_topic or off_topic[0]["score"] < 0.2  # no longer scaled up to 1.0
    # the same hit keeps its score whatever else the query's list holds (nothing is scaled to the top)
    top5 = await _search(client, "model forgets facts in the middle of a long prompt", 5)
    assert top5[0]["score"] == described["score"] and top5[0]["score"] >= top5[-1]["score"]


async def test_suggestions_use_search_scores_for_what_the_words_say(client):
    query = "shrink the weights to four bits after training"
    define = (await call(client, "define_term", {"term": query})).structured_content
    searched = {h["id"]: h["score"] for h in await _search(client, query, 10)}
    assert not define["found"] and define["suggestions"]
    shared = [s for s in define["suggestions"] if s["id"] in searched]
    assert shared and all(s["score"] == pytest.approx(searched[s["id"]], abs=0.002) for s in shared)


def test_the_store_keeps_one_unit_vector_per_entry_in_position_order(glossary, tmp_path):
    path = tmp_path / "store.sqlite"
    write_store(GlossaryIndex(glossary), path, STORED)
    stored = open_store(path)
    vectors = semantic.stored_vectors(stored)
    assert vectors.shape == (len(glossary.entries), semantic.DIMENSIONS) and vectors.dtype == np.float16
    fresh = semantic.embed_texts([semantic.entry_text(e) for e in stored.entries])
    assert np.abs(vectors.astype(np.float32) - fresh).max() < 1e-3  # float16 rounding, nothing else
    assert np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)


def test_the_first_initialize_does_not_wait_for_the_model(glossary, tmp_path):
    """A server over a stored glossary answers initialize with the model not even imported; the first
    search then waits for it and uses it."""
    path = tmp_path / "store.sqlite"
    write_store(GlossaryIndex(glossary), path, STORED)
    code = f"""
import sys, anyio
from mcp import Client
from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.store import open_store
from ai_glossary_mcp.serving.mcp_server import create_server

async def main():
    async with Client(create_server(GlossaryService(open_store({str(path)!r})))) as client:
        print("initialized, model imported:", "wordllama" in sys.modules)
        query = {{"query": "ways to speed up token generation without changing the model's outputs"}}
        hits = (await client.call_tool("search_terms", query)).structured_content["results"]
        print("searched:", hits[0]["id"], "model imported:", "wordllama" in sys.modules)

anyio.run(main)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=server_env()
    )
    assert out.stdout.splitlines() == [
        "initialized, model imported: False",
        "searched: speculative-decoding model imported: True",
    ], out.stderr


def test_serving_starts_loading_the_model_in_the_background(glossary, tmp_path):
    """Over real stdio the load starts when serving starts, before any search asks for it."""
    path = tmp_path / "store.sqlite"
    write_store(GlossaryIndex(glossary), path, STORED)
    code = f"""
import anyio, sys
from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.store import open_store
from ai_glossary_mcp.search import semantic
from ai_glossary_mcp.serving.mcp_server import create_server
from ai_glossary_mcp.serving.transports import serve_stdio

server = create_server(GlossaryService(open_store({str(path)!r})))
print("before serving:", semantic.default_model().started, file=sys.stderr)
anyio.run(serve_stdio, server)
print("after an initialize only:", semantic.default_model().started, file=sys.stderr)
"""
    initialize = (
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
        '"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        input=initialize + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=server_env(),
    )
    assert '"id":1' in out.stdout.replace(" ", ""), out.stdout + out.stderr
    assert "before serving: False" in out.stderr and "after an initialize only: True" in out.stderr, (
        out.stderr
    )


def test_the_data_layer_imports_only_the_name_folding_from_search():
    """data/ builds and opens stores; what a store keeps for search comes in from the caller (app/ passes
    search/fusion.py's STORED), so no module under data/ imports fusion or a signal. It files names the one
    way queries fold them (normalize.py, matcher.py's stemmed forms): those two, and nothing else of search/.
    (load_cache imports build functions by the path a caller's row names, at run time only.)"""
    import ast

    allowed = {"ai_glossary_mcp.search.normalize", "ai_glossary_mcp.search.matcher"}
    for path in sorted((ROOT / "server" / "ai_glossary_mcp" / "data").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {
            f"{node.module}.{alias.name}" if node.module == "ai_glossary_mcp.search" else str(node.module)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        from_search = {name for name in imported if name.startswith("ai_glossary_mcp.search")}
        assert from_search <= allowed, (path.name, from_search - allowed)


def test_a_store_built_in_a_child_process_keeps_the_vectors_it_was_given(tmp_path, monkeypatch):
    """The child build imports each STORED row's build function by its path and computes the same bytes."""
    from ai_glossary_mcp.data import load_cache

    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "tests" / "fixtures" / "packs" / "valid", pack)
    monkeypatch.setenv(load_cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(load_cache, "BUILD_IN_CHILD_FILES", 1)
    built = load_cache.load_index([pack], signals=STORED)
    assert built.path is not None  # the child's file, opened
    in_process = load_cache.load_index([pack], use_cache=False, signals=STORED)
    vectors = semantic.stored_vectors(built)
    assert vectors.shape == (len(built.entries), semantic.DIMENSIONS)
    assert np.array_equal(vectors, semantic.stored_vectors(in_process))
