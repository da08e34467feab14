"""Every validation rule of the pack loader, one failing fixture pack per rule.

Committed fixtures live in tests/fixtures/packs/<rule>/; files that must not be
committed (not UTF-8, binary, oversize, truncated, unreadable, YAML bombs) are
written into tmp_path by the test. Each failing case asserts the exact
`file:line: message` of every problem, with the path shown as the loader shows
it (relative to the working directory, via `errors.display_path`).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pydantic
import pytest
import yaml

from ai_glossary_mcp.data.glossary import Edge, Glossary
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.data.vocabulary import RELATION_INVERSES
from ai_glossary_mcp.data.yaml_reader import MAX_FILE_BYTES
from ai_glossary_mcp.errors import PackValidationError, Problem, display_path

PACKS = Path(__file__).resolve().parent / "fixtures" / "packs"

# pydantic's wording for a value outside a Literal, built from our vocabularies.
FIXTURE_CATEGORIES = "architecture, attention, training, inference, data"  # what the fixture packs declare


def bad_category(category: str, pack: str) -> str:
    return f"category '{category}' is not declared by pack '{pack}'; declared: {FIXTURE_CATEGORIES}"


# Written out, not read from data/vocabulary.py: the message is what a pack author sees, so the test
# pins it independently of the table it is built from.
_AUTHORED = [
    "variant-of",
    "builds-on",
    "part-of",
    "uses",
    "mitigates",
    "measures",
    "alternative-to",
    "contrasts-with",
    "see-also",
]
BAD_RELATION = (
    "related[0].relation 'similar-to' is not a relation type of pack 'bad-relation-type'; use one of: "
    + ", ".join(_AUTHORED)
)


# The loader parses with libyaml when PyYAML was built with it, else with pure-Python PyYAML; the two
# word some syntax errors differently, and libyaml refuses nesting past 1000 levels while parsing. Which
# one this PyYAML has decides the expected wording, so a loader that ignored libyaml would fail here.
LIBYAML = hasattr(yaml, "CSafeLoader")
MAPPING_VALUES = (
    "mapping values are not allowed in this context" if LIBYAML else "mapping values are not allowed here"
)
# libyaml refuses deep nesting itself and says whether a flow [ or a block list went too deep.
TOO_DEEP_FLOW = (
    "YAML syntax error: while increasing flow level; exceeded maximum nesting depth"
    if LIBYAML
    else "nesting deeper than 24 levels"
)
TOO_DEEP_BLOCK = (
    "YAML syntax error: while increasing block level; exceeded maximum nesting depth"
    if LIBYAML
    else "nesting deeper than 24 levels"
)


def shown(*parts: str) -> str:
    """A fixture path as problems print it."""
    return display_path(PACKS.joinpath(*parts))


def problems_of(*dirs: Path | str) -> list[str]:
    """Load the packs, expect PackValidationError, return its problems as strings."""
    with pytest.raises(PackValidationError) as info:
        load_glossary([Path(d) for d in dirs])
    problems = info.value.problems
    assert problems, "PackValidationError without problems"
    assert all(isinstance(p, Problem) for p in problems)
    return [str(p) for p in problems]


# --------------------------------------------------------------------------- committed fixture packs

CASES = {
    "yaml-syntax": (
        ["yaml-syntax"],
        [f"{shown('yaml-syntax', 'beta.yaml')}:4: YAML syntax error: {MAPPING_VALUES}"],
    ),
    "unknown-field": (
        ["unknown-field"],
        [f"{shown('unknown-field', 'alpha.yaml')}:5: unknown field 'synonyms'"],
    ),
    "missing-field": (
        ["missing-field"],
        # A missing key has no line of its own: the problem points at the mapping (line 1).
        [f"{shown('missing-field', 'alpha.yaml')}:1: missing required field 'definition'"],
    ),
    "bad-category": (
        ["bad-category"],
        [f"{shown('bad-category', 'alpha.yaml')}:3: {bad_category('machine-learning', 'bad-category')}"],
    ),
    "id-mismatch": (
        ["id-mismatch"],
        [f"{shown('id-mismatch', 'alpha.yaml')}:2: id 'alfa' does not match the file name 'alpha.yaml'"],
    ),
    "duplicate-id-across-packs": (
        ["duplicate-id/base", "duplicate-id/team"],
        [
            f"{shown('duplicate-id', 'team', 'alpha.yaml')}:1: duplicate id 'alpha' (already defined in "
            f"{shown('duplicate-id', 'base', 'alpha.yaml')}:1); "
            "set `overrides: true` in a later pack to replace it"
        ],
    ),
    "overrides-with-nothing-to-override": (
        ["duplicate-id/override-nothing"],
        [
            f"{shown('duplicate-id', 'override-nothing', 'omega.yaml')}:5: "
            "overrides: true, but no earlier pack defines 'omega'"
        ],
    ),
    "overrides-with-nothing-to-override-after-another-pack": (
        ["duplicate-id/base", "duplicate-id/override-nothing"],
        [
            f"{shown('duplicate-id', 'override-nothing', 'omega.yaml')}:5: "
            "overrides: true, but no earlier pack defines 'omega'"
        ],
    ),
    "alias-collision": (
        ["alias-collision"],
        [
            f"{shown('alias-collision', 'paged-cache.yaml')}:5: "
            "alias 'kv_cache' collides with the term 'KV Cache' "
            f"of entry 'key-value-cache' ({shown('alias-collision', 'key-value-cache.yaml')}:2)"
        ],
    ),
    "acronym-collision": (
        ["acronym-collision"],
        [
            f"{shown('acronym-collision', 'mixture-of-experts.yaml')}:3: "
            "acronym 'MOE' collides with the acronym 'MoE' of entry 'mixture-of-encoders' "
            f"({shown('acronym-collision', 'mixture-of-encoders.yaml')}:3)"
        ],
    ),
    "unknown-relation-target": (
        ["unknown-relation-target"],
        [f"{shown('unknown-relation-target', 'alpha.yaml')}:8: related[1] points at unknown id 'gamma'"],
    ),
    "self-relation": (
        ["self-relation"],
        [f"{shown('self-relation', 'alpha.yaml')}:6: related[0] points at the entry itself"],
    ),
    "bad-relation-type": (
        ["bad-relation-type"],
        [f"{shown('bad-relation-type', 'alpha.yaml')}:7: {BAD_RELATION}"],
    ),
    "bad-latex": (
        ["bad-latex"],
        [
            f"{shown('bad-latex', 'alpha.yaml')}:6: formula.latex does not parse: unbalanced braces",
            # latex2mathml's exceptions carry no message, hence the bare trailing ": " (a loader wart).
            f"{shown('bad-latex', 'beta.yaml')}:7: "
            "formula.latex does not parse: ExtraLeftOrMissingRightError",
        ],
    ),
    "anchors-aliases": (
        ["anchors-aliases"],
        # Reported where the anchored node is (`term: &name Alpha`), since the alias resolves to it.
        [
            f"{shown('anchors-aliases', 'alpha.yaml')}:2: "
            "YAML anchors and aliases are not allowed in glossary files"
        ],
    ),
    "missing-pack-file": (
        ["missing-pack-file"],
        [
            f"{shown('missing-pack-file', 'pack.yaml')}: missing pack file "
            "(name, title, version, source, license, description)"
        ],
    ),
    "missing-pack-directory": (
        ["does-not-exist"],
        [f"{shown('does-not-exist')}: pack directory does not exist or is not a directory"],
    ),
    "not-a-mapping": (
        ["not-a-mapping"],
        [f"{shown('not-a-mapping', 'alpha.yaml')}:1: an entry file must be a YAML mapping of fields"],
    ),
}


@pytest.mark.parametrize("rule", list(CASES))
def test_fixture_pack_reports_exactly_its_problem(rule: str):
    dirs, expected = CASES[rule]
    assert problems_of(*(PACKS / d for d in dirs)) == expected


def test_problem_objects_carry_path_line_and_message():
    with pytest.raises(PackValidationError) as info:
        load_glossary([PACKS / "id-mismatch"])
    assert info.value.problems == [
        Problem(shown("id-mismatch", "alpha.yaml"), 2, "id 'alfa' does not match the file name 'alpha.yaml'")
    ]
    assert str(info.value) == (
        f"1 problem in glossary data:\n{shown('id-mismatch', 'alpha.yaml')}:2: "
        "id 'alfa' does not match the file name 'alpha.yaml'"
    )


def test_overrides_true_replaces_the_earlier_packs_entry():
    g = load_glossary([PACKS / "duplicate-id" / "base", PACKS / "duplicate-id" / "team-override"])
    assert [e.id for e in g.entries] == ["alpha"]
    assert g.by_id["alpha"].definition == "Alpha as the team pack redefines it."
    assert g.entry_pack["alpha"] == "dup-team-override"
    assert [(p.pack.name, p.entry_count) for p in g.packs] == [("dup-base", 0), ("dup-team-override", 1)]


def test_the_same_pack_name_twice_is_refused(tmp_path: Path):
    other = tmp_path / "copy"
    shutil.copytree(PACKS / "duplicate-id" / "base", other)
    (other / "alpha.yaml").unlink()
    assert problems_of(PACKS / "duplicate-id" / "base", other) == [
        f"{display_path(other / 'pack.yaml')}:1: pack name 'dup-base' is already used by "
        f"{PACKS / 'duplicate-id' / 'base'}"
    ]


# --------------------------------------------------------------------------- every problem is collected


def test_three_faults_in_three_files_are_all_reported():
    assert problems_of(PACKS / "multiple-faults") == [
        f"{shown('multiple-faults', 'alpha.yaml')}:3: {bad_category('misc', 'multiple-faults')}",
        f"{shown('multiple-faults', 'beta.yaml')}:6: related[0] points at unknown id 'delta'",
        f"{shown('multiple-faults', 'gamma.yaml')}:1: id 'gama' does not match the file name 'gamma.yaml'",
    ]


def test_problems_of_several_packs_and_stages_are_reported_together():
    # A syntax error (read stage), a schema error (entry stage), a name collision (cross-file stage)
    # and a missing pack file, in four packs loaded at once.
    assert problems_of(
        PACKS / "yaml-syntax",
        PACKS / "unknown-field",
        PACKS / "acronym-collision",
        PACKS / "missing-pack-file",
    ) == [
        f"{shown('acronym-collision', 'mixture-of-experts.yaml')}:3: acronym 'MOE' collides with the acronym "
        f"'MoE' of entry 'mixture-of-encoders' ({shown('acronym-collision', 'mixture-of-encoders.yaml')}:3)",
        f"{shown('missing-pack-file', 'pack.yaml')}: missing pack file "
        "(name, title, version, source, license, description)",
        f"{shown('unknown-field', 'alpha.yaml')}:5: unknown field 'synonyms'",
        f"{shown('yaml-syntax', 'beta.yaml')}:4: YAML syntax error: {MAPPING_VALUES}",
    ]


# --------------------------------------------------------------------------- generated at test time

PACK_YAML = (
    b'name: generated\ntitle: Generated pack\nversion: "1"\nsource: tests\nlicense: CC0-1.0\n'
    b"description: A pack written by a test.\ncategories:\n  data: Data\n"
)
HEAD = b"id: x\nterm: X\ncategory: data\ndefinition: "  # the definition's value goes on line 4


def make_pack(root: Path, files: dict[str, bytes]) -> Path:
    pack = root / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_bytes(PACK_YAML)
    for name, content in files.items():
        (pack / name).write_bytes(content)
    return pack


def test_generated_valid_entry_loads(tmp_path: Path):
    # Guards the generated cases below: HEAD + a plain value is a valid entry.
    g = load_glossary([make_pack(tmp_path, {"x.yaml": HEAD + b"ok\n"})])
    assert [e.id for e in g.entries] == ["x"] and g.by_id["x"].definition == "ok"


def test_not_utf8(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": HEAD + b"caf\xff\xfe latte\n"})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:4: file is not UTF-8 (invalid byte 0xff)"]


def test_utf16_file_with_bom_is_not_utf8(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": (HEAD + b"ok\n").decode().encode("utf-16")})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:1: file is not UTF-8 (invalid byte 0xff)"]


def test_binary_file_with_nul_bytes(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": HEAD + b"ok\nPK\x03\x04\x14\x00\x00\x00\x08\x00"})
    assert problems_of(pack) == [
        f"{display_path(pack / 'x.yaml')}:5: file contains NUL bytes (binary data, not YAML text)"
    ]


def test_oversize_file(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": HEAD + b"a" * MAX_FILE_BYTES + b"\n"})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:1: file is larger than 256 KiB"]


def test_file_of_exactly_the_size_limit_is_read(tmp_path: Path):
    # 256 KiB exactly passes the size check; the definition is then too long for the schema.
    pack = make_pack(tmp_path, {"x.yaml": (HEAD + b"a" * MAX_FILE_BYTES)[:MAX_FILE_BYTES]})
    assert problems_of(pack) == [
        f"{display_path(pack / 'x.yaml')}:4: definition: String should have at most 5000 characters"
    ]


def test_truncated_mid_write_inside_a_quoted_string(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": HEAD + b'"An unfinished sentence that was cu'})
    assert problems_of(pack) == [
        f"{display_path(pack / 'x.yaml')}:4: YAML syntax error: while scanning a quoted scalar; "
        "found unexpected end of stream"
    ]


def test_truncated_mid_write_inside_a_utf8_character(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": HEAD + "café".encode()[:-1]})  # cut inside the two-byte "é"
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:4: file is not UTF-8 (invalid byte 0xc3)"]


def test_empty_file(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": b"# nothing but a comment\n"})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:1: file is empty"]


def test_unreadable_file_a_directory_named_like_an_entry(tmp_path: Path):
    pack = make_pack(tmp_path, {})
    (pack / "x.yaml").mkdir()
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}: cannot read file: Is a directory"]


def test_unreadable_file_a_dangling_symlink(tmp_path: Path):
    pack = make_pack(tmp_path, {})
    (pack / "x.yaml").symlink_to(tmp_path / "nowhere" / "x.yaml")
    assert problems_of(pack) == [
        f"{display_path(pack / 'x.yaml')}: cannot read file: No such file or directory"
    ]


def _billion_laughs() -> bytes:
    lines = ["lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "".join(f"  {line}\n" for line in lines).encode()


def test_billion_laughs_is_refused_before_expansion(tmp_path: Path):
    # 9**10 "lol"s if expanded; refused at the first alias, reported at the anchored node (lol0, line 6).
    pack = make_pack(tmp_path, {"x.yaml": HEAD + b"ok\ntags:\n" + _billion_laughs()})
    assert problems_of(pack) == [
        f"{display_path(pack / 'x.yaml')}:6: YAML anchors and aliases are not allowed in glossary files"
    ]


def test_ten_thousand_nested_lists_are_refused(tmp_path: Path):
    # Milliseconds with libyaml; PyYAML's pure-Python scanner is quadratic in flow depth within a line and
    # takes a few seconds here (no wall-clock bound: the suite's pytest-timeout catches a hang).
    pack = make_pack(tmp_path, {"x.yaml": b"[" * 10_000 + b"]" * 10_000 + b"\n"})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:1: {TOO_DEEP_FLOW}"]


def test_ten_thousand_nested_block_lists_are_refused(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": b"- " * 10_000 + b"x\n"})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:1: {TOO_DEEP_BLOCK}"]


def test_deep_nesting_inside_an_entry_is_reported_at_its_line(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": HEAD + b"ok\ntags:\n  " + b"- " * 10_000 + b"x\n"})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:6: {TOO_DEEP_BLOCK}"]


def test_nesting_just_past_the_limit_is_refused_at_its_line(tmp_path: Path):
    # tags (line 6) is depth 1; the node at depth 25 starts 24 lines further down.
    nested = b"".join(b"  " * i + b"-\n" for i in range(1, 31))
    pack = make_pack(tmp_path, {"x.yaml": HEAD + b"ok\ntags:\n" + nested})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:30: nesting deeper than 24 levels"]


def test_generated_faults_in_several_files_are_all_reported(tmp_path: Path):
    pack = make_pack(
        tmp_path,
        {
            "a.yaml": HEAD.replace(b"id: x", b"id: a").replace(b"term: X", b"term: A") + b"caf\xe9\n",
            "b.yaml": b"\x00\x00",
            "c.yaml": HEAD.replace(b"id: x", b"id: c").replace(b"term: X", b"term: C") + b"fine\n",
        },
    )
    (pack / "d.yaml").mkdir()
    assert problems_of(pack) == [
        f"{display_path(pack / 'a.yaml')}:4: file is not UTF-8 (invalid byte 0xe9)",
        f"{display_path(pack / 'b.yaml')}:1: file contains NUL bytes (binary data, not YAML text)",
        f"{display_path(pack / 'd.yaml')}: cannot read file: Is a directory",
    ]


# --------------------------------------------------------------------------- a valid pack


@pytest.fixture(scope="module")
def valid() -> Glossary:
    return load_glossary([PACKS / "valid"])


def test_valid_minimal_pack_loads(valid: Glossary):
    assert [e.id for e in valid.entries] == ["alpha", "beta", "gamma"]
    assert [(p.pack.name, p.entry_count) for p in valid.packs] == [("valid", 3)]
    assert valid.counts() == {"entries": 3, "formulas": 1, "relations": 3, "aliases": 1, "read_more": 0}
    assert valid.by_id["alpha"].acronym == "AA"
    assert valid.by_id["gamma"].formula.text == "size = 2 · n_layers · d"
    assert dict(valid.entry_pack) == {"alpha": "valid", "beta": "valid", "gamma": "valid"}


def test_inverse_edge_is_added(valid: Glossary):
    note = "alpha changes how beta weighs keys"
    assert valid.edges["alpha"] == (Edge("alpha", "beta", "variant-of", note, inferred=False),)
    # Authored edges first, then the inferred inverse of alpha -> beta.
    assert valid.edges["beta"] == (
        Edge("beta", "gamma", "uses", None, inferred=False),
        Edge("beta", "alpha", "has-variant", note, inferred=True),
    )
    assert RELATION_INVERSES["variant-of"] == "has-variant"


def test_edges_authored_in_both_directions_are_not_duplicated(valid: Glossary):
    # beta uses gamma and gamma see-also beta are both authored: no inferred edge is added on either side.
    assert valid.edges["gamma"] == (Edge("gamma", "beta", "see-also", None, inferred=False),)
    assert [e.target for e in valid.edges["beta"]].count("gamma") == 1
    assert not any(e.inferred for e in valid.edges["gamma"])


def test_loaded_glossary_is_immutable(valid: Glossary):
    with pytest.raises(dataclasses.FrozenInstanceError):
        valid.entries = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        valid.content_hash = "0" * 16  # type: ignore[misc]
    with pytest.raises(TypeError):
        valid.by_id["delta"] = valid.by_id["alpha"]  # type: ignore[index]
    with pytest.raises(TypeError):
        valid.edges["alpha"] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        valid.entry_pack["alpha"] = "other"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        valid.edges["beta"][0].inferred = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        valid.packs[0].entry_count = 0  # type: ignore[misc]
    assert isinstance(valid.entries, tuple) and isinstance(valid.edges["beta"], tuple)


def test_entries_are_frozen_pydantic_models(valid: Glossary):
    alpha = valid.by_id["alpha"]
    assert isinstance(alpha, Entry) and Entry.model_config.get("frozen") is True
    with pytest.raises(pydantic.ValidationError):
        alpha.term = "Changed"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        alpha.related[0].relation = "uses"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        valid.by_id["gamma"].formula.latex = "x"  # type: ignore[union-attr,misc]
    with pytest.raises(pydantic.ValidationError):
        valid.packs[0].pack.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        alpha.aliases.append("another")  # type: ignore[attr-defined]
    assert alpha.term == "Alpha Attention"


# --------------------------------------------------------------------------- content hash


def test_content_hash_changes_when_a_file_changes_and_not_otherwise(tmp_path: Path, valid: Glossary):
    pack = tmp_path / "valid"
    shutil.copytree(PACKS / "valid", pack)
    original = valid.content_hash
    assert len(original) == 16 and int(original, 16) >= 0
    # The same bytes somewhere else, loaded again, with new mtimes: the same hash.
    assert load_glossary([pack]).content_hash == original
    assert load_glossary([pack]).content_hash == original
    os.utime(pack / "beta.yaml", (1, 1))
    assert load_glossary([pack]).content_hash == original

    beta = (pack / "beta.yaml").read_bytes()
    (pack / "beta.yaml").write_bytes(beta + b"# a trailing comment\n")
    commented = load_glossary([pack]).content_hash
    assert commented != original

    (pack / "beta.yaml").write_bytes(beta.replace(b"alpha is a variant of", b"alpha varies"))
    reworded = load_glossary([pack]).content_hash
    assert reworded not in (original, commented)

    (pack / "beta.yaml").write_bytes(beta)
    assert load_glossary([pack]).content_hash == original

    pack_yaml = (pack / "pack.yaml").read_bytes()
    (pack / "pack.yaml").write_bytes(pack_yaml.replace(b'version: "1"', b'version: "2"'))
    assert load_glossary([pack]).content_hash != original


def test_content_hash_changes_when_an_entry_is_added(tmp_path: Path, valid: Glossary):
    pack = tmp_path / "valid"
    shutil.copytree(PACKS / "valid", pack)
    (pack / "delta.yaml").write_bytes(
        b"id: delta\nterm: Delta\ncategory: data\ndefinition: A fourth entry.\n"
    )
    grown = load_glossary([pack])
    assert len(grown) == 4 and grown.content_hash != valid.content_hash


# -------------------------------------------------------------- loader bugs found by these tests, now fixed


def test_escaped_braces_are_not_counted_as_unbalanced(tmp_path: Path):
    latex = rb"f(x) = \left\{ \begin{array}{ll} 1 & x > 0 \\ 0 & x \le 0 \end{array} \right."
    formula = b"ok\nformula:\n  latex: '" + latex + b"'\n  text: f(x) = 1 if x > 0 else 0\n"
    pack = make_pack(tmp_path, {"x.yaml": HEAD + formula})
    assert load_glossary([pack]).by_id["x"].formula.latex == latex.decode()


def test_duplicate_keys_are_refused(tmp_path: Path):
    pack = make_pack(tmp_path, {"x.yaml": HEAD + b"ok\nterm: Another X\n"})
    assert problems_of(pack) == [f"{display_path(pack / 'x.yaml')}:5: duplicate key 'term' (first at line 2)"]


def test_dangling_symlink_is_reported_under_its_own_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    pack = make_pack(tmp_path, {})
    (pack / "x.yaml").symlink_to("missing-target.yaml")
    assert problems_of(Path("pack")) == ["pack/x.yaml: cannot read file: No such file or directory"]


def test_worked_example_inputs_cannot_be_mutated(tmp_path: Path):
    pack = make_pack(
        tmp_path,
        {
            "x.yaml": HEAD + b"ok\nformula:\n  latex: x + y\n  text: x + y\n"
            b"  example:\n    inputs: {x: 1, y: 2}\n    result: 3\n"
        },
    )
    inputs = load_glossary([pack]).by_id["x"].formula.example.inputs
    try:
        inputs["x"] = 99  # type: ignore[index]
    except TypeError:
        return
    raise AssertionError("a loaded entry's worked example was changed in place")


def test_control_characters_in_a_name_are_refused(tmp_path: Path):
    """YAML's "\\x1f" escape loads a unit separator; names are one printable line (the store joins a name
    key's fields with that character)."""
    entry = b'id: x\nterm: "X\\x1fY"\ncategory: data\ndefinition: ok\n'
    pack = make_pack(tmp_path, {"x.yaml": entry})
    assert problems_of(pack) == [
        f"{display_path(pack / 'x.yaml')}:2: term: Value error, must not contain control characters"
    ]
