"""Where a call's time above the floor goes: the answer, or the lookup? Two measurements.

    python benchmarks/answer_cost.py [--calls 600]

1. Over stdio, with the bare JSON-RPC client of run.py (RawStdio), interleaved call by call: the floor's
   echo; a *recorded-answer* server, an `MCPServer` whose `define_term` and `search_terms` publish our
   output schemas and return, without any lookup, the exact answers ours gave to the benchmark's queries
   (recorded first through the SDK's in-process client); and ours. The recorded-answer server pays
   everything the protocol charges for an answer of that size (serialising it, the pipe, parsing it), so
   ours/recorded is what ours does per call in a live server: the lookup and the building of the answer,
   plus our server's own checks (stdin screening, the glossary-ready wait), which are cheap next to them.
2. In process, each of the same lookups (the service call and the tool's result built from it) timed
   back to back ("hot") and after a 2 ms sleep between calls ("idle"), which is how a server meets
   requests: a process that waited in epoll finds its caches cold, so microseconds of Python in a hot
   loop are several times that in a live server.

The bundled glossary only; ratios, as everywhere in benchmarks/ (the machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402 - the benchmark's own clients, floor and server parameters

CASES = {
    "define_term exact": ("define_term", {"term": bench.BUNDLED_QUERIES["exact"]}),
    "define_term typo": ("define_term", {"term": bench.BUNDLED_QUERIES["typo"]}),
    "define_term absent": ("define_term", {"term": bench.BUNDLED_QUERIES["absent"]}),
    "search_terms": ("search_terms", {"query": bench.BUNDLED_QUERIES["search"]}),
}

RECORDED_SERVER = r"""
import json, logging, sys
import anyio
from mcp.server import MCPServer
from mcp_types import CallToolResult, TextContent

sys.path.insert(0, sys.argv[2])
from floor_server import serve_stdio  # served exactly as the floor is

recorded = json.load(open(sys.argv[1]))  # {tool: {"schema": ..., "answers": {arguments as JSON: result}}}
server = MCPServer(name="recorded", version="0", log_level="WARNING")

def register(name, rec):
    answers = rec["answers"]

    async def tool(term: str = "", query: str = "") -> CallToolResult:
        result = answers[json.dumps({"term": term} if term else {"query": query})]
        return CallToolResult(content=[TextContent(type="text", text=result["content"][0]["text"])],
                              structured_content=result["structuredContent"])

    server.tool(name=name, structured_output=False)(tool)
    server._tool_manager.get_tool(name).fn_metadata.output_schema = rec["schema"]

for name, rec in recorded.items():
    register(name, rec)

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
anyio.run(serve_stdio, server)
"""


async def record(path: Path) -> None:
    """Our answers to CASES, with each tool's published output schema, through the SDK's in-process client."""
    from mcp import Client

    from ai_glossary_mcp.app.factory import open_service
    from ai_glossary_mcp.data.bundled import bundled_pack_dir
    from ai_glossary_mcp.serving.mcp_server import create_server

    service, _ = open_service([bundled_pack_dir()])
    out: dict = {}
    async with Client(create_server(service)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for tool, args in CASES.values():
            result = await client.call_tool(tool, args)
            assert not result.is_error, (tool, args)
            rec = out.setdefault(tool, {"schema": tools[tool].output_schema, "answers": {}})
            rec["answers"][json.dumps(args)] = result.model_dump(
                by_alias=True, mode="json", exclude_none=True
            )
    path.write_text(json.dumps(out))


async def over_stdio(recorded: Path, calls: int) -> None:
    from mcp import StdioServerParameters

    script = recorded.with_name("recorded_server.py")
    script.write_text(RECORDED_SERVER)
    params = {
        "floor": bench.params_floor(),
        "recorded": StdioServerParameters(
            command=sys.executable, args=[str(script), str(recorded), str(HERE)], cwd=str(bench.ROOT)
        ),
        "ours": bench.params_ours(None),
    }
    print("| call | floor echo p50 | recorded answer / floor | ours / floor | ours / recorded |")
    print("|---|---|---|---|---|")
    async with (
        bench.RawStdio(params["floor"]) as floor,
        bench.RawStdio(params["recorded"]) as rec,
        bench.RawStdio(params["ours"]) as ours,
    ):
        for label, (tool, args) in CASES.items():
            who = [
                ("floor", floor, "echo", {"text": "ping"}),
                ("recorded", rec, tool, args),
                ("ours", ours, tool, args),
            ]
            times: dict[str, list[float]] = {name: [] for name, *_ in who}
            for i in range(50 + calls):
                turn = who[i % 3 :] + who[: i % 3]  # each server goes first, second and third in turn
                for name, client, t, a in turn:
                    start = time.perf_counter()
                    reply = await client.rpc("tools/call", {"name": t, "arguments": a})
                    if i >= 50:
                        times[name].append(time.perf_counter() - start)
                    assert "result" in reply and not reply["result"].get("isError"), (name, reply)
            p50 = {name: statistics.median(v) for name, v in times.items()}
            print(
                f"| {label} | {p50['floor'] * 1000:.2f} ms | {p50['recorded'] / p50['floor']:.2f}x "
                f"| {p50['ours'] / p50['floor']:.2f}x | {p50['ours'] / p50['recorded']:.2f}x |"
            )


def in_process(calls: int) -> None:
    from ai_glossary_mcp.app.factory import open_service
    from ai_glossary_mcp.data.bundled import bundled_pack_dir
    from ai_glossary_mcp.serving.tools import answer as _answer  # what a tool returns: content + JSON text

    service, _ = open_service([bundled_pack_dir()])
    run = {
        "define_term": lambda a: _answer(service.define(a["term"], "brief")),
        "search_terms": lambda a: _answer(service.search(a["query"], 5)),
    }
    print(
        "\n| lookup, in process (service call + the tool's result) "
        "| hot p50 | after a 2 ms sleep p50 | idle / hot |"
    )
    print("|---|---|---|---|")
    for label, (tool, args) in CASES.items():
        p50 = {}
        for mode, pause in (("hot", 0.0), ("idle", 0.002)):
            samples = []
            for i in range(50 + calls):
                if pause:
                    time.sleep(pause)
                start = time.perf_counter()
                run[tool](args)
                if i >= 50:
                    samples.append(time.perf_counter() - start)
            p50[mode] = statistics.median(samples)
        print(
            f"| {label} | {p50['hot'] * 1e6:.0f} µs | {p50['idle'] * 1e6:.0f} µs "
            f"| {p50['idle'] / p50['hot']:.1f}x |"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=600, help="samples per server and call")
    args = p.parse_args(argv)
    os.environ["AI_GLOSSARY_MCP_CACHE_DIR"] = str(
        bench.STORES
    )  # the benchmark's stores, not the user's cache
    with tempfile.TemporaryDirectory() as tmp:
        recorded = Path(tmp) / "recorded.json"
        asyncio.run(record(recorded))
        asyncio.run(over_stdio(recorded, args.calls))
    in_process(args.calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
