"""Building the service a server starts with, from the pack directories.

Persistence (data/load_cache.py) only finds, builds and opens stores; this
module decides what to serve, and passes in the search signals' data to keep
(search/fusion.py's STORED: the data layer never imports search). Usually that
is `load_index`'s store, checked against every pack file before it is used.
For a large pack set that looks unchanged, the store the last start served is
opened at once and the files are confirmed by a `DeferredCheck` in a
background thread, which swaps the service's index if they changed; the MCP
layer holds every request that reads the glossary until the check's `done`
event is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.load_cache import cache_key, load_index, open_remembered
from ai_glossary_mcp.errors import GlossaryError
from ai_glossary_mcp.search import fusion

logger = logging.getLogger("ai_glossary_mcp.cache")


class DeferredCheck:
    """Confirms, off the event loop, that the pack files are exactly those the open store was built from;
    if not, loads them again and swaps the service's index before `done` is set."""

    def __init__(self, service: GlossaryService, pack_dirs: Sequence[Path], expected_key: str):
        self.service = service
        self.pack_dirs = list(pack_dirs)
        self.expected_key = expected_key
        self.done = threading.Event()
        self.reloaded = False

    def start(self) -> None:
        threading.Thread(target=self.run, name="pack-file-check", daemon=True).start()

    def run(self) -> None:
        try:
            if cache_key(self.pack_dirs) != self.expected_key:
                logger.warning("pack files changed since the glossary store was built; loading them again")
                try:
                    self.service.replace_index(load_index(self.pack_dirs, signals=fusion.STORED))
                    self.reloaded = True
                except GlossaryError as exc:
                    logger.error(
                        "the changed packs do not validate; still serving the last good glossary (%s). %s",
                        self.service.glossary.content_hash,
                        exc,
                    )
        except Exception:  # a bug here must not hold every request forever
            logger.exception("checking the pack files failed; serving the glossary as opened")
        finally:
            self.done.set()


def open_service(
    pack_dirs: Sequence[Path], use_cache: bool = True
) -> tuple[GlossaryService, DeferredCheck | None]:
    """(GlossaryService, DeferredCheck or None) for a server: the remembered store is served at once when
    the packs are large and look unchanged (the check then runs in the background, once started);
    otherwise the store `load_index` returns."""
    remembered = open_remembered(pack_dirs, use_cache, fusion.STORED)
    if remembered is not None:
        stored, key = remembered
        service = GlossaryService(stored)
        return service, DeferredCheck(service, pack_dirs, key)
    return GlossaryService(load_index(pack_dirs, use_cache, signals=fusion.STORED)), None


__all__ = ["DeferredCheck", "open_service"]
