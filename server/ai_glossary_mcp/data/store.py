"""The compiled glossary: a built index written to one SQLite file, and served from it.

Building an index means parsing and validating every YAML file and computing
name keys, trigrams and BM25F weights: seconds for a thousand entries,
minutes for a hundred thousand, and far more memory than serving needs. So a
built `GlossaryIndex` is written once to an SQLite file (`write_store`) and
later runs open that file (`open_store`), which takes a millisecond at any
size. `StoredIndex` and `StoredGlossary` answer exactly the questions
lookup.py, service.py and the MCP layer ask of `GlossaryIndex` and `Glossary`
(the same attributes and methods, the same values), reading rows on demand:
entries are decoded when first asked for and a few thousand are kept in small
LRU caches, so memory stays small whatever the glossary's size (the one thing
held whole is the name-key rows fuzzy matching scores: ~100 bytes a key).

SQLite is in the standard library, does indexed lookups in microseconds and
holds long posting lists as compact arrays (`array` bytes); nothing here
needs a server or an extension. The file is written under a temporary name
and renamed into place, opened read-only and treated as immutable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ai_glossary_mcp.data.glossary import Edge, PackInfo
from ai_glossary_mcp.data.index import GlossaryIndex, NameKey, Posting, Surface, indexed_variants, letter_of
from ai_glossary_mcp.data.model import Entry, Pack
from ai_glossary_mcp.data.names import title
from ai_glossary_mcp.data.vocabulary import Vocabulary

FORMAT = 5  # 3: pack-declared vocabularies (meta "vocabulary"), entries without a category; 4: examples;
# 5: examples keyed by compact name (a format-4 store keyed them spaced)
MMAP_BYTES = 1 << 30
LIST_CACHE = 4096  # decoded key-id lists kept per table (trigrams, words: a query has 10-40 trigrams)
KEY_CACHE = 8192  # decoded name-key rows kept (~450 bytes each, ~3.5 MB in all; a typo scores up to 32)
IN_CHUNK = 500  # values per SQL IN list (older SQLite allows 999 variables a statement)
NAME_TABLES = ("raw", "normalized", "compact")
_SEP = "\x1f"  # joins the words of a phrase key, the key words of a variant, the fields of a name-key row

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (pos INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, pack TEXT NOT NULL,
                      category TEXT, letter TEXT NOT NULL, formula INTEGER NOT NULL,
                      data TEXT NOT NULL, edges TEXT NOT NULL);
CREATE INDEX entries_by_category ON entries (category, pos);
CREATE INDEX entries_by_letter ON entries (letter, pos);
CREATE TABLE names (tbl INTEGER NOT NULL, key TEXT NOT NULL, entry_id TEXT NOT NULL, kind TEXT NOT NULL,
                    text TEXT NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE grams (gram TEXT PRIMARY KEY, kids BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE words (word TEXT PRIMARY KEY, kids BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE word_variants (variant TEXT PRIMARY KEY, words TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE postings (token TEXT PRIMARY KEY, docs BLOB NOT NULL, impacts BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE phrases (key TEXT PRIMARY KEY, surfaces TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE phrase_starts (word TEXT PRIMARY KEY, longest INTEGER NOT NULL) WITHOUT ROWID;
"""


# -- writing ---------------------------------------------------------------------
def write_store(index: GlossaryIndex, path: Path) -> None:
    """Write `index` to `path` atomically (a temporary file renamed into place)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".sqlite")
    os.close(fd)
    try:
        db = sqlite3.connect(tmp)
        try:
            db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
            with db:
                _fill(db, index)
            db.execute("VACUUM")
        finally:
            db.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fill(db: sqlite3.Connection, index: GlossaryIndex) -> None:
    g = index.glossary
    meta = {
        "format": FORMAT,
        "content_hash": g.content_hash,
        "vocabulary": g.vocabulary.as_json(),
        "packs": [
            {"pack": p.pack.model_dump(mode="json"), "directory": p.directory, "entry_count": p.entry_count}
            for p in g.packs
        ],
        "counts": g.counts(),
        "entry_count": len(g.entries),
        "max_name_words": index.max_name_words,
        "categories": sorted(index.by_category),
        "letters": sorted(index.letters),
        "example_of": index.example_of,  # a few per entry at most; held whole, like the name-key rows
    }
    db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    db.executemany(
        "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                pos,
                e.id,
                g.entry_pack[e.id],
                e.category,
                letter_of(title(e)),
                e.formula is not None,
                e.model_dump_json(),
                json.dumps([[x.target, x.relation, x.note, x.inferred] for x in g.edges.get(e.id, ())]),
            )
            for pos, e in enumerate(g.entries)
        ),
    )
    for tbl, table in enumerate((index.raw_names, index.keys, index.compact_keys)):
        db.executemany(
            "INSERT INTO names VALUES (?, ?, ?, ?, ?, ?)",
            ((tbl, key, nk.entry_id, nk.kind, nk.text, nk.rank) for key, nk in table.items()),
        )
    # The name as written goes last: it is the one field that may itself hold the separator.
    rows = [
        _SEP.join((key, nk.entry_id, nk.kind, str(nk.rank), nk.text)).encode()
        for key, nk in index.keys_at(range(len(index.key_list)))
    ]
    offsets = array("q", [0])
    for row in rows:
        offsets.append(offsets[-1] + len(row))
    db.executemany(
        "INSERT INTO blobs VALUES (?, ?)", [("key_rows", b"".join(rows)), ("key_offsets", offsets.tobytes())]
    )
    db.executemany(
        "INSERT INTO grams VALUES (?, ?)",
        ((gram, array("i", kids).tobytes()) for gram, kids in index.key_trigrams.items()),
    )
    db.executemany(
        "INSERT INTO words VALUES (?, ?)",
        ((word, array("i", kids).tobytes()) for word, kids in index.key_words.items()),
    )
    # Grouped by SQLite from streamed pairs: the in-memory table would be ~130 MB at 100,000 entries.
    db.execute("CREATE TEMP TABLE variant_pairs (variant TEXT NOT NULL, word TEXT NOT NULL)")
    db.executemany(
        "INSERT INTO variant_pairs VALUES (?, ?)",
        ((variant, word) for word in index.key_words for variant in indexed_variants(word)),
    )
    db.execute(
        "INSERT INTO word_variants SELECT variant, group_concat(word, ?) FROM variant_pairs GROUP BY variant",
        (_SEP,),
    )
    db.execute("DROP TABLE variant_pairs")
    db.execute("INSERT INTO blobs VALUES ('key_lengths', ?)", (index.key_lengths,))
    db.executemany(
        "INSERT INTO postings VALUES (?, ?, ?)",
        (
            (t, array("i", p.docs).tobytes(), array("d", p.impacts).tobytes())
            for t, p in index.postings.items()
        ),
    )
    db.executemany(
        "INSERT INTO phrases VALUES (?, ?)",
        (
            (_SEP.join(key), json.dumps([[s.entry_id, s.text, s.case_sensitive] for s in surfaces]))
            for key, surfaces in index.phrases.items()
        ),
    )
    db.executemany("INSERT INTO phrase_starts VALUES (?, ?)", index.phrase_starts.items())


# -- reading ---------------------------------------------------------------------
class _Db:
    """One read-only connection shared by the threads that serve requests."""

    def __init__(self, path: Path):
        uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
        self.con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # Read pages through a memory map rather than one read() call each: the file never changes while
        # open (a rebuild writes a new file and renames it). Pages are loaded when a query first touches
        # them and are the kernel's clean, shared file cache.
        self.con.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        self.lock = threading.Lock()

    def one(self, sql: str, args: Sequence[Any] = ()) -> tuple | None:
        with self.lock:
            return self.con.execute(sql, args).fetchone()

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        with self.lock:
            return self.con.execute(sql, args).fetchall()

    def all_in(self, sql: str, values: Sequence[Any]) -> list[tuple]:
        """The rows of `sql`, whose `{}` is an IN list, for all `values`: sent IN_CHUNK at a time."""
        rows: list[tuple] = []
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            rows += self.all(sql.format(",".join("?" * len(chunk))), chunk)
        return rows

    def meta(self, key: str) -> Any:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        if row is None:
            raise KeyError(key)
        return json.loads(row[0])


class _Lookup(Mapping):
    """A read-only mapping whose items are rows: `get` is one indexed query, cached."""

    def __init__(self, fetch: Callable[[Any], Any], keys: Callable[[], list], cache: int = 8192):
        self._fetch = lru_cache(maxsize=cache)(fetch)  # returns None for a missing key
        self._keys = keys

    def __getitem__(self, key: Any) -> Any:
        value = self._fetch(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        value = self._fetch(key)
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return self._fetch(key) is not None

    def __iter__(self) -> Iterator:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


class _Entries(Sequence):
    """All entries in glossary order, decoded on demand."""

    def __init__(self, db: _Db, count: int):
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
    """What `Glossary` offers, read from the store."""

    def __init__(self, db: _Db):
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
        self.position = _Lookup(lambda i: _first(db.one("SELECT pos FROM entries WHERE id = ?", (i,))), ids)
        self.by_id = _Lookup(lambda i: self._entry_by_id(i), ids)
        self.entry_pack = _Lookup(
            lambda i: _first(db.one("SELECT pack FROM entries WHERE id = ?", (i,))), ids
        )
        self.edges = _Lookup(self._edges, ids, cache=4096)

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

    @property
    def categories(self) -> Mapping[str, str]:
        """The served categories: id -> label, in pack order."""
        return self.vocabulary.categories

    def counts(self) -> dict[str, int]:
        return dict(self._counts)


class StoredIndex:
    """What `GlossaryIndex` offers (attributes and read methods), read from the store."""

    def __init__(self, path: Path):
        db = self._db = _Db(path)
        if db.meta("format") != FORMAT:
            raise ValueError(f"{path}: store format {db.meta('format')}, expected {FORMAT}")
        self.path = Path(path)
        self.glossary = StoredGlossary(db)
        self.entries = self.glossary.entries
        self.position = self.glossary.position
        self.max_name_words: int = db.meta("max_name_words")
        self.example_of: dict[str, str] = db.meta("example_of")
        self.raw_names, self.keys, self.compact_keys = (self._names(tbl) for tbl in range(len(NAME_TABLES)))
        categories, letters = db.meta("categories"), db.meta("letters")
        self.by_category = _Lookup(lambda c: self._ids("category", c), lambda: categories, cache=64)
        self.letters = _Lookup(lambda c: self._ids("letter", c), lambda: letters, cache=64)
        self._category_positions = lru_cache(maxsize=64)(
            lambda c: frozenset(r[0] for r in db.all("SELECT pos FROM entries WHERE category = ?", (c,)))
        )
        self.phrases = _Lookup(
            self._phrase, lambda: [tuple(r[0].split(_SEP)) for r in db.all("SELECT key FROM phrases")]
        )
        self.phrase_starts = _Lookup(
            lambda w: _first(db.one("SELECT longest FROM phrase_starts WHERE word = ?", (w,))),
            lambda: [r[0] for r in db.all("SELECT word FROM phrase_starts")],
            cache=16384,
        )
        self.posting = lru_cache(maxsize=128)(self._posting)
        self._rows: tuple[bytes, array] | None = None
        self._key_row = lru_cache(maxsize=KEY_CACHE)(self._decode_key_row)
        self._rows_lock = threading.Lock()
        self._grams = _ListCache(db, "SELECT gram, kids FROM grams WHERE gram IN ({})")
        self._words = _ListCache(db, "SELECT word, kids FROM words WHERE word IN ({})")
        # A typo's deletion variants: a dozen or two per query word, most of them in no name.
        self._variants = _ListCache(
            db,
            "SELECT variant, words FROM word_variants WHERE variant IN ({})",
            decode=lambda words: tuple(words.split(_SEP)),
        )

    @property
    def categories(self) -> Mapping[str, str]:
        return self.glossary.vocabulary.categories

    def _names(self, tbl: int) -> _Lookup:
        def fetch(key: Any) -> NameKey | None:
            row = self._db.one(
                "SELECT entry_id, kind, text, rank FROM names WHERE tbl = ? AND key = ?", (tbl, key)
            )
            return None if row is None else NameKey(*row)

        return _Lookup(
            fetch, lambda: [r[0] for r in self._db.all("SELECT key FROM names WHERE tbl = ?", (tbl,))]
        )

    def _ids(self, column: str, value: Any) -> tuple[str, ...] | None:
        rows = self._db.all(f"SELECT id FROM entries WHERE {column} = ? ORDER BY pos", (value,))
        return tuple(r[0] for r in rows) or None

    def _phrase(self, key: Any) -> list[Surface] | None:
        row = self._db.one("SELECT surfaces FROM phrases WHERE key = ?", (_SEP.join(key),))
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
        total = self._db.one(f"SELECT count(*) FROM entries{clause}", args)[0]
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
        """Like GlossaryIndex.gram_postings; decoded lists are kept in an LRU (common trigrams recur in
        every query and are the long ones)."""
        return self._grams.get(grams)

    def word_postings(self, words: Iterable[str]) -> dict[str, Sequence[int]]:
        return self._words.get(words)

    def similar_words(self, variants: Iterable[str]) -> dict[str, tuple[str, ...]]:
        return self._variants.get(variants)

    @cached_property
    def key_lengths(self) -> bytes:
        return self._db.one("SELECT data FROM blobs WHERE name = 'key_lengths'")[0]

    def keys_at(self, key_ids: Sequence[int]) -> list[tuple[str, NameKey]]:
        key_row = self._key_row
        return [key_row(kid) for kid in key_ids]

    def _decode_key_row(self, kid: int) -> tuple[str, NameKey]:
        """One name key's row, decoded (kept in an LRU of KEY_CACHE rows: a typo's candidates are dozens of
        keys, decoding one costs ~2 us and the same keys come back as candidates for related queries)."""
        rows, offsets = self._key_rows
        key, entry_id, kind, rank, text = rows[offsets[kid] : offsets[kid + 1]].decode().split(_SEP, 4)
        return key, NameKey(entry_id, sys.intern(kind), text, int(rank))

    @property
    def _key_rows(self) -> tuple[bytes, array]:
        """Every name key's row, in key id order, held in one bytes object with an offsets array, read on
        the first fuzzy lookup: scoring reads dozens of arbitrary rows per query, and slicing them out of
        memory costs a microsecond each where an SQLite lookup by id costs several (about 32 MB at
        100,000 entries). Read once even when the first lookups arrive together in worker threads."""
        if self._rows is None:
            with self._rows_lock:
                if self._rows is None:
                    offsets = array("q")
                    offsets.frombytes(self._db.one("SELECT data FROM blobs WHERE name = 'key_offsets'")[0])
                    self._rows = self._db.one("SELECT data FROM blobs WHERE name = 'key_rows'")[0], offsets
        return self._rows

    def _posting(self, token: str) -> Posting | None:
        row = self._db.one("SELECT docs, impacts FROM postings WHERE token = ?", (token,))
        if row is None:
            return None
        impacts = array("d")
        impacts.frombytes(row[1])
        return Posting(_ints(row[0]), impacts)


class _ListCache:
    """Rows read by key from one table, decoded once (by default as posting lists of key ids) and kept in
    an LRU, misses included: the common ones recur in every query and are the long ones."""

    def __init__(
        self, db: _Db, select: str, size: int = LIST_CACHE, decode: Callable[[Any], Any] | None = None
    ):
        self._db, self._select, self._size = db, select, size
        self._decode = decode or _ints
        self._cache: OrderedDict[str, Any] = OrderedDict()  # decoded rows; None for a key not in the table
        self._lock = threading.Lock()

    def get(self, keys: Iterable[str]) -> dict[str, Any]:
        with self._lock:
            return self._get(list(keys))

    def _get(self, keys: list[str]) -> dict[str, Any]:
        cache = self._cache
        found = {k: cache[k] for k in keys if k in cache}
        missing = [k for k in keys if k not in found]
        for key, value in self._db.all_in(self._select, missing):
            found[key] = cache[key] = self._decode(value)
        for key in set(missing) - set(found):
            found[key] = cache[key] = None
        for key in found:
            cache.move_to_end(key)
        while len(cache) > self._size:  # the least recently used go, never what this call just read
            cache.popitem(last=False)
        return {k: p for k, p in found.items() if p is not None}


def _first(row: tuple | None) -> Any:
    return None if row is None else row[0]


def _ints(blob: bytes) -> array:
    out = array("i")
    out.frombytes(blob)
    return out


def open_store(path: Path) -> StoredIndex:
    """Open a store written by `write_store`; raises sqlite3.Error or ValueError if it is unusable."""
    return StoredIndex(path)


__all__ = ["FORMAT", "StoredGlossary", "StoredIndex", "open_store", "write_store"]
