"""Fixtures for the stress suite: the results file and one record per check.

Each test asks for `stress_record` (one row of the summary table) and fills in its figures;
the row is appended to the results file (env STRESS_RESULTS, default `.stress-results.jsonl`
in the repo root) when the test ends, with status pass/fail taken from the test's outcome.
A session-scoped autouse fixture truncates the file before the first stress test, and the
session's end is recorded too, so `summary.py` can tell a finished run from an aborted one.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from ._util import Record, results_path

_session: dict[str, Any] = {"started": None}
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/stress is a stress test, even if a marker is forgotten.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.stress)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    item.stash.setdefault(_REPORTS, {})[report.when] = report


def _append(row: dict[str, Any]) -> None:
    path = results_path()
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


@pytest.fixture(scope="session", autouse=True)
def stress_results_file():
    """Start every stress run with an empty results file."""
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("", encoding="utf-8")
    _session["started"] = time.time()
    _append({"type": "session_start", "time": _session["started"], "pid": os.getpid()})
    yield path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _session["started"] is None:  # no stress test ran in this session: leave the file alone
        return
    _append(
        {
            "type": "session_end",
            "time": time.time(),
            "exitstatus": int(exitstatus),
            "duration_s": round(time.time() - _session["started"], 1),
        }
    )


def _failure_note(report: pytest.TestReport | None) -> str:
    if report is None or report.passed:
        return ""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return " ".join(text.split())[:300]


@pytest.fixture
def stress_record(request: pytest.FixtureRequest):
    """The test's row(s) in the summary; `stress_record.sub(name)` adds another row."""
    name = request.node.name.removeprefix("test_")
    module = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    rec = Record(check=f"{module}/{name}")
    started = time.perf_counter()
    yield rec
    reports = request.node.stash.get(_REPORTS, {})
    call = reports.get("call")
    setup = reports.get("setup")
    failed = (call is not None and call.failed) or (setup is not None and setup.failed)
    xfailed = call is not None and call.skipped and hasattr(call, "wasxfail")
    skipped = call is None or call.skipped
    if xfailed:
        rec.add_note("expected failure: " + str(call.wasxfail)[:300])
    note = _failure_note(call if call is not None else setup)
    for r in rec.all():
        row = r.row(default_duration=time.perf_counter() - started)
        if failed:
            row["status"] = "fail"
            row["note"] = (row["note"] + " | " if row["note"] else "") + note
        elif r.status is None:
            row["status"] = "xfail" if xfailed else "skip" if skipped else "pass"
        row["type"] = "check"
        row["nodeid"] = request.node.nodeid
        _append(row)


# -- servers shared by the protocol-abuse and load tests ----------------------------------------
@pytest.fixture(scope="session")
def http_stateful():
    """`serve --transport http` (sessions, SSE responses) on a free loopback port."""
    from helpers import http_server

    with http_server() as srv:
        yield srv


@pytest.fixture(scope="session")
def http_stateless():
    """`serve --transport http --stateless` (JSON responses) on a free loopback port."""
    from helpers import http_server

    with http_server("--stateless") as srv:
        yield srv
