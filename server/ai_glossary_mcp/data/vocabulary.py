"""The served vocabulary: the categories and relation types of the packs actually loaded.

The built-in relation types are declared here once, as data: one
`RelationPair` per pair of types (the type curators write, its inverse, and
how each reads), from which the inverse map, the phrase map and the authored
list are derived, so a new built-in type is one new row.

Categories are declared per pack (pack.yaml `categories:`), relation types are
the built-in ones plus those packs declare (`relation_types:`). The loader
merges the declarations of the served packs into one `Vocabulary`, in pack
order, and everything that names a category or explains an edge (tool
arguments, renderings, the search index, the store) reads it from the
glossary, so a pack about law or networking is served with its own words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:  # model.py imports the built-in relation types from here
    from ai_glossary_mcp.data.model import Pack


@dataclass(frozen=True)
class RelationPair:
    """A built-in relation type curators write, how an edge of it reads ('A <phrase> B'), and its inverse.

    The loader adds the inverse edge on the other entry. A symmetric type (no `inverse`) is its own inverse.
    """

    name: str
    phrase: str
    inverse: str | None = None
    inverse_phrase: str | None = None

    def __post_init__(self) -> None:
        if (self.inverse is None) != (self.inverse_phrase is None):
            raise ValueError(f"relation type {self.name!r}: give both the inverse and its phrase, or neither")


# The built-in relation types every pack may use. A pack may declare further types in its pack.yaml
# (`relation_types:`); categories are declared by each pack (`categories:`), never fixed here.
BUILTIN_RELATIONS: tuple[RelationPair, ...] = (
    RelationPair("variant-of", "is a variant of", "has-variant", "has a variant"),
    RelationPair("builds-on", "builds on", "basis-for", "is the basis for"),
    RelationPair("part-of", "is part of", "has-part", "has as a part"),
    RelationPair("uses", "uses", "used-by", "is used by"),
    RelationPair("mitigates", "mitigates", "mitigated-by", "is mitigated by"),
    RelationPair("measures", "measures", "measured-by", "is measured by"),
    RelationPair("alternative-to", "is an alternative to"),
    RelationPair("contrasts-with", "contrasts with"),
    RelationPair("see-also", "is closely related to"),
)


def _both_directions(pairs: Iterable[RelationPair]) -> Iterable[tuple[str, str, str]]:
    """(type, inverse, phrase) for every built-in type, each authored type followed by its inverse."""
    for pair in pairs:
        if pair.inverse is None or pair.inverse_phrase is None:  # both or neither (__post_init__)
            yield pair.name, pair.name, pair.phrase
        else:
            yield pair.name, pair.inverse, pair.phrase
            yield pair.inverse, pair.name, pair.inverse_phrase


# Derived from BUILTIN_RELATIONS; never edit these by hand.
AUTHORED_RELATIONS: tuple[str, ...] = tuple(pair.name for pair in BUILTIN_RELATIONS)
RELATION_INVERSES: Mapping[str, str] = MappingProxyType(
    {name: inverse for name, inverse, _ in _both_directions(BUILTIN_RELATIONS)}
)
RELATION_PHRASES: Mapping[str, str] = MappingProxyType(
    {name: phrase for name, _, phrase in _both_directions(BUILTIN_RELATIONS)}
)


@dataclass(frozen=True)
class Vocabulary:
    categories: Mapping[str, str] = field(default_factory=dict)  # category id -> label, in pack order
    inverses: Mapping[str, str] = field(default_factory=lambda: dict(RELATION_INVERSES))
    phrases: Mapping[str, str] = field(default_factory=lambda: dict(RELATION_PHRASES))

    def __post_init__(self) -> None:
        for name in ("categories", "inverses", "phrases"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def __reduce__(self) -> tuple[type[Vocabulary], tuple[dict[str, str], ...]]:
        return (Vocabulary, (dict(self.categories), dict(self.inverses), dict(self.phrases)))

    @overload
    def label(self, category: str) -> str: ...
    @overload
    def label(self, category: None) -> None: ...
    @overload
    def label(self, category: str | None) -> str | None: ...
    def label(self, category: str | None) -> str | None:
        return None if category is None else self.categories.get(category, category)

    def phrase(self, relation: str) -> str:
        return self.phrases.get(relation, relation.replace("-", " "))

    def as_json(self) -> dict[str, dict[str, str]]:
        return {
            "categories": dict(self.categories),
            "inverses": dict(self.inverses),
            "phrases": dict(self.phrases),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, str]]) -> Vocabulary:
        return cls(data["categories"], data["inverses"], data["phrases"])


def authorable_relations(pack: Pack) -> tuple[str, ...]:
    """The relation types an entry of `pack` may write."""
    return AUTHORED_RELATIONS + tuple(pack.relation_types)


def merge_vocabularies(packs: Iterable[Pack]) -> tuple[Vocabulary, list[tuple[str, str]]]:
    """The served vocabulary, and (pack name, message) for each declaration contradicting an earlier one."""
    categories: dict[str, str] = {}
    inverses, phrases = dict(RELATION_INVERSES), dict(RELATION_PHRASES)
    declared_by: dict[str, str] = {}
    conflicts: list[tuple[str, str]] = []
    for pack in packs:
        for cid, label in pack.categories.items():
            categories.setdefault(cid, label)
        for name, decl in pack.relation_types.items():
            if name in declared_by and inverses[name] != decl.inverse:
                conflicts.append(
                    (
                        pack.name,
                        f"relation type '{name}' has inverse '{decl.inverse}' here but "
                        f"'{inverses[name]}' in pack '{declared_by[name]}'",
                    )
                )
                continue
            declared_by.setdefault(name, pack.name)
            inverses[name], phrases[name] = decl.inverse, decl.phrase
    return Vocabulary(categories, inverses, phrases), conflicts
