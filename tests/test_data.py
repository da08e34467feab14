"""The curated glossary against its source: nothing lost, nothing reworded, every edge sound."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from latex2mathml.converter import convert

from ai_glossary_mcp.data.model import entry_json_schema
from ai_glossary_mcp.data.names import title
from seed_parser import SEED, parse_seed

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "glossary_data" / "ai-ml"
SEED_ENTRIES = parse_seed()
SHARED_SEED = ROOT.parent / "shared" / "seed" / "000_f351b38cd28d9f29.txt"  # beside the clone, when present
# sha256 of shared/seed/000_f351b38cd28d9f29.txt, and of its 101 "heading<TAB>definition" lines joined by
# newlines: what the copy and the curated YAML must match on a clone that has no shared/ beside it.
SEED_SHA256 = "41bb595cd32d7c6adf51432484099ec0f406c1eaedc0e5b98b2e147b422a1a16"
DEFINITIONS_SHA256 = "b613879c4d053fd06d6d16a5226e8d82480d4b3a3cb65176640416c758eea808"


def _entry_for(glossary, seed_heading: str):
    matches = [
        e
        for e in glossary.entries
        if title(e) == seed_heading
        or e.term == seed_heading
        or (e.aliases and f"{e.term} ({e.aliases[0]})" == seed_heading)
    ]
    assert len(matches) == 1, f"no unique entry for seed heading {seed_heading!r}: {[e.id for e in matches]}"
    return matches[0]


def test_the_seed_copy_is_the_shared_seed():
    # The copy every test here reads must be the shared seed, byte for byte. Beside the clone (a developer's
    # workspace) the two are compared; on a clean clone without shared/ the copy must still have the digest
    # the shared seed had when it was copied, so neither an edited copy nor a new seed passes unnoticed.
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == SEED_SHA256
    if SHARED_SEED.exists():
        assert SHARED_SEED.read_bytes() == SEED.read_bytes()
    assert len(SEED_ENTRIES) == 101


def test_the_curated_definitions_are_the_seeds_by_digest(glossary):
    # Independent of the copy's parser: the YAML's definitions, in seed order, hash to the committed digest.
    lines = [f"{seed.heading}\t{_entry_for(glossary, seed.heading).definition}" for seed in SEED_ENTRIES]
    assert hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest() == DEFINITIONS_SHA256


def test_counts(glossary):
    counts = glossary.counts()
    assert counts["entries"] == 101
    assert counts["formulas"] == 8
    assert counts["read_more"] == 2
    assert len(list(PACK.glob("*.yaml"))) == 102  # 101 entries + pack.yaml


def test_every_seed_entry_has_exactly_one_curated_entry(glossary):
    ids = [_entry_for(glossary, s.heading).id for s in SEED_ENTRIES]
    assert len(set(ids)) == 101


@pytest.mark.parametrize("letter", sorted({s.letter for s in SEED_ENTRIES}))
def test_definitions_are_verbatim_for_every_letter(glossary, letter):
    for seed in [s for s in SEED_ENTRIES if s.letter == letter]:
        assert _entry_for(glossary, seed.heading).definition == seed.definition, seed.heading


def test_acronyms_follow_the_seed_headings(glossary):
    for seed in SEED_ENTRIES:
        entry = _entry_for(glossary, seed.heading)
        m = re.fullmatch(r"(.+?) \((.+)\)", seed.heading)
        if m and " " not in m.group(1) and entry.acronym:
            assert entry.acronym in (m.group(1), m.group(2))


def test_every_where_bullet_is_kept_verbatim(glossary):
    for seed in [s for s in SEED_ENTRIES if s.bullets]:
        f = _entry_for(glossary, seed.heading).formula
        assert f is not None, seed.heading
        kept = [v.meaning for v in f.variables] + list(f.notes)
        assert sorted(kept) == sorted(seed.bullets), seed.heading


def test_formula_latex_comes_from_the_seed_and_parses(glossary):
    for seed in [s for s in SEED_ENTRIES if s.formula_line]:
        entry = _entry_for(glossary, seed.heading)
        f = entry.formula
        assert f is not None
        convert(f.latex)
        assert f.text and f.reading
        for v in f.variables:
            convert(v.latex)
        if entry.id != "grpo":
            assert seed.formula_line.endswith(f.latex), entry.id


def test_grpo_clip_is_repaired(glossary):
    latex = glossary.by_id["grpo"].formula.latex
    assert r"\text{clip}(\cdot)" not in latex
    assert re.search(r"\\text\{clip\}\\left\(.+1-\\varepsilon, 1\+\\varepsilon\\right\)", latex)


def test_read_more_titles_come_from_the_seed(glossary):
    for seed in SEED_ENTRIES:
        entry = _entry_for(glossary, seed.heading)
        assert [r.title for r in entry.read_more] == seed.read_more
        assert all(r.url is None for r in entry.read_more)  # the seed gives no URLs; none are invented


def test_categories_are_from_the_vocabulary_and_all_used(glossary):
    used = {e.category for e in glossary.entries}
    assert used <= set(glossary.vocabulary.categories)
    assert len(used) >= 10


def test_relations_are_symmetric_and_resolve(glossary):
    for entry in glossary.entries:
        edges = glossary.edges[entry.id]
        assert len(edges) >= 2, f"{entry.id} has fewer than two relations"
        for edge in edges:
            assert edge.target in glossary.by_id
            back = [b for b in glossary.edges[edge.target] if b.target == entry.id]
            assert back, f"{edge.target} has no edge back to {entry.id}"


def test_edges_named_in_the_brief_exist(glossary):
    def linked(a, b):
        return any(e.target == b for e in glossary.edges[a])

    for a, b in [
        ("constitutional-ai", "rlhf"),
        ("flashattention", "self-attention"),
        ("flashattention", "memory-bandwidth-bound"),
        ("needle-in-a-haystack", "effective-context-length"),
        ("alignment", "rlhf"),
        ("alignment", "dpo"),
        ("alignment", "grpo"),
        ("alignment", "constitutional-ai"),
    ]:
        assert linked(a, b) and linked(b, a), (a, b)


def test_aliases_named_in_the_brief(glossary):
    expected = {
        "distillation": "teacher-student training",
        "constitutional-ai": "RLAIF",
        "qlora": "NF4",
        "vector-database": "ANN index",
        "red-teaming": "jailbreaking",
        "rlhf": "clipped surrogate objective",
    }
    for entry_id, alias in expected.items():
        assert alias.casefold() in {a.casefold() for a in glossary.by_id[entry_id].aliases}, entry_id


def test_every_entry_has_aliases_an_acronym_or_examples(glossary):
    # Sparse Attention's only other names were instances (DSA, NSA): they are examples now (CURATION.md).
    for e in glossary.entries:
        assert e.aliases or e.acronym or e.examples, e.id


def test_ids_are_stable_slugs(glossary):
    for e in glossary.entries:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", e.id)
    for expected in ("dpo", "kv-cache", "mixture-of-experts"):
        assert expected in glossary.by_id


def test_schema_file_is_current(glossary):
    committed = json.loads((ROOT / "glossary_data" / "schema.json").read_text(encoding="utf-8"))
    assert committed["properties"]["category"]["enum"] == [*glossary.vocabulary.categories, None]
    assert committed == entry_json_schema(glossary.vocabulary.categories), (
        "glossary_data/schema.json is stale: run `make schema`"
    )


def test_every_entry_file_points_editors_at_the_schema():
    for path in PACK.glob("*.yaml"):
        if path.name == "pack.yaml":
            continue
        assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../schema.json\n")


def test_pack_file_describes_the_pack():
    pack = yaml.safe_load((PACK / "pack.yaml").read_text(encoding="utf-8"))
    assert set(pack) == {"name", "title", "version", "source", "license", "description", "categories"}
    assert pack["name"] == "ai-ml"


def test_the_bundled_pack_declares_its_fifteen_categories(glossary):
    pack = yaml.safe_load((PACK / "pack.yaml").read_text(encoding="utf-8"))
    assert len(pack["categories"]) == 15
    assert dict(glossary.vocabulary.categories) == pack["categories"]
