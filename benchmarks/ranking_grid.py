"""Replay search_terms' fusion over precomputed signals, to choose weights and texts by measurement.

    .venv/bin/python benchmarks/ranking_grid.py [--grid | --fields]

Without a flag: the fusion before the near-words signal, with it (replayed, and through the served
module's `neighbours`). `--grid`: second entry texts, weights, gates, coverage and agreement terms,
pseudo-relevance feedback, near-words variants (every word or only unknown ones; 1-3 neighbours;
thresholds; weights). `--fields`: BM25F field weights (the index rebuilt per row). Results and reading:
benchmarks/results/2026-12-02-ranking.md.

Each question's features are computed once from the bundled glossary (the name decision, the raw BM25F
sum of every entry, the cosine of the query with several entry texts, the share of the query's
informative words an entry holds); each candidate fusion is then replayed over them, so a grid of
hundreds of fusions runs in seconds. Cells: recall@1 / recall@5 / MRR (limit 10, as tests/quality
counts them) on the plain-words set (tuning) and the questions set (held out), and how many on-topic top
scores are at or below the best off-topic one, for the quality set's 22 off-topic questions and for
benchmarks/semantic_fusion.py's 22 (held out). A script, not a test.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "server"), str(ROOT), str(HERE)]

import numpy as np  # noqa: E402
from semantic_fusion import OFF_TOPIC as HELD_OUT_OFF_TOPIC  # noqa: E402
from tests.quality.evaluate import OFF_TOPIC_KIND, SEARCH_KIND, default_service, load_queries  # noqa: E402

from ai_glossary_mcp.search import names, near_words, semantic  # noqa: E402
from ai_glossary_mcp.search.bm25 import bm25  # noqa: E402
from ai_glossary_mcp.search.normalize import STOP_WORDS, search_tokens, stem, words  # noqa: E402
from ai_glossary_mcp.search.query import Query  # noqa: E402
from ai_glossary_mcp.search.ranking import SEARCH_FUZZY_WORDS  # noqa: E402

LIMIT = 10


def first_sentence(entry) -> str:
    text = entry.definition
    cut = text.find(". ")
    return text if cut < 0 else text[: cut + 1]


def names_examples_tags(entry) -> str:
    parts = [entry.term] + ([entry.acronym] if entry.acronym else []) + list(entry.aliases)
    parts += list(entry.examples) + list(entry.tags)
    return ", ".join(parts)


def aliases_tags(entry) -> str:
    parts = list(entry.aliases) + list(entry.tags)
    return ", ".join(parts) or entry.term


def related_notes(entry) -> str:
    return ". ".join([entry.term] + [r.note for r in entry.related if r.note])


def term_first_sentence(entry) -> str:
    return ". ".join([entry.term + (f" ({entry.acronym})" if entry.acronym else ""), first_sentence(entry)])


def split_sentences(text: str) -> list[str]:
    return [x.strip() for x in re.split(r"(?<=[.;])\s+", text) if x.strip()]


def content(text: str) -> str:
    return " ".join(w for w in words(text) if w not in STOP_WORDS)


def main_content(entry) -> str:
    return content(semantic.entry_text(entry))


TEXTS: dict[str, Callable] = {
    "main-content": main_content,
    "main": semantic.entry_text,
    "first": term_first_sentence,
    "names": names_examples_tags,
    "aliases": aliases_tags,
    "notes": related_notes,
    "defonly": semantic.definition_only,
}


@dataclass
class Features:
    query: str
    expect: tuple[str, ...]
    group: str  # plain-words, questions, off, off2
    decided: dict[int, float]
    near: dict[int, float]
    raw: np.ndarray  # raw BM25F per entry
    cos: dict[str, np.ndarray]
    cover: np.ndarray  # idf-weighted share of the query's informative tokens the entry holds
    qv: np.ndarray
    expanded: dict  # (k, tau) -> raw BM25F of the query words' nearest glossary words, cos-weighted


def features(service) -> tuple[list[Features], list[str]]:
    index = service.index
    n = len(index.entries)
    ids = [e.id for e in index.entries]
    mats = {name: semantic.embed_texts([f(e) for e in index.entries]) for name, f in TEXTS.items()}
    sent_rows, sent_doc = [], []
    for d, e in enumerate(index.entries):
        head = e.term + (f" ({e.acronym})" if e.acronym else "")
        for sentence in split_sentences(e.definition):
            sent_rows.append(head + ". " + sentence)
            sent_doc.append(d)
    sent_mat = semantic.embed_texts(sent_rows)
    sent_doc_arr = np.array(sent_doc)
    qs = [(q.query, q.expect, q.set if q.kind == SEARCH_KIND else "off") for q in load_queries()]
    qs = [q for q in qs if q[2] != "off" or True]
    qs = [q for q in qs if q[1] or q[2] == "off"]
    kinds = {q.query: q.kind for q in load_queries()}
    qs = [q for q in qs if kinds[q[0]] in (SEARCH_KIND, OFF_TOPIC_KIND)]
    qs += [(t, (), "off2") for t in HELD_OUT_OFF_TOPIC]
    surfaces: dict[str, dict[str, int]] = {}
    for e in index.entries:
        for part in [e.term, *(e.aliases or ()), *(e.tags or ()), e.definition] + (
            [e.acronym] if e.acronym else []
        ):
            for w in words(part):
                if w in STOP_WORDS or not w.isalpha() or len(w) < 3:
                    continue
                st = stem(w)
                if index.posting(st) is None:
                    continue
                surfaces.setdefault(st, {}).setdefault(w, 0)
                surfaces[st][w] += 1
    vocab = sorted(surfaces)
    vocab_vecs = semantic.embed_texts([max(surfaces[v], key=surfaces[v].get) for v in vocab])
    out = []
    for text, expect, group in qs:
        qwords = [w for w in dict.fromkeys(words(text)) if w not in STOP_WORDS]
        expanded = {}
        if qwords:
            wv = semantic.embed_texts(qwords) @ vocab_vecs.T
            for k, tau in itertools.product((1, 3, 5, -1, -3), (0.4, 0.5, 0.6)):
                acc = np.zeros(n)
                for i, w in enumerate(qwords):
                    own = stem(w)
                    if k < 0 and index.posting(own) is not None:
                        continue
                    order = np.argsort(-wv[i])
                    taken = 0
                    for j in order:
                        if wv[i, j] < tau or taken >= abs(k):
                            break
                        if vocab[j] == own:
                            continue
                        taken += 1
                        p = index.posting(vocab[j])
                        for d, imp in zip(p.docs, p.impacts, strict=True):
                            acc[d] += wv[i, j] * imp
                expanded[(k, tau)] = acc
        else:
            expanded = {
                (k, tau): np.zeros(n) for k, tau in itertools.product((1, 3, 5, -1, -3), (0.4, 0.5, 0.6))
            }
        q = Query(index, text, None, fuzzy=len(text.split()) <= SEARCH_FUZZY_WORDS)
        decided = dict(names.decided(q, None))
        near = dict(names.near(q, None))
        raw = np.zeros(n)
        for d, s in bm25(index, text, None, None, relative=False):
            raw[d] = s
        qv = semantic.embed_query(text)
        cos = {name: m @ qv for name, m in mats.items()}
        sc = sent_mat @ qv
        best = np.full(n, -1.0)
        np.maximum.at(best, sent_doc_arr, sc)
        cos["sentmax"] = best
        cos["sent-or-main"] = np.maximum(best, cos["main"])
        cos["centered"] = cos["main"] - cos["main"].mean() + 0.1
        qc = semantic.embed_texts([content(text) or text])[0]
        cos["content"] = mats["main-content"] @ qc
        cos["content-main"] = mats["main"] @ qc
        toks = list(dict.fromkeys(search_tokens(text)))
        cover = np.zeros(n)
        total = 0.0
        for t in toks:
            p = index.posting(t)
            df = len(p.docs) if p is not None else 0
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            total += idf
            if p is not None:
                for d in p.docs:
                    cover[d] += idf
        if total:
            cover /= total
        served = np.zeros(n)
        for token, weight in near_words.neighbours(q).items():
            p = index.posting(token)
            for d, imp in zip(p.docs, p.impacts, strict=True):
                served[d] += weight * imp
        expanded["served"] = served
        out.append(Features(text, expect, group, decided, near, raw, cos, cover, qv, expanded))
    global MAIN
    MAIN = mats["main"]
    return out, ids


MAIN = None


def prf(base, m=3, beta=0.5, wc=0.5, c0=0.1):
    def score(f):
        s = base(f)
        top = np.argsort(-s)[:m]
        q2 = f.qv + beta * MAIN[top].mean(axis=0)
        q2 /= np.linalg.norm(q2)
        c2 = MAIN @ q2
        c = f.cos["main"]
        return s - np.where(c >= c0, wc * (c - c0), 0) + np.where(c2 >= c0, wc * (c2 - c0), 0)

    return score


def evaluate(feats: list[Features], ids: list[str], score: Callable[[Features], np.ndarray]) -> dict:
    stats: dict = {}
    tops: dict[str, list[float]] = {"plain-words": [], "questions": [], "off": [], "off2": []}
    for g in ("plain-words", "questions"):
        stats[g] = {"n": 0, "r1": 0, "r5": 0, "mrr": 0.0}
    for f in feats:
        s = score(f)
        order = sorted(range(len(ids)), key=lambda d: (-s[d], d))[:LIMIT]
        order = [d for d in order if s[d] > 0]
        top = min(1.0, s[order[0]]) if order else 0.0
        tops[f.group].append(round(top, 3))
        if f.group in stats:
            st = stats[f.group]
            rank = next((i + 1 for i, d in enumerate(order) if ids[d] in f.expect), 0)
            st["n"] += 1
            st["r1"] += rank == 1
            st["r5"] += 1 <= rank <= 5
            st["mrr"] += 1 / rank if rank else 0
    on = tops["plain-words"] + tops["questions"]
    res = {}
    for g in ("plain-words", "questions"):
        st = stats[g]
        res[g] = (st["r1"] / st["n"], st["r5"] / st["n"], st["mrr"] / st["n"])
    res["below"] = sum(t <= max(tops["off"]) for t in on)
    res["below2"] = sum(t <= max(tops["off2"]) for t in on)
    res["max_off"] = max(tops["off"])
    res["max_off2"] = max(tops["off2"])
    res["min_on"] = min(on)
    return res


def linear(
    wb=0.55,
    kb=1.5,
    wc=0.5,
    c0=0.1,
    text="main",
    second=None,
    w2=0.0,
    mode="max",
    both=0.0,
    cov=0.0,
    gate=1.0,
    c1=0.3,
    covpow=0.0,
    exp=None,
    we=0.0,
    merge=True,
    agree=0.0,
    agree_k=3,
) -> Callable[[Features], np.ndarray]:
    def score(f: Features) -> np.ndarray:
        s = _score(f)
        if agree:
            bm_top = np.argsort(-f.raw, kind="stable")[:agree_k]
            cos_top = set(np.argsort(-f.cos[text], kind="stable")[:agree_k].tolist())
            for d in bm_top.tolist():
                if d in cos_top and f.raw[d] > 0:
                    s[d] += agree
        return s

    def _score(f: Features) -> np.ndarray:
        if exp is not None and merge:
            raw = f.raw + we * f.expanded[exp]
            bm = raw / (raw + kb)
        else:
            bm = f.raw / (f.raw + kb)
            if exp is not None:
                e = f.expanded[exp]
                bm = bm + we * e / (e + kb)
        if gate < 1.0:
            bm = bm * (gate + (1 - gate) * np.clip(f.cos[text] / c1, 0, 1))
        if covpow:
            bm = bm * f.cover**covpow
        c = f.cos[text]
        if second is not None:
            c2 = f.cos[second]
            c = np.maximum(c, c2) if mode == "max" else (1 - w2) * c + w2 * c2
        sem = np.where(c >= c0, wc * (c - c0), 0.0)
        s = wb * bm + sem
        if both:
            s = s + both * np.sqrt(bm * np.clip(c - c0, 0, None))
        if cov:
            s = s + cov * f.cover
        for d, v in f.decided.items():
            s[d] += 1.0 + 0.1 * v
        for d, v in f.near.items():
            s[d] += 0.5 * v
        return s

    return score


def fmt(res: dict) -> str:
    cells = " | ".join("{:.3f} / {:.3f} / {:.3f}".format(*res[g]) for g in ("plain-words", "questions"))
    return f"{cells} | {res['below']} ({res['max_off']:.3f}) | {res['below2']} ({res['max_off2']:.3f})"


def field_weight_grid(feats: list[Features], ids: list[str]) -> None:
    """Rebuild the index with other BM25F field weights; replay the served fusion over its raw sums."""
    import ai_glossary_mcp.data.index as index_module

    base = dict(index_module.FIELD_WEIGHTS)
    grid = [
        {"term": 5.0, "names": 3.5, "tags": 1.5, "definition": 1.0, "extra": 0.5},
        {"term": 3.0, "names": 2.0, "tags": 1.5, "definition": 1.0, "extra": 0.5},
        {"term": 2.0, "names": 1.5, "tags": 1.0, "definition": 1.0, "extra": 0.5},
        {"term": 5.0, "names": 3.5, "tags": 1.5, "definition": 2.0, "extra": 0.5},
        {"term": 8.0, "names": 5.0, "tags": 1.5, "definition": 1.0, "extra": 0.5},
        {"term": 5.0, "names": 3.5, "tags": 0.5, "definition": 1.0, "extra": 0.5},
        {"term": 5.0, "names": 3.5, "tags": 3.0, "definition": 1.0, "extra": 0.5},
        {"term": 5.0, "names": 1.5, "tags": 1.5, "definition": 1.0, "extra": 0.5},
        {"term": 5.0, "names": 3.5, "tags": 1.5, "definition": 1.0, "extra": 0.0},
    ]
    for weights in grid:
        index_module.FIELD_WEIGHTS.clear()
        index_module.FIELD_WEIGHTS.update(weights)
        index = default_service().index
        for f in feats:
            f.raw = np.zeros(len(ids))
            for d, sc in bm25(index, f.query, None, None, relative=False):
                f.raw[d] = sc
        for kb in (1.5, 2.5):
            print(f"| fields {weights} kb={kb} |", fmt(evaluate(feats, ids, linear(kb=kb))), "|")
    index_module.FIELD_WEIGHTS.clear()
    index_module.FIELD_WEIGHTS.update(base)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--fields", action="store_true")
    args = parser.parse_args()
    feats, ids = features(default_service())
    print("| fusion | plain-words r@1 / r@5 / MRR | questions r@1 / r@5 / MRR | below (max off) | held-out |")
    print("|---|---|---|---|---|")
    print("| before (text + meaning + names) |", fmt(evaluate(feats, ids, linear())), "|")
    print("| + near words (replayed) |", fmt(evaluate(feats, ids, linear(exp=(-1, 0.5), we=1.0))), "|")
    print("| + near words (served module) |", fmt(evaluate(feats, ids, linear(exp="served", we=1.0))), "|")
    if args.fields:
        field_weight_grid(feats, ids)
        return
    if not args.grid:
        return
    for text in TEXTS:
        print(f"| cos text={text} |", fmt(evaluate(feats, ids, linear(text=text))), "|")
    for text in ("content", "content-main", "sentmax", "sent-or-main", "centered"):
        print(f"| cos query content, text={text} |", fmt(evaluate(feats, ids, linear(text=text))), "|")
    for wb, kb, wc, c0 in itertools.product(
        [0.45, 0.55, 0.65], [1.0, 1.5, 2.5], [0.4, 0.5, 0.6, 0.8], [0.1, 0.15, 0.2]
    ):
        r = evaluate(feats, ids, linear(wb=wb, kb=kb, wc=wc, c0=c0))
        print(f"| wb={wb} kb={kb} wc={wc} c0={c0} |", fmt(r), "|")
    for both, cov in itertools.product([0, 0.1, 0.2, 0.4], [0, 0.1, 0.2, 0.3]):
        r = evaluate(feats, ids, linear(both=both, cov=cov))
        print(f"| both={both} cov={cov} |", fmt(r), "|")
    for agree, agree_k in itertools.product((0.05, 0.1, 0.15, 0.2), (1, 2, 3, 5)):
        r = evaluate(feats, ids, linear(exp=(-1, 0.5), we=1.0, agree=agree, agree_k=agree_k))
        print(f"| near words + agree={agree} k={agree_k} |", fmt(r), "|")
    for m, beta in itertools.product((1, 3, 5), (0.25, 0.5, 1.0)):
        r = evaluate(feats, ids, prf(linear(), m, beta))
        print(f"| prf m={m} beta={beta} |", fmt(r), "|")
        r = evaluate(feats, ids, prf(linear(exp=(3, 0.4), we=0.5), m, beta))
        print(f"| prf+exp m={m} beta={beta} |", fmt(r), "|")
    for k, tau, we in itertools.product((-1, -3), (0.4, 0.5, 0.6), (0.5, 0.75, 1.0, 1.5)):
        r = evaluate(feats, ids, linear(exp=(k, tau), we=we))
        print(f"| unknown words k={-k} tau={tau} we={we} |", fmt(r), "|")
    for k, tau, we, kb, wc in itertools.product(
        (1, 3, -1, -3), (0.4, 0.5), (0.5, 0.75), (1.5, 2.5), (0.4, 0.5, 0.6)
    ):
        r = evaluate(feats, ids, linear(exp=(k, tau), we=we, kb=kb, wc=wc))
        print(f"| expand2 k={k} tau={tau} we={we} kb={kb} wc={wc} |", fmt(r), "|")
    for k, tau, we, merge in itertools.product((1, 3, 5), (0.4, 0.5, 0.6), (0.25, 0.5, 1.0), (True, False)):
        r = evaluate(feats, ids, linear(exp=(k, tau), we=we, merge=merge))
        print(f"| expand k={k} tau={tau} we={we} merge={merge} |", fmt(r), "|")
    for gate, c1, wb, wc in itertools.product(
        [0.0, 0.25, 0.5], [0.2, 0.3, 0.4], [0.55, 0.7, 0.85], [0.4, 0.5]
    ):
        r = evaluate(feats, ids, linear(gate=gate, c1=c1, wb=wb, wc=wc))
        print(f"| gate={gate} c1={c1} wb={wb} wc={wc} |", fmt(r), "|")
    for covpow, wb in itertools.product([0.25, 0.5, 1.0], [0.55, 0.7, 0.85, 1.0]):
        r = evaluate(feats, ids, linear(covpow=covpow, wb=wb))
        print(f"| covpow={covpow} wb={wb} |", fmt(r), "|")
    for second, mode, w2 in itertools.product(
        ["first", "names", "aliases", "notes", "defonly"], ["max", "sum"], [0.3, 0.5]
    ):
        if mode == "max" and w2 != 0.3:
            continue
        r = evaluate(feats, ids, linear(second=second, mode=mode, w2=w2))
        print(f"| main + {second} {mode} {w2} |", fmt(r), "|")


if __name__ == "__main__":
    main()


def diagnose() -> None:
    feats, ids = features(default_service())
    score = linear()
    for f in feats:
        if f.group not in ("plain-words", "questions"):
            continue
        s = score(f)
        order = sorted(range(len(ids)), key=lambda d: (-s[d], d))
        rank = next(i + 1 for i, d in enumerate(order) if ids[d] in f.expect)
        if rank == 1:
            continue
        rb = sorted(range(len(ids)), key=lambda d: -f.raw[d])
        rc = sorted(range(len(ids)), key=lambda d: -f.cos["main"][d])
        best = [d for d in range(len(ids)) if ids[d] in f.expect]
        b = min(best, key=lambda d: order.index(d))
        top, cos = order[0], f.cos["main"]
        print(
            f"{f.group[:5]} r{rank} bm25 r{rb.index(b) + 1} cos r{rc.index(b) + 1}"
            f" ({cos[b]:.2f} vs {cos[top]:.2f}) raw {f.raw[b]:.1f} vs {f.raw[top]:.1f}"
            f" top={ids[top]} :: {f.query}"
        )


def low_scores(score=None, below=0.5) -> None:
    feats, ids = features(default_service())
    score = score or linear()
    for f in feats:
        s = score(f)
        top = int(np.argmax(s))
        if s[top] > below:
            continue
        cos = f.cos["main"]
        print(
            f"{f.group[:5]:5} {s[top]:.3f} raw {f.raw[top]:4.1f} cos {cos[top]:.2f} cover {f.cover[top]:.2f}"
            f" maxcos {cos.max():.2f} {ids[top]:>22} :: {f.query}"
        )
