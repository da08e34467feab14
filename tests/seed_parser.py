"""An independent reader of the seed glossary, used only by tests.

It parses tests/fixtures/seed.txt (a copy of the source glossary) without any
code from the package, so that the data tests compare the curated YAML with
the source itself rather than with our own parser's idea of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SEED = Path(__file__).resolve().parent / "fixtures" / "seed.txt"


@dataclass
class SeedEntry:
    heading: str
    definition: str
    letter: str
    bullets: list[str] = field(default_factory=list)
    formula_line: str | None = None
    read_more: list[str] = field(default_factory=list)


def parse_seed(path: Path = SEED) -> list[SeedEntry]:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if b.strip()]
    start = next(i for i, b in enumerate(blocks) if b == "A")
    entries: list[SeedEntry] = []
    letter = "A"
    i = start
    while i < len(blocks):
        block = blocks[i]
        if re.fullmatch(r"[A-Z]", block):
            letter = block
            i += 1
            continue
        if entries and (block.startswith(("•", "Read more")) or block == "Where:" or "\\" in block):
            current = entries[-1]
            if block.startswith("•"):
                current.bullets.append(block.lstrip("•").strip())
            elif block.startswith("Read more"):
                current.read_more.append(block.split(":", 1)[1].strip())
            elif block != "Where:":
                current.formula_line = block
            i += 1
            continue
        entries.append(SeedEntry(heading=block, definition=blocks[i + 1], letter=letter))
        i += 2
    return entries
