"""Typed answers: what every tool returns, as pydantic models.

The lookup core builds these and the MCP layer returns them unchanged: each
tool's `outputSchema` is derived from the same class that produced the
`structuredContent` (ahead of time, into output_schemas.json, by `make
schema`), and the CLI prints the very same objects. Field descriptions here
end up in the schemas an agent reads, so they are written for that reader.
Validators and serializers are built on first use (`defer_build`): a start
pays for none of them, and a session pays only for the answers it asks for.

Each result also names the entries it is about (`linked_ids`): the MCP layer
links them as `resource_link` content blocks, so a client can open an entry
without parsing the JSON. Only the answer's subjects are linked, never every
entry it mentions, since each link costs the agent context on every call.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MatchKind = Literal["exact", "acronym", "alias", "normalized", "fuzzy"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    def linked_ids(self) -> list[str]:
        """Ids of the entries this answer is about, in order, each once (none by default)."""
        return []


class EntryRef(_Result):
    id: str
    term: str


class Suggestion(_Result):
    id: str
    term: str
    score: float = Field(
        description="0-1 on search_terms' scale: a spelling's similarity, "
        "or the search score of what the words say."
    )


class RelatedLink(_Result):
    id: str
    term: str
    relation: str = Field(
        description="Relation type, from this entry's point of view (e.g. variant-of, uses)."
    )
    note: str | None = None


class VariableOut(_Result):
    symbol: str
    latex: str
    meaning: str


class FormulaOut(_Result):
    latex: str
    text: str = Field(description="Plain-text Unicode rendering for clients that cannot render LaTeX.")
    variables: list[VariableOut]
    notes: list[str]
    reading: str | None = Field(default=None, description="The formula walked through in words.")
    mathml: str | None = Field(
        default=None, description="MathML rendering of the LaTeX (explain_formula with include_mathml)."
    )


class ReadMoreOut(_Result):
    title: str
    url: str | None = None


class EntryFull(_Result):
    id: str
    term: str
    acronym: str | None
    aliases: list[str]
    do_not_use: list[str] = Field(default_factory=list, description="Deprecated names: do not use them.")
    examples: list[str] = Field(
        default_factory=list,
        description="Named instances of this concept (models, "
        "libraries, methods of the kind); not names for it.",
    )
    category: str | None
    tags: list[str]
    definition: str
    formula: FormulaOut | None
    related: list[RelatedLink]
    read_more: list[ReadMoreOut]
    pack: str = Field(description="Name of the glossary pack the entry comes from.")
    uri: str


class EntryBrief(_Result):
    id: str
    term: str
    acronym: str | None
    definition: str
    uri: str


class MatchInfo(_Result):
    kind: MatchKind = Field(description="Which rule resolved the query.")
    score: float = Field(description="1.0 for exact rules; similarity 0-1 for fuzzy.")
    query: str


class DefineResult(_Result):
    found: bool
    # Brief first: clients check anyOf alternatives in order, and brief is the default detail, so the
    # common answer passes the first alternative instead of failing seven required fields of the full one.
    entry: EntryBrief | EntryFull | None = None
    match: MatchInfo | None = None
    suggestions: list[Suggestion] = Field(default_factory=list, description="Closest entries when not found.")
    ambiguous: list[Suggestion] = Field(
        default_factory=list, description="Entries that fit the query equally well; ask which one was meant."
    )
    note: str | None = Field(
        default=None,
        description="Why the term was not found, when the glossary knows "
        "(e.g. it names an example of the first suggestion, not a name for it).",
    )

    def linked_ids(self) -> list[str]:
        return [self.entry.id] if self.entry is not None else []


class DefineManyResult(_Result):
    results: list[DefineResult] = Field(description="One result per input term, in the same order.")

    def linked_ids(self) -> list[str]:
        return list(dict.fromkeys(i for r in self.results for i in r.linked_ids()))


class SearchHit(_Result):
    id: str
    term: str
    acronym: str | None
    score: float = Field(
        description="Same scale in every query: 1 the entry named; >=0.5 likely relevant; lower, likely not."
    )
    confident: bool = Field(description="score >= 0.5")
    snippet: str = Field(description="The passage of the definition that matched best.")
    uri: str


class SearchResult(_Result):
    query: str
    category: str | None = None
    results: list[SearchHit]

    def linked_ids(self) -> list[str]:
        return [hit.id for hit in self.results]


class ListItem(_Result):
    id: str
    term: str
    acronym: str | None
    category: str | None
    pack: str
    uri: str


class ListResult(_Result):
    terms: list[ListItem]
    total: int = Field(description="Number of entries matching the filters (all pages).")
    next_cursor: str = Field(description='Pass as `cursor` for the next page; "" when this is the last page.')


class RelatedHit(_Result):
    id: str
    term: str
    relation: str = Field(
        description="Curated relation type, or 'mentions' / 'mentioned-by' / 'same-category'."
    )
    why: str = Field(description="One line explaining the connection.")
    score: float


class RelatedResult(_Result):
    found: bool
    entry: EntryRef | None = None
    related: list[RelatedHit] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(default_factory=list)

    def linked_ids(self) -> list[str]:
        return [self.entry.id] if self.entry is not None else []


class FormulaResult(_Result):
    found: bool
    entry: EntryRef | None = None
    has_formula: bool = False
    formula: FormulaOut | None = None
    variable: VariableOut | None = Field(
        default=None, description="The legend entry matching `symbol`, if asked."
    )
    formulas_available: list[EntryRef] = Field(
        default_factory=list, description="Entries that do have a formula (when this one has none)."
    )
    suggestions: list[Suggestion] = Field(default_factory=list)

    def linked_ids(self) -> list[str]:
        return [self.entry.id] if self.entry is not None else []


class DirectRelation(_Result):
    source: str
    target: str
    relation: str
    why: str


class CompareResult(_Result):
    entries: list[EntryBrief]
    categories: dict[str, str | None] = Field(description="Entry id -> category (null when it has none).")
    relations: list[DirectRelation] = Field(
        description="Direct curated relations among the compared entries."
    )
    shared_neighbours: list[EntryRef] = Field(
        description="Entries related to at least two of the compared ones."
    )
    not_found: list[DefineResult] = Field(default_factory=list, description="Inputs that did not resolve.")

    def linked_ids(self) -> list[str]:
        return [e.id for e in self.entries]


class Mention(_Result):
    id: str
    term: str
    start: int = Field(description="Start offset (Python string index) in the text.")
    end: int = Field(description="End offset, exclusive.")
    surface: str = Field(description="The text as it appears.")


class MentionedEntry(_Result):
    id: str
    term: str
    definition: str = Field(description="First sentence of the definition.")
    uri: str


class MentionsResult(_Result):
    mentions: list[Mention]
    entries: list[MentionedEntry]

    def linked_ids(self) -> list[str]:
        return [e.id for e in self.entries]


class Step(_Result):
    name: str
    value: Any


class EvaluationResult(_Result):
    entry: EntryRef
    inputs: dict[str, Any]
    steps: list[Step]
    result: Any

    def linked_ids(self) -> list[str]:
        return [self.entry.id]


# Every tool's result class: their output schemas are derived into output_schemas.json by `make schema`.
TOOL_RESULTS: tuple[type[_Result], ...] = (
    DefineResult,
    DefineManyResult,
    SearchResult,
    ListResult,
    RelatedResult,
    FormulaResult,
    EvaluationResult,
    CompareResult,
    MentionsResult,
)
