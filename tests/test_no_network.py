"""No network access, as a test that can fail: the server runs with sockets refused and still answers.

SECURITY.md promises that the server never opens a connection. A test that only watches a listening
socket proves nothing about a DNS lookup or an HTTP client, so this one runs the real console script
over stdio with a `sitecustomize` put first on PYTHONPATH. It installs an audit hook (PEP 578) before
any of our code is imported, and that hook

- refuses (raises, and records in a log file) every network event: creating any socket that is not
  AF_UNIX (asyncio's self-pipe is an AF_UNIX socketpair), connect, bind, name lookups, sendto,
  `urllib.Request`, `http.client.connect` and the other standard-library clients;
- records, without refusing, every process start (`subprocess.Popen`, `os.exec`, `os.posix_spawn`, ...).

The hook also reaches the child interpreter that builds a large glossary's store
(`python -m ai_glossary_mcp.data.load_cache`), because that child inherits the environment and puts
our PYTHONPATH after its own; each interpreter that installs the hook records so. The served glossary
is the bundled pack plus a generated one with more than BUILD_IN_CHILD_FILES files, and the cache
directory is fresh, so the child build really happens. Over one `mcp.Client` session the test calls
every tool the server lists, reads every static resource and every resource template, gets every
prompt and asks for completions; every call must succeed and the log must hold no refusal.

The controls prove the hook can fail the test: the same bootstrap refuses a socket, a lookup and an
HTTP request made by a plain interpreter, and refuses the server itself when it is asked to serve HTTP
(it binds a TCP socket, so it exits with the refusal on stderr).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import PromptReference, ResourceTemplateReference

from ai_glossary_mcp.data.load_cache import BUILD_IN_CHILD_FILES
from helpers import EXE, ROOT, free_port, server_env, stdio_params, stdio_transport

REFUSAL = "refused by the no-network audit hook"
SITECUSTOMIZE = f'''
"""Installed by tests/test_no_network.py: refuse network events, record process starts."""
import json, os, socket, sys

_LOG = os.environ["NO_NETWORK_LOG"]
_NETWORK = {{
    "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname",
    "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getnameinfo", "socket.sendto",
    "urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect", "poplib.connect",
    "imaplib.open", "nntplib.connect", "telnetlib.Telnet.open", "webbrowser.open",
}}
_PROCESSES = {{"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork"}}


def _record(kind, event, args):
    shown = list(args) if kind == "installed" else repr(args)[:300]  # an interpreter's argv, whole
    line = json.dumps({{"pid": os.getpid(), "kind": kind, "event": event, "args": shown}})
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode() + b"\\n")
    finally:
        os.close(fd)


def _hook(event, args):
    if event == "socket.__new__":
        if args[1] == socket.AF_UNIX:
            return
    elif event in _PROCESSES:
        _record("process", event, args)
        return
    elif event not in _NETWORK:
        return
    _record("refused", event, args)
    raise PermissionError(f"{{event}} {REFUSAL}")


_record("installed", "argv", sys.orig_argv)
sys.addaudithook(_hook)
'''
PASSAGE = "We fine-tuned with LoRA and DPO, then used the KV cache."
TOOL_ARGUMENTS: dict[str, dict[str, Any]] = {
    "define_term": {"term": "kv cache"},
    "define_terms": {"terms": ["DPO", "RLHF"]},
    "search_terms": {"query": "model forgets the middle of long prompts"},
    "list_terms": {"letter": "Q"},
    "find_related": {"term": "rmsnorm"},
    "explain_formula": {"term": "softmax"},
    "evaluate_formula": {"term": "softmax", "inputs": {"logits": [2.0, 1.0, 0.1]}},
    "compare_terms": {"terms": ["DPO", "RLHF"]},
    "find_terms_in_text": {"text": PASSAGE},
}
PROMPT_ARGUMENTS: dict[str, dict[str, str]] = {
    "explain_term": {"term": "DPO", "audience": "beginner"},
    "compare_terms": {"terms": "DPO, RLHF"},
    "walk_through_formula": {"term": "softmax"},
}


def _bootstrap(tmp: Path) -> dict[str, str]:
    """The environment that loads the hook in every interpreter started with it (and their children)."""
    site = tmp / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        "NO_NETWORK_LOG": str(tmp / "events.jsonl"),
    }


def _events(tmp: Path) -> list[dict[str, Any]]:
    log = tmp / "events.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [json.loads(line) for line in lines]


def _large_pack(tmp: Path) -> Path:
    """A pack with more files than BUILD_IN_CHILD_FILES, so that its store is built by a child."""
    pack = tmp / "generated"
    pack.mkdir()
    (pack / "pack.yaml").write_text(
        'name: generated\ntitle: Generated\nversion: "1"\nsource: test\nlicense: CC0-1.0\n'
        "description: Enough entries for the store to be built in a child interpreter.\n",
        encoding="utf-8",
    )
    for n in range(BUILD_IN_CHILD_FILES + 1):
        (pack / f"generated-{n:05d}.yaml").write_text(
            f"id: generated-{n:05d}\nterm: Generated Entry {n:05d}\n"
            f"definition: A generated entry, number {n}, that exists only to make the pack large.\n",
            encoding="utf-8",
        )
    return pack


async def _drive_everything(env: dict[str, str], pack: Path, errlog) -> dict[str, Any]:
    out: dict[str, Any] = {"tools": {}, "resources": {}, "templates": {}, "prompts": {}, "completions": {}}
    params = stdio_params("--log-level", "info", str(pack), env=env)
    async with Client(stdio_transport(params, errlog), mode="legacy") as client:
        out["listed_tools"] = [tool.name for tool in (await client.list_tools()).tools]
        for name in out["listed_tools"]:
            out["tools"][name] = await client.call_tool(name, TOOL_ARGUMENTS.get(name, {}))
        for resource in (await client.list_resources()).resources:
            if not str(resource.uri).startswith("glossary://terms/"):  # the static ones
                out["resources"][str(resource.uri)] = await client.read_resource(str(resource.uri))
        for template in (await client.list_resource_templates()).resource_templates:
            uri = template.uri_template.replace("{id}", "dpo")
            out["templates"][template.uri_template] = await client.read_resource(uri)
            reference = ResourceTemplateReference(type="ref/resource", uri=template.uri_template)
            out["completions"][template.uri_template] = await client.complete(
                reference, {"name": "id", "value": "kv"}
            )
        for prompt in (await client.list_prompts()).prompts:
            out["prompts"][prompt.name] = await client.get_prompt(prompt.name, PROMPT_ARGUMENTS[prompt.name])
        out["completions"]["explain_term"] = await client.complete(
            PromptReference(type="ref/prompt", name="explain_term"), {"name": "term", "value": "Lo"}
        )
    return out


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="glossary-no-network-") as name:
        tmp = Path(name)
        env = _bootstrap(tmp) | {"XDG_CACHE_HOME": str(tmp / "cache")}
        pack = _large_pack(tmp)
        with open(tmp / "stderr.log", "w", encoding="utf-8") as errlog:
            out = anyio.run(_drive_everything, env, pack, errlog)
        out["stderr"] = (tmp / "stderr.log").read_text(encoding="utf-8")
        out["events"] = _events(tmp)
        out["stores"] = sorted(p.name for p in (tmp / "cache").rglob("glossary-*.sqlite"))
    return out


def test_every_tool_resource_prompt_and_completion_answers_with_the_network_refused(run):
    assert run["listed_tools"], run["stderr"]
    unknown = set(run["listed_tools"]) - TOOL_ARGUMENTS.keys()
    assert not unknown, f"give the new tool(s) {sorted(unknown)} arguments in TOOL_ARGUMENTS"
    for name, result in run["tools"].items():
        assert not result.is_error, (name, result.content)
        assert result.structured_content, name
    assert run["tools"]["define_term"].structured_content["entry"]["id"] == "kv-cache"
    assert set(run["resources"]) == {"glossary://about", "glossary://index", "glossary://categories"}
    assert all(r.contents and r.contents[0].text for r in run["resources"].values())
    assert set(run["templates"]) == {"glossary://terms/{id}", "glossary://terms/{id}.json"}
    assert all("Direct Preference Optimization" in r.contents[0].text for r in run["templates"].values())
    assert set(run["prompts"]) == set(PROMPT_ARGUMENTS)
    assert all(p.messages for p in run["prompts"].values())
    for reference, completion in run["completions"].items():
        assert completion.completion.values, reference
    assert "Traceback" not in run["stderr"]


def test_nothing_was_refused_in_the_server_or_its_child(run):
    refused = [e for e in run["events"] if e["kind"] == "refused"]
    assert refused == [], refused
    assert REFUSAL not in run["stderr"]


def test_the_hook_was_in_the_server_and_in_the_child_that_built_the_store(run):
    installed = [e for e in run["events"] if e["kind"] == "installed"]
    server = [e for e in installed if "serve" in e["args"]]
    child = [e for e in installed if "ai_glossary_mcp.data.load_cache" in e["args"]]
    assert len(server) == 1 and len(child) == 1, installed
    spawned = [e for e in run["events"] if e["kind"] == "process"]
    # The server starts exactly one process, the store builder, and the builder starts none.
    assert [(e["pid"], e["event"]) for e in spawned] == [(server[0]["pid"], "subprocess.Popen")], spawned
    assert "ai_glossary_mcp.data.load_cache" in spawned[0]["args"]
    assert len(run["stores"]) == 1  # the fresh cache now holds the store the child built


# -- controls: the same bootstrap does refuse, so the tests above can fail ---------------------------
ATTEMPTS = {
    "socket": "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
    "connect": "import socket; socket.create_connection(('127.0.0.1', {port}), timeout=1)",
    "lookup": "import socket; socket.getaddrinfo('localhost', 80)",
    "http": "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=1)",
}


@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
def test_control_the_hook_refuses_a_plain_interpreters_network_use(tmp_path, attempt):
    env = server_env(_bootstrap(tmp_path))
    code = ATTEMPTS[attempt].format(port=free_port())
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode != 0 and REFUSAL in done.stderr, (done.returncode, done.stderr)
    assert [e["kind"] for e in _events(tmp_path)] == ["installed", "refused"]


def test_control_the_hook_refuses_the_server_itself_when_it_would_listen(tmp_path):
    env = server_env(_bootstrap(tmp_path) | {"XDG_CACHE_HOME": str(tmp_path / "cache")})
    done = subprocess.run(
        [str(EXE), "serve", "--transport", "http", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode != 0 and REFUSAL in done.stderr, (done.returncode, done.stderr[-2000:])
    refused = [e for e in _events(tmp_path) if e["kind"] == "refused"]
    assert refused and refused[0]["event"] in ("socket.__new__", "socket.bind", "socket.getaddrinfo")
