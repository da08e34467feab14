"""Typo acceptance: whether a query is a served name misspelt or another name (fuzzy.py asks, per candidate).

A confident wrong answer is worse than none, so a near miss is taken as a typo only when nothing says it is
another name. Three kinds of evidence say so, and every rule is a row of TYPO_RULES, read top to bottom, the
first row that applies deciding:
- the edit itself: a changed number, a capital letter added at the end of a mixed-case name (a variant's
  mark), a word added, replaced or given a prefix or suffix, or more letters changed than the length allows;
- the rival names: a name of SHORT_NAME letters or fewer, an acronym, or a served name that has another
  entry's name one edit away (confusables.py works that table out from the served glossary) forgives only
  swapped or doubled letters, since any other one-letter edit of it spells a name just as well;
- the English word list (english_words.py): a query word that is an English word is that word, not a
  misspelling of the name's word ("decider" is not "decoder"), unless it is the same word inflected, doubled
  or swapped ("bets of n").
tests/test_typos.py runs each row's example and checks that the row decides it, so a row cannot be added
without one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ai_glossary_mcp.search.english_words import is_english_word
from ai_glossary_mcp.search.normalize import key_word, stem, words

FUZZY_MIN_RATIO = 86.0  # a close spelling of a name of LETTERS_PER_EDIT+ letters (words still checked)
SHORT_NAME = 4  # names of at most this many letters (and acronyms) forgive only swapped or doubled letters
SHORT_ALIAS = 6  # aliases of at most this many letters match only as written (or normalised)
SHORT_WORD = 3  # words of at most this many letters, and names of at most this many, are never misspelt
LONG_WORD = 8  # words of this many letters or more forgive two edits, shorter ones one
LETTERS_PER_EDIT = 7  # a name forgives one edit per this many letters (at least one), or a close ratio
_NOT_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class Rule:
    """One row of TYPO_RULES: when it `applies`, the near miss is a typo if `accept`, else another name."""

    name: str
    applies: Callable[[NearMiss], bool]
    accept: bool
    reason: str
    example: tuple[str, str]  # (query as typed, served name as written) that this row decides


class NearMiss:
    """A query key against one candidate name key, with what the rules ask about the pair worked out once."""

    def __init__(
        self,
        query_key: str,
        key: str,
        kind: str,
        ratio: float,
        distance: int,
        typed_words: TypedWords,
        written: str,
        has_rival: Callable[[], bool],
    ) -> None:
        self.query_key, self.key, self.kind, self.ratio, self.distance = query_key, key, kind, ratio, distance
        self.typed_words, self.written, self.has_rival = typed_words, written, has_rival
        self.q, self.k = query_key.replace(" ", ""), key.replace(" ", "")
        self.shortest = min(len(self.q), len(self.k))
        self.query_words, self.key_words = query_key.split(), key.split()
        self.regrouped = len(self.query_words) != len(self.key_words)
        self._changed: list[tuple[str, str]] | None = None

    @property
    def changed_words(self) -> list[tuple[str, str]]:
        """(query word, key word) where they differ other than by inflection, when the word counts agree.
        Worked out on first use (not functools.cached_property: it takes a lock per object on Python 3.11)."""
        if self._changed is None:
            pairs = [] if self.regrouped else zip(self.query_words, self.key_words, strict=True)
            self._changed = [
                (said, meant) for said, meant in pairs if said != meant and not _inflected(said, meant)
            ]
        return self._changed


def _short_name(m: NearMiss) -> bool:
    return m.shortest <= SHORT_NAME or m.kind == "acronym" or m.has_rival()


def _close(m: NearMiss) -> bool:
    """A few edits for the length, or a close spelling of about the key's length ("tokenisaton")."""
    return m.distance <= max(1, m.shortest // LETTERS_PER_EDIT) or (
        m.shortest >= LETTERS_PER_EDIT
        and m.ratio >= FUZZY_MIN_RATIO
        and abs(len(m.q) - len(m.k)) <= max(2, m.shortest // 6)
    )


def _word_added(m: NearMiss) -> bool:
    """Words regrouped with more than one edit, or a short word of one side missing from the other joined:
    "kv cahce" splits "kvcahce", "kv x cache" adds x."""
    if m.distance > 1:
        return True
    longer, other = (m.query_words, m.k) if len(m.query_words) > len(m.key_words) else (m.key_words, m.q)
    return not all(w in other for w in longer if len(w) <= 2)


def _joined_real_word(m: NearMiss) -> bool:
    return bool(m.distance) and len(m.query_words) < len(m.key_words) and _real_word_in_joined(m)


def _split_outside_words(m: NearMiss) -> bool:
    """A real query word that is not within the key's words: "retraining" is not "pre training"."""
    english = m.typed_words.english_form
    return bool(m.distance) and not all(
        _within_key_words(said, m.key_words) for said in m.query_words if english(said) is not None
    )


def _affixed(said: str, meant: str) -> bool:
    """Two or more letters added in front of either word (un-supervised, non-causal) or behind the query's
    word (function-al); a key word longer at the end is the typed word cut short ("collaps"), a typo."""
    longer, shorter = (said, meant) if len(said) > len(meant) else (meant, said)
    if len(longer) - len(shorter) < 2:
        return False
    return longer.endswith(shorter) or (longer == said and said.startswith(meant))


def _real_word_replaced(said: str, meant: str, m: NearMiss) -> bool:
    typed = m.typed_words.english_form(said)
    return typed is not None and not _same_word(said, meant, typed)


def _short_word_changed(said: str, meant: str) -> bool:
    """A changed letter in a word of SHORT_WORD letters or fewer makes another short word (top p, top k);
    one letter dropped, added or swapped is a typo ("Inference-Tim Compute", "Mixture iof Experts")."""
    if min(len(said), len(meant)) > SHORT_WORD:
        return False
    return _osa(said, meant) > 1 or (len(said) == len(meant) and _edit(said, meant) != "swap")


def _word_too_far(said: str, meant: str) -> bool:
    """More edits than the word's length allows; said + "s" because the plural folding may take a letter of
    the word ("proceds" is "proced"), and a word cut short by two letters ("Model Collaps") is a typo."""
    budget = 2 if len(meant) >= LONG_WORD else 1
    return min(_osa(said, meant), _osa(said + "s", meant)) > budget and not (
        meant.startswith(said) and len(meant) - len(said) <= 2
    )


def _any_word(test: Callable[[str, str], bool]) -> Callable[[NearMiss], bool]:
    return lambda m: any(test(said, meant) for said, meant in m.changed_words)


TYPO_RULES: tuple[Rule, ...] = (
    Rule(
        "tiny name",
        lambda m: m.shortest <= SHORT_WORD,
        False,
        "a name of three letters or fewer is one edit from many others",
        ("DPOO", "DPO"),
    ),
    Rule(
        "number changed",
        lambda m: _digits(m.q) != _digits(m.k),
        False,
        "numbers are identity, never typos (float4/float8, GSM1K/GSM8K)",
        ("MXFP8", "MXFP4"),
    ),
    Rule(
        "capital added",
        lambda m: _capital_added(m),
        False,
        "a capital letter at the end of a mixed-case name marks a variant",
        ("LoRAX", "LoRA"),
    ),
    Rule(
        "short alias",
        lambda m: m.kind == "alias" and len(m.k) <= SHORT_ALIAS,
        False,
        "short aliases are other names' spellings: exact only",
        ("ActAd", "ActAdd"),
    ),
    Rule(
        "short name, swap or double",
        lambda m: _short_name(m) and m.distance == 1 and _edit(m.q, m.k) in ("swap", "double"),
        True,
        "two neighbours swapped or a letter doubled is a typo even in a short name",
        ("GPQT", "GPTQ"),
    ),
    Rule(
        "short name, other edit",
        _short_name,
        False,
        "any other edit of a short name, an acronym or a confusable spells another name",
        ("NoPE", "RoPE"),
    ),
    Rule(
        "too many edits",
        lambda m: not _close(m),
        False,
        "more edits than the name's length allows",
        ("Flash Atenshun", "FlashAttention"),
    ),
    Rule(
        "word added",
        lambda m: m.regrouped and _word_added(m),
        False,
        "an added word, or regrouping plus a changed letter, is another name",
        ("KV X Cache", "KV Cache"),
    ),
    Rule(
        "real word in joined name",
        lambda m: m.regrouped and _joined_real_word(m),
        False,
        "the edit makes an English word of one of the name's words",
        ("ModeCollapse", "Model Collapse"),
    ),
    Rule(
        "real word across words",
        lambda m: m.regrouped and _split_outside_words(m),
        False,
        "an English query word straddles two of the name's words",
        ("retraining", "pre-training"),
    ),
    Rule(
        "words joined or split",
        lambda m: m.regrouped,
        True,
        "the same letters, grouped into words differently",
        ("kvcahce", "KV Cache"),
    ),
    Rule(
        "prefix or suffix",
        _any_word(_affixed),
        False,
        "a word given a prefix or suffix is another word",
        ("Unsupervised Fine-Tuning", "Supervised Fine-Tuning"),
    ),
    Rule(
        "real word replaced",
        lambda m: any(_real_word_replaced(s, w, m) for s, w in m.changed_words),
        False,
        "an English word in place of the name's word is that word",
        ("decider", "decoder"),
    ),
    Rule(
        "short word changed",
        _any_word(_short_word_changed),
        False,
        "a changed letter in a short word makes another short word",
        ("Best of m Sampling", "Best-of-N Sampling"),
    ),
    Rule(
        "word too far",
        _any_word(_word_too_far),
        False,
        "more edits in one word than its length allows",
        ("Sliding Wnidwo Attention", "Sliding Window Attention"),
    ),
    Rule(
        "misspelt words",
        lambda m: True,
        True,
        "a few letters dropped, doubled, swapped or changed inside the same words",
        ("Tokenisaton", "Tokenization"),
    ),
)


def deciding_rule(near: NearMiss) -> Rule:
    """The first row of TYPO_RULES that applies to `near` (the last one always does)."""
    for rule in TYPO_RULES:
        if rule.applies(near):
            return rule
    raise AssertionError("the last row of TYPO_RULES applies to every near miss")


def fuzzy_accepts(near: NearMiss) -> bool:
    """Whether the query is the candidate name misspelt."""
    return deciding_rule(near).accept


def _edit(a: str, b: str) -> str:
    """The one edit from `a` to `b`: "swap" (two neighbours), "double" (a letter typed twice or once), or
    "other"."""
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        swapped = (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
        return "swap" if swapped else "other"
    longer, word = (a, b) if len(a) > len(b) else (b, a)
    doubled = len(longer) == len(word) + 1 and any(
        longer[i] == longer[i + 1] and longer[:i] + longer[i + 1 :] == word for i in range(len(longer) - 1)
    )
    return "double" if doubled else "other"


def _capital_added(m: NearMiss) -> bool:
    """Whether one name is the other with a capital letter added at the end, as written in mixed case:
    AutoGPT and AutoGPTQ, MMLU-Pro and MMLU-ProX ("FlashAttentio" and "QLoRAA" are typos). All-capital text
    carries no such sign ("SWIGLUE")."""
    q, k = m.q, m.k
    if len(k) == len(q) + 1 and k.startswith(q):
        longer, longer_key = m.written, k
    elif len(q) == len(k) + 1 and q.startswith(k):
        longer, longer_key = m.typed_words.typed, q
    else:
        return False
    if longer_key[-1] == longer_key[-2]:
        return False  # a doubled letter is a typo: "QLoRAA"
    letters = [c for c in longer if c.isalpha()]
    return bool(letters) and letters[-1].isupper() and any(c.islower() for c in letters)


def _within_key_words(word: str, key_words: list[str]) -> bool:
    """Whether `word` occurs in the joined key words from the start of one of them ("flash" in
    "flashattention") or inside one of them ("piece" in "sentencepiece"); not straddling two from inside
    one ("retraining" in "pre training")."""
    joined, spans, at = "".join(key_words), [], 0
    for part in key_words:
        spans.append((at, at + len(part)))
        at += len(part)
    found = joined.find(word)
    while found >= 0:
        start, end = next(span for span in spans if span[0] <= found < span[1])
        if found == start or found + len(word) <= end:
            return True
        found = joined.find(word, found + 1)
    return False


def _real_word_in_joined(m: NearMiss) -> bool:
    """Whether the joined query (one edit from the joined key) spells, where the key word holding the edit
    stands, an English word that is neither that word nor an inflection of it ("ModeCollapse"). An edit at
    the edge of two words may belong to either: real only if it is so both ways."""
    q, k = m.q, m.k
    edit = next((j for j, (a, b) in enumerate(zip(q, k, strict=False)) if a != b), min(len(q), len(k)))
    verdicts, start = [], 0
    for meant in m.key_words:
        end = start + len(meant)
        # The edit is inside this word, or a letter added at its end (which may belong to the next word too).
        if start <= edit < end or (edit == end and len(q) > len(k)):
            said = q[start : end + len(q) - len(k)]
            verdicts.append(said != meant and is_english_word(said) and not _same_word(said, meant))
        start = end
    return bool(verdicts) and all(verdicts)


def _inflected(said: str, meant: str) -> bool:
    """Whether two words are forms of one: the same stem, or `meant` is `said` + "d"/"ed" (page and paged,
    augment and augmented), which the light stemmer does not see."""
    return stem(said) == stem(meant) or meant in (said + "d", said + "ed")


def _same_word(said: str, meant: str, typed: str | None = None) -> bool:
    """Whether the key word `said` (typed as `typed`) is `meant` inflected, with a letter doubled or
    undoubled ("modelling"), or with two neighbouring letters swapped: the same word, not another one."""
    return (
        _inflected(said, meant)
        or key_word(said) == meant
        or _edit(said, meant) == "double"
        or _edit(typed or said, meant) == "swap"
    )


_OSA: list[Callable[[str, str], int]] = []  # rapidfuzz's OSA distance, imported on first use


def _osa(a: str, b: str) -> int:
    """The optimal-string-alignment edit distance (a swap of neighbours is one edit)."""
    if not _OSA:
        from rapidfuzz.distance import OSA  # not at import: a start needs no rapidfuzz

        _OSA.append(OSA.distance)
    return _OSA[0](a, b)


def _digits(text: str) -> str:
    return _NOT_DIGITS.sub("", text)


class TypedWords:
    """The query's words as typed, by key word, and which of them are English words: "spars" is one,
    "continuos" is not, though its key word is "continuo". Worked out only for the words the word rules ask
    about, once per query: most queries never get that far."""

    def __init__(self, typed: str):
        self.typed = typed
        self._forms: dict[str, list[str]] | None = None
        self._real: dict[str, str | None] = {}

    def english_form(self, word: str) -> str | None:
        """How the query's key word `word` was typed, if that is an English word (every form of it is, when
        several typed words fold to it); None otherwise."""
        if word not in self._real:
            if self._forms is None:
                self._forms = defaultdict(list)
                for w in words(self.typed):
                    self._forms[key_word(w)].append(w)
            forms = self._forms.get(word, [])
            self._real[word] = forms[0] if forms and all(map(is_english_word, forms)) else None
        return self._real[word]
