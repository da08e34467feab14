"""Hot reload (`--watch`): edits are served without a restart, bad edits never are.

The packs here are small copies of a few bundled entries (their `related` lists dropped, since
the targets are not copied) served with `--no-bundled`. File changes are made atomically
(write elsewhere, then rename into place; rename the directory away to delete it) so the
watcher never sees a half-written state.

Three layers:
- `Reloader.check_once()` in-process: swap, rejection, deletion, no-op.
- a stdio server driven by a handshake-era client (`mode="legacy"`, what desktop clients speak):
  notifications/resources/list_changed must reach its message_handler.
- a stdio server driven by a 2026-07-28 client (`mode="auto"`) listening with subscriptions/listen.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from mcp import Client

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import bundled_pack_dir, load_glossary
from ai_glossary_mcp.serving.reload import Reloader, snapshot
from helpers import stdio_params, stdio_transport

SOURCE = bundled_pack_dir()
ENTRIES = ("dpo", "rlhf", "softmax", "kv-cache")
LIST_CHANGED = "notifications/resources/list_changed"
WATCH_ENV = {"AI_GLOSSARY_MCP_WATCH_INTERVAL": "200"}
BROKEN_YAML = "id: softmax\nterm: Softmax\ndefinition: [this list is never closed\ncategory: architecture\n"


def entry_yaml(entry_id: str, **changes: Any) -> str:
    data = yaml.safe_load((SOURCE / f"{entry_id}.yaml").read_text(encoding="utf-8"))
    data.pop("related", None)
    data.update(changes)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def make_pack(dest: Path, entries: tuple[str, ...] = ENTRIES) -> Path:
    dest.mkdir(parents=True)
    shutil.copyfile(SOURCE / "pack.yaml", dest / "pack.yaml")
    for entry_id in entries:
        (dest / f"{entry_id}.yaml").write_text(entry_yaml(entry_id), encoding="utf-8")
    return dest


def put(path: Path, text: str) -> None:
    """Replace a file atomically, and make sure its mtime moves even on coarse-clock filesystems."""
    fd, tmp = tempfile.mkstemp(dir=path.parent.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    old = path.stat().st_mtime_ns if path.exists() else 0
    os.utime(tmp, ns=(old + 1_000_000_000, old + 1_000_000_000))
    os.replace(tmp, path)


def remove_dir(path: Path) -> None:
    """Delete a directory as one step for any observer: rename it away, then remove it."""
    gone = path.with_name(path.name + ".deleted")
    os.rename(path, gone)
    shutil.rmtree(gone)


def definition_of(entry_id: str, prefix: str) -> str:
    return prefix + yaml.safe_load((SOURCE / f"{entry_id}.yaml").read_text(encoding="utf-8"))["definition"]


# -- in-process -----------------------------------------------------------------------------------
anyio_test = pytest.mark.anyio


@pytest.fixture
def pack(tmp_path) -> Path:
    return make_pack(tmp_path / "packs" / "mini")


@pytest.fixture
def reloader(pack):
    calls: list[int] = []

    async def on_change() -> None:
        calls.append(1)

    service = GlossaryService(load_glossary([pack]))
    r = Reloader(service, [pack], on_change=on_change, interval=0.2)
    r.calls = calls  # type: ignore[attr-defined]
    return r


@anyio_test
async def test_check_once_without_changes_does_nothing(reloader):
    assert await reloader.check_once() is None
    assert reloader.calls == [] and reloader.reloads == 0


@anyio_test
async def test_check_once_swaps_in_a_valid_edit(reloader, pack):
    service = reloader.service
    before = service.glossary.content_hash
    old_index = service.index
    new_definition = definition_of("softmax", "EDITED in-process. ")
    put(pack / "softmax.yaml", entry_yaml("softmax", definition=new_definition))
    assert await reloader.check_once() is True
    assert service.index is not old_index and service.glossary.content_hash != before
    assert service.define("softmax").entry.definition == new_definition
    assert reloader.calls == [1] and reloader.reloads == 1 and reloader.failures == 0

    put(pack / "rope.yaml", entry_yaml("rope"))
    assert await reloader.check_once() is True
    assert service.define("RoPE").entry.id == "rope" and len(service.glossary) == 5
    assert reloader.calls == [1, 1]


@anyio_test
async def test_check_once_rejects_a_broken_edit_and_keeps_serving(reloader, pack, caplog):
    service = reloader.service
    before = service.glossary.content_hash
    put(pack / "softmax.yaml", BROKEN_YAML)
    with caplog.at_level(logging.ERROR, logger="ai_glossary_mcp.serving.reload"):
        assert await reloader.check_once() is False
    assert service.glossary.content_hash == before
    assert service.define("softmax").entry.definition == definition_of("softmax", "")
    assert reloader.failures == 1 and reloader.calls == []
    text = caplog.text
    assert "reload rejected" in text and before in text
    assert re.search(r"softmax\.yaml:\d+: YAML syntax error", text), text
    # the same broken state is not re-validated on every poll
    assert await reloader.check_once() is None and reloader.failures == 1
    # fixing it reloads
    put(pack / "softmax.yaml", entry_yaml("softmax", definition=definition_of("softmax", "FIXED. ")))
    assert await reloader.check_once() is True
    assert service.define("softmax").entry.definition.startswith("FIXED. ")


@anyio_test
async def test_check_once_survives_a_deleted_pack_directory(reloader, pack, caplog):
    service = reloader.service
    before = service.glossary.content_hash
    remove_dir(pack)
    assert snapshot([pack]) == ((str(pack), -1, -1),)
    with caplog.at_level(logging.ERROR, logger="ai_glossary_mcp.serving.reload"):
        assert await reloader.check_once() is False
    assert "does not exist" in caplog.text
    assert service.glossary.content_hash == before and len(service.glossary) == len(ENTRIES)
    assert service.define("DPO").entry.id == "dpo"
    make_pack(pack)  # the same content comes back: nothing to swap, nobody to notify
    assert await reloader.check_once() is None
    assert reloader.calls == []


@anyio_test
async def test_touching_a_file_without_changing_it_is_not_a_reload(reloader, pack):
    put(pack / "dpo.yaml", (pack / "dpo.yaml").read_text(encoding="utf-8"))
    assert await reloader.check_once() is None
    assert reloader.reloads == 0 and reloader.calls == []


# -- over stdio, a handshake-era client -------------------------------------------------------------
async def _poll(fn, timeout: float = 20.0, interval: float = 0.1):
    """Call async fn until it returns something truthy; return it (or the last falsy value)."""
    result = None
    with anyio.move_on_after(timeout):
        while True:
            result = await fn()
            if result:
                return result
            await anyio.sleep(interval)
    return result


def _stderr_poll(path: Path, pattern: str, count: int = 1):
    async def check():
        return len(re.findall(pattern, path.read_text(encoding="utf-8", errors="replace"))) >= count

    return check


async def _legacy_scenario(pack: Path, err_path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"notes": []}
    got_note = anyio.Event()
    phase = {"name": "start"}

    async def handler(message) -> None:
        method = getattr(message, "method", None) or repr(message)
        out["notes"].append((phase["name"], method))
        if method == LIST_CHANGED:
            got_note.set()

    async def definition(term: str) -> str | None:
        r = await c.call_tool("define_term", {"term": term, "detail": "brief"})
        data = r.structured_content
        return data["entry"]["definition"] if data["found"] else None

    params = stdio_params(
        "--no-bundled", "--data", str(pack), "--watch", "--log-level", "info", env=WATCH_ENV
    )
    with open(err_path, "w", encoding="utf-8") as errlog:
        async with Client(stdio_transport(params, errlog), mode="legacy", message_handler=handler) as c:
            out["capabilities"] = c.server_capabilities
            out["start_total"] = (await c.call_tool("list_terms", {})).structured_content["total"]

            # 1. a valid edit
            phase["name"] = "edit"
            edited = definition_of("softmax", "EDITED over stdio. ")
            put(pack / "softmax.yaml", entry_yaml("softmax", definition=edited))

            async def edited_seen():
                return await definition("softmax") == edited

            out["edit_served"] = await _poll(edited_seen)
            with anyio.move_on_after(3):
                await got_note.wait()
            out["edit_notified"] = got_note.is_set()
            got_note = anyio.Event()

            # 2. a new entry
            phase["name"] = "add"
            put(pack / "rope.yaml", entry_yaml("rope"))

            async def rope_seen():
                return await definition("RoPE") is not None

            out["add_served"] = await _poll(rope_seen)
            with anyio.move_on_after(3):
                await got_note.wait()
            out["add_notified"] = got_note.is_set()
            listing = await c.list_resources(cache_mode="bypass")
            out["add_uris"] = {str(r.uri) for r in listing.resources}
            out["add_total"] = (await c.call_tool("list_terms", {})).structured_content["total"]

            # 3. a broken edit
            phase["name"] = "broken"
            put(pack / "softmax.yaml", BROKEN_YAML)
            out["broken_logged"] = await _poll(_stderr_poll(err_path, r"reload rejected"))
            out["broken_definition"] = await definition("softmax")
            out["broken_total"] = (await c.call_tool("list_terms", {})).structured_content["total"]

            # 4. the pack directory disappears
            phase["name"] = "deleted"
            remove_dir(pack)
            out["deleted_logged"] = await _poll(_stderr_poll(err_path, r"does not exist"))
            out["deleted_definition"] = await definition("softmax")
            out["deleted_total"] = (await c.call_tool("list_terms", {})).structured_content["total"]
            rope = await c.read_resource("glossary://terms/rope", cache_mode="bypass")
            out["deleted_resource"] = rope.contents
            out["edited"] = edited
    out["stderr"] = err_path.read_text(encoding="utf-8", errors="replace")
    return out


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("reload-legacy")
    pack = make_pack(root / "packs" / "mini")
    out = anyio.run(_legacy_scenario, pack, root / "stderr.log")
    out["pack"] = pack
    return out


def test_watch_advertises_resource_list_changes(legacy):
    assert legacy["capabilities"].resources.list_changed is True
    assert legacy["start_total"] == len(ENTRIES)


def test_a_valid_edit_is_served_without_restart(legacy):
    assert legacy["edit_served"] is True


def test_a_valid_edit_notifies_resource_list_changed(legacy):
    assert legacy["edit_notified"], f"no {LIST_CHANGED} reached the client; got {legacy['notes']}"
    assert ("edit", LIST_CHANGED) in legacy["notes"]


def test_a_new_entry_is_served_and_listed(legacy):
    assert legacy["add_served"] is True
    assert "glossary://terms/rope" in legacy["add_uris"]
    assert legacy["add_total"] == len(ENTRIES) + 1


def test_a_new_entry_notifies_resource_list_changed(legacy):
    assert legacy["add_notified"], f"no {LIST_CHANGED} reached the client; got {legacy['notes']}"


def test_a_broken_edit_is_logged_with_file_and_line_and_not_served(legacy):
    assert legacy["broken_logged"] is True
    path = re.escape(str(legacy["pack"] / "softmax.yaml"))
    assert re.search(path + r":\d+: YAML syntax error", legacy["stderr"]), legacy["stderr"]
    assert legacy["broken_definition"] == legacy["edited"]  # the last good glossary
    assert legacy["broken_total"] == len(ENTRIES) + 1


def test_a_deleted_pack_directory_does_not_crash_the_server(legacy):
    assert legacy["deleted_logged"] is True
    assert legacy["deleted_definition"] == legacy["edited"]
    assert legacy["deleted_total"] == len(ENTRIES) + 1
    (content,) = legacy["deleted_resource"]
    assert content.text.startswith("# RoPE")


def test_reload_logs_go_to_stderr_without_tracebacks(legacy):
    text = legacy["stderr"]
    assert "reloaded glossary: 5 entries" in text
    assert "Traceback" not in text
    assert not legacy["pack"].exists()


# -- over stdio, a 2026-07-28 client listening for changes --------------------------------------------
async def _modern_scenario(pack: Path, err_path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"notes": [], "events": []}

    async def handler(message) -> None:
        out["notes"].append(getattr(message, "method", None) or repr(message))

    params = stdio_params("--no-bundled", "--data", str(pack), "--watch", env=WATCH_ENV)
    with open(err_path, "w", encoding="utf-8") as errlog:
        async with Client(stdio_transport(params, errlog), mode="auto", message_handler=handler) as c:
            out["version"] = c.protocol_version
            async with c.listen(resources_list_changed=True) as sub:
                out["honored"] = sub.honored
                edited = definition_of("kv-cache", "EDITED for listeners. ")
                put(pack / "kv-cache.yaml", entry_yaml("kv-cache", definition=edited))
                with anyio.move_on_after(20):
                    async for event in sub:
                        out["events"].append(type(event).__name__)
                        break
            r = await c.call_tool("define_term", {"term": "KV cache", "detail": "brief"})
            out["definition"] = r.structured_content["entry"]["definition"]
            out["edited"] = edited
    return out


@pytest.fixture(scope="module")
def modern(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("reload-modern")
    pack = make_pack(root / "packs" / "mini")
    return anyio.run(_modern_scenario, pack, root / "stderr.log")


def test_listeners_get_resources_list_changed_after_a_reload(modern):
    assert modern["version"] == "2026-07-28"
    assert modern["honored"].resources_list_changed is True
    assert modern["events"] == ["ResourcesListChanged"]
    assert LIST_CHANGED in modern["notes"]
    assert modern["definition"] == modern["edited"]
