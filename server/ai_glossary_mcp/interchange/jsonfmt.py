"""JSON glossaries: a list (or an object with a `terms` list) of term objects.

The docusaurus glossary plugins' shape is `{term, definition, aliases?, abbreviation?,
relatedTerms?}`; `title`/`name` and `description`/`desc` are accepted as synonyms. Our own export
is the same shape with the fields a pack carries besides (`id`, `category`, `related` with
relation types and notes, `tags`, `misspellings`, `do_not_use`, `examples`, `formula`, `read_more`) and a
`pack` object (title, description, categories, relation types), so import(export(pack)) is
lossless.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ai_glossary_mcp.errors import display_path

if TYPE_CHECKING:
    from ai_glossary_mcp.data.glossary import Glossary
    from ai_glossary_mcp.data.model import Entry

from .common import Parsed, Record, fail, read_source

FORMAT_TAG = "ai-glossary-mcp/1"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float)) and str(v).strip()]
    return []


def parse(path: Path, **_: Any) -> Parsed:
    text = read_source(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(path, exc.lineno, f"JSON syntax error: {exc.msg} (column {exc.colno})") from None
    pack = data.get("pack", {}) if isinstance(data, dict) else {}
    items = data.get("terms", data.get("glossary")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise fail(path, 1, "expected a list of terms, or an object with a `terms` list")
    shown = display_path(path)
    parsed = Parsed(
        records=[],
        title=pack.get("title"),
        description=pack.get("description"),
        categories=dict(pack.get("categories") or {}),
        relation_types=dict(pack.get("relation_types") or {}),
    )
    for n, item in enumerate(items, 1):
        where = f"{shown}: record {n}"
        if not isinstance(item, dict):
            parsed.skipped.append(f"{where}: skipped: not an object")
            continue
        term = item.get("term", item.get("title", item.get("name")))
        definition = item.get("definition", item.get("description", item.get("desc")))
        if not isinstance(term, str) or not isinstance(definition, str):
            parsed.skipped.append(f"{where}: skipped: it needs a string `term` and a string `definition`")
            continue
        related: list[tuple[str, str, str | None]] = []
        for r in item.get("related") or []:
            if isinstance(r, dict) and isinstance(r.get("id"), str):
                related.append((r["id"], str(r.get("relation", "see-also")), r.get("note")))
        if not related:  # our export writes both; `related` (typed, by id) wins
            related = [(name, "see-also", None) for name in _strings(item.get("relatedTerms"))]
        parsed.records.append(
            Record(
                term=term,
                definition=definition,
                where=where,
                id=item.get("id") if isinstance(item.get("id"), str) else None,
                aliases=_strings(item.get("aliases")),
                acronym=(item.get("abbreviation") or item.get("acronym") or None),
                category=item.get("category") if isinstance(item.get("category"), str) else None,
                related=related,
                tags=_strings(item.get("tags")),
                misspellings=_strings(item.get("misspellings")),
                do_not_use=_strings(item.get("do_not_use")),
                examples=_strings(item.get("examples")),
                formula=item.get("formula") if isinstance(item.get("formula"), dict) else None,
                read_more=[r for r in item.get("read_more") or [] if isinstance(r, dict)],
            )
        )
    return parsed


def export(entries: Iterable[Entry], glossary: Glossary, out: io.TextIOBase) -> None:
    pack = glossary.packs[0].pack if glossary.packs else None
    terms = []
    for e in entries:
        item: dict[str, Any] = {"id": e.id, "term": e.term, "definition": e.definition}
        if e.acronym:
            item["abbreviation"] = e.acronym
        if e.aliases:
            item["aliases"] = list(e.aliases)
        if e.related:
            item["relatedTerms"] = [glossary.by_id[r.id].term for r in e.related]
            item["related"] = [r.model_dump(exclude_none=True) for r in e.related]
        for name in ("category", "tags", "misspellings", "do_not_use", "examples", "read_more"):
            value = getattr(e, name)
            if value:
                item[name] = (
                    value
                    if isinstance(value, str)
                    else [v.model_dump(exclude_none=True) if hasattr(v, "model_dump") else v for v in value]
                )
        if e.formula is not None:
            item["formula"] = e.formula.model_dump(mode="json", exclude_defaults=True)
        terms.append(item)
    head: dict[str, Any] = {"format": FORMAT_TAG}
    if pack:
        head["pack"] = {
            "title": pack.title,
            "description": pack.description,
            "categories": dict(glossary.vocabulary.categories),
            "relation_types": {k: v.model_dump() for k, v in pack.relation_types.items()},
        }
    json.dump({**head, "terms": terms}, out, ensure_ascii=False, indent=2)
    out.write("\n")
