"""Print the stress suite's summary table from the results file; exit 1 if any check failed.

Usage: python tests/stress/summary.py [RESULTS_FILE]
The file defaults to $STRESS_RESULTS or `.stress-results.jsonl` in the repo root. It exits 1 when
the file is missing or empty, when any recorded check failed, or when the pytest session that
wrote it did not finish cleanly (no session_end row, or a non-zero pytest exit status).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ("check", "inputs/requests", "errors", "p95 ms", "mem growth %", "req/s", "time s", "status")


def _fmt(value: object, digits: int = 1) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def load(path: Path) -> tuple[list[dict], list[dict], list[str]]:
    checks, sessions, bad = [], [], []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            bad.append(f"line {n}: not JSON")
            continue
        (checks if row.get("type", "check") == "check" else sessions).append(row)
    return checks, sessions, bad


def table(checks: list[dict]) -> str:
    rows = []
    for c in checks:
        amount = c.get("inputs") if c.get("inputs") is not None else c.get("requests")
        if c.get("inputs") is not None and c.get("requests") is not None and c["inputs"] != c["requests"]:
            amount_s = f"{c['inputs']:,}/{c['requests']:,}"
        else:
            amount_s = _fmt(amount)
        rows.append(
            (
                c.get("check", "?"),
                amount_s,
                _fmt(c.get("errors")),
                _fmt(c.get("p95_ms"), 2),
                _fmt(c.get("mem_growth_pct"), 2),
                _fmt(c.get("rps")),
                _fmt(c.get("duration_s")),
                str(c.get("status", "?")).upper(),
            )
        )
    widths = [
        max(len(COLUMNS[i]), *(len(r[i]) for r in rows)) if rows else len(COLUMNS[i])
        for i in range(len(COLUMNS))
    ]
    right = {1, 2, 3, 4, 5, 6}

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(COLUMNS), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    path = (
        Path(argv[1])
        if len(argv) > 1
        else Path(os.environ.get("STRESS_RESULTS") or ROOT / ".stress-results.jsonl")
    )
    if not path.is_file():
        print(
            f"stress summary: results file {path} is missing (run `pytest -m stress` first)", file=sys.stderr
        )
        return 1
    checks, sessions, bad = load(path)
    if not checks:
        print(f"stress summary: no checks recorded in {path}", file=sys.stderr)
        return 1
    print(table(checks))
    failed = [c for c in checks if c.get("status") == "fail"]
    problems = (
        [f"{len(failed)} check(s) FAILED: " + ", ".join(c.get("check", "?") for c in failed)]
        if failed
        else []
    )
    end = next((s for s in reversed(sessions) if s.get("type") == "session_end"), None)
    if end is None:
        problems.append("the pytest session did not finish (no session_end row)")
    elif end.get("exitstatus") not in (0, None):
        problems.append(f"pytest exited with status {end['exitstatus']}")
    problems += [f"unreadable row ({b})" for b in bad]
    total = sum(1 for c in checks if c.get("status") == "pass")
    skipped = sum(1 for c in checks if c.get("status") == "skip")
    xfailed = sum(1 for c in checks if c.get("status") == "xfail")
    runtime = f"{end['duration_s']:.1f}s" if end and end.get("duration_s") is not None else "?"
    print(
        f"\n{total} passed, {len(failed)} failed, {xfailed} expected failures (xfail), {skipped} skipped; "
        f"pytest session {runtime}"
    )
    notes = [c for c in checks if c.get("note")]
    if notes:
        print("notes:")
        for c in notes:
            print(f"  {c['check']}: {c['note'][:400]}")
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
