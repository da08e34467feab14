"""The glossary's data model: packs, entries, formulas and typed relations.

These pydantic models are the single definition of the data format. The
loader validates every YAML file against them, `glossary_data/schema.json` is
generated from them (so editors can check a file as it is typed), and the MCP
layer serialises them. Everything is frozen: a loaded glossary is immutable
and is replaced as a whole on reload, never patched in place.

Vocabularies are data, not code: each pack declares its categories (and any
relation types beyond the built-in ones) in its pack.yaml, so a glossary of
any domain fits; vocabulary.py declares the built-in relation types and merges
the served packs' declarations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ai_glossary_mcp.data.vocabulary import AUTHORED_RELATIONS, RELATION_INVERSES

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True)


# Unicode's control characters (category Cc), as a regex character range; app/checks.py's argument checks
# use the same range.
CONTROL_CHARACTERS = "\x00-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    return value


class Relation(BaseModel):
    """A typed edge from one entry to another, as written in the data."""

    model_config = _STRICT
    id: str = Field(pattern=ID_PATTERN, description="Id of the related entry.")
    relation: str = Field(
        pattern=ID_PATTERN,
        max_length=60,
        description="How this entry relates to the other one: a built-in type "
        f"({', '.join(AUTHORED_RELATIONS)}) or one its pack declares.",
    )
    note: str | None = Field(default=None, max_length=200, description="One line saying why.")

    _check_note = field_validator("note")(lambda cls, v: v if v is None else _one_line(v))


class Variable(BaseModel):
    """One symbol of a formula's legend."""

    model_config = _STRICT
    symbol: str = Field(
        min_length=1, max_length=80, description="The symbol(s) in Unicode, as the legend writes them."
    )
    latex: str = Field(min_length=1, max_length=200, description="The same symbol(s) in LaTeX.")
    meaning: str = Field(min_length=1, max_length=600, description="The legend bullet, verbatim.")


_T = TypeVar("_T")
_K = TypeVar("_K")
_V = TypeVar("_V")


class _FrozenList(list[_T]):
    """A list that refuses changes, so a frozen model's nested data stays frozen.

    It stays a real `list` (and `_FrozenDict` a real `dict`) so that JSON encoders,
    numpy and equality with plain lists all keep working."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("glossary data is immutable")

    # One refusing method stands in for every mutator, whatever its signature (hence the ignores).
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[_FrozenList[_T]], tuple[list[_T]]]:
        return (_FrozenList, (list(self),))


class _FrozenDict(dict[_K, _V]):
    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("glossary data is immutable")

    # As in _FrozenList: one refusing method for every mutator, whatever its signature.
    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[_FrozenDict[_K, _V]], tuple[dict[_K, _V]]]:
        return (_FrozenDict, (dict(self),))


def deep_freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return _FrozenDict({k: deep_freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return _FrozenList(deep_freeze(v) for v in value)
    return value


class WorkedExample(BaseModel):
    """Inputs for `evaluate_formula` and the result it must reproduce."""

    model_config = _STRICT
    inputs: dict[str, Any]
    result: Any

    @field_validator("inputs", "result", mode="after")
    @classmethod
    def _freeze(cls, v: Any) -> Any:
        return deep_freeze(v)


class Formula(BaseModel):
    model_config = _STRICT
    latex: str = Field(min_length=1, max_length=4000, description="Complete LaTeX source (must parse).")
    text: str = Field(min_length=1, max_length=2000, description="Faithful Unicode plain-text rendering.")
    reading: str | None = Field(
        default=None, max_length=2000, description="2-5 sentences walking through it."
    )
    variables: tuple[Variable, ...] = Field(default=(), description="One per variable bullet of the legend.")
    notes: tuple[str, ...] = Field(default=(), description="Legend bullets that explain rather than define.")
    example: WorkedExample | None = Field(default=None, description="A worked example for evaluate_formula.")


class ReadMore(BaseModel):
    model_config = _STRICT
    title: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")


class Entry(BaseModel):
    """One glossary entry, exactly as a YAML file holds it."""

    model_config = _STRICT
    id: str = Field(
        pattern=ID_PATTERN, max_length=80, description="Stable URL-safe slug; equals the file name."
    )
    term: str = Field(min_length=1, max_length=200, description="Canonical name.")
    acronym: str | None = Field(default=None, min_length=1, max_length=30)
    aliases: tuple[str, ...] = Field(default=(), description="Real alternative names people type.")
    misspellings: tuple[str, ...] = Field(
        default=(), description="Spellings that resolve to the entry but are never shown (SKOS hiddenLabel)."
    )
    do_not_use: tuple[str, ...] = Field(
        default=(), description="Names the source deprecates; shown as 'do not use', never resolved."
    )
    examples: tuple[str, ...] = Field(
        default=(),
        description="Named instances of the concept (a model, a "
        "library, one method of the kind): never resolved as the entry, answered "
        "as 'an example of' it.",
    )
    category: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        max_length=60,
        description="One of the categories its pack declares, or none.",
    )
    tags: tuple[str, ...] = Field(default=())
    definition: str = Field(
        min_length=1, max_length=5000, description="The definition, verbatim from the source."
    )
    related: tuple[Relation, ...] = Field(default=())
    formula: Formula | None = None
    read_more: tuple[ReadMore, ...] = Field(default=())
    overrides: bool = Field(default=False, description="Replace an entry with this id from an earlier pack.")

    @field_validator("term", "acronym")
    @classmethod
    def _names_one_line(cls, v: str | None) -> str | None:
        return v if v is None else _one_line(v)

    @field_validator("aliases", "misspellings", "do_not_use", "examples")
    @classmethod
    def _aliases_one_line(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for alias in v:
            if not alias or len(alias) > 120:
                raise ValueError("each alias must be 1-120 characters")
            _one_line(alias)
        return v

    @field_validator("tags")
    @classmethod
    def _tags_are_slugs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for tag in v:
            if not re.fullmatch(ID_PATTERN, tag):
                raise ValueError(f"tag {tag!r} must be lowercase kebab-case")
        return v


class RelationType(BaseModel):
    """A relation type a pack declares: the inverse added on the other entry, and how an edge reads."""

    model_config = _STRICT
    inverse: str = Field(pattern=ID_PATTERN, max_length=60, description="The type of the edge added back.")
    phrase: str = Field(min_length=1, max_length=80, description="Reads 'A <phrase> B' in explanations.")

    _check_phrase = field_validator("phrase")(lambda cls, v: _one_line(v))


class Pack(BaseModel):
    """A pack's `pack.yaml`: what the set of entries is and where it came from."""

    model_config = _STRICT
    name: str = Field(pattern=ID_PATTERN, max_length=60)
    title: str = Field(min_length=1, max_length=200)
    version: str = Field(min_length=1, max_length=40)
    source: str = Field(min_length=1, max_length=500)
    license: str = Field(min_length=1, max_length=500)
    description: str = Field(min_length=1, max_length=2000)
    categories: dict[str, str] = Field(default_factory=dict, description="Category id -> human label.")
    relation_types: dict[str, RelationType] = Field(
        default_factory=dict, description="Relation types beyond the built-in ones, by name."
    )

    @field_validator("categories")
    @classmethod
    def _categories_are_slugs(cls, v: dict[str, str]) -> dict[str, str]:
        for cid, label in v.items():
            if not re.fullmatch(ID_PATTERN, cid) or len(cid) > 60:
                raise ValueError(f"category id {cid!r} must be lowercase kebab-case (at most 60 characters)")
            if not isinstance(label, str) or not label or len(label) > 100:
                raise ValueError(f"category {cid!r} needs a label of 1-100 characters")
            _one_line(label)
        return _FrozenDict(v)  # deep_freeze(v), which for str values is this

    @field_validator("relation_types")
    @classmethod
    def _relation_types_are_closed(cls, v: dict[str, RelationType]) -> dict[str, RelationType]:
        for name, decl in v.items():
            if not re.fullmatch(ID_PATTERN, name) or len(name) > 60:
                raise ValueError(
                    f"relation type {name!r} must be lowercase kebab-case (at most 60 characters)"
                )
            if name in RELATION_INVERSES:
                raise ValueError(f"relation type {name!r} is built in; declare only new types")
            if decl.inverse != name and decl.inverse not in v:
                raise ValueError(
                    f"relation type {name!r} has inverse {decl.inverse!r}, which is not declared "
                    "(declare it too, or make the type its own inverse)"
                )
        return _FrozenDict(v)  # deep_freeze(v), which leaves the (frozen) RelationType models as they are


def entry_json_schema(categories: Iterable[str] | None = None) -> dict[str, Any]:
    """The JSON Schema for a pack's entry files; with `categories`, `category` must be one of them
    (glossary_data/schema.json is generated with the bundled pack's, an imported pack gets its own)."""
    schema = Entry.model_json_schema()
    if categories is not None:
        schema["properties"]["category"]["enum"] = [*categories, None]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ai-glossary-mcp entry"
    schema["description"] = "One glossary entry file (glossary_data/<pack>/<id>.yaml)."
    # Files start with a yaml-language-server comment, not a key, so nothing to add.
    return schema
