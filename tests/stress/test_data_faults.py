"""Faults in glossary data, live (`serve --watch`) and direct (`load_glossary`).

A copy of the bundled pack is served with `--watch --no-bundled --data COPY` over stdio. First a
valid edit proves that reloading works (define_term("DPO") answers the new definition). Then each
fault is applied to the copy: a file truncated mid-write, replaced by binary data, replaced by a
directory or by a dangling symlink (the tests run as root, so chmod cannot make a file unreadable),
a billion-laughs YAML bomb, a 10,000-deep nesting, an oversize file and a vanished pack directory.
For each, the server must log the problems with file:line on stderr within a bounded time and
memory, and keep answering with the last good definition; a fixed version is then written and must
be picked up, so every fault is followed by a successful reload.

The same faults go through `load_glossary` directly: PackValidationError, quickly, with the faulty
file named, and with little memory for the bombs.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ai_glossary_mcp.data.loader import bundled_pack_dir, load_glossary
from ai_glossary_mcp.errors import PackValidationError
from helpers import initialize_request, raw_stdio

from ._util import rss_kb, tool_call, wait_for

pytestmark = pytest.mark.stress

FAULT_BOUND = 60.0  # seconds from writing a fault to the rejection in the log (a busy machine)
RELOAD_BOUND = 60.0  # seconds from writing a fixed file to the new definition being served
DIRECT_BOUND = 30.0  # seconds for load_glossary to reject a faulty pack
BOMB_RSS_MB = 64  # growth of the live server's RSS allowed while it rejects a bomb
BOMB_PEAK_MB = 64  # tracemalloc peak allowed for a direct load of a bomb


# -- the faults -------------------------------------------------------------------------------------
def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\nid: dpo\n"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.45)])  # cut in the middle of a line


def _binary(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inner.yaml").write_text("id: inner\n")


def _dangling(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.with_name("no-such-target.yaml"))


def _bomb(path: Path) -> None:
    path.write_text(_billion_laughs())


def _deep(path: Path) -> None:
    path.write_text("[" * 10_000 + "]" * 10_000 + "\n")


def _deep_mapping(path: Path) -> None:
    path.write_text("{a: " * 10_000 + "1" + "}" * 10_000 + "\n")


def _block_deep(path: Path) -> None:
    path.write_text("- " * 10_000 + "x\n")  # a block sequence nested 10,000 deep on one line


def _block_mapping(path: Path) -> None:
    path.write_text("".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "leaf\n")


def _oversize(path: Path) -> None:
    text = path.read_text()
    path.write_text(text + "# padding\n" * 30_000)  # ~300 KB, over the 256 KiB cap


def _vanish(path: Path) -> None:
    path.parent.rename(path.parent.with_name(path.parent.name + "-gone"))


FAULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    # name: (apply to <pack>/dpo.yaml, regex the problem report must match)
    "truncated-mid-write": (_truncate, r"dpo\.yaml:\d+: "),
    "binary": (_binary, r"dpo\.yaml:1: file is not UTF-8"),
    "directory-named-like-the-file": (_directory, r"dpo\.yaml: cannot read file"),
    "dangling-symlink": (_dangling, r"dpo\.yaml: cannot read file"),
    "billion-laughs": (_bomb, r"dpo\.yaml:\d+: YAML anchors and aliases are not allowed"),
    # PyYAML's scanner caps flow nesting itself; block nesting reaches the composer (recursion) instead.
    "flow-nesting-10000-deep": (
        _deep,
        r"dpo\.yaml:\d+: (nesting deeper than|YAML syntax error: .*nesting depth)",
    ),
    "flow-mapping-10000-deep": (
        _deep_mapping,
        r"dpo\.yaml:\d+: (nesting deeper than|YAML syntax error: .*nesting)",
    ),
    "block-sequence-10000-deep": (
        _block_deep,
        r"dpo\.yaml:\d+: (nesting deeper than|YAML syntax error: .*nesting depth)",
    ),
    "block-mapping-60-deep": (_block_mapping, r"dpo\.yaml:\d+: nesting deeper than"),
    "oversize-file": (_oversize, r"dpo\.yaml:1: file is larger than"),
    "pack-directory-vanished": (_vanish, r"pack directory does not exist|missing pack file"),
}
BOMBS = {
    "billion-laughs",
    "flow-nesting-10000-deep",
    "flow-mapping-10000-deep",
    "block-sequence-10000-deep",
    "block-mapping-60-deep",
}


def _restore(pack: Path, good: str) -> None:
    gone = pack.with_name(pack.name + "-gone")
    if gone.exists():
        gone.rename(pack)
    path = pack / "dpo.yaml"
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    path.write_text(good, encoding="utf-8")


def _version(original: dict[str, Any], n: int) -> tuple[str, str]:
    data = dict(original)
    data["definition"] = original["definition"] + f" (stress revision {n})"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), data["definition"]


# -- live: --watch ------------------------------------------------------------------------------------
class WatchedServer:
    def __init__(self, raw: Any):
        self.raw = raw
        self.ids = 100

    def definition(self) -> str:
        self.ids += 1
        self.raw.send(tool_call(self.ids, "define_term", {"term": "DPO", "detail": "brief"}))
        msgs = self.raw.read_until_id(self.ids, timeout=30)
        result = msgs[-1]["result"]
        assert not result.get("isError"), result
        return result["structuredContent"]["entry"]["definition"]

    def stderr(self) -> str:
        return self.raw.stderr_text()


def test_watch_survives_faults(tmp_path: Path, stress_record: Any) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(bundled_pack_dir(), pack)
    original = yaml.safe_load((pack / "dpo.yaml").read_text(encoding="utf-8"))
    env = {"AI_GLOSSARY_MCP_WATCH_INTERVAL": "200"}
    rows: list[dict[str, Any]] = []
    with raw_stdio("--watch", "--no-bundled", "--data", str(pack), env=env) as raw:
        raw.send(initialize_request(version="2025-06-18"))
        assert "result" in raw.read_message(60)
        raw.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        srv = WatchedServer(raw)
        pid = raw.proc.pid
        assert srv.definition() == original["definition"]

        revision = 1
        good, current = _version(original, revision)
        (pack / "dpo.yaml").write_text(good, encoding="utf-8")
        t0 = time.monotonic()
        wait_for(lambda: srv.definition() == current, RELOAD_BOUND, 0.3, "the first valid reload")
        rows.append({"fault": "(valid edit)", "reload_s": round(time.monotonic() - t0, 2)})

        for name, (apply, pattern) in FAULTS.items():
            log_before = srv.stderr()
            rejections_before = log_before.count("reload rejected")
            rss_before = rss_kb(pid)
            t0 = time.monotonic()
            apply(pack / "dpo.yaml")
            try:
                wait_for(
                    lambda before=rejections_before: srv.stderr().count("reload rejected") > before,
                    FAULT_BOUND,
                    0.1,
                    f"the rejection of fault {name!r}",
                )
            except TimeoutError:
                raise AssertionError(
                    f"{name}: no rejection logged within {FAULT_BOUND}s; stderr tail:\n"
                    + srv.stderr()[-2000:]
                ) from None
            detected = time.monotonic() - t0
            time.sleep(0.3)  # the rest of the (multi-line) log record
            report = srv.stderr()[len(log_before) :]
            rss_after = rss_kb(pid)
            served = srv.definition()
            row = {
                "fault": name,
                "detected_s": round(detected, 2),
                "rss_delta_mb": (rss_after - rss_before) // 1024,
                "report_lines": report.count("\n"),
                "first_problem": next(
                    (
                        ln.strip()
                        for ln in report.splitlines()
                        if "/dpo.yaml" in ln.split(": ")[0] or ln.startswith(str(pack) + ":")
                    ),
                    "",
                )[:200],
            }
            rows.append(row)
            assert re.search(pattern, report), f"{name}: report does not match {pattern!r}:\n{report[:2000]}"
            where = str(pack) if name == "pack-directory-vanished" else r"\S+\.yaml(:\d+)?"
            assert re.search(where + ": ", report), f"{name}: the report does not locate the problem"
            assert "Traceback" not in report, f"{name}: traceback in the log:\n{report[:3000]}"
            assert served == current, f"{name}: the last good definition is no longer served"
            if name in BOMBS:
                assert rss_after - rss_before < BOMB_RSS_MB * 1024, (
                    f"{name}: RSS grew {row['rss_delta_mb']} MB"
                )
            # Fix it with a new revision: the server must pick that up.
            revision += 1
            good, current = _version(original, revision)
            t0 = time.monotonic()
            _restore(pack, good)
            wait_for(
                lambda want=current: srv.definition() == want, RELOAD_BOUND, 0.3, f"the reload after {name!r}"
            )
            row["recovered_s"] = round(time.monotonic() - t0, 2)
        assert raw.proc.poll() is None
        final = srv.stderr()
    stress_record.inputs = len(FAULTS)
    stress_record.requests = srv.ids - 100
    stress_record.latencies = [r["detected_s"] for r in rows if "detected_s" in r]
    stress_record.details["faults"] = rows
    stress_record.add_note(
        f"{len(FAULTS)} faults rejected and recovered; {final.count('reloaded glossary')} successful reloads"
    )
    assert final.count("reloaded glossary") >= len(FAULTS) + 1


# -- direct: load_glossary ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(FAULTS))
def test_load_glossary_rejects_fault(name: str, tmp_path: Path, stress_record: Any) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(bundled_pack_dir(), pack)
    apply, pattern = FAULTS[name]
    apply(pack / "dpo.yaml")
    target = pack  # for "pack-directory-vanished" this path no longer exists
    outcome: dict[str, Any] = {}
    bomb = name in BOMBS

    def load() -> None:
        try:
            load_glossary([target])
            outcome["result"] = "loaded"
        except BaseException as exc:
            outcome["result"] = exc

    if bomb:
        tracemalloc.start()
    t0 = time.monotonic()
    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(DIRECT_BOUND)
    took = time.monotonic() - t0
    peak = tracemalloc.get_traced_memory()[1] if bomb else None
    if bomb:
        tracemalloc.stop()
    stress_record.inputs = 1
    stress_record.requests = 1
    stress_record.latencies = [took]
    if peak is not None:
        stress_record.details["tracemalloc_peak_mb"] = round(peak / 2**20, 2)
        stress_record.add_note(f"peak {peak / 2**20:.1f} MB")
    assert not worker.is_alive(), f"load_glossary still running after {DIRECT_BOUND}s on {name}"
    exc = outcome["result"]
    assert isinstance(exc, PackValidationError), f"{name}: got {exc!r}"
    report = str(exc)
    own = [p for p in exc.problems if p.path.endswith("dpo.yaml") or p.path == str(pack)] or exc.problems
    stress_record.add_note(
        f"{len(exc.problems)} problem(s); {Path(own[0].path).name}:{own[0].line}: {own[0].message}"[:200]
    )
    assert re.search(pattern, report), f"{name}: {pattern!r} not in:\n{report[:2000]}"
    if bomb:
        assert peak < BOMB_PEAK_MB * 2**20, f"{name}: peak {peak / 2**20:.0f} MB"
    json.dumps(stress_record.details)  # the row must serialise
