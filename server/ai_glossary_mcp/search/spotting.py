"""Shaping text around names: the snippet a search hit shows, and the glossary names found in free text.

Both read definitions and texts with the same analyzer as the index (normalize.py): a snippet's sentence is
chosen by shared stemmed words, and a spotted name is matched on the key words its entry was indexed by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.index import Surface
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.search.normalize import fold, is_article, key_word, search_tokens

_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")


@lru_cache(maxsize=2048)
def _sentences(definition: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """A definition's sentences with their stemmed words (cached: the same hits come back often)."""
    sentences = [s.strip() for s in _SENTENCE.findall(definition) if s.strip()] or [definition]
    return tuple((s, frozenset(search_tokens(s))) for s in sentences)


def snippet(entry: Entry, query: str, width: int = 220, wanted: set[str] | None = None) -> str:
    """The definition sentence sharing the most stemmed words with the query (the first on ties);
    `wanted` is the query's search tokens, when the caller has them already."""
    wanted = set(search_tokens(query)) if wanted is None else wanted
    best, most = "", -1
    for sentence, tokens in _sentences(entry.definition):
        shared = len(wanted & tokens)
        if shared > most:
            best, most = sentence, shared
    return best if len(best) <= width else best[: width - 3].rstrip() + "..."


# -- names in free text -------------------------------------------------------
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_JOIN_GAP = re.compile(r"(?:[\s\-‐‑–—_/]|\b(?:a|an|the)\b)*", re.IGNORECASE)


@dataclass(frozen=True)
class Spot:
    entry_id: str
    start: int
    end: int


def _surface_matches(surface: Surface, found: str) -> bool:
    if not surface.case_sensitive:
        return True
    bare = re.sub(r"[\W_]+", "", found)
    want = re.sub(r"[\W_]+", "", surface.text)
    return bare == want or bare == want + "s"


def spot_names(index: IndexView, text: str) -> list[Spot]:
    """Every glossary name in `text`, longest match first, on word boundaries."""
    tokens = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    kept = [(s, e, key_word(fold(w))) for s, e, w in tokens if not is_article(fold(w))]
    # A name may span spaces, hyphens, slashes and dropped articles, never a comma or a full stop.
    joinable = [bool(_JOIN_GAP.fullmatch(text[kept[k][1] : kept[k + 1][0]])) for k in range(len(kept) - 1)]
    spots: list[Spot] = []
    i = 0
    while i < len(kept):
        matched = False
        longest = index.phrase_starts.get(kept[i][2], 0)  # no name starts with most words
        for length in range(min(longest, len(kept) - i), 0, -1):
            if length > 1 and not all(joinable[i : i + length - 1]):
                continue
            window = kept[i : i + length]
            surfaces = index.phrases.get(tuple(w for _, _, w in window))
            if not surfaces:
                continue
            start, end = window[0][0], window[-1][1]
            found = text[start:end]
            hits = [s for s in surfaces if _surface_matches(s, found)]
            if hits:
                spots.append(Spot(hits[0].entry_id, start, end))
                i += length
                matched = True
                break
        if not matched:
            i += 1
    return spots


def definition_mentions(index: IndexView, entry: Entry) -> list[str]:
    """Ids of other entries named in this entry's definition, in order of first mention."""
    return list(
        dict.fromkeys(s.entry_id for s in spot_names(index, entry.definition) if s.entry_id != entry.id)
    )
