"""Hot reload of glossary packs (`--watch`).

A watcher polls the pack directories' file names, sizes and modification
times (no extra dependency, and it behaves the same on every filesystem).
When something changes it re-validates the whole set of packs off the event
loop; on success the service swaps in the new glossary in one assignment and
every connected client is told `notifications/resources/list_changed`; on
failure every problem is logged to stderr and the last good glossary keeps
serving. A deleted pack directory is just another failed validation.

A rejected reload is retried even when nothing changes again, because the
cause may be transient (a file caught half-written or briefly unreadable):
after RETRY_FIRST seconds, then at doubling intervals up to RETRY_MAX, until a
validation succeeds or the files change (which retries at once). A retry that
fails the same way is logged at debug level, so a broken file costs one error
line, not one per retry.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import anyio

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.errors import GlossaryError

logger = logging.getLogger("ai_glossary_mcp.serving.reload")

Snapshot = tuple[tuple[str, int, int], ...]
RETRY_FIRST = 2.0
RETRY_MAX = 60.0


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
    def __init__(
        self,
        service: GlossaryService,
        pack_dirs: Sequence[Path],
        on_change: Callable[[], Awaitable[None]] | None = None,
        interval: float = 1.0,
    ):
        self.service = service
        self.pack_dirs = list(pack_dirs)
        self.on_change = on_change
        self.interval = interval
        self.last = snapshot(self.pack_dirs)
        self.reloads = 0
        self.failures = 0
        self.retry_at: float | None = None  # monotonic time of the next retry of a rejected reload
        self.retry_delay = RETRY_FIRST
        self._last_problem = ""

    def _rejected(self, problem: str, changed: bool) -> bool:
        self.failures += 1
        if changed:
            self.retry_delay = RETRY_FIRST
        else:
            self.retry_delay = min(RETRY_MAX, self.retry_delay * 2)
        self.retry_at = time.monotonic() + self.retry_delay
        if problem != self._last_problem:
            logger.error(
                "reload rejected; still serving the last good glossary (%s); retrying in %.0f s. %s",
                self.service.glossary.content_hash,
                self.retry_delay,
                problem,
            )
        else:
            logger.debug("reload still rejected; next retry in %.0f s", self.retry_delay)
        self._last_problem = problem
        return False

    async def check_once(self) -> bool | None:
        """Reload if files changed, or retry a rejected reload when due.
        True: reloaded; False: rejected; None: nothing to do."""
        current = snapshot(self.pack_dirs)
        changed = current != self.last
        if not changed and (self.retry_at is None or time.monotonic() < self.retry_at):
            return None
        self.last = current
        try:
            glossary = await anyio.to_thread.run_sync(load_glossary, self.pack_dirs)
        except GlossaryError as exc:
            return self._rejected(str(exc), changed)
        except Exception as exc:  # a bug in the loader must not take the server down
            logger.debug("reload failed unexpectedly", exc_info=True)
            return self._rejected(f"unexpected {type(exc).__name__}: {exc}", changed)
        self.retry_at, self.retry_delay, self._last_problem = None, RETRY_FIRST, ""
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
