"""Print the lookup-quality report: `python -m tests.quality.report` (what `make eval` runs).

Per-category accuracy of define_term, search recall@1/@3 and MRR, then every
failure with what came back. Always exits 0: the floor lives in
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


def render(report: dict) -> str:
    lines = [
        f"Lookup quality: {report['total']} queries against {report['glossary_entries']} glossary entries",
        "",
    ]
    lines.append(f"{'category':<10} {'n':>4} {'correct':>8} {'accuracy':>9}")
    lines.append("-" * 34)
    for kind in DEFINE_KINDS:
        c = report["categories"][kind]
        lines.append(f"{kind:<10} {c['n']:>4} {c['correct']:>8} {_pct(c['accuracy']):>9}")
    s = report["search"]
    lines.append("-" * 34)
    lines.append(f"absent answered found:true (false positives): {report['false_found_absent']}")
    lines.append("")
    lines.append(f"search ({s['n']} queries, limit 10)")
    lines.append(
        f"  recall@1 {_pct(s['recall@1'])}   recall@3 {_pct(s['recall@3'])}   MRR {s['mrr']:.3f}"
        if s["n"]
        else "  (no search queries)"
    )
    lines.append("")

    failures = report["failures"]
    groups = [(k, f"{k} failures") for k in DEFINE_KINDS] + [
        ("search", "search misses (no acceptable id in the top 3)"),
        ("search-rank", "search near-misses (acceptable id at rank 2-3)"),
    ]
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
