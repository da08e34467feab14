"""Importing the seed glossary (tests/fixtures/seed.txt) reproduces the bundled pack's content.

The plain-text importer knows nothing of the bundled YAML; this test compares what it makes of the
seed with glossary_data/ai-ml: every definition verbatim, the same acronyms, the 8 formulas with
LaTeX that parses and every legend bullet, and both read-more links. The seed headings are paired
with entries through tests/seed_parser.py, the independent reader test_data.py uses too.
"""

from __future__ import annotations

import pytest
from latex2mathml.converter import convert

from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.interchange import importer
from ai_glossary_mcp.interchange.common import write_pack
from seed_parser import SEED, parse_seed


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    target = tmp_path_factory.mktemp("seed") / "ai-ml-imported"
    summary = write_pack(importer("text")(SEED), target, "ai-ml-imported", SEED)
    assert summary.notes == []  # nothing skipped
    return load_glossary([target])


def _by_definition(glossary):
    return {e.definition: e for e in glossary.entries}


def test_every_definition_is_verbatim_and_nothing_else_came_in(imported, glossary):
    assert len(imported.entries) == len(glossary.entries) == 101
    assert (
        set(_by_definition(imported)) == set(_by_definition(glossary)) == {s.definition for s in parse_seed()}
    )


def test_terms_and_acronyms_match_the_bundled_pack(imported, glossary):
    ours = _by_definition(imported)
    for bundled in glossary.entries:
        entry = ours[bundled.definition]
        assert entry.acronym == bundled.acronym, bundled.id
        assert entry.term == bundled.term or entry.term in bundled.aliases or bundled.term in entry.aliases, (
            bundled.id
        )
    assert (
        sum(e.id == b.id for b in glossary.entries for e in [ours[b.definition]]) >= 95
    )  # ids are the same slugs


def test_formulas_parse_and_keep_every_legend_bullet(imported, glossary):
    ours = _by_definition(imported)
    with_formula = [b for b in glossary.entries if b.formula is not None]
    assert len(with_formula) == len(imported.formula_entries) == 8
    for bundled in with_formula:
        f = ours[bundled.definition].formula
        assert f is not None, bundled.id
        convert(f.latex)
        assert sorted(f.notes) == sorted(
            [v.meaning for v in bundled.formula.variables] + list(bundled.formula.notes)
        )
        if bundled.id != "grpo":  # the bundled GRPO formula is a curated repair of the seed's
            assert f.latex == bundled.formula.latex, bundled.id


def test_read_more_links_are_kept(imported, glossary):
    ours = _by_definition(imported)
    pairs = [(b.read_more, ours[b.definition].read_more) for b in glossary.entries if b.read_more]
    assert len(pairs) == 2 and all(a == b for a, b in pairs)
    assert imported.counts()["read_more"] == 2


def test_the_pack_is_titled_from_the_seed(imported):
    assert imported.packs[0].pack.title == "AI & ML Glossary"
