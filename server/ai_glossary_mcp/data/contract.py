"""The written contract between the data and the queries: what an index and a glossary must offer.

The search modules, the service, the renderers and the MCP layer read a glossary only
through these two Protocols, so they never depend on how it is held. The one
implementation served is the compiled SQLite store (`store.StoredIndex` and
`store.StoredGlossary`, over a file or an in-memory database); the loaded
`glossary.Glossary` also satisfies `GlossaryView`, and `index.GlossaryIndex`
is only the builder a store is written from. Every member is read-only here
(properties, not attributes), so an immutable dataclass field, a plain
attribute and a computed property all conform. mypy checks that the store and
both glossaries do (the `_conforms` functions at the end of store.py);
tests/test_contract.py checks the same at run time.

Adding a member means adding it here and to the store (reader and writer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from ai_glossary_mcp.data.glossary import Edge, PackInfo
from ai_glossary_mcp.data.index import NameKey, Posting, Surface
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.data.vocabulary import Vocabulary

if TYPE_CHECKING:
    import numpy as np


class GlossaryView(Protocol):
    """A loaded glossary: its packs, its entries in a stable order, their relations and a content hash."""

    @property
    def packs(self) -> tuple[PackInfo, ...]: ...
    @property
    def entries(self) -> Sequence[Entry]: ...  # sorted by heading, case-insensitively, then id
    @property
    def by_id(self) -> Mapping[str, Entry]: ...
    @property
    def entry_pack(self) -> Mapping[str, str]: ...  # entry id -> pack name
    @property
    def edges(self) -> Mapping[str, tuple[Edge, ...]]: ...  # entry id -> outgoing edges
    @property
    def vocabulary(self) -> Vocabulary: ...  # the served packs' categories and relation types
    @property
    def content_hash(self) -> str: ...
    @property
    def formula_entries(self) -> tuple[Entry, ...]: ...
    def counts(self) -> dict[str, int]: ...
    def __len__(self) -> int: ...


class IndexView(Protocol):
    """Everything a query reads: name tables, candidate postings, BM25F postings, phrases and pages."""

    @property
    def glossary(self) -> GlossaryView: ...
    @property
    def entries(self) -> Sequence[Entry]: ...  # the glossary's, by position
    @property
    def position(self) -> Mapping[str, int]: ...  # entry id -> position in `entries`
    @property
    def categories(self) -> Mapping[str, str]: ...  # served category id -> label
    # -- names: case-folded spellings, normalised keys, keys with the spaces removed
    @property
    def raw_names(self) -> Mapping[str, NameKey]: ...
    @property
    def keys(self) -> Mapping[str, NameKey]: ...
    @property
    def compact_keys(self) -> Mapping[str, NameKey]: ...
    @property
    def stem_phrases(self) -> Mapping[tuple[str, ...], tuple[str, ...]]: ...  # stemmed words -> entry ids
    @property
    def stem_starts(self) -> Mapping[str, int]: ...  # first stemmed word -> most words of a form it starts
    @property
    def example_of(self) -> Mapping[str, str]: ...  # compact key of a named example -> its entry id
    @property
    def max_name_words(self) -> int: ...
    @property
    def key_lengths(self) -> bytes: ...  # letters per name key, by key id
    def keys_at(self, key_ids: Sequence[int]) -> list[tuple[str, NameKey]]: ...
    def gram_postings(self, grams: Iterable[str]) -> Mapping[str, Sequence[int]]: ...
    def word_postings(self, words: Iterable[str]) -> Mapping[str, Sequence[int]]: ...
    def similar_words(self, variants: Iterable[str]) -> Mapping[str, tuple[str, ...]]: ...
    def names_with_prefix(self, prefix: str, limit: int) -> list[tuple[str, NameKey]]: ...
    # -- full text and free text
    def posting(self, token: str) -> Posting | None: ...
    @property
    def phrases(self) -> Mapping[tuple[str, ...], Sequence[Surface]]: ...
    @property
    def phrase_starts(self) -> Mapping[str, int]: ...  # first word -> most words of a phrase it starts
    def signal_data(self, name: str) -> np.ndarray: ...  # a signal's stored bytes (search/fusion.py STORED)
    # -- listing
    @property
    def letters(self) -> Mapping[str, tuple[str, ...]]: ...  # index letter -> entry ids
    @property
    def by_category(self) -> Mapping[str, tuple[str, ...]]: ...  # category -> entry ids
    def category_positions(self, category: str) -> frozenset[int]: ...
    def ids_page(
        self, letter: str | None, category: str | None, offset: int, limit: int
    ) -> tuple[list[str], int]: ...


__all__ = ["GlossaryView", "IndexView"]
