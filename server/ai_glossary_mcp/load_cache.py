"""A cache of the validated, indexed glossary, so a restart skips YAML, validation and indexing.

Parsing and validating every pack file and building the index is most of a
cold start. The result depends only on the pack files and on this package's
code, so it is pickled once and reused while neither changed. The key is the
package version, the Python version and, for every pack directory, each
file's name, size and modification time in nanoseconds: any write to a pack
file changes its mtime, and adding, removing or renaming a file changes the
listing, so a stale cache cannot be served. A cache that is missing, corrupt
or unwritable is simply rebuilt; it is never required.

The cache lives in a directory only the current user can write
($AI_GLOSSARY_MCP_CACHE_DIR, else $XDG_CACHE_HOME/ai-glossary-mcp, else
~/.cache/ai-glossary-mcp), because unpickling data someone else could
write would be unsafe; a directory writable by others is not used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .index import GlossaryIndex
from .loader import load_glossary

logger = logging.getLogger("ai_glossary_mcp.cache")
CACHE_ENV = "AI_GLOSSARY_MCP_CACHE_DIR"
FORMAT = 1


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ai-glossary-mcp"


def cache_key(pack_dirs: Sequence[Path]) -> str | None:
    """The key for these packs as they are now, or None if a directory cannot be listed."""
    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0{sys.version}\0".encode())
    for directory in pack_dirs:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return None
        h.update(os.path.realpath(directory).encode() + b"\0")
        for name in names:
            try:
                st = os.stat(os.path.join(directory, name))
            except OSError:
                return None
            h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def _private_dir(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path) -> GlossaryIndex | None:
    try:
        with path.open("rb") as handle:
            index = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or foreign file is a miss, never a failure
        logger.info("ignoring unreadable load cache %s", path, exc_info=True)
        return None
    return index if isinstance(index, GlossaryIndex) else None


def _write(path: Path, index: GlossaryIndex) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private_dir(path.parent):
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        _prune(path.parent, keep=path)
    except Exception:  # no space, read-only home, ...: the cache is an optimisation only
        logger.info("could not write the load cache in %s", path.parent, exc_info=True)


def _prune(directory: Path, keep: Path, most: int = 8) -> None:
    """Keep the newest few caches (several pack sets may be in use), drop older ones."""
    caches = sorted(directory.glob("glossary-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in caches[most:]:
        if old != keep:
            old.unlink(missing_ok=True)


def load_index(pack_dirs: Sequence[Path], use_cache: bool = True) -> GlossaryIndex:
    """The indexed glossary for these packs: from the cache when current, else loaded and cached.

    Raises PackValidationError exactly like load_glossary (invalid packs are never cached)."""
    key = cache_key(pack_dirs) if use_cache else None
    directory = cache_dir()
    path = directory / f"glossary-{key}.pickle" if key else None
    if path is not None and _private_dir(directory):
        cached = _read(path)
        if cached is not None:
            return cached
    index = GlossaryIndex(load_glossary(pack_dirs))
    if path is not None and cache_key(pack_dirs) == key:  # unchanged while we loaded it
        _write(path, index)
    return index
