"""Per-call stdio cost against two floors, with one raw JSON-RPC client for every server.

    python benchmarks/stdio_floors.py [--calls 300] [--sizes 100000] [--ours CMD ...]

The client is deliberately dumb and the same for everyone: blocking pipes, one
JSON line out, lines in until the reply's id; no SDK and no asyncio on the
client side, so nothing but the servers differs. Three servers run side by side
and every round calls each once, in rotating order (the machine is shared and
noisy): ours with the case's tool, the SDK's MCPServer echo (floor_server.py,
the SDK's stock stdio) and the Python floor (python_floor.py, a no-SDK asyncio
JSON-lines echo). Each figure is the median over rounds of that round's ratio.

`--ours` replaces our server's command line (e.g. to measure another checkout:
`--ours python -m ai_glossary_mcp` with PYTHONPATH pointing at its server/).
Prints one markdown table to stdout; progress, and our server's peak RSS after each size, go to stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CASES = {  # label -> (tool, arguments, target share of the SDK echo)
    "define_term, exact name": ("define_term", {"term": "KV-Cache"}, 0.75),
    "search_terms": ("search_terms", {"query": "model forgets the middle of long prompts"}, 0.85),
    "define_term, typo": ("define_term", {"term": "speculatve decoding"}, 0.90),
    "define_term, absent": ("define_term", {"term": "k-means"}, 0.90),
}
PYTHON_FLOOR_TARGET = {"define_term, exact name": 3.0}
LARGE_TARGET = 1.3


class RawClient:
    def __init__(self, cmd: list[str], env: dict[str, str] | None = None):
        # Buffered pipes (an unbuffered readline() reads one byte per system call, which would charge the
        # client's cost for every byte of a reply to the server with the longer answer); flushed per line.
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self.next_id = 0
        self.rpc(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench-raw", "version": "0"},
            },
            timeout_ok=True,
        )
        self.proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.proc.stdin.flush()

    def rpc(self, method: str, params: dict, timeout_ok: bool = False) -> dict:
        self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        while True:
            raw = self.proc.stdout.readline()
            if not raw:
                raise RuntimeError(f"server closed stdout: {self.proc.args}")
            message = json.loads(raw)
            if message.get("id") == self.next_id:
                return message

    def call(self, tool: str, arguments: dict) -> dict:
        return self.rpc("tools/call", {"name": tool, "arguments": arguments})

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def measure(ours_cmd: list[str], calls: int, env: dict[str, str] | None, cases: dict) -> list[dict]:
    ours = RawClient(ours_cmd, env)
    sdk = RawClient([sys.executable, str(HERE / "floor_server.py")])
    py = RawClient([sys.executable, str(HERE / "python_floor.py")])
    echo = ("echo", {"text": "ping"})
    rows = []
    try:
        for label, (tool, args, target) in cases.items():
            for _ in range(20):  # warm-up
                ours.call(tool, args), sdk.call(*echo), py.call(*echo)
            reply = ours.call(tool, args)
            assert "result" in reply and not reply["result"].get("isError"), reply
            t = {"ours": [], "sdk": [], "py": []}
            vs_sdk, vs_py = [], []
            order = [("ours", ours, (tool, args)), ("sdk", sdk, echo), ("py", py, echo)]
            for i in range(calls):
                round_t = {}
                for name, client, call in order[i % 3 :] + order[: i % 3]:
                    t0 = time.perf_counter()
                    client.call(*call)
                    round_t[name] = time.perf_counter() - t0
                for name, value in round_t.items():
                    t[name].append(value)
                vs_sdk.append(round_t["ours"] / round_t["sdk"])
                vs_py.append(round_t["ours"] / round_t["py"])
            row = {
                "case": label,
                "ours_us": 1e6 * statistics.median(t["ours"]),
                "sdk_us": 1e6 * statistics.median(t["sdk"]),
                "py_us": 1e6 * statistics.median(t["py"]),
                "vs_sdk": statistics.median(vs_sdk),
                "vs_py": statistics.median(vs_py),
                "target": target,
            }
            print(
                f"  {label:<26} ours {row['ours_us']:7.0f} us  SDK echo {row['sdk_us']:6.0f} us  Python "
                f"floor {row['py_us']:5.0f} us  ours/SDK {row['vs_sdk']:.2f}  ours/Python {row['vs_py']:.2f}",
                file=sys.stderr,
                flush=True,
            )
            rows.append(row)
        from run import vm_hwm_mb  # run.py's reader of a live process's peak resident set

        print(f"  our server's peak RSS: {vm_hwm_mb(ours.proc.pid):.0f} MB", file=sys.stderr, flush=True)
    finally:
        for client in (ours, sdk, py):
            client.close()
    return rows


def _ratio_mark(ratio: float, target: float | None) -> str:
    """A ratio with its target and whether it meets it: '1.20 (≤1.50 ok)', or '1.20 (-)' without a target."""
    shown = "≤" + format(target, ".2f") if target else "-"
    met = " ok" if target and ratio <= target else ""
    return f"{ratio:.2f} ({shown}{met})"


def table(title: str, rows: list[dict], python_targets: dict[str, float], target_key: str = "target") -> str:
    out = [
        f"**{title}**",
        "",
        "| call | ours p50 | SDK echo p50 | Python floor p50 | ours / SDK echo (target) "
        "| ours / Python floor (target) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        py_target = python_targets.get(r["case"])
        out.append(
            f"| {r['case']} | {r['ours_us'] / 1000:.2f} ms | {r['sdk_us'] / 1000:.2f} ms | "
            f"{r['py_us'] / 1000:.2f} ms | {_ratio_mark(r['vs_sdk'], r[target_key])} "
            f"| {_ratio_mark(r['vs_py'], py_target)} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--sizes", default="", help="synthetic pack sizes to measure too, e.g. 100000")
    p.add_argument("--ours", nargs=argparse.REMAINDER, help="our server's command line")
    args = p.parse_args(argv)
    ours_cmd = args.ours or [str(BIN / "ai-glossary-mcp")]
    print("stdio per call, 101 entries:", file=sys.stderr)
    print(
        table(
            "stdio per call, 101 entries (raw client, medians of per-round ratios)",
            measure(ours_cmd, args.calls, None, CASES),
            PYTHON_FLOOR_TARGET,
        )
    )
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        sys.path.insert(0, str(HERE))
        from run import STORES, clean_env, ensure_pack, run_probe

        pack = ensure_pack(size, 0)
        env = clean_env() | {"AI_GLOSSARY_MCP_CACHE_DIR": str(STORES)}
        q = run_probe(pack)["queries"]  # builds the store once, in a fresh interpreter
        cases = {
            "define_term, exact name": ("define_term", {"term": q["exact"]}, LARGE_TARGET),
            "search_terms": ("search_terms", {"query": q["search"]}, LARGE_TARGET),
            "define_term, typo": ("define_term", {"term": q["typo"]}, LARGE_TARGET),
            "define_term, absent": ("define_term", {"term": q["absent"]}, LARGE_TARGET),
        }
        print(f"stdio per call, {size:,} entries:", file=sys.stderr)
        cmd = ours_cmd + ["--no-bundled", "--data", str(pack)]
        print()
        print(
            table(f"stdio per call, {size:,} entries", measure(cmd, max(40, args.calls // 3), env, cases), {})
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
