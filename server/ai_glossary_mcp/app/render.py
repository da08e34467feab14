"""Markdown renderings of the glossary, for resources and the human CLI.

Resources are read by models and by people in client UIs, so each entry
renders as a small self-contained page: definition first, then the formula
with its legend and worked example, relations as `glossary://` links an
agent can follow, and the source's read-more titles.
"""

from __future__ import annotations

import json
from typing import Any

from ai_glossary_mcp.data.contract import GlossaryView, IndexView
from ai_glossary_mcp.data.glossary import entry_uri
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.data.names import title


def entry_markdown(glossary: GlossaryView, entry: Entry) -> str:
    lines = [f"# {title(entry)}", ""]
    meta = [f"**Id:** `{entry.id}`", f"**Pack:** {glossary.entry_pack[entry.id]}"]
    if entry.category is not None:
        meta.insert(0, f"**Category:** {glossary.vocabulary.label(entry.category)}")
    lines += [" · ".join(meta), ""]
    if entry.aliases:
        lines += ["**Also known as:** " + ", ".join(entry.aliases), ""]
    if entry.do_not_use:
        lines += ["**Do not use:** " + ", ".join(entry.do_not_use), ""]
    lines += [entry.definition, ""]
    f = entry.formula
    if f is not None:
        lines += ["## Formula", "", "$$", f.latex, "$$", "", f"Plain text: `{f.text}`", ""]
        if f.reading:
            lines += [f.reading, ""]
        lines += ["Where:", ""]
        lines += [f"- **{v.symbol}** (`{v.latex}`): {v.meaning}" for v in f.variables]
        lines += [f"- {note}" for note in f.notes]
        lines.append("")
        if f.example is not None:
            lines += [
                "### Worked example",
                "",
                f"Inputs: `{json.dumps(f.example.inputs, ensure_ascii=False)}`",
                "",
                f"Result: `{json.dumps(f.example.result, ensure_ascii=False)}`",
                "",
                f"Check it yourself with the `evaluate_formula` tool (term: `{entry.id}`).",
                "",
            ]
    edges = glossary.edges.get(entry.id, ())
    if edges:
        lines += ["## Related", ""]
        for edge in edges:
            other = glossary.by_id[edge.target]
            note = f": {edge.note}" if edge.note else ""
            lines.append(
                f"- {glossary.vocabulary.phrase(edge.relation)} [{other.term}]({entry_uri(other.id)}){note}"
            )
        lines.append("")
    if entry.read_more:
        lines += ["## Read more", ""]
        lines += [f"- [{r.title}]({r.url})" if r.url else f"- {r.title}" for r in entry.read_more]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def index_markdown(index: IndexView) -> str:
    by_id = index.glossary.by_id
    lines = ["# Glossary index", "", f"{len(index.entries)} entries, grouped by letter.", ""]
    for letter in sorted(index.letters):
        lines += [f"## {letter}", ""]
        lines += [f"- [{title(by_id[i])}]({entry_uri(i)})" for i in index.letters[letter]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def categories_markdown(index: IndexView) -> str:
    by_id = index.glossary.by_id
    lines = ["# Glossary categories", ""]
    for cid, label in index.categories.items():
        ids = index.by_category.get(cid, ())
        if not ids:
            continue
        lines += [f"## {label} (`{cid}`, {len(ids)})", ""]
        lines += [f"- [{title(by_id[i])}]({entry_uri(i)})" for i in ids]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def about(glossary: GlossaryView, version: str) -> dict[str, Any]:
    """What an agent cites: server version, packs, counts and the content hash."""
    return {
        "server": {"name": "ai-glossary-mcp", "version": version},
        "packs": [
            {
                "name": p.pack.name,
                "title": p.pack.title,
                "version": p.pack.version,
                "source": p.pack.source,
                "license": p.pack.license,
                "entries": p.entry_count,
            }
            for p in glossary.packs
        ],
        "counts": glossary.counts(),
        "content_hash": glossary.content_hash,
        "categories": dict(glossary.vocabulary.categories),
    }
