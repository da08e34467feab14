"""The lookup-quality floor: lookups must not silently get worse.

Two kinds of test live here:
- the set is what it claims to be (size, coverage, every expected id exists,
  every `alias` really is an alias, every `absent` term really is absent, every
  `typo` is a 1-2 character edit of a name, and a `real-word` one also spells
  an English word the name does not have), so a curation change shows up as
  "this query is stale", not as a mysterious quality drop;
- the floor itself: exact/acronym/alias/variant 100%, typo >= 95%, every
  real-word typo not found with the intended entry suggested first, no absent
  term answered found:true, and every other figure `make eval` prints (real-spelling
  accuracy, search recall@1/@3/@5 and MRR per query set, off-topic separation,
  find_terms_in_text precision and recall on real passages) at or above the value
  measured when its floor was set (2026-12-02, before any lookup change).

Floors only move up. The passage floor needs the pinned wheels: passages.py downloads
them (about 4 MB, a few seconds, cached under .cache/); it never skips.
"""

from __future__ import annotations

import pytest
from rapidfuzz.distance import OSA

from ai_glossary_mcp.search.english_words import is_english_word
from ai_glossary_mcp.search.normalize import compact_key, fold, words

from .evaluate import ALL_KINDS, DEFINE_KINDS, OFF_TOPIC_KIND, SEARCH_KIND, evaluate, load_queries
from .passages import MAX_WORDS, MIN_WORDS, load_manifest

MIN_QUERIES = 160
MIN_SEARCH_QUERIES = 40
MIN_PER_KIND_IN_QUESTIONS = {SEARCH_KIND: 40, "real-spelling": 40, OFF_TOPIC_KIND: 20}
MIN_PASSAGES, MIN_PASSAGE_PACKAGES = 20, 5
PERFECT_KINDS = ("exact", "acronym", "alias", "variant", "real-word")
TYPO_FLOOR = 0.95
REAL_SPELLING_FLOOR = 0.96  # 48/50 measured 2026-12-02 with the name matcher (22/50 before it)
# (set, metric) -> floor; measured 2026-12-02 with semantic search and the near-words signal fused
# (calibrated linear fusion): plain-words 70/84, 77/84, 81/84, MRR 0.881; questions 33/50, 40/50, 42/50,
# MRR 0.743
SEARCH_FLOORS = {
    ("plain-words", "recall@1"): 0.833,
    ("plain-words", "recall@3"): 0.916,
    ("plain-words", "recall@5"): 0.964,
    ("plain-words", "mrr"): 0.881,
    ("questions", "recall@1"): 0.66,
    ("questions", "recall@3"): 0.80,
    ("questions", "recall@5"): 0.84,
    ("questions", "mrr"): 0.743,
}
# Scores are calibrated (the same scale in every query). On-topic questions whose top score is at or below
# the best off-topic top score: 12 of 134 measured 2026-12-02 with near words (13 before; the issue's
# target is 0; only goes down). No off-topic question may come back `confident`.
ON_TOPIC_BELOW_OFF_TOPIC_CEILING = 12
OFF_TOPIC_CONFIDENT_CEILING = 0
PASSAGE_PRECISION_FLOOR = 1.0  # 71/71 measured 2026-12-02 (begun names, category words; 67/67 before)
PASSAGE_RECALL_FLOOR = 0.959  # 71/74 measured 2026-12-02 (begun names, category words, 1 alias; 67/74 before)
REQUIRED_ABSENT = ("recurrent neural network", "k-means", "gradient boosting", "stochastic gradient descent")

QUERIES = load_queries()
PASSAGES = load_manifest()


@pytest.fixture(scope="module")
def report(service):
    return evaluate(service, QUERIES)


def _names(entry) -> list[str]:
    return [entry.id, entry.term] + ([entry.acronym] if entry.acronym else []) + list(entry.aliases)


def _failures(report, kind: str) -> str:
    rows = [f for f in report["failures"] if f["kind"] == kind]
    return "\n".join(f"  {f['query']!r}: expected {f['expected']}, got {f['got']}" for f in rows)


# -- the set ---------------------------------------------------------------------
def test_set_size_and_coverage():
    assert len(QUERIES) >= MIN_QUERIES
    kinds = {q.kind for q in QUERIES}
    assert kinds == set(ALL_KINDS), f"missing categories: {set(ALL_KINDS) - kinds}"
    assert sum(q.kind == SEARCH_KIND and q.set == "plain-words" for q in QUERIES) >= MIN_SEARCH_QUERIES
    for kind, least in MIN_PER_KIND_IN_QUESTIONS.items():
        assert sum(q.kind == kind and q.set == "questions" for q in QUERIES) >= least, kind
    absent = {fold(q.query) for q in QUERIES if q.kind == "absent"}
    assert set(REQUIRED_ABSENT) <= absent
    seen = [q.query for q in QUERIES]  # "LoRA" and "lora" are both wanted; exact repeats are not
    assert len(seen) == len(set(seen)), "duplicate queries in queries.yaml"


def test_expected_ids_exist(glossary):
    unknown = [(q.query, i) for q in QUERIES for i in q.expect if i not in glossary.by_id]
    assert not unknown, f"queries expect ids that are not in the glossary: {unknown}"


def test_each_query_is_what_its_kind_says(glossary):
    """Catches stale queries after curation (a removed alias, a term that was added)."""
    by_id = glossary.by_id
    all_keys = {compact_key(n) for e in glossary.entries for n in _names(e)}
    problems = []
    for q in QUERIES:
        if q.kind in (SEARCH_KIND, OFF_TOPIC_KIND):
            continue
        if q.kind == "absent":
            if compact_key(q.query) in all_keys:
                problems.append(f"absent {q.query!r} is a glossary name now")
            continue
        e = by_id[q.expect[0]]
        f = fold(q.query)
        if q.kind == "exact" and f not in (fold(e.term), fold(e.id)):
            problems.append(f"exact {q.query!r} is not the term or id of {e.id} ({e.term!r})")
        elif q.kind == "acronym" and (not e.acronym or f != fold(e.acronym)):
            problems.append(f"acronym {q.query!r} is not the acronym of {e.id} ({e.acronym!r})")
        elif q.kind == "alias" and f not in {fold(a) for a in e.aliases}:
            problems.append(f"alias {q.query!r} is not an alias of {e.id} (aliases: {list(e.aliases)})")
        elif q.kind == "variant":
            if q.query in _names(e):
                problems.append(f"variant {q.query!r} is a name of {e.id} as written; use another kind")
            elif compact_key(q.query) not in {compact_key(n) for n in _names(e)}:
                problems.append(f"variant {q.query!r} does not normalise to a name of {e.id}")
        elif q.kind == "real-spelling" and q.query in _names(e):
            problems.append(f"real-spelling {q.query!r} is a name of {e.id} as written; use another kind")
        elif q.kind in ("typo", "real-word"):
            key = compact_key(q.query)
            near = min(_names(e), key=lambda n: OSA.distance(key, compact_key(n)))
            dist = OSA.distance(key, compact_key(near))
            if key in all_keys:
                problems.append(f"typo {q.query!r} normalises to a real name; it is a variant")
            elif dist > 2 or len(compact_key(near)) < 5:
                problems.append(
                    f"typo {q.query!r} is {dist} edits from {near!r}; typos are 1-2 edits of 5+ letters"
                )
            if q.kind == "real-word" and not any(
                is_english_word(w) and w not in words(near) for w in words(q.query)
            ):
                problems.append(f"real-word {q.query!r} has no English word that {near!r} does not have")
    assert not problems, "\n".join(problems)


def test_passage_manifest_is_what_it_claims(glossary):
    assert len(PASSAGES) >= MIN_PASSAGES
    assert len({p.package for p in PASSAGES}) >= MIN_PASSAGE_PACKAGES
    assert len({p.id for p in PASSAGES}) == len(PASSAGES), "duplicate passage ids"
    for p in PASSAGES:
        assert MIN_WORDS <= p.words <= MAX_WORDS, p.id
        assert p.mentions, f"{p.id} is labelled with no mention"
        unknown = [i for i in p.mentions if i not in glossary.by_id]
        assert not unknown, f"{p.id} is labelled with ids not in the glossary: {unknown}"


# -- the floor -----------------------------------------------------------------
@pytest.mark.parametrize("kind", PERFECT_KINDS)
def test_name_lookups_are_perfect(report, kind):
    c = report["categories"][kind]
    assert c["n"] > 0
    assert c["correct"] == c["n"], f"{kind}: {c['correct']}/{c['n']}\n{_failures(report, kind)}"


def test_typo_accuracy(report):
    c = report["categories"]["typo"]
    assert c["accuracy"] >= TYPO_FLOOR, (
        f"typo {c['accuracy']:.1%} < {TYPO_FLOOR:.0%}\n{_failures(report, 'typo')}"
    )


def test_absent_terms_are_never_found(report):
    assert report["false_found_absent"] == 0, "absent terms answered found:true:\n" + _failures(
        report, "absent"
    )


def test_real_spelling_accuracy(report):
    c = report["categories"]["real-spelling"]
    assert c["accuracy"] >= REAL_SPELLING_FLOOR, (
        f"real-spelling {c['accuracy']:.1%} < {REAL_SPELLING_FLOOR:.0%}\n{_failures(report, 'real-spelling')}"
    )


@pytest.mark.parametrize(("query_set", "metric"), sorted(SEARCH_FLOORS))
def test_search_floor(report, query_set, metric):
    value = report["search_by_set"][query_set][metric]
    floor = SEARCH_FLOORS[(query_set, metric)]
    assert value >= floor, f"search {metric} on the {query_set} set {value:.3f} < {floor}\n" + "\n".join(
        filter(None, (_failures(report, SEARCH_KIND), _failures(report, "search-rank")))
    )


def test_on_topic_scores_stay_above_off_topic(report):
    sep = report["separation"]
    assert sep["n_off_topic"] >= MIN_PER_KIND_IN_QUESTIONS[OFF_TOPIC_KIND]
    assert sep["on_topic_below_best_off_topic"] <= ON_TOPIC_BELOW_OFF_TOPIC_CEILING, (
        f"{sep['on_topic_below_best_off_topic']} on-topic questions score below the best off-topic one "
        f"({sep['max_off_topic_top_score']:.3f})"
    )
    assert sep["off_topic_confident"] <= OFF_TOPIC_CONFIDENT_CEILING, [
        r["query"] for r in sep["off_topic_rows"] if r["confident"]
    ]


def test_find_terms_in_text_on_real_passages(report):
    p = report["passages"]
    assert p["n"] == len(PASSAGES)
    misses = "\n".join(f"  {r['id']}: missed {r['missed']}, extra {r['extra']}" for r in p["rows"])
    assert p["precision"] >= PASSAGE_PRECISION_FLOOR, f"precision {p['precision']:.3f}\n{misses}"
    assert p["recall"] >= PASSAGE_RECALL_FLOOR, f"recall {p['recall']:.3f}\n{misses}"


def test_report_covers_every_category(report):
    assert set(report["categories"]) == set(DEFINE_KINDS)
    assert report["total"] == len(QUERIES)
    for name, stats in report["search_by_set"].items():
        assert stats["n"] == sum(q.kind == SEARCH_KIND and q.set == name for q in QUERIES)
    assert report["search"] == report["search_by_set"]["plain-words"]
