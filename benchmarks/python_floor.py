"""The Python floor: a JSON-lines echo over stdio with plain asyncio and no MCP SDK.

    python benchmarks/python_floor.py

It answers `initialize` and `tools/call` the way an MCP server would (one JSON
object per line, the echo's text in a `content` block), so a client cannot
tell it from a server; what it costs per call is what Python itself costs for
reading a line on the event loop, parsing it, building the answer and writing
it. Nothing serving MCP in Python can be cheaper, so each of our calls is
quoted against it as well as against the SDK's echo (floor_server.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys


def answer(message: dict) -> dict | None:
    if "id" not in message:
        return None
    method = message.get("method")
    if method == "initialize":
        result = {
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "python-floor", "version": "0"},
        }
    elif method == "tools/call":
        text = message["params"]["arguments"].get("text", "")
        result = {"content": [{"type": "text", "text": text}], "isError": False}
    else:
        result = {}
    return {"jsonrpc": "2.0", "id": message["id"], "result": result}


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.fileno()
    while line := await reader.readline():
        reply = answer(json.loads(line))
        if reply is not None:
            os.write(out, json.dumps(reply).encode() + b"\n")


if __name__ == "__main__":
    asyncio.run(main())
