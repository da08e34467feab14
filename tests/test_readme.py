"""The README's generated parts are real: each `<!-- example: tool {args} -->` block equals what the
tool returns, each `<!-- data-file: PATH -->` block is that file of the repository, the settings
table is rendered from the settings table in config.py, and the quick start is the two make commands.

Regenerate the generated blocks after a deliberate change with: `python tests/test_readme.py --write`.
Answers are shown compactly, so that nine examples fit in a README people read: a string longer than
ELIDE characters is cut there and ends in "…", and an object or list that fits on one line stays on one.
The test compares the parsed JSON with the answer cut the same way, not the layout.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import anyio
import pytest

from ai_glossary_mcp.app.tools import TOOL_NAMES

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE = re.compile(r"<!-- example: (\w+) (\{.*?\}) -->\n```json\n(.*?)```", re.S)
DATA_FILE = re.compile(r"<!-- data-file: (\S+) -->\n```yaml\n(.*?)```", re.S)
SETTINGS_TABLE = re.compile(r"(<!-- settings-table -->\n)(.*?)(<!-- /settings-table -->)", re.S)
WIDTH = 120
ELIDE = 48
TOOLS = TOOL_NAMES


async def _answers(blocks: list[tuple[str, dict]]) -> list[dict]:
    from mcp import Client

    from ai_glossary_mcp.app.service import GlossaryService
    from ai_glossary_mcp.data.loader import load_glossary
    from ai_glossary_mcp.serving.mcp_server import create_server

    out = []
    async with Client(create_server(GlossaryService(load_glossary()))) as client:
        for tool, args in blocks:
            result = await client.call_tool(tool, args)
            assert not result.is_error, result.content[0].text
            out.append(result.structured_content)
    return out


def _blocks(text: str) -> list[tuple[str, dict, str]]:
    return [(m.group(1), json.loads(m.group(2)), m.group(3)) for m in EXAMPLE.finditer(text)]


def elided(value):
    """The answer as the README shows it: every string longer than ELIDE characters cut, ending in '…'."""
    if isinstance(value, str):
        return value if len(value) <= ELIDE else value[: ELIDE - 1] + "…"
    if isinstance(value, dict):
        return {k: elided(v) for k, v in value.items()}
    if isinstance(value, list):
        return [elided(v) for v in value]
    return value


def compact_json(value, indent: int = 0) -> str:
    """JSON with every object or list that fits in WIDTH columns on one line, the rest broken open."""
    flat = json.dumps(value, ensure_ascii=False)
    if indent + len(flat) <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {compact_json(v, indent + 2)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(pad + compact_json(v, indent + 2) for v in value) + "\n" + " " * indent + "]"


def settings_table() -> str:
    """The README's configuration table: every setting's environment variable, default and help."""
    from ai_glossary_mcp.config import CONFIG_ENV, SETTINGS, TOKEN_ENV

    def shown(s) -> str:
        if s.kind == "bool":
            return "`true`" if s.default else "`false`"
        if s.kind == "list":
            return ", ".join(f"`{v}`" for v in s.default) or "none"
        return f"`{s.default}`" if s.default != "" else "none"

    def escape(text: str) -> str:
        return text.replace("|", r"\|")

    def first_sentence(text: str) -> str:
        return text.split(". ", 1)[0].rstrip(".") + "."

    rows = ["| variable | default | what it does |", "|---|---|---|"]
    rows += [f"| `{s.env}` | {shown(s)} | {escape(first_sentence(s.help))} |" for s in SETTINGS]
    rows.append(f"| `{CONFIG_ENV}` | none | The settings file (`--config FILE` wins over it). |")
    rows.append(
        f"| `{TOKEN_ENV}` | none | A bearer token HTTP requests must carry (as may any line of "
        "`auth.tokens_file`). |"
    )
    return "\n".join(rows) + "\n"


@pytest.mark.anyio
async def test_readme_examples_match_the_tools():
    blocks = _blocks(README.read_text(encoding="utf-8"))
    assert [tool for tool, _, _ in blocks] == list(TOOLS)  # one example for each tool, in the tools' order
    answers = await _answers([(tool, args) for tool, args, _ in blocks])
    for (tool, args, shown), answer in zip(blocks, answers, strict=True):
        assert json.loads(shown) == elided(answer), (
            f"README example for {tool} {args} is stale (run: python {__file__} --write)"
        )


def test_readme_data_files_are_the_real_files():
    found = DATA_FILE.findall(README.read_text(encoding="utf-8"))
    assert found
    for path, shown in found:
        assert shown == (ROOT / path).read_text(encoding="utf-8"), f"{path} in the README is stale"


def test_readme_settings_table_is_the_settings_table():
    match = SETTINGS_TABLE.search(README.read_text(encoding="utf-8"))
    assert match, "the README has no <!-- settings-table --> block"
    assert match.group(2) == settings_table(), (
        f"the README's settings table is stale (run: python {__file__} --write)"
    )


def test_quick_start_is_exactly_the_two_make_commands():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in section.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_own_glossary_commands_work_as_shown(tmp_path):
    # Every command in "Serve your own glossary" runs as written, from a directory where the README's
    # relative paths resolve (tests/ is the checkout's), and succeeds: imports write packs that validate,
    # define answers from the imported pack, export writes its file.
    import shutil
    import subprocess

    section = (
        README.read_text(encoding="utf-8").split("## Serve your own glossary", 1)[1].split("\n## ", 1)[0]
    )
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [
        line.split(" #")[0].strip() for line in script.splitlines() if line.startswith("ai-glossary-mcp ")
    ]
    assert len(commands) >= 10
    exe = shutil.which("ai-glossary-mcp", path=str(Path(sys.executable).parent))
    assert exe, "the ai-glossary-mcp script is not installed beside this interpreter"
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    for command in commands:
        words = command.split()
        done = subprocess.run([exe, *words[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        if words[1] == "define":
            assert "yield" in done.stdout.lower(), (command, done.stdout)
    assert (tmp_path / "law-export.tbx").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def _write() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = _blocks(text)
    answers = anyio.run(_answers, [(tool, args) for tool, args, _ in blocks])
    it = iter(answers)

    def example(m: re.Match) -> str:
        return f"<!-- example: {m.group(1)} {m.group(2)} -->\n```json\n{compact_json(elided(next(it)))}\n```"

    def data_file(m: re.Match) -> str:
        return (
            f"<!-- data-file: {m.group(1)} -->\n```yaml\n{(ROOT / m.group(1)).read_text(encoding='utf-8')}```"
        )

    text = EXAMPLE.sub(example, text)
    text = DATA_FILE.sub(data_file, text)
    text = SETTINGS_TABLE.sub(lambda m: m.group(1) + settings_table() + m.group(3), text)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        sys.path.insert(0, str(ROOT / "server"))
        _write()
