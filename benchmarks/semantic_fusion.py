"""Measure the offline semantic signal (search/semantic.py) against today's search, and how to fuse them.

    .venv/bin/python benchmarks/semantic_fusion.py [--synthetic N] [--json OUT]

On the 84 plain-words questions of tests/quality/queries.yaml (kind search) it prints recall@1/@3/@5 and
MRR (first acceptable id within the top 10, as tests/quality/evaluate.py counts it) for:
  - today's search (`GlossaryService.search`, BM25F; its scores are scaled to the top hit);
  - semantic alone, for each candidate entry text (ENTRY_TEXTS below; semantic.entry_text is the choice);
  - reciprocal-rank fusion, score = w_bm25 / (k + rank_bm25) + w_sem / (k + rank_sem), with k in
    {5, 10, 60} and weights 1:1 and 2:1 (an entry missing from one list gets no term from it);
  - linear fusion, score = a * bm25_scaled + (1 - a) * cosine, for a few a.
Then: the top cosine of every on-topic question against that of off-topic questions (can one fixed
threshold tell them apart?), model load and embedding times, and for N synthetic entries
(benchmarks/make_pack.py's generator, in memory) the time to embed them, the matrix's memory and the
matrix-product top-k time in float32 and float16. A script, not a test: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT), str(HERE)]

import numpy as np  # noqa: E402
from tests.quality.evaluate import SEARCH_KIND, SEARCH_LIMIT, default_service, load_queries  # noqa: E402

from ai_glossary_mcp.search import semantic  # noqa: E402
from ai_glossary_mcp.search.normalize import search_tokens  # noqa: E402

OFF_TOPIC = [
    "how long should I knead bread dough by hand",
    "what temperature do I roast a chicken at",
    "best way to get from the airport to the city centre in Lisbon",
    "do I need a visa to visit Japan for two weeks",
    "can I deduct my home office on my tax return",
    "when is the deadline to file income tax this year",
    "how often should I water tomato plants in summer",
    "how do I remove a red wine stain from a carpet",
    "what are the rules of cricket for beginners",
    "how do I train for my first marathon",
    "which model train set is best for a six year old",
    "how do I change a flat tyre on my bicycle",
    "what is a good stretching routine for lower back pain",
    "how much should I tip at a restaurant in the US",
    "recommend a novel set in nineteenth-century Russia",
    "how do I tune a guitar to drop D",
    "what causes the northern lights",
    "how do I get my toddler to sleep through the night",
    "cheapest way to heat a house in winter",
    "how do I write a cover letter for a nursing job",
    "what is the capital of Australia",
    "how do I fold a fitted sheet",
]
RRF_KS = (5, 10, 60)
RRF_WEIGHTS = ((1.0, 1.0), (2.0, 1.0))
LINEAR_ALPHAS = (0.3, 0.5, 0.6, 0.7, 0.8)
CHOSEN_TEXT = "term+acronym+definition"  # semantic.entry_text; the grid below shows why
BM25_DEPTH = 50  # GlossaryService.search's largest limit


def _names(entry) -> list[str]:
    return [entry.term, *([entry.acronym] if entry.acronym else []), *(entry.aliases or ())]


# The candidate texts to embed for an entry; the server embeds only the chosen one (semantic.entry_text).
ENTRY_TEXTS = {
    "names+definition": lambda e: ". ".join([", ".join(_names(e)), e.definition]),
    CHOSEN_TEXT: semantic.entry_text,
    "term+definition": lambda e: ". ".join([e.term, e.definition]),
    "names-only": lambda e: ", ".join(_names(e)),
    "definition-only": lambda e: str(e.definition),
    "names x2+definition": lambda e: ". ".join([", ".join(_names(e))] * 2 + [e.definition]),
}


def cosine_ranking(ids, matrix, query_vector, limit: int) -> list[tuple[str, float]]:
    """The `limit` ids whose rows are closest to the query's vector, best first (ties by row)."""
    scores = matrix @ query_vector
    order = np.lexsort((np.arange(len(ids)), -scores))[:limit]
    return [(ids[i], float(scores[i])) for i in order]


def metrics(ranked_lists: list[list[str]], expected: list[tuple[str, ...]]) -> dict[str, float]:
    ranks = []
    for ids, ok in zip(ranked_lists, expected, strict=True):
        top = ids[:SEARCH_LIMIT]
        ranks.append(next((i + 1 for i, e in enumerate(top) if e in ok), 0))
    n = len(ranks)
    return {
        "r@1": sum(r == 1 for r in ranks) / n,
        "r@3": sum(1 <= r <= 3 for r in ranks) / n,
        "r@5": sum(1 <= r <= 5 for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }


def rrf(
    bm25: list[tuple[str, float]], sem: list[tuple[str, float]], k: int, wb: float, ws: float
) -> list[str]:
    score: dict[str, float] = {}
    for weight, ranking in ((wb, bm25), (ws, sem)):
        for rank, (entry_id, _) in enumerate(ranking, 1):
            score[entry_id] = score.get(entry_id, 0.0) + weight / (k + rank)
    return sorted(score, key=lambda e: (-score[e], e))


def linear(bm25: list[tuple[str, float]], sem: list[tuple[str, float]], alpha: float) -> list[str]:
    top = bm25[0][1] if bm25 else 1.0
    lexical = {e: s / top for e, s in bm25}
    score = {e: alpha * lexical.get(e, 0.0) + (1 - alpha) * cos for e, cos in sem}
    return sorted(score, key=lambda e: (-score[e], e))


def top_cosine(ranking: list[tuple[str, float]]) -> float:
    return ranking[0][1]


def top_z(ranking: list[tuple[str, float]]) -> float:
    """How far the top cosine stands above this query's cosines to all entries (static vectors share a
    query-dependent baseline)."""
    scores = np.array([s for _, s in ranking])
    return float((scores[0] - scores.mean()) / max(scores.std(), 1e-9))


def separation(on_topic: list[float], off_topic: list[float]) -> dict:
    lo, hi = min(on_topic + off_topic), max(on_topic + off_topic)
    errors, threshold = min(
        (sum(x < t for x in on_topic) + sum(x >= t for x in off_topic), float(t))
        for t in np.linspace(lo, hi, 200)
    )
    return {
        "on_topic_min": min(on_topic),
        "on_topic_p05": float(np.percentile(on_topic, 5)),
        "on_topic_median": statistics.median(on_topic),
        "off_topic_max": max(off_topic),
        "off_topic_median": statistics.median(off_topic),
        "separated": min(on_topic) > max(off_topic),
        "best_threshold": round(threshold, 3),
        "errors_at_best": int(errors),
    }


def raw_bm25_top(service, text: str) -> float:
    """The best entry's BM25F sum before search scales it to 1.0 (read from the index's postings)."""
    scores: dict[int, float] = {}
    for token in dict.fromkeys(search_tokens(text)):
        posting = service.index.posting(token)
        if posting is not None:
            for doc, impact in zip(*posting, strict=True):
                scores[doc] = scores.get(doc, 0.0) + impact
    return max(scores.values(), default=0.0)


def either_rule(cos_on, lex_on, cos_off, lex_off) -> tuple[int, float, float]:
    """The (errors, a, b) of the best rule 'on-topic when cosine >= a or raw BM25F >= b'."""
    best = (len(cos_on) + len(cos_off), 0.0, 0.0)
    for a in sorted(set(cos_on)):
        for b in sorted(set(lex_on)) + [float("inf")]:
            errors = sum(not (c >= a or x >= b) for c, x in zip(cos_on, lex_on, strict=True)) + sum(
                c >= a or x >= b for c, x in zip(cos_off, lex_off, strict=True)
            )
            best = min(best, (errors, float(a), float(b)))
    return best


def truncated(entries, queries, bm25, expected, model) -> dict[int, tuple[dict, dict]]:
    """Quality with only the first d dimensions (mean pooling commutes with dropping columns)."""
    full_entries = model.embed_texts([semantic.entry_text(e) for e in entries])
    full_queries = model.embed_texts([q.query for q in queries])
    out = {}
    for d in (256, 128, 64):
        m = full_entries[:, :d] / np.linalg.norm(full_entries[:, :d], axis=1, keepdims=True)
        qs = full_queries[:, :d] / np.linalg.norm(full_queries[:, :d], axis=1, keepdims=True)
        sem = []
        for q in qs:
            scores = m @ q
            sem.append([(entries[int(i)].id, float(scores[i])) for i in np.argsort(-scores, kind="stable")])
        alone = metrics([[e for e, _ in s] for s in sem], expected)
        fused = metrics([rrf(b, s, 10, 2.0, 1.0) for b, s in zip(bm25, sem, strict=True)], expected)
        out[d] = (alone, fused)
    return out


def median_us(fn, items) -> float:
    times = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    out = ["| method | r@1 | r@3 | r@5 | MRR |", "|---|---|---|---|---|"]
    out += [
        f"| {name} | {m['r@1']:.3f} | {m['r@3']:.3f} | {m['r@5']:.3f} | {m['mrr']:.3f} |" for name, m in rows
    ]
    return "\n".join(out)


def quality(report: dict) -> None:
    service = default_service()
    entries = service.glossary.entries
    queries = [q for q in load_queries() if q.kind == SEARCH_KIND]
    expected = [q.expect for q in queries]
    bm25 = [[(h.id, h.score) for h in service.search(q.query, limit=BM25_DEPTH).results] for q in queries]

    model = semantic.SemanticModel()
    rss0 = rss_mb()
    t = time.perf_counter()
    model.inference()
    report["load_s"] = time.perf_counter() - t
    report["model_rss_mb"] = rss_mb() - rss0
    report["query_embed_us"] = median_us(model.embed_query, [q.query for q in queries])
    report["entry_embed_us"] = median_us(lambda e: model.embed_texts([semantic.entry_text(e)]), entries)
    ids = [e.id for e in entries]
    t = time.perf_counter()
    chosen_matrix = model.embed_texts([semantic.entry_text(e) for e in entries])
    report["embed_all_entries_ms"] = (time.perf_counter() - t) * 1e3

    today = metrics([[e for e, _ in b] for b in bm25], expected)
    per_text: dict[str, list[list[tuple[str, float]]]] = {}
    for name, text in ENTRY_TEXTS.items():
        matrix = chosen_matrix if name == CHOSEN_TEXT else model.embed_texts([text(e) for e in entries])
        per_text[name] = [cosine_ranking(ids, matrix, model.embed_query(q.query), len(ids)) for q in queries]
    methods: dict[str, object] = {"semantic alone": None}
    for k in RRF_KS:
        for wb, ws in RRF_WEIGHTS:
            methods[f"RRF k={k}, BM25:sem {wb:g}:{ws:g}"] = lambda b, s, k=k, wb=wb, ws=ws: rrf(
                b, s, k, wb, ws
            )
    for alpha in LINEAR_ALPHAS:
        methods[f"linear {alpha:g}·bm25/top + {1 - alpha:g}·cos"] = lambda b, s, a=alpha: linear(b, s, a)
    grid: dict[str, dict[str, dict[str, float]]] = {}
    for method, fuse in methods.items():
        grid[method] = {}
        for name, sem in per_text.items():
            fused = [
                [e for e, _ in s] if fuse is None else fuse(b, s) for b, s in zip(bm25, sem, strict=True)
            ]
            grid[method][name] = metrics(fused, expected)
    report["quality"] = {"today": today, "grid": grid}
    report["quality"]["dimensions"] = truncated(entries, queries, bm25, expected, model)
    print(f"{len(queries)} plain-words questions, {len(entries)} entries; cells are r@1 / r@5 / MRR\n")
    print(
        f"today's search (BM25F): r@1 {today['r@1']:.3f}, r@3 {today['r@3']:.3f}, r@5 {today['r@5']:.3f}, "
        f"MRR {today['mrr']:.3f}\n"
    )
    print("| method | " + " | ".join(per_text) + " |")
    print("|---" * (len(per_text) + 1) + "|")
    for method, cells in grid.items():
        print(
            f"| {method} | "
            + " | ".join(f"{m['r@1']:.3f} / {m['r@5']:.3f} / {m['mrr']:.3f}" for m in cells.values())
            + " |"
        )
    chosen = per_text[CHOSEN_TEXT]
    print(f"\n{CHOSEN_TEXT}, first d of the 256 dimensions (wordllama supports truncating its vectors):")
    print("| d | semantic alone | RRF k=10, 2:1 |\n|---|---|---|")
    for d, (alone, fused) in report["quality"]["dimensions"].items():
        print(
            f"| {d} | "
            + " | ".join(f"{m['r@1']:.3f} / {m['r@5']:.3f} / {m['mrr']:.3f}" for m in (alone, fused))
            + " |"
        )

    off_rankings = [cosine_ranking(ids, chosen_matrix, model.embed_query(q), len(ids)) for q in OFF_TOPIC]
    report["separation"] = {}
    for statistic, of in (("top cosine", top_cosine), ("top cosine z-score", top_z)):
        on_topic = [of(r) for r in chosen]
        off_topic = [of(r) for r in off_rankings]
        sep = separation(on_topic, off_topic)
        cut = sep["best_threshold"]
        sep["on_topic_below"] = [q.query for q, x in zip(queries, on_topic, strict=True) if x < cut]
        sep["off_topic_at_or_above"] = [q for q, x in zip(OFF_TOPIC, off_topic, strict=True) if x >= cut]
        report["separation"][statistic] = sep
        print(f"\n{statistic} ({CHOSEN_TEXT}): on-topic " + ", ".join(f"{x:.2f}" for x in sorted(on_topic)))
        print(f"{statistic}: off-topic " + ", ".join(f"{x:.2f}" for x in sorted(off_topic)))
        print(json.dumps(sep, indent=1))
    lexical_on = [raw_bm25_top(service, q.query) for q in queries]
    lexical_off = [raw_bm25_top(service, q) for q in OFF_TOPIC]
    cos_on = [top_cosine(r) for r in chosen]
    cos_off = [top_cosine(r) for r in off_rankings]
    report["separation"]["raw BM25F top"] = separation(lexical_on, lexical_off)
    errors, a, b = either_rule(cos_on, lexical_on, cos_off, lexical_off)
    report["separation"]["cosine >= a or raw BM25F >= b"] = {"errors": errors, "a": a, "b": b}
    print("\nraw BM25F top: on-topic " + ", ".join(f"{x:.1f}" for x in sorted(lexical_on)))
    print("raw BM25F top: off-topic " + ", ".join(f"{x:.1f}" for x in sorted(lexical_off)))
    print(json.dumps(report["separation"]["raw BM25F top"], indent=1))
    print(f"best rule 'cosine >= a or raw BM25F >= b': a={a:.3f} b={b:.2f}, {errors} errors")
    print(
        f"\nmodel load {report['load_s']:.2f} s (RSS +{report['model_rss_mb']:.0f} MB), query embed "
        f"{report['query_embed_us']:.0f} µs, one entry {report['entry_embed_us']:.0f} µs, all "
        f"{len(entries)} entries {report['embed_all_entries_ms']:.0f} ms"
    )


def binary_codes(matrix: np.ndarray) -> np.ndarray:
    """One sign bit per dimension, packed: (n, 4) uint64 for 256 dimensions."""
    return np.packbits(matrix > 0, axis=1).view(np.uint64)


def binary_then_exact(codes, matrix, q32, k: int = 10, shortlist: int = 256) -> np.ndarray:
    """Top-k rows: the `shortlist` nearest by Hamming distance of sign bits, re-ranked by exact cosine."""
    distance = np.bitwise_count(codes ^ binary_codes(q32[None, :])).sum(axis=1, dtype=np.int32)
    candidates = np.argpartition(distance, shortlist)[:shortlist]
    exact = matrix[candidates].astype(np.float32) @ q32
    return candidates[np.argsort(-exact)[:k]]


def exact_top(matrix, q, k: int = 10) -> np.ndarray:
    scores = matrix @ q
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top])]


def timed(fn, queries) -> tuple[float, float, list]:
    """(median ms, min ms, results) of fn over the queries."""
    times, results = [], []
    for q in queries:
        t = time.perf_counter()
        results.append(fn(q))
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3, min(times) * 1e3, results


def scale(report: dict, n: int) -> None:
    from make_pack import generate

    t = time.perf_counter()
    entries = [SimpleNamespace(**e) for e in generate(n)]
    gen_s = time.perf_counter() - t
    model = semantic.default_model()
    t = time.perf_counter()
    m32 = model.embed_texts([semantic.entry_text(e) for e in entries])
    embed_s = time.perf_counter() - t
    ids = [e.id for e in entries]
    del entries
    questions = [q.query for q in load_queries() if q.kind == SEARCH_KIND][:30]
    q32s = [model.embed_query(q) for q in questions]
    m16 = m32.astype(np.float16)
    codes = binary_codes(m32)
    exact_ms, exact_min, truth = timed(lambda q: exact_top(m32, q), q32s)
    rows = {"float32 matrix @ q, top-10": (m32.nbytes, exact_ms, exact_min, 1.0)}
    ms, mn, _ = timed(lambda q: exact_top(m16, q.astype(np.float16)), q32s)
    rows["float16 matrix @ q (numpy, no BLAS), top-10"] = (m16.nbytes, ms, mn, None)
    for shortlist in (256, 1024):
        ms, mn, got = timed(lambda q, s=shortlist: binary_then_exact(codes, m16, q, shortlist=s), q32s)
        overlap = statistics.mean(len(set(a) & set(b)) / 10 for a, b in zip(got, truth, strict=True))
        rows[f"sign bits, Hamming shortlist {shortlist}, float16 re-rank"] = (
            codes.nbytes + m16.nbytes,
            ms,
            mn,
            overlap,
        )
    ranked_ms, ranked_min, _ = timed(lambda q: cosine_ranking(ids, m32, model.embed_query(q), 10), questions)
    report["scale"] = {
        "n": n,
        "generate_s": gen_s,
        "embed_all_s": embed_s,
        "ranked_ms": ranked_ms,
        "rows": {
            k: dict(zip(("bytes", "median_ms", "min_ms", "overlap@10"), v, strict=True))
            for k, v in rows.items()
        },
    }
    print(
        f"\n{n} synthetic entries: generated in {gen_s:.1f} s, embedded in {embed_s:.1f} s "
        f"({embed_s / n * 1e6:.0f} µs each); every entry's cosine (float32, with the query's embedding) "
        f"{ranked_ms:.1f} ms median, {ranked_min:.1f} ms min over {len(questions)} questions"
    )
    print("| top-10 by | memory | median | min | overlap with exact top-10 |\n|---|---|---|---|---|")
    for name, (size, ms, mn, overlap) in rows.items():
        shown = "n/a" if overlap is None else f"{overlap:.2f}"
        print(f"| {name} | {size / 2**20:.0f} MB | {ms:.1f} ms | {mn:.1f} ms | {shown} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=100_000, help="entries for the scale test (0: skip)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    report: dict = {}
    quality(report)
    if args.synthetic:
        scale(report, args.synthetic)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
