"""Examples are not names (issue 21, item 6): an entry's `examples:` are named instances of its concept (a
model, a library, one method of the kind). Asking for one is answered found:false, the concept first among
the suggestions and a note saying whose example it is; aliases, which are synonyms, still resolve."""

from __future__ import annotations

import pytest

from test_tools import call

pytestmark = pytest.mark.anyio


def _examples(glossary):
    return [(e.id, x) for e in glossary.entries for x in e.examples]


def test_the_glossary_has_examples_and_none_is_also_a_name(glossary):
    names = {n.casefold() for e in glossary.entries for n in (e.term, e.acronym or "", *e.aliases)}
    pairs = _examples(glossary)
    assert len(pairs) >= 40
    assert not [x for _, x in pairs if x.casefold() in names]


async def test_every_example_is_not_found_and_points_to_its_entry(client, glossary):
    for entry_id, example in _examples(glossary):
        data = (await call(client, "define_term", {"term": example})).structured_content
        assert data["found"] is False, example
        assert data["suggestions"][0]["id"] == entry_id, example
        term = glossary.by_id[entry_id].term
        assert data["note"] and "example of" in data["note"] and term in data["note"], example


def _respellings(name: str) -> set[str]:
    """The spellings a name's own lookup also accepts: spaced, joined and hyphenated, in lower case."""
    parts = name.replace("-", " ").split()
    return {" ".join(parts).lower(), "".join(parts).lower(), "-".join(parts).lower()} - {name}


async def test_an_example_spelled_spaced_joined_or_hyphenated_is_still_its_entrys_example(client, glossary):
    # Examples are keyed the way names are looked up (compact key), so "Sentence Piece" is SentencePiece.
    checked = 0
    for entry_id, example in _examples(glossary):
        for spelling in _respellings(example):
            data = (await call(client, "define_term", {"term": spelling})).structured_content
            if data["found"]:  # a respelling may be a real name of some entry: a name always wins
                continue
            checked += 1
            assert data["suggestions"][0]["id"] == entry_id, spelling
            assert data["note"] and "example of" in data["note"], spelling
    assert checked >= 40


async def test_every_alias_still_resolves_to_its_entry(client, glossary):
    for e in glossary.entries:
        for alias in e.aliases:
            data = (await call(client, "define_term", {"term": alias, "detail": "brief"})).structured_content
            assert data["found"] is True and data["entry"]["id"] == e.id, alias


async def test_a_near_miss_of_an_example_suggests_its_entry(client):
    data = (await call(client, "define_term", {"term": "Sentance Piece"})).structured_content
    assert data["found"] is False and "tokenization" in [s["id"] for s in data["suggestions"]]


async def test_full_detail_lists_the_examples_and_brief_does_not(client):
    full = (await call(client, "define_term", {"term": "Encoder", "detail": "full"})).structured_content
    assert "BERT" in full["entry"]["examples"]
    brief = (await call(client, "define_term", {"term": "Encoder", "detail": "brief"})).structured_content
    assert "examples" not in brief["entry"]


async def test_find_terms_in_text_does_not_report_an_example_as_its_concept(client):
    text = (
        "We fine-tuned BERT with AutoAWQ weights, scored it on HumanEval and GSM8K, and saved it as Q4_K_M."
    )
    data = (await call(client, "find_terms_in_text", {"text": text})).structured_content
    assert not {"encoder", "awq", "benchmark", "gguf"} & {m["id"] for m in data["mentions"]}
    # the concept's own name is still spotted
    data = (
        await call(client, "find_terms_in_text", {"text": "An encoder reads the whole input."})
    ).structured_content
    assert "encoder" in {m["id"] for m in data["mentions"]}
