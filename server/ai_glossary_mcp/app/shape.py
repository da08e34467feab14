"""Entries shaped into the typed answers of results.py.

One function per shape (a formula, a brief entry, a full entry, a list of
suggestions), so every tool and resource that shows an entry shows it the
same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from ai_glossary_mcp.app.results import (
    EntryBrief,
    EntryFull,
    FormulaOut,
    ReadMoreOut,
    RelatedLink,
    Suggestion,
    VariableOut,
)
from ai_glossary_mcp.data.contract import GlossaryView
from ai_glossary_mcp.data.glossary import entry_uri
from ai_glossary_mcp.data.model import Entry

MAX_SUGGESTIONS = 5


def formula_out(entry: Entry, with_mathml: bool = False) -> FormulaOut | None:
    f = entry.formula
    if f is None:
        return None
    mathml = None
    if with_mathml:
        from latex2mathml.converter import convert

        mathml = convert(f.latex)
    return FormulaOut(
        latex=f.latex,
        text=f.text,
        variables=[VariableOut(symbol=v.symbol, latex=v.latex, meaning=v.meaning) for v in f.variables],
        notes=list(f.notes),
        reading=f.reading,
        mathml=mathml,
    )


def entry_brief(entry: Entry) -> EntryBrief:
    return EntryBrief(
        id=entry.id,
        term=entry.term,
        acronym=entry.acronym,
        definition=entry.definition,
        uri=entry_uri(entry.id),
    )


def entry_full(glossary: GlossaryView, entry: Entry) -> EntryFull:
    by_id = glossary.by_id
    return EntryFull(
        id=entry.id,
        term=entry.term,
        acronym=entry.acronym,
        aliases=list(entry.aliases),
        do_not_use=list(entry.do_not_use),
        examples=list(entry.examples),
        category=entry.category,
        tags=list(entry.tags),
        definition=entry.definition,
        formula=formula_out(entry),
        related=[
            RelatedLink(id=edge.target, term=by_id[edge.target].term, relation=edge.relation, note=edge.note)
            for edge in glossary.edges.get(entry.id, ())
        ],
        read_more=[ReadMoreOut(title=r.title, url=r.url) for r in entry.read_more],
        pack=glossary.entry_pack[entry.id],
        uri=entry_uri(entry.id),
    )


def suggestions(pairs: Sequence[tuple[Entry, float]]) -> list[Suggestion]:
    """The closest entries to offer when a term is not found, best first."""
    return [Suggestion(id=e.id, term=e.term, score=round(s, 3)) for e, s in pairs][:MAX_SUGGESTIONS]
