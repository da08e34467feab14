"""Plain-text glossaries laid out like the bundled pack's source (tests/fixtures/seed.txt).

Blocks are separated by blank lines. Single-letter blocks are index headings. An entry is a
heading block ("Name (ACRONYM)", "ACRONYM (Long Name)" or a bare name) followed by its definition
paragraph, then optionally: a formula line (the rendered text glued to its LaTeX source), a
"Where:" legend of "•" bullets, and "Read more:" lines. Before the first letter heading come the
glossary's title and description.

The formula line is split where the LaTeX starts: of the positions that leave a suffix
latex2mathml parses, the one whose rendered text (MathML text content) is closest to the prefix.
Legend bullets are kept verbatim as the formula's notes, so nothing of the legend is lost.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from ai_glossary_mcp.errors import display_path

from .common import Parsed, Record, fail, read_source, slugify, split_heading

_LETTER = re.compile(r"[A-Z#]")
_LATEX_HINT = re.compile(r"\\[A-Za-z]+|[_^]\{")


def _rendered(latex: str) -> str | None:
    from latex2mathml.converter import convert

    try:
        return "".join(ET.fromstring(convert(latex)).itertext())
    except Exception:  # latex2mathml raises many types; any means this suffix is not the LaTeX
        return None


def split_formula(line: str) -> tuple[str, str] | None:
    """(rendered text, LaTeX) of a formula line, or None when no suffix parses as LaTeX."""
    from rapidfuzz.distance import Levenshtein

    first = _LATEX_HINT.search(line)
    if first is None:
        return None

    def squash(s: str) -> str:
        return re.sub(r"\s+", "", s)

    best: tuple[int, int] | None = None
    for i in range(max(0, first.start() - 60), first.start() + 1):
        rendered = _rendered(line[i:])
        if rendered is None:
            continue
        distance = Levenshtein.distance(squash(rendered), squash(line[:i]))
        if best is None or distance < best[0]:
            best = (distance, i)
    if best is None:
        return None
    i = best[1]
    return (line[:i].strip() or line[i:].strip()), line[i:].strip()


def parse(path: Path, **_: Any) -> Parsed:
    text = read_source(path)
    shown = display_path(path)
    blocks: list[tuple[int, str]] = []
    for m in re.finditer(r"(?:[^\n]*\S[^\n]*\n?)+", text):
        lines = [part.strip() for part in m.group(0).strip().splitlines()]
        blocks.append((text[: m.start()].count("\n") + 1, " ".join(lines)))
    parsed = Parsed(records=[])
    start = next((k for k, (_, b) in enumerate(blocks) if _LETTER.fullmatch(b)), None)
    if start is None:
        start = 0
    else:
        intro = [b for _, b in blocks[:start]]
        at = next((n for n, b in enumerate(intro) if b.endswith(".") and len(b) < 120), 0)
        if intro:
            parsed.title = intro[at].rstrip(".")
            parsed.description = intro[at + 1] if at + 1 < len(intro) else None
    current: Record | None = None
    k = start
    while k < len(blocks):
        line, block = blocks[k]
        where = f"{shown}:{line}"
        if _LETTER.fullmatch(block):
            k += 1
            continue
        if current is not None and block.startswith("•"):
            if current.formula is None:
                parsed.skipped.append(f"{where}: skipped a legend bullet with no formula above it")
            else:
                current.formula["notes"].append(block.lstrip("•").strip())
            k += 1
            continue
        if current is not None and block == "Where:":
            k += 1
            continue
        if current is not None and block.casefold().startswith("read more"):
            title = block.split(":", 1)[1].strip() if ":" in block else ""
            url = re.search(r"https?://\S+", title)
            if url:
                current.read_more.append(
                    {
                        "title": title.replace(url.group(0), "").strip(" -–()") or url.group(0),
                        "url": url.group(0),
                    }
                )
            elif title:
                current.read_more.append({"title": title})
            k += 1
            continue
        if current is not None and current.formula is None and _LATEX_HINT.search(block):
            split = split_formula(block)
            if split is None:
                raise fail(
                    path, line, "a formula line whose LaTeX does not parse (no suffix of it is valid LaTeX)"
                )
            current.formula = {"latex": split[1], "text": split[0], "notes": []}
            k += 1
            continue
        # A heading, and the definition paragraph after it.
        if k + 1 >= len(blocks) or _LETTER.fullmatch(blocks[k + 1][1]):
            parsed.skipped.append(f"{where}: skipped '{block[:60]}': a heading with no definition after it")
            k += 1
            continue
        term, acronym, aliases, id_source = split_heading(block)
        current = Record(
            term=term,
            definition=blocks[k + 1][1],
            where=where,
            acronym=acronym,
            aliases=aliases,
            id=slugify(id_source),
        )
        parsed.records.append(current)
        k += 2
    if not parsed.records:
        raise fail(
            path, 0, "no glossary entries found (expected a heading line, then its definition paragraph)"
        )
    for r in parsed.records:
        if r.formula is not None and not r.formula["notes"]:
            del r.formula["notes"]
    return parsed
