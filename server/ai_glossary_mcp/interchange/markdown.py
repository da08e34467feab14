"""Markdown glossaries: definition lists, or one heading per term (as GitBook-style pages are written).

Definition list: a term on one line, `: definition` on the next (more `:` lines continue it).
Heading pages: `## Term` followed by paragraphs; a heading with no paragraph of its own (a letter,
a section) only groups terms, and the first `# Title` names the pack. In either layout a
heading or term line `Name (ACR)` gives the acronym, a paragraph `Also known as: a, b` gives
aliases, `Category: X` the category and `See also: A, B` relations. Our exporter writes the
heading layout with exactly those lines, so import(export(pack)) keeps them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ai_glossary_mcp.data.names import with_acronym
from ai_glossary_mcp.errors import display_path

if TYPE_CHECKING:
    from ai_glossary_mcp.data.glossary import Glossary
    from ai_glossary_mcp.data.model import Entry

from .common import Parsed, Record, fail, read_source, split_heading

_HEADING = re.compile(r"(#{1,6})\s+(.+?)\s*#*\s*$")
_FIELD = re.compile(r"(?i)(also known as|aliases|acronym|category|see also|related)\s*:\s*(.+)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def _names(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", _LINK.sub(r"\1", text)) if part.strip()]


def _record(heading: str, paragraphs: list[str], where: str) -> Record:
    term, acronym, aliases, _ = split_heading(_LINK.sub(r"\1", heading).strip("*_ "))
    record = Record(term=term, definition="", where=where, acronym=acronym, aliases=aliases)
    body = []
    for paragraph in paragraphs:
        m = _FIELD.fullmatch(paragraph.strip("*_ ").replace("**", "").replace("__", ""))
        if not m:
            body.append(paragraph)
            continue
        key, value = m.group(1).casefold(), m.group(2).strip()
        if key in ("also known as", "aliases"):
            record.aliases += _names(value)
        elif key == "acronym":
            record.acronym = value
        elif key == "category":
            record.category = value
        else:
            record.related += [(name, "see-also", None) for name in _names(value)]
    record.definition = "\n\n".join(body)
    return record


def _paragraphs(lines: list[str]) -> list[str]:
    out, current = [], []
    for line in lines + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(" ".join(current))
            current = []
    return out


def parse(path: Path, **_: Any) -> Parsed:
    text = read_source(path)
    shown = display_path(path)
    lines = text.splitlines()
    parsed = Parsed(records=[])
    # Definition lists first: "Term" then ": definition".
    i = 0
    while i < len(lines) - 1:
        if lines[i].strip() and not lines[i].startswith((":", "#", " ")) and lines[i + 1].startswith(": "):
            heading, start = lines[i].strip(), i + 1
            i += 1
            parts: list[str] = []
            while i < len(lines) and (lines[i].startswith(": ") or (lines[i].startswith("  ") and parts)):
                parts.append(lines[i][2:].strip() if lines[i].startswith(": ") else lines[i].strip())
                i += 1
            parsed.records.append(
                _record(heading, [" ".join(parts)] if len(parts) == 1 else parts, f"{shown}:{start}")
            )
        else:
            i += 1
    if parsed.records:
        return parsed
    headings = [(n, m) for n, line in enumerate(lines) if (m := _HEADING.fullmatch(line))]
    for k, (n, m) in enumerate(headings):
        end = headings[k + 1][0] if k + 1 < len(headings) else len(lines)
        paragraphs = _paragraphs(lines[n + 1 : end])
        level, heading = len(m.group(1)), m.group(2)
        if level == 1 and parsed.title is None:
            parsed.title = heading
            if paragraphs:
                parsed.description = paragraphs[0]
            continue
        if not paragraphs or re.fullmatch(r"[A-Za-z0-9]", heading):
            continue  # a letter or a section: it only groups the terms under it
        parsed.records.append(_record(heading, paragraphs, f"{shown}:{n + 1}"))
    if not parsed.records:
        raise fail(
            path,
            0,
            "no glossary found: expected a definition list ('Term' then ': definition') or "
            "headings each followed by a definition paragraph",
        )
    return parsed


def export(entries: Iterable[Entry], glossary: Glossary, out: io.TextIOBase) -> None:
    title = glossary.packs[0].pack.title if glossary.packs else "Glossary"
    out.write(f"# {title}\n\n")
    for e in entries:
        heading = with_acronym(e.term, e.acronym) if e.acronym else e.term  # a format: term first, always
        inline = split_heading(heading)[:2] == (e.term, e.acronym)  # else an "Acronym:" line carries it
        out.write(f"## {heading if inline else e.term}\n\n{e.definition}\n\n")
        if e.acronym and not inline:
            out.write(f"Acronym: {e.acronym}\n\n")
        if e.aliases:
            out.write("Also known as: " + ", ".join(e.aliases) + "\n\n")
        if e.category:
            out.write(f"Category: {glossary.vocabulary.label(e.category)}\n\n")
        if e.related:
            out.write("See also: " + ", ".join(glossary.by_id[r.id].term for r in e.related) + "\n\n")
