"""Shaping text around names: the snippet a search hit shows, and the glossary names found in free text.

Both read definitions and texts with the same analyzer as the index (normalize.py): a snippet's sentence is
chosen by shared stemmed words, and a spotted name is matched by the name matcher's tiers (matcher.py) on
windows of the text's key words, longest first, so a span is a mention exactly when define_term would
resolve it by a name tier, or by beginning a name whose rest is generic ("mixed precision"). Text has
guards a query does not need: code, product names, compounds, a begun name the text goes on differently.
And text has context a query lacks: a bare word the glossary treats as a category ("loss": "DPO loss", "KTO
loss", "loss function") is that category's entry in a text that names one of its kinds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.index import Surface
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.search.english_words import is_english_word
from ai_glossary_mcp.search.matcher import (
    is_generic,
    match_words,
    name_begun_by,
    stem_word,
    stemmed_ids,
)
from ai_glossary_mcp.search.normalize import STOP_WORDS, fold, is_article, key_word, search_tokens

_T = TypeVar("_T")
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
    """A short acronym must be written in its case ("RAG", not "rag", "MoE", not "moe"), unless it holds a
    digit ("fp8", "bf16"): no word does, so case has nothing to tell apart."""
    if not surface.case_sensitive:
        return True
    bare = re.sub(r"[\W_]+", "", found)
    want = re.sub(r"[\W_]+", "", surface.text)
    if bare.lower() in (want.lower(), want.lower() + "s") and any(ch.isdigit() for ch in want):
        return True
    return bare == want or bare == want + "s"


# Code is not prose: a fenced block or an inline `span` is blanked out, and a name that is part of an
# identifier (snake_case, dotted.names, a name called with "(") is not a mention, so "tokenizer_args" or
# "torch.nn.Transformer" mention nothing.
_BACKTICKS = re.compile(r"```.*?(?:```|\Z)|`[^`\s]*`", re.S)
_LINE_OR_SENTENCE_START = re.compile(r"(?:^|[\n.!?:;|*#>(\[\"'])[^\w\n.!?:;|*#>(\[\"']*\Z")


def _blank(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def _in_identifier(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is joined to an identifier by "_" or ".", or is called with "(" (checked only
    where a name was found: a regex over the whole passage would cost more than the spotting)."""
    if "_" in text[start:end] or (start >= 2 and text[start - 1] in "_." and text[start - 2].isalnum()):
        return True
    after = text[end : end + 2]
    return after[:1] in ("_", "(") or (after[:1] == "." and after[1:].isalnum())


def _proper_noun(text: str, start: int, end: int) -> bool:
    """A one-word common noun written Capitalised after a lower-case word ("integrated with Transformers")
    is a product's name, not the concept: sentences, lines and titles are capitalised, prose is not."""
    found = text[start:end]
    if not (found[0].isupper() and found[1:].islower()) or not is_english_word(found.lower()):
        return False
    before = text[max(0, start - 80) : start]
    if _LINE_OR_SENTENCE_START.search(before):
        return False
    previous = [w for w in _WORD.findall(before) if w.lower() not in STOP_WORDS]  # title case: "for", "at"
    return bool(previous) and previous[-1][0].islower()


_HYPHENS = ("-", "‐", "‑")


def _compound(text: str, start: int, end: int) -> tuple[int, int]:
    """The hyphen-joined compound a spot sits in ("encoder-decoder"): its bounds in `text`."""
    while start > 0 and (text[start - 1].isalnum() or (text[start - 1] in "-‐‑" and start > 1)):
        start -= 1
    while end < len(text) and (text[end].isalnum() or (text[end] in "-‐‑" and end + 1 < len(text))):
        end += 1
    return start, end


def _one_concept_per_compound(text: str, spots: list[Spot]) -> list[Spot]:
    """A compound of two concepts ("encoder-decoder") is a third, not either: spots that share a
    hyphen-joined compound with a spot of another entry, none covering it whole, are dropped."""
    groups: dict[tuple[int, int], list[Spot]] = {}
    for spot in spots:
        if text[spot.start - 1 : spot.start] in _HYPHENS or text[spot.end : spot.end + 1] in _HYPHENS:
            groups.setdefault(_compound(text, spot.start, spot.end), []).append(spot)
    dropped = {
        id(s) for bounds, group in groups.items() if len({g.entry_id for g in group}) > 1 for s in group
    }
    return [s for s in spots if id(s) not in dropped]


def _begun_name(
    index: IndexView, key_words: list[str], joinable: list[bool], i: int, length: int
) -> str | None:
    """The entry a span of 2+ words names by beginning its name, when the rest of that name is generic
    ("mixed precision" for "mixed precision training": define_term resolves it so too). In text two more
    things must hold: the span does not end in a generic word, which makes a phrase of its own ("base model"
    is not "base model training"), and the text does not go on with another content word, which makes
    another name ("time to first byte" is not "time to first token")."""
    end = i + length
    if end < len(key_words) and joinable[end - 1] and key_words[end] not in STOP_WORDS:
        return None
    span = tuple(key_words[i:end])
    return _remembered(index, ("begun", *span), lambda: _begun_entry(index, span))


def _begun_entry(index: IndexView, span: tuple[str, ...]) -> str | None:
    found = name_begun_by(index, span)
    if found is None or found.entry_id is None or is_generic(index, span[-1]):
        return None
    return found.entry_id


# A bare word in text ("the loss") is no name, and define_term answers it with a tie or a suggestion: a
# query has no context. A text has. The glossary shows a word is a category when several entries have a name
# made of one of their own names and the word ("DPO loss", "KTO loss", "IPO loss": each method's loss) and
# one other entry names the category itself (a two-word name of the word and a word that is no name: "loss
# function"). In a text that names one of those kinds and says the word more than once, the bare word is
# that entry.
CATEGORY_KINDS = 2  # entries that name their own kind of the word
BARE_WORD_REPEATS = 2  # a word a text says once is not what it is about


# What spotting works out from the glossary alone (a begun name's entry, a word's category) is remembered per
# index object, so a glossary served anew is read anew; the words are the client's, so the memo is bounded, in
# keys and in their length (as the store's caches are).
MEMO_KEPT = 4096
MEMO_KEY_CHARS = 100
# One memo per kind of question and index: a client's junk spans fill the "begun" memo, never the
# "category" one, whose words are few (English words of the served names).
_MEMOS: WeakKeyDictionary[IndexView, dict[str, dict[tuple[str, ...], Any]]] = WeakKeyDictionary()


def _remembered(index: IndexView, key: tuple[str, ...], compute: Callable[[], _T]) -> _T:
    memos = _MEMOS.get(index)
    if memos is None:
        memos = _MEMOS[index] = {}
    memo = memos.get(key[0])
    if memo is None:
        memo = memos[key[0]] = {}
    if key in memo:
        return cast(_T, memo[key])
    found = compute()
    if len(memo) < MEMO_KEPT and sum(map(len, key)) <= MEMO_KEY_CHARS:
        memo[key] = found
    return found


def _category_entry(index: IndexView, word: str) -> tuple[str, frozenset[str]] | None:
    """The entry that names the category a bare word is, and the entries that name their kind of it."""
    return _remembered(index, ("category", word), lambda: _find_category(index, word))


def _find_category(index: IndexView, word: str) -> tuple[str, frozenset[str]] | None:
    if len(word) < 3 or word in STOP_WORDS or not is_english_word(word):
        return None
    if index.phrase_starts.get(word, 0) < 2 or is_generic(index, word):  # cheap: no "<word> ..." name
        return None  # names the category, or the glossary uses the word too widely for it to name one
    own: set[str] = set()
    kinds: set[str] = set()
    for key, nk in index.keys_at(list(index.word_postings([word]).get(word, ()))):
        parts = key.split()
        if len(parts) != 2 or word not in parts:
            continue
        named = match_words(index, [parts[1] if parts[0] == word else parts[0]])
        if parts[1] == word and named is not None and named.entry_id == nk.entry_id:
            kinds.add(nk.entry_id)
        elif parts[0] == word and named is None:
            own.add(nk.entry_id)
    own -= kinds
    if len(own) != 1 or len(kinds) < CATEGORY_KINDS:
        return None
    return next(iter(own)), frozenset(kinds)


def _category_words(
    index: IndexView, text: str, spots: list[Spot], bare: list[tuple[int, int, str, str]]
) -> list[Spot]:
    """`spots` with the bare words of prose (start, end, key word, stem) that stand for their category's
    entry in this text (see above), in text order."""
    named = {s.entry_id for s in spots}
    categories: dict[tuple[str, str], str] = {}
    for kw, st in {(kw, st) for _, _, kw, st in bare}:  # "losses" folds to "losse": its stem is "loss"
        category = _category_entry(index, kw) or (_category_entry(index, st) if st != kw else None)
        if category is not None and named & category[1]:
            categories[kw, st] = category[0]
    if not categories:
        return spots
    prose = [
        Spot(categories[kw, st], start, end)
        for start, end, kw, st in bare
        if (kw, st) in categories
        and not _in_identifier(text, start, end)
        and not _proper_noun(text, start, end)
    ]
    said = Counter(spot.entry_id for spot in prose)
    found = [spot for spot in prose if said[spot.entry_id] >= BARE_WORD_REPEATS]
    return sorted(spots + found, key=lambda s: s.start) if found else spots


def spot_names(index: IndexView, text: str) -> list[Spot]:
    """Every glossary name in `text`, longest match first, on word boundaries, by the matcher's tiers
    (matcher.py): the name as written (short acronyms in their case), then its stemmed forms."""
    prose = _BACKTICKS.sub(_blank, text) if "`" in text else text  # offsets stay those of `text`
    phrase_starts, stem_starts = index.phrase_starts, index.stem_starts
    seen: dict[str, tuple[str, str, int, int] | None] = {}  # a passage repeats its words: each is read once
    kept: list[tuple[int, int, tuple[str, str, int, int]]] = []
    for m in _WORD.finditer(prose):
        w = m.group()
        if w in seen:
            word = seen[w]
        else:
            f = fold(w)
            kw = "" if is_article(f) else key_word(f)
            st = stem_word(kw)
            word = seen[w] = (kw, st, phrase_starts.get(kw, 0), stem_starts.get(st, 0)) if kw else None
        if word is not None:
            kept.append((m.start(), m.end(), word))
    # A name may span spaces, hyphens, slashes and dropped articles, never a comma or a full stop.
    joinable = [bool(_JOIN_GAP.fullmatch(text[kept[k][1] : kept[k + 1][0]])) for k in range(len(kept) - 1)]
    key_words = [w[2][0] for w in kept]
    stems = [w[2][1] for w in kept]
    spots: list[Spot] = []
    bare: list[tuple[int, int, str, str]] = []  # words that begin a name but none here
    i, n = 0, len(kept)
    while i < n:
        _, _, (_, _, literal, stemmed) = kept[i]
        longest = literal if literal > stemmed else stemmed  # no name starts with more words
        if not longest and i + 1 < n and text[kept[i][1] : kept[i + 1][0]] == "-":
            longest = stemmed = 2  # a hyphenated pair may be a joined name written apart ("Re-Rank")
        found_at = 0
        for length in range(min(longest, n - i), 0, -1):
            if length > 1 and not all(joinable[i : i + length - 1]):
                continue
            start, end = kept[i][0], kept[i + length - 1][1]
            entry_id = None
            if length <= literal:
                surfaces = index.phrases.get(tuple(key_words[i : i + length]))
                hits = [x for x in surfaces or () if _surface_matches(x, text[start:end])]
                entry_id = hits[0].entry_id if hits else None
            if entry_id is None and length <= stemmed:
                ids = stemmed_ids(index, key_words[i : i + length], stems[i : i + length])
                entry_id = ids[0] if len(ids) == 1 else None
            if entry_id is None and 1 < length < literal:
                entry_id = _begun_name(index, key_words, joinable, i, length)
            if entry_id is not None:
                if not _in_identifier(text, start, end) and (
                    length > 1 or not _proper_noun(text, start, end)
                ):
                    spots.append(Spot(entry_id, start, end))
                found_at = length
                break
        if not found_at and longest > 1 and kept[i][2][0].isalpha():  # it begins a name, not here
            bare.append((kept[i][0], kept[i][1], kept[i][2][0], kept[i][2][1]))
        i += found_at or 1
    return _one_concept_per_compound(text, _category_words(index, text, spots, bare) if bare else spots)


def definition_mentions(index: IndexView, entry: Entry) -> list[str]:
    """Ids of other entries named in this entry's definition, in order of first mention."""
    return list(
        dict.fromkeys(s.entry_id for s in spot_names(index, entry.definition) if s.entry_id != entry.id)
    )
