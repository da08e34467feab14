"""HTTP connection and session limits under load: a real server on 127.0.0.1 with 1,024 descriptors.

- 1,100 idle TCP connections plus 200 clients sending a request head one byte at a time,
  against a server whose descriptor limit is the common 1,024: /healthz and an MCP call
  must still answer, the server must not flood its log, and every idle connection is
  closed once the request timeout has passed.
- A stateful session that holds a GET stream but sends nothing expires after the idle
  timeout anyway: its stream ends and its id answers 404.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2

from helpers import (
    EXE,
    MCP_HEADERS,
    ROOT,
    _stop,
    free_port,
    initialize_request,
    jsonrpc,
    server_env,
    wait_ready,
)

IDLE, DRIBBLERS, CHILD_NOFILE = 1100, 200, 1024


def _raise_own_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= need, (
        "the test needs more descriptors than allowed"
    )


@contextlib.contextmanager
def _server(*args: str, nofile: int | None = None):
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="glossary-limits-") as tmp:
        err_path = Path(tmp) / "stderr.log"

        def limit() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        with open(err_path, "wb") as err:
            proc = subprocess.Popen(
                [str(EXE), "serve", "--transport", "http", "--port", str(port), *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=server_env(),
                cwd=ROOT,
                preexec_fn=limit,
            )
        try:
            wait_ready(proc, f"http://127.0.0.1:{port}", err_path)
            yield proc, port, err_path
        finally:
            _stop(proc)


def _answers(port: int) -> tuple[bool, bool]:
    base = f"http://127.0.0.1:{port}"
    with httpx2.Client(timeout=10) as client:
        health = client.get(base + "/healthz").status_code == 200
        call = {"name": "define_term", "arguments": {"term": "DPO"}}
        r = client.post(base + "/mcp", json=jsonrpc("tools/call", call, 2), headers=MCP_HEADERS)
        return health, r.status_code == 200 and "dpo" in r.text


def test_idle_and_byte_by_byte_connections_do_not_stop_answers(stress_record: Any) -> None:
    _raise_own_limit(IDLE + DRIBBLERS + 200)
    with _server("--stateless", nofile=CHILD_NOFILE) as (proc, port, err_path):
        idle: list[socket.socket] = []
        for _ in range(IDLE):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        head = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: {'a' * 200}\r\n\r\n".encode()
        dribblers = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(DRIBBLERS)]
        stop = threading.Event()

        def dribble() -> None:
            for i in range(len(head)):
                if stop.is_set():
                    return
                for s in dribblers:
                    with contextlib.suppress(OSError):
                        s.send(head[i : i + 1])
                time.sleep(0.2)

        threading.Thread(target=dribble, daemon=True).start()
        try:
            t0 = time.monotonic()
            results = [_answers(port) for _ in range(5)]
            stress_record.latencies.append(time.monotonic() - t0)
            assert all(h and c for h, c in results), results
            # Once the request timeout (10 s) has passed, the idle connections are closed by the server.
            # Polled up to a generous deadline (not one sleep just past 10 s): the machine may be loaded.
            open_ = list(idle)
            deadline = time.monotonic() + 40
            while open_ and time.monotonic() < deadline:
                time.sleep(1)
                still = []
                for s in open_:
                    s.settimeout(0.01)
                    try:
                        if s.recv(1) != b"":
                            still.append(s)
                    except (TimeoutError, BlockingIOError):
                        still.append(s)
                    except OSError:
                        pass
                open_ = still
            assert not open_, f"{len(open_)} idle connections still open 40 s after the request timeout began"
            assert all(h and c for h, c in [_answers(port)])
        finally:
            stop.set()
            for s in idle + dribblers:
                s.close()
        assert proc.poll() is None
        log = err_path.read_text(errors="replace")
        stress_record.inputs = IDLE + DRIBBLERS
        stress_record.details.update(log_bytes=len(log), closed_idle=IDLE - len(open_))
        stress_record.add_note(
            f"{IDLE} idle + {DRIBBLERS} byte-by-byte at {CHILD_NOFILE} fds; log {len(log)} B"
        )
        assert len(log) < 20_000 and "Traceback" not in log, log[-3000:]


def test_an_idle_session_expires_even_with_an_open_get_stream(stress_record: Any, tmp_path) -> None:
    config = tmp_path / "idle.yaml"
    config.write_text("session_idle_timeout: 10\n", encoding="utf-8")
    with _server("--config", str(config)) as (_, port, _):
        url = f"http://127.0.0.1:{port}/mcp"
        r = httpx2.post(url, json=initialize_request(1), headers=MCP_HEADERS, timeout=10)
        sid = r.headers["mcp-session-id"]
        headers = {"mcp-session-id": sid, "mcp-protocol-version": "2025-06-18"}
        httpx2.post(
            url, json=jsonrpc("notifications/initialized", id=None), headers=MCP_HEADERS | headers, timeout=10
        )
        t0 = time.monotonic()
        with httpx2.stream(
            "GET", url, headers=headers | {"Accept": "text/event-stream"}, timeout=httpx2.Timeout(60.0)
        ) as stream:
            assert stream.status_code == 200
            for _ in stream.iter_bytes():  # ends when the server closes the stream
                if time.monotonic() - t0 > 45:
                    break
        held = time.monotonic() - t0
        stress_record.latencies.append(held)
        stress_record.add_note(f"GET stream closed after {held:.1f} s (idle timeout 10 s)")
        assert 9 < held < 30, held
        r = httpx2.post(url, json=jsonrpc("ping", None, 3), headers=MCP_HEADERS | headers, timeout=10)
        assert r.status_code == 404
