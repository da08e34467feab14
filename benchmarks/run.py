"""Benchmark ai-glossary-mcp against the floor (a minimal MCPServer with one echo tool).

    python benchmarks/run.py [--quick] [--sizes 1000,10000,100000] [--json OUT]

Prints ONE markdown table. Every figure for our server is paired with the
floor measured in the same run, interleaved (cold starts alternate ours/floor,
per-call samples alternate call by call, HTTP trials run ours-floor-floor-ours),
because the machines are shared and noisy: only the ratios are meant to be
compared across runs.

Rows:
- cold start: spawn -> initialize -> tools/list complete, median of the reps;
- per-call stdio round trips (mcp.Client over StdioServerParameters), p50/p95,
  each against the floor's echo call sampled alternately with it;
- for synthetic packs of 1k/10k/100k entries (benchmarks/make_pack.py, cached
  in benchmarks/.cache/): the same, plus what a first start costs (parse,
  validate, index and write the SQLite store, once per store, in a fresh
  interpreter, with its peak RSS), what a later start costs to check the pack
  files and open the store, and the server's peak RSS while serving (VmHWM);
  the servers keep their stores in benchmarks/.cache/stores;
- HTTP: requests/s and p95 for define_term with 1, 8 and 32 concurrent clients
  against `serve --transport http --stateless` and the floor served the same way;
- then benchmarks/stdio_floors.py: each stdio call against the SDK's echo and the
  no-SDK Python floor, with one raw blocking-pipe client for all three servers.

Progress goes to stderr; the table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
STORES = (
    CACHE / "stores"
)  # the servers' compiled-glossary cache during benchmarks (AI_GLOSSARY_MCP_CACHE_DIR)
BIN = Path(sys.executable).parent
OURS_EXE = BIN / "ai-glossary-mcp"
FLOOR = HERE / "floor_server.py"
SEED = 0

BUNDLED_QUERIES = {
    "exact": "KV-Cache",
    "alias": "NF4",
    "typo": "speculatve decoding",
    "absent": "k-means",
    "search": "model forgets the middle of long prompts",
    "related": "FlashAttention",
}
BUNDLED_PARAGRAPH = (
    "Modern LLM serving stacks keep a KV-Cache in paged attention blocks and rely on continuous "
    "batching, while speculative decoding lets a small draft model propose tokens that the target model "
    "verifies. During pre-training, mixed precision training, gradient checkpointing and tensor "
    "parallelism keep memory in check, and FlashAttention with RoPE and RMSNorm makes self-attention "
    "fast. After SFT, teams align the model with RLHF, DPO or GRPO, watch for reward hacking, and "
    "evaluate on MMLU with LLM-as-a-judge. Retrieval-augmented generation with a vector database, "
    "chunking and reranking reduces hallucination, although lost-in-the-middle effects remain inside a "
    "long context window. Quantization methods such as GPTQ, AWQ and QLoRA with NF4 or FP8 shrink the "
    "weights, and a Mixture of Experts routes tokens with expert routing and grouped-query attention. "
)
MAX_TEXT_CHARS = 19_800  # the server accepts up to 20,000
TEXT_WORDS = 2000

# (section, row key) -> upper bound on ours/floor (or on MB for rss_mb); rows without one show no target.
TARGETS: dict[tuple[str, str], float] = {
    ("101", "cold"): 1.05,
    ("101", "define"): 1.05,
    ("101", "search"): 1.10,
    ("100000", "cold"): 2.0,
    ("100000", "define"): 1.5,
    ("100000", "search"): 1.5,
    ("100000", "rss_mb"): 400.0,
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


def clean_env() -> dict[str, str]:
    """The environment for servers we spawn ourselves: no AI_GLOSSARY_MCP_* overrides."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AI_GLOSSARY_MCP_")}


# -- synthetic packs -------------------------------------------------------------
def pack_dir(n: int, seed: int) -> Path:
    digest = hashlib.sha256((HERE / "make_pack.py").read_bytes()).hexdigest()[:8]
    return CACHE / "packs" / f"synthetic-{n}-s{seed}-{digest}"


def ensure_pack(n: int, seed: int) -> Path:
    final = pack_dir(n, seed)
    if (final / ".complete").is_file():
        return final
    tmp = final.with_name(final.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    log(f"generating a {n:,}-entry synthetic pack into {final.relative_to(HERE)} ...")
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, str(HERE / "make_pack.py"), str(n), str(tmp), "--seed", str(seed)], check=True
    )
    (tmp / ".complete").write_text(f"{n} {seed}\n")
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    log(f"  generated in {time.perf_counter() - t0:.1f}s")
    return final


# -- in-process probe (runs in a fresh interpreter) -----------------------------
def _typo(term: str) -> str | None:
    words = term.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[longest]
    if len(w) < 7 or not w.isalpha():
        return None
    words[longest] = w[: len(w) // 2] + w[len(w) // 2 + 1 :]
    return " ".join(words)


def _synthetic_text(entries: list[Any]) -> str:
    n = len(entries)
    picks = [entries[(i * 7919 + n // 5) % n] for i in range(12)]
    names = []
    for i, e in enumerate(picks):
        if e.acronym and i % 3 == 0:
            names.append(e.acronym)
        elif e.aliases and i % 3 == 1:
            names.append(e.aliases[0])
        else:
            names.append(e.term)
    a = names
    paragraph = (
        f"Our serving team replaced the {a[0]} with a {a[1]} after profiling showed heavy memory traffic. "
        f"The {a[2]} still feeds the {a[3]}, and both were evaluated against the {a[4]} on long prompts. "
        f"We then tried the {a[5]} together with the {a[6]}, "
        f"because the {a[7]} alone overfits small datasets. "
        f"For alignment the {a[8]} and the {a[9]} were compared, and the {a[10]} was kept as a fallback. "
        f"Finally the {a[11]} was added to the pipeline to reduce latency spikes under load. "
    )
    return paragraph


def _fit_text(paragraph: str) -> str:
    words: list[str] = []
    while len(words) < TEXT_WORDS:
        words += paragraph.split()
    text = " ".join(words[:TEXT_WORDS])
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS].rsplit(" ", 1)[0]
    return text


def pick_synthetic_queries(service: Any, entries: list[Any]) -> dict[str, str]:
    """Queries that exist in a synthetic pack: an exact name, an alias, a typo that resolves by the
    fuzzy rule, an absent term, a search, a name for find_related and a ~2,000-word text."""

    def kind(text: str) -> tuple[str | None, str | None]:
        r = service.define(text, "brief")
        return (r.entry.id if r.found else None, r.match.kind if r.found else None)

    n = len(entries)
    q = {"absent": "k-means", "search": BUNDLED_QUERIES["search"]}
    for e in entries[n // 3 :] + entries[: n // 3]:
        if len(e.term.split()) >= 3 and kind(e.term) == (e.id, "exact"):
            q["exact"] = e.term
            break
    for e in entries[n // 2 :] + entries[: n // 2]:
        alias = next((a for a in e.aliases if " " in a and kind(a) == (e.id, "alias")), None)
        if alias:
            q["alias"] = alias
            break
    for e in entries[2 * n // 3 :] + entries[: 2 * n // 3]:
        t = _typo(e.term)
        if t and len(e.term) >= 16 and kind(t) == (e.id, "fuzzy"):
            q["typo"] = t
            break
    else:
        q["typo"] = _typo(entries[2 * n // 3].term) or entries[2 * n // 3].term[:-1]
    for e in entries[n // 4 :] + entries[: n // 4]:
        if len(e.term.split()) >= 2 and kind(e.term) == (e.id, "exact") and e.term != q["exact"]:
            q["related"] = e.term
            break
    q["text"] = _fit_text(_synthetic_text(entries))
    return q


def probe(pack: str | None) -> dict[str, Any]:
    """In a fresh interpreter: the first start's build (YAML -> index -> SQLite store; measured once per
    store and remembered beside it), then a later start's store check and open, and the queries to use."""
    import resource

    sys.path.insert(0, str(ROOT / "server"))
    os.environ["AI_GLOSSARY_MCP_CACHE_DIR"] = str(STORES)
    t0 = time.perf_counter()
    from ai_glossary_mcp.app.factory import open_service
    from ai_glossary_mcp.data.bundled import bundled_pack_dir
    from ai_glossary_mcp.data.load_cache import cache_key

    t1 = time.perf_counter()
    dirs = [Path(pack) if pack else bundled_pack_dir()]
    record = STORES / f"build-{cache_key(dirs)}.json"
    if record.is_file():
        built = json.loads(record.read_text())
    else:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_build", pack or "-"], check=True)
        built = json.loads(record.read_text())
    t2 = time.perf_counter()
    service, check = open_service(dirs)  # what a server start does
    t3 = time.perf_counter()
    check_s = 0.0
    if check is not None:  # a large pack set: its files are confirmed in the background
        check.run()
        check_s = time.perf_counter() - t3
    index = service.index

    def kind(q: str) -> tuple[str | None, str]:
        r = service.define(q, "brief")
        return (
            r.entry.id if r.found else None,
            r.match.kind if r.found else ("ambiguous" if r.ambiguous else "not-found"),
        )

    n = len(index.entries)
    if pack is None:
        q = dict(BUNDLED_QUERIES)
        q["text"] = _fit_text(BUNDLED_PARAGRAPH)
    else:
        sample = [index.entries[i] for i in range(0, n, max(1, n // 3000))]
        q = pick_synthetic_queries(service, sample)
    kinds = {k: kind(v)[1] for k, v in q.items() if k in ("exact", "alias", "typo", "absent", "related")}
    t4 = time.perf_counter()
    spots = service.find_in_text(q["text"])
    return {
        "entries": n,
        "import_s": t1 - t0,
        "build_s": built["build_s"],
        "build_rss_mb": built["rss_mb"],
        "open_s": t3 - t2,
        "check_s": check_s,
        "open_kind": type(index).__name__,
        "queries": q,
        "kinds": kinds,
        "text_words": len(q["text"].split()),
        "text_chars": len(q["text"]),
        "text_mentions": len(spots.mentions),
        "find_in_text_inproc_s": time.perf_counter() - t4,
        "probe_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def build_store(pack: str | None) -> None:
    """In a fresh interpreter: what a first start costs (parse, validate, index, write the store)."""
    import resource

    sys.path.insert(0, str(ROOT / "server"))
    os.environ["AI_GLOSSARY_MCP_CACHE_DIR"] = str(STORES)
    from ai_glossary_mcp.data.bundled import bundled_pack_dir
    from ai_glossary_mcp.data.load_cache import cache_key, load_index
    from ai_glossary_mcp.data.store import StoredIndex
    from ai_glossary_mcp.search.fusion import STORED

    dirs = [Path(pack) if pack else bundled_pack_dir()]
    key = cache_key(dirs)
    (STORES / f"glossary-{key}.sqlite").unlink(missing_ok=True)  # time a real build, not an open
    t0 = time.perf_counter()
    index = load_index(dirs, signals=STORED)
    elapsed = time.perf_counter() - t0
    if not isinstance(index, StoredIndex) or index.path is None:
        raise SystemExit(f"the store was not written to {STORES}")
    # Above 2,000 files the store is built by a child process (load_cache.BUILD_IN_CHILD_FILES): the peak is
    # whichever process held the build.
    peak_kb = max(
        resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    (STORES / f"build-{key}.json").write_text(json.dumps({"build_s": elapsed, "rss_mb": peak_kb / 1024}))


def run_probe(pack: Path | None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_probe", str(pack) if pack else "-"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=clean_env())
    return json.loads(out.stdout)


# -- stdio ------------------------------------------------------------------------
def ours_args(pack: Path | None) -> list[str]:
    return ["serve"] + (["--no-bundled", "--data", str(pack)] if pack else [])


def params_ours(pack: Path | None):
    from mcp import StdioServerParameters
    from mcp.client.stdio import get_default_environment

    env = {**get_default_environment(), "AI_GLOSSARY_MCP_CACHE_DIR": str(STORES)}
    return StdioServerParameters(command=str(OURS_EXE), args=ours_args(pack), cwd=str(ROOT), env=env)


def params_floor():
    from mcp import StdioServerParameters

    return StdioServerParameters(command=sys.executable, args=[str(FLOOR)], cwd=str(ROOT))


def client(params, mode: str):
    from mcp import Client

    return Client(params, mode=mode, cache=None)


async def cold_start(params, mode: str, first_call: tuple[str, dict[str, Any]] | None = None) -> float:
    """spawn -> initialize -> tools/list (-> one tools/call, when given), in seconds."""
    t0 = time.perf_counter()
    async with client(params, mode) as c:
        await c.list_tools()
        if first_call is not None:
            await c.call_tool(*first_call)
        t1 = time.perf_counter()
    return t1 - t0


async def first_answer_pair(
    pack: Path | None, mode: str, reps: int, term: str
) -> tuple[list[float], list[float]]:
    """spawn -> ... -> the first define_term answer, against the floor's first echo: what a client waits
    for when it asks right away (a large pack set's start may still be confirming its files)."""
    ours, floor = [], []
    for _ in range(reps):
        ours.append(await cold_start(params_ours(pack), mode, ("define_term", {"term": term})))
        floor.append(await cold_start(params_floor(), mode, ("echo", {"text": term})))
    return ours, floor


def child_pid(marker: str) -> int | None:
    """Our newest child process whose command line contains `marker`."""
    me, best = os.getpid(), None
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == me and marker in cmdline:
            start = int(fields[19])
            if best is None or start > best[0]:
                best = (start, int(d.name))
    return best[1] if best else None


def vm_hwm_mb(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class CallCase:
    key: str  # define / search / related / text
    label: str
    tool: str
    args: dict[str, Any]


def call_cases(q: dict[str, Any]) -> list[CallCase]:
    return [
        CallCase("define", f"define_term exact {q['exact']!r}", "define_term", {"term": q["exact"]}),
        CallCase("define", f"define_term alias {q['alias']!r}", "define_term", {"term": q["alias"]}),
        CallCase("define", f"define_term typo {q['typo']!r}", "define_term", {"term": q["typo"]}),
        CallCase("define", f"define_term absent {q['absent']!r}", "define_term", {"term": q["absent"]}),
        CallCase("search", f"search_terms {q['search']!r}", "search_terms", {"query": q["search"]}),
        CallCase("related", f"find_related {q['related']!r}", "find_related", {"term": q["related"]}),
        CallCase(
            "text",
            "find_terms_in_text (~{} words)".format(len(q["text"].split())),
            "find_terms_in_text",
            {"text": q["text"]},
        ),
    ]


@dataclass
class CallStats:
    case: CallCase
    ours: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    raw_ours: list[float] = field(default_factory=list)  # raw JSON-RPC client: the servers' side only
    raw_floor: list[float] = field(default_factory=list)
    errors: int = 0
    outcome: str = ""


class RawStdio:
    """A bare JSON-RPC client over a child's stdio: one line out, lines in until the reply's id.

    No SDK client, no output-schema validation, no pydantic: what it measures is the server's side of a
    round trip (reading, dispatch, the tool, serialising, writing) plus two pipe hops, the same for both
    servers. The SDK client rows add what a Python client does with the reply (parsing it and checking
    structuredContent against outputSchema with jsonschema), which grows with the size of the answer."""

    def __init__(self, params) -> None:
        self.params = params
        self.proc: asyncio.subprocess.Process | None = None
        self.next_id = 0

    async def __aenter__(self) -> RawStdio:
        env = self.params.env if self.params.env is not None else None
        self.proc = await asyncio.create_subprocess_exec(
            self.params.command,
            *self.params.args,
            cwd=self.params.cwd,
            env=env,
            limit=1 << 24,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await self.rpc(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench-raw", "version": "0"},
            },
        )
        await self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self.proc is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def rpc(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        self.next_id += 1
        await self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.params.command} closed stdout")
            message = json.loads(line)
            if message.get("id") == self.next_id:
                return message


def _outcome(result: Any) -> str:
    sc = getattr(result, "structured_content", None) or {}
    if getattr(result, "is_error", False):
        return "ERROR"
    if "found" in sc:
        if not sc["found"]:
            return "ambiguous" if sc.get("ambiguous") else "not found"
        m = sc.get("match") or {}
        return m.get("kind", "found")
    if "results" in sc:
        return f"{len(sc['results'])} hits"
    if "related" in sc:
        return f"{len(sc.get('related') or [])} related"
    if "mentions" in sc:
        return f"{len(sc['mentions'])} mentions"
    return "ok"


async def per_call(
    pack: Path | None, q: dict[str, Any], mode: str, calls: int, warmup: int, case_budget_s: float
) -> tuple[list[CallStats], float, float, tuple[float, float]]:
    """Both servers open side by side; each sample of a row is one of our calls and one floor echo,
    in alternating order. Returns the rows, both peak RSS and both start-up times of this session
    (spawn -> initialize -> tools/list, one more cold-start sample each)."""
    stats = [CallStats(c) for c in call_cases(q)]
    async with AsyncExitStack() as stack:
        t0 = time.perf_counter()
        ours = await stack.enter_async_context(client(params_ours(pack), mode))
        await ours.list_tools()
        t1 = time.perf_counter()
        floor = await stack.enter_async_context(client(params_floor(), mode))
        await floor.list_tools()
        starts = (t1 - t0, time.perf_counter() - t1)
        ours_pid, floor_pid = child_pid("ai-glossary-mcp"), child_pid("floor_server.py")
        for _ in range(warmup):
            await floor.call_tool("echo", {"text": "warm"})
        for s in stats:
            t0 = time.perf_counter()
            for i in range(warmup):
                r = await ours.call_tool(s.case.tool, s.case.args)
                if i == 0:
                    s.outcome = _outcome(r)
            per = (time.perf_counter() - t0) / max(1, warmup)
            n = max(20, min(calls, int(case_budget_s / max(per, 1e-6))))
            for i in range(n):
                order = (ours, floor) if i % 2 == 0 else (floor, ours)
                for who in order:
                    if who is ours:
                        t = time.perf_counter()
                        r = await ours.call_tool(s.case.tool, s.case.args)
                        s.ours.append(time.perf_counter() - t)
                        s.errors += bool(r.is_error)
                    else:
                        t = time.perf_counter()
                        r = await floor.call_tool("echo", {"text": "ping"})
                        s.floor.append(time.perf_counter() - t)
            log(
                f"    {s.case.label[:60]:<60} n={n:<4} ours p50 {1000 * statistics.median(s.ours):8.2f} ms"
                f"  floor p50 {1000 * statistics.median(s.floor):6.2f} ms  [{s.outcome}]"
            )
        rss_ours, rss_floor = vm_hwm_mb(ours_pid), vm_hwm_mb(floor_pid)
    log("  the servers' side only (raw JSON-RPC client, no schema validation) ...")
    async with RawStdio(params_ours(pack)) as raw_ours, RawStdio(params_floor()) as raw_floor:
        for _ in range(warmup):
            await raw_floor.rpc("tools/call", {"name": "echo", "arguments": {"text": "warm"}})
        for s in stats:
            call = {"name": s.case.tool, "arguments": s.case.args}
            for _ in range(warmup):
                await raw_ours.rpc("tools/call", call)
            for i in range(len(s.ours)):
                order = (raw_ours, raw_floor) if i % 2 == 0 else (raw_floor, raw_ours)
                for who in order:
                    t = time.perf_counter()
                    if who is raw_ours:
                        reply = await raw_ours.rpc("tools/call", call)
                        s.raw_ours.append(time.perf_counter() - t)
                        s.errors += "error" in reply or bool(reply["result"].get("isError"))
                    else:
                        await raw_floor.rpc("tools/call", {"name": "echo", "arguments": {"text": "ping"}})
                        s.raw_floor.append(time.perf_counter() - t)
            log(
                f"    {s.case.label[:60]:<60} raw ours p50 {1000 * statistics.median(s.raw_ours):8.2f} ms"
                f"  floor p50 {1000 * statistics.median(s.raw_floor):6.2f} ms"
            )
    return stats, rss_ours, rss_floor, starts


async def cold_pair(pack: Path | None, mode: str, reps: int) -> tuple[list[float], list[float]]:
    ours, floor = [], []
    for i in range(reps):
        order = ("ours", "floor") if i % 2 == 0 else ("floor", "ours")
        for who in order:
            if who == "ours":
                ours.append(await cold_start(params_ours(pack), mode))
            else:
                floor.append(await cold_start(params_floor(), mode))
        log(f"    cold start rep {i + 1}/{reps}: ours {ours[-1]:.3f}s floor {floor[-1]:.3f}s")
    return ours, floor


# -- HTTP -------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_http(cmd: list[str], port: int, timeout: float = 600) -> subprocess.Popen:
    import httpx2

    proc = subprocess.Popen(
        cmd, cwd=str(ROOT), env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except Exception:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{cmd} did not become healthy in {timeout}s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Found by experiment (see README in the report): the stateless server answers a tools/call
# POSTed on its own, with no initialize, when the protocol-version header is a handshake-era
# version (or absent; the SDK then assumes 2025-03-26). For 2026-07-28 it additionally wants
# Mcp-Method / Mcp-Name headers and a params._meta envelope carrying protocolVersion and
# clientCapabilities.
def rpc_request(tool: str, arguments: dict[str, Any], protocol: str) -> tuple[bytes, dict[str, str]]:
    headers = {
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": protocol,
    }
    params: dict[str, Any] = {"name": tool, "arguments": arguments}
    if protocol >= "2026":
        headers.update({"Mcp-Method": "tools/call", "Mcp-Name": tool})
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": protocol,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    return json.dumps(body).encode(), headers


async def http_trial(
    port: int, body: bytes, headers: dict[str, str], conc: int, duration: float
) -> tuple[int, float, list[float], int]:
    import httpx2

    url = f"http://127.0.0.1:{port}/mcp"
    clients = [httpx2.AsyncClient(timeout=60) for _ in range(conc)]
    lat: list[float] = []
    errors = 0

    async def one(c) -> bool:
        r = await c.post(url, content=body, headers=headers)
        if r.status_code != 200:
            return False
        data = r.json()
        return "result" in data and not data["result"].get("isError")

    try:
        for c in clients:  # open the connections outside the timed window
            await one(c)
        deadline = time.perf_counter() + duration

        async def worker(c) -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                ok = await one(c)
                lat.append(time.perf_counter() - t)
                errors += not ok

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        elapsed = time.perf_counter() - t0
    finally:
        for c in clients:
            await c.aclose()
    return len(lat), elapsed, lat, errors


async def http_bench(
    concurrency: list[int], duration: float, rounds: int, protocol: str
) -> list[dict[str, Any]]:
    p_ours, p_floor = free_port(), free_port()
    ours = start_http(
        [
            str(OURS_EXE),
            "serve",
            "--transport",
            "http",
            "--stateless",
            "--host",
            "127.0.0.1",
            "--port",
            str(p_ours),
        ],
        p_ours,
    )
    floor = start_http(
        [sys.executable, str(FLOOR), "--http", "--host", "127.0.0.1", "--port", str(p_floor)], p_floor
    )
    out = []
    try:
        b_ours, h_ours = rpc_request("define_term", {"term": "KV-Cache"}, protocol)
        b_floor, h_floor = rpc_request("echo", {"text": "KV-Cache"}, protocol)
        for conc in concurrency:
            acc = {"ours": [0, 0.0, [], 0], "floor": [0, 0.0, [], 0]}
            for _ in range(rounds):
                for who in ("ours", "floor", "floor", "ours"):  # ABBA cancels drift
                    port, body, hdr = (
                        (p_ours, b_ours, h_ours) if who == "ours" else (p_floor, b_floor, h_floor)
                    )
                    n, el, lat, err = await http_trial(port, body, hdr, conc, duration)
                    a = acc[who]
                    a[0] += n
                    a[1] += el
                    a[2] += lat
                    a[3] += err
            row = {"conc": conc}
            for who, (n, el, lat, err) in acc.items():
                row[who] = {
                    "rps": n / el if el else 0.0,
                    "p50": pct(lat, 50),
                    "p95": pct(lat, 95),
                    "n": n,
                    "errors": err,
                }
            log(
                f"    HTTP c={conc:<3} ours {row['ours']['rps']:7.1f} req/s"
                f" p95 {1000 * row['ours']['p95']:7.1f} ms"
                f" | floor {row['floor']['rps']:7.1f} req/s p95 {1000 * row['floor']['p95']:7.1f} ms"
                f" (errors {row['ours']['errors']}/{row['floor']['errors']})"
            )
            out.append(row)
    finally:
        stop(ours)
        stop(floor)
    return out


# -- table --------------------------------------------------------------------------
def status(section: str, key: str, value: float) -> tuple[str, str]:
    bound = TARGETS.get((section, key))
    if bound is None:
        return "—", "—"
    unit = " MB" if key == "rss_mb" else "x"
    return f"≤ {bound:g}{unit}", ("PASS" if value <= bound else "MISS")


def ms(v: float) -> str:
    return f"{1000 * v:.2f} ms" if v < 10 else f"{v:.1f} s"


def secs(v: float) -> str:
    return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"


class Table:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def add(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])

    def render(self) -> str:
        head = ["Pack", "Measurement", "n", "Ours", "Floor", "Ours/Floor", "Target", "Status"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)


def add_section(
    table: Table,
    label: str,
    section: str,
    probe_r: dict[str, Any],
    cold: tuple[list[float], list[float]],
    stats: list[CallStats],
    rss: tuple[float, float],
) -> dict[str, Any]:
    co, cf = statistics.median(cold[0]), statistics.median(cold[1])
    ratio = co / cf
    tgt, st = status(section, "cold", ratio)
    table.add(
        label,
        "cold start (spawn→initialize→tools/list), median",
        len(cold[0]),
        secs(co),
        secs(cf),
        f"{ratio:.2f}x",
        tgt,
        st,
    )
    if "first_answer" in probe_r:
        fo, ff = (statistics.median(x) for x in probe_r["first_answer"])
        table.add(
            label,
            "first answer (spawn→initialize→tools/list→first define_term), median",
            len(probe_r["first_answer"][0]),
            secs(fo),
            secs(ff),
            f"{fo / ff:.2f}x",
            "—",
            "—",
        )
    table.add(
        label,
        "first start: build the store (parse YAML, validate, index, write SQLite; "
        "in a child process above 2,000 files)",
        1,
        f"{secs(probe_r['build_s'])}, peak RSS {probe_r['build_rss_mb']:.0f} MB",
        "—",
        "—",
        "—",
        "—",
    )
    deferred = (
        f" (then {secs(probe_r['check_s'])} confirming the files in the background)"
        if probe_r.get("check_s")
        else ""
    )
    table.add(
        label,
        "later starts: open the store, in-process" + deferred,
        1,
        secs(probe_r["open_s"]),
        "—",
        "—",
        "—",
        "—",
    )
    summary: dict[str, Any] = {"cold_ours_s": cold[0], "cold_floor_s": cold[1], "probe": probe_r, "calls": []}
    for s in stats:
        o50, o95 = statistics.median(s.ours), pct(s.ours, 95)
        f50, f95 = statistics.median(s.floor), pct(s.floor, 95)
        r50 = o50 / f50
        tgt, st = status(section, s.case.key, r50)
        note = f" [{s.outcome}]" + (f" **{s.errors} errors**" if s.errors else "")
        table.add(
            label,
            f"{s.case.label}{note} p50 / p95",
            len(s.ours),
            f"{ms(o50)} / {ms(o95)}",
            f"{ms(f50)} / {ms(f95)} (echo)",
            f"{r50:.2f}x / {o95 / f95:.2f}x",
            tgt,
            st,
        )
        call = {
            "label": s.case.label,
            "outcome": s.outcome,
            "errors": s.errors,
            "ours_p50": o50,
            "ours_p95": o95,
            "floor_p50": f50,
            "floor_p95": f95,
        }
        if s.raw_ours:
            ro50, ro95 = statistics.median(s.raw_ours), pct(s.raw_ours, 95)
            rf50, rf95 = statistics.median(s.raw_floor), pct(s.raw_floor, 95)
            tgt, st = status(section, s.case.key, ro50 / rf50)
            table.add(
                label,
                "↳ same call, servers' side only (raw JSON-RPC client) p50 / p95",
                len(s.raw_ours),
                f"{ms(ro50)} / {ms(ro95)}",
                f"{ms(rf50)} / {ms(rf95)} (echo)",
                f"{ro50 / rf50:.2f}x / {ro95 / rf95:.2f}x",
                tgt,
                st,
            )
            call.update(raw_ours_p50=ro50, raw_ours_p95=ro95, raw_floor_p50=rf50, raw_floor_p95=rf95)
        summary["calls"].append(call)
    tgt, st = status(section, "rss_mb", rss[0])
    table.add(
        label,
        "server peak RSS (VmHWM)",
        1,
        f"{rss[0]:.0f} MB",
        f"{rss[1]:.0f} MB",
        f"{rss[0] / rss[1]:.2f}x",
        tgt,
        st,
    )
    summary["rss_mb"] = rss
    return summary


async def bench(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    quick = args.quick
    reps = args.cold_reps or (
        3 if quick else 15
    )  # cold starts swing by ±10% here: 15 pairs steady the median
    calls = args.calls or (40 if quick else 300)
    warmup = 5 if quick else 20
    sizes = (
        [int(s) for s in args.sizes.split(",") if s.strip()]
        if args.sizes is not None
        else ([1000] if quick else [1000, 10000, 100000])
    )
    duration = args.http_seconds or (1.0 if quick else 3.0)
    rounds = 1 if quick else 2
    table = Table()
    raw: dict[str, Any] = {"sizes": {}, "args": vars(args)}

    targets: list[tuple[str, Path | None, str]] = [("101", None, "bundled ai-ml (101)")]
    for n in sizes:
        targets.append((str(n), ensure_pack(n, args.seed), f"synthetic {n:,}"))
    for section, pack, label in targets:
        log(f"{label}: in-process load probe ...")
        pr = run_probe(pack)
        label = label if pack is None else f"synthetic {pr['entries']:,}"
        log(
            f"  build {pr['build_s']:.2f}s (peak {pr['build_rss_mb']:.0f} MB), open {pr['open_s']:.3f}s "
            f"({pr['open_kind']}); queries {pr['kinds']}"
        )
        # A cold start costs at least the open; keep the whole size within budget (at least 1 rep).
        est = pr["open_s"] + pr["import_s"] + 1.0
        n_reps = reps - 1 if est * reps <= args.cold_budget else max(1, int(args.cold_budget // est))
        if n_reps < reps - 1:
            log(
                f"  cold start ~{est:.0f}s each: {n_reps} reps instead of {reps}"
                f" (--cold-budget {args.cold_budget:.0f}s)"
            )
        log(f"  cold starts x{n_reps} (interleaved) ...")
        cold = await cold_pair(pack, args.mode, n_reps)
        pr["first_answer"] = await first_answer_pair(
            pack, args.mode, max(1, n_reps // 2), pr["queries"]["exact"]
        )
        log("  per-call round trips (interleaved with the floor's echo) ...")
        stats, rss_o, rss_f, starts = await per_call(
            pack, pr["queries"], args.mode, calls, warmup, args.case_budget
        )
        cold[0].append(starts[0])  # the per-call session's start-up is one more cold-start sample
        cold[1].append(starts[1])
        raw["sizes"][section] = add_section(table, label, section, pr, cold, stats, (rss_o, rss_f))

    if not args.no_http:
        log(
            f"HTTP stateless, define_term 'KV-Cache' vs echo, {duration:g}s trials"
            f" ABBA x{rounds} per level ..."
        )
        conc = [1, 8, 32]
        rows = await http_bench(conc, duration, rounds, args.http_protocol)
        raw["http"] = rows
        for r in rows:
            o, f = r["ours"], r["floor"]
            errs = f" **errors {o['errors']}/{f['errors']}**" if (o["errors"] or f["errors"]) else ""
            table.add(
                "bundled ai-ml (101)",
                f"HTTP stateless define_term, {r['conc']} concurrent client(s): req/s, p95{errs}",
                f"{o['n']}/{f['n']}",
                f"{o['rps']:.0f} req/s, {ms(o['p95'])}",
                f"{f['rps']:.0f} req/s, {ms(f['p95'])} (echo)",
                f"{o['rps'] / f['rps']:.2f}x rps, {o['p95'] / f['p95']:.2f}x p95",
                "—",
                "—",
            )

    elapsed = time.perf_counter() - t_start
    from importlib.metadata import version

    import mcp  # noqa: F401

    print(f"## ai-glossary-mcp benchmark ({'quick' if quick else 'full'})\n")
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')} · Python {platform.python_version()} · mcp {version('mcp')} · "
        f"{os.cpu_count()} CPUs · client mode {args.mode!r} · HTTP protocol header {args.http_protocol} · "
        f"total {elapsed / 60:.1f} min\n"
    )
    print(table.render())
    print(
        "\nRatios are ours/floor measured interleaved in this run; per-call ratios divide by the floor's "
        "echo round trip sampled alternately with each row. [..] is what the call returned (match rule / "
        "hits). Per-call rows use the SDK's mcp.Client, which also parses each reply and validates "
        "structuredContent against the tool's outputSchema (jsonschema); the ↳ rows repeat the call with "
        "a raw JSON-RPC line client, so they show the servers' side alone."
    )
    if (
        not args.no_floors
    ):  # the measure: one raw blocking-pipe client, ours vs the SDK echo and Python
        log("stdio per call vs the SDK echo and the Python floor (benchmarks/stdio_floors.py) ...")
        large = ",".join(str(n) for n in sizes if n >= 100_000)
        floors = subprocess.run(
            [sys.executable, str(HERE / "stdio_floors.py"), "--calls", str(calls), "--sizes", large],
            capture_output=True,
            text=True,
            check=True,
        )
        print("\n" + floors.stdout)
    raw["elapsed_s"] = elapsed
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=2, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Benchmark ai-glossary-mcp against a minimal MCPServer floor.")
    p.add_argument("--quick", action="store_true", help="fewer reps, sizes 1000 only (smoke test)")
    p.add_argument(
        "--sizes", help="comma-separated synthetic pack sizes (default 1000,10000,100000; '' for none)"
    )
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--cold-reps", type=int, help="cold starts per server (default 15; quick 3)")
    p.add_argument("--calls", type=int, help="calls per row (default 300; quick 40)")
    p.add_argument(
        "--case-budget",
        type=float,
        default=60.0,
        help="seconds per per-call row; slow calls get fewer samples (min 20)",
    )
    p.add_argument(
        "--cold-budget",
        type=float,
        default=900.0,
        help="seconds of our cold starts per pack; slow starts get fewer reps (min 1)",
    )
    p.add_argument("--http-seconds", type=float, help="seconds per server per concurrency level (default 3)")
    p.add_argument("--http-protocol", default="2025-11-25", help="MCP-Protocol-Version header for HTTP posts")
    p.add_argument("--mode", default="legacy", help="mcp.Client mode: legacy (initialize handshake) or auto")
    p.add_argument("--no-http", action="store_true")
    p.add_argument("--no-floors", action="store_true", help="skip benchmarks/stdio_floors.py")
    p.add_argument("--json", help="also write the raw measurements to this file")
    p.add_argument("--_probe", help=argparse.SUPPRESS)
    p.add_argument("--_build", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._build:
        build_store(None if args._build == "-" else args._build)
        return 0
    if args._probe:
        print(json.dumps(probe(None if args._probe == "-" else args._probe)))
        return 0
    return asyncio.run(bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
