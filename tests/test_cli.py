"""The console script as a person at a terminal runs it: exit codes, stdout, stderr.

Every command runs once, as a real subprocess of `.venv/bin/ai-glossary-mcp`; a module-scoped
fixture launches them all concurrently and the tests assert on the recorded results.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

import pytest

from helpers import EXE, run_cli

LONG_CONTEXT_QUERY = "model forgets the middle of long prompts"
CLIENTS = ("claude-desktop", "claude-code", "cursor", "vscode")

COMMANDS: dict[str, tuple[tuple[str, ...], dict[str, str] | None]] = {
    "version": (("--version",), None),
    "define": (("define", "DPO"), None),
    "define_missing": (("define", "k-means"), None),
    "define_json": (("define", "kv-cache", "--json"), None),
    "search": (("search", LONG_CONTEXT_QUERY), None),
    "search_json": (("search", LONG_CONTEXT_QUERY, "--json", "--limit", "3"), None),
    "related": (("related", "rmsnorm"), None),
    "formula": (("formula", "softmax"), None),
    "formula_none": (("formula", "kv-cache"), None),
    "list_q": (("list", "--letter", "Q"), None),
    "list_attention": (("list", "--category", "attention", "--json"), None),
    "list_no_bundled": (("list", "--no-bundled"), None),
    "unknown_command": (("frobnicate",), None),
    "bad_category": (("search", "attention", "--category", "cooking"), None),
    "config_missing_before": (("--config", "/nonexistent.yaml", "define", "x"), None),
    "config_missing_after": (("define", "x", "--config", "/nonexistent.yaml"), None),
    "config_missing_env": (("define", "x"), {"AI_GLOSSARY_MCP_CONFIG": "/nonexistent.yaml"}),
    "bad_env_value": (("define", "DPO"), {"AI_GLOSSARY_MCP_PORT": "abc"}),
    "validate": (("validate",), None),
    **{f"client_{c}": (("client-config", c), None) for c in CLIENTS},
}


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(run_cli, *args, env=env) for name, (args, env) in COMMANDS.items()}
        return {name: f.result() for name, f in futures.items()}


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    """stderr is exactly one non-empty line, prefixed with the program name, and no traceback."""
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ai-glossary-mcp: "), lines[0]
    assert "Traceback" not in r.stderr
    return lines[0]


def test_version(runs):
    r = runs["version"]
    assert r.returncode == 0
    assert r.stdout.strip() == f"ai-glossary-mcp {version('ai-glossary-mcp')}"


def test_define_prints_readable_text(runs, glossary):
    r = runs["define"]
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == "DPO (Direct Preference Optimization)  [alignment]  glossary://terms/dpo"
    assert "(matched by acronym rule)" in r.stdout
    assert not r.stdout.lstrip().startswith("{")  # text, not JSON
    flat = " ".join(r.stdout.split())
    assert " ".join(glossary.by_id["dpo"].definition.split()) in flat
    assert "Formula: L_DPO" in r.stdout and "Related: " in flat


def test_define_unknown_term_exits_1_with_suggestions(runs, glossary):
    r = runs["define_missing"]
    assert r.returncode == 1
    assert r.stdout.startswith("'k-means' is not in the glossary; closest: ")
    suggested = re.findall(r"\(([a-z0-9-]+)\)", r.stdout)
    assert suggested and all(s in glossary.by_id for s in suggested)


def test_define_json_is_the_tool_result(runs):
    r = runs["define_json"]
    assert r.returncode == 0
    data = json.loads(r.stdout)
    assert data["found"] is True and data["entry"]["id"] == "kv-cache"
    assert data["match"]["kind"] == "exact" and data["entry"]["uri"] == "glossary://terms/kv-cache"


def test_search_ranks_lost_in_the_middle_first(runs):
    r = runs["search"]
    assert r.returncode == 0
    first = r.stdout.splitlines()[0]
    assert "Lost-in-the-Middle" in first and "[lost-in-the-middle]" in first
    data = json.loads(runs["search_json"].stdout)
    assert data["query"] == LONG_CONTEXT_QUERY and len(data["results"]) == 3
    assert data["results"][0]["id"] == "lost-in-the-middle"


def test_related_lists_typed_relations(runs):
    r = runs["related"]
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "Related to RMSNorm:"
    rows = [line.split() for line in lines[1:]]
    assert rows[0][:2] == ["Transformer", "part-of"]
    assert all(len(row) >= 2 for row in rows)


def test_formula_shows_text_latex_and_legend(runs):
    r = runs["formula"]
    assert r.returncode == 0
    assert r.stdout.startswith("Softmax\n")
    assert "softmax(z_i) = e^{z_i} / Σ_{j=1}^{K} e^{z_j}" in r.stdout
    assert "LaTeX: \\text{softmax}" in r.stdout and "Where:" in r.stdout and "z_i:" in r.stdout


def test_formula_of_an_entry_without_one_exits_1_and_lists_those_that_have_one(runs):
    r = runs["formula_none"]
    assert r.returncode == 1
    assert r.stdout.startswith("KV-Cache has no formula. Formulas: ")
    assert "Softmax" in r.stdout


def test_list_by_letter(runs, glossary):
    r = runs["list_q"]
    assert r.returncode == 0
    ids = [line.split()[0] for line in r.stdout.splitlines()]
    expected = sorted(e.id for e in glossary.entries if e.term.upper().startswith("Q"))
    assert ids and sorted(ids) == expected
    assert r.stderr.strip() == f"{len(ids)} terms"


def test_list_by_category_json(runs, glossary):
    r = runs["list_attention"]
    assert r.returncode == 0
    items = json.loads(r.stdout)
    assert {i["id"] for i in items} == {e.id for e in glossary.entries if e.category == "attention"}
    assert all(i["category"] == "attention" and i["uri"] == f"glossary://terms/{i['id']}" for i in items)


def test_list_no_bundled_does_not_serve_the_bundled_pack(runs):
    # --no-bundled with no --data must not quietly serve the bundled pack anyway
    # (load_glossary([]) falls back to the bundled pack).
    r = runs["list_no_bundled"]
    assert r.returncode == 1 and r.stdout == "", (r.returncode, r.stdout)
    line = one_line_error(r)
    assert "no glossary packs to serve" in line and "needs at least one --data PACK_DIR" in line


def test_validate_bundled_pack(runs):
    r = runs["validate"]
    assert r.returncode == 0
    assert r.stdout.startswith("OK: 101 entries") and "packs: ai-ml" in r.stdout


@pytest.mark.parametrize("client", ["claude-desktop", "cursor", "vscode"])
def test_client_config_json_names_the_real_executable(runs, client):
    r = runs[f"client_{client}"]
    assert r.returncode == 0
    data = json.loads(r.stdout)
    top = "servers" if client == "vscode" else "mcpServers"
    entry = data[top]["ai-glossary"]
    if client == "vscode":
        assert entry["type"] == "stdio"
    command = Path(entry["command"])
    assert command.is_absolute() and command.is_file() and os.access(command, os.X_OK)
    assert command.resolve() == EXE.resolve() and entry["args"] == []
    assert r.stderr.startswith("# ")  # where to paste it, on stderr so stdout stays pasteable


def test_client_config_claude_code_is_a_shell_command(runs):
    r = runs["client_claude-code"]
    assert r.returncode == 0
    argv = shlex.split(r.stdout)
    assert argv[:4] == ["claude", "mcp", "add", "ai-glossary"] and argv[4] == "--"
    command = Path(argv[5])
    assert command.is_absolute() and command.is_file() and os.access(command, os.X_OK)
    assert command.resolve() == EXE.resolve()


def test_unknown_subcommand_is_usage_error_on_one_line(runs):
    r = runs["unknown_command"]
    assert r.returncode == 2 and r.stdout == ""
    line = one_line_error(r)
    assert "frobnicate" in line


def test_bad_argument_value_is_one_line(runs):
    r = runs["bad_category"]
    assert r.returncode == 2 and r.stdout == ""
    assert "cooking" in one_line_error(r)


@pytest.mark.parametrize("case", ["config_missing_before", "config_missing_after", "config_missing_env"])
def test_missing_config_file_is_one_clear_line(runs, case):
    # `--config` before the subcommand is the documented spelling (`ai-glossary-mcp --config FILE define x`);
    # it must not be dropped in favour of the subcommand's default.
    r = runs[case]
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    line = one_line_error(r)
    assert "/nonexistent.yaml" in line and "config" in line
    assert r.stdout == ""  # nothing was looked up with the wrong settings


def test_bad_environment_value_names_the_variable(runs):
    r = runs["bad_env_value"]
    assert r.returncode == 1 and r.stdout == ""
    line = one_line_error(r)
    assert "port" in line and "AI_GLOSSARY_MCP_PORT" in line and "'abc'" in line


def test_help_is_available_without_a_glossary():
    r = run_cli("--help")
    assert r.returncode == 0
    for command in ("serve", "define", "search", "related", "formula", "list", "validate", "client-config"):
        assert command in r.stdout


def test_every_option_has_help_that_shows_its_default():
    # Every option of every subcommand says what it does and what it is when not given;
    # those that are settings show the settings table's default and environment variable.
    from ai_glossary_mcp.cli import build_parser
    from ai_glossary_mcp.config import BY_NAME

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in [("", parser), *subparsers.choices.items()]:
        for action in sub._actions:
            if not action.option_strings or action.dest in ("help", "version") or action.dest == "json":
                continue
            # A required option has no default: its help says it is required instead.
            expected = "required" if action.required else "default"
            assert action.help and expected in action.help, (name, action.option_strings)
    serve_help = run_cli("serve", "--help").stdout
    for setting in ("transport", "host", "port", "path", "stateless", "watch", "log_level"):
        s = BY_NAME[setting]
        assert s.env in " ".join(serve_help.split()), setting
    flat = " ".join(serve_help.split())
    assert "(default: 127.0.0.1;" in flat and "(default: 8000;" in flat and "(default: /mcp;" in flat
    search_help = " ".join(run_cli("search", "--help").stdout.split())
    assert "--limit LIMIT most hits to show, 1-50 (default: 5)" in search_help


def test_list_letter_hash_lists_headings_that_start_with_a_digit_or_symbol(tmp_path):
    pack = tmp_path / "digits"
    pack.mkdir()
    (pack / "pack.yaml").write_text(
        'name: digits\ntitle: Digits\nversion: "1"\nsource: test\nlicense: CC0-1.0\n'
        "description: Entries whose names start with a digit or a symbol.\n"
    )
    for slug, term in (
        ("3d-parallelism", "3D Parallelism"),
        ("4-bit-adam", "4-bit Adam"),
        ("zeta-loss", "Zeta Loss"),
    ):
        (pack / f"{slug}.yaml").write_text(
            f"id: {slug}\nterm: '{term}'\ndefinition: A made-up entry named {term}.\n"
        )
    r = run_cli("list", "--letter", "#", "--no-bundled", "--data", str(pack))
    assert r.returncode == 0, r.stderr
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["3d-parallelism", "4-bit-adam"]
    assert r.stderr.strip() == "2 terms"
    bundled = run_cli("list", "--letter", "#")  # every bundled heading starts with a letter
    assert bundled.returncode == 0 and bundled.stdout == "" and bundled.stderr.strip() == "0 terms"


def test_list_prints_the_heading_it_is_lettered_by(runs):
    # FP8 is filed under F as "FP8 (8-bit Floating Point)": the line shows what the letter is taken from.
    lines = {line.split()[0]: line for line in run_cli("list", "--letter", "F").stdout.splitlines()}
    assert "FP8 (8-bit Floating Point)" in lines["fp8"]


@pytest.mark.parametrize("args", [("search", "attention"), ("list",), ("define", "DPO")])
def test_a_closed_pipe_ends_the_command_quietly(args):
    # `ai-glossary-mcp search … | head -1`: the reader leaves after one line; no BrokenPipe message.
    proc = subprocess.Popen(
        [str(EXE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert b"Broken pipe" not in err and b"Traceback" not in err and b"BrokenPipe" not in err, err
    assert proc.returncode in (0, 141), proc.returncode  # 141: 128 + SIGPIPE, as a shell reports it


def test_broken_pack_while_serving_is_one_line_that_says_how_to_see_every_problem():
    from helpers import ROOT

    r = run_cli("define", "x", "--data", str(ROOT / "tests" / "fixtures" / "packs" / "multiple-faults"))
    assert r.returncode == 1 and r.stdout == ""
    line = one_line_error(r)
    assert "multiple-faults/" in line and "more; `ai-glossary-mcp validate` lists them all" in line


def test_serve_takes_pack_directories_as_arguments_as_the_bundle_passes_them():
    # manifest.json's user_config 'extra_packs' expands to `serve DIR ...`: the same as --data DIR.
    from helpers import ROOT, http_server

    pack = ROOT / "tests" / "fixtures" / "packs" / "valid"
    with http_server(str(pack)) as srv:
        health = srv.healthz()
    bundled = len(list((ROOT / "glossary_data" / "ai-ml").glob("*.yaml"))) - 1  # less pack.yaml
    assert health["packs"] == ["ai-ml", "valid"]
    assert health["entries"] == bundled + len(list(pack.glob("*.yaml"))) - 1
