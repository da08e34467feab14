"""Where the bundled glossary pack lives: inside the installed wheel, or in a source checkout.

Kept apart from loader.py so that finding the pack does not import YAML: a
server whose compiled store is current never parses a pack file.
"""

from __future__ import annotations

from pathlib import Path

PACK_FILE = "pack.yaml"


def is_bundled_pack(directory: Path) -> bool:
    """Whether `directory` is the bundled pack, or a copy of it (a checkout's glossary_data/ai-ml beside an
    installed wheel): the same directory, or a pack.yaml with the bundled pack's name. `validate` then checks
    it in place of the installed copy instead of reporting every id twice."""
    import yaml  # only `validate` asks, and it parses the packs anyway

    try:
        bundled = bundled_pack_dir()
        if directory.resolve() == bundled.resolve():
            return True
        theirs = yaml.safe_load((directory / PACK_FILE).read_text(encoding="utf-8"))
        ours = yaml.safe_load((bundled / PACK_FILE).read_text(encoding="utf-8"))
        return isinstance(theirs, dict) and theirs.get("name") == ours.get("name")
    except (OSError, ValueError, yaml.YAMLError):
        return False  # an unreadable pack is reported by the loader itself


def bundled_pack_dir() -> Path:
    """The ai-ml pack shipped with the package (inside the wheel, or the repo in a checkout)."""
    here = Path(__file__).resolve().parents[1]  # the package root (data/ is one level down)
    for candidate in (here / "glossary_data" / "ai-ml", here.parents[1] / "glossary_data" / "ai-ml"):
        if (candidate / PACK_FILE).is_file():
            return candidate
    raise FileNotFoundError(
        "the bundled glossary pack (glossary_data/ai-ml) is missing from this installation"
    )
