"""Time `ai-glossary-mcp export` and `import` of an N-entry CSV (default 10,000), as a user runs them.

    python benchmarks/interchange.py [N] [--seed S]

A synthetic pack of N entries (benchmarks/make_pack.py: aliases, acronyms, categories, typed
relations) is exported to CSV, and the CSV imported back into a new pack (which the importer
validates with the loader before renaming it into place). Each command is a real subprocess of the
console script, so the figures include interpreter start-up; they are wall-clock seconds of one
run each, printed with the entry counts so a lost entry would show.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_pack import write_pack  # noqa: E402

EXE = Path(sys.executable).with_name("ai-glossary-mcp")


def timed(*args: str) -> tuple[str, str]:
    """Wall-clock and CPU (user + system) seconds of one run: on a shared machine the wall clock also
    counts time spent waiting for a core, so both are printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(EXE), *args], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return f"{wall:.2f} s wall, {cpu:.2f} s CPU", done.stdout + done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pack, csv_file, back = Path(tmp) / "synthetic", Path(tmp) / "synthetic.csv", Path(tmp) / "back"
        write_pack(args.n, pack, args.seed)
        export_s, _ = timed("export", str(pack), "--format", "csv", "--to", str(csv_file))
        rows = sum(1 for _ in csv_file.open(encoding="utf-8")) - 1
        import_s, out = timed("import", str(csv_file), "--to", str(back), "--name", "synthetic")
        written = len(list(back.glob("*.yaml"))) - 1
        size = csv_file.stat().st_size / 2**20
    print(f"export: {args.n} entries -> {rows} CSV rows ({size:.1f} MiB) in {export_s}")
    print(f"import: {rows} CSV rows -> {written} entry files (validated) in {import_s}")
    print(f"import summary: {out.splitlines()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
