"""The compiled glossary, served: the SQLite store that store_writer.py writes, read on demand.

Building an index means parsing and validating every YAML file and computing
name keys, trigrams and BM25F weights: seconds for a thousand entries,
minutes for a hundred thousand, and far more memory than serving needs. So a
built `GlossaryIndex` is written once to an SQLite file and later runs open
that file (`open_store`), which takes a millisecond at any size. Where no file
is wanted (a glossary loaded in-process, a reload, an unwritable cache) the
same tables are filled into an in-memory database (`memory_store`), so the
query side only ever meets this one implementation of `contract.IndexView`
and `contract.GlossaryView`. Rows are read on demand: entries are decoded when
first asked for and a few thousand are kept in small LRU caches, so memory
stays small whatever the glossary's size (the one thing held whole is the
name-key rows fuzzy matching scores: ~100 bytes a key).

SQLite is in the standard library, does indexed lookups in microseconds and
holds long posting lists as compact arrays (`array` bytes); nothing here
needs a server or an extension. A store file is opened read-only and treated
as immutable.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ai_glossary_mcp.data.glossary import Edge, Glossary, PackInfo
from ai_glossary_mcp.data.index import GlossaryIndex, NameKey, Posting, Surface
from ai_glossary_mcp.data.model import Entry, Pack
from ai_glossary_mcp.data.store_db import MMAP_BYTES, Db, ListCache, Lookup, first_value, ints
from ai_glossary_mcp.data.store_writer import FORMAT, NAME_TABLES, SEP, SignalData, fill_store
from ai_glossary_mcp.data.vocabulary import Vocabulary

if TYPE_CHECKING:
    import numpy as np

    from ai_glossary_mcp.data.contract import GlossaryView, IndexView

KEY_CACHE = 8192  # decoded name-key rows kept (~450 bytes each, ~3.5 MB in all; a typo scores up to 32)
BLOB_PIECE = 1 << 20  # bytes of a signal's data read at a time


# -- reading ---------------------------------------------------------------------
class _Entries(Sequence[Entry]):
    """All entries in glossary order, decoded on demand."""

    def __init__(self, db: Db, count: int):
        self._db = db
        self._count = count
        self.at = lru_cache(maxsize=4096)(self._load)

    def _load(self, pos: int) -> Entry:
        row = self._db.one("SELECT data FROM entries WHERE pos = ?", (pos,))
        if row is None:
            raise IndexError(pos)
        return Entry.model_validate_json(row[0])

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, pos: Any) -> Any:
        if isinstance(pos, slice):
            return [self.at(i) for i in range(*pos.indices(self._count))]
        if pos < 0:
            pos += self._count
        if not 0 <= pos < self._count:
            raise IndexError(pos)
        return self.at(pos)

    def __iter__(self) -> Iterator[Entry]:
        for start in range(0, self._count, 512):
            for pos in range(start, min(start + 512, self._count)):
                yield self.at(pos)


class StoredGlossary:
    """`contract.GlossaryView` (what the loaded `Glossary` offers), read from the store."""

    def __init__(self, db: Db):
        self._db = db
        self.content_hash: str = db.meta("content_hash")
        self._counts: dict[str, int] = db.meta("counts")
        self.vocabulary = Vocabulary.from_json(db.meta("vocabulary"))
        self.packs: tuple[PackInfo, ...] = tuple(
            PackInfo(Pack.model_validate(p["pack"]), p["directory"], p["entry_count"])
            for p in db.meta("packs")
        )
        self.entries = _Entries(db, db.meta("entry_count"))
        ids = lambda: [r[0] for r in db.all("SELECT id FROM entries ORDER BY pos")]  # noqa: E731
        self.position = Lookup(
            lambda i: first_value(db.one("SELECT pos FROM entries WHERE id = ?", (i,))), ids
        )
        self.by_id = Lookup(lambda i: self._entry_by_id(i), ids)
        self.entry_pack = Lookup(
            lambda i: first_value(db.one("SELECT pack FROM entries WHERE id = ?", (i,))), ids
        )
        self.edges = Lookup(self._edges, ids, cache=4096)

    def _entry_by_id(self, entry_id: Any) -> Entry | None:
        pos = self.position.get(entry_id)
        return None if pos is None else self.entries.at(pos)

    def _edges(self, entry_id: Any) -> tuple[Edge, ...] | None:
        row = self._db.one("SELECT edges FROM entries WHERE id = ?", (entry_id,))
        if row is None:
            return None
        phrase = self.vocabulary.phrase
        return tuple(
            Edge(entry_id, target, relation, note, inferred, phrase(relation))
            for target, relation, note, inferred in json.loads(row[0])
        )

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def formula_entries(self) -> tuple[Entry, ...]:
        return tuple(
            self.entries.at(r[0]) for r in self._db.all("SELECT pos FROM entries WHERE formula ORDER BY pos")
        )

    def counts(self) -> dict[str, int]:
        return dict(self._counts)


class StoredIndex:
    """`contract.IndexView`, read from a store (a file, or an in-memory database when `path` is None)."""

    def __init__(self, db: Db, path: Path | None = None):
        self._db = db
        if db.meta("format") != FORMAT:
            raise ValueError(f"{path or 'memory'}: store format {db.meta('format')}, expected {FORMAT}")
        self.path = path
        self.glossary = StoredGlossary(db)
        self.entries = self.glossary.entries
        self._signal_data: dict[str, np.ndarray] = {}
        self._signal_lock = threading.Lock()
        self.position = self.glossary.position
        self.max_name_words: int = db.meta("max_name_words")
        self.example_of: dict[str, str] = db.meta("example_of")
        self.raw_names, self.keys, self.compact_keys = (self._names(tbl) for tbl in range(len(NAME_TABLES)))
        categories, letters = db.meta("categories"), db.meta("letters")
        self.by_category = Lookup(lambda c: self._ids("category", c), lambda: categories, cache=64)
        self.letters = Lookup(lambda c: self._ids("letter", c), lambda: letters, cache=64)
        self._category_positions = lru_cache(maxsize=64)(
            lambda c: frozenset(r[0] for r in db.all("SELECT pos FROM entries WHERE category = ?", (c,)))
        )
        self.phrases = Lookup(
            self._phrase, lambda: [tuple(r[0].split(SEP)) for r in db.all("SELECT key FROM phrases")]
        )
        self.phrase_starts = self._longest_from("phrase_starts")
        self.stem_phrases = Lookup(
            self._stem_ids, lambda: [tuple(r[0].split(SEP)) for r in db.all("SELECT form FROM stem_phrases")]
        )
        self.stem_starts = self._longest_from("stem_starts")
        self.posting = lru_cache(maxsize=128)(self._posting)
        self._rows: tuple[bytes, array[int]] | None = None
        self._key_row = lru_cache(maxsize=KEY_CACHE)(self._decode_key_row)
        self._rows_lock = threading.Lock()
        self._grams = ListCache(db, "SELECT gram, kids FROM grams WHERE gram IN ({})")
        self._words = ListCache(db, "SELECT word, kids FROM words WHERE word IN ({})")
        # A typo's deletion variants: a dozen or two per query word, most of them in no name.
        self._variants = ListCache(
            db,
            "SELECT variant, words FROM word_variants WHERE variant IN ({})",
            decode=lambda words: tuple(words.split(SEP)),
        )

    def _longest_from(self, table: str) -> Lookup:
        """word -> the most words of a name (or stemmed form) that starts with it, from `table`."""
        db = self._db
        return Lookup(
            lambda w: first_value(db.one(f"SELECT longest FROM {table} WHERE word = ?", (w,))),
            lambda: [r[0] for r in db.all(f"SELECT word FROM {table}")],
            cache=16384,
        )

    @property
    def categories(self) -> Mapping[str, str]:
        return self.glossary.vocabulary.categories

    def holds_signal_data(self, names: Sequence[str]) -> bool:
        """Whether the store keeps data for every one of these signals (a store built for other signals
        is a cache miss, not an error at the first search)."""
        held = {row[0] for row in self._db.all("SELECT name FROM signal_data")}
        return all(name in held for name in names)

    def signal_data(self, name: str) -> np.ndarray:
        """A search signal's data (search/fusion.py's STORED), as read-only bytes (uint8), read once."""
        with self._signal_lock:
            if name not in self._signal_data:
                self._signal_data[name] = self._read_signal_data(name)
            return self._signal_data[name]

    def _read_signal_data(self, name: str) -> np.ndarray:
        """Read in 1 MB pieces into one array (no whole-blob bytes object: 51 MB at 100,000 entries)."""
        import numpy as np

        db = self._db
        row = db.one("SELECT rowid, length(data) FROM signal_data WHERE name = ?", (name,))
        if row is None:
            raise ValueError(f"{self.path or 'memory'}: the store holds no data for the signal {name!r}")
        rowid, size = row
        if not hasattr(db.con, "blobopen"):  # Python 3.10: the blob as one bytes object
            data = db.one("SELECT data FROM signal_data WHERE rowid = ?", (rowid,))[0]  # type: ignore[index]
            return np.frombuffer(data, dtype=np.uint8)
        out = np.empty(size, dtype=np.uint8)
        view = out.data.cast("B")  # the array's own buffer, written in place
        with db.lock:
            # Through SQLite's small page cache, not the memory map: mapped pages would stay resident
            # beside the array (another 51 MB at 100,000 entries).
            db.con.execute("PRAGMA mmap_size=0")
            try:
                with db.con.blobopen("signal_data", "data", rowid, readonly=True) as blob:
                    for at in range(0, size, BLOB_PIECE):
                        piece = blob.read(BLOB_PIECE)
                        view[at : at + len(piece)] = piece
            finally:
                db.con.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        out.flags.writeable = False
        return out

    def _names(self, tbl: int) -> Lookup:
        def fetch(key: Any) -> NameKey | None:
            row = self._db.one(
                "SELECT entry_id, kind, text, rank FROM names WHERE tbl = ? AND key = ?", (tbl, key)
            )
            return None if row is None else NameKey(*row)

        return Lookup(
            fetch, lambda: [r[0] for r in self._db.all("SELECT key FROM names WHERE tbl = ?", (tbl,))]
        )

    def _ids(self, column: str, value: Any) -> tuple[str, ...] | None:
        rows = self._db.all(f"SELECT id FROM entries WHERE {column} = ? ORDER BY pos", (value,))
        return tuple(r[0] for r in rows) or None

    def _stem_ids(self, form: Any) -> tuple[str, ...] | None:
        row = self._db.one("SELECT ids FROM stem_phrases WHERE form = ?", (SEP.join(form),))
        return None if row is None else tuple(row[0].split(SEP))

    def _phrase(self, key: Any) -> list[Surface] | None:
        row = self._db.one("SELECT surfaces FROM phrases WHERE key = ?", (SEP.join(key),))
        return None if row is None else [Surface(eid, text, bool(cs)) for eid, text, cs in json.loads(row[0])]

    def ids_page(
        self, letter: str | None, category: str | None, offset: int, limit: int
    ) -> tuple[list[str], int]:
        """One page of entry ids in glossary order, filtered by index letter and category, and the total."""
        where, args = [], []
        if letter:
            where.append("letter = ?")
            args.append(letter)
        if category:
            where.append("category = ?")
            args.append(category)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total = self._db.value(f"SELECT count(*) FROM entries{clause}", args)
        rows = self._db.all(
            f"SELECT id FROM entries{clause} ORDER BY pos LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [r[0] for r in rows], total

    def names_with_prefix(self, prefix: str, limit: int) -> list[tuple[str, NameKey]]:
        """Raw (case-folded) names starting with `prefix`, in key order, at most `limit` (a range scan)."""
        rows = self._db.all(
            "SELECT key, entry_id, kind, text, rank FROM names WHERE tbl = 0 AND key >= ? "
            "ORDER BY key LIMIT ?",
            (prefix, limit),
        )
        return [(key, NameKey(*nk)) for key, *nk in rows if key.startswith(prefix)]

    def category_positions(self, category: str) -> frozenset[int]:
        return self._category_positions(category)

    def gram_postings(self, grams: Iterable[str]) -> dict[str, Sequence[int]]:
        """The name-key ids holding each trigram (absent grams left out); decoded lists are kept in an
        LRU (common trigrams recur in every query and are the long ones)."""
        return self._grams.get(grams)

    def word_postings(self, words: Iterable[str]) -> dict[str, Sequence[int]]:
        return self._words.get(words)

    def similar_words(self, variants: Iterable[str]) -> dict[str, tuple[str, ...]]:
        return self._variants.get(variants)

    @cached_property
    def key_lengths(self) -> bytes:
        blob: bytes = self._db.value("SELECT data FROM blobs WHERE name = 'key_lengths'")
        return blob

    def keys_at(self, key_ids: Sequence[int]) -> list[tuple[str, NameKey]]:
        key_row = self._key_row
        return [key_row(kid) for kid in key_ids]

    def _decode_key_row(self, kid: int) -> tuple[str, NameKey]:
        """One name key's row, decoded (kept in an LRU of KEY_CACHE rows: a typo's candidates are dozens of
        keys, decoding one costs ~2 us and the same keys come back as candidates for related queries)."""
        rows, offsets = self._key_rows
        key, entry_id, kind, rank, text = rows[offsets[kid] : offsets[kid + 1]].decode().split(SEP, 4)
        return key, NameKey(entry_id, sys.intern(kind), text, int(rank))

    @property
    def _key_rows(self) -> tuple[bytes, array[int]]:
        """Every name key's row, in key id order, held in one bytes object with an offsets array, read on
        the first fuzzy lookup: scoring reads dozens of arbitrary rows per query, and slicing them out of
        memory costs a microsecond each where an SQLite lookup by id costs several (about 32 MB at
        100,000 entries). Read once even when the first lookups arrive together in worker threads."""
        if self._rows is None:
            with self._rows_lock:
                if self._rows is None:
                    offsets = array("q")
                    offsets.frombytes(self._db.value("SELECT data FROM blobs WHERE name = 'key_offsets'"))
                    self._rows = self._db.value("SELECT data FROM blobs WHERE name = 'key_rows'"), offsets
        return self._rows

    def _posting(self, token: str) -> Posting | None:
        row = self._db.one("SELECT docs, impacts FROM postings WHERE token = ?", (token,))
        if row is None:
            return None
        impacts = array("d")
        impacts.frombytes(row[1])
        return Posting(ints(row[0]), impacts)


def open_store(path: Path) -> StoredIndex:
    """Open a store written by `write_store`; raises sqlite3.Error or ValueError if it is unusable."""
    return StoredIndex(Db.read_only(path), Path(path))


def memory_store(built: Glossary | GlossaryIndex, signals: Sequence[SignalData]) -> StoredIndex:
    """The store of a glossary (or of an index already built from one) with its `signals`' data, in an
    in-memory database: what a file store would serve, without a file."""
    index = built if isinstance(built, GlossaryIndex) else GlossaryIndex(built)
    con = sqlite3.connect(":memory:", check_same_thread=False)
    fill_store(con, index, signals)
    return StoredIndex(Db(con))


if TYPE_CHECKING:  # mypy proves the store (and the loaded Glossary) satisfy the contract

    def _index_conforms(index: StoredIndex) -> IndexView:
        return index

    def _glossary_conforms(glossary: StoredGlossary) -> GlossaryView:
        return glossary

    def _loaded_glossary_conforms(glossary: Glossary) -> GlossaryView:
        return glossary


__all__ = ["FORMAT", "StoredGlossary", "StoredIndex", "memory_store", "open_store"]
