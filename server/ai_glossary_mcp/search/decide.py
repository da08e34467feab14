"""Decide what a name means: one entry, an instance of one, a tie between several, or nothing.

Resolution is a pipeline of increasingly forgiving rules, and the first rule that fires wins: the raw
spelling (exact id/term, acronym, alias), then the matcher's name tiers (matcher.py: the normalised key,
the joined key), then an instance's name (its concept is not it: not found, the concept suggested), then
the matcher's stemmed tier, then a name with generic words around it (matcher.with_modifiers), a bare
head word (the entries it heads, most general first: a tie or a suggestion, never a match), then
typo-level fuzzy matching (fuzzy.py scores, typos.py accepts). A looser tier that names several entries is
a tie ("ambiguous"); the fuzzy winner must beat the best candidate for any other entry by FUZZY_MARGIN.
Suggestions for a miss are added by resolve.py, which fuses them; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.search.fuzzy import FUZZY_MARGIN, Scored, fuzzy_scores, typo_reachable
from ai_glossary_mcp.search.matcher import headed_by, match_words, stem_word, with_modifiers
from ai_glossary_mcp.search.normalize import fold, name_key

AMBIGUOUS_SHOWN = 5  # a tie lists the best candidate and at most four rivals
# How sure a looser tier is (reported as a "normalized" match: the kinds are the tool's output contract).
TIER_SCORES = {"stemmed": 0.95, "modified": 0.9, "head": 0.8}


@dataclass(frozen=True)
class Resolution:
    entry: Entry | None
    kind: str | None = None
    score: float = 0.0
    ambiguous: tuple[tuple[Entry, float], ...] = ()
    suggestions: tuple[tuple[Entry, float], ...] = ()
    example_of: Entry | None = None  # the query names an instance of this entry (its `examples:`), not it


def decide(index: IndexView, query: str, fuzzy: bool = True) -> tuple[Resolution, Scored | None]:
    """The resolution of a (validated) name, without suggestions beyond a tie's candidates and an
    instance's concept; and the fuzzy candidates' similarities when fuzzy matching ran (suggestions
    reuse them), else None."""
    by_id = index.glossary.by_id
    raw = index.raw_names.get(fold(query).strip())
    if raw is not None:
        return Resolution(by_id[raw.entry_id], raw.kind, 1.0), None
    key = name_key(query)
    if not key:
        return Resolution(None), None
    key_words = key.split()
    hit = match_words(index, key_words)
    if hit is not None and hit.tier != "stemmed":
        return Resolution(by_id[hit.ids[0]], "normalized", 1.0), None
    owner = index.example_of.get(key.replace(" ", ""))
    if owner is not None:  # an instance is not its concept: not found, its concept suggested first
        return Resolution(None, suggestions=((by_id[owner], 1.0),), example_of=by_id[owner]), None
    if hit is None and len(key_words) > 1 and not query.rstrip().endswith("+"):  # "LoRA+" succeeds LoRA
        hit = with_modifiers(index, key_words)
    if hit is not None:
        score = TIER_SCORES[hit.tier]
        bare = len(key_words) == 1 and stem_word(key) == key  # "token": a word, not an inflected name
        if hit.entry_id is not None and not bare:
            return Resolution(by_id[hit.entry_id], "normalized", score), None
        ties = tuple((by_id[eid], score) for eid in hit.ids[:AMBIGUOUS_SHOWN])
        return Resolution(None, ambiguous=ties, suggestions=ties), None
    if len(key_words) == 1 and (heads := headed_by(index, key)):  # a bare head word: never a guess
        headed = tuple((by_id[eid], TIER_SCORES["head"]) for eid in heads[:AMBIGUOUS_SHOWN])
        if len(headed) > 1:
            return Resolution(None, ambiguous=headed, suggestions=headed), None
        return Resolution(None, suggestions=headed), None
    if not fuzzy or not typo_reachable(index, key):
        return Resolution(None), None
    accepted, seen = fuzzy_scores(index, key, decisive_only=True, typed=query)
    ranked = accepted.ranked()
    if ranked:
        best_id, best = ranked[0]
        rivals = [(eid, s) for eid, s in seen.ranked() if eid != best_id and s > best - FUZZY_MARGIN]
        if rivals:
            tied = [(by_id[best_id], best / 100)] + [
                (by_id[eid], s / 100) for eid, s in rivals[: AMBIGUOUS_SHOWN - 1]
            ]
            return Resolution(None, ambiguous=tuple(tied), suggestions=tuple(tied)), seen
        return Resolution(by_id[best_id], "fuzzy", round(best / 100, 3)), seen
    return Resolution(None), seen
