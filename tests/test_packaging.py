"""The wheel carries the bundled glossary: installed elsewhere, run from elsewhere, it still serves it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("ai_glossary_mcp-*.whl")
    return found


def test_wheel_contains_the_package_and_every_glossary_file(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ai_glossary_mcp/__init__.py" in names and "ai_glossary_mcp/serving/mcp_server.py" in names
    assert "ai_glossary_mcp/app/output_schemas.json" in names  # the tools' outputSchemas, read at start
    assert "ai_glossary_mcp/search/english_words.gz" in names  # the word list of the real-word typo rule
    # the licence notice of the dictionary the word list is derived from
    assert "ai_glossary_mcp/search/english_words.LICENSE" in names
    for path in (ROOT / "glossary_data" / "ai-ml").glob("*.yaml"):
        assert f"ai_glossary_mcp/glossary_data/ai-ml/{path.name}" in names
    assert "ai_glossary_mcp/glossary_data/schema.json" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "ai-glossary-mcp = ai_glossary_mcp.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_finds_its_bundled_glossary_from_another_directory(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import ai_glossary_mcp, ai_glossary_mcp.data.loader as l; print(ai_glossary_mcp.__file__); "
        "print(l.bundled_pack_dir()); print(len(l.load_glossary())); "
        "from ai_glossary_mcp.search.english_words import is_english_word as e; "
        "print(e('decider'), e('tranformer'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.splitlines()
    assert out[0].startswith(str(target))
    assert out[1].startswith(str(target)) and out[1].endswith("glossary_data/ai-ml")
    assert out[2] == "101"
    assert out[3] == "True False"  # the word list ships inside the wheel


def test_validate_on_a_plain_install_checks_the_checkout_pack_in_place_of_the_installed_copy(
    wheel: Path, tmp_path: Path
):
    # `pip install .` then `ai-glossary-mcp validate glossary_data/ai-ml` (the README's step): the checkout's
    # pack is the bundled pack, so it is validated instead of the installed copy, not beside it.
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import sys, ai_glossary_mcp.cli as c; print(c.__file__, file=sys.stderr); "
        "sys.exit(c.main(sys.argv[1:]))"
    )
    for pack in ("glossary_data/ai-ml", str(tmp_path / "copy")):
        if pack != "glossary_data/ai-ml":
            import shutil

            shutil.copytree(ROOT / "glossary_data" / "ai-ml", pack)
        done = subprocess.run(
            [sys.executable, "-c", code, "validate", pack],
            cwd=ROOT,
            env={"PYTHONPATH": str(target)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.stderr.startswith(str(target)), done.stderr  # the installed package answered
        assert done.returncode == 0, done.stdout[:500]
        assert done.stdout.startswith("OK: 101 entries, 8 formulas") and "packs: ai-ml " in done.stdout
