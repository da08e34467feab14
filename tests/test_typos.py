"""The typo rules, one test per row of TYPO_RULES: each row's example is decided by that row, and define_term
answers it accordingly (found as a fuzzy match when the row accepts, not found when it refuses). A row added
without an example that reaches it fails here."""

from __future__ import annotations

import pytest

from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.search.confusables import confusables
from ai_glossary_mcp.search.normalize import name_key
from ai_glossary_mcp.search.typos import TYPO_RULES, NearMiss, Rule, TypedWords, deciding_rule

pytestmark = pytest.mark.anyio


async def define(client, term: str) -> dict:
    result = await client.call_tool("define_term", {"term": term})
    assert not result.is_error
    return result.structured_content


def near_miss(index: IndexView, typed: str, written: str) -> NearMiss:
    from rapidfuzz import fuzz
    from rapidfuzz.distance import OSA

    query_key, key = name_key(typed), name_key(written)
    nk = index.keys[key]
    distance = OSA.distance(query_key.replace(" ", ""), key.replace(" ", ""))
    return NearMiss(
        query_key,
        key,
        nk.kind,
        fuzz.ratio(query_key, key),
        distance,
        TypedWords(typed),
        nk.text,
        lambda: confusables(index).has_rival(key, nk.entry_id),
    )


@pytest.mark.parametrize("rule", TYPO_RULES, ids=[rule.name for rule in TYPO_RULES])
async def test_each_rule_decides_its_example(service, client, rule: Rule):
    typed, written = rule.example
    assert deciding_rule(near_miss(service.index, typed, written)) is rule
    data = await define(client, typed)
    if rule.accept:
        assert data["found"] and data["match"]["kind"] == "fuzzy"
        assert data["entry"]["id"] == service.index.keys[name_key(written)].entry_id
    else:
        assert not data["found"]


def test_rules_have_distinct_names_and_reasons():
    assert (
        len({rule.name for rule in TYPO_RULES})
        == len({rule.reason for rule in TYPO_RULES})
        == len(TYPO_RULES)
    )
    assert TYPO_RULES[-1].accept and TYPO_RULES[-1].applies is not None


def test_confusables_come_from_the_served_names(service):
    """Served names one edit from another entry's name have rivals (DoRA/LoRA, MMLU/MMMU, DPO loss/IPO
    loss); names with none one edit away do not; the table is one per index object."""
    from ai_glossary_mcp.data.index import GlossaryIndex

    index = service.index
    table = confusables(index)
    assert table is confusables(index)
    assert confusables(GlossaryIndex(service.glossary)) is not table  # a glossary served anew: a new table
    for written in ("DoRA", "MMLU", "DPO loss", "GPTQ"):
        key = name_key(written)
        assert table.has_rival(key, index.keys[key].entry_id), written
    for written in ("Tokenization", "KV Cache", "FlashAttention"):
        key = name_key(written)
        assert not table.has_rival(key, index.keys[key].entry_id), written


async def test_a_one_letter_edit_of_a_confusable_long_name_is_not_a_typo(client):
    """ "DPO lss" is one letter from "DPO loss", itself one letter from "IPO loss": not a typo (the
    confusables row), where "KV Cach", with no served name one letter from "KV Cache", is."""
    data = await define(client, "DPO lss")
    assert not data["found"]
    data = await define(client, "KV Cach")
    assert data["found"] and data["entry"]["id"] == "kv-cache"
