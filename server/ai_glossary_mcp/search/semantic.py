"""Offline semantic signal: static word embeddings from the `wordllama` wheel, cosine-ranked entries.

Why shaped so:
- Nothing is ever downloaded. `WordLlama.load()` looks for its tokenizer under `tokenizer/` while the
  wheel ships it under `tokenizers/`, and then fetches from the Hugging Face hub. We therefore read the two
  files the wheel ships ourselves (the Llama-2 tokenizer JSON and the 256-dim `embedding.weight` tensor) and
  hand them to `WordLlamaInference`. A missing file raises `SemanticModelMissing`; there is no fallback.
- Cold start stays at the floor. Importing this module imports neither numpy nor wordllama. The load
  (~0.5 s) runs in a background thread started by `warm()`; the first query waits for it (and starts it if
  nobody did).
- Importing `wordllama` calls `logging.basicConfig(level=INFO)` on the root logger; a library must not
  configure its host's logging, so the root logger's handlers and level are restored after the import.
- Vectors are L2-normalised float32, so a dot product is the cosine. A store computes every entry's once,
  when it is built (`entry_matrix`, float16: search/fusion.py's STORED row); `stored_vectors` reads them
  back, and `ranked` widens them to float32 once (up to EXHAUSTIVE_ENTRIES rows).
- BLAS runs on one thread: on a shared machine its default threads made a 5,000-row product 100x slower
  (benchmarks/results/2026-12-02-semantic-fusion.md), so the thread counts are set before numpy loads.
- `ranked` is the "meaning" signal fusion.py fuses: every entry's cosine up to EXHAUSTIVE_ENTRIES entries;
  above that only BM25F's best SHORTLIST entries are compared (the exact product over 100,000 rows costs
  more than a whole lexical search), through an int8 copy of the vectors that picks the few rows worth
  widening from float16 (`shortlist_cosines`).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from ai_glossary_mcp.errors import GlossaryError
from ai_glossary_mcp.search.query import Query

for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")  # read once, when numpy first loads (it is not loaded yet here)

if TYPE_CHECKING:
    import numpy as np

    from ai_glossary_mcp.data.contract import IndexView

TOKENIZER_FILE = Path("tokenizers") / "l2_supercat_tokenizer_config.json"
WEIGHTS_FILE = Path("weights") / "l2_supercat_256.safetensors"
EMBEDDING_TENSOR = "embedding.weight"
DIMENSIONS = 256


class SemanticModelMissing(GlossaryError):
    """The embedding model's files are not where the installed `wordllama` package should have them."""


def _wordllama_spec() -> ModuleSpec:
    """The installed `wordllama` package's import spec, found without importing (and so running) it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise SemanticModelMissing(
            "the `wordllama` package is not installed; it ships the embedding model used by semantic search "
            "(pip install wordllama). Nothing is downloaded at run time."
        )
    return spec


def wordllama_dir() -> Path:
    """The installed `wordllama` package's directory."""
    locations = _wordllama_spec().submodule_search_locations
    assert locations  # _wordllama_spec checked it
    return Path(next(iter(locations)))


def _import_inference() -> Any:
    """`wordllama.inference.WordLlamaInference`, imported without running wordllama's `__init__` (which
    imports its downloader and so `requests`, whose import opens a probing IPv6 socket, and configures
    the root logger): the package is entered through a bare module over its directory. Should the real
    package be imported already, it is used, with the root logger's setup restored all the same."""
    if "wordllama" not in sys.modules:  # one lookup; raises SemanticModelMissing if it is not installed
        sys.modules["wordllama"] = importlib.util.module_from_spec(_wordllama_spec())  # __path__, not run
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from wordllama.inference import WordLlamaInference
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return WordLlamaInference


def load_inference(model_dir: Path | str | None = None) -> Any:
    """Build a `WordLlamaInference` from the files in `model_dir` (default: the installed wheel's)."""
    base = Path(model_dir) if model_dir is not None else wordllama_dir()
    tokenizer_path, weights_path = base / TOKENIZER_FILE, base / WEIGHTS_FILE
    missing = [str(p) for p in (tokenizer_path, weights_path) if not p.is_file()]
    if missing:
        raise SemanticModelMissing(
            "semantic search model files are missing: "
            + ", ".join(missing)
            + ". They ship inside the `wordllama` wheel; reinstall it. Nothing is downloaded at run time."
        )
    from safetensors import safe_open
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    with safe_open(str(weights_path), framework="np", device="cpu") as weights:
        if EMBEDDING_TENSOR not in weights.keys():  # noqa: SIM118 (safe_open is not a mapping)
            raise SemanticModelMissing(f"{weights_path} holds no `{EMBEDDING_TENSOR}` tensor")
        embedding = weights.get_tensor(EMBEDDING_TENSOR)
    if embedding.shape != (tokenizer.get_vocab_size(), DIMENSIONS):  # embed_query indexes rows by token id
        raise SemanticModelMissing(
            f"{weights_path}: {EMBEDDING_TENSOR} is {embedding.shape}, not one {DIMENSIONS}-value row per "
            f"token of {tokenizer_path} ({tokenizer.get_vocab_size()})"
        )
    return _import_inference()(embedding, tokenizer)


class SemanticModel:
    """The embedding model, loaded once, lazily, in a background thread; safe to share between threads."""

    def __init__(self, model_dir: Path | str | None = None) -> None:
        self._model_dir = model_dir
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._needed = threading.Event()  # set by the first caller that waits: the load starts at once
        self._delay = 0.0
        self._began = self._closing = False
        self._thread: threading.Thread | None = None
        self._inference: Any = None
        self._error: BaseException | None = None

    def warm(self, after: float = 0.0) -> None:
        """Start loading in the background (once); return at once. The thread waits `after` seconds first
        (so that a starting server answers its first requests without the load's imports competing for
        the interpreter), unless a caller needs the model sooner."""
        with self._lock:
            if self._thread is None:
                self._delay = after
                self._thread = threading.Thread(target=self._load, name="semantic-model-load", daemon=True)
                self._thread.start()

    def settle(self) -> None:
        """Call before the process exits: a load not begun never begins, one under way is waited for (a
        daemon thread stopped inside the tokenizer's native code aborts the process: "FATAL: exception
        not rethrown")."""
        with self._lock:
            self._closing = True
            loading = self._began
        self._needed.set()
        if loading:
            self._loaded.wait()

    def _load(self) -> None:
        self._needed.wait(self._delay)
        with self._lock:
            if self._closing:
                self._error = SemanticModelMissing("the process is exiting: the model was not loaded")
                self._loaded.set()
                return
            self._began = True
        try:
            self._inference = load_inference(self._model_dir)
        except BaseException as exc:  # handed to every caller of inference()
            self._error = exc
        finally:
            self._loaded.set()

    @property
    def started(self) -> bool:
        """Whether the load has begun (it may still be running)."""
        return self._thread is not None

    @property
    def ready(self) -> bool:
        return self._loaded.is_set() and self._error is None

    def inference(self) -> Any:
        """The loaded `WordLlamaInference`, waiting for the load (and starting it if needed)."""
        self._needed.set()
        self.warm()
        self._loaded.wait()
        if self._error is not None:
            raise self._error
        return self._inference

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text (an empty text gives a zero row)."""
        import numpy as np

        vectors: np.ndarray = self.inference().embed(list(texts), norm=False).astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.maximum(norms, 1e-12)
        return vectors

    def embed_query(self, query: str) -> np.ndarray:
        """One L2-normalised float32 vector of DIMENSIONS values, of the query's words (`query_words`):
        `embed_texts`' row, computed from wordllama's public pieces without its batch machinery (one
        encode, one gather, one sum: a mean pool normalised is the sum normalised; ~13 us, not ~34)."""
        import numpy as np

        inference = self.inference()
        ids = inference.tokenizer.encode(query_words(query), add_special_tokens=False).ids
        vector: np.ndarray = inference.embedding[ids].sum(axis=0)  # ids < its rows (load_inference)
        vector /= max(float(np.sqrt(vector @ vector)), 1e-12)
        return vector


QUERY_WORD_CHARS = 40  # longer "words" carry no meaning (and the tokenizer caches every word it meets)
QUERY_WORDS = 64  # a query's meaning is in its first words; a passage is for find_terms_in_text


def query_words(query: str) -> str:
    """The part of a query worth embedding: its first QUERY_WORDS words of at most QUERY_WORD_CHARS
    characters. The tokenizer keeps every distinct word it has split (about 1.3 kB for a 480-character
    one), so what a client can make the server hold is bounded by what is embedded, not by what is sent."""
    kept = [w for w in query.split() if len(w) <= QUERY_WORD_CHARS]
    return " ".join(kept[:QUERY_WORDS])


_default_model = SemanticModel()


def default_model() -> SemanticModel:
    """The process-wide model over the installed wheel's files."""
    return _default_model


SERVING_WARM_DELAY = 0.3  # s: a server's first initialize and listings come first (cold start is measured)


def warm(after: float = 0.0) -> None:
    _default_model.warm(after)


def settle() -> None:
    _default_model.settle()


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    return _default_model.embed_texts(texts)


def embed_query(query: str) -> np.ndarray:
    return _default_model.embed_query(query)


# ---------------------------------------------------------------- which text stands for an entry


def entry_text(entry: Any) -> str:
    """Term (acronym). Definition: the measured choice (benchmarks/semantic_fusion.py compares it with
    names, aliases and definitions alone): best fused with BM25F at every RRF k."""
    return ". ".join([entry.term + (f" ({entry.acronym})" if entry.acronym else ""), entry.definition])


# ---------------------------------------------------------------- the signal

EXHAUSTIVE_ENTRIES = 20_000  # up to this many entries the query is compared with every entry
SHORTLIST = 512  # above it, with BM25F's best this many (and nothing else)
QUERY_VECTOR = "query vector"  # memo key
# The store keeps the entries' vectors under this name (search/fusion.py's STORED): one float16 row per
# entry position, of `entry_text`. The name says what was embedded with what, so another choice is another
# blob, never a misread one.
STORED_VECTORS = "meaning: wordllama l2_supercat_256 float16, term (acronym). definition"
_halves: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()  # index -> its float16 matrix (a view)
_widened: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()  # index -> its float16 matrix as float32
_coarse: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()  # index -> (int8 codes, float32 row scales)
RESCORED = 2  # above EXHAUSTIVE_ENTRIES, the int8 pass keeps 2 x depth of the shortlist to rescore exactly
CONVERTED_ROWS = 4096  # rows widened at a time while the int8 codes are made (4 MB of float32)


def stored_vectors(index: IndexView) -> np.ndarray:
    """The index's entry vectors, as the store keeps them: one float16 row per entry position."""
    import numpy as np

    half = _halves.get(index)
    if half is None:
        half = _halves[index] = index.signal_data(STORED_VECTORS).view(np.float16).reshape(-1, DIMENSIONS)
    matrix: np.ndarray = half
    return matrix


def coarse_vectors(index: IndexView) -> tuple[np.ndarray, np.ndarray]:
    """The stored vectors as int8 codes with one float32 scale per row (code * scale ~ the float16 value,
    within scale / 2), made once per index, CONVERTED_ROWS at a time (no float32 copy of the matrix)."""
    import numpy as np

    kept = _coarse.get(index)
    if kept is None:
        half = stored_vectors(index)
        codes, scales = np.empty(half.shape, np.int8), np.empty(len(half), np.float32)
        for at in range(0, len(half), CONVERTED_ROWS):
            rows = half[at : at + CONVERTED_ROWS].astype(np.float32)
            scale = np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127
            codes[at : at + CONVERTED_ROWS] = np.rint(rows / scale[:, None])
            scales[at : at + CONVERTED_ROWS] = scale
        kept = _coarse[index] = (codes, scales)
    return kept


def shortlist_cosines(
    index: IndexView, rows: np.ndarray, vector: np.ndarray, depth: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cosines) of the shortlisted entry positions that can make the best `depth`. Widening float16
    is slow in numpy (~120 us for 512 rows), so when the shortlist holds more than RESCORED x depth rows,
    an int8 pass (~25 us) keeps the likeliest RESCORED x depth and only those are widened and scored
    exactly: the cosines handed back are the float16 ones, and int8 rounding (at most 1/254 of a row's
    largest value per value) would have to outweigh depth rows' margins to change the best `depth`."""
    import numpy as np

    kept = RESCORED * depth if depth is not None else len(rows)
    if len(rows) > kept:
        codes, scales = coarse_vectors(index)
        coarse = (codes[rows].astype(np.float32) @ vector) * scales[rows]
        rows = rows[np.argpartition(-coarse, kept - 1)[:kept]]
    scores: np.ndarray = stored_vectors(index)[rows].astype(np.float32) @ vector
    return rows, scores


def entry_matrix(entries: Sequence[Any]) -> bytes:
    """What a store keeps: one float16 row per entry, in the given order, of `entry_text`."""
    return _default_model.embed_texts([entry_text(e) for e in entries]).astype("float16").tobytes()


def query_vector(query: Query) -> np.ndarray:
    """The query's embedding, computed once per query (every signal that compares meanings shares it)."""
    vector: np.ndarray | None = query.memo.get(QUERY_VECTOR)
    if vector is None:
        vector = query.memo[QUERY_VECTOR] = _default_model.embed_query(query.text)
    return vector


def ranked(query: Query, depth: int | None) -> list[tuple[int, float]]:
    """The signal: (entry position, cosine of the query with the entry's text), best first, at most
    `depth`, only allowed entries (cosines of static embeddings: ~0.1 unrelated, ~0.5 on topic)."""
    import numpy as np

    half = stored_vectors(query.index)
    vector = query_vector(query)
    n = len(half)
    if n > EXHAUSTIVE_ENTRIES:
        from ai_glossary_mcp.search.bm25 import raw_columns  # the text row reuses it: fusion.py asks us first

        shortlist = np.asarray(raw_columns(query, SHORTLIST)[0], dtype=np.intp)
        rows, scores = shortlist_cosines(query.index, shortlist, vector, depth)
    else:
        wide = _widened.get(query.index)
        if wide is None:
            wide = _widened[query.index] = half.astype(np.float32)
        if query.allowed is None:
            rows, scores = np.arange(n), wide @ vector
        else:
            rows = np.fromiter(query.allowed, np.intp, len(query.allowed))
            scores = wide[rows] @ vector
    k = len(rows) if depth is None else min(depth, len(rows))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((rows[top], -scores[top]))]
    return list(zip(rows[top].tolist(), scores[top].tolist(), strict=True))  # one conversion per column


__all__ = [
    "DIMENSIONS",
    "STORED_VECTORS",
    "SemanticModel",
    "SemanticModelMissing",
    "coarse_vectors",
    "default_model",
    "embed_query",
    "embed_texts",
    "entry_matrix",
    "entry_text",
    "load_inference",
    "query_vector",
    "query_words",
    "ranked",
    "settle",
    "shortlist_cosines",
    "stored_vectors",
    "warm",
    "wordllama_dir",
]
