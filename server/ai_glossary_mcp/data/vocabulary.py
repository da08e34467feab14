"""The served vocabulary: the categories and relation types of the packs actually loaded.

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

from ai_glossary_mcp.data.model import AUTHORED_RELATIONS, RELATION_INVERSES, RELATION_PHRASES, Pack


@dataclass(frozen=True)
class Vocabulary:
    categories: Mapping[str, str] = field(default_factory=dict)  # category id -> label, in pack order
    inverses: Mapping[str, str] = field(default_factory=lambda: dict(RELATION_INVERSES))
    phrases: Mapping[str, str] = field(default_factory=lambda: dict(RELATION_PHRASES))

    def __post_init__(self) -> None:
        for name in ("categories", "inverses", "phrases"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def __reduce__(self) -> tuple:
        return (Vocabulary, (dict(self.categories), dict(self.inverses), dict(self.phrases)))

    def label(self, category: str | None) -> str | None:
        return None if category is None else self.categories.get(category, category)

    def phrase(self, relation: str) -> str:
        return self.phrases.get(relation, relation.replace("-", " "))

    def as_json(self) -> dict:
        return {
            "categories": dict(self.categories),
            "inverses": dict(self.inverses),
            "phrases": dict(self.phrases),
        }

    @classmethod
    def from_json(cls, data: dict) -> Vocabulary:
        return cls(data["categories"], data["inverses"], data["phrases"])


def authorable_relations(pack: Pack) -> tuple[str, ...]:
    """The relation types an entry of `pack` may write."""
    return AUTHORED_RELATIONS + tuple(pack.relation_types)


def merge_vocabularies(packs: Iterable[Pack]) -> tuple[Vocabulary, list[tuple[str, str]]]:
    """The served vocabulary, and (pack name, message) for each declaration contradicting an earlier pack's."""
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
