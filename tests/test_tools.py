"""Every tool through the SDK's in-process Client: schemas, answers, errors."""

from __future__ import annotations

import json

import jsonschema
import pytest
from mcp.shared.exceptions import MCPError

from ai_glossary_mcp.app.tools import TOOL_NAMES

pytestmark = pytest.mark.anyio

TOOL_ORDER = list(TOOL_NAMES)


async def call(client, name, args):
    """Call a tool; check structured content against the declared schema and the text copy."""
    result = await client.call_tool(name, args)
    if not result.is_error:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        jsonschema.validate(result.structured_content, tools[name].output_schema)
        assert json.loads(result.content[0].text) == result.structured_content
        assert "\n" not in result.content[0].text  # compact copy
    return result


async def error_text(client, name, args) -> str:
    result = await client.call_tool(name, args)
    assert result.is_error, result
    text = result.content[0].text
    assert text and "Traceback" not in text
    return text


async def test_tools_are_listed_in_a_fixed_order_with_annotations(client):
    tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == TOOL_ORDER
    for t in tools:
        assert t.title
        assert t.output_schema and t.input_schema
        assert 0 < len(t.description) < 1000, t.name
        a = t.annotations
        assert (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint) == (
            True,
            False,
            True,
            False,
        )


async def test_server_identity_and_instructions(client, glossary):
    info = client.server_info
    assert info.name == "ai-glossary-mcp" and info.title and info.version
    assert len(client.instructions.encode()) < 2048
    assert glossary.content_hash in client.instructions
    # The instructions add what no tool description says; they do not repeat the descriptions.
    tools = (await client.list_tools()).tools
    for t in tools:
        assert t.description and t.description not in client.instructions, t.name


async def test_define_term_exact_full_entry(client):
    r = await call(client, "define_term", {"term": "Direct Preference Optimization", "detail": "full"})
    data = r.structured_content
    assert data["found"] and data["match"]["kind"] == "exact"
    e = data["entry"]
    assert e["id"] == "dpo" and e["acronym"] == "DPO" and e["uri"] == "glossary://terms/dpo"
    assert e["definition"].startswith("An alignment method that skips the reward model")
    assert e["formula"]["latex"].startswith(r"\mathcal{L}_{\text{DPO}}")
    assert any(rel["id"] == "rlhf" for rel in e["related"])
    assert set(e) >= {
        "id",
        "term",
        "acronym",
        "aliases",
        "category",
        "tags",
        "definition",
        "formula",
        "related",
        "read_more",
        "uri",
        "pack",
    }


@pytest.mark.parametrize(
    "query,entry_id,kind",
    [
        ("DPO", "dpo", "acronym"),
        ("dpo", "dpo", "acronym"),
        ("kv-cache", "kv-cache", "exact"),
        ("KV cache", "kv-cache", "normalized"),
        ("NF4", "qlora", "alias"),
        ("RLAIF", "constitutional-ai", "alias"),
        ("llm as judge", "llm-as-a-judge", "normalized"),
        ("Mixture-of-Experts", "mixture-of-experts", "exact"),
        ("quantisation", "quantization", "normalized"),
        ("tranformer", "transformer", "fuzzy"),
    ],
)
async def test_define_term_reports_the_rule_that_matched(client, query, entry_id, kind):
    data = (await call(client, "define_term", {"term": query, "detail": "brief"})).structured_content
    assert data["found"] and data["entry"]["id"] == entry_id
    assert data["match"]["kind"] == kind and data["match"]["query"] == query
    assert set(data["entry"]) == {"id", "term", "acronym", "definition", "uri"}


@pytest.mark.parametrize(
    "absent", ["recurrent neural network", "k-means", "gradient boosting", "stochastic gradient descent"]
)
async def test_absent_terms_are_not_found_and_get_suggestions(client, absent):
    data = (await call(client, "define_term", {"term": absent})).structured_content
    assert data["found"] is False and data["entry"] is None
    assert 1 <= len(data["suggestions"]) <= 5
    assert all(0 <= s["score"] <= 1 for s in data["suggestions"])


@pytest.mark.parametrize(
    "query,near",
    [
        ("GPT4", "gptq"),
        ("NoPE", "rope"),
        ("LoHa", "lora"),
        ("PaLM", None),
        ("BART", None),
        ("ORPO", "grpo"),
        ("VAPO", "dapo"),
        ("MXFP8", "mxfp4"),
        ("float4", "fp8"),
        ("GSM1K", None),
        ("AutoGPT", "gptq"),
        ("MMLU-ProX", "mmlu"),
        ("LoRAX", "lora"),
    ],
)
async def test_one_letter_from_a_short_name_or_acronym_is_another_name(client, query, near):
    """A changed letter in a short name or an acronym, a changed number anywhere, or a capital letter added
    or dropped at the end of a mixed-case name names something else (GPT-4 is not GPTQ, float4 is not float8,
    AutoGPT is not AutoGPTQ): not found, with the near entry among the suggestions."""
    data = (await call(client, "define_term", {"term": query})).structured_content
    assert data["found"] is False and data["ambiguous"] == []
    if near is not None:
        assert near in [s["id"] for s in data["suggestions"]]


@pytest.mark.parametrize(
    "query,near",
    [
        ("Unsupervised Fine-Tuning", "sft"),
        ("Non-Autoregressive Decoding", "semi-autoregressive-decoding"),
        ("Outcome-Supervised Reward Model", "prm"),
        ("Video-Language Model", "vlm"),
        ("Time to Last Token", "ttft"),
        ("Global Attention", "sliding-window-attention"),
        ("HumanEval-X", "benchmark"),
        ("Transformer-XL", "transformer"),
        ("Cost Functional", "loss-function"),
        ("SimNPO", "simpo"),
        ("AMIE", None),
        ("Spark", None),
        ("Dequantization", "quantization"),
        ("KV X Cache", "kv-cache"),
        ("Top-p Routing", None),
        ("LoRA+", "lora"),
        ("FlashAttention++", "flashattention"),
    ],
)
async def test_a_different_word_is_not_a_typo(client, query, near):
    """Typo matching forgives misspelt words, never a changed one: a prefix (un-, non-, de-) or
    suffix (-al), a word added, a whole word replaced (video/vision, global/local), a letter changed
    in a short word (top p), or one letter against a short alias (AIME, DSpark). Each resolved to an
    entry before."""
    data = (await call(client, "define_term", {"term": query})).structured_content
    assert data["found"] is False and data["ambiguous"] == []
    if near is not None:
        assert near in [s["id"] for s in data["suggestions"]]


@pytest.mark.parametrize(
    "query,entry_id",
    [
        ("GPQT", "gptq"),
        ("RHLF", "rlhf"),
        ("mxpf4", "mxfp4"),
        ("QLoRAA", "qlora"),
        ("rmsnrom", "rmsnorm"),
        ("MMLLU", "mmlu"),
        ("Lorra", "lora"),
        ("KV Cach", "kv-cache"),
        ("Tokenisaton", "tokenization"),
        ("group query attention", "grouped-query-attention"),
        ("Chain-fo-Thought", "chain-of-thought"),
        ("kvcahce", "kv-cache"),
        ("Continuos Batching", "continuous-batching"),
        ("Bets-of-N Sampling", "best-of-n-sampling"),
        ("Casual Language Modeling", "causal-language-modeling"),
        ("Page Attention", "paged-attention"),
        ("Quantize LoRA", "qlora"),
        ("FlashAttentio", "flashattention"),
        ("Retrieval Augment Generation", "rag"),
        ("SWIGLUE", "swiglu"),
        ("Outlier Chanels", "activation-outliers"),
        ("Flash Atention", "flashattention"),
        ("CasualLanguageModeling", "causal-language-modeling"),
        ("PageAttention", "paged-attention"),
        ("Inference-Tim Compute", "inference-time-compute"),
        ("Mixture iof Experts", "mixture-of-experts"),
        ("Proceds Reward Model", "prm"),
    ],
)
async def test_misspellings_of_short_and_long_names_still_resolve(client, query, entry_id):
    """Including typos whose folded key word is a real word though the typed word is not ("continuos" folds
    to "continuo"), and swapped neighbours that spell a real word by accident ("bets", "casual")."""
    data = (await call(client, "define_term", {"term": query})).structured_content
    # A few are inflections too ("Page Attention", "KV Cach", "SWIGLUE"): the matcher's stemmed tier finds
    # them before the typo tier, as a normalisation with a score below 1.
    assert data["found"] and data["entry"]["id"] == entry_id
    assert data["match"]["kind"] == "fuzzy" or (
        data["match"]["kind"] == "normalized" and data["match"]["score"] < 1
    )


@pytest.mark.parametrize(
    "query,near",
    [
        ("decider", "decoder"),
        ("Mode Collapse", "model-collapse"),
        ("content window", "context-window"),
        ("chucking", "chunking"),
        ("Sliding Widow Attention", "sliding-window-attention"),
        ("Spars Attention", "sparse-attention"),
        ("Reward Hawking", "reward-hacking"),
        ("retraining", "pre-training"),
        ("ModeCollapse", "model-collapse"),
        ("ContentWindow", "context-window"),
        ("Flesh Attention", "flashattention"),
    ],
)
async def test_a_real_word_is_not_a_misspelling_of_another(client, query, near):
    """A query word that is itself an English word names something else, even one letter from a name's word:
    not found, with that name suggested first (a real-word typo costs the caller one more call, never a
    wrong definition). Each resolved to `near` before."""
    data = (await call(client, "define_term", {"term": query})).structured_content
    assert data["found"] is False and data["ambiguous"] == []
    assert data["suggestions"][0]["id"] == near


async def test_best_of_n_never_resolves_to_mixture_of_experts(client):
    data = (await call(client, "define_term", {"term": "best of n"})).structured_content
    assert data["found"] and data["entry"]["id"] == "best-of-n-sampling"


@pytest.mark.parametrize(
    "bad,needle",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 501, "at most 500"),
        ("kv\x00cache", "control character"),
        ("a\u0007b", "control character"),
    ],
)
async def test_define_term_rejects_bad_strings_with_a_clear_message(client, bad, needle):
    assert needle in await error_text(client, "define_term", {"term": bad})


def test_text_checks_refuse_exactly_the_control_characters_and_surrogates():
    """check_text's regex scan refuses what a per-character Unicode category test would, for every code
    point of the Basic Multilingual Plane (the only one with Cc or Cs characters) and a few beyond it."""
    import unicodedata

    from ai_glossary_mcp.app.checks import check_text
    from ai_glossary_mcp.errors import InvalidArgument

    for multiline in (False, True):
        for cp in [*range(0x10000), 0x10000, 0x1F600, 0xE0001, 0x10FFFF]:
            ch = chr(cp)
            category = unicodedata.category(ch)
            refused = category == "Cs" or (category == "Cc" and not (multiline and ch in "\n\r\t"))
            try:
                check_text(f"a{ch}b", "term", multiline=multiline)
            except InvalidArgument as exc:
                assert refused, (hex(cp), multiline)
                assert ("surrogate" in str(exc)) == (category == "Cs")
            else:
                assert not refused, (hex(cp), multiline)


async def test_wrong_argument_types_are_tool_errors(client):
    assert "term" in await error_text(client, "define_term", {"term": 42})
    assert "detail" in await error_text(client, "define_term", {"term": "DPO", "detail": "everything"})
    assert "term" in await error_text(client, "define_term", {})


async def test_unknown_tool_is_a_json_rpc_error(client):
    with pytest.raises(MCPError) as info:
        await client.call_tool("define_everything", {})
    assert info.value.error.code == -32602
    assert "define_term" in info.value.error.message


async def test_define_terms_batch_keeps_order(client):
    data = (await call(client, "define_terms", {"terms": ["RoPE", "k-means", "GQA"]})).structured_content
    assert [r["found"] for r in data["results"]] == [True, False, True]
    assert (
        data["results"][0]["entry"]["id"] == "rope"
        and data["results"][2]["entry"]["id"] == "grouped-query-attention"
    )
    assert "terms" in await error_text(client, "define_terms", {"terms": []})
    assert "terms" in await error_text(client, "define_terms", {"terms": ["a"] * 21})
    assert "terms[1]" in await error_text(client, "define_terms", {"terms": ["DPO", "x" * 600]})


async def test_search_ranks_a_description_to_the_right_entry(client):
    data = (
        await call(
            client, "search_terms", {"query": "model ignores facts buried in the middle of a long prompt"}
        )
    ).structured_content
    assert data["results"][0]["id"] == "lost-in-the-middle"
    hit = data["results"][0]
    assert hit["uri"] == "glossary://terms/lost-in-the-middle" and hit["snippet"]
    assert 0.5 <= hit["score"] < 1.0 and hit["confident"]  # calibrated: 1 is kept for a name the query spells
    scores = [h["score"] for h in data["results"]]
    assert scores == sorted(scores, reverse=True) and len(scores) <= 5


async def test_search_respects_limit_and_category(client):
    data = (
        await call(client, "search_terms", {"query": "attention", "limit": 50, "category": "attention"})
    ).structured_content
    assert data["results"] and all(h["id"] for h in data["results"])
    ids = {h["id"] for h in data["results"]}
    categories = dict.fromkeys(ids)
    for id_ in categories:
        entry = (await call(client, "define_term", {"term": id_, "detail": "full"})).structured_content[
            "entry"
        ]
        assert entry["category"] == "attention"
    text = await error_text(client, "search_terms", {"query": "x", "category": "cooking"})
    assert "unknown category" in text and "attention" in text
    assert "limit" in await error_text(client, "search_terms", {"query": "x", "limit": 51})
    assert "limit" in await error_text(client, "search_terms", {"query": "x", "limit": -1})


async def test_search_is_deterministic(client):
    a = (await call(client, "search_terms", {"query": "memory", "limit": 20})).structured_content
    b = (await call(client, "search_terms", {"query": "memory", "limit": 20})).structured_content
    assert a == b


async def test_list_terms_pages_to_the_end_without_gaps_or_duplicates(client, glossary):
    seen, cursor, pages = [], "", 0
    while True:
        data = (await call(client, "list_terms", {"limit": 7, "cursor": cursor})).structured_content
        assert data["total"] == 101
        seen += [t["id"] for t in data["terms"]]
        cursor = data["next_cursor"]
        pages += 1
        if not cursor:
            break
    assert pages == 15 and len(seen) == 101 and len(set(seen)) == 101
    assert set(seen) == set(glossary.by_id)


async def test_list_terms_filters_and_rejects_bad_cursors(client):
    data = (await call(client, "list_terms", {"letter": "q"})).structured_content
    assert {t["id"] for t in data["terms"]} == {"qat", "qlora", "quantization"}
    data = (await call(client, "list_terms", {"category": "retrieval", "limit": 200})).structured_content
    assert data["total"] == len(data["terms"]) and all(t["category"] == "retrieval" for t in data["terms"])
    assert "cursor" in await error_text(client, "list_terms", {"cursor": "not-a-cursor"})
    first = (await call(client, "list_terms", {"limit": 2})).structured_content
    assert "filters" in await error_text(
        client, "list_terms", {"limit": 2, "letter": "A", "cursor": first["next_cursor"]}
    )
    assert "letter" in await error_text(client, "list_terms", {"letter": "AB"})
    assert "limit" in await error_text(client, "list_terms", {"limit": 201})


async def test_find_related_curated_first_then_mentions_then_category(client):
    data = (await call(client, "find_related", {"term": "FlashAttention", "limit": 50})).structured_content
    assert data["found"] and data["entry"]["id"] == "flashattention"
    related = data["related"]
    kinds = [r["relation"] for r in related]
    curated = [k for k in kinds if k not in ("mentions", "mentioned-by", "same-category")]
    assert curated and kinds[: len(curated)] == curated
    assert {"self-attention", "memory-bandwidth-bound"} <= {r["id"] for r in related}
    assert all(r["why"] for r in related)
    assert [r["score"] for r in related] == sorted((r["score"] for r in related), reverse=True)


async def test_find_related_filter_and_not_found(client):
    data = (await call(client, "find_related", {"term": "GSPO", "relation": "variant-of"})).structured_content
    assert data["related"] and all(r["relation"] == "variant-of" for r in data["related"])
    data = (await call(client, "find_related", {"term": "k-means"})).structured_content
    assert data["found"] is False and data["suggestions"]
    assert "relation" in await error_text(client, "find_related", {"term": "DPO", "relation": "cousin-of"})


async def test_explain_formula_with_symbols_in_three_spellings(client):
    for symbol in ("β", r"\beta", "beta"):
        data = (await call(client, "explain_formula", {"term": "DPO", "symbol": symbol})).structured_content
        assert data["has_formula"] and data["variable"]["symbol"] == "β", symbol
    data = (await call(client, "explain_formula", {"term": "dpo", "symbol": "π_θ"})).structured_content
    assert data["variable"]["meaning"].startswith("π_θ")
    f = data["formula"]
    assert f["mathml"] is None and f["latex"] and f["reading"] and f["text"] and f["variables"]
    asked = (
        await call(client, "explain_formula", {"term": "dpo", "include_mathml": True})
    ).structured_content
    assert asked["formula"]["mathml"].startswith("<math") and asked["formula"]["latex"] == f["latex"]
    assert "include_mathml" in await error_text(
        client, "explain_formula", {"term": "dpo", "include_mathml": "maybe"}
    )
    assert "legend" in await error_text(client, "explain_formula", {"term": "dpo", "symbol": "ω"})


async def test_explain_formula_never_invents_one(client):
    data = (await call(client, "explain_formula", {"term": "LoRA"})).structured_content
    assert data["found"] and data["has_formula"] is False and data["formula"] is None
    assert {e["id"] for e in data["formulas_available"]} == {
        "dpo",
        "grpo",
        "loss-function",
        "rlhf",
        "rope",
        "scaling-laws",
        "self-attention",
        "softmax",
    }


async def test_evaluate_formula_grpo_and_softmax(client):
    data = (
        await call(client, "evaluate_formula", {"term": "GRPO", "inputs": {"rewards": [1, 0, 0, 1]}})
    ).structured_content
    assert data["entry"]["id"] == "grpo"
    assert data["result"] == pytest.approx([1.0, -1.0, -1.0, 1.0])
    assert data["steps"]
    data = (
        await call(client, "evaluate_formula", {"term": "softmax", "inputs": {"logits": [2.0, 1.0, 0.1]}})
    ).structured_content
    assert sum(data["result"]) == pytest.approx(1.0)
    assert "unknown input name 'logit'; accepted names: logits (required)" in await error_text(
        client, "evaluate_formula", {"term": "softmax", "inputs": {"logit": [1]}}
    )
    assert "no formula" in await error_text(client, "evaluate_formula", {"term": "LoRA", "inputs": {}})
    # Unknown names are quoted clipped and at most five of them: an error never echoes a huge input back
    # (a zero-width character's repr is six characters, so 3,000 of them made an 18,000-character error).
    flood = {"\u200b" * 3000: 1, **{f"x{i}": 1 for i in range(40)}}
    text = await error_text(client, "evaluate_formula", {"term": "softmax", "inputs": flood})
    assert len(text) < 600 and "and 36 more" in text and "accepted names: logits (required)" in text


async def test_compare_terms(client):
    data = (await call(client, "compare_terms", {"terms": ["GQA", "MQA", "MLA"]})).structured_content
    assert [e["id"] for e in data["entries"]] == [
        "grouped-query-attention",
        "multi-query-attention",
        "multi-head-latent-attention",
    ]
    assert data["relations"]
    assert all(
        r["source"] in data["categories"] and r["target"] in data["categories"] for r in data["relations"]
    )
    assert "at least 2" in await error_text(client, "compare_terms", {"terms": ["DPO"]})


PARAGRAPH = (
    "Our serving stack runs a Mixture of Experts model: in our MoE, a router picks experts per token, "
    "GQA keeps the KV-Cache small, and speculative decoding hides the memory-bandwidth bound. "
    "We fine-tune it with LoRA, align it with DPO after SFT, and ground answers with RAG over a vector "
    "database to curb hallucination. A timid moe- prefix like moebius must not match."
)


async def test_find_terms_in_text_spans(client):
    data = (await call(client, "find_terms_in_text", {"text": PARAGRAPH})).structured_content
    mentions = data["mentions"]
    for m in mentions:
        assert PARAGRAPH[m["start"] : m["end"]] == m["surface"]
    ids = [m["id"] for m in mentions]
    expected = {
        "mixture-of-experts",
        "grouped-query-attention",
        "kv-cache",
        "speculative-decoding",
        "memory-bandwidth-bound",
        "lora",
        "dpo",
        "sft",
        "rag",
        "vector-database",
        "hallucination",
    }
    assert expected <= set(ids)
    surfaces = {m["surface"] for m in mentions}
    assert "MoE" in surfaces and not any(s.lower().startswith("moeb") for s in surfaces)
    assert len({e["id"] for e in data["entries"]}) == len(data["entries"]) >= 8
    assert "moe" not in {s for s in surfaces if s == "moe"}


async def test_find_terms_in_text_limits(client):
    assert "at most 20000" in await error_text(client, "find_terms_in_text", {"text": "a" * 20_001})
    data = (
        await call(client, "find_terms_in_text", {"text": "nothing relevant here\nat all"})
    ).structured_content
    assert data["mentions"] == [] and data["entries"] == []


async def test_answers_link_the_entries_they_are_about(client):
    """After the JSON text, one resource_link per entry the answer is about, which resources/read opens."""
    cases = {
        ("define_term", '{"term": "DPO"}'): ["dpo"],
        ("define_terms", '{"terms": ["RoPE", "k-means", "GQA"]}'): ["rope", "grouped-query-attention"],
        ("compare_terms", '{"terms": ["DPO", "RLHF"]}'): ["dpo", "rlhf"],
        ("explain_formula", '{"term": "softmax"}'): ["softmax"],
        ("define_term", '{"term": "quantum blockchain synergy"}'): [],
    }
    for (name, args), ids in cases.items():
        result = await call(client, name, json.loads(args))
        links = result.content[1:]
        assert [b.type for b in links] == ["resource_link"] * len(ids), (name, args)
        assert [str(b.uri) for b in links] == [f"glossary://terms/{i}" for i in ids], (name, args)
    hits = await call(client, "search_terms", {"query": "attention", "limit": 3})
    assert [str(b.uri) for b in hits.content[1:]] == [h["uri"] for h in hits.structured_content["results"]]
    read = await client.read_resource(str(hits.content[1].uri))
    assert read.contents[0].text.startswith("# ")


async def test_the_server_has_an_icon_and_the_tools_none(client):
    import base64

    (icon,) = client.server_info.icons
    assert icon.src.startswith("data:image/svg+xml;base64,") and icon.mime_type == "image/svg+xml"
    assert base64.b64decode(icon.src.split(",", 1)[1]).startswith(b"<svg")
    assert all(not t.icons for t in (await client.list_tools()).tools)  # each would cost tokens every turn
