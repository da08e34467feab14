"""The offline semantic signal: loads from the installed wheel with the network refused, finds paraphrased
questions' entries through the store's vectors (as search does), embeds a query as wordllama does, and says
clearly when a model file is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.search import bm25, semantic
from ai_glossary_mcp.search.query import Query
from ai_glossary_mcp.search.semantic import (
    DIMENSIONS,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    SemanticModel,
    SemanticModelMissing,
)

ROOT = Path(__file__).resolve().parents[1]

# Plain-words questions from tests/quality/queries.yaml (kind search) that share few words with their entry.
PARAPHRASES = [
    (
        "models trained on their own outputs for several generations get worse and lose diversity",
        "model-collapse",
    ),
    ("hide a fact inside a long document and check whether the model finds it", "needle-in-a-haystack"),
    ("turn raw logits into probabilities that sum to one", "softmax"),
]

OFFLINE_LOAD = """
import json, logging, socket, sys

def refuse_network(event, args):
    if event.startswith("socket.") or event == "urllib.Request":
        raise PermissionError("network refused by the test: " + event)

sys.addaudithook(refuse_network)
try:
    socket.create_connection(("127.0.0.1", 9))
    guard = "network was reachable"
except PermissionError:
    guard = "refused"

import ai_glossary_mcp.search.semantic as semantic
heavy_at_import = sorted(m for m in ("numpy", "wordllama", "tokenizers", "safetensors") if m in sys.modules)
vector = semantic.embed_query("low-rank adapters for fine-tuning")
print(json.dumps({
    "guard": guard,
    "heavy_at_import": heavy_at_import,
    "dims": len(vector),
    "norm": float((vector ** 2).sum()) ** 0.5,
    "root_handlers": len(logging.getLogger().handlers),
    "root_level": logging.getLogger().level,
}))
"""


@pytest.fixture(scope="module")
def glossary():
    return load_glossary()


@pytest.fixture(scope="module")
def index(glossary) -> IndexView:
    return GlossaryService(glossary).index  # an in-memory store: its vectors computed as a file's are


def test_the_model_loads_from_the_wheel_with_the_network_refused_and_leaves_logging_alone():
    proc = subprocess.run(
        [sys.executable, "-c", OFFLINE_LOAD],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "server"), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "0"},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["guard"] == "refused"
    assert report["heavy_at_import"] == []
    assert report["dims"] == DIMENSIONS
    assert report["norm"] == pytest.approx(1.0, abs=1e-5)
    assert (report["root_handlers"], report["root_level"]) == (0, 30)  # wordllama's basicConfig undone


def _ids(index: IndexView, hits: list[tuple[int, float]]) -> list[str]:
    return [index.entries[doc].id for doc, _ in hits]


@pytest.mark.parametrize(("question", "expected"), PARAPHRASES)
def test_a_paraphrased_question_ranks_its_entry_in_the_top_five(index, question, expected):
    top = _ids(index, semantic.ranked(Query(index, question), 5))
    assert expected in top, top


def test_ranked_is_best_first_and_limited_to_the_allowed_entries(index):
    question = "compress the model to 4-bit weights"
    everything = semantic.ranked(Query(index, question), None)
    scores = [score for _, score in everything]
    assert scores == sorted(scores, reverse=True) and len(everything) == len(index.entries)
    allowed = frozenset(index.position[entry_id] for entry_id in ("softmax", "rope", "gptq"))
    restricted = semantic.ranked(Query(index, question, allowed), 10)
    kept = [hit for hit in everything if hit[0] in allowed]
    assert [doc for doc, _ in restricted] == [doc for doc, _ in kept]
    assert [score for _, score in restricted] == pytest.approx([score for _, score in kept], abs=1e-6)
    assert _ids(index, restricted)[0] == "gptq"
    assert semantic.ranked(Query(index, "anything"), 0) == []


def test_the_store_keeps_the_entry_vectors_in_half_precision_and_ranks_as_full_precision_would(index):
    stored = semantic.stored_vectors(index)
    assert stored.dtype == np.float16 and stored.shape == (len(index.entries), DIMENSIONS)
    rebuilt = np.frombuffer(semantic.entry_matrix(index.entries), np.float16).reshape(-1, DIMENSIONS)
    assert np.array_equal(rebuilt, stored)  # what a store build computes, entry by entry in position order
    full = semantic.embed_texts([semantic.entry_text(e) for e in index.entries])
    assert np.abs(stored.astype(np.float32) - full).max() < 1e-3  # float16 rounding, nothing else
    for question, _ in PARAPHRASES:
        by_full = np.argsort(-(full @ semantic.embed_query(question)), kind="stable")[:3].tolist()
        assert [doc for doc, _ in semantic.ranked(Query(index, question), 3)] == by_full


def test_vectors_are_unit_length_and_an_empty_text_is_a_zero_row():
    rows = semantic.embed_texts(["key-value cache", "a mixture of experts", ""])
    assert rows.dtype == np.float32 and rows.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(rows[:2], axis=1), 1.0, atol=1e-5)
    assert not rows[2].any()


def _copy_model_files(target: Path) -> Path:
    source = semantic.wordllama_dir()
    for relative in (TOKENIZER_FILE, WEIGHTS_FILE):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target / relative)
    return target


def test_a_model_directory_can_be_given_and_a_missing_file_is_named_not_fetched(tmp_path):
    model_dir = _copy_model_files(tmp_path / "model")
    assert SemanticModel(model_dir).embed_query("tokenizer").shape == (DIMENSIONS,)
    (model_dir / WEIGHTS_FILE).unlink()
    broken = SemanticModel(model_dir)
    broken.warm()
    with pytest.raises(SemanticModelMissing, match=r"l2_supercat_256\.safetensors.*Nothing is downloaded"):
        broken.embed_query("tokenizer")
    with pytest.raises(SemanticModelMissing):  # the failure is kept, not retried into a fetch
        broken.embed_texts(["again"])
    assert not broken.ready


def test_concurrent_first_queries_wait_for_one_load_and_agree():
    model = SemanticModel()
    results: list[np.ndarray] = []
    lock = threading.Lock()

    def ask() -> None:
        vector = model.embed_query("speculative decoding with a draft model")
        with lock:
            results.append(vector)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 6 and model.ready
    assert all(np.array_equal(r, results[0]) for r in results)


def test_only_real_words_of_a_query_are_embedded():
    """The tokenizer keeps every distinct word it splits, so a client sending long junk must not make the
    server hold it: words over QUERY_WORD_CHARS and words past QUERY_WORDS are not embedded."""
    junk = "x" * (semantic.QUERY_WORD_CHARS + 1)
    assert semantic.query_words(f"low rank {junk} adaptation") == "low rank adaptation"
    many = " ".join(f"w{i}" for i in range(semantic.QUERY_WORDS + 10))
    assert semantic.query_words(many).split() == [f"w{i}" for i in range(semantic.QUERY_WORDS)]


@pytest.mark.parametrize(
    "query", ["", "k", "KV-Cache", "turn raw logits into probabilities that sum to one", "ÆØÅ naïve café 🙂"]
)
def test_a_query_embeds_as_wordllama_embeds_it(query):
    """embed_query does wordllama's math from its public pieces (tokenizer, embedding matrix), not through
    its batch machinery: the vector is wordllama's own normalised embedding."""
    model = semantic.default_model()
    theirs = model.inference().embed([semantic.query_words(query)], norm=False)[0]
    theirs = theirs / max(float(np.linalg.norm(theirs)), 1e-12)
    ours = model.embed_query(query)
    assert ours.dtype == np.float32 and ours.shape == (DIMENSIONS,)
    assert np.abs(ours - theirs).max() <= 1e-6


def test_above_the_exhaustive_size_the_shortlist_is_rescored_from_the_stored_vectors(index, monkeypatch):
    """Above EXHAUSTIVE_ENTRIES meaning compares only BM25F's shortlist, and an int8 pass picks which of it
    to score exactly: the hits are the shortlist's best by exact cosine, with those cosines."""
    question, depth = "compress the model weights to 4-bit numbers", 5
    monkeypatch.setattr(semantic, "EXHAUSTIVE_ENTRIES", 0)
    shortlist = [doc for doc, _ in bm25.raw_hits(Query(index, question), semantic.SHORTLIST)]
    assert len(shortlist) > semantic.RESCORED * depth  # the int8 pass really leaves rows out
    half = semantic.stored_vectors(index).astype(np.float32)
    exact = half[shortlist] @ semantic.embed_query(question)
    best = sorted(zip(shortlist, exact.tolist(), strict=True), key=lambda hit: (-hit[1], hit[0]))[:depth]
    hits = semantic.ranked(Query(index, question), depth)
    assert [doc for doc, _ in hits] == [doc for doc, _ in best]
    assert [score for _, score in hits] == pytest.approx([score for _, score in best], abs=1e-6)


def test_the_int8_codes_stay_within_half_a_step_of_the_stored_vectors(index):
    codes, scales = semantic.coarse_vectors(index)
    half = semantic.stored_vectors(index).astype(np.float32)
    assert codes.dtype == np.int8 and codes.shape == half.shape and np.abs(codes).max() == 127
    assert (np.abs(codes * scales[:, None] - half) <= scales[:, None] * 0.5001).all()
