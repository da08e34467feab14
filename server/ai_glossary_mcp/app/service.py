"""The glossary's use cases: one method per thing a client can ask.

`GlossaryService` holds the current index and answers each request with a
typed result from results.py. It validates every argument first and raises
`InvalidArgument` with a message that says what to send instead, because the
caller is usually a model that will retry with whatever the message suggests.
"Not found" is an answer (found: false + suggestions), not an error.

The MCP layer and the CLI both call this class, so the two can never disagree.
A reload swaps `self.index` in one assignment; every method reads the
reference once at the start, so a request never sees half of each version.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Literal

from ai_glossary_mcp.app.results import (
    CompareResult,
    DefineManyResult,
    DefineResult,
    DirectRelation,
    EntryBrief,
    EntryFull,
    EntryRef,
    EvaluationResult,
    FormulaOut,
    FormulaResult,
    ListItem,
    ListResult,
    MatchInfo,
    Mention,
    MentionedEntry,
    MentionsResult,
    ReadMoreOut,
    RelatedHit,
    RelatedLink,
    RelatedResult,
    SearchHit,
    SearchResult,
    Step,
    Suggestion,
    VariableOut,
)
from ai_glossary_mcp.data.glossary import Glossary, entry_uri
from ai_glossary_mcp.data.index import GlossaryIndex, first_sentence
from ai_glossary_mcp.data.model import CONTROL_CHARACTERS, Entry
from ai_glossary_mcp.data.vocabulary import Vocabulary
from ai_glossary_mcp.errors import InvalidArgument
from ai_glossary_mcp.formulas.symbols import split_symbols, symbol_form
from ai_glossary_mcp.search import lookup
from ai_glossary_mcp.search.normalize import fold, search_tokens

MAX_TERM_CHARS = 500
MAX_TEXT_CHARS = 20_000
MAX_BATCH = 20
DERIVED_KINDS = ("mentions", "mentioned-by", "same-category")  # find_related's kinds beside the curated ones
Detail = Literal["brief", "full"]


# -- argument checks ----------------------------------------------------------
# Unicode's control characters (category Cc: U+0000-001F, U+007F-009F) and lone surrogates (Cs), found by
# one regex scan instead of a category lookup per character (20,000 of them for find_terms_in_text).
_BAD_IN_LINE = re.compile(f"[{CONTROL_CHARACTERS}\ud800-\udfff]")
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # tab, LF, CR allowed


def check_text(value: Any, name: str, max_chars: int = MAX_TERM_CHARS, multiline: bool = False) -> str:
    """A usable string argument, or InvalidArgument saying what to send."""
    if not isinstance(value, str):
        raise InvalidArgument(f"`{name}` must be a string, got {type(value).__name__}")
    if len(value) > max_chars:
        raise InvalidArgument(f"`{name}` is {len(value):,} characters long; send at most {max_chars:,}")
    bad = (_BAD_IN_TEXT if multiline else _BAD_IN_LINE).search(value)
    if bad is not None:
        ch = bad.group()
        if unicodedata.category(ch) == "Cs":
            raise InvalidArgument(
                f"`{name}` contains an unpaired surrogate (invalid Unicode); send valid UTF-8 text"
            )
        raise InvalidArgument(
            f"`{name}` contains a control character (U+{ord(ch):04X}); send plain text"
            + ("" if multiline else " on one line")
        )
    if not value.strip():
        example = "a glossary term such as 'KV-Cache' or 'DPO'" if not multiline else "some text"
        raise InvalidArgument(f"`{name}` is empty; send {example}")
    return value.strip()


def check_limit(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"`{name}` must be an integer from {low} to {high}")
    if not low <= value <= high:
        raise InvalidArgument(f"`{name}` is {value}; send an integer from {low} to {high}")
    return value


def check_detail(value: Any) -> Detail:
    if value not in ("brief", "full"):
        raise InvalidArgument("`detail` must be 'brief' or 'full'")
    return value


def related_kinds(vocabulary: Vocabulary) -> tuple[str, ...]:
    """The `relation` values find_related takes: the served relation types, then the derived kinds."""
    return tuple(vocabulary.inverses) + DERIVED_KINDS


def check_category(value: Any, categories: Mapping[str, str]) -> str | None:
    """A category id of the served packs (given as id or label, any case), None for all, else InvalidArgument."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidArgument("`category` must be a string")
    valid = ", ".join(categories) or "none (the served packs declare no categories)"
    if len(value) > 100:
        raise InvalidArgument(f"unknown category {value[:60]!r}...; use one of: {valid} (or '' for all)")
    folded = fold(value).strip()
    key = folded.replace(" ", "-").replace("_", "-")
    if key in categories:
        return key
    for cid, label in categories.items():
        if fold(label) == folded:
            return cid
    raise InvalidArgument(f"unknown category {value[:60]!r}; use one of: {valid} (or '' for all)")


# -- paging ------------------------------------------------------------------
def encode_cursor(offset: int, signature: str) -> str:
    """An opaque cursor for page offset `offset` of the listing named by `signature`."""
    raw = json.dumps({"o": offset, "f": signature}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: Any, signature: str) -> int:
    """The offset in a cursor from encode_cursor for the same listing, or InvalidArgument."""
    if cursor in ("", None):
        return 0
    bad = InvalidArgument(
        "`cursor` is not one this server issued; pass the `next_cursor` of the previous "
        "page unchanged, or '' to start from the beginning"
    )
    if not isinstance(cursor, str) or len(cursor) > 200:
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, sig = data["o"], data["f"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0 or offset > 10_000_000:
        raise bad
    if sig != signature:
        raise InvalidArgument(
            "`cursor` belongs to a listing with other filters (letter/category); "
            "keep the same filters or start again with cursor ''"
        )
    return offset


# -- rendering ------------------------------------------------------------------
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


def entry_full(glossary: Glossary, entry: Entry) -> EntryFull:
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


def _suggestions(pairs: tuple[tuple[Entry, float], ...] | list[tuple[Entry, float]]) -> list[Suggestion]:
    return [Suggestion(id=e.id, term=e.term, score=round(s, 3)) for e, s in pairs][:5]


class GlossaryService:
    def __init__(self, glossary: Glossary | GlossaryIndex):
        self.index = GlossaryIndex(glossary) if isinstance(glossary, Glossary) else glossary

    @property
    def glossary(self) -> Glossary:
        return self.index.glossary

    def replace(self, glossary: Glossary) -> None:
        """Swap in a new glossary; the index is built before the one-step swap."""
        self.index = GlossaryIndex(glossary)

    def replace_index(self, index: Any) -> None:
        """Swap in an index already built (or a store already opened), in one step."""
        self.index = index

    # -- define -------------------------------------------------------------
    def _define(self, index: GlossaryIndex, term: str, detail: Detail) -> DefineResult:
        query = check_text(term, "term")
        res = lookup.resolve(index, query)
        if res.entry is None:
            note = None
            if res.example_of is not None:
                note = (
                    f"{query!r} is an example of {res.example_of.term} ({res.example_of.id}), not a name for "
                    "it; the glossary has no entry of its own for it"
                )
            return DefineResult(
                found=False,
                suggestions=_suggestions(res.suggestions),
                ambiguous=_suggestions(res.ambiguous),
                note=note,
            )
        entry = entry_full(index.glossary, res.entry) if detail == "full" else entry_brief(res.entry)
        return DefineResult(
            found=True, entry=entry, match=MatchInfo(kind=res.kind, score=res.score, query=query)
        )  # type: ignore[arg-type]

    def define(self, term: Any, detail: Any = "full") -> DefineResult:
        return self._define(self.index, term, check_detail(detail))

    def define_many(self, terms: Any, detail: Any = "brief") -> DefineManyResult:
        """define() for each term; brief by default, like define_term, so a batch of 20 stays affordable."""
        if not isinstance(terms, list) or not 1 <= len(terms) <= MAX_BATCH:
            raise InvalidArgument(f"`terms` must be a list of 1 to {MAX_BATCH} terms")
        detail = check_detail(detail)
        index = self.index
        results = []
        for i, term in enumerate(terms):
            try:
                results.append(self._define(index, term, detail))
            except InvalidArgument as exc:
                raise InvalidArgument(f"terms[{i}]: {exc}") from None
        return DefineManyResult(results=results)

    # -- search / list --------------------------------------------------------
    def search(self, query: Any, limit: Any = 5, category: Any = "") -> SearchResult:
        q = check_text(query, "query")
        n = check_limit(limit, "limit", 1, 50)
        cat = check_category(category, self.index.categories)
        hits = lookup.search(self.index, q, n, cat)
        wanted = set(search_tokens(q))
        return SearchResult(
            query=q,
            category=cat,
            results=[
                SearchHit(
                    id=e.id,
                    term=e.term,
                    acronym=e.acronym,
                    score=s,
                    snippet=lookup.snippet(e, q, wanted=wanted),
                    uri=entry_uri(e.id),
                )
                for e, s in hits
            ],
        )

    def list_terms(
        self, letter: Any = "", category: Any = "", cursor: Any = "", limit: Any = 50
    ) -> ListResult:
        if not isinstance(letter, str) or len(letter.strip()) > 1:
            raise InvalidArgument(
                "`letter` must be a single letter A-Z, '#' for digits/symbols, or '' for all"
            )
        letter = letter.strip().upper()
        if letter and not (("A" <= letter <= "Z") or letter == "#"):
            raise InvalidArgument(
                "`letter` must be a single letter A-Z, '#' for digits/symbols, or '' for all"
            )
        cat = check_category(category, self.index.categories)
        n = check_limit(limit, "limit", 1, 200)
        index = self.index
        signature = f"{letter}|{cat or ''}"
        offset = decode_cursor(cursor, signature)
        page, total = index.ids_page(letter or None, cat, offset, n)
        nxt = offset + n
        by_id = index.glossary.by_id
        return ListResult(
            terms=[
                ListItem(
                    id=i,
                    term=by_id[i].term,
                    acronym=by_id[i].acronym,
                    category=by_id[i].category,
                    pack=index.glossary.entry_pack[i],
                    uri=entry_uri(i),
                )
                for i in page
            ],
            total=total,
            next_cursor=encode_cursor(nxt, signature) if nxt < total else "",
        )

    # -- related ----------------------------------------------------------------
    def related(self, term: Any, relation: Any = "", limit: Any = 10) -> RelatedResult:
        query = check_text(term, "term")
        n = check_limit(limit, "limit", 1, 50)
        index = self.index
        kinds = related_kinds(index.glossary.vocabulary)
        if relation not in ("", None) and relation not in kinds:
            raise InvalidArgument(
                f"unknown relation {str(relation)[:60]!r}; use one of: {', '.join(kinds)} (or '' for all)"
            )
        res = lookup.resolve(index, query)
        if res.entry is None:
            return RelatedResult(found=False, suggestions=_suggestions(res.suggestions or res.ambiguous))
        hits = self._related_hits(index, res.entry)
        if relation:
            hits = [h for h in hits if h.relation == relation]
        return RelatedResult(
            found=True, entry=EntryRef(id=res.entry.id, term=res.entry.term), related=hits[:n]
        )

    def _related_hits(self, index: GlossaryIndex, entry: Entry) -> list[RelatedHit]:
        by_id = index.glossary.by_id
        hits: list[RelatedHit] = []
        taken = {entry.id}
        for rank, edge in enumerate(index.glossary.edges.get(entry.id, ())):
            other = by_id[edge.target]
            score = (1.0 if not edge.inferred else 0.95) - 0.001 * rank
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
        mentions = lookup.definition_mentions(index, entry)
        mentioned_by = self._mentioned_by(index, entry)
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
                RelatedHit(id=other.id, term=other.term, relation=kind, why=why, score=0.8 if both else 0.7)
            )
            taken.add(other_id)
        if entry.category is None:
            return hits
        same = set(index.category_positions(entry.category)) - {index.position[i] for i in taken}
        label = index.glossary.vocabulary.label(entry.category)
        wanted = set(search_tokens(entry.term + " " + entry.definition))
        for doc, sim in lookup.bm25(index, entry.term + " " + entry.definition, same, top=10):
            other = index.entries[doc]
            shared = [t for t in dict.fromkeys(search_tokens(other.definition)) if t in wanted][:4]
            why = f"Also in {label}" + (f"; both discuss {', '.join(shared)}" if shared else "")
            hits.append(
                RelatedHit(
                    id=other.id,
                    term=other.term,
                    relation="same-category",
                    why=why,
                    score=round(0.2 + 0.4 * sim, 3),
                )
            )
        return hits

    @staticmethod
    def _mentioned_by(index: GlossaryIndex, entry: Entry) -> list[str]:
        """Entries whose definitions name this one: candidates from postings, confirmed by spotting."""
        names = [entry.term] + ([entry.acronym] if entry.acronym else []) + list(entry.aliases)
        candidates: set[int] = set()
        for name in names:
            postings = [index.posting(t) for t in dict.fromkeys(search_tokens(name))]
            if not postings or any(p is None for p in postings):
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
            if other.id != entry.id and entry.id in lookup.definition_mentions(index, other):
                found.append(other.id)
        return found

    # -- formulas ---------------------------------------------------------------
    def formulas_available(self, index: GlossaryIndex) -> list[EntryRef]:
        return [EntryRef(id=e.id, term=e.term) for e in index.glossary.formula_entries]

    def explain_formula(self, term: Any, symbol: Any = "", include_mathml: Any = False) -> FormulaResult:
        """The formula of an entry. MathML only when asked: it is most of the answer (60% of DPO's) and any
        client that renders MathML can build it from the LaTeX."""
        query = check_text(term, "term")
        if not isinstance(include_mathml, bool):
            raise InvalidArgument("`include_mathml` must be true or false")
        if symbol not in ("", None):
            symbol = check_text(symbol, "symbol", 100)
        index = self.index
        res = lookup.resolve(index, query)
        if res.entry is None:
            return FormulaResult(
                found=False,
                suggestions=_suggestions(res.suggestions or res.ambiguous),
                formulas_available=self.formulas_available(index),
            )
        entry = res.entry
        ref = EntryRef(id=entry.id, term=entry.term)
        if entry.formula is None:
            return FormulaResult(
                found=True, entry=ref, has_formula=False, formulas_available=self.formulas_available(index)
            )
        variable = None
        if symbol:
            variable = self._find_variable(entry, symbol)
        return FormulaResult(
            found=True,
            entry=ref,
            has_formula=True,
            formula=formula_out(entry, with_mathml=include_mathml),
            variable=variable,
        )

    @staticmethod
    def _find_variable(entry: Entry, symbol: str) -> VariableOut:
        assert entry.formula is not None
        wanted = symbol_form(symbol)
        for v in entry.formula.variables:
            forms = {symbol_form(s) for s in split_symbols(v.symbol) + split_symbols(v.latex)}
            forms.add(symbol_form(v.symbol))
            if wanted in forms:
                return VariableOut(symbol=v.symbol, latex=v.latex, meaning=v.meaning)
        known = "; ".join(v.symbol for v in entry.formula.variables)
        raise InvalidArgument(
            f"symbol {symbol!r} is not in the legend of {entry.term}; its symbols are: {known}"
        )

    def evaluate(self, term: Any, inputs: Any) -> EvaluationResult:
        from ai_glossary_mcp.formulas.evaluator import EVALUATORS, FormulaInputError, evaluate

        query = check_text(term, "term")
        if not isinstance(inputs, dict):
            raise InvalidArgument("`inputs` must be an object mapping input names to numbers or lists")
        # null means "not given": clients in strict function-calling modes must send every declared name.
        inputs = {name: value for name, value in inputs.items() if value is not None}
        index = self.index
        res = lookup.resolve(index, query)
        names = ", ".join(f"{e.id}" for e in index.glossary.formula_entries if e.id in EVALUATORS)
        if res.entry is None:
            raise InvalidArgument(
                f"no glossary entry matches {query!r}; formulas that can be evaluated: {names}"
            )
        if res.entry.id not in EVALUATORS or res.entry.formula is None:
            raise InvalidArgument(
                f"{res.entry.term} has no formula to evaluate; formulas that can be evaluated: {names}"
            )
        try:
            evaluation = evaluate(res.entry.id, inputs)
        except FormulaInputError as exc:
            raise InvalidArgument(f"{res.entry.term}: {exc}") from None
        return EvaluationResult(
            entry=EntryRef(id=res.entry.id, term=res.entry.term),
            inputs=dict(evaluation.inputs),
            steps=[Step(name=s.name, value=s.value) for s in evaluation.steps],
            result=evaluation.result,
        )

    # -- compare / mentions -------------------------------------------------------
    def compare(self, terms: Any) -> CompareResult:
        if not isinstance(terms, list) or not 2 <= len(terms) <= 5:
            raise InvalidArgument("`terms` must be a list of 2 to 5 terms")
        index = self.index
        found: list[Entry] = []
        missing: list[DefineResult] = []
        for i, term in enumerate(terms):
            try:
                result = self._define(index, term, "brief")
            except InvalidArgument as exc:
                raise InvalidArgument(f"terms[{i}]: {exc}") from None
            if result.found and result.entry is not None and result.entry.id not in {e.id for e in found}:
                found.append(index.glossary.by_id[result.entry.id])
            elif not result.found:
                missing.append(result)
        ids = {e.id for e in found}
        by_id = index.glossary.by_id
        relations = []
        neighbours: dict[str, set[str]] = defaultdict(set)
        for e in found:
            for edge in index.glossary.edges.get(e.id, ()):
                if edge.target in ids:
                    if not edge.inferred:
                        relations.append(
                            DirectRelation(
                                source=e.id,
                                target=edge.target,
                                relation=edge.relation,
                                why=edge.why(e.term, by_id[edge.target].term),
                            )
                        )
                else:
                    neighbours[edge.target].add(e.id)
        shared = sorted(
            (t for t, s in neighbours.items() if len(s) >= 2), key=lambda t: (-len(neighbours[t]), t)
        )
        return CompareResult(
            entries=[entry_brief(e) for e in found],
            categories={e.id: e.category for e in found},
            relations=relations,
            shared_neighbours=[EntryRef(id=t, term=by_id[t].term) for t in shared],
            not_found=missing,
        )

    def find_in_text(self, text: Any) -> MentionsResult:
        body = check_text(text, "text", MAX_TEXT_CHARS, multiline=True)
        raw = text  # offsets refer to the text as sent, not the stripped copy
        index = self.index
        by_id = index.glossary.by_id
        spots = lookup.spot_names(index, raw)
        del body
        mentions = [
            Mention(
                id=s.entry_id,
                term=by_id[s.entry_id].term,
                start=s.start,
                end=s.end,
                surface=raw[s.start : s.end],
            )
            for s in spots
        ]
        distinct = list(dict.fromkeys(s.entry_id for s in spots))
        entries = [
            MentionedEntry(
                id=i, term=by_id[i].term, definition=first_sentence(by_id[i].definition), uri=entry_uri(i)
            )
            for i in distinct
        ]
        return MentionsResult(mentions=mentions, entries=entries)
