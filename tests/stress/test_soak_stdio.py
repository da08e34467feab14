"""Soak over one stdio session: up to 100,000 pipelined tool calls (define_term / search_terms /
find_related with known answers) on the raw JSON-RPC pipe, every answer checked; the server's RSS
(/proc/PID/status VmRSS) after a 5,000-call warm-up and at the end must not grow by more than 10 %.

The run stops at STRESS_SOAK_CALLS calls or STRESS_SOAK_SECONDS seconds, whichever comes first, and
records the calls made and the throughput (the budget keeps `make stress` short on a busy machine).

A second check sends thousands of *distinct* long terms, the workload a shared server sees from many
clients, and projects the memory the server keeps per distinct request to the size of its caches.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import load_glossary
from helpers import initialize_request, raw_stdio

from ._util import env_float, env_int, is_jsonrpc_line, known_probes, rss_kb, tool_call

pytestmark = pytest.mark.stress

TOTAL = env_int("STRESS_SOAK_CALLS", 100_000)
BUDGET = env_float("STRESS_SOAK_SECONDS", 200.0)
WARMUP = 5_000
WINDOW = 64  # requests in flight on the pipe
READ_TIMEOUT = 60.0
MAX_GROWTH_PCT = 10.0


class Pipe:
    """Pipelined JSON-RPC over a RawStdio: keeps WINDOW requests in flight, checks every answer."""

    def __init__(self, raw: Any):
        self.raw = raw
        self.next_id = 1000
        self.sent = 0
        self.received = 0
        self.errors: list[str] = []
        self.nonjson = 0

    def run(self, make: Any, count: int, deadline: float) -> int:
        """Send up to `count` calls built by make(i) -> (tool, args, check); stop sending at `deadline`."""
        pending: dict[int, Any] = {}
        done = 0
        issued = 0
        while done < issued or (issued < count and time.monotonic() < deadline):
            chunk = []
            while issued < count and len(pending) < WINDOW and time.monotonic() < deadline:
                tool, args, check = make(issued)
                rid = self.next_id
                self.next_id += 1
                pending[rid] = (tool, args, check)
                chunk.append(json.dumps(tool_call(rid, tool, args)))
                issued += 1
            if chunk:
                self.raw.write_line("\n".join(chunk))
                self.sent += len(chunk)
            if not pending:
                break
            line = self.raw.read_line(READ_TIMEOUT)
            if line is None:
                raise EOFError("the server closed stdout:\n" + self.raw.stderr_text()[-2000:])
            if not is_jsonrpc_line(line):
                self.nonjson += 1
                continue
            msg = json.loads(line)
            entry = pending.pop(msg.get("id"), None)
            if entry is None:
                continue  # a notification
            self.received += 1
            done += 1
            tool, args, check = entry
            result = msg.get("result")
            if result is None or result.get("isError") or not check(result.get("structuredContent")):
                self.errors.append(f"{tool}({args}) -> {line[:200]}")
        self.raw.stdout_lines.clear()  # RawStdio keeps every line; do not let the test process grow
        return done


@pytest.fixture(scope="module")
def soak_server():
    with raw_stdio() as raw:
        raw.send(initialize_request(version="2025-06-18"))
        first = raw.read_message(60)
        assert "result" in first, first
        raw.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield raw


def test_soak_100k_calls_one_stdio_session(soak_server: Any, stress_record: Any) -> None:
    service = GlossaryService(load_glossary())
    probes = known_probes(service)  # define_term, search_terms, find_related: every entry, several spellings
    assert len(probes) > 300

    def make(i: int) -> tuple[str, dict, Any]:
        p = probes[(i * 7919) % len(probes)]  # a fixed stride, so the tools stay interleaved
        return p.tool, p.arguments, p.check

    pipe = Pipe(soak_server)
    pid = soak_server.proc.pid
    t0 = time.monotonic()
    deadline = t0 + BUDGET
    rss_start = rss_kb(pid)
    warm = pipe.run(make, WARMUP, deadline + 60)  # the warm-up always completes
    t_warm = time.monotonic()
    rss_warm = rss_kb(pid)
    samples = [(warm, rss_warm)]
    done = warm
    while done < TOTAL and time.monotonic() < deadline:
        step = min(5_000, TOTAL - done)
        done += pipe.run(lambda i, base=done: make(base + i), step, deadline)
        samples.append((done, rss_kb(pid)))
    t_end = time.monotonic()
    rss_end = rss_kb(pid)
    growth = 100.0 * (rss_end - rss_warm) / rss_warm
    rate = (done - warm) / (t_end - t_warm) if t_end > t_warm else 0.0

    stress_record.inputs = len(probes)
    stress_record.requests = done
    stress_record.errors = len(pipe.errors) + pipe.nonjson
    stress_record.mem_growth_pct = growth
    stress_record.rps = done / (t_end - t0)
    stress_record.p95_ms = None
    stress_record.details.update(
        rss_start_kb=rss_start,
        rss_after_warmup_kb=rss_warm,
        rss_end_kb=rss_end,
        samples=samples,
        steady_calls_per_s=round(rate, 1),
        target=TOTAL,
        budget_s=BUDGET,
        first_errors=pipe.errors[:5],
    )
    stress_record.add_note(
        f"{done:,}/{TOTAL:,} calls in {t_end - t0:.0f}s ({done / (t_end - t0):.0f}/s); "
        f"RSS {rss_start // 1024}->{rss_warm // 1024} (warm)->{rss_end // 1024} MB"
    )
    if done < TOTAL:
        stress_record.add_note(
            f"stopped by the {BUDGET:.0f}s budget; projected time for {TOTAL:,}: "
            f"{TOTAL / max(rate, 1e-9):.0f}s"
        )
    assert not pipe.errors, f"{len(pipe.errors)} wrong answers, first: {pipe.errors[:3]}"
    assert pipe.nonjson == 0, "non-JSON-RPC lines on stdout"
    assert done >= 2 * WARMUP, f"only {done} calls in the budget"
    assert growth <= MAX_GROWTH_PCT, f"RSS grew {growth:.1f}% after warm-up ({rss_warm} -> {rss_end} kB)"
    assert soak_server.proc.poll() is None


DISTINCT = env_int("STRESS_DISTINCT_CALLS", 4_000)
NAME_KEY_CACHE = (
    65_536  # more entries than any text cache in normalize.py holds (the largest, stem's, holds 32,768)
)
MAX_PROJECTED_MB = 100.0


def test_memory_kept_per_distinct_request(soak_server: Any, stress_record: Any) -> None:
    """Distinct 480-character terms (what many different clients send) must not pin memory: the server keeps
    lru caches keyed by the raw query text (normalize.name_key 16,384 entries, key_word 16,384, stem 32,768;
    long inputs are never cached), so the memory kept per distinct query, times a cache size (65,536 here, to
    be safe), is what a client can make it hold for good."""
    pipe = Pipe(soak_server)
    pid = soak_server.proc.pid

    def make(i: int, base: int) -> tuple[str, dict, Any]:
        term = "𝒜" * 460 + f"{base + i:020d}"  # 480 characters, outside the BMP, all distinct
        return "define_term", {"term": term, "detail": "brief"}, lambda sc: isinstance(sc, dict)

    pipe.run(lambda i: make(i, 0), 500, time.monotonic() + 120)  # warm the code paths
    before = rss_kb(pid)
    t0 = time.monotonic()
    done = pipe.run(lambda i: make(i, 10_000_000), DISTINCT, time.monotonic() + 120)
    took = time.monotonic() - t0
    after = rss_kb(pid)
    per_call_kb = (after - before) / max(done, 1)
    projected_mb = per_call_kb * NAME_KEY_CACHE / 1024
    stress_record.requests = done + 500
    stress_record.inputs = done
    stress_record.errors = len(pipe.errors)
    stress_record.mem_growth_pct = 100.0 * (after - before) / before
    stress_record.rps = done / took if took else None
    stress_record.details.update(
        rss_before_kb=before,
        rss_after_kb=after,
        kept_per_call_kb=round(per_call_kb, 2),
        projected_mb_at_cache_size=round(projected_mb, 1),
    )
    stress_record.add_note(
        f"{per_call_kb:.2f} kB kept per distinct 480-char term; x{NAME_KEY_CACHE:,} cache "
        f"entries = {projected_mb:.0f} MB held for good"
    )
    assert not pipe.errors, pipe.errors[:3]
    assert projected_mb <= MAX_PROJECTED_MB, (
        f"each distinct query pins {per_call_kb:.2f} kB; the caches keyed by raw input would hold "
        f"~{projected_mb:.0f} MB once full"
    )
