"""The server's instructions: what no single tool description says, sent once per session.

A client keeps them in the model's context every turn, so they are short;
the tool they point to is named from the ToolName enum.
"""

from __future__ import annotations

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.app.tools import ToolName


def instructions_for(service: GlossaryService) -> str:
    # Sent once per session but kept in context every turn: what no single tool description says.
    g = service.glossary
    packs = ", ".join(f"{p.pack.name} {p.pack.version}" for p in g.packs)
    return (
        "A curated, reviewed AI & ML glossary: ground definitions, formulas and numbers in it, "
        "not in memory. "
        f"found=false is an answer, not an error: use its suggestions or {ToolName.SEARCH_TERMS}. Cite "
        f"entries by uri (glossary://terms/<id>, also a resource). {packs}, {len(g)} entries, content hash "
        f"{g.content_hash}; more at glossary://about."
    )
