"""find_related's ranking: the neighbours of an entry, each with a score and a one-line why.

Three kinds, in this order of score: the curated relations of the packs
(1.0, inferred inverses 0.95), definitions that mention each other (0.8
both ways, 0.7 one way, confirmed by spotting the name in the text), and
same-category entries ranked by BM25 similarity of their definitions
(0.2 + 0.4 x similarity), each saying which words they share.
"""

from __future__ import annotations

from ai_glossary_mcp.app.results import RelatedHit
from ai_glossary_mcp.data.contract import IndexView
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.data.names import names
from ai_glossary_mcp.search.bm25 import bm25
from ai_glossary_mcp.search.fusion import row as fusion_row
from ai_glossary_mcp.search.normalize import search_tokens
from ai_glossary_mcp.search.spotting import definition_mentions


def related_hits(index: IndexView, entry: Entry) -> list[RelatedHit]:
    """Every neighbour of `entry`, best first: its curated relations (authored before inferred), entries its
    definition mentions or that mention it, then same-category entries by BM25 similarity."""
    by_id = index.glossary.by_id
    hits: list[RelatedHit] = []
    taken = {entry.id}
    for rank, edge in enumerate(index.glossary.edges.get(entry.id, ())):
        other = by_id[edge.target]
        row_name = "inferred relation" if edge.inferred else "curated relation"
        score = fusion_row("related", row_name).value(0.0, rank)
        hits.append(
            RelatedHit(
                id=other.id,
                term=other.term,
                relation=edge.relation,
                why=edge.why(entry.term, other.term),
                score=round(score, 3),
            )
        )
        taken.add(other.id)
    mentions = definition_mentions(index, entry)
    mentioned_by = _mentioned_by(index, entry)
    for other_id in list(dict.fromkeys(mentions + mentioned_by)):
        if other_id in taken:
            continue
        other = by_id[other_id]
        both = other_id in mentions and other_id in mentioned_by
        if other_id in mentions:
            kind, why = "mentions", f"The definition of {entry.term} mentions {other.term}"
        else:
            kind, why = "mentioned-by", f"The definition of {other.term} mentions {entry.term}"
        if both:
            why = f"{entry.term} and {other.term} mention each other in their definitions"
        hits.append(
            RelatedHit(
                id=other.id,
                term=other.term,
                relation=kind,
                why=why,
                score=fusion_row("related", "mutual mention" if both else "mention").value(),
            )
        )
        taken.add(other_id)
    if entry.category is None:
        return hits
    same = set(index.category_positions(entry.category)) - {index.position[i] for i in taken}
    label = index.glossary.vocabulary.label(entry.category)
    wanted = set(search_tokens(entry.term + " " + entry.definition))
    for doc, sim in bm25(index, entry.term + " " + entry.definition, same, top=10):
        other = index.entries[doc]
        shared = [t for t in dict.fromkeys(search_tokens(other.definition)) if t in wanted][:4]
        why = f"Also in {label}" + (f"; both discuss {', '.join(shared)}" if shared else "")
        hits.append(
            RelatedHit(
                id=other.id,
                term=other.term,
                relation="same-category",
                why=why,
                score=round(fusion_row("related", "same-category text").value(sim), 3),
            )
        )
    return hits


def _mentioned_by(index: IndexView, entry: Entry) -> list[str]:
    """Entries whose definitions name this one: candidates from postings, confirmed by spotting."""
    candidates: set[int] = set()
    for name in names(entry):
        looked_up = [index.posting(t) for t in dict.fromkeys(search_tokens(name.text))]
        postings = [p for p in looked_up if p is not None]
        if not postings or len(postings) < len(looked_up):  # a word no definition has: no mentions
            continue
        postings.sort(key=lambda p: len(p.docs))
        docs = set(postings[0].docs)
        for p in postings[1:]:
            if not docs:
                break
            docs.intersection_update(p.docs)
        candidates |= docs
    found = []
    for doc in sorted(candidates)[:500]:
        other = index.entries[doc]
        if other.id != entry.id and entry.id in definition_mentions(index, other):
            found.append(other.id)
    return found
