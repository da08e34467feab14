"""Resources, the template, completions and prompts through the in-process Client."""

from __future__ import annotations

import json

import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import PromptReference, ResourceTemplateReference

pytestmark = pytest.mark.anyio


async def test_every_entry_is_a_listed_resource(client, glossary):
    listing = await client.list_resources()
    uris = {r.uri for r in listing.resources}
    assert {f"glossary://terms/{e.id}" for e in glossary.entries} <= uris
    assert {"glossary://index", "glossary://categories", "glossary://about"} <= uris
    for r in listing.resources:
        assert r.title and r.description and r.mime_type
    assert listing.cache_scope == "public" and listing.ttl_ms > 0


async def test_an_entry_has_one_title_in_its_resource_listing_its_page_and_the_index(client):
    # "DPO (Direct Preference Optimization)": the acronym first when the id is its slug, else "Term (ACR)".
    titles = {r.uri: r.title for r in (await client.list_resources()).resources}
    assert titles["glossary://terms/dpo"] == "DPO (Direct Preference Optimization)"
    assert titles["glossary://terms/mixture-of-experts"] == "Mixture of Experts (MoE)"
    index = (await client.read_resource("glossary://index")).contents[0].text
    for uri in ("glossary://terms/dpo", "glossary://terms/mixture-of-experts"):
        assert f"- [{titles[uri]}]({uri})" in index
        page = (await client.read_resource(uri)).contents[0].text
        assert page.startswith(f"# {titles[uri]}\n")


async def test_resource_list_is_paginated_and_complete(client, server, glossary):
    whole = [r.uri for r in (await client.list_resources()).resources]
    assert len(whole) == len(glossary) + 3
    server.resource_page_size = 40
    pages, cursor = [], None
    while True:
        page = await client.list_resources(cursor=cursor, cache_mode="bypass")
        pages.append([r.uri for r in page.resources])
        cursor = page.next_cursor
        if not cursor:
            break
    assert [len(p) for p in pages] == [40, 40, 24]
    assert [uri for p in pages for uri in p] == whole
    with pytest.raises(MCPError) as info:
        await client.list_resources(cursor="not-a-cursor", cache_mode="bypass")
    assert info.value.error.code == -32602 and "cursor" in info.value.error.message


async def test_entry_markdown_has_definition_formula_relations_and_links(client, glossary):
    contents = (await client.read_resource("glossary://terms/dpo")).contents
    assert len(contents) == 1 and contents[0].mime_type == "text/markdown"
    text = contents[0].text
    assert text.startswith("# DPO (Direct Preference Optimization)")
    assert glossary.by_id["dpo"].definition in text
    assert glossary.by_id["dpo"].formula.latex in text
    assert "glossary://terms/rlhf" in text
    assert "Worked example" in text and "evaluate_formula" in text


async def test_json_twin_is_the_full_entry(client):
    contents = (await client.read_resource("glossary://terms/kv-cache.json")).contents
    assert contents[0].mime_type == "application/json"
    data = json.loads(contents[0].text)
    assert data["id"] == "kv-cache" and data["uri"] == "glossary://terms/kv-cache"


async def test_index_categories_and_about(client, glossary):
    index = (await client.read_resource("glossary://index")).contents[0].text
    assert index.count("glossary://terms/") == 101 and "## Q" in index
    cats = (await client.read_resource("glossary://categories")).contents[0].text
    assert cats.count("glossary://terms/") == 101 and "Attention" in cats
    about = json.loads((await client.read_resource("glossary://about")).contents[0].text)
    assert about["content_hash"] == glossary.content_hash
    assert about["packs"][0]["name"] == "ai-ml" and about["counts"]["entries"] == 101


@pytest.mark.parametrize(
    "uri",
    [
        "glossary://terms/not-a-term",
        "glossary://terms/../../etc/passwd",
        "glossary://terms/%2e%2e%2fetc",
        "glossary://terms/" + "a" * 5000,
        "file:///etc/passwd",
        "https://example.com/x",
        "glossary://terms/",
        "glossary://nothing",
    ],
)
async def test_unknown_resources_are_resource_not_found(client, uri):
    with pytest.raises(MCPError) as info:
        await client.read_resource(uri)
    assert info.value.error.code == -32602
    assert "not found" in info.value.error.message.lower()
    assert len(info.value.error.message) < 600


async def test_template_is_listed(client):
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["glossary://terms/{id}", "glossary://terms/{id}.json"]


async def test_template_id_completes_by_prefix_then_fuzzy(client):
    ref = ResourceTemplateReference(uri="glossary://terms/{id}")
    values = (await client.complete(ref, {"name": "id", "value": "multi"})).completion.values
    # Every entry with a name starting "multi" comes before any fuzzy match.
    assert set(values[:4]) == {
        "multi-head-attention",
        "multi-query-attention",
        "multi-head-latent-attention",
        "mtp",
    }
    values = (await client.complete(ref, {"name": "id", "value": "rotary"})).completion.values
    assert values[0] == "rope"
    values = (await client.complete(ref, {"name": "id", "value": "speculatve"})).completion.values
    assert "speculative-decoding" in values
    everything = (await client.complete(ref, {"name": "id", "value": ""})).completion
    assert len(everything.values) == 100 and everything.has_more and everything.total == 101


async def test_prompt_arguments_complete(client):
    ref = PromptReference(name="explain_term")
    values = (await client.complete(ref, {"name": "term", "value": "Spec"})).completion.values
    assert values[0] == "Speculative Decoding"
    assert (await client.complete(ref, {"name": "audience", "value": "b"})).completion.values == ["beginner"]
    ref = PromptReference(name="compare_terms")
    values = (await client.complete(ref, {"name": "terms", "value": "DPO, RLH"})).completion.values
    assert values[0].startswith("DPO, Reinforcement Learning from Human Feedback")


async def test_formula_symbols_complete_from_the_term_already_chosen(client, glossary):
    # completion/complete's context.arguments carries the prompt's earlier arguments: the symbols offered
    # are those of that term's formula, and change with it.
    ref = PromptReference(name="walk_through_formula")

    async def symbols(value: str, arguments: dict | None) -> list[str]:
        return (
            await client.complete(ref, {"name": "symbol", "value": value}, context_arguments=arguments)
        ).completion.values

    legend = {e.id: [v.symbol for v in e.formula.variables] for e in glossary.formula_entries}
    assert await symbols("", {"term": "DPO"}) == legend["dpo"]
    assert await symbols("", {"term": "direct preference optimisation"}) == legend["dpo"]
    assert await symbols("", {"term": "softmax"}) == legend["softmax"] != legend["dpo"]
    assert await symbols("K", {"term": "softmax"}) == [s for s in legend["softmax"] if s.startswith("K")]
    assert await symbols("", None) == [] and await symbols("", {"term": "LoRA"}) == []  # no term, no formula
    terms = (await client.complete(ref, {"name": "term", "value": ""})).completion.values
    assert sorted(terms) == sorted(e.term for e in glossary.formula_entries)
    assert (await client.complete(ref, {"name": "term", "value": "direct pref"})).completion.values == [
        "Direct Preference Optimization"
    ]


async def test_formula_prompt_embeds_the_entry_and_focuses_on_a_symbol(client):
    result = await client.get_prompt("walk_through_formula", {"term": "DPO", "symbol": "beta"})
    assert result.messages[0].content.resource.uri == "glossary://terms/dpo"
    text = result.messages[-1].content.text
    assert "Focus on β" in text and "evaluate_formula" in text


async def test_explain_term_prompt_embeds_the_entry(client):
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == {"explain_term", "compare_terms", "walk_through_formula"}
    result = await client.get_prompt("explain_term", {"term": "GRPO", "audience": "beginner"})
    block = result.messages[0].content
    assert block.type == "resource" and block.resource.uri == "glossary://terms/grpo"
    text = result.messages[-1].content.text
    assert (
        "glossary://terms/grpo" in text and "evaluate_formula" in text and "new to machine learning" in text
    )


async def test_compare_terms_prompt_embeds_each_entry(client):
    result = await client.get_prompt("compare_terms", {"terms": "DPO, RLHF, GRPO"})
    uris = [m.content.resource.uri for m in result.messages if m.content.type == "resource"]
    assert uris == ["glossary://terms/dpo", "glossary://terms/rlhf", "glossary://terms/grpo"]


@pytest.mark.parametrize(
    "name,args",
    [
        ("explain_term", {"term": "k-means"}),
        ("explain_term", {"term": "DPO", "audience": "toddler"}),
        ("compare_terms", {"terms": "DPO"}),
        ("nonexistent_prompt", {}),
        ("walk_through_formula", {"term": "LoRA"}),
        ("walk_through_formula", {"term": "DPO", "symbol": "ω"}),
    ],
)
async def test_bad_prompt_requests_are_invalid_params(client, name, args):
    with pytest.raises(MCPError) as info:
        await client.get_prompt(name, args)
    assert info.value.error.code == -32602 and info.value.error.message
