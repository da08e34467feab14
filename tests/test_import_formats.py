"""Every import format, end to end: a glossary from another domain in, a pack out, served alone over stdio.

Each fixture under tests/fixtures/imports/ is a small glossary of a different non-AI domain in one
format. The test runs `ai-glossary-mcp import` as a user would, checks the summary, validates the
pack with `ai-glossary-mcp validate --no-bundled`, then serves it alone (`--no-bundled --data DIR`)
over a real stdio subprocess and asks define_term (names, aliases, acronyms, plurals),
find_related (the imported relations) and search_terms.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client

from helpers import EXE, ROOT, server_env, stdio_params, stdio_transport

pytestmark = pytest.mark.anyio
FIXTURES = ROOT / "tests" / "fixtures" / "imports"

# fixture -> (summary head, {query: term define_term must resolve to}, (term, related term, relation),
#             (search query, term expected first))
CASES = {
    "finance.csv": (
        "imported 6 entries, 8 aliases, 4 relations, 0 formulas, 2 categories",
        {
            "bonds": "Bond",
            "YTM": "Yield to Maturity",
            "debenture": "Bond",
            "ETF": "Exchange-Traded Fund",
            "exchange traded funds": "Exchange-Traded Fund",
            "P/E": "Price-to-Earnings Ratio",
            "stocks": "Equity",
        },
        ("Bond", "Yield to Maturity", "see-also"),
        ("periodic interest payment", "Coupon"),
    ),
    "astronomy.tsv": (
        "imported 4 entries, 1 aliases, 0 relations, 0 formulas, 2 categories",
        {
            "AU": "Astronomical Unit",
            "light years": "Light-Year",
            "white dwarfs": "White Dwarf",
            "degenerate dwarf": "White Dwarf",
        },
        None,
        ("remnant core of a star", "White Dwarf"),
    ),
    "medicine.md": (
        "imported 4 entries, 6 aliases, 2 relations, 0 formulas, 0 categories",
        {
            "MI": "Myocardial Infarction",
            "heart attacks": "Myocardial Infarction",
            "anemia": "Anaemia",
            "EKG": "Electrocardiogram",
            "Hb": "Haemoglobin",
        },
        ("Anaemia", "Haemoglobin", "see-also"),
        ("electrical activity of the heart", "Electrocardiogram"),
    ),
    "geology.md": (
        "imported 3 entries, 0 aliases, 0 relations, 0 formulas, 0 categories",
        {"igneous rocks": "Igneous Rock", "magma": "Magma"},
        None,
        ("deposition and cementation", "Sedimentary Rock"),
    ),
    "networking.rst": (
        "imported 5 entries, 2 aliases, 2 relations, 0 formulas, 0 categories",
        {
            "TCP": "Transmission Control Protocol",
            "DNS": "Domain Name System",
            "name resolution": "Domain Name System",
            "routers": "Router",
            "netmask": "Subnet Mask",
        },
        ("Router", "Internet Protocol", "see-also"),
        ("translates host names", "Domain Name System"),
    ),
    "law.tbx": (
        "imported 4 entries, 1 aliases, 1 relations, 0 formulas, 2 categories",
        {
            "contracts": "Contract",
            "binding agreement": "Contract",
            "TRO": "Temporary Restraining Order",
            "motions": "Motion",
        },
        ("Contract", "Consideration", "see-also"),
        ("short-term court order", "Temporary Restraining Order"),
    ),
    "chemistry-v2.tbx": (
        "imported 2 entries, 1 aliases, 0 relations, 0 formulas, 2 categories",
        {"pH buffer": "Buffer Solution", "catalysts": "Catalyst"},
        None,
        ("speeds up a chemical reaction", "Catalyst"),
    ),
    "music.ttl": (
        "imported 4 entries, 2 aliases, 5 relations, 0 formulas, 0 categories",
        {
            "P8": "Octave",
            "octaves": "Octave",
            "perfect octave": "Octave",
            "octive": "Octave",
            "diapente": "Perfect Fifth",
            "chords": "Chord",
        },
        ("Interval", "Octave", "narrower"),
        ("seven semitones", "Perfect Fifth"),
    ),
    "botany.rdf": (
        "imported 2 entries, 1 aliases, 1 relations, 0 formulas, 0 categories",
        {"leaf green": "Chlorophyll", "photosynthesis": "Photosynthesis"},
        ("Chlorophyll", "Photosynthesis", "see-also"),
        ("green pigment", "Chlorophyll"),
    ),
    "weather.jsonld": (
        "imported 2 entries, 1 aliases, 1 relations, 0 formulas, 0 categories",
        {"cold fronts": "Cold Front", "cold air boundary": "Cold Front"},
        ("Weather Front", "Cold Front", "narrower"),
        ("boundary between two air masses", "Weather Front"),
    ),
    "baking.json": (
        "imported 4 entries, 3 aliases, 2 relations, 0 formulas, 0 categories",
        {"proving": "Proofing", "BP": "Baker's Percentage", "yeasts": "Yeast"},
        ("Yeast", "Proofing", "see-also"),
        ("weight of water in a dough", "Hydration"),
    ),
    "physics.txt": (
        "imported 3 entries, 0 aliases, 0 relations, 1 formulas, 0 categories",
        {"KE": "Kinetic Energy", "newtons": "Newton", "momentum": "Momentum"},
        None,
        ("conserved in a closed system", "Momentum"),
    ),
}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=server_env()
    )


@pytest.mark.parametrize("fixture", list(CASES))
async def test_import_validate_and_serve_alone(fixture: str, tmp_path: Path):
    head, names, related, (query, top) = CASES[fixture]
    pack = tmp_path / "pack"
    done = cli("import", str(FIXTURES / fixture), "--to", str(pack), "--name", "imported")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == head
    assert "Traceback" not in done.stderr
    checked = cli("validate", "--no-bundled", str(pack))
    assert checked.returncode == 0 and checked.stdout.startswith("OK: "), checked.stdout + checked.stderr
    with tempfile.TemporaryFile("w+") as errlog:
        async with Client(stdio_transport(stdio_params("--no-bundled", "--data", str(pack)), errlog)) as c:
            for asked, term in names.items():
                found = (await c.call_tool("define_term", {"term": asked})).structured_content
                assert found["found"], (asked, found)
                assert found["entry"]["term"] == term, asked
            if related is not None:
                source, target, relation = related
                hits = (await c.call_tool("find_related", {"term": source})).structured_content["related"]
                assert (target, relation) in {(h["term"], h["relation"]) for h in hits}, hits
            results = (await c.call_tool("search_terms", {"query": query})).structured_content["results"]
            assert results and results[0]["term"] == top, results
            listed = (await c.call_tool("list_terms", {"limit": 200})).structured_content
            assert listed["total"] == int(head.split()[1])  # served alone: nothing from the bundled pack


def test_misspellings_resolve_but_are_never_shown(tmp_path: Path):
    from ai_glossary_mcp.app.service import GlossaryService
    from ai_glossary_mcp.data.loader import load_glossary

    pack = tmp_path / "music"
    assert cli("import", str(FIXTURES / "music.ttl"), "--to", str(pack)).returncode == 0
    service = GlossaryService(load_glossary([pack]))
    found = service.define("octive", "full")
    assert found.found and found.entry.term == "Octave"
    assert "octive" not in found.entry.model_dump_json()  # the query echo aside, it is never shown


def test_deprecated_tbx_terms_are_do_not_use_notes_not_names(tmp_path: Path):
    from ai_glossary_mcp.app.service import GlossaryService
    from ai_glossary_mcp.data.loader import load_glossary

    pack = tmp_path / "law"
    assert cli("import", str(FIXTURES / "law.tbx"), "--to", str(pack)).returncode == 0
    service = GlossaryService(load_glossary([pack]))
    entry = service.define("contract", "full").entry
    assert entry.do_not_use == ["pact"] and "pact" not in entry.aliases
    pact = service.define("pact")  # a do-not-use name is no name: it resolves to nothing
    assert not pact.found and pact.entry is None, pact


def test_tbx_language_is_chosen(tmp_path: Path):
    pack = tmp_path / "fr"
    done = cli("import", str(FIXTURES / "law.tbx"), "--to", str(pack), "--lang", "fr")
    assert done.returncode == 0, done.stderr
    assert "imported 1 entries" in done.stdout and "no terms in language 'fr'" in done.stdout
    assert "term: contrat" in (pack / "contrat.yaml").read_text(encoding="utf-8")


def test_csv_columns_are_mapped_by_flags(tmp_path: Path):
    source = tmp_path / "hr.csv"
    source.write_text("Word,Meaning,Short\nPaid Time Off,Leave an employer pays for.,PTO\n", encoding="utf-8")
    done = cli(
        "import",
        str(source),
        "--to",
        str(tmp_path / "hr"),
        "--column",
        "term=Word",
        "--column",
        "definition=Meaning",
        "--column",
        "acronym=Short",
    )
    assert done.returncode == 0, done.stderr
    assert "acronym: PTO" in (tmp_path / "hr" / "paid-time-off.yaml").read_text(encoding="utf-8")
    shown = cli("define", "pto", "--no-bundled", "--data", str(tmp_path / "hr"))
    assert (
        shown.returncode == 0
        and shown.stdout.splitlines()[0] == "Paid Time Off (PTO)  glossary://terms/paid-time-off"
    )


def test_collisions_and_unknown_relations_are_reported(tmp_path: Path):
    source = tmp_path / "clash.csv"
    source.write_text(
        "term,definition,aliases,related\n"
        "Lease,A contract to rent property.,rental agreement,Landlord; Tenant\n"
        "lease,A second row for the same term.,,\n"
        "Tenant,One who rents property.,rental agreement,\n"
        "C++,A language.,,\n"
        "C,Another language.,,\n",
        encoding="utf-8",
    )
    done = cli("import", str(source), "--to", str(tmp_path / "clash"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0] == "imported 4 entries, 1 aliases, 1 relations, 0 formulas, 0 categories"
    assert "clash.csv:3: skipped 'lease': the same name as entry 'Lease'" in out
    assert "clash.csv:4: dropped the alias 'rental agreement' of 'Tenant': it names entry 'lease'" in out
    assert "clash.csv:2: dropped the relation 'Lease' see-also 'Landlord': no entry has that name" in out
    assert "clash.csv:5: id 'c' is taken by 'C'; 'C++' gets id 'c-2'" in out  # the term C names 'c' itself


def test_the_server_never_imports_the_interchange_libraries():
    # rdflib and defusedxml are for `import`/`export` only:
    # serving (and the CLI's start) must not pay for them.
    code = (
        "import sys, ai_glossary_mcp.cli, ai_glossary_mcp.serving.mcp_server, ai_glossary_mcp.interchange; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'defusedxml')))"
    )
    done = subprocess.run(
        [str(EXE.with_name("python")), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=server_env(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["term", "definition", "acronym", "x"]),
        st.text()
        | st.lists(st.text(), max_size=3)
        | st.lists(st.fixed_dictionaries({"id": st.text(), "note": st.text()}), max_size=2)
        | st.integers()
        | st.floats(allow_nan=False)
        | st.booleans()
        | st.none(),
        min_size=1,
    )
)
def test_written_yaml_reads_back_as_the_data(data):
    # import writes entry files with its own emitter and checks the data, not a re-parse: it must round-trip.
    import yaml

    from ai_glossary_mcp.interchange.common import dump_yaml

    assert (
        yaml.load(dump_yaml(data, "# header\n"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) == data
    )
