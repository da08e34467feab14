"""Load over streamable HTTP on loopback: 1,000 requests from 50 concurrent clients, stateless and
stateful, every answer checked against the in-process service; and slow clients that open a request
and stall must not hold up anyone else.

- stateless: `serve --stateless`, 50 tasks each with its own `httpx2.AsyncClient` (raw JSON-RPC POSTs,
  JSON responses, 2025-06-18 envelope);
- stateful: the default server, 50 `mcp.Client(url, mode="legacy")` sessions (initialize, Mcp-Session-Id,
  SSE responses, GET stream, DELETE at the end).
"""

from __future__ import annotations

import itertools
import json
import socket
import time
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import load_glossary
from helpers import MCP_HEADERS, initialize_request, parse_http_jsonrpc

from ._util import Probe, env_int, known_probes, percentile, tool_call

pytestmark = pytest.mark.stress

CLIENTS = env_int("STRESS_LOAD_CLIENTS", 50)
REQUESTS = env_int("STRESS_LOAD_REQUESTS", 1000)
LOAD_BOUND = 240.0  # seconds for the whole 1,000-request run (generous: the machine may be shared)
CALL_BOUND = 60.0  # seconds for any single request
STALLED = 6  # slow connections held open during the slow-client phase
SLOW_PHASE_REQUESTS = 50
SLOW_PHASE_BOUND = 60.0
LEGACY = "2025-06-18"


@pytest.fixture(scope="module")
def probes() -> list[Probe]:
    service = GlossaryService(load_glossary())
    mix = known_probes(service, tools=("define_term", "search_terms"))
    assert len(mix) > 200
    return mix


def workload(probes: list[Probe], total: int) -> list[list[Probe]]:
    """`total` probes dealt round-robin to CLIENTS lists (define_term and search_terms interleaved)."""
    cycle = itertools.cycle(probes)
    plan: list[list[Probe]] = [[] for _ in range(CLIENTS)]
    for i in range(total):
        plan[i % CLIENTS].append(next(cycle))
    return plan


def _record(rec: Any, latencies: list[float], errors: list[str], wall: float, requests: int) -> None:
    rec.requests = requests
    rec.inputs = requests
    rec.latencies = latencies
    rec.errors = len(errors)
    rec.rps = requests / wall if wall > 0 else None
    rec.details["wall_s"] = round(wall, 2)
    rec.details["p50_ms"] = round((percentile(latencies, 50) or 0) * 1000, 2)
    rec.details["max_ms"] = round(max(latencies, default=0) * 1000, 2)
    rec.details["first_errors"] = errors[:5]
    rec.add_note(
        f"{CLIENTS} clients, {requests / wall:.0f} req/s, p50 {rec.details['p50_ms']} ms, "
        f"max {rec.details['max_ms']} ms"
    )


# -- stateless ------------------------------------------------------------------------------------
def _legacy_headers(session: str | None = None) -> dict[str, str]:
    h = dict(MCP_HEADERS)
    h["mcp-protocol-version"] = LEGACY
    if session:
        h["mcp-session-id"] = session
    return h


async def _raw_call(
    client: httpx2.AsyncClient, url: str, probe: Probe, rid: int, session: str | None = None
) -> tuple[bool, str]:
    r = await client.post(
        url, json=tool_call(rid, probe.tool, probe.arguments), headers=_legacy_headers(session)
    )
    if r.status_code != 200:
        return False, f"HTTP {r.status_code}: {r.text[:200]}"
    answers = [m for m in parse_http_jsonrpc(r) if m.get("id") == rid]
    if len(answers) != 1 or "result" not in answers[0]:
        return False, f"no result for id {rid}: {r.text[:200]}"
    result = answers[0]["result"]
    if result.get("isError") or not probe.check(result.get("structuredContent")):
        return (
            False,
            f"wrong answer for {probe.tool}({probe.arguments}) (want {probe.expect}): {r.text[:200]}",
        )
    return True, ""


async def _stateless_load(url: str, plan: list[list[Probe]]) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    ids = itertools.count(1)

    async def worker(items: list[Probe]) -> None:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(CALL_BOUND, connect=10.0)) as client:
            for probe in items:
                t0 = time.perf_counter()
                try:
                    ok, why = await _raw_call(client, url, probe, next(ids))
                except httpx2.HTTPError as exc:
                    ok, why = False, f"{type(exc).__name__}: {exc}"
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    errors.append(why)

    t0 = time.perf_counter()
    with anyio.fail_after(LOAD_BOUND):
        async with anyio.create_task_group() as tg:
            for items in plan:
                tg.start_soon(worker, items)
    return latencies, errors, time.perf_counter() - t0


def test_stateless_1000_requests_50_clients(
    http_stateless: Any, probes: list[Probe], stress_record: Any
) -> None:
    plan = workload(probes, REQUESTS)
    latencies, errors, wall = anyio.run(_stateless_load, http_stateless.url, plan)
    _record(stress_record, latencies, errors, wall, len(latencies))
    assert len(latencies) == REQUESTS
    assert not errors, f"{len(errors)} errors, first: {errors[:3]}"
    assert http_stateless.proc.poll() is None
    assert http_stateless.healthz()["status"] == "ok"


# -- stateful -------------------------------------------------------------------------------------
async def _stateful_load(url: str, plan: list[list[Probe]]) -> tuple[list[float], list[str], float, int]:
    latencies: list[float] = []
    errors: list[str] = []
    sessions = 0

    async def worker(items: list[Probe]) -> None:
        nonlocal sessions
        try:
            async with Client(url, mode="legacy", cache=None, read_timeout_seconds=CALL_BOUND) as client:
                sessions += 1
                for probe in items:
                    t0 = time.perf_counter()
                    try:
                        result = await client.call_tool(probe.tool, probe.arguments)
                        if result.is_error or not probe.check(result.structured_content):
                            errors.append(
                                f"wrong answer for {probe.tool}({probe.arguments}): "
                                f"{str(result.structured_content)[:200]}"
                            )
                    except Exception as exc:  # every failure is counted, none may happen
                        errors.append(f"{type(exc).__name__}: {exc}")
                    latencies.append(time.perf_counter() - t0)
        except Exception as exc:
            errors.append(f"session: {type(exc).__name__}: {exc}")

    t0 = time.perf_counter()
    with anyio.fail_after(LOAD_BOUND):
        async with anyio.create_task_group() as tg:
            for items in plan:
                tg.start_soon(worker, items)
    return latencies, errors, time.perf_counter() - t0, sessions


def test_stateful_1000_requests_50_sessions(
    http_stateful: Any, probes: list[Probe], stress_record: Any
) -> None:
    plan = workload(list(reversed(probes)), REQUESTS)
    latencies, errors, wall, sessions = anyio.run(_stateful_load, http_stateful.url, plan)
    _record(stress_record, latencies, errors, wall, len(latencies))
    stress_record.details["sessions"] = sessions
    assert sessions == CLIENTS, f"only {sessions} of {CLIENTS} sessions opened; errors: {errors[:3]}"
    assert len(latencies) == REQUESTS
    assert not errors, f"{len(errors)} errors, first: {errors[:3]}"
    assert http_stateful.proc.poll() is None
    assert http_stateful.healthz()["status"] == "ok"


# -- slow clients ---------------------------------------------------------------------------------
def _stall(port: int, body_start: bytes, session: str | None, kind: str) -> socket.socket:
    """A connection that sends part of a request and then waits."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: {LEGACY}\r\n"
        + (f"Mcp-Session-Id: {session}\r\n" if session else "")
    )
    if kind == "headers":  # headers never finished
        s.sendall(head.encode()[: len(head) - 20])
    else:  # headers done, the body promised but only begun
        s.sendall((head + f"Content-Length: {len(body_start) + 4000}\r\n\r\n").encode() + body_start)
    return s


async def _slow_phase(
    url: str, probes: list[Probe], session: str | None
) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []

    async def one(probe: Probe, rid: int) -> None:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(CALL_BOUND, connect=10.0)) as client:
            t0 = time.perf_counter()
            try:
                ok, why = await _raw_call(client, url, probe, rid, session)
            except httpx2.HTTPError as exc:
                ok, why = False, f"{type(exc).__name__}: {exc}"
            latencies.append(time.perf_counter() - t0)
            if not ok:
                errors.append(why)

    t0 = time.perf_counter()
    with anyio.fail_after(SLOW_PHASE_BOUND):
        async with anyio.create_task_group() as tg:
            for i, probe in enumerate(probes[:SLOW_PHASE_REQUESTS]):
                tg.start_soon(one, probe, 50_000 + i)
    return latencies, errors, time.perf_counter() - t0


@pytest.mark.parametrize("mode", ["stateless", "stateful"])
def test_slow_clients_do_not_block_others(
    mode: str, request: pytest.FixtureRequest, probes: list[Probe], stress_record: Any
) -> None:
    srv = request.getfixturevalue("http_stateless" if mode == "stateless" else "http_stateful")
    session = None
    if mode == "stateful":  # the stalled requests and the normal ones share one session
        r = httpx2.post(
            srv.url, json=initialize_request(version=LEGACY), headers=_legacy_headers(), timeout=30
        )
        assert r.status_code == 200, r.text
        session = r.headers["mcp-session-id"]
        r = httpx2.post(
            srv.url,
            json={"jsonrpc": "2.0", "method": "notifications/initialized"},
            headers=_legacy_headers(session),
            timeout=30,
        )
        assert r.status_code in (200, 202)
    partial = json.dumps(tool_call(1, "define_term", {"term": "DPO"})).encode()[:40]
    stalled = [
        _stall(srv.port, partial, session, "body" if i % 2 == 0 else "headers") for i in range(STALLED)
    ]
    try:
        time.sleep(0.5)  # let the server start reading them
        latencies, errors, wall = anyio.run(_slow_phase, srv.url, probes, session)
        # The stalled connections are still open, and still waiting (no answer was sent on them).
        still_open = 0
        for s in stalled:
            s.setblocking(False)
            try:
                data = s.recv(1)
                still_open += data == b""  # b"" would mean the server closed it
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
    finally:
        for s in stalled:
            s.close()
    _record(stress_record, latencies, errors, wall, len(latencies))
    stress_record.details["stalled_connections"] = STALLED
    stress_record.details["stalled_still_waiting"] = still_open
    stress_record.add_note(f"{STALLED} stalled connections held open ({still_open} still waiting at the end)")
    assert len(latencies) == SLOW_PHASE_REQUESTS and not errors, errors[:3]
    assert wall < SLOW_PHASE_BOUND
    assert srv.proc.poll() is None
    assert srv.healthz()["status"] == "ok"
    if session:
        httpx2.delete(srv.url, headers=_legacy_headers(session), timeout=10)
