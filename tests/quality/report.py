"""Print the lookup-quality report: `python -m tests.quality.report` (what `make eval` runs).

Per-category accuracy of define_term (real-spelling included), search recall@1/@3/@5 and MRR for
each query set, how on-topic top scores separate from off-topic ones, find_terms_in_text precision
and recall over real passages (downloaded from pinned wheels on first use), then every failure with
what came back. Always exits 0: the floor lives in
test_quality_floor.py, this is for reading. `--json` prints the raw report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # allow `python tests/quality/report.py` too
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
try:
    import ai_glossary_mcp  # noqa: F401
except ImportError:  # a checkout without the editable install
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server"))

from tests.quality.evaluate import DEFINE_KINDS, evaluate


def _pct(x: float | None) -> str:
    return "  -  " if x is None else f"{100 * x:5.1f}%"


def _score(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def render(report: dict) -> str:
    lines = [
        f"Lookup quality: {report['total']} queries against {report['glossary_entries']} glossary entries",
        "",
    ]
    lines.append(f"{'category':<13} {'n':>4} {'correct':>8} {'accuracy':>9}")
    lines.append("-" * 37)
    for kind in DEFINE_KINDS:
        c = report["categories"][kind]
        lines.append(f"{kind:<13} {c['n']:>4} {c['correct']:>8} {_pct(c['accuracy']):>9}")
    lines.append("-" * 37)
    lines.append(f"absent answered found:true (false positives): {report['false_found_absent']}")
    lines.append("")
    for name, s in report["search_by_set"].items():
        lines.append(f"search, {name} set ({s['n']} queries, limit 10)")
        lines.append(
            f"  recall@1 {_pct(s['recall@1'])}   recall@3 {_pct(s['recall@3'])}"
            f"   recall@5 {_pct(s['recall@5'])}   MRR {s['mrr']:.3f}"
            if s["n"]
            else "  (no search queries)"
        )
    sep = report["separation"]
    lines.append("")
    lines.append(
        f"on-topic vs off-topic top scores ({sep['n_on_topic']} on-topic, {sep['n_off_topic']} off-topic;"
        " calibrated scores, confident from 0.5)"
    )
    lines.append(
        f"  max off-topic top score {_score(sep['max_off_topic_top_score'])}"
        f"   min on-topic top score {_score(sep['min_on_topic_top_score'])}"
        f"   on-topic at or below the best off-topic: {sep['on_topic_below_best_off_topic']}"
        f"   off-topic with any result: {sep['off_topic_with_results']}/{sep['n_off_topic']}"
    )
    lines.append(
        f"  confident top hit: on-topic {sep['on_topic_confident']}/{sep['n_on_topic']}"
        f"   off-topic {sep['off_topic_confident']}/{sep['n_off_topic']}"
    )
    passages = report.get("passages")
    if passages:
        lines.append("")
        lines.append(
            f"find_terms_in_text on {passages['n']} real passages ({', '.join(passages['packages'])})"
        )
        lines.append(
            f"  precision {_pct(passages['precision'])}   recall {_pct(passages['recall'])}"
            f"   ({passages['found_mentions']} found, {passages['labelled_mentions']} labelled)"
        )
    lines.append("")

    failures = report["failures"]
    groups = [(k, f"{k} failures") for k in DEFINE_KINDS] + [
        ("search", "search misses (no acceptable id in the top 3)"),
        ("search-rank", "search near-misses (acceptable id at rank 2-3)"),
    ]
    if passages:
        rows = [r for r in passages["rows"] if r["missed"] or r["extra"]]
        if rows:
            lines.append(f"passages with misses or extras: {len(rows)}")
        for r in rows:
            lines.append(f"  {r['id']} ({r['package']})")
            lines.append(
                f"      missed {', '.join(r['missed']) or '-'}  extra {', '.join(r['extra']) or '-'}"
            )
        if rows:
            lines.append("")
    off = [r for r in sep["off_topic_rows"] if r["top"]]
    if off:
        lines.append(f"off-topic questions that got results: {len(off)}")
        for r in off:
            lines.append(f"  {r['query']!r}: top {r['top_score']:.2f} {', '.join(r['top'])}")
        lines.append("")
    if not failures:
        lines.append("No failures.")
    for kind, title in groups:
        rows = [f for f in failures if f["kind"] == kind]
        if not rows:
            continue
        lines.append(f"{title}: {len(rows)}")
        for f in rows:
            lines.append(f"  {f['query']!r}")
            lines.append(f"      expected {f['expected']}  ->  got {f['got']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    report = evaluate()
    if "--json" in argv:
        print(json.dumps(report, indent=2))
    else:
        sys.stdout.write(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
