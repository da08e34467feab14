"""Where the bundled glossary pack lives: inside the installed wheel, or in a source checkout.

Kept apart from loader.py so that finding the pack does not import YAML: a
server whose compiled store is current never parses a pack file.
"""

from __future__ import annotations

from pathlib import Path

PACK_FILE = "pack.yaml"

# The category ids the bundled pack.yaml declares (a test keeps the two equal), for text that must not
# parse YAML at startup. Served packs declare their own; read those from the glossary's vocabulary.
BUNDLED_CATEGORY_IDS = (
    "architecture", "attention", "training", "fine-tuning", "alignment", "reasoning", "inference",
    "quantization", "retrieval", "agents", "evaluation", "interpretability", "safety", "data", "context",
)


def bundled_pack_dir() -> Path:
    """The ai-ml pack shipped with the package (inside the wheel, or the repo in a checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "glossary_data" / "ai-ml", here.parents[1] / "glossary_data" / "ai-ml"):
        if (candidate / PACK_FILE).is_file():
            return candidate
    raise FileNotFoundError("the bundled glossary pack (glossary_data/ai-ml) is missing from this installation")
