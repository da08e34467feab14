"""The `import` and `export` subcommands: other glossary formats in, our packs out.

Kept apart from cli.py so that the main command stays about serving and lookups. Failures are
`file:line: message` lines on stderr and exit code 1, never a traceback; an import either writes
a complete pack that validates or writes nothing. The summary (what was imported, what was
skipped and why) goes to stdout.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path
from typing import Any

from ai_glossary_mcp.data.model import ID_PATTERN
from ai_glossary_mcp.errors import PackValidationError
from ai_glossary_mcp.interchange import EXPORT_FORMATS, FORMATS, exporter, guess_format, importer


def add_parsers(sub: Any, common: Any) -> None:
    imp = sub.add_parser(
        "import", help="import a glossary (csv, tsv, markdown, sphinx, tbx, skos, json, text) as a pack"
    )
    common(imp)
    imp.add_argument("source", metavar="SOURCE")
    imp.add_argument(
        "--to", required=True, metavar="PACK_DIR", help="new directory to write the pack to (required)"
    )
    imp.add_argument("--format", choices=tuple(FORMATS), help="default: guessed from the file extension")
    imp.add_argument("--name", help="pack name (lowercase-kebab; default: the PACK_DIR name)")
    imp.add_argument("--lang", help="language to import from TBX and SKOS (default: the file's, or English)")
    imp.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=NAME",
        help="csv/tsv: read FIELD (term, definition, aliases, acronym, category, related, tags) "
        "from column NAME (repeatable; default: the column named FIELD)",
    )
    exp = sub.add_parser("export", help="export a pack as csv, json, markdown, skos (Turtle) or tbx")
    common(exp)
    exp.add_argument("pack", metavar="PACK_DIR")
    exp.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="the format to write (required)")
    exp.add_argument("--to", metavar="FILE", help="output file (default: stdout)")
    exp.add_argument("--lang", help="language tag for skos and tbx (default: en)")


def _fail(lines: Any) -> int:
    for line in lines:
        print(line, file=sys.stderr)
    return 1


def cmd_import(args: argparse.Namespace) -> int:
    from ai_glossary_mcp.interchange.common import ImportFailure, write_pack

    source, target = Path(args.source), Path(args.to)
    fmt = args.format or guess_format(source)
    if fmt is None:
        return _fail(
            [
                f"{source}: cannot tell the format from the extension '{source.suffix}'; pass --format "
                f"({', '.join(FORMATS)})"
            ]
        )
    name = args.name or re.sub(r"[^a-z0-9]+", "-", target.resolve().name.lower()).strip("-")
    if not re.fullmatch(ID_PATTERN, name or ""):
        return _fail([f"--name {name!r}: a pack name is lowercase kebab-case (letters, digits, hyphens)"])
    options: dict[str, Any] = {"lang": args.lang}
    if args.column:
        if fmt not in ("csv", "tsv"):
            return _fail(["--column applies to csv and tsv only"])
        mapping = {}
        for item in args.column:
            field, sep, column = item.partition("=")
            if not sep or not column.strip():
                return _fail([f"--column {item!r}: write FIELD=COLUMN, e.g. --column term=Name"])
            mapping[field.strip()] = column.strip()
        options["mapping"] = mapping
    if not source.is_file():
        return _fail([f"{source}: no such file"])
    try:
        parsed = importer(fmt)(source, **options)
        summary = write_pack(parsed, target, name, source, args.lang)
    except ImportFailure as exc:
        return _fail([str(p) for p in exc.problems] + ["import failed; nothing was written"])
    except RecursionError:
        return _fail([f"{source}: nesting too deep to import; nothing was written"])
    for line in summary.lines():
        print(line)
    print(
        f"wrote {target} (pack '{name}'); serve it with: ai-glossary-mcp serve --no-bundled --data {target}"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ai_glossary_mcp.data.loader import load_glossary

    try:
        glossary = load_glossary([Path(args.pack)])
    except PackValidationError as exc:
        return _fail([str(p) for p in exc.problems] + [f"{len(exc.problems)} problem(s): fix the pack first"])
    write = exporter(args.format)
    buffer = io.StringIO()
    extra = {"lang": args.lang} if args.format in ("skos", "tbx") else {}
    write(glossary.entries, glossary, buffer, **extra)
    if args.to:
        Path(args.to).write_text(buffer.getvalue(), encoding="utf-8")
        print(f"wrote {len(glossary.entries)} entries to {args.to}", file=sys.stderr)
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


HANDLERS = {"import": cmd_import, "export": cmd_export}
