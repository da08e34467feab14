"""CSV and TSV glossaries: one row per term under a header row, as spreadsheets export them.

Columns `term` and `definition` are required; `aliases` (`;`-separated), `acronym`, `category`
and `related` (`;`-separated names of other terms, optionally `relation-type:Name`) are read when
present. Other column names are mapped with `--column FIELD=NAME`. Header names match case- and
space-insensitively, and the UTF-8 BOM spreadsheets write is dropped by `read_source`. A row the
csv module cannot parse, or with more cells than the header, stops the import at its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ai_glossary_mcp.errors import display_path

if TYPE_CHECKING:
    from ai_glossary_mcp.data.glossary import Glossary
    from ai_glossary_mcp.data.model import Entry

from .common import Parsed, Record, fail, read_source

FIELDS = ("term", "definition", "aliases", "acronym", "category", "related", "tags")
_HEADER_SYNONYMS = {
    "abbreviation": "acronym",
    "synonyms": "aliases",
    "alias": "aliases",
    "name": "term",
    "see also": "related",
    "related terms": "related",
    "subject": "category",
}


def _columns(header: list[str], mapping: Mapping[str, str], path: Path) -> dict[str, int]:
    folded = [" ".join(h.strip().casefold().replace("_", " ").split()) for h in header]
    columns: dict[str, int] = {}
    for i, name in enumerate(folded):
        field = _HEADER_SYNONYMS.get(name, name)
        if field in FIELDS and field not in columns:
            columns[field] = i
    for field, column in mapping.items():
        wanted = " ".join(column.casefold().split())
        if wanted not in folded:
            raise fail(
                path,
                1,
                f"--column {field}={column}: the header has no column '{column}' "
                f"(it has: {', '.join(h.strip() for h in header)})",
            )
        columns[field] = folded.index(wanted)
    missing = [f for f in ("term", "definition") if f not in columns]
    if missing:
        raise fail(
            path,
            1,
            f"the header row has no {' or '.join(missing)} column (it has: "
            f"{', '.join(h.strip() for h in header)}); map one with --column {missing[0]}=NAME",
        )
    return columns


def _cell(row: list[str], columns: Mapping[str, int], field: str) -> str:
    """The row's cell for `field`, stripped; empty when the file has no such column or the row ends first."""
    return row[columns[field]].strip() if field in columns and columns[field] < len(row) else ""


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def parse(path: Path, delimiter: str = ",", mapping: Mapping[str, str] | None = None, **_: Any) -> Parsed:
    text = read_source(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    shown = display_path(path)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise fail(path, 1, f"malformed header row: {exc}") from None
    columns = _columns(header, mapping or {}, path)
    parsed = Parsed(records=[])
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise fail(path, start, f"malformed row: {exc} (check its quotes)") from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise fail(
                path,
                start,
                f"malformed row: {len(row)} cells under a header of {len(header)} "
                "(an unquoted delimiter in a cell?)",
            )
        cell = partial(_cell, row, columns)
        related: list[tuple[str, str, str | None]] = []
        for name in _split(cell("related")):
            kind, sep, target = name.partition(":")
            related.append(
                (target.strip(), kind.strip(), None)
                if sep and " " not in kind.strip()
                else (name, "see-also", None)
            )
        parsed.records.append(
            Record(
                term=cell("term"),
                definition=cell("definition"),
                where=f"{shown}:{start}",
                aliases=_split(cell("aliases")),
                acronym=cell("acronym") or None,
                category=cell("category") or None,
                related=related,
                tags=_split(cell("tags")),
            )
        )
    return parsed


def parse_tsv(path: Path, **options: Any) -> Parsed:
    return parse(path, delimiter="\t", **options)


def export(entries: Iterable[Entry], glossary: Glossary, out: io.TextIOBase) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["term", "definition", "aliases", "acronym", "category", "related", "tags"])
    for e in entries:
        related = [
            f"{r.relation}:{glossary.by_id[r.id].term}"
            if r.relation != "see-also"
            else glossary.by_id[r.id].term
            for r in e.related
        ]
        writer.writerow(
            [
                e.term,
                e.definition,
                "; ".join(e.aliases),
                e.acronym or "",
                glossary.vocabulary.label(e.category) or "",
                "; ".join(related),
                "; ".join(e.tags),
            ]
        )
