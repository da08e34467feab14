"""Hot reload of glossary packs (`--watch`).

A watcher polls the pack directories' file names, sizes and modification
times (no extra dependency, and it behaves the same on every filesystem).
When something changes it re-validates the whole set of packs off the event
loop; on success the service swaps in the new glossary in one assignment and
every connected client is told `notifications/resources/list_changed`; on
failure every problem is logged to stderr and the last good glossary keeps
serving. A deleted pack directory is just another failed validation.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import anyio

from .errors import GlossaryError
from .loader import load_glossary
from .service import GlossaryService

logger = logging.getLogger("ai_glossary_mcp.reload")

Snapshot = tuple[tuple[str, int, int], ...]


def snapshot(pack_dirs: Sequence[Path]) -> Snapshot:
    """(path, size, mtime_ns) of every file in the packs; a missing directory gives no rows."""
    rows = []
    for directory in pack_dirs:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            rows.append((str(directory), -1, -1))
            continue
        for name in names:
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            rows.append((path, st.st_size, st.st_mtime_ns))
    return tuple(rows)


class Reloader:
    def __init__(self, service: GlossaryService, pack_dirs: Sequence[Path],
                 on_change: Callable[[], Awaitable[None]] | None = None, interval: float = 1.0):
        self.service = service
        self.pack_dirs = list(pack_dirs)
        self.on_change = on_change
        self.interval = interval
        self.last = snapshot(self.pack_dirs)
        self.reloads = 0
        self.failures = 0

    async def check_once(self) -> bool | None:
        """Reload if files changed. True: reloaded; False: change rejected; None: no change."""
        current = snapshot(self.pack_dirs)
        if current == self.last:
            return None
        self.last = current
        try:
            glossary = await anyio.to_thread.run_sync(load_glossary, self.pack_dirs)
        except GlossaryError as exc:
            self.failures += 1
            logger.error("reload rejected; still serving the last good glossary (%s). %s",
                         self.service.glossary.content_hash, exc)
            return False
        except Exception:  # a bug in the loader must not take the server down
            self.failures += 1
            logger.exception("reload failed unexpectedly; still serving the last good glossary")
            return False
        if glossary.content_hash == self.service.glossary.content_hash:
            return None
        await anyio.to_thread.run_sync(self.service.replace, glossary)
        self.reloads += 1
        logger.warning("reloaded glossary: %d entries, content hash %s", len(glossary), glossary.content_hash)
        if self.on_change is not None:
            await self.on_change()
        return True

    async def run(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            await self.check_once()
