"""TBX termbases (ISO 30042): v2 `martif`/`termEntry` and v3 `tbx`/`conceptEntry`, one language.

Per concept, the language section chosen by `--lang` (default: the file's `xml:lang`, else the
first) gives the names: the preferred term, or the first, is the term; admitted terms are aliases;
deprecated (or superseded) ones are kept as `do_not_use` notes, never as names; a term whose
termType is acronym or abbreviation is the acronym. The definition is the language section's
`descrip type="definition"` (or the concept's), `subjectField` is the category, and cross
references (`ref`/`xref` to another concept's id) are see-also relations.

Parsed with defusedxml: a DTD with entity declarations or any external reference is refused, so
there is no entity expansion and nothing is ever fetched.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from ai_glossary_mcp.errors import display_path

if TYPE_CHECKING:
    from ai_glossary_mcp.data.glossary import Glossary
    from ai_glossary_mcp.data.model import Entry

from .common import Parsed, Record, fail, read_source

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(node: Any, *names: str) -> list[Any]:
    return [c for c in node if _local(c.tag) in names]


def _text(node: Any) -> str:
    return " ".join("".join(node.itertext()).split())


def _descrip(node: Any, kind: str) -> str | None:
    for d in node.iter():
        if _local(d.tag) in ("descrip", "descripGrp") and d.get("type") == kind:
            return _text(d)
    return None


def _entity_line(text: str, what: str) -> int:
    m = re.search(what, text)
    return text[: m.start()].count("\n") + 1 if m else 1


def read_xml(path: Path, text: str) -> Any:
    """Parse XML safely (defusedxml); refusals and syntax errors become file:line failures."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        return SafeET.fromstring(
            text.encode("utf-8"), forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        line = _entity_line(text, r"<!ENTITY|SYSTEM|PUBLIC")
        raise fail(
            path,
            line,
            f"refused: the file declares an entity or external reference ({type(exc).__name__});"
            " entities are never expanded and nothing is fetched",
        ) from None
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        raise fail(path, line, f"XML syntax error: {exc.msg if hasattr(exc, 'msg') else exc}") from None


def _term_status(term_group: Any) -> tuple[str, str | None, str | None]:
    term = next((c for c in term_group.iter() if _local(c.tag) == "term"), None)
    status = kind = None
    for note in term_group.iter():
        if _local(note.tag) == "termNote":
            value = _text(note).casefold()
            if note.get("type") in ("administrativeStatus", "normativeAuthorization"):
                status = value
            elif note.get("type") == "termType":
                kind = value
    return (_text(term) if term is not None else ""), status, kind


def parse(path: Path, lang: str | None = None, **_: Any) -> Parsed:
    text = read_source(path)
    root = read_xml(path, text)
    shown = display_path(path)
    if _local(root.tag) not in ("martif", "tbx"):
        raise fail(
            path, 1, f"not a TBX file: the root element is <{_local(root.tag)}>, expected <martif> or <tbx>"
        )
    concepts = [c for c in root.iter() if _local(c.tag) in ("termEntry", "conceptEntry")]
    if not concepts:
        raise fail(path, 1, "the TBX file holds no termEntry or conceptEntry")
    default_lang = lang or root.get(XML_LANG)
    parsed = Parsed(records=[])
    title = next((c for c in root.iter() if _local(c.tag) == "title"), None)
    if title is not None and _text(title):
        parsed.title = _text(title)
    names_by_id: dict[str, str] = {}
    pending: list[tuple[Record, list[str]]] = []
    for n, concept in enumerate(concepts, 1):
        where = f"{shown}: concept {n}" + (f" ({concept.get('id')})" if concept.get("id") else "")
        sections = _children(concept, "langSet", "langSec")
        wanted = default_lang or (sections[0].get(XML_LANG) if sections else None)
        section = next(
            (s for s in sections if (s.get(XML_LANG) or "").casefold() == (wanted or "").casefold()), None
        )
        if section is None and not lang:
            section = sections[0] if sections else None
        if section is None:
            parsed.skipped.append(f"{where}: skipped: no terms in language '{wanted}'")
            continue
        term = None
        aliases, deprecated = [], []
        acronym = None
        for group in _children(section, "tig", "ntig", "termSec"):
            name, status, kind = _term_status(group)
            if not name:
                continue
            if status and ("deprecated" in status or "superseded" in status):
                deprecated.append(name)
            elif kind in ("acronym", "abbreviation", "abbreviated form", "initialism") and acronym is None:
                acronym = name
            elif term is None or (status and "preferred" in status and term[1] != "preferred"):
                if term is not None:
                    aliases.insert(0, term[0])
                term = (name, "preferred" if status and "preferred" in status else "")
            else:
                aliases.append(name)
        if term is None:
            if acronym:
                term, acronym = (acronym, ""), None
            else:
                parsed.skipped.append(f"{where}: skipped: no usable (non-deprecated) term")
                continue
        definition = _descrip(section, "definition") or _descrip(concept, "definition") or ""
        record = Record(
            term=term[0],
            definition=definition,
            where=where,
            aliases=aliases,
            acronym=acronym,
            category=_descrip(concept, "subjectField"),
            do_not_use=deprecated,
        )
        refs = [
            r.get("target")
            for r in concept.iter()
            if _local(r.tag) in ("ref", "xref")
            and r.get("type") in ("crossReference", "xref", None)
            and r.get("target")
        ]
        if concept.get("id"):
            names_by_id[concept.get("id")] = term[0]
        pending.append((record, [t.lstrip("#") for t in refs]))
        parsed.records.append(record)
    for record, refs in pending:
        record.related = [(names_by_id.get(t, t), "see-also", None) for t in refs]
    return parsed


def export(entries: Iterable[Entry], glossary: Glossary, out: io.TextIOBase, lang: str | None = None) -> None:
    lang = lang or "en"
    title = glossary.packs[0].pack.title if glossary.packs else "Glossary"
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<tbx type="TBX-Basic" style="dca" xml:lang={quoteattr(lang)} xmlns="urn:iso:std:iso:30042:ed-2">\n'
        f"  <tbxHeader><fileDesc><titleStmt><title>{escape(title)}</title></titleStmt>"
        "</fileDesc></tbxHeader>\n"
        "  <text><body>\n"
    )

    def term_sec(name: str, status: str, kind: str | None = None) -> str:
        extra = f'<termNote type="termType">{kind}</termNote>' if kind else ""
        return (
            f"        <termSec><term>{escape(name)}</term>{extra}"
            f'<termNote type="administrativeStatus">{status}</termNote></termSec>\n'
        )

    for e in entries:
        out.write(f"    <conceptEntry id={quoteattr(e.id)}>\n")
        if e.category:
            out.write(
                '      <descrip type="subjectField">'
                f"{escape(glossary.vocabulary.label(e.category))}</descrip>\n"
            )
        for r in e.related:
            out.write(
                f'      <ref type="crossReference" target={quoteattr(r.id)}>'
                f"{escape(glossary.by_id[r.id].term)}</ref>\n"
            )
        out.write(
            f"      <langSec xml:lang={quoteattr(lang)}>\n"
            f'        <descrip type="definition">{escape(e.definition)}</descrip>\n'
        )
        out.write(term_sec(e.term, "preferredTerm-admn-sts"))
        if e.acronym:
            out.write(term_sec(e.acronym, "admittedTerm-admn-sts", "acronym"))
        for alias in e.aliases:
            out.write(term_sec(alias, "admittedTerm-admn-sts"))
        for name in e.do_not_use:
            out.write(term_sec(name, "deprecatedTerm-admn-sts"))
        out.write("      </langSec>\n    </conceptEntry>\n")
    out.write("  </body></text>\n</tbx>\n")
