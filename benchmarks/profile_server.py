"""Where does ai-glossary-mcp spend its time on a big pack? cProfile, in-process.

    python benchmarks/profile_server.py [--size 100000] [--pack DIR] [--store FILE] [--top 20] [--out DIR]

Profiles, separately: load_glossary, GlossaryService construction (the
index), and a few calls of each service method the tools use (define with
exact/alias/typo/absent queries, search, related, find_in_text). For each
phase it prints the wall time without the profiler, then the top functions by
own time and by cumulative time (cProfile inflates call-heavy pure-Python code,
so compare within a phase, not against the wall time). Raw .prof files go to
--out (default benchmarks/.cache/profiles) for snakeviz/pstats. `--store` profiles only the calls,
over a store already built (e.g. the one benchmarks/run.py or stdio_floors.py left in
benchmarks/.cache/stores): at 100,000 entries building one embeds every entry (~90 s).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))
sys.path.insert(0, str(HERE))


def top(prof: cProfile.Profile, n: int, title: str) -> str:
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out)
    out.write(f"\n--- {title}: top {n} by own time (tottime) ---\n")
    st.sort_stats("tottime").print_stats(n)
    out.write(f"\n--- {title}: top {n} by cumulative time ---\n")
    st.sort_stats("cumulative").print_stats(n)
    text = out.getvalue()
    # drop pstats' preamble lines about ordering/files
    return "\n".join(
        line for line in text.splitlines() if line.strip() and not line.startswith("   Ordered by")
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=100000)
    p.add_argument("--pack", type=Path, help="profile this pack instead of a cached synthetic one")
    p.add_argument("--store", type=Path, help="profile the calls over this built store (no load, no index)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--calls", type=int, default=20, help="calls per query while profiling")
    p.add_argument("--out", type=Path, default=HERE / ".cache" / "profiles")
    p.add_argument(
        "--skip-load-profile",
        action="store_true",
        help="time load/index without the profiler only (profiling a 100k load doubles its time)",
    )
    args = p.parse_args(argv)

    import run  # the benchmark's pack cache and query picking

    from ai_glossary_mcp.app.service import GlossaryService
    from ai_glossary_mcp.data.loader import load_glossary
    from ai_glossary_mcp.data.store import open_store

    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.store:
        service = GlossaryService(open_store(args.store))
        glossary, tag = service.glossary, args.store.stem
        print(f"opened {args.store} in {time.perf_counter() - t0:.2f}s")
    elif args.skip_load_profile:
        pack = args.pack or run.ensure_pack(args.size, args.seed)
        tag = pack.name
        glossary = load_glossary([pack])
        t1 = time.perf_counter()
        service = GlossaryService(glossary)
        t2 = time.perf_counter()
        print(f"load_glossary: {t1 - t0:.2f}s wall; GlossaryService: {t2 - t1:.2f}s wall (no profiler)")
    else:
        pack = args.pack or run.ensure_pack(args.size, args.seed)
        tag = pack.name
        prof = cProfile.Profile()
        prof.enable()
        glossary = load_glossary([pack])
        prof.disable()
        t1 = time.perf_counter()
        prof.dump_stats(args.out / f"{tag}-load.prof")
        print(f"load_glossary: {t1 - t0:.2f}s under cProfile, {len(glossary)} entries")
        print(top(prof, args.top, "load_glossary"))
        prof = cProfile.Profile()
        prof.enable()
        service = GlossaryService(glossary)
        prof.disable()
        t2 = time.perf_counter()
        prof.dump_stats(args.out / f"{tag}-index.prof")
        print(f"\nGlossaryService(glossary): {t2 - t1:.2f}s under cProfile")
        print(top(prof, args.top, "GlossaryService"))

    entries = list(glossary.entries)
    n = len(entries)
    # The same queries run.py picks (cheap re-derivation without a subprocess).
    q = run_queries(service, entries)
    print(f"\nqueries: {q['picked']}")
    calls = [
        ("define exact", lambda: service.define(q["exact"], "full")),
        ("define alias", lambda: service.define(q["alias"], "full")),
        ("define typo", lambda: service.define(q["typo"], "full")),
        ("define absent", lambda: service.define(q["absent"], "full")),
        ("search", lambda: service.search(q["search"], 5, "")),
        ("related", lambda: service.related(q["related"])),
        ("find_in_text", lambda: service.find_in_text(q["text"])),
    ]
    summary = []
    for name, fn in calls:
        fn()  # warm caches (lru_cache of name_key/stem)
        k = args.calls
        t = time.perf_counter()
        for _ in range(k):
            fn()
        wall = (time.perf_counter() - t) / k
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(k):
            fn()
        prof.disable()
        prof.dump_stats(args.out / f"{tag}-{name.replace(' ', '_')}.prof")
        summary.append((name, wall))
        print(f"\n===== {name}: {1000 * wall:.2f} ms per call wall (mean of {k}, no profiler) =====")
        print(top(prof, args.top // 2, name))
    print(f"\n{n} entries; per-call wall times (in-process, no MCP):")
    for name, wall in summary:
        print(f"  {name:<14} {1000 * wall:9.2f} ms")
    return 0


def run_queries(service, entries) -> dict:
    import run

    q = run.pick_synthetic_queries(service, entries)
    q["picked"] = {k: v for k, v in q.items() if k != "text"}
    return q


if __name__ == "__main__":
    raise SystemExit(main())
