"""Sphinx glossaries: the `.. glossary::` directive of reStructuredText.

Inside the directive, term lines sit at one indentation and their definition below them, indented
further. Several term lines before one definition name one concept: the first is the term, the
others aliases, and a short all-capitals one is the acronym. `:term:` roles in definitions are
reduced to their text and become see-also relations; options such as `:sorted:` are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ai_glossary_mcp.errors import display_path

from .common import Parsed, Record, fail, is_acronym, read_source

_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+glossary::\s*$")
_TERM_ROLE = re.compile(r":term:`([^`<]+?)(?:\s*<([^>]+)>)?`")
_CLASSIFIER = re.compile(r"\s+:\s+.*$")  # "term : classifier"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def parse(path: Path, **_: Any) -> Parsed:
    text = read_source(path).expandtabs(8)
    lines = text.splitlines()
    shown = display_path(path)
    parsed = Parsed(records=[])
    found = False
    i = 0
    title_lines = [
        n
        for n in range(1, len(lines))
        if re.fullmatch(r"(=+|-+|~+|\*+)", lines[n].strip() or "x") and lines[n - 1].strip()
    ]
    if title_lines:
        parsed.title = lines[title_lines[0] - 1].strip()
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            i += 1
            continue
        found = True
        base = len(m.group(1))
        i += 1
        term_indent = None
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            indent = _indent(line)
            if indent <= base:
                break
            if line.strip().startswith(":") and term_indent is None:  # a directive option (:sorted:)
                i += 1
                continue
            term_indent = term_indent or indent
            if indent != term_indent:
                parsed.skipped.append(
                    f"{shown}:{i + 1}: skipped a line indented like a definition with no term above it"
                )
                i += 1
                continue
            start = i
            names = []
            while i < len(lines) and lines[i].strip() and _indent(lines[i]) == term_indent:
                names.append(_CLASSIFIER.sub("", lines[i].strip()))
                i += 1
            body: list[str] = []
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > term_indent):
                body.append(lines[i].strip())
                i += 1
            paragraphs = [" ".join(p.split("\n")) for p in "\n".join(body).strip().split("\n\n") if p.strip()]
            definition = "\n\n".join(paragraphs)
            related = [(target or label).strip() for label, target in _TERM_ROLE.findall(definition)]
            definition = _TERM_ROLE.sub(lambda mm: mm.group(1).strip(), definition)
            acronym = next((n for n in names[1:] if is_acronym(n) and n.isupper() and len(n) <= 10), None)
            parsed.records.append(
                Record(
                    term=names[0],
                    definition=definition,
                    where=f"{shown}:{start + 1}",
                    acronym=acronym,
                    aliases=[n for n in names[1:] if n != acronym],
                    related=[(name, "see-also", None) for name in dict.fromkeys(related)],
                )
            )
    if not found:
        raise fail(path, 0, "no `.. glossary::` directive in this file")
    if not parsed.records:
        raise fail(path, 0, "the `.. glossary::` directive holds no terms")
    return parsed
