"""SKOS thesauri in Turtle, RDF/XML or JSON-LD, read and written with rdflib.

Each skos:Concept (or anything with a skos:prefLabel) is one entry: prefLabel in the chosen
language is the term, altLabel the aliases, hiddenLabel misspellings that resolve but are never
shown, definition the definition and notation the acronym. broader and narrower become the
pack-declared relation types of those names (each the other's inverse), related becomes
see-also, and a literal dct:subject the category. The concept scheme's title or prefLabel names the pack.

rdflib is imported here only, so the server's start never pays for it. Nothing is fetched: RDF/XML
is checked with defusedxml first (no entities, no external references), and a JSON-LD file whose
@context is a URL is refused rather than downloaded.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ai_glossary_mcp.errors import display_path

if TYPE_CHECKING:
    from ai_glossary_mcp.data.glossary import Glossary
    from ai_glossary_mcp.data.model import Entry

from .common import Parsed, Record, fail, read_source

RELATION_TYPES = {
    "broader": {"inverse": "narrower", "phrase": "is narrower than"},
    "narrower": {"inverse": "broader", "phrase": "is broader than"},
}
RDF_FORMATS = {
    "turtle": "turtle",
    "ttl": "turtle",
    "rdf": "xml",
    "xml": "xml",
    "owl": "xml",
    "jsonld": "json-ld",
    "json-ld": "json-ld",
}


def _remote_context(data: Any) -> bool:
    """Whether JSON-LD would make rdflib load a context from elsewhere: a @context that is (or lists) a
    URL or path, or a JSON-LD 1.1 @import, at any depth (scoped contexts included)."""
    if isinstance(data, dict):
        ctx = data.get("@context")
        if isinstance(ctx, str) or (isinstance(ctx, list) and any(isinstance(c, str) for c in ctx)):
            return True
        if "@import" in data:
            return True
        return any(_remote_context(v) for v in data.values())
    if isinstance(data, list):
        return any(_remote_context(v) for v in data)
    return False


def _graph(path: Path, text: str) -> Any:
    syntax = RDF_FORMATS.get(path.suffix.lstrip(".").lower(), "turtle")
    if syntax == "xml":
        from .tbx import read_xml

        read_xml(path, text)  # refuses entities and external references before rdflib sees the file
    if syntax == "json-ld":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise fail(path, exc.lineno, f"JSON syntax error: {exc.msg}") from None
        if _remote_context(data):
            raise fail(
                path,
                1,
                "the JSON-LD @context refers to a URL or file (@context or @import); it is never "
                "fetched: inline the context",
            )
    import rdflib

    graph = rdflib.Graph()
    try:
        graph.parse(data=text, format=syntax, publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib's parsers raise many types; all mean the file does not parse
        message = " ".join(str(exc).split())
        m = re.search(r"line (\d+)", message)
        line = int(m.group(1)) if m else int(getattr(exc, "lines", 0) or 0) + (0 if m else 1)
        raise fail(path, line, f"{syntax} syntax error: {message[:300]}") from None
    return graph


def parse(path: Path, lang: str | None = None, **_: Any) -> Parsed:
    text = read_source(path)
    graph = _graph(path, text)
    from rdflib.namespace import DCTERMS, RDF, SKOS

    shown = display_path(path)

    def pick(subject: Any, predicate: Any, many: bool = False) -> Any:
        values = list(graph.objects(subject, predicate))
        wanted = [
            o for o in values if getattr(o, "language", None) in ((lang, None) if lang else (None, "en"))
        ]
        if not wanted and not lang:
            wanted = values
        wanted = sorted(wanted, key=str)
        if many:
            return [str(v) for v in wanted]
        return str(wanted[0]) if wanted else None

    concepts = sorted(
        set(graph.subjects(RDF.type, SKOS.Concept)) | set(graph.subjects(SKOS.prefLabel, None)), key=str
    )
    if not concepts:
        raise fail(path, 0, "no SKOS concepts found (nothing has rdf:type skos:Concept or a skos:prefLabel)")
    parsed = Parsed(records=[], relation_types=dict(RELATION_TYPES))
    for scheme in graph.subjects(RDF.type, SKOS.ConceptScheme):
        parsed.title = pick(scheme, DCTERMS.title) or pick(scheme, SKOS.prefLabel)
        parsed.description = pick(scheme, DCTERMS.description)
        break
    label_of = {c: pick(c, SKOS.prefLabel) for c in concepts}
    for n, concept in enumerate(concepts, 1):
        where = f"{shown}: concept {n} <{concept}>"
        term = label_of[concept]
        if term is None:
            parsed.skipped.append(
                f"{where}: skipped: no prefLabel" + (f" in language '{lang}'" if lang else "")
            )
            continue
        related: list[tuple[str, str, str | None]] = []
        for predicate, relation in (
            (SKOS.broader, "broader"),
            (SKOS.narrower, "narrower"),
            (SKOS.related, "see-also"),
        ):
            for other in sorted(graph.objects(concept, predicate), key=str):
                related.append((label_of.get(other) or str(other), relation, None))
        parsed.records.append(
            Record(
                term=term,
                definition=pick(concept, SKOS.definition) or "",
                where=where,
                aliases=pick(concept, SKOS.altLabel, many=True),
                misspellings=pick(concept, SKOS.hiddenLabel, many=True),
                acronym=pick(concept, SKOS.notation),
                category=pick(concept, DCTERMS.subject),
                related=related,
            )
        )
    return parsed


def export(
    entries: Iterable[Entry],
    glossary: Glossary,
    out: io.TextIOBase,
    lang: str | None = None,
    syntax: str = "turtle",
) -> None:
    import rdflib
    from rdflib.namespace import DCTERMS, RDF, SKOS

    pack = glossary.packs[0].pack if glossary.packs else None
    base = rdflib.Namespace(f"urn:ai-glossary-mcp:{pack.name if pack else 'glossary'}:")
    graph = rdflib.Graph()
    graph.bind("skos", SKOS)
    graph.bind("dct", DCTERMS)
    scheme = base["scheme"]
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    if pack:
        graph.add((scheme, DCTERMS.title, rdflib.Literal(pack.title, lang=lang)))

    def literal(value: str) -> rdflib.Literal:
        return rdflib.Literal(value, lang=lang)

    for e in entries:
        c = base[e.id]
        graph.add((c, RDF.type, SKOS.Concept))
        graph.add((c, SKOS.inScheme, scheme))
        graph.add((c, SKOS.prefLabel, literal(e.term)))
        graph.add((c, SKOS.definition, literal(e.definition)))
        for alias in e.aliases:
            graph.add((c, SKOS.altLabel, literal(alias)))
        for name in e.misspellings:
            graph.add((c, SKOS.hiddenLabel, literal(name)))
        if e.acronym:
            graph.add((c, SKOS.notation, rdflib.Literal(e.acronym)))
        if e.category:
            graph.add((c, DCTERMS.subject, literal(glossary.vocabulary.label(e.category))))
        for r in e.related:
            predicate = {"broader": SKOS.broader, "narrower": SKOS.narrower}.get(r.relation, SKOS.related)
            graph.add((c, predicate, base[r.id]))
    out.write(graph.serialize(format=syntax))
