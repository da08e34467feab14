"""An entry's names and its title, each given by one function.

`names(entry)` lists the names an entry is known by, in one order (term, [id],
acronym, aliases, [misspellings]); the name index, the loader's collision
check, the full-text "names" field, free-text spotting and find_related's
"mentioned by" all read it. `title(entry)` is how an entry is titled wherever
people or models see it: resource titles, Markdown headings, listings, the
CLI, and the order entries are sorted in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from ai_glossary_mcp.data.model import Entry


class Titled(Protocol):
    """Anything with an entry's id, term and acronym: an Entry, or a tool answer's entry or hit."""

    @property
    def id(self) -> str: ...
    @property
    def term(self) -> str: ...
    @property
    def acronym(self) -> str | None: ...


class Name(NamedTuple):
    field: str  # "term", "id", "acronym", "alias" or "misspelling"
    text: str  # the name as written
    position: int  # its place in `aliases` or `misspellings` (0 for the others)


def with_acronym(name: str, acronym: str) -> str:
    """'Name (ACR)': the one way a name and an acronym are written together."""
    return f"{name} ({acronym})"


def title(entry: Titled) -> str:
    """ "DPO (Direct Preference Optimization)" when the id is the acronym's slug (the name people use is the
    acronym), otherwise "Mixture of Experts (MoE)", or the bare term.

    The interchange exporters write "Term (ACR)" whatever the id (with_acronym(term, acronym)): that is a
    file format whose readers take the name before the parenthesis as the term, not a title."""
    acronym = entry.acronym
    if not acronym:
        return entry.term
    if entry.id == "-".join(acronym.lower().split()):
        return with_acronym(acronym, entry.term)
    return with_acronym(entry.term, acronym)


def names(entry: Entry, *, with_id: bool = False, with_misspellings: bool = False) -> list[Name]:
    """The names of an entry: its term, [its id,] its acronym, its aliases[, its misspellings], in that order.

    The order is the name index's (which key a name adds first decides key ids, so it is kept). The id and
    misspellings are names only for resolving a query (with_id, with_misspellings): they are never spotted
    in text, searched or shown. The loader's collision check puts the id first itself, before these, so a
    clash with an entry whose id and term share a key is reported against the `id:` line it was written on.
    """
    out = [Name("term", entry.term, 0)]
    if with_id:
        out.append(Name("id", entry.id, 0))
    if entry.acronym:
        out.append(Name("acronym", entry.acronym, 0))
    out += [Name("alias", alias, i) for i, alias in enumerate(entry.aliases)]
    if with_misspellings:
        out += [Name("misspelling", m, i) for i, m in enumerate(entry.misspellings)]
    return out
