"""Open vocabularies: a pack declares its categories and extra relation types, and is served with them.

A small law glossary written at test time declares two categories and a `broader`/`narrower` pair;
one entry has no category. Served in process (the SDK's Client) from YAML and from the compiled
store, the tools speak its vocabulary: list_terms filters on its categories, an unknown category is
a tool error that lists the served ones, and find_related explains the declared relation types.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.index import GlossaryIndex
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.data.store import open_store
from ai_glossary_mcp.data.store_writer import write_store
from ai_glossary_mcp.data.vocabulary import (
    AUTHORED_RELATIONS,
    BUILTIN_RELATIONS,
    RELATION_INVERSES,
    RELATION_PHRASES,
    RelationPair,
)
from ai_glossary_mcp.errors import PackValidationError
from ai_glossary_mcp.search.fusion import STORED
from ai_glossary_mcp.serving.mcp_server import create_server

pytestmark = pytest.mark.anyio

PACK = """name: law
title: Law terms
version: "1"
source: tests
license: CC0-1.0
description: A pack written by a test.
categories:
  contracts: Contract law
  torts: Torts
relation_types:
  broader:
    inverse: narrower
    phrase: is a kind of
  narrower:
    inverse: broader
    phrase: has as a kind
"""
ENTRIES = {
    "contract": (
        "id: contract\nterm: Contract\ncategory: contracts\ndefinition: A legally binding agreement.\n"
    ),
    "bilateral-contract": (
        "id: bilateral-contract\nterm: Bilateral Contract\ncategory: contracts\n"
        "definition: A contract in which both parties make promises.\n"
        "related:\n- id: contract\n  relation: broader\n"
    ),
    "negligence": "id: negligence\nterm: Negligence\ncategory: torts\ndefinition: A failure to take care.\n",
    "due-process": "id: due-process\nterm: Due Process\ndefinition: Fair treatment through the courts.\n",
}


def write(root: Path, pack: str = PACK, entries: dict[str, str] = ENTRIES) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pack.yaml").write_text(pack, encoding="utf-8")
    for entry_id, text in entries.items():
        (root / f"{entry_id}.yaml").write_text(text, encoding="utf-8")
    return root


def test_the_glossary_exposes_the_declared_vocabulary(tmp_path: Path):
    g = load_glossary([write(tmp_path / "law")])
    assert dict(g.vocabulary.categories) == {"contracts": "Contract law", "torts": "Torts"}
    assert g.by_id["due-process"].category is None
    back = [e for e in g.edges["contract"] if e.target == "bilateral-contract"]
    assert [(e.relation, e.inferred) for e in back] == [("narrower", True)]
    assert back[0].why("Contract", "Bilateral Contract") == "Contract has as a kind Bilateral Contract"


@pytest.mark.parametrize("stored", [False, True], ids=["memory", "file"])
async def test_tools_follow_the_served_packs(tmp_path: Path, stored: bool):
    glossary = load_glossary([write(tmp_path / "law")])
    service = GlossaryService(glossary)  # an in-memory store
    if stored:
        write_store(GlossaryIndex(glossary), tmp_path / "law.sqlite", STORED)
        service = GlossaryService(open_store(tmp_path / "law.sqlite"))
        assert dict(service.index.categories) == {"contracts": "Contract law", "torts": "Torts"}
    async with Client(create_server(service)) as c:
        page = (await c.call_tool("list_terms", {"category": "contracts"})).structured_content
        assert [i["id"] for i in page["terms"]] == ["bilateral-contract", "contract"]
        by_label = (await c.call_tool("list_terms", {"category": "Contract law"})).structured_content
        assert by_label["terms"] == page["terms"]
        for tool, args in (("list_terms", {}), ("search_terms", {"query": "agreement"})):
            bad = await c.call_tool(tool, {**args, "category": "attention"})
            assert bad.is_error
            assert "unknown category 'attention'; use one of: contracts, torts" in bad.content[0].text
        related = (await c.call_tool("find_related", {"term": "contract"})).structured_content
        hit = next(h for h in related["related"] if h["id"] == "bilateral-contract")
        assert (hit["relation"], hit["why"]) == ("narrower", "Contract has as a kind Bilateral Contract")
        narrower = await c.call_tool("find_related", {"term": "contract", "relation": "narrower"})
        assert not narrower.is_error
        plain = (
            await c.call_tool("define_term", {"term": "due process", "detail": "full"})
        ).structured_content
        assert plain["found"] and plain["entry"]["category"] is None
        about = await c.read_resource("glossary://about")
        assert '"contracts": "Contract law"' in about.contents[0].text


def problems(root: Path) -> list[str]:
    with pytest.raises(PackValidationError) as info:
        load_glossary([root])
    return [p.message for p in info.value.problems]


def test_validation_is_per_pack(tmp_path: Path):
    law = write(tmp_path / "law")
    other = write(
        tmp_path / "other",
        PACK.replace("name: law", "name: other").split("categories:")[0],
        {
            "tort": "id: tort\nterm: Tort\ncategory: torts\ndefinition: A civil wrong.\n"
            "related:\n- id: contract\n  relation: broader\n"
        },
    )
    with pytest.raises(PackValidationError) as info:
        load_glossary([law, other])
    messages = [p.message for p in info.value.problems]
    assert (
        "category 'torts' is not declared by pack 'other'; declared: none (add `categories:` to pack.yaml)"
        in messages
    )
    assert any(
        m.startswith("related[0].relation 'broader' is not a relation type of pack 'other'") for m in messages
    )


def test_a_relation_type_needs_a_declared_inverse(tmp_path: Path):
    pack = PACK.split("  narrower:")[0]
    found = problems(write(tmp_path / "law", pack))
    assert any("relation type 'broader' has inverse 'narrower', which is not declared" in m for m in found), (
        found
    )


def test_packs_may_not_disagree_about_a_relation_type(tmp_path: Path):
    law = write(tmp_path / "law")
    other_pack = PACK.replace("name: law", "name: other").replace("inverse: narrower", "inverse: broader")
    other_pack = other_pack.split("  narrower:")[0]  # broader, its own inverse here
    other = write(tmp_path / "other", other_pack, {})
    with pytest.raises(PackValidationError) as info:
        load_glossary([law, other])
    (problem,) = info.value.problems
    assert problem.path.endswith("other/pack.yaml")
    assert (
        problem.message == "relation type 'broader' has inverse 'broader' here but 'narrower' in pack 'law'"
    )


def test_each_built_in_relation_pair_gives_both_directions():
    assert len(RELATION_INVERSES) == 15
    assert set(RELATION_PHRASES) == set(RELATION_INVERSES)
    assert tuple(pair.name for pair in BUILTIN_RELATIONS) == AUTHORED_RELATIONS
    for name, inverse in RELATION_INVERSES.items():
        assert RELATION_INVERSES[inverse] == name
    assert RELATION_INVERSES["has-variant"] == "variant-of"
    assert RELATION_PHRASES["has-variant"] == "has a variant"
    assert RELATION_INVERSES["see-also"] == "see-also"
    assert RELATION_PHRASES["see-also"] == "is closely related to"


def test_a_built_in_relation_pair_names_its_inverse_and_how_it_reads_together():
    with pytest.raises(ValueError, match="both the inverse and its phrase"):
        RelationPair("broader", "is a kind of", "narrower")
