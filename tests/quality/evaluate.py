"""Run the lookup-quality set (queries.yaml) against the bundled glossary.

Define-style kinds (exact, acronym, alias, variant, typo, real-word, absent) go through
`GlossaryService.define(query, "brief")`:
  - a hit is found=True with entry.id == expect;
  - for `real-word` (a typo that spells another English word) a hit is found=False with expect as the
    first suggestion;
  - for `absent` (expect null) a hit is found=False; any found=True is a false positive.
Search queries go through `GlossaryService.search(query, limit=10)` and are
scored by recall@1, recall@3 and MRR (reciprocal rank of the first acceptable
id, 0 when none is in the top 10). `expect` may be one id or a list of ids.

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

QUERIES_FILE = Path(__file__).with_name("queries.yaml")
DEFINE_KINDS = ("exact", "acronym", "alias", "variant", "typo", "real-word", "absent")
SEARCH_KIND = "search"
ALL_KINDS = DEFINE_KINDS + (SEARCH_KIND,)
SEARCH_LIMIT = 10


@dataclass(frozen=True)
class Query:
    query: str
    expect: tuple[str, ...]  # empty for `absent`
    kind: str


@dataclass
class Failure:
    kind: str
    query: str
    expected: str  # "a" or "a|b" or "(not found)"
    got: str  # what came back, one line
    detail: dict[str, Any] = field(default_factory=dict)


def load_queries(path: Path | str = QUERIES_FILE) -> list[Query]:
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
        if (kind == "absent") != (not ids):
            raise ValueError(f"{path}: item {i}: expect must be null exactly for kind absent")
        out.append(Query(str(item["query"]), ids, kind))
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


def evaluate(service: GlossaryService | None = None, queries: list[Query] | None = None) -> dict[str, Any]:
    service = service or default_service()
    queries = queries if queries is not None else load_queries()
    categories: dict[str, dict[str, Any]] = {k: {"n": 0, "correct": 0} for k in DEFINE_KINDS}
    failures: list[Failure] = []
    search_rows: list[dict[str, Any]] = []

    for q in queries:
        if q.kind == SEARCH_KIND:
            hits = service.search(q.query, limit=SEARCH_LIMIT).results
            ids = [h.id for h in hits]
            rank = next((i + 1 for i, hid in enumerate(ids) if hid in q.expect), 0)
            search_rows.append({"query": q.query, "expect": list(q.expect), "rank": rank, "top": ids[:5]})
            if rank != 1:
                failures.append(
                    Failure(
                        kind=SEARCH_KIND if rank == 0 or rank > 3 else "search-rank",
                        query=q.query,
                        expected="|".join(q.expect),
                        got=(f"rank {rank}" if rank else f"not in top {SEARCH_LIMIT}")
                        + "; top 3: "
                        + ", ".join(ids[:3]),
                        detail={"rank": rank, "top": ids[:SEARCH_LIMIT]},
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
    n = len(search_rows)
    search = {
        "n": n,
        "recall@1": sum(r["rank"] == 1 for r in search_rows) / n if n else None,
        "recall@3": sum(1 <= r["rank"] <= 3 for r in search_rows) / n if n else None,
        "mrr": sum(1 / r["rank"] for r in search_rows if r["rank"]) / n if n else None,
        "rows": search_rows,
    }
    absent = categories["absent"]
    return {
        "total": len(queries),
        "glossary_entries": len(service.glossary.entries),
        "categories": categories,
        "false_found_absent": absent["n"] - absent["correct"],
        "search": search,
        "failures": [asdict(f) for f in failures],
    }


__all__ = ["ALL_KINDS", "DEFINE_KINDS", "SEARCH_KIND", "Query", "default_service", "evaluate", "load_queries"]
