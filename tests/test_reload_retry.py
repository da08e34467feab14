"""`--watch` retries a rejected reload by itself: a transient fault must not leave a stale glossary.

The fault is staged the way it happens: a file caught half-written (broken YAML) is read,
then finished in place, ending with the same size and modification time the watcher
already saw, so no further change is visible. The reloader must still come back to it.
"""

from __future__ import annotations

import logging
import os
import time

import anyio
import pytest

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.serving import reload
from ai_glossary_mcp.serving.reload import Reloader, snapshot
from test_reload import BROKEN_YAML, definition_of, entry_yaml, make_pack


def _same_size_and_mtime(path, text: str, size: int, mtime_ns: int) -> None:
    data = text.encode()
    assert len(data) <= size
    path.write_bytes(data + b"#" * (size - len(data) - 1) + b"\n")  # a YAML comment pads to the size
    os.utime(path, ns=(mtime_ns, mtime_ns))


@pytest.mark.anyio
async def test_a_rejected_reload_is_retried_until_it_succeeds(tmp_path, monkeypatch, caplog):
    # The retry schedule is read from retry_at and moved by hand,
    # so no assertion races a timer on a loaded machine.
    monkeypatch.setattr(reload, "RETRY_FIRST", 60.0)
    pack = make_pack(tmp_path / "packs" / "mini")
    service = GlossaryService(load_glossary([pack]))
    r = Reloader(service, [pack], interval=0.05)
    target = pack / "softmax.yaml"
    fixed = entry_yaml("softmax", definition=definition_of("softmax", "FIXED. "))
    size = max(len(fixed.encode()), len(BROKEN_YAML)) + 10
    mtime = target.stat().st_mtime_ns + 5_000_000_000
    _same_size_and_mtime(target, BROKEN_YAML, size, mtime)
    with caplog.at_level(logging.DEBUG, logger="ai_glossary_mcp.serving.reload"):
        assert await r.check_once() is False
        seen = snapshot([pack])
        assert await r.check_once() is None  # not re-validated on every poll
        assert r.retry_at is not None and r.retry_at > time.monotonic() + 30  # a retry is scheduled
        r.retry_at = time.monotonic()  # ... and now it is due
        assert await r.check_once() is False  # retried when due, still broken: logged once at error level
        assert r.retry_at > time.monotonic() + 30  # and the next one is scheduled
    assert sum(rec.levelno == logging.ERROR for rec in caplog.records) == 1
    _same_size_and_mtime(target, fixed, size, mtime)
    assert snapshot([pack]) == seen  # nothing the watcher can see has changed
    r.retry_at = time.monotonic() + 0.2  # the retry falls due while run() polls
    async with anyio.create_task_group() as tg:
        tg.start_soon(r.run)
        with anyio.fail_after(10):
            while r.reloads == 0:
                await anyio.sleep(0.05)
        tg.cancel_scope.cancel()
    assert service.define("softmax").entry.definition.startswith("FIXED. ")
    assert r.retry_at is None
