"""The `ai-glossary-mcp` command: serve, look things up, validate packs.

With no arguments it serves MCP over stdio on the bundled glossary, which is
what desktop clients launch. Every other subcommand is for a person at a
terminal and needs no MCP client: the lookups call the same GlossaryService
as the tools, so the CLI doubles as a smoke test of the answers. Errors are
one line on stderr and a non-zero exit (a closed pipe, as in `search x | head`,
ends the command quietly); tracebacks only with `--log-level debug`. The help of
every option that is also a setting comes from the settings table in config.py,
so `--help` shows the same defaults as configs/default.yaml.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ai_glossary_mcp import __version__
from ai_glossary_mcp.app.factory import open_service
from ai_glossary_mcp.cli_interchange import HANDLERS as INTERCHANGE_HANDLERS
from ai_glossary_mcp.cli_interchange import add_parsers as add_interchange_parsers
from ai_glossary_mcp.config import BY_NAME, CONFIG_ENV, LOG_LEVELS, Config, load_config
from ai_glossary_mcp.data.bundled import bundled_pack_dir, is_bundled_pack
from ai_glossary_mcp.data.load_cache import load_index
from ai_glossary_mcp.data.names import title
from ai_glossary_mcp.errors import ConfigError, GlossaryError, InvalidArgument, PackValidationError

CLIENTS = ("claude-desktop", "claude-code", "cursor", "vscode")
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool whose reader went away


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse prints usage too; keep it short)
        self.exit(EXIT_USAGE, f"ai-glossary-mcp: error: {message} (see --help)\n")


def _setting_help(name: str) -> str:
    """An option's help from the settings table: its text, default and environment variable."""
    s = BY_NAME[name]
    default = ("on" if s.default else "off") if s.kind == "bool" else s.default
    return f"{s.help} (default: {default}; env {s.env})".replace("%", "%%")


def _common(p: argparse.ArgumentParser, sub: bool = True) -> None:
    # On subcommands the default is SUPPRESS, so an option given before the subcommand
    # (`ai-glossary-mcp --config FILE define x`) is not overwritten by the subcommand's default.
    default = argparse.SUPPRESS if sub else None  # None: argparse's own default for these options
    p.add_argument(
        "--data",
        action="append",
        metavar="PACK_DIR",
        help="extra glossary pack directory, served after the bundled pack (repeatable; "
        "default: none, or `packs` in the settings file)",
        default=default,
    )
    p.add_argument(
        "--no-bundled",
        action="store_true",
        help="do not serve the bundled ai-ml pack (default: it is served)",
        default=default,
    )
    config_help = f"settings file (default: ${CONFIG_ENV} if set, else none)"
    p.add_argument("--config", metavar="FILE", help=config_help, default=default)
    p.add_argument("--log-level", choices=LOG_LEVELS, help=_setting_help("log_level"), default=default)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ai-glossary-mcp", description="A curated AI & ML glossary for LLM agents, over MCP."
    )
    parser.add_argument("--version", action="version", version=f"ai-glossary-mcp {__version__}")
    _common(parser, sub=False)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the MCP server (stdio by default, or --transport http)")
    _common(serve)
    serve.add_argument("--transport", choices=("stdio", "http"), help=_setting_help("transport"))
    serve.add_argument("--host", help=_setting_help("host"))
    serve.add_argument("--port", type=int, help=_setting_help("port"))
    serve.add_argument("--path", help=_setting_help("path"))
    serve.add_argument("--stateless", action="store_true", default=None, help=_setting_help("stateless"))
    serve.add_argument("--watch", action="store_true", default=None, help=_setting_help("watch"))
    serve.add_argument(
        "pack_dirs",
        nargs="*",
        metavar="PACK_DIR",
        default=[],
        help="extra glossary pack directories, the same as --data (default: none); the "
        "Claude Desktop bundle passes its 'Extra glossary packs' setting this way",
    )

    for name, arg, helptext in (
        ("define", "term", "define a term"),
        ("related", "term", "related terms"),
        ("formula", "term", "show a formula"),
        ("search", "query", "full-text search"),
    ):
        p = sub.add_parser(name, help=helptext)
        _common(p)
        p.add_argument(arg)
        p.add_argument("--json", action="store_true", help="print the tool's JSON result")
        if name == "search":
            p.add_argument("--limit", type=int, default=5, help="most hits to show, 1-50 (default: 5)")
            p.add_argument("--category", default="", help="only this category (default: all)")

    lst = sub.add_parser("list", help="list terms, as headed in the glossary index")
    _common(lst)
    lst.add_argument(
        "--letter",
        default="",
        help="only headings starting with this letter A-Z, or '#' for a digit or symbol (default: all)",
    )
    lst.add_argument("--category", default="", help="only this category (default: all)")
    lst.add_argument("--json", action="store_true", help="print the terms as JSON")

    val = sub.add_parser("validate", help="validate glossary packs; prints every problem as file:line")
    _common(val)
    val.add_argument("packs", nargs="*", metavar="PACK_DIR")

    add_interchange_parsers(sub, _common)

    cc = sub.add_parser("client-config", help="print the configuration snippet for an MCP client")
    _common(cc)
    cc.add_argument("client", choices=CLIENTS)
    return parser


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    flags: dict[str, Any] = {}
    for name in ("transport", "host", "port", "path", "stateless", "watch", "log_level"):
        if getattr(args, name, None) is not None:
            flags[name] = getattr(args, name)
    extra = list(getattr(args, "data", None) or []) + list(getattr(args, "pack_dirs", None) or [])
    if extra:
        flags["packs"] = extra
    if args.no_bundled:
        flags["bundled"] = False
    return flags


def pack_dirs(config: Config, extra: Sequence[str] = ()) -> list[Path]:
    """Bundled pack (unless disabled) + configured packs + extra, without repeats."""
    dirs: list[Path] = [bundled_pack_dir()] if config.get("bundled") else []
    dirs += [Path(p) for p in list(config.get("packs")) + list(extra)]
    seen: set[Path] = set()
    unique = []
    for d in dirs:
        key = d.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(d)
    if not unique:
        raise ConfigError(
            "no glossary packs to serve: --no-bundled (bundled: false) needs at least one "
            "--data PACK_DIR (or `packs` in the config file)"
        )
    return unique


def _print_json(model: Any) -> None:
    print(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


def _wrap(text: str, indent: str = "") -> str:
    width = min(100, shutil.get_terminal_size((100, 20)).columns)
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)


def _suggest_line(suggestions: Any) -> str:
    return ", ".join(f"{s.term} ({s.id})" for s in suggestions) or "none"


def cmd_define(service: Any, args: argparse.Namespace) -> int:
    result = service.define(args.term, "full")
    if args.json:
        _print_json(result)
        return 0 if result.found else 1
    if not result.found:
        what = "is ambiguous between" if result.ambiguous else "is not in the glossary; closest:"
        print(f"{args.term!r} {what} {_suggest_line(result.ambiguous or result.suggestions)}")
        return 1
    e = result.entry
    print(f"{title(e)}  " + (f"[{e.category}]  " if e.category else "") + e.uri)
    if result.match.kind != "exact":
        print(f"  (matched by {result.match.kind} rule)")
    print(_wrap(e.definition, "  "))
    if e.aliases:
        print(_wrap("Also: " + ", ".join(e.aliases), "  "))
    if e.formula:
        print(f"  Formula: {e.formula.text}")
    if e.related:
        print(_wrap("Related: " + ", ".join(f"{r.term} ({r.relation})" for r in e.related), "  "))
    return 0


def cmd_search(service: Any, args: argparse.Namespace) -> int:
    result = service.search(args.query, args.limit, args.category)
    if args.json:
        _print_json(result)
        return 0
    if not result.results:
        print(f"No matches for {args.query!r}.")
        return 1
    for hit in result.results:
        print(f"{hit.score:5.2f}  {title(hit)}  [{hit.id}]")
        print(_wrap(hit.snippet, "       "))
    return 0


def cmd_related(service: Any, args: argparse.Namespace) -> int:
    result = service.related(args.term)
    if args.json:
        _print_json(result)
        return 0 if result.found else 1
    if not result.found:
        print(f"{args.term!r} is not in the glossary; closest: {_suggest_line(result.suggestions)}")
        return 1
    print(f"Related to {result.entry.term}:")
    for hit in result.related:
        print(f"  {hit.term:<40} {hit.relation:<16} {hit.why}")
    return 0


def cmd_formula(service: Any, args: argparse.Namespace) -> int:
    result = service.explain_formula(args.term)
    if args.json:
        _print_json(result)
        return 0 if result.found and result.has_formula else 1
    if not result.found:
        print(f"{args.term!r} is not in the glossary; closest: {_suggest_line(result.suggestions)}")
        return 1
    if not result.has_formula:
        names = ", ".join(e.term for e in result.formulas_available)
        print(f"{result.entry.term} has no formula. Formulas: {names}")
        return 1
    f = result.formula
    print(f"{result.entry.term}\n  {f.text}\n  LaTeX: {f.latex}")
    if f.reading:
        print(_wrap(f.reading, "  "))
    print("  Where:")
    for v in f.variables:
        print(_wrap(f"{v.symbol}: {v.meaning}", "    "))
    for note in f.notes:
        print(_wrap(note, "    "))
    return 0


def cmd_list(service: Any, args: argparse.Namespace) -> int:
    items, cursor = [], ""
    while True:
        page = service.list_terms(args.letter, args.category, cursor, 200)
        items += page.terms
        cursor = page.next_cursor
        if not cursor:
            break
    if args.json:
        print(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False, indent=2))
        return 0
    by_id = service.glossary.by_id
    for item in items:  # the heading the listing is ordered and lettered by: "FP8 (8-bit Floating Point)"
        print(f"{item.id:<32} {title(by_id[item.id])}" + (f"  [{item.category}]" if item.category else ""))
    print(f"{len(items)} terms", file=sys.stderr)
    return 0


def cmd_validate(config: Config, args: argparse.Namespace) -> int:
    dirs = [Path(p) for p in args.packs] if args.packs else pack_dirs(config)
    if args.packs and config.get("bundled") and not any(is_bundled_pack(Path(p)) for p in args.packs):
        # A team pack is validated together with the bundled one it is served with (ids, overrides).
        dirs = [bundled_pack_dir()] + dirs
    try:
        from ai_glossary_mcp.data.loader import load_glossary  # YAML is imported only where packs are parsed

        glossary = load_glossary(dirs)
    except PackValidationError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    c = glossary.counts()
    packs = ", ".join(f"{p.pack.name} {p.pack.version} ({p.entry_count})" for p in glossary.packs)
    print(
        f"OK: {c['entries']} entries, {c['formulas']} formulas, {c['relations']} relations, "
        f"{c['aliases']} aliases; packs: {packs}; content hash {glossary.content_hash}"
    )
    return 0


def client_snippet(client: str, executable: str) -> str:
    if client == "claude-code":
        return f"claude mcp add ai-glossary -- {executable}"
    server = {"command": executable, "args": []}
    if client == "vscode":
        return json.dumps({"servers": {"ai-glossary": {"type": "stdio", **server}}}, indent=2)
    return json.dumps({"mcpServers": {"ai-glossary": server}}, indent=2)


def cmd_client_config(args: argparse.Namespace) -> int:
    exe = shutil.which("ai-glossary-mcp") or str(Path(sys.executable).with_name("ai-glossary-mcp"))
    exe = str(Path(exe).resolve()) if Path(exe).exists() else exe
    where = {
        "claude-desktop": "# Add to claude_desktop_config.json (Settings > Developer > Edit Config):",
        "claude-code": "# Run in a shell:",
        "cursor": "# Add to ~/.cursor/mcp.json (or .cursor/mcp.json in a project):",
        "vscode": "# Add to .vscode/mcp.json:",
    }[args.client]
    print(where, file=sys.stderr)
    print(client_snippet(args.client, exe))
    return 0


def serve(config: Config) -> int:
    import anyio

    from ai_glossary_mcp.serving.mcp_server import create_server
    from ai_glossary_mcp.serving.sdk_compat import advertise_list_changed
    from ai_glossary_mcp.serving.transports import (
        auth_settings,
        configure_logging,
        is_loopback,
        notify_list_changed,
        serve_http,
        serve_stdio,
    )

    configure_logging(config.get("log_level"))
    log = logging.getLogger("ai_glossary_mcp")
    dirs = pack_dirs(config)
    service, pending_check = open_service(dirs, use_cache=config.get("load_cache"))
    http = config.get("transport") == "http"
    auth, verifier = auth_settings(config) if http else (None, None)
    server = create_server(service, log_level=config.get("log_level"), auth=auth, token_verifier=verifier)
    if pending_check is not None:  # a large pack set served from its store while its files are confirmed
        server.glossary_ready = pending_check.done
        pending_check.start()
    reloader = None
    if config.get("watch"):
        from ai_glossary_mcp.serving.reload import (
            Reloader,  # it needs the YAML loader; a start without --watch does not
        )

        advertise_list_changed(server)
        reloader = Reloader(
            service,
            dirs,
            on_change=lambda: notify_list_changed(server),
            interval=config.get("watch_interval") / 1000,
        )
    if not http:
        log.info("serving %d entries over stdio", len(service.glossary))
        anyio.run(serve_stdio, server, reloader)
        return 0
    host = config.get("host")
    if not is_loopback(host) and verifier is None:
        print(
            f"ai-glossary-mcp: warning: listening on {host} without authentication; set auth.tokens_file or "
            "AI_GLOSSARY_MCP_TOKEN, and add this host to allowed_hosts",
            file=sys.stderr,
        )
    anyio.run(
        serve_http, server, config, reloader, None, verifier is not None
    )  # prints the banner once bound
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows up here when the output was buffered
        return code
    except BrokenPipeError:
        # The reader went away (`search x | head`): stop quietly, and keep the interpreter's own
        # flush at exit from reporting the same closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = False
    try:
        config = load_config(_flags(args), args.config)
        debug = config.get("log_level") == "debug"
        command = args.command or "serve"
        if command == "serve":
            return serve(config)
        if command == "validate":
            return cmd_validate(config, args)
        if command == "client-config":
            return cmd_client_config(args)
        if command in INTERCHANGE_HANDLERS:
            return INTERCHANGE_HANDLERS[command](args)
        from ai_glossary_mcp.app.service import GlossaryService
        from ai_glossary_mcp.search import fusion

        service = GlossaryService(
            load_index(pack_dirs(config), use_cache=config.get("load_cache"), signals=fusion.STORED)
        )
        handler = {
            "define": cmd_define,
            "search": cmd_search,
            "related": cmd_related,
            "formula": cmd_formula,
            "list": cmd_list,
        }[command]
        return handler(service, args)
    except KeyboardInterrupt:
        return 130
    except InvalidArgument as exc:
        print(f"ai-glossary-mcp: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except PackValidationError as exc:
        if debug:
            raise
        more = len(exc.problems) - 1
        rest = f" (and {more} more; `ai-glossary-mcp validate` lists them all)" if more > 0 else ""
        first = exc.problems[0] if exc.problems else _one_line(str(exc))
        print(f"ai-glossary-mcp: invalid glossary data: {first}{rest}", file=sys.stderr)
        return 1
    except (GlossaryError, OSError) as exc:
        if debug:
            raise
        print(f"ai-glossary-mcp: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, and the way to see the traceback
        if debug:
            raise
        print(
            f"ai-glossary-mcp: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
            "(rerun with --log-level debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _one_line(message: str) -> str:
    return " ".join(part.strip() for part in message.splitlines() if part.strip())
