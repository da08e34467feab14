"""One name matcher: define_term and find_terms_in_text agree on every respelling of every name.

A span of text is a mention of entry E in find_terms_in_text exactly when define_term on that span resolves to
E by a name tier (not as a typo). Checked both ways on spans generated from the bundled glossary: every term,
alias and acronym, respelled with hyphens, spaces or joined, in other cases, as a plural, and with -ing, -ed
and -er inflections of its last word. Plus the guards both tools share, and what the text-only guards do.
"""

from __future__ import annotations

import re

import pytest

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.index import MAX_PHRASE_WORDS, is_short_acronym
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.search.decide import TIER_SCORES
from ai_glossary_mcp.search.normalize import name_key, words

_INFLECTIONS = ("s", "ing", "ed", "er")
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the)[\s-]+", re.IGNORECASE)  # not part of a mention
_SEPARATOR = re.compile(r"[\s\-/]+")
_NOT_PROSE = re.compile(r"[_.@+,']")


def _respellings(name: str) -> set[str]:
    parts = _SEPARATOR.split(name.strip())  # as written: an acronym keeps its case in text
    if not parts or not words(name):
        return set()
    out = {name, " ".join(parts), "-".join(parts)}
    if len(parts) > 1 and all(len(p) >= 3 for p in parts):
        out.add("".join(parts))
    if not is_short_acronym(name):
        out |= {name.lower(), name.title(), name.upper()}
        stem = " ".join(parts)
        out |= {stem + suffix for suffix in _INFLECTIONS}
        if stem.endswith("e"):
            out |= {stem[:-1] + "ing", stem + "d"}
        if stem.endswith(("ing", "ion")):
            base = stem[:-3]  # "-ing" and "-ion" are both three letters
            out |= {base + "ed", base + "ing", base + "er"}
    return out


def _spans(service: GlossaryService) -> list[str]:
    """Names as prose writes them: code-like names (snake_case, dotted, "@", "+") are identifiers in text,
    a name never spans a comma or an apostrophe there, and names of more than MAX_PHRASE_WORDS words are
    titles, not names text repeats."""
    spans: set[str] = set()
    for entry in service.index.entries:
        for name in (entry.term, *entry.aliases, *([entry.acronym] if entry.acronym else [])):
            if not _NOT_PROSE.search(name) and len(words(name)) <= MAX_PHRASE_WORDS:
                spans |= _respellings(name)
    return sorted(s for s in spans if re.search(r"\w", s))


def _define(service: GlossaryService, span: str) -> str | None:
    """The entry define_term resolves the span to by a name tier: not as a typo, and not as a name with
    other words around it (a query is one name; in text those words are the text around a name)."""
    result = service.define(span, "brief")
    if not result.found or result.entry is None or result.match is None:
        return None
    if result.match.kind == "fuzzy" or result.match.score == TIER_SCORES["modified"]:
        return None
    return result.entry.id


def _spotted(service: GlossaryService, span: str) -> str | None:
    """The entry find_terms_in_text finds covering the whole span, or None."""
    mentions = service.find_in_text(f"{span}, we read today.").mentions  # a sentence's start: any case
    whole = [m for m in mentions if m.surface in (span, _LEADING_ARTICLE.sub("", span))]
    return whole[0].id if len(mentions) == 1 and whole else None


def test_define_term_and_find_terms_in_text_agree_on_every_respelled_name(service):
    spans = _spans(service)
    assert len(spans) > 1500  # every name, respelled: the check covers the glossary, not a sample
    disagree = [
        (span, defined, spotted)
        for span in spans
        if (defined := _define(service, span)) != (spotted := _spotted(service, span))
    ]
    shown = "\n".join(f"  {s!r}: define_term {d}, find_terms_in_text {f}" for s, d, f in disagree[:40])
    assert not disagree, f"{len(disagree)} spans disagree:\n{shown}"


@pytest.mark.parametrize(
    "span,entry_id",
    [
        ("quantizing", "quantization"),
        ("pretrained", "pre-training"),
        ("fine-tuned", "fine-tuning"),
        ("multihead attention", "multi-head-attention"),
        ("Flash Attention", "flashattention"),
        ("tensor parallel", "tensor-parallelism"),
    ],
)
def test_inflected_and_respelled_names_are_found_by_both_tools(service, span, entry_id):
    assert _define(service, span) == entry_id
    assert _spotted(service, span) == entry_id


@pytest.mark.parametrize("span", ["token", "Cost Functional", "Dequantization"])
def test_the_stemmed_tier_keeps_words_apart_in_both_tools(service, span):
    """A bare word is not an inflected name ("token" is not "tokenization"), an adjective is not its noun
    (-al), and a prefix changes the word (de-)."""
    assert _define(service, span) is None
    assert _spotted(service, span) is None


@pytest.mark.parametrize(
    "text",
    [
        "Set `tokenizer_args` and call torch.nn.Transformer() with tokenizer_args.",
        "```python\nmodel = Transformer(tokenizer)\n```",
        "PEFT is integrated with Transformers for easy model training.",
        "Whether the model is an encoder-decoder model.",
    ],
)
def test_code_products_and_compounds_are_not_mentions(service, text):
    """Identifiers and code blocks, a capitalised common noun inside a sentence (a product's name), and a
    compound of two concepts mention neither concept."""
    assert service.find_in_text(text).mentions == []


@pytest.mark.parametrize(
    "text,entry_id",
    [
        ("Transformers changed NLP.", "transformer"),  # a sentence starts capitalised
        ("Multiplication for Transformers at Scale", "transformer"),  # a title
        ("a decoder-only model", "decoder"),  # a compound of one concept and a plain word
        ("training in fp8 or bf16", "fp8"),  # an acronym that spells no word, in lower case
    ],
)
def test_the_text_guards_keep_real_mentions(service, text, entry_id):
    assert [m.id for m in service.find_in_text(text).mentions] == [entry_id]


@pytest.mark.parametrize(
    "query,entry_id",
    [
        ("sparse mixture of experts", "mixture-of-experts"),
        ("RAG pipeline", "rag"),
        ("DPO training", "dpo"),
        ("mixed precision", "mixed-precision-training"),
    ],
)
def test_a_name_with_generic_words_resolves(service, query, entry_id):
    result = service.define(query, "brief")
    assert result.found and result.entry.id == entry_id and result.match.score < 1


@pytest.mark.parametrize(
    "query", ["prompt tuning", "flash attention 2", "Chinchilla scaling laws", "bit lora"]
)
def test_a_name_with_informative_words_is_not_resolved(service, query):
    """A head noun that heads other names, a version, or a modifier the entry does not use makes another
    concept: not found (or a tie), never the shorter name."""
    assert not service.define(query, "brief").found


@pytest.mark.parametrize(
    "text,entry_id",
    [
        ("with or without mixed precision (fp8, bf16).", "mixed-precision-training"),
        ("Train in mixed precision and save memory.", "mixed-precision-training"),
    ],
)
def test_a_span_that_begins_a_name_whose_rest_is_generic_is_a_mention(service, text, entry_id):
    """define_term resolves "mixed precision" to Mixed Precision Training (the rest, "training", is generic):
    so does find_terms_in_text."""
    assert service.define("mixed precision", "brief").entry.id == entry_id
    assert [m.id for m in service.find_in_text(text).mentions if m.surface == "mixed precision"] == [entry_id]


@pytest.mark.parametrize(
    "text", ["Load the base model in 4-bit.", "The time to first byte of the page doubled."]
)
def test_a_begun_name_is_not_a_mention_when_the_text_makes_another_phrase(service, text):
    """A span ending in a generic word is a phrase of its own ("base model" is not "base model training"),
    and a span the text continues with another word begins another name ("time to first byte")."""
    assert service.find_in_text(text).mentions == []


_LOSS_TYPES = (
    "loss_type (`str`): Type of loss to use. Possible values are:\n"
    '- `"kto"`: KTO loss from the KTO paper.\n'
    "Desirable losses are weighed by this factor."
)


def test_a_bare_category_word_is_its_entry_in_a_text_that_names_kinds_of_it(service):
    """The glossary's "DPO loss", "KTO loss" and "IPO loss" make "loss" a category, and "loss function"
    names it: in a text that names one of the kinds, a bare "loss" said more than once is Loss Function. A
    query has no such context: define_term still answers "loss" with a tie."""
    mentions = service.find_in_text(_LOSS_TYPES).mentions
    assert [(m.id, m.surface) for m in mentions] == [
        ("loss-function", "loss"),
        ("kto", "KTO loss"),
        ("kto", "KTO"),
        ("loss-function", "losses"),
    ]
    assert not service.define("loss", "brief").found


@pytest.mark.parametrize(
    "text",
    [
        "Type of loss to use. Desirable losses are weighed by this factor.",  # no kind of loss named
        "The KTO loss is unpaired; the quantized model shows a small loss in quality.",  # "loss" said once
        "Attention weights sum to one, and grouped-query attention shares keys between heads.",  # no category
    ],
)
def test_a_bare_word_without_its_context_is_not_a_mention(service, text):
    ids = [m.id for m in service.find_in_text(text).mentions]
    assert "loss-function" not in ids and "kv-cache" not in ids


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("losses", "loss"),
        ("classes", "class"),
        ("indexes", "index"),
        ("biases", "biase"),
        ("caches", "cache"),
    ],
)
def test_name_keys_fold_the_es_plural_of_ss_and_x_words_only(plural, singular):
    """-sses and -xes are -ss and -x plus "es" ("losses"); -ches and -ases are not decidable by spelling
    ("caches" is "cache" + s, "batches" "batch" + es), so the name key leaves them to the stemmed tier."""
    assert name_key(plural) == singular


def test_a_plural_of_a_name_ending_in_ss_is_the_name_itself():
    result = GlossaryService(load_glossary()).define("DPO losses", "brief")
    assert result.found and result.entry.id == "dpo"
    assert result.match.score == 1.0  # the normalised tier, not the looser stemmed one (0.95)


def test_stems_are_right_when_threads_stem_at_once():
    """The HTTP server runs tool calls in worker threads. A Snowball stemmer keeps the word it works on in its
    own fields, so a shared one hands threads each other's half-stemmed words (and the per-word cache keeps
    them): each thread gets its own."""
    import random
    import string
    import sys
    import threading

    import snowballstemmer

    from ai_glossary_mcp.search.matcher import stem_word

    rng = random.Random(7)
    suffixes = ("ization", "izing", "ations", "fulness", "ingly", "ers")
    batches = [
        ["".join(rng.choices(string.ascii_lowercase, k=8)) + rng.choice(suffixes) for _ in range(3000)]
        for _ in range(4)
    ]
    expected = snowballstemmer.stemmer("english")
    got: list[list[str]] = [[] for _ in batches]
    failures: list[BaseException] = []

    def work(i: int) -> None:
        try:
            got[i] = [stem_word(w) for w in batches[i]]
        except BaseException as error:  # an IndexError inside the stemmer is the failure this test catches
            failures.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batches))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures[:3]
    wrong = [
        (w, s)
        for batch, out in zip(batches, got, strict=True)
        for w, s in zip(batch, out, strict=True)
        if s != expected.stemWord(w)
    ]
    assert not wrong, wrong[:5]
