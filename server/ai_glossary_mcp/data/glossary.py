"""The loaded glossary: an immutable value built once per (re)load.

It holds the packs, the entries in a stable order (by term), every entry's
relations with the inverse edges already added, and a content hash an agent
can cite. Nothing here reads files or knows about MCP; the loader builds it,
the index and the MCP layer read it. A reload builds a new Glossary and swaps
the reference in one step, so no request ever sees half of two versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ai_glossary_mcp.data.model import Entry, Pack
from ai_glossary_mcp.data.names import title
from ai_glossary_mcp.data.vocabulary import Vocabulary

URI_PREFIX = "glossary://terms/"


def entry_uri(entry_id: str) -> str:
    return f"{URI_PREFIX}{entry_id}"


def sort_key(entry: Entry) -> tuple[str, str]:
    return (title(entry).casefold(), entry.id)


@dataclass(frozen=True)
class Edge:
    """A relation as served: authored in the data, or the inverse the loader added."""

    source: str
    target: str
    relation: str
    note: str | None
    inferred: bool
    phrase: str = field(default="", compare=False)  # "A <phrase> B", from the served vocabulary

    def why(self, source_term: str, target_term: str) -> str:
        base = f"{source_term} {self.phrase or self.relation.replace('-', ' ')} {target_term}"
        return f"{base}: {self.note}" if self.note else base


@dataclass(frozen=True)
class PackInfo:
    pack: Pack
    directory: str
    entry_count: int


@dataclass(frozen=True)
class Glossary:
    packs: tuple[PackInfo, ...]
    entries: tuple[Entry, ...]  # sorted by title, case-insensitively, then id
    entry_pack: Mapping[str, str]  # entry id -> pack name
    edges: Mapping[str, tuple[Edge, ...]]  # entry id -> outgoing edges (authored first, then inferred)
    content_hash: str
    vocabulary: Vocabulary = field(
        default_factory=Vocabulary
    )  # the served packs' categories and relation types
    by_id: Mapping[str, Entry] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", MappingProxyType({e.id: e for e in self.entries}))
        object.__setattr__(self, "entry_pack", MappingProxyType(dict(self.entry_pack)))
        object.__setattr__(self, "edges", MappingProxyType(dict(self.edges)))

    def __reduce__(self) -> tuple[type[Glossary], tuple[object, ...]]:
        # Read-only mapping proxies do not pickle or deep-copy; rebuild them from plain dicts, so a
        # Glossary can still be pickled (a process pool, a test's copy.deepcopy) though no cache stores one.
        return (
            Glossary,
            (
                self.packs,
                self.entries,
                dict(self.entry_pack),
                dict(self.edges),
                self.content_hash,
                self.vocabulary,
            ),
        )

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def formula_entries(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.formula is not None)

    def counts(self) -> dict[str, int]:
        return {
            "entries": len(self.entries),
            "formulas": len(self.formula_entries),
            "relations": sum(len(e.related) for e in self.entries),
            "aliases": sum(len(e.aliases) for e in self.entries),
            "read_more": sum(len(e.read_more) for e in self.entries),
        }
