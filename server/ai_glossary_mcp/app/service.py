"""The glossary's use cases: one method per thing a client can ask.

`GlossaryService` holds the current index and answers each request with a
typed result from results.py. It validates every argument first (checks.py)
and raises `InvalidArgument` with a message that says what to send instead,
because the caller is usually a model that will retry with whatever the
message suggests. "Not found" is an answer (found: false + suggestions), not
an error. Entries are shaped by shape.py, find_related ranks in related.py,
argument completion in completion.py.

The MCP layer and the CLI both call this class, so the two can never disagree.
A reload swaps `self.index` in one assignment; every method reads the
reference once at the start, so a request never sees half of each version.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ai_glossary_mcp.app import completion
from ai_glossary_mcp.app.bounds import (
    COMPARE_TERMS,
    DEFINE_BATCH,
    LIST_LIMIT,
    MAX_SYMBOL_CHARS,
    MAX_TEXT_CHARS,
    RELATED_LIMIT,
    SEARCH_LIMIT,
)
from ai_glossary_mcp.app.checks import (
    Detail,
    check_category,
    check_detail,
    check_letter,
    check_limit,
    check_relation,
    check_terms,
    check_text,
)
from ai_glossary_mcp.app.cursors import decode_cursor, encode_cursor
from ai_glossary_mcp.app.related import related_hits
from ai_glossary_mcp.app.results import (
    CompareResult,
    DefineManyResult,
    DefineResult,
    DirectRelation,
    EntryRef,
    EvaluationResult,
    FormulaResult,
    ListItem,
    ListResult,
    MatchInfo,
    Mention,
    MentionedEntry,
    MentionsResult,
    RelatedResult,
    SearchHit,
    SearchResult,
    Step,
    VariableOut,
)
from ai_glossary_mcp.app.shape import entry_brief, entry_full, formula_out, suggestions
from ai_glossary_mcp.data.contract import GlossaryView, IndexView
from ai_glossary_mcp.data.glossary import Glossary, entry_uri
from ai_glossary_mcp.data.index import first_sentence
from ai_glossary_mcp.data.model import Entry
from ai_glossary_mcp.data.store import memory_store
from ai_glossary_mcp.errors import InvalidArgument
from ai_glossary_mcp.formulas.symbols import split_symbols, symbol_form
from ai_glossary_mcp.search import fusion
from ai_glossary_mcp.search.normalize import search_tokens
from ai_glossary_mcp.search.ranking import confident, search
from ai_glossary_mcp.search.resolve import resolve
from ai_glossary_mcp.search.spotting import snippet, spot_names


class GlossaryService:
    def __init__(self, glossary: Glossary | IndexView):
        self.index: IndexView = (
            memory_store(glossary, fusion.STORED) if isinstance(glossary, Glossary) else glossary
        )

    @property
    def glossary(self) -> GlossaryView:
        return self.index.glossary

    def replace(self, glossary: Glossary) -> None:
        """Swap in a new glossary; its store is built before the one-step swap."""
        self.index = memory_store(glossary, fusion.STORED)

    def replace_index(self, index: IndexView) -> None:
        """Swap in an index already built (or a store already opened), in one step."""
        self.index = index

    def complete(
        self, target: str, argument: str, value: str, chosen: dict[str, Any] | None = None
    ) -> completion.Completed | None:
        """Values to offer for a partly typed `argument` of `target` (completion.ENTRY or a prompt)."""
        return completion.complete(self, target, argument, value, chosen or {})

    # -- define -------------------------------------------------------------
    def _define(self, index: IndexView, term: str, detail: Detail) -> DefineResult:
        query = check_text(term, "term")
        res = resolve(index, query)
        if res.entry is None:
            note = None
            if res.example_of is not None:
                note = (
                    f"{query!r} is an example of {res.example_of.term} ({res.example_of.id}), not a name for "
                    "it; the glossary has no entry of its own for it"
                )
            return DefineResult(
                found=False,
                suggestions=suggestions(res.suggestions),
                ambiguous=suggestions(res.ambiguous),
                note=note,
            )
        entry = entry_full(index.glossary, res.entry) if detail == "full" else entry_brief(res.entry)
        # search/decide.py's Resolution.kind is a plain str; a resolved one is always a MatchKind.
        match = MatchInfo(kind=res.kind, score=res.score, query=query)  # type: ignore[arg-type]
        return DefineResult(found=True, entry=entry, match=match)

    def define(self, term: Any, detail: Any = "full") -> DefineResult:
        return self._define(self.index, term, check_detail(detail))

    def define_many(self, terms: Any, detail: Any = "brief") -> DefineManyResult:
        """define() for each term; brief by default, like define_term, so a batch of 20 stays affordable."""
        check_terms(terms, DEFINE_BATCH)
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
    def search(self, query: Any, limit: Any = SEARCH_LIMIT.default, category: Any = "") -> SearchResult:
        q = check_text(query, "query")
        n = check_limit(limit, "limit", SEARCH_LIMIT)
        cat = check_category(category, self.index.categories)
        hits = search(self.index, q, n, cat)
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
                    confident=confident(s),
                    snippet=snippet(e, q, wanted=wanted),
                    uri=entry_uri(e.id),
                )
                for e, s in hits
            ],
        )

    def list_terms(
        self, letter: Any = "", category: Any = "", cursor: Any = "", limit: Any = LIST_LIMIT.default
    ) -> ListResult:
        letter = check_letter(letter)
        cat = check_category(category, self.index.categories)
        n = check_limit(limit, "limit", LIST_LIMIT)
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
    def related(self, term: Any, relation: Any = "", limit: Any = RELATED_LIMIT.default) -> RelatedResult:
        query = check_text(term, "term")
        n = check_limit(limit, "limit", RELATED_LIMIT)
        index = self.index
        relation = check_relation(relation, index.glossary.vocabulary)
        res = resolve(index, query)
        if res.entry is None:
            return RelatedResult(found=False, suggestions=suggestions(res.suggestions or res.ambiguous))
        hits = related_hits(index, res.entry)
        if relation:
            hits = [h for h in hits if h.relation == relation]
        return RelatedResult(
            found=True, entry=EntryRef(id=res.entry.id, term=res.entry.term), related=hits[:n]
        )

    # -- formulas ---------------------------------------------------------------
    def formulas_available(self, index: IndexView) -> list[EntryRef]:
        return [EntryRef(id=e.id, term=e.term) for e in index.glossary.formula_entries]

    def explain_formula(self, term: Any, symbol: Any = "", include_mathml: Any = False) -> FormulaResult:
        """The formula of an entry. MathML only when asked: it is most of the answer (60% of DPO's) and any
        client that renders MathML can build it from the LaTeX."""
        query = check_text(term, "term")
        if not isinstance(include_mathml, bool):
            raise InvalidArgument("`include_mathml` must be true or false")
        if symbol not in ("", None):
            symbol = check_text(symbol, "symbol", MAX_SYMBOL_CHARS)
        index = self.index
        res = resolve(index, query)
        if res.entry is None:
            return FormulaResult(
                found=False,
                suggestions=suggestions(res.suggestions or res.ambiguous),
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
        res = resolve(index, query)
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
        check_terms(terms, COMPARE_TERMS)
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
        spots = spot_names(index, raw)
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
