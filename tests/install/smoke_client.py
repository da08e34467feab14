"""Talk to an installed ai-glossary-mcp over stdio as an MCP client does, and check its answers.

Usage: python smoke_client.py COMMAND [ARG ...]
Run by tests/install/fresh.sh with the interpreter of the environment under test (which has the
SDK, a dependency of the server), in this process's whole environment (a `uv tool run` needs its
UV_* settings; the SDK passes only a few variables by default). Lists the tools and defines DPO
through the SDK's Client; prints one line and exits 0 when both are right, else says what was
wrong and exits 1.
"""

from __future__ import annotations

import os
import sys

import anyio
from mcp import Client, StdioServerParameters

from ai_glossary_mcp.app.tools import TOOL_NAMES

TOOLS = set(TOOL_NAMES)


async def check(command: str, args: list[str]) -> str:
    with anyio.fail_after(180):
        return await _check(command, args)


async def _check(command: str, args: list[str]) -> str:
    async with Client(StdioServerParameters(command=command, args=args, env=dict(os.environ))) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        if names != TOOLS:
            raise SystemExit(f"tools/list: expected {sorted(TOOLS)}, got {sorted(names)}")
        result = await client.call_tool("define_term", {"term": "DPO"})
        entry = (result.structured_content or {}).get("entry") or {}
        if result.is_error or entry.get("id") != "dpo":
            raise SystemExit(f"define_term(DPO): {result.structured_content}")
        return f"{len(names)} tools; define_term(DPO) = {entry['term']}"


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    print(anyio.run(check, sys.argv[1], sys.argv[2:]))
