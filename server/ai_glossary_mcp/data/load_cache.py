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

Checking 100,000 files takes about half a second of `stat` calls, most of a
large glossary's start. So when a pack set holds more than DEFER_FILES files and
its directories look unchanged (same modification time and file count, which
any added, removed or renamed file changes), `open_remembered` opens the
store the last start used for them at once; app/factory.py serves it and
confirms every file's size and mtime in a background thread, and the MCP
layer holds every request that reads the glossary until that check is done.
If a file was edited in place, the packs are loaded again first (and if they
no longer validate, the last good glossary keeps serving, as a failed reload
does), so no answer ever comes from a stale store. This module only returns
stores; it never builds the service.

Building the store for a large pack set takes minutes and, at 100,000 entries,
over a gigabyte while every entry is held at once; Python does not give that
memory back, so a server that built in-process would keep it for its whole
life. Above BUILD_IN_CHILD_FILES files the store is therefore built by a child
interpreter running this module (`python -m ai_glossary_mcp.data.load_cache`): the
server waits for it, then opens the store like any later start would.
Validation problems come back as the same PackValidationError, file:line and
all; if the child dies (killed, out of memory), the build is redone in-process.
The search signals' data (`signals`, search/fusion.py's STORED rows, passed in
by the caller: the data layer imports no search signal) reaches the child as the
import path of each row's build function.

The cache lives in a directory only the current user can write
($AI_GLOSSARY_MCP_CACHE_DIR, else $XDG_CACHE_HOME/ai-glossary-mcp, else
~/.cache/ai-glossary-mcp), because whoever can write the store decides what
the server answers; a directory writable by others is not used.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import sqlite3
import stat
import sys
import tempfile
from array import array
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from ai_glossary_mcp import __version__
from ai_glossary_mcp.data.index import GlossaryIndex
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.data.store import StoredIndex, memory_store, open_store
from ai_glossary_mcp.data.store_writer import FORMAT, SignalData, write_store

logger = logging.getLogger("ai_glossary_mcp.cache")
CACHE_ENV = "AI_GLOSSARY_MCP_CACHE_DIR"
KEEP = 8  # newest stores kept (several pack sets may be in use)
DEFER_FILES = 2_000  # above this many pack files, a start confirms them in the background
BUILD_IN_CHILD_FILES = 2_000  # above this many pack files, a store is built in a child process


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
    here = Path(__file__).resolve().parents[1]  # the package root: every subpackage's source counts
    for path in sorted(here.rglob("*.py")):
        h.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
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


def quick_key(pack_dirs: Sequence[Path]) -> tuple[str, int] | None:
    """(a key for how the pack directories look, how many files they hold): their modification times
    and file counts, which change whenever a file is added, removed or renamed, but not when one is
    edited in place. Only ever used to find the store to confirm in the background."""
    h = hashlib.sha256(code_fingerprint().encode())
    files = 0
    for directory in pack_dirs:
        try:
            st = os.stat(directory)
            count = len(os.listdir(directory))
        except OSError:
            return None
        files += count
        h.update(f"{os.path.realpath(directory)}\0{st.st_mtime_ns}\0{count}\0".encode())
    return h.hexdigest(), files


def _remember(pack_dirs: Sequence[Path], key: str) -> None:
    """Note which store these pack directories were last served from: only for pack sets large enough
    for open_remembered to use the note, and only when it changed (a start writes nothing otherwise)."""
    quick = quick_key(pack_dirs)
    directory = cache_dir()
    if (
        quick is None
        or quick[1] <= DEFER_FILES
        or _remembered(quick[0]) == key
        or not _private_dir(directory)
    ):
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        os.replace(tmp, directory / f"latest-{quick[0]}")
    except OSError:
        logger.info("could not remember the store for these packs", exc_info=True)


def _remembered(quick: str) -> str | None:
    try:
        key = (cache_dir() / f"latest-{quick}").read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return key if len(key) == 64 and all(c in "0123456789abcdef" for c in key) else None


def open_remembered(
    pack_dirs: Sequence[Path], use_cache: bool = True, signals: Sequence[SignalData] = ()
) -> tuple[StoredIndex, str] | None:
    """(the store, its key) that the last start served these packs from, when they are large and look
    unchanged, opened without checking every file: the caller must confirm `cache_key(pack_dirs) == key`
    before trusting it (app/factory.py does, in the background). None otherwise."""
    quick = quick_key(pack_dirs) if use_cache else None
    if quick is None or quick[1] <= DEFER_FILES or not _private_dir(cache_dir()):
        return None
    key = _remembered(quick[0])
    stored = _open(cache_dir() / f"glossary-{key}.sqlite", signals) if key else None
    return None if stored is None or key is None else (stored, key)


def _large(pack_dirs: Sequence[Path]) -> bool:
    quick = quick_key(pack_dirs)
    return quick is not None and quick[1] > BUILD_IN_CHILD_FILES


def _private_dir(path: Path, create: bool = False) -> bool:
    if create:
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return False
    try:
        st = path.stat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(st.st_mode)
        and st.st_uid == os.getuid()
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _open(path: Path, signals: Sequence[SignalData] = ()) -> StoredIndex | None:
    """The store at `path` when it is readable and keeps every signal's data; else None (a miss)."""
    if not path.is_file():
        return None
    try:
        stored = open_store(path)
        return stored if stored.holds_signal_data([s.name for s in signals]) else None
    except (sqlite3.Error, ValueError, KeyError, TypeError):  # truncated or foreign: a miss, never a failure
        logger.info("ignoring unreadable glossary store %s", path, exc_info=True)
        return None


def _write(path: Path, index: GlossaryIndex, signals: Sequence[SignalData]) -> StoredIndex | None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private_dir(path.parent):
            return None
        write_store(index, path, signals)
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
    notes = sorted(directory.glob("latest-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in notes[4 * KEEP :]:
        old.unlink(missing_ok=True)


class ImportedSignal(NamedTuple):
    """A signal's data as the child rebuilds it: its name and its build function, imported by path."""

    name: str
    build: Callable[[Sequence[Entry]], bytes]


def _signal_paths(signals: Sequence[SignalData]) -> list[list[str]] | None:
    """[name, "module:qualified name"] for each signal, so a child can import its build function; None if
    one cannot be imported so (a lambda, say): then the store is built in this process."""
    paths = []
    for signal in signals:
        module, name = getattr(signal.build, "__module__", None), getattr(signal.build, "__qualname__", None)
        if not isinstance(module, str) or not isinstance(name, str):  # a partial, a callable instance
            return None
        path = f"{module}:{name}"
        try:
            found = _import_path(path)
        except ImportError:
            return None
        if found is not signal.build:
            return None
        paths.append([signal.name, path])
    return paths


def _import_path(path: str) -> Any:
    module, _, name = path.partition(":")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part, None)
    return found


def _build_in_child(pack_dirs: Sequence[Path], key: str, path: Path, signals: Sequence[SignalData]) -> bool:
    """Build and write the store for `key` in a child interpreter; True once it is written. Raises the
    child's PackValidationError; False (after logging why) if the child failed, so the caller builds here.

    The child is `python -m ai_glossary_mcp.data.load_cache`, not a multiprocessing child: that would run the
    parent's main script again in the child, whatever it is. It imports this very package (its directory
    goes first on PYTHONPATH), reports one JSON line on its own stdout (a pipe, never the server's), and
    logs to the shared stderr."""
    import subprocess

    signal_paths = _signal_paths(signals)
    if signal_paths is None:
        logger.info("a signal's build function cannot be imported by a child: building the store here")
        return False
    logger.info("building the glossary store in a child process (%s)", path.name)
    package_root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable,
        "-m",
        "ai_glossary_mcp.data.load_cache",
        "--build-store",
        key,
        str(path),
        json.dumps(signal_paths),
        *(str(d) for d in pack_dirs),
    ]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env, check=False)
    except OSError as exc:  # no processes left, a sandbox without exec, ...: build here instead
        logger.warning(
            "could not start a child process to build the glossary store (%s); building it here", exc
        )
        return False
    try:
        outcome = json.loads(done.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        logger.warning(
            "building the glossary store in a child process failed (it exited with code %s); "
            "building it here",
            done.returncode,
        )
        return False
    if outcome.get("invalid") is not None:
        from ai_glossary_mcp.errors import PackValidationError, Problem

        raise PackValidationError([Problem(**problem) for problem in outcome["invalid"]])
    if not outcome.get("built"):
        logger.warning(
            "building the glossary store in a child process failed (%s); building it here",
            outcome.get("error", "no store written"),
        )
    return bool(outcome.get("built"))


def _child_build(key: str, path: str, signal_paths: str, pack_dirs: list[str]) -> dict[str, object]:
    """The child's side of _build_in_child: load, index and write the store; the outcome as a dict."""
    from dataclasses import asdict

    from ai_glossary_mcp.data.loader import load_glossary
    from ai_glossary_mcp.errors import PackValidationError

    dirs = [Path(d) for d in pack_dirs]
    signals = [ImportedSignal(name, _import_path(found)) for name, found in json.loads(signal_paths)]
    try:
        index = GlossaryIndex(load_glossary(dirs))
    except PackValidationError as exc:
        return {"invalid": [asdict(problem) for problem in exc.problems]}
    if cache_key(dirs) != key:  # changed while we loaded it: this is not that key's store
        return {"error": "the pack files changed during the build"}
    if _write(Path(path), index, signals) is None:
        return {"error": f"could not write the glossary store in {Path(path).parent}"}
    return {"built": True}


def load_index(
    pack_dirs: Sequence[Path], use_cache: bool = True, *, signals: Sequence[SignalData]
) -> StoredIndex:
    """The compiled glossary for these packs, with the data of the search `signals` (search/fusion.py's
    STORED): the store file when current, else loaded and stored (in memory when no file can be written
    or the cache is off).

    Raises PackValidationError exactly like load_glossary (invalid packs are never stored)."""
    key = cache_key(pack_dirs) if use_cache else None
    if key is not None:
        stored = _cached(pack_dirs, key, signals)
        if stored is not None:
            return stored
    from ai_glossary_mcp.data.loader import (
        load_glossary,  # YAML and validation: only when the store is not current (~20 ms)
    )

    index = GlossaryIndex(load_glossary(pack_dirs))
    if key is not None and cache_key(pack_dirs) == key:  # unchanged while we loaded it
        stored = _write(cache_dir() / f"glossary-{key}.sqlite", index, signals)
        if stored is not None:
            _remember(pack_dirs, key)
            return stored
    return memory_store(index, signals)


def _cached(pack_dirs: Sequence[Path], key: str, signals: Sequence[SignalData]) -> StoredIndex | None:
    """The store file for `key`: opened if it is there, else (for a large pack set) built by a child
    process first; None when the caller must build it."""
    directory = cache_dir()
    path = directory / f"glossary-{key}.sqlite"
    stored = _open(path, signals) if _private_dir(directory) else None
    if (
        stored is None
        and _large(pack_dirs)
        and _private_dir(directory, create=True)
        and _build_in_child(pack_dirs, key, path, signals)
    ):
        stored = _open(path, signals)
    if stored is not None:
        _remember(pack_dirs, key)
    return stored


if __name__ == "__main__":  # the child of _build_in_child: --build-store KEY PATH SIGNALS DIR...
    if len(sys.argv) < 6 or sys.argv[1] != "--build-store":
        raise SystemExit(
            "usage: python -m ai_glossary_mcp.data.load_cache --build-store KEY PATH SIGNALS_JSON DIR..."
        )
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        _outcome = _child_build(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    except Exception as _exc:  # reported to the parent, which builds in-process instead
        _outcome = {"error": f"{type(_exc).__name__}: {_exc}"}
    print(json.dumps(_outcome), flush=True)
