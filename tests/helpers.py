"""Subprocess helpers for the end-to-end tests: the real console script, over stdio or HTTP.

Everything here launches `ai-glossary-mcp` exactly as a user or an MCP client would (the
console script next to the test interpreter), so these tests cover argument parsing, logging
setup, transport wiring and shutdown, not just the in-process server.

- `free_port()`: a TCP port nothing listens on right now.
- `http_server(*args, env=None)`: `serve --transport http` on 127.0.0.1 and a free port, ready
  when GET /healthz answers (never GET /mcp: that opens an SSE stream that does not end).
- `stdio_params(*args, env=None)`: StdioServerParameters for `mcp.Client`.
- `stdio_transport(params, errlog)`: the SDK's stdio transport with the server's stderr captured.
- `raw_stdio(*args, env=None)`: the server as a bare subprocess, for writing raw lines to its
  stdin and reading raw stdout lines with a timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx2
from mcp import StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).with_name("ai-glossary-mcp")
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (bind to 0, read it back, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def server_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without any AI_GLOSSARY_MCP_* setting, plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AI_GLOSSARY_MCP_")}
    base["PYTHONUNBUFFERED"] = "1"
    return base | dict(env or {})


def _stop(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


# -- HTTP -------------------------------------------------------------------------------------
@dataclass
class HttpServer:
    proc: subprocess.Popen
    host: str
    port: int
    path: str
    stderr_path: Path

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.base + self.path

    @property
    def host_header(self) -> str:
        return f"{self.host}:{self.port}"

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def healthz(self) -> dict[str, Any]:
        r = httpx2.get(self.base + "/healthz", timeout=5)
        r.raise_for_status()
        return r.json()


def wait_ready(proc: subprocess.Popen, base: str, stderr_path: Path, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited with {proc.returncode} before it was ready:\n"
                + stderr_path.read_text(errors="replace")
            )
        try:
            if httpx2.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"server not ready after {timeout}s:\n" + stderr_path.read_text(errors="replace"))


@dataclass
class HttpSpec:
    """How to launch one HTTP server: extra args, extra env, bind host (and where to poll it)."""

    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    host: str = "127.0.0.1"
    path: str = "/mcp"
    ready_host: str | None = None


def _spawn_http(spec: HttpSpec, tmp: Path, index: int) -> HttpServer:
    port = free_port()
    stderr_path = tmp / f"stderr-{index}.log"
    cmd = [str(EXE), "serve", "--transport", "http", "--host", spec.host, "--port", str(port), *spec.args]
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=server_env(spec.env),
            cwd=ROOT,
        )
    return HttpServer(
        proc=proc, host=spec.ready_host or spec.host, port=port, path=spec.path, stderr_path=stderr_path
    )


@contextlib.contextmanager
def http_servers(*specs: HttpSpec) -> Iterator[list[HttpServer]]:
    """Start several HTTP servers at once (they boot in parallel), wait for all, stop all."""
    with tempfile.TemporaryDirectory(prefix="glossary-http-") as tmp:
        servers: list[HttpServer] = []
        try:
            for i, spec in enumerate(specs):
                servers.append(_spawn_http(spec, Path(tmp), i))
            for srv in servers:
                wait_ready(srv.proc, srv.base, srv.stderr_path)
            yield servers
        finally:
            for srv in servers:
                _stop(srv.proc)


@contextlib.contextmanager
def http_server(
    *args: str,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    path: str = "/mcp",
    ready_host: str | None = None,
) -> Iterator[HttpServer]:
    """Run `serve --transport http` on a free port until the block ends.

    `args` are appended to the command line (e.g. "--stateless", "--config", FILE). `ready_host`
    is where readiness is polled when `host` is not connectable (e.g. 0.0.0.0 -> 127.0.0.1).
    """
    with http_servers(HttpSpec(tuple(args), env, host, path, ready_host)) as (srv,):
        yield srv


def jsonrpc(method: str, params: dict | None = None, id: int | str | None = 1) -> dict[str, Any]:
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id is not None:
        msg["id"] = id
    if params is not None:
        msg["params"] = params
    return msg


def initialize_request(id: int = 1, version: str = "2025-06-18") -> dict[str, Any]:
    return jsonrpc(
        "initialize",
        {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "e2e-raw", "version": "0"}},
        id,
    )


def parse_http_jsonrpc(response: httpx2.Response) -> list[dict[str, Any]]:
    """The JSON-RPC messages in a streamable-HTTP response body (JSON or SSE)."""
    ctype = response.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        data = response.json()
        return data if isinstance(data, list) else [data]
    if ctype.startswith("text/event-stream"):
        out = []
        for line in response.text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                out.append(json.loads(line[5:].strip()))
        return out
    raise AssertionError(f"unexpected content-type {ctype!r}: {response.text[:300]!r}")


# -- stdio ------------------------------------------------------------------------------------
def stdio_params(*args: str, env: Mapping[str, str] | None = None) -> StdioServerParameters:
    """Parameters that launch the console script as `mcp.Client` would (`serve` + args).

    The server gets the same environment as the other helpers' subprocesses (the test process's,
    minus any AI_GLOSSARY_MCP_* setting, plus `env`), not just the SDK's short default list.
    """
    return StdioServerParameters(command=str(EXE), args=["serve", *args], env=server_env(env), cwd=str(ROOT))


def stdio_transport(params: StdioServerParameters, errlog: IO[str]):
    """The SDK stdio transport with the server's stderr sent to `errlog` (a real file)."""
    return stdio_client(params, errlog=errlog)


@dataclass
class RawStdio:
    """A server subprocess driven line by line over its raw stdin/stdout."""

    proc: subprocess.Popen
    stderr_path: Path
    _lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    stdout_lines: list[str] = field(default_factory=list)

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._lines.put(raw.decode("utf-8"))
        self._lines.put(None)

    def start(self) -> RawStdio:
        threading.Thread(target=self._pump, daemon=True).start()
        return self

    def write_line(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(data.rstrip(b"\n") + b"\n")
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.write_line(json.dumps(message))

    def read_line(self, timeout: float = 10.0) -> str | None:
        """The next stdout line, or None at EOF; TimeoutError if none comes in time."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no stdout line within {timeout}s") from None
        if line is not None:
            self.stdout_lines.append(line)
        return line

    def read_message(self, timeout: float = 10.0) -> dict[str, Any]:
        line = self.read_line(timeout)
        if line is None:
            raise EOFError("server closed stdout:\n" + self.stderr_text())
        return json.loads(line)

    def read_until_id(self, id: int | str, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every message up to and including the response with this id."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            msg = self.read_message(max(0.01, deadline - time.monotonic()))
            seen.append(msg)
            if msg.get("id") == id and ("result" in msg or "error" in msg):
                return seen

    def close_stdin(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()

    def drain(self, timeout: float = 10.0) -> list[str]:
        """Close stdin, wait for exit and return the remaining stdout lines."""
        self.close_stdin()
        rest = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.read_line(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if line is None:
                break
            rest.append(line)
        return rest

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def raw_stdio(*args: str, env: Mapping[str, str] | None = None) -> Iterator[RawStdio]:
    """`ai-glossary-mcp serve <args>` with pipes on stdin/stdout and stderr in a temp file."""
    with tempfile.TemporaryDirectory(prefix="glossary-stdio-") as tmp:
        stderr_path = Path(tmp) / "stderr.log"
        with open(stderr_path, "wb") as err:
            proc = subprocess.Popen(
                [str(EXE), "serve", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=server_env(env),
                cwd=ROOT,
            )
        raw = RawStdio(proc=proc, stderr_path=stderr_path).start()
        try:
            yield raw
        finally:
            raw.close_stdin()
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _stop(proc)
            if proc.stdout is not None:
                proc.stdout.close()


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script to completion, capturing text stdout/stderr."""
    stdin = None if input is not None else subprocess.DEVNULL
    return subprocess.run(
        [str(EXE), *args],
        capture_output=True,
        text=True,
        env=server_env(env),
        cwd=ROOT,
        timeout=timeout,
        input=input,
        stdin=stdin,
    )
