"""import(export(pack)) keeps every field the format can carry, for each export format.

The source pack is written here with every field an exporter may write: categories with labels,
a declared broader/narrower pair, built-in relation types with notes, aliases, acronyms,
misspellings, do-not-use names, examples, tags, a formula and a read-more link. Each format is exported with
the `export` command and imported again with `import`; the fields that format carries must come
back equal (relation types a format has no word for come back as see-also).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.data.vocabulary import AUTHORED_RELATIONS
from helpers import EXE, ROOT, server_env

PACK = """name: net
title: Networking terms
version: "1"
source: tests
license: CC0-1.0
description: A pack written by a test.
categories:
  transport: Transport layer
  naming: Naming
relation_types:
  broader:
    inverse: narrower
    phrase: is a kind of
  narrower:
    inverse: broader
    phrase: has as a kind
"""
ENTRIES = {
    "protocol": {
        "term": "Protocol",
        "definition": "A set of rules for exchanging messages.",
        "tags": ["basics"],
    },
    "tcp": {
        "term": "Transmission Control Protocol",
        "acronym": "TCP",
        "aliases": ["TCP/IP transport"],
        "misspellings": ["transmision control protocol"],
        "do_not_use": ["stream protocol"],
        "examples": ["TCP Reno"],
        "category": "transport",
        "tags": ["reliable"],
        "definition": (
            "A connection-oriented protocol that delivers an ordered byte stream, with retransmission."
        ),
        "related": [
            {"id": "protocol", "relation": "broader"},
            {"id": "udp", "relation": "contrasts-with", "note": "UDP gives no delivery guarantee"},
        ],
        "formula": {"latex": r"T = \frac{W}{RTT}", "text": "T = W / RTT", "notes": ["W is the window size"]},
        "read_more": [{"title": "RFC 9293", "url": "https://www.rfc-editor.org/rfc/rfc9293"}],
    },
    "udp": {
        "term": "User Datagram Protocol",
        "acronym": "UDP",
        "category": "transport",
        "definition": "A connectionless protocol that sends datagrams without delivery guarantees.",
        "related": [{"id": "protocol", "relation": "broader"}],
    },
    "dns": {
        "term": "Domain Name System",
        "acronym": "DNS",
        "aliases": ["name service"],
        "category": "naming",
        "definition": "The hierarchical system that maps host names to addresses.",
        "related": [{"id": "udp", "relation": "uses", "note": "queries go over UDP port 53"}],
    },
}
# What each format carries: the projection of an entry that must survive the round trip.
CARRIES = {
    "json": (
        "id",
        "term",
        "acronym",
        "aliases",
        "misspellings",
        "do_not_use",
        "examples",
        "category",
        "tags",
        "definition",
        "related",
        "formula",
        "read_more",
    ),
    "csv": ("term", "acronym", "aliases", "category", "tags", "definition", "related_builtin"),
    "markdown": ("term", "acronym", "aliases", "category", "definition", "related_targets"),
    "skos": ("term", "acronym", "aliases", "misspellings", "category", "definition", "related_skos"),
    "tbx": ("term", "acronym", "aliases", "do_not_use", "category", "definition", "related_targets"),
}
SUFFIX = {"json": ".json", "csv": ".csv", "markdown": ".md", "skos": ".ttl", "tbx": ".tbx"}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=server_env()
    )


def project(glossary, field: str):
    by_id = glossary.by_id
    out = {}
    for e in glossary.entries:
        if field == "category":
            value = glossary.vocabulary.label(e.category)
        elif field == "related":
            value = [(by_id[r.id].term, r.relation, r.note) for r in e.related]
        elif (
            field == "related_builtin"
        ):  # typed, but a spreadsheet declares no types of its own and has no notes
            value = [
                (by_id[r.id].term, r.relation if r.relation in AUTHORED_RELATIONS else "see-also")
                for r in e.related
            ]
        elif field == "related_targets":
            value = sorted(by_id[r.id].term for r in e.related)
        elif field == "related_skos":
            value = sorted(
                (by_id[r.id].term, r.relation if r.relation in ("broader", "narrower") else "see-also")
                for r in e.related
            )
        elif field == "formula":
            value = e.formula.model_dump() if e.formula else None
        elif field == "read_more":
            value = [r.model_dump() for r in e.read_more]
        else:
            value = getattr(e, field)
            value = list(value) if isinstance(value, tuple) else value
        out[e.term] = value
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    import yaml

    root = tmp_path_factory.mktemp("roundtrip") / "net"
    root.mkdir()
    (root / "pack.yaml").write_text(PACK, encoding="utf-8")
    for entry_id, data in ENTRIES.items():
        (root / f"{entry_id}.yaml").write_text(
            yaml.safe_dump({"id": entry_id, **data}, sort_keys=False), encoding="utf-8"
        )
    return root


@pytest.mark.parametrize("fmt", list(CARRIES))
def test_import_of_export_keeps_what_the_format_carries(fmt: str, source: Path, tmp_path: Path):
    exported = tmp_path / f"net{SUFFIX[fmt]}"
    done = cli("export", str(source), "--format", fmt, "--to", str(exported))
    assert done.returncode == 0, done.stderr
    back = tmp_path / "back"
    done = cli("import", str(exported), "--to", str(back), "--name", "net")
    assert done.returncode == 0, done.stderr
    before, after = load_glossary([source]), load_glossary([back])
    assert len(after.entries) == len(before.entries)
    for field in CARRIES[fmt]:
        assert project(after, field) == project(before, field), field


def test_export_to_stdout_is_the_file(source: Path, tmp_path: Path):
    done = cli("export", str(source), "--format", "csv")
    assert done.returncode == 0 and done.stdout.splitlines()[0].startswith("term,definition,aliases")
    assert len(done.stdout.splitlines()) == 1 + len(ENTRIES)


def test_export_of_a_broken_pack_lists_its_problems(tmp_path: Path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pack.yaml").write_text(PACK, encoding="utf-8")
    (broken / "x.yaml").write_text("id: x\nterm: X\ncategory: nowhere\ndefinition: d\n", encoding="utf-8")
    done = cli("export", str(broken), "--format", "json")
    assert done.returncode == 1 and done.stdout == ""
    assert "x.yaml:3: category 'nowhere' is not declared by pack 'net'" in done.stderr
    assert "Traceback" not in done.stderr
