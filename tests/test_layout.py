"""The package's shape stays what CONTRIBUTING.md says it is, and every module stays small.

CONTRIBUTING's "Layout" section maps the package and lists the files to touch for a new tool,
entry field, search signal or input format. A map that names a module which has moved, or omits
a subpackage that was added, sends a newcomer to the wrong file, so every path it names must
exist and every subpackage and top-level module must be named. A module over 450 lines usually
holds more than one job (the project's rule), so the size is checked here rather than in review.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "server" / "ai_glossary_mcp"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
MAX_MODULE_LINES = 450

# A path in backticks: a file with an extension, or a directory ending in "/" (no spaces: not a command).
PATH_IN_BACKTICKS = re.compile(r"`([\w.-]+(?:/[\w.-]+)*\.(?:py|json|md|yaml)|[\w.-]+(?:/[\w.-]+)*/)`")


def _layout_section() -> str:
    text = CONTRIBUTING.read_text(encoding="utf-8")
    start = text.index("\n## Layout\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _named_paths() -> set[str]:
    return set(PATH_IN_BACKTICKS.findall(_layout_section()))


def test_the_layout_section_names_paths():
    # A guard for the tests below: a regex that matched nothing would make them pass vacuously.
    paths = _named_paths()
    assert {"search/fusion.py", "app/tools.py", "interchange/__init__.py", "manifest.json"} <= paths


def test_every_path_in_the_layout_exists():
    # Paths are relative to the package, or to the repository for the files at its top.
    missing = sorted(p for p in _named_paths() if not (PACKAGE / p).exists() and not (ROOT / p).exists())
    assert not missing, f"CONTRIBUTING.md's Layout names paths that do not exist: {missing}"


def test_every_subpackage_and_top_level_module_is_in_the_layout():
    named = _named_paths()
    subpackages = {f"{d.name}/" for d in PACKAGE.iterdir() if (d / "__init__.py").is_file()}
    modules = {p.name for p in PACKAGE.glob("*.py") if not p.name.startswith("__")}
    assert len(subpackages) >= 6 and "cli.py" in modules
    unnamed = sorted((subpackages | modules) - named)
    assert not unnamed, f"CONTRIBUTING.md's Layout does not name: {unnamed}"


def test_no_module_in_the_package_exceeds_the_line_limit():
    lengths = {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert len(lengths) > 50  # the package itself, not an empty glob
    too_long = {module: lines for module, lines in sorted(lengths.items()) if lines > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split along a real seam): {too_long}"
