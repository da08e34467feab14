"""Profile the real stdio server per tool call, start-up excluded.

    python benchmarks/profile_mcp.py [--pack DIR] [--calls 200] [--top 15]

For each tool case it spawns `ai-glossary-mcp serve` under a small wrapper
that turns cProfile on when the stdio loop starts (after the glossary has
loaded), drives it with raw JSON-RPC lines (initialize, tools/list, N x
tools/call), closes stdin and reads back the profile. What remains is what a
request costs on the server side: MCP dispatch, argument validation, our
service, result models, output-schema validation and JSON framing.
"""

from __future__ import annotations

import argparse
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

WRAPPER = r"""
import cProfile, sys
out = sys.argv.pop(1)
from ai_glossary_mcp import cli
from ai_glossary_mcp.serving import transports
prof = cProfile.Profile()
_orig = transports.serve_stdio
async def serve_stdio(server, reloader=None):
    prof.enable()
    try:
        await _orig(server, reloader)
    finally:
        prof.disable()
        prof.dump_stats(out)
transports.serve_stdio = serve_stdio
sys.exit(cli.main(sys.argv[1:]))
"""


def drive(pack: Path | None, tool: str, arguments: dict, calls: int, out: Path) -> float:
    args = ["serve"] + (["--no-bundled", "--data", str(pack)] if pack else [])
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(out)] + args,
        cwd=str(ROOT),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdin and proc.stdout

    def rpc(i: int, method: str, params: dict) -> dict:
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n")
        proc.stdin.flush()
        while True:
            msg = json.loads(proc.stdout.readline())
            if msg.get("id") == i:
                return msg

    rpc(
        0,
        "initialize",
        {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "profile", "version": "0"},
        },
    )
    proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
    rpc(1, "tools/list", {})
    t0 = time.perf_counter()
    for i in range(calls):
        r = rpc(2 + i, "tools/call", {"name": tool, "arguments": arguments})
        if "error" in r or r["result"].get("isError"):
            raise RuntimeError(f"{tool} failed: {str(r)[:300]}")
    per = (time.perf_counter() - t0) / calls
    proc.stdin.close()
    proc.wait(120)
    return per


def main(argv: list[str] | None = None) -> int:
    import run

    p = argparse.ArgumentParser()
    p.add_argument("--pack", type=Path, help="pack directory (default: the bundled ai-ml pack)")
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--only", help="comma-separated case names")
    args = p.parse_args(argv)
    if args.pack:
        pr = run.run_probe(args.pack)
        q = pr["queries"]
    else:
        q = dict(run.BUNDLED_QUERIES)
        q["text"] = run._fit_text(run.BUNDLED_PARAGRAPH)
    cases = {
        "define_exact": ("define_term", {"term": q["exact"]}),
        "define_alias": ("define_term", {"term": q["alias"]}),
        "define_typo": ("define_term", {"term": q["typo"]}),
        "define_absent": ("define_term", {"term": q["absent"]}),
        "search": ("search_terms", {"query": q["search"]}),
        "related": ("find_related", {"term": q["related"]}),
        "find_in_text": ("find_terms_in_text", {"text": q["text"]}),
        "floor_like_list_terms_1": ("list_terms", {"limit": 1}),
    }
    wanted = args.only.split(",") if args.only else list(cases)
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            tool, arguments = cases[name]
            out = Path(tmp) / f"{name}.prof"
            per = drive(args.pack, tool, arguments, args.calls, out)
            st = pstats.Stats(str(out))
            print(
                f"\n===== {name}: {tool}({json.dumps(arguments)[:80]}) — {1000 * per:.2f} ms per round trip "
                f"(profiled server, {args.calls} calls); server-side profile total {st.total_tt:.2f}s ====="
            )
            st.sort_stats("tottime").print_stats(args.top)
            st.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
