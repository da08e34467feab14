"""The load cache: the compiled glossary (store.py) kept on disk while the packs are unchanged.

Parsing and validating every pack file and building the index is most of a
cold start, and for large glossaries most of the memory. The result depends
only on the pack files and on this package's code, so it is compiled once to
an SQLite store and reopened while neither changed. The key hashes the store
format, the package's own source files and, for every pack directory, each
file's name, size and modification time in nanoseconds: any write to a pack
file changes its mtime, and adding, removing or renaming a file changes the
listing, so a stale store cannot be served. A store that is missing,
corrupt or unwritable is simply rebuilt; it is never required.

The cache lives in a directory only the current user can write
($AI_GLOSSARY_MCP_CACHE_DIR, else $XDG_CACHE_HOME/ai-glossary-mcp, else
~/.cache/ai-glossary-mcp), because whoever can write the store decides what
the server answers; a directory writable by others is not used.
"""

from __future__ import annotations

import hashlib
from array import array
import logging
import os
import sqlite3
import stat
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from . import __version__
from .index import GlossaryIndex
from .store import FORMAT, StoredIndex, open_store, write_store

logger = logging.getLogger("ai_glossary_mcp.cache")
CACHE_ENV = "AI_GLOSSARY_MCP_CACHE_DIR"
KEEP = 8  # newest stores kept (several pack sets may be in use)


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ai-glossary-mcp"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of this package's source: a store built by other code is never reused."""
    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0{sys.version}\0".encode())
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def cache_key(pack_dirs: Sequence[Path]) -> str | None:
    """The key for these packs as they are now, or None if a directory cannot be listed."""
    h = hashlib.sha256(code_fingerprint().encode())
    for directory in pack_dirs:
        try:
            names, stats = _listing(directory)
        except OSError:
            return None
        h.update(os.path.realpath(directory).encode() + b"\0")
        h.update("\0".join(names).encode("utf-8", "surrogateescape") + b"\0")
        h.update(array("q", [v for st in stats for v in (st.st_size, st.st_mtime_ns)]).tobytes())
    return h.hexdigest()


def _listing(directory: Path) -> tuple[list[str], list[os.stat_result]]:
    """Every file name in a directory (sorted) and its stat, as fast as Python allows:
    stat relative to an open directory skips building and resolving 100,000 full paths."""
    if os.stat in os.supports_dir_fd and hasattr(os, "O_DIRECTORY"):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            names = sorted(os.listdir(fd))
            return names, [os.stat(name, dir_fd=fd) for name in names]
        finally:
            os.close(fd)
    names = sorted(os.listdir(directory))
    return names, [os.stat(os.path.join(directory, name)) for name in names]


def _private_dir(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _open(path: Path) -> StoredIndex | None:
    if not path.is_file():
        return None
    try:
        return open_store(path)
    except (sqlite3.Error, ValueError, KeyError, TypeError):  # truncated or foreign: a miss, never a failure
        logger.info("ignoring unreadable glossary store %s", path, exc_info=True)
        return None


def _write(path: Path, index: GlossaryIndex) -> StoredIndex | None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private_dir(path.parent):
            return None
        write_store(index, path)
        _prune(path.parent, keep=path)
        return open_store(path)
    except Exception:  # no space, read-only home, ...: the cache is an optimisation only
        logger.info("could not write the glossary store in %s", path.parent, exc_info=True)
        return None


def _prune(directory: Path, keep: Path) -> None:
    stores = sorted(directory.glob("glossary-*.sqlite"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stores[KEEP:]:
        if old != keep:
            old.unlink(missing_ok=True)
    for stale in directory.glob("glossary-*.pickle"):  # the previous cache format
        stale.unlink(missing_ok=True)


def load_index(pack_dirs: Sequence[Path], use_cache: bool = True) -> GlossaryIndex | StoredIndex:
    """The indexed glossary for these packs: from the store when current, else loaded and stored.

    Raises PackValidationError exactly like load_glossary (invalid packs are never stored)."""
    from .loader import load_glossary  # YAML and validation are only needed when the store is not current

    key = cache_key(pack_dirs) if use_cache else None
    directory = cache_dir()
    path = directory / f"glossary-{key}.sqlite" if key else None
    if path is not None and _private_dir(directory):
        stored = _open(path)
        if stored is not None:
            return stored
    index = GlossaryIndex(load_glossary(pack_dirs))
    if path is not None and cache_key(pack_dirs) == key:  # unchanged while we loaded it
        return _write(path, index) or index
    return index
