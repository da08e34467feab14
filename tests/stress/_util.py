"""Shared helpers for the stress suite: result rows, percentiles, RSS, bounded waits and
known answers. Subprocess launching lives in tests/helpers.py (reused here)."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RESULTS = ROOT / ".stress-results.jsonl"


def results_path() -> Path:
    return Path(os.environ.get("STRESS_RESULTS") or DEFAULT_RESULTS)


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def percentile(values: Iterable[float], q: float) -> float | None:
    data = sorted(values)
    if not data:
        return None
    k = max(0, min(len(data) - 1, math.ceil(q / 100 * len(data)) - 1))
    return data[k]


@dataclass
class Record:
    """One row of the summary table. Latencies are in seconds; they become p95 in ms."""

    check: str
    inputs: int | None = None
    requests: int | None = None
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    p95_ms: float | None = None
    rps: float | None = None
    mem_growth_pct: float | None = None
    duration_s: float | None = None
    status: str | None = None  # None: from the test outcome
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    _subs: list[Record] = field(default_factory=list)

    def sub(self, check: str) -> Record:
        rec = Record(check=check)
        self._subs.append(rec)
        return rec

    def all(self) -> list[Record]:
        return [self] + self._subs

    def add_note(self, text: str) -> None:
        self.note = f"{self.note}; {text}" if self.note else text

    def timed(self) -> _Timer:
        return _Timer(self)

    def row(self, default_duration: float) -> dict[str, Any]:
        p95 = self.p95_ms
        if p95 is None and self.latencies:
            p95 = percentile(self.latencies, 95) * 1000
        return {
            "check": self.check,
            "inputs": self.inputs,
            "requests": self.requests,
            "errors": self.errors,
            "p95_ms": None if p95 is None else round(p95, 2),
            "rps": None if self.rps is None else round(self.rps, 1),
            "mem_growth_pct": None if self.mem_growth_pct is None else round(self.mem_growth_pct, 2),
            "duration_s": round(self.duration_s if self.duration_s is not None else default_duration, 2),
            "status": self.status,
            "note": self.note,
            "details": self.details,
        }


class _Timer:
    def __init__(self, rec: Record):
        self.rec = rec

    def __enter__(self) -> _Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.rec.latencies.append(time.perf_counter() - self.t0)


def rss_kb(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/status (VmRSS, kB)."""
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def wait_for(
    predicate: Callable[[], Any], timeout: float, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll until predicate() is truthy (returns it) or raise TimeoutError; bounded in time."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        time.sleep(interval)


def tool_call(id: int | str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


def is_jsonrpc_line(line: str) -> bool:
    """A stdout line that is one JSON-RPC 2.0 message object."""
    try:
        msg = json.loads(line)
    except ValueError:
        return False
    if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
        return False
    return "method" in msg or ("id" in msg and ("result" in msg or "error" in msg))


# -- known answers ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    """A tool call with the answer the in-process service gives (ground truth)."""

    tool: str
    arguments: dict[str, Any]
    expect: str  # the id the answer must name

    def check(self, structured: dict[str, Any] | None) -> bool:
        if not isinstance(structured, dict):
            return False
        if self.tool == "define_term":
            return bool(structured.get("found")) and (structured.get("entry") or {}).get("id") == self.expect
        if self.tool == "search_terms":
            results = structured.get("results") or []
            return bool(results) and results[0].get("id") == self.expect
        if self.tool == "find_related":
            return bool(structured.get("found")) and (structured.get("entry") or {}).get("id") == self.expect
        raise ValueError(self.tool)


def known_probes(
    service: Any,
    tools: tuple[str, ...] = ("define_term", "search_terms", "find_related"),
    limit: int | None = None,
) -> list[Probe]:
    """Probes built from every entry: names, acronyms, aliases and a typo, answered by `service`."""
    probes: list[Probe] = []
    for e in service.glossary.entries:
        names = [e.term] + ([e.acronym] if e.acronym else []) + list(e.aliases)[:1]
        typo = e.term[:-2] + e.term[-1] + e.term[-2] if len(e.term) > 8 else None  # swap the last two letters
        for name in names + ([typo] if typo else []):
            for tool in tools:
                if tool == "define_term":
                    r = service.define(name, "brief")
                    if r.found:
                        probes.append(Probe(tool, {"term": name, "detail": "brief"}, r.entry.id))
                elif tool == "search_terms":
                    r = service.search(name, 3, "")
                    if r.results:
                        probes.append(Probe(tool, {"query": name, "limit": 3}, r.results[0].id))
                elif tool == "find_related":
                    r = service.related(name, "", 5)
                    if r.found:
                        probes.append(Probe(tool, {"term": name, "limit": 5}, r.entry.id))
    return probes[:limit] if limit else probes
