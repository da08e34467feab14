"""Run the lookup-quality set (queries.yaml, questions.yaml, passages.yaml) against the bundled glossary.

Two query files share one format: queries.yaml (the `plain-words` set) and questions.yaml (the
`questions` set: practitioner questions, real-world spellings, off-topic questions). Search figures
are reported per set, so the older set's numbers stay comparable across sessions.

Define-style kinds (exact, acronym, alias, variant, typo, real-word, real-spelling, absent) go through
`GlossaryService.define(query, "brief")`:
  - a hit is found=True with entry.id == expect (real-spelling too: an inflection, a spaced or joined
    form, a name with a generic modifier must resolve);
  - for `real-word` (a typo that spells another English word) a hit is found=False with expect as the
    first suggestion;
  - for `absent` (expect null) a hit is found=False; any found=True is a false positive.
Search queries go through `GlossaryService.search(query, limit=10)` and are
scored by recall@1, recall@3 and MRR (reciprocal rank of the first acceptable
id, 0 when none is in the top 10). `expect` may be one id or a list of ids.
`off-topic` queries (expect null) go through search too; nothing is scored right or wrong for them,
but their top scores are set against the on-topic ones (`separation`).

Passages (passages.yaml, real text cut from pinned wheels) go through
`GlossaryService.find_in_text`; precision and recall are micro-averaged over (passage, entry id) pairs.

`evaluate()` returns a plain dict so the report, the floor test and anyone
else (json.dumps) can use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.loader import load_glossary

from .passages import Passage, load_manifest, passage_text

QUERIES_FILE = Path(__file__).with_name("queries.yaml")
QUERY_SETS = {"plain-words": QUERIES_FILE, "questions": Path(__file__).with_name("questions.yaml")}
DEFINE_KINDS = ("exact", "acronym", "alias", "variant", "typo", "real-word", "real-spelling", "absent")
SEARCH_KIND = "search"
OFF_TOPIC_KIND = "off-topic"
ALL_KINDS = DEFINE_KINDS + (SEARCH_KIND, OFF_TOPIC_KIND)
NULL_KINDS = ("absent", OFF_TOPIC_KIND)
SEARCH_LIMIT = 10


@dataclass(frozen=True)
class Query:
    query: str
    expect: tuple[str, ...]  # empty for `absent` and `off-topic`
    kind: str
    set: str = "plain-words"


@dataclass
class Failure:
    kind: str
    query: str
    expected: str  # "a" or "a|b" or "(not found)"
    got: str  # what came back, one line
    detail: dict[str, Any] = field(default_factory=dict)


def load_queries(path: Path | str | None = None, set_name: str = "plain-words") -> list[Query]:
    """Both query sets by default; one file (tagged `set_name`) when `path` is given."""
    if path is None:
        return [q for name, file in QUERY_SETS.items() for q in load_queries(file, name)]
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of {{query, expect, kind}} items")
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) != {"query", "expect", "kind"}:
            raise ValueError(f"{path}: item {i} must have exactly the keys query, expect, kind: {item!r}")
        kind = item["kind"]
        if kind not in ALL_KINDS:
            raise ValueError(f"{path}: item {i} has unknown kind {kind!r}")
        expect = item["expect"]
        if expect is None:
            ids: tuple[str, ...] = ()
        elif isinstance(expect, str):
            ids = (expect,)
        elif isinstance(expect, list) and expect and all(isinstance(x, str) for x in expect):
            if kind != SEARCH_KIND:
                raise ValueError(f"{path}: item {i}: only search queries may list several acceptable ids")
            ids = tuple(expect)
        else:
            raise ValueError(f"{path}: item {i}: bad expect {expect!r}")
        if (kind in NULL_KINDS) != (not ids):
            raise ValueError(f"{path}: item {i}: expect must be null exactly for kinds {NULL_KINDS}")
        out.append(Query(str(item["query"]), ids, kind, set_name))
    return out


def default_service() -> GlossaryService:
    return GlossaryService(load_glossary())


def _describe_define(result: Any) -> tuple[str, dict[str, Any]]:
    if result.found:
        m = result.match
        got = f"{result.entry.id} ({m.kind}, {m.score:.2f})" if m else result.entry.id
        return got, {
            "found": True,
            "id": result.entry.id,
            "match_kind": m.kind if m else None,
            "score": m.score if m else None,
        }
    if result.ambiguous:
        ids = [s.id for s in result.ambiguous]
        return "ambiguous: " + ", ".join(f"{s.id} {s.score:.2f}" for s in result.ambiguous), {
            "found": False,
            "ambiguous": ids,
            "suggestions": [s.id for s in result.suggestions],
        }
    sugg = [s.id for s in result.suggestions]
    text = "not found" + (
        f"; suggestions: {', '.join(f'{s.id} {s.score:.2f}' for s in result.suggestions[:3])}"
        if sugg
        else "; no suggestions"
    )
    return text, {"found": False, "suggestions": sugg}


def _search_stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)

    def recall(k: int) -> float | None:
        return sum(1 <= r["rank"] <= k for r in rows) / n if n else None

    return {
        "n": n,
        "recall@1": recall(1),
        "recall@3": recall(3),
        "recall@5": recall(5),
        "mrr": sum(1 / r["rank"] for r in rows if r["rank"]) / n if n else None,
        "rows": rows,
    }


def _separation(on_topic: list[dict[str, Any]], off_topic: list[dict[str, Any]]) -> dict[str, Any]:
    """How on-topic top scores compare with off-topic ones (a query with no hit scores 0)."""
    best_off = max((r["top_score"] for r in off_topic), default=None)
    return {
        "n_on_topic": len(on_topic),
        "n_off_topic": len(off_topic),
        "max_off_topic_top_score": best_off,
        "min_on_topic_top_score": min((r["top_score"] for r in on_topic), default=None),
        "on_topic_below_best_off_topic": sum(r["top_score"] <= best_off for r in on_topic)
        if best_off is not None
        else 0,
        "on_topic_confident": sum(r["confident"] for r in on_topic),
        "off_topic_confident": sum(r["confident"] for r in off_topic),
        "off_topic_with_results": sum(bool(r["top"]) for r in off_topic),
        "off_topic_rows": off_topic,
    }


def evaluate_passages(service: GlossaryService, passages: list[Passage] | None = None) -> dict[str, Any]:
    """find_terms_in_text over real passages: micro precision and recall over (passage, id) pairs."""
    passages = passages if passages is not None else load_manifest()
    tp = fp = fn = 0
    rows = []
    for p in passages:
        found = set(service.find_in_text(passage_text(p)).linked_ids())
        gold = set(p.mentions)
        tp += len(found & gold)
        fp += len(found - gold)
        fn += len(gold - found)
        rows.append(
            {
                "id": p.id,
                "package": f"{p.package}=={p.version}",
                "missed": sorted(gold - found),
                "extra": sorted(found - gold),
            }
        )
    return {
        "n": len(passages),
        "packages": sorted({f"{p.package}=={p.version}" for p in passages}),
        "labelled_mentions": tp + fn,
        "found_mentions": tp + fp,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "rows": rows,
    }


def evaluate(
    service: GlossaryService | None = None,
    queries: list[Query] | None = None,
    with_passages: bool = True,
) -> dict[str, Any]:
    service = service or default_service()
    queries = queries if queries is not None else load_queries()
    categories: dict[str, dict[str, Any]] = {k: {"n": 0, "correct": 0} for k in DEFINE_KINDS}
    failures: list[Failure] = []
    search_rows: dict[str, list[dict[str, Any]]] = {name: [] for name in QUERY_SETS}
    off_topic_rows: list[dict[str, Any]] = []

    for q in queries:
        if q.kind in (SEARCH_KIND, OFF_TOPIC_KIND):
            hits = service.search(q.query, limit=SEARCH_LIMIT).results
            ids = [h.id for h in hits]
            top_score = hits[0].score if hits else 0.0
            confident = bool(hits) and hits[0].confident
            if q.kind == OFF_TOPIC_KIND:
                off_topic_rows.append(
                    {"query": q.query, "top_score": top_score, "top": ids[:3], "confident": confident}
                )
                continue
            rank = next((i + 1 for i, hid in enumerate(ids) if hid in q.expect), 0)
            search_rows.setdefault(q.set, []).append(
                {
                    "query": q.query,
                    "expect": list(q.expect),
                    "rank": rank,
                    "top": ids[:5],
                    "top_score": top_score,
                    "confident": confident,
                }
            )
            if rank != 1:
                failures.append(
                    Failure(
                        kind=SEARCH_KIND if rank == 0 or rank > 3 else "search-rank",
                        query=q.query,
                        expected="|".join(q.expect),
                        got=(f"rank {rank}" if rank else f"not in top {SEARCH_LIMIT}")
                        + "; top 3: "
                        + ", ".join(ids[:3]),
                        detail={"rank": rank, "top": ids[:SEARCH_LIMIT], "set": q.set},
                    )
                )
            continue
        cat = categories[q.kind]
        cat["n"] += 1
        result = service.define(q.query, "brief")
        if q.kind == "absent":
            ok = not result.found
        elif q.kind == "real-word":
            ok = not result.found and bool(result.suggestions) and result.suggestions[0].id == q.expect[0]
        else:
            ok = bool(result.found and result.entry is not None and result.entry.id == q.expect[0])
        if ok:
            cat["correct"] += 1
        else:
            got, detail = _describe_define(result)
            failures.append(Failure(q.kind, q.query, q.expect[0] if q.expect else "(not found)", got, detail))

    for cat in categories.values():
        cat["accuracy"] = cat["correct"] / cat["n"] if cat["n"] else None
    absent = categories["absent"]
    on_topic = [r for rows in search_rows.values() for r in rows]
    return {
        "total": len(queries),
        "glossary_entries": len(service.glossary.entries),
        "categories": categories,
        "false_found_absent": absent["n"] - absent["correct"],
        "search": _search_stats(search_rows.get("plain-words", [])),
        "search_by_set": {name: _search_stats(rows) for name, rows in search_rows.items()},
        "separation": _separation(on_topic, off_topic_rows),
        "passages": evaluate_passages(service) if with_passages else None,
        "failures": [asdict(f) for f in failures],
    }


__all__ = [
    "ALL_KINDS",
    "DEFINE_KINDS",
    "OFF_TOPIC_KIND",
    "QUERY_SETS",
    "SEARCH_KIND",
    "Query",
    "default_service",
    "evaluate",
    "evaluate_passages",
    "load_queries",
]
