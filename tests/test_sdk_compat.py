"""sdk_compat.py against the installed SDK: each accessor below the public API still does its job.

These fail first when an SDK upgrade moves what the module reaches into; pyproject pins the
range `SUPPORTED` names, and `check_sdk()` refuses any other version at start.
"""

from __future__ import annotations

import anyio
import mcp_types
import pytest
from mcp.shared.message import SessionMessage

from ai_glossary_mcp.serving import sdk_compat
from ai_glossary_mcp.serving.sdk_compat import advertise_list_changed, check_sdk, connection_of, serve_streams

pytestmark = pytest.mark.anyio


def test_the_installed_sdk_is_in_the_supported_range():
    low, high = sdk_compat.SUPPORTED
    assert low <= sdk_compat.sdk_version() < high
    check_sdk()


def test_another_sdk_version_is_refused_in_one_line(monkeypatch):
    monkeypatch.setattr(sdk_compat, "sdk_version", lambda: (2, 9))
    with pytest.raises(RuntimeError, match=r"needs mcp >=2\.3,<2\.4"):
        check_sdk()


async def _initialize(server) -> dict:
    to_server, server_reads = anyio.create_memory_object_stream[SessionMessage](4)
    server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](4)
    request = mcp_types.jsonrpc_message_adapter.validate_python(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        }
    )
    async with anyio.create_task_group() as tg:
        tg.start_soon(serve_streams, server, server_reads, server_writes)
        await to_server.send(SessionMessage(request))
        with anyio.fail_after(10):
            reply = await from_server.receive()
        await to_server.aclose()
    return reply.message.model_dump(by_alias=True, exclude_none=True)


async def test_serve_streams_serves_the_mcp_server_over_our_streams(server):
    reply = await _initialize(server)
    assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "ai-glossary-mcp"
    assert reply["result"]["capabilities"]["resources"].get("listChanged") is False


async def test_advertise_list_changed_announces_resource_changes(server):
    advertise_list_changed(server)
    reply = await _initialize(server)
    assert reply["result"]["capabilities"]["resources"]["listChanged"] is True


async def test_connection_of_finds_the_live_connection_of_a_request(server):
    seen = []

    async def record(ctx, call_next):
        seen.append(connection_of(ctx))
        return await call_next(ctx)

    server.middleware.append(record)
    await _initialize(server)
    assert seen and all(hasattr(c, "send_resource_list_changed") for c in seen)
