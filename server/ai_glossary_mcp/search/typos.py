"""Typo acceptance: whether a query is a name misspelt or another name (the rules that decide fuzzy matches).

A confident wrong answer is worse than none, so the rules are strict: names of up to four letters and
acronyms only forgive swapped or doubled letters (one changed letter makes another real name: GPT4 is not
GPTQ), a changed number is never a typo, nor is a capital letter added at the end of a mixed-case name
(AutoGPT is not AutoGPTQ), and longer names forgive a few edits only inside the same words (a word added,
replaced or given a prefix is another name, not a typo, and so is a real English word: "decider" is not
"decoder"). fuzzy.py scores the candidates and asks `fuzzy_accepts` about each.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ai_glossary_mcp.search.english_words import is_english_word
from ai_glossary_mcp.search.normalize import key_word, stem, words

FUZZY_MIN_RATIO = 86.0  # a close spelling of a key of 7+ letters (words still checked one by one)
SHORT_NAME = 4  # names of at most this many letters (and acronyms) forgive only swapped or doubled letters
SHORT_ALIAS = 6  # aliases of at most this many letters match only as written (or normalised)


def fuzzy_accepts(
    query_key: str, key: str, kind: str, ratio: float, distance: int, typed_words: TypedWords, written: str
) -> bool:
    """Whether the query is `key` misspelt: a few letters dropped, doubled, swapped or changed inside the
    same words, never another word. `distance` is the edit distance of the space-free keys; `typed_words`
    tells which of the query's words were English words as typed; `written` is the name as written."""
    q = query_key.replace(" ", "")
    k = key.replace(" ", "")
    shortest = min(len(q), len(k))
    if shortest <= 3 or _digits(q) != _digits(
        k
    ):  # numbers are identity, never typos: float4/float8, GSM1K/GSM8K
        return False
    if _capital_added(q, k, typed_words.typed, written):
        return False  # a capital letter at the end is part of the name: AutoGPT is not AutoGPTQ
    if kind == "alias" and len(k) <= SHORT_ALIAS:
        return False  # short aliases are other names' spellings (AIME, Eval, LVLM, DSpark): exact only
    if shortest <= SHORT_NAME or kind == "acronym":  # the shorter of the two has four letters or fewer
        # One letter changed, added or dropped turns a short name or an acronym into another real one (GPT4
        # and GPTQ, NoPE and RoPE, LoHa and LoRA, SimNPO and SimPO): only two neighbours swapped ("GPQT") or
        # a letter doubled or undoubled ("MMLLU") pass.
        if distance != 1:
            return False
        return _swapped(q, k) if len(q) == len(k) else _doubled(q, k) or _doubled(k, q)
    if shortest <= 6:
        close = distance <= 1
    else:  # a few edits for the length, or a close spelling with about the key's length ("tokenisaton")
        close = distance <= max(1, shortest // 7) or (
            ratio >= FUZZY_MIN_RATIO and abs(len(q) - len(k)) <= max(2, shortest // 6)
        )
    return close and _same_words(query_key.split(), key.split(), q, k, distance, typed_words)


def _same_words(
    query_words: list[str], key_words: list[str], q: str, k: str, distance: int, typed_words: TypedWords
) -> bool:
    """Whether the edits stay inside the key's words: words joined or split ("flash atention"), or each
    changed word a misspelling of its counterpart (one edit in a word under eight letters, two from eight;
    no changed letter in words of three letters or fewer, so "top p" is not "top k"). Not a
    word added ("HumanEval X"), a prefix added or dropped ("unsupervised", "non causal", "unpaired"),
    letters added at a word's end ("functional"), or a real English word in place of another ("decider",
    "content window", joined or not: "ModeCollapse"): that is a different word, even one letter away, unless
    it is an inflection ("page attention"), a letter doubled or undoubled, or two neighbouring letters
    swapped ("bets of n"), which make a real word only by accident."""
    if len(query_words) != len(key_words):
        if distance > 1:
            return False
        longer, other = (query_words, k) if len(query_words) > len(key_words) else (key_words, q)
        if not all(
            w in other for w in longer if len(w) <= 2
        ):  # "kv cahce" splits "kvcahce"; "kv x cache" adds x
            return False
        # With a letter changed as well, each real word must still be there, within the key's words:
        # "flash atention" is "flashattention", "sentance piece" is "sentencepiece"; "retraining" is not
        # "pre training".
        if distance and len(query_words) < len(key_words) and _real_word_in_joined(q, k, key_words):
            return (
                False  # "ModeCollapse", "ContentWindow": the edit makes a real word of one of the key's words
            )
        return distance == 0 or all(
            _within_key_words(said, key_words)
            for said in query_words
            if typed_words.english_form(said) is not None
        )
    from rapidfuzz.distance import OSA

    for said, meant in zip(query_words, key_words, strict=True):
        if said == meant or _inflected(said, meant):  # "group query attention", "page attention"
            continue
        if _prefixed(said, meant) or _prefixed(meant, said) or _suffixed(said, meant):
            return False
        typed = typed_words.english_form(said)
        if typed is not None and not _same_word(said, meant, typed):
            return False
        if min(len(said), len(meant)) <= 3:
            # A letter dropped, added or swapped ("Inference-Tim Compute", "Mixture iof Experts"); a changed
            # one makes another short word ("top p" is not "top k").
            if OSA.distance(said, meant) > 1 or (len(said) == len(meant) and not _swapped(said, meant)):
                return False
        elif min(OSA.distance(said, meant), OSA.distance(said + "s", meant)) > (
            2 if len(meant) >= 8 else 1
        ) and not (meant.startswith(said) and len(meant) - len(said) <= 2):
            # said + "s": the plural folding took an s that belonged to the word ("proceds" is "proced");
            # a word cut short ("Model Collaps") is a typo too.
            return False
    return True


def _doubled(longer: str, word: str) -> bool:
    """Whether `longer` is `word` with one of its letters typed twice."""
    return len(longer) == len(word) + 1 and any(
        longer[i] == longer[i + 1] and longer[:i] + longer[i + 1 :] == word for i in range(len(longer) - 1)
    )


def _capital_added(q: str, k: str, typed: str, written: str) -> bool:
    """Whether one name is the other with a capital letter added at the end, as written in mixed case:
    AutoGPT and AutoGPTQ, MMLU-Pro and MMLU-ProX (a capital at the end names a variant; "FlashAttentio" and
    "QLoRAA" are typos). All-capital text carries no such sign ("SWIGLUE")."""
    if len(k) == len(q) + 1 and k.startswith(q):
        longer, longer_key = written, k
    elif len(q) == len(k) + 1 and q.startswith(k):
        longer, longer_key = typed, q
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


def _real_word_in_joined(q: str, k: str, key_words: list[str]) -> bool:
    """Whether the joined query `q` (one edit from the joined key `k`) spells, where the key word holding the
    edit stands, an English word that is neither that word nor an inflection of it ("ModeCollapse"). An edit
    at the edge of two words may belong to either: real only if it is so both ways."""
    edit = next((j for j, (a, b) in enumerate(zip(q, k, strict=False)) if a != b), min(len(q), len(k)))
    verdicts, start = [], 0
    for meant in key_words:
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
    undoubled, or with two neighbouring letters swapped: the same word, not another one."""
    return (
        _inflected(said, meant)
        or key_word(said) == meant
        or _squeezed(said) == _squeezed(meant)
        or _swapped(typed or said, meant)
    )


def _squeezed(word: str) -> str:
    """`word` with every run of one letter written once: "modelling" and "modeling" agree."""
    return re.sub(r"(.)\1+", r"\1", word)


def _swapped(typed: str, word: str) -> bool:
    """Whether `typed` is `word` with two neighbouring letters swapped."""
    if len(typed) != len(word):
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and sorted(typed) == sorted(word)


def _prefixed(longer: str, word: str) -> bool:
    """Whether `longer` is `word` with two or more letters in front (un-supervised, non-causal): another
    word, where a typo adds one letter."""
    return len(longer) - len(word) >= 2 and longer.endswith(word)


def _suffixed(longer: str, word: str) -> bool:
    """Whether the query's word `longer` is the key's `word` with two or more letters added behind
    (function-al). Only this way round: a key word longer at the end is the typed word cut short, by the
    typist or by the plural folding ("collapse" typed "collaps" becomes "collap"), which is a typo."""
    return len(longer) - len(word) >= 2 and longer.startswith(word)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


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
            forms = self._forms.get(word, ())
            self._real[word] = forms[0] if forms and all(map(is_english_word, forms)) else None
        return self._real[word]
