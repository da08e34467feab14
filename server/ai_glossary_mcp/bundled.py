"""Where the bundled glossary pack lives: inside the installed wheel, or in a source checkout.

Kept apart from loader.py so that finding the pack does not import YAML: a
server whose compiled store is current never parses a pack file.
"""

from __future__ import annotations

from pathlib import Path

PACK_FILE = "pack.yaml"


def bundled_pack_dir() -> Path:
    """The ai-ml pack shipped with the package (inside the wheel, or the repo in a checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "glossary_data" / "ai-ml", here.parents[1] / "glossary_data" / "ai-ml"):
        if (candidate / PACK_FILE).is_file():
            return candidate
    raise FileNotFoundError("the bundled glossary pack (glossary_data/ai-ml) is missing from this installation")
