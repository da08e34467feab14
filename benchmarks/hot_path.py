"""In-process cost of the stdio benchmark's lookups, and of the same lookups in another checkout, interleaved.

    python benchmarks/hot_path.py [--rounds 200] [--against OTHER/server] [--profile CASE]

The four cases of stdio_floors.py (an exact name, a question, a typo, an absent name) plus `questions`
(every search question of tests/quality, one per call, so per-word caches meet new words as a live
server does), as service calls on the bundled pack: the lookup and the typed answer, no transport.

Each checkout runs in its own worker process (it imports the package from its `server/` directory), and
every round asks each worker for one timed batch of every case in turn, so both meet the same load on a
shared machine; a figure is the median over rounds. With `--against`, the table adds this checkout's
time as a share of the other's (the median of per-round ratios): read that, not the microseconds.
`--profile CASE` prints a cProfile of this checkout's case instead (it inflates call-heavy Python: compare
within a profile, not against the wall times).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES = {  # name -> (service method, argument): the queries of stdio_floors.py
    "exact": ("define", "KV-Cache"),
    "search": ("search", "model forgets the middle of long prompts"),
    "typo": ("define", "speculatve decoding"),
    "absent": ("define", "k-means"),
}
BATCH = 20  # calls timed together per case and round (the median of a round's calls is its figure)


def _questions() -> list[str]:
    import yaml

    found: list[str] = []
    for name in ("queries.yaml", "questions.yaml"):
        items = yaml.safe_load((ROOT / "tests" / "quality" / name).read_text(encoding="utf-8"))
        found += [item["query"] for item in items if item["kind"] in ("search", "off-topic")]
    return found


class _Worker:
    """The lookups of one checkout, in this process (the worker side)."""

    def __init__(self, server_dir: Path):
        sys.path.insert(0, str(server_dir))
        from ai_glossary_mcp.app.factory import open_service

        self.service, _ = open_service([ROOT / "glossary_data" / "ai-ml"])
        self.questions = _questions()
        self.next_question = 0
        for method, arg in CASES.values():  # warm: the embedding model loads on the first search
            getattr(self.service, method)(arg)

    def call(self, case: str) -> None:
        if case == "questions":
            query = self.questions[self.next_question % len(self.questions)]
            self.next_question += 1
            self.service.search(query)
            return
        method, arg = CASES[case]
        getattr(self.service, method)(arg)

    def timed(self, case: str) -> float:
        """The median of BATCH calls, in microseconds."""
        times = []
        for _ in range(BATCH):
            t0 = time.perf_counter()
            self.call(case)
            times.append(time.perf_counter() - t0)
        return 1e6 * statistics.median(times)


def _serve(server_dir: Path) -> None:
    worker = _Worker(server_dir)
    print("ready", flush=True)
    for line in sys.stdin:
        print(json.dumps(worker.timed(line.strip())), flush=True)


class _Client:
    def __init__(self, server_dir: Path):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(server_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def timed(self, case: str) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(case + "\n")
        self.proc.stdin.flush()
        return float(json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def compare(rounds: int, against: Path | None) -> str:
    cases = [*CASES, "questions"]
    ours = _Client(ROOT / "server")
    other = _Client(against) if against is not None else None
    times: dict[str, dict[str, list[float]]] = {c: {"ours": [], "other": [], "ratio": []} for c in cases}
    try:
        for r in range(rounds):
            for case in cases:
                pair = (
                    [("ours", ours), ("other", other)] if r % 2 == 0 else [("other", other), ("ours", ours)]
                )
                got = {name: client.timed(case) for name, client in pair if client is not None}
                times[case]["ours"].append(got["ours"])
                if "other" in got:
                    times[case]["other"].append(got["other"])
                    times[case]["ratio"].append(got["ours"] / got["other"])
    finally:
        ours.close()
        if other is not None:
            other.close()
    lines = ["| case | this checkout p50 | other p50 | this / other |", "|---|---|---|---|"]
    for case in cases:
        t = times[case]
        mine = f"{statistics.median(t['ours']):.0f} us"
        theirs = f"{statistics.median(t['other']):.0f} us" if t["other"] else "-"
        ratio = f"{statistics.median(t['ratio']):.2f}" if t["ratio"] else "-"
        lines.append(f"| {case} | {mine} | {theirs} | {ratio} |")
    return "\n".join(lines)


def profile(case: str, calls: int = 300) -> str:
    worker = _Worker(ROOT / "server")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        worker.call(case)
    prof.disable()
    out: Any = __import__("io").StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
    return str(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--against", type=Path, help="another checkout's server/ directory")
    p.add_argument("--profile", choices=[*CASES, "questions"])
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker is not None:
        _serve(args.worker)
    elif args.profile:
        print(profile(args.profile))
    else:
        print(compare(args.rounds, args.against))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
