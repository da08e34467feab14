"""Fuzzy name scores: how close a query's key is to each candidate name key (rapidfuzz), and which
candidates typos.py accepts as the name misspelt.

`fuzzy_scores` gives two tallies per entry on rapidfuzz's 0-100 scale: the accepted matches (resolve
decides among them) and every candidate's similarity (the rivals a winner must beat by FUZZY_MARGIN, and
the raw material of suggestions and completions). rapidfuzz is imported on the first fuzzy lookup: a
start needs none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.search.candidates import candidate_keys
from ai_glossary_mcp.search.confusables import confusables
from ai_glossary_mcp.search.typos import (
    FUZZY_MIN_RATIO,
    LETTERS_PER_EDIT,
    NearMiss,
    TypedWords,
    fuzzy_accepts,
)

FUZZY_MARGIN = 4.0  # winner must beat the best other entry by this many points


@dataclass
class Scored:
    """The best score seen per entry id; ranked best first, ties by id."""

    best: dict[str, float] = field(default_factory=dict)

    def add(self, entry_id: str, score: float) -> None:
        if score > self.best.get(entry_id, -1.0):
            self.best[entry_id] = score

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.best.items(), key=lambda kv: (-kv[1], kv[0]))


def typo_reachable(index: IndexView, key: str) -> bool:
    """Whether any name could be `key` misspelt: not when it is longer than every name by two words."""
    return bool(key) and key.count(" ") <= index.max_name_words


@lru_cache(maxsize=1)
def _rapidfuzz() -> tuple[ModuleType, ModuleType, ModuleType]:
    """rapidfuzz's process, fuzz and OSA modules, imported on the first fuzzy lookup (a start needs none of
    them) and then kept: an import statement in the per-query functions costs a microsecond each time."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import OSA

    return process, fuzz, OSA


def similarities(query: str, choices: list[str], scorer: Callable[..., float]) -> list[float]:
    """scorer(query, choice) for every choice, computed in rapidfuzz's C++ loop."""
    process = _rapidfuzz()[0]
    out = [0.0] * len(choices)
    for _, score, i in process.extract(query, choices, scorer=scorer, processor=None, limit=None):
        out[i] = score
    return out


def fuzzy_scores(
    index: IndexView, query_key: str, decisive_only: bool = False, typed: str | None = None
) -> tuple[Scored, Scored]:
    """(accepted fuzzy matches, candidate similarities) per entry, 0-100, for the key of the query `typed`
    (default: the key itself). Candidates close in length are
    scored first. With `decisive_only` (resolve), once a match is accepted the others are scored only if
    they could still matter, i.e. come within FUZZY_MARGIN of it: a candidate's similarity is capped by
    its length alone, and its 0.9 x token_set_ratio by 90, so when the best is 94 or more a candidate whose
    length caps it below the rival line is skipped, and the answer (entry, score, rivals) is unchanged."""
    accepted, seen = Scored(), Scored()
    ids = candidate_keys(index, query_key)
    if not ids:
        return accepted, seen
    letters = len(query_key) - query_key.count(" ")
    lengths = index.key_lengths
    by_gap = sorted([(abs(lengths[k] - letters), k) for k in ids])  # closest in length first, then by key id
    near_gap = max(3, letters // 4)
    near = [k for gap, k in by_gap if gap <= near_gap]
    far = [k for _, k in by_gap[len(near) :]]
    typed_words = TypedWords(typed if typed is not None else query_key)
    _score_candidates(index, query_key, near, accepted, seen, typed_words)
    if far and decisive_only and accepted.best:
        rival_line = max(accepted.best.values()) - FUZZY_MARGIN
        if rival_line >= 90:
            far = [k for k in far if _ratio_cap(query_key, letters, lengths[k]) > rival_line]
    _score_candidates(index, query_key, far, accepted, seen, typed_words)
    return accepted, seen


def _ratio_cap(query_key: str, letters: int, key_letters: int) -> float:
    """The highest fuzz.ratio(query_key, key) can be for a key of `key_letters` letters: ratio is
    100 * (1 - indel distance / total length); the distance is at least the difference in letters (spaces
    aside), and a key of n letters is at most 2n - 1 characters long (words joined by single spaces)."""
    return 100.0 * (1.0 - abs(letters - key_letters) / (len(query_key) + max(1, 2 * key_letters - 1)))


def _score_candidates(
    index: IndexView,
    query_key: str,
    key_ids: list[int],
    accepted: Scored,
    seen: Scored,
    typed_words: TypedWords,
) -> None:
    if not key_ids:
        return
    _, fuzz, OSA = _rapidfuzz()
    candidates = index.keys_at(key_ids)
    keys = [key for key, _ in candidates]
    ratios = similarities(query_key, keys, fuzz.ratio)
    token_ratios = similarities(query_key, keys, fuzz.token_set_ratio)
    # Edit distance on the space-free keys: "kvcache" is one edit from "kv cache", not two.
    distances = similarities(query_key.replace(" ", ""), [key.replace(" ", "") for key in keys], OSA.distance)
    # No accepting rule allows more edits than this, or a lower ratio than FUZZY_MIN_RATIO.
    most_edits = max(1, len(query_key.replace(" ", "")) // LETTERS_PER_EDIT)
    table = confusables(index)

    def rival_of(key: str, entry_id: str) -> Callable[[], bool]:
        return lambda: table.has_rival(key, entry_id)

    best_seen = seen.best  # Scored.add inlined: this loop runs for every candidate of every fuzzy lookup
    for (key, nk), ratio, token_ratio, distance in zip(
        candidates, ratios, token_ratios, distances, strict=True
    ):
        similarity = max(ratio, token_ratio * 0.9)
        if similarity > best_seen.get(nk.entry_id, -1.0):
            best_seen[nk.entry_id] = similarity
        if (distance <= most_edits or ratio >= FUZZY_MIN_RATIO) and fuzzy_accepts(
            NearMiss(
                query_key,
                key,
                nk.kind,
                ratio,
                int(distance),
                typed_words,
                nk.text,
                rival_of(key, nk.entry_id),
            )
        ):
            accepted.add(nk.entry_id, ratio)
