"""The SQLite access layer under the store's reader (store.py): a read-only connection shared across
threads, key-value lookups with small LRU caches, and the decoding of stored int arrays.

Kept apart from store.py so that the reader says what the tables mean and this module how they are read:
thread safety (one lock per connection), SQL `IN` lists cut to the older 999-variable limit, and caches
that also remember misses, because the common misses recur in every query.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

MMAP_BYTES = 1 << 30
LIST_CACHE = 4096  # decoded key-id lists kept per table (trigrams, words: a query has 10-40 trigrams)
IN_CHUNK = 500  # values per SQL IN list (older SQLite allows 999 variables a statement)
CACHED_KEY_CHARS = 100  # longer keys are looked up uncached (as normalize.py caches only short inputs)
_UNREAD = object()  # a key not in a ListCache (a cached miss is None)


class Db:
    """One connection shared by the threads that serve requests, never written to once open."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con
        self.lock = threading.Lock()

    @classmethod
    def read_only(cls, path: Path) -> Db:
        uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
        con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # Read pages through a memory map rather than one read() call each: the file never changes while
        # open (a rebuild writes a new file and renames it). Pages are loaded when a query first touches
        # them and are the kernel's clean, shared file cache.
        con.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        return cls(con)

    def one(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self.lock:
            row: tuple[Any, ...] | None = self.con.execute(sql, args).fetchone()
            return row

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.con.execute(sql, args).fetchall()

    def all_in(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows of `sql`, whose `{}` is an IN list, for all `values`: sent IN_CHUNK at a time."""
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            rows += self.all(sql.format(",".join("?" * len(chunk))), chunk)
        return rows

    def value(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """The first column of the one row `sql` must find (a count, a blob the writer always writes)."""
        row = self.one(sql, args)
        if row is None:
            raise LookupError(f"the store has no row for {sql!r}")
        return row[0]

    def meta(self, key: str) -> Any:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        if row is None:
            raise KeyError(key)
        return json.loads(row[0])


class Lookup(Mapping[Any, Any]):
    """A read-only mapping whose items are rows: `get` is one indexed query, cached. Keys come from what
    clients send, so a long key (over CACHED_KEY_CHARS, counting a tuple's parts) is looked up uncached:
    the cache holds at most `cache` short keys, and nothing a client sends can make an entry large."""

    def __init__(self, fetch: Callable[[Any], Any], keys: Callable[[], list[Any]], cache: int = 8192):
        self._uncached = fetch
        self._cached = lru_cache(maxsize=cache)(fetch)  # returns None for a missing key
        self._keys = keys

    def _fetch(self, key: Any) -> Any:
        # A str key (most look-ups: a name key per tier and span) is measured without a call.
        short = len(key) <= CACHED_KEY_CHARS if type(key) is str else _key_chars(key) <= CACHED_KEY_CHARS
        return self._cached(key) if short else self._uncached(key)

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

    def __iter__(self) -> Iterator[Any]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


def _key_chars(key: Any) -> int:
    if isinstance(key, str):
        return len(key)
    if isinstance(key, tuple):
        return sum(len(part) if isinstance(part, str) else 1 for part in key)
    return 0


class ListCache:
    """Rows read by key from one table, decoded once (by default as posting lists of key ids) and kept in
    an LRU, misses included: the common ones recur in every query and are the long ones. Keys over
    CACHED_KEY_CHARS are read but not kept, as in Lookup."""

    def __init__(
        self, db: Db, select: str, size: int = LIST_CACHE, decode: Callable[[Any], Any] | None = None
    ):
        self._db, self._select, self._size = db, select, size
        self._decode = decode or ints
        self._cache: OrderedDict[str, Any] = OrderedDict()  # decoded rows; None for a key not in the table
        self._lock = threading.Lock()

    def get(self, keys: Iterable[str]) -> dict[str, Any]:
        with self._lock:
            return self._get(list(keys))

    def _get(self, keys: list[str]) -> dict[str, Any]:
        cache = self._cache
        found: dict[str, Any] = {}
        missing: list[str] = []
        for key in keys:  # one probe a key: most calls find every key cached
            value = cache.get(key, _UNREAD)
            if value is _UNREAD:
                missing.append(key)
            else:
                found[key] = value
                cache.move_to_end(key)
        if not missing:
            return {k: p for k, p in found.items() if p is not None}
        for key, value in self._db.all_in(self._select, missing):
            found[key] = self._decode(value)
        for key in missing:
            value = found.setdefault(key, None)
            if len(key) <= CACHED_KEY_CHARS:  # a long key (a client's junk word) is answered, never kept
                cache[key] = value
                cache.move_to_end(key)
        while len(cache) > self._size:  # the least recently used go, never what this call just read
            cache.popitem(last=False)
        return {k: p for k, p in found.items() if p is not None}


def first_value(row: tuple[Any, ...] | None) -> Any:
    return None if row is None else row[0]


def ints(blob: bytes) -> array[int]:
    out = array("i")
    out.frombytes(blob)
    return out
