"""Importers and exporters: glossaries in the formats they live in, to and from our packs.

One module per format reads a file into `common.Record`s (`parse`) and, where the format can
hold a glossary, writes one (`export`); `common` turns records into a validated pack. This
module only names the formats and guesses one from a file's extension. rdflib and defusedxml
are imported by the modules that need them, when a command needs them, never by the server.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ai_glossary_mcp.interchange.common import Parsed

# format -> (module, parse function, export function or None)
FORMATS: dict[str, tuple[str, str, str | None]] = {
    "csv": ("tabular", "parse", "export"),
    "tsv": ("tabular", "parse_tsv", None),
    "markdown": ("markdown", "parse", "export"),
    "sphinx": ("sphinx", "parse", None),
    "tbx": ("tbx", "parse", "export"),
    "skos": ("skos", "parse", "export"),
    "json": ("jsonfmt", "parse", "export"),
    "text": ("text", "parse", None),
}
EXPORT_FORMATS = tuple(name for name, (_, _, export) in FORMATS.items() if export)
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "sphinx",
    ".tbx": "tbx",
    ".ttl": "skos",
    ".rdf": "skos",
    ".jsonld": "skos",
    ".owl": "skos",
    ".json": "json",
    ".txt": "text",
}


def guess_format(path: Path) -> str | None:
    return EXTENSIONS.get(path.suffix.lower())


def importer(name: str) -> Callable[..., Parsed]:
    """The format's `parse(path, **options)`; options it does not use (`lang`, `mapping`) are ignored."""
    module, parse, _ = FORMATS[name]
    found: Callable[..., Parsed] = getattr(import_module(f"{__name__}.{module}"), parse)
    return found


def exporter(name: str) -> Callable[..., None]:
    """The format's `export(entries, glossary, out[, lang])`, which writes to `out`."""
    module, _, export = FORMATS[name]
    assert export is not None
    found: Callable[..., None] = getattr(import_module(f"{__name__}.{module}"), export)
    return found
