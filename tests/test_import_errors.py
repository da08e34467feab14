"""Bad input to `import`: a clear `file:line` (or record) message, exit code 1, no traceback, no pack.

One case per kind of breakage the issue lists: a malformed CSV row, a TBX file declaring an
external entity, a Turtle syntax error, a Markdown file with no glossary, an empty file and a
50 MB file (refused from its size, before it is read: bounded time and memory). In every case the
target directory must not exist afterwards, so no partial pack can be mistaken for a complete one.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from helpers import EXE, ROOT, server_env

TBX_EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE tbx [
<!ENTITY secret SYSTEM "http://127.0.0.1:9/never-fetched">
]>
<tbx xmlns="urn:iso:std:iso:30042:ed-2"><text><body><conceptEntry id="a"><langSec xml:lang="en">
<termSec><term>&secret;</term></termSec></langSec></conceptEntry></body></text></tbx>
"""
TBX_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE tbx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<tbx><text><body><conceptEntry><langSec><termSec><term>&b;</term></termSec></langSec></conceptEntry></body></text></tbx>
"""
CASES = {
    # name: (file name, content, expected message start after "path:")
    "csv-unclosed-quote": (
        "prices.csv",
        'term,definition\nBond,"A debt security\nStock,Equity\n',
        ":2: malformed row: unexpected end of data",
    ),
    "csv-extra-cells": (
        "prices.csv",
        "term,definition\nBond,A debt security\nStock,Part of, a company,x\n",
        ":3: malformed row: 4 cells under a header of 2",
    ),
    "csv-no-term-column": (
        "prices.csv",
        "name of thing,meaning\nBond,A debt\n",
        ":1: the header row has no term or definition column",
    ),
    "tbx-external-entity": (
        "law.tbx",
        TBX_EXTERNAL,
        ":3: refused: the file declares an entity or external reference",
    ),
    "tbx-entity-expansion": (
        "law.tbx",
        TBX_LAUGHS,
        ":2: refused: the file declares an entity or external reference",
    ),
    "tbx-syntax": (
        "law.tbx",
        "<tbx><text><body>\n<conceptEntry>\n</tbx>\n",
        ":3: XML syntax error: mismatched tag",
    ),
    "turtle-syntax": (
        "music.ttl",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n\n"
        '<http://x/a> skos:prefLabel "A" ;\n    skos:definition "B" \n<http://x/b> skos:prefLabel "C" .\n',
        ":5: turtle syntax error:",
    ),
    "jsonld-remote-context": (
        "w.jsonld",
        '{"@context": "https://schema.org/", "@id": "x"}\n',
        ":1: the JSON-LD @context refers to a URL or file",
    ),
    "json-syntax": (
        "baking.json",
        '{"terms": [\n {"term": "A", "definition": "B"},\n]}\n',
        ":3: JSON syntax error",
    ),
    "markdown-no-glossary": (
        "notes.md",
        "Some notes about the project.\n\nNothing here is a glossary.\n",
        ": no glossary found: expected a definition list",
    ),
    "sphinx-no-directive": ("index.rst", "Title\n=====\n\nJust prose.\n", ": no `.. glossary::` directive"),
    "empty": ("empty.csv", "", ":1: file is empty: there is no glossary to import"),
    "blank": ("blank.md", "\n  \n", ":1: file is empty: there is no glossary to import"),
    "not-utf8": (
        "latin1.csv",
        b"term,definition\nCaf\xe9,A place\n",
        ":2: file is not UTF-8 (invalid byte 0xe9)",
    ),
}


def run_import(source: Path, target: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXE), "import", str(source), "--to", str(target), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=server_env(),
    )


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_a_located_message_and_no_pack(case: str, tmp_path: Path):
    name, content, expected = CASES[case]
    source = tmp_path / name
    source.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    target = tmp_path / "pack"
    done = run_import(source, target)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"{source}{expected}"), first
    assert done.stderr.splitlines()[-1] == "import failed; nothing was written"
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pack-importing-")]


@pytest.mark.parametrize(
    "context",
    [
        '{"@version": 1.1, "@import": "http://127.0.0.1:%d/ctx.jsonld"}',
        '["http://127.0.0.1:%d/ctx.jsonld"]',
        '{"skos": "http://www.w3.org/2004/02/skos/core#", "x": {"@id": "skos:x", "@context": "http://127.0.0.1:%d/c"}}',
    ],
)
def test_jsonld_that_would_load_a_context_is_refused_and_nothing_is_fetched(context: str, tmp_path: Path):
    import socket

    with socket.socket() as listener:  # a context server that must never see a connection
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        source = tmp_path / "w.jsonld"
        source.write_text(
            '{"@context": %s, "@id": "http://x/a", "http://www.w3.org/2004/02/skos/core#prefLabel": "A"}\n'
            % (context % port),
            encoding="utf-8",
        )
        done = run_import(source, tmp_path / "pack")
        assert done.returncode == 1 and "refers to a URL or file" in done.stderr, done.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert not (tmp_path / "pack").exists()


def test_a_50_mb_file_is_refused_in_bounded_time(tmp_path: Path):
    source = tmp_path / "huge.csv"
    with source.open("wb") as f:
        f.write(b"term,definition\n")
        f.truncate(50 * 1024 * 1024)  # 50 MB on disk; sparse, so the test writes almost nothing
    started = time.monotonic()
    done = run_import(source, tmp_path / "pack")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{source}: file is 50.0 MiB; the import limit is 16 MiB")
    assert time.monotonic() - started < 30  # refused from its size: no parse of 50 MB (a generous bound)
    assert not (tmp_path / "pack").exists()


def test_an_existing_pack_is_never_overwritten(tmp_path: Path):
    source = tmp_path / "a.csv"
    source.write_text("term,definition\nBond,A debt security.\n", encoding="utf-8")
    target = tmp_path / "pack"
    target.mkdir()
    (target / "keep.yaml").write_text("mine\n", encoding="utf-8")
    done = run_import(source, target)
    assert done.returncode == 1 and "the target directory is not empty" in done.stderr
    assert [p.name for p in target.iterdir()] == ["keep.yaml"]


def test_an_unknown_extension_asks_for_a_format(tmp_path: Path):
    source = tmp_path / "glossary.xlsx"
    source.write_bytes(b"PK")
    done = run_import(source, tmp_path / "pack")
    assert (
        done.returncode == 1
        and "cannot tell the format from the extension '.xlsx'; pass --format" in done.stderr
    )
