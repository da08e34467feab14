"""The README's examples are real: each `<!-- example: tool {args} -->` block must equal what the tool
returns, the DPO example is the actual data file, and the quick start is the two make commands.

Regenerate the example blocks after a deliberate change with: `python tests/test_readme.py --write`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE = re.compile(r"<!-- example: (\w+) (\{.*?\}) -->\n```json\n(.*?)```", re.S)


async def _answers(blocks: list[tuple[str, dict]]) -> list[dict]:
    from mcp import Client

    from ai_glossary_mcp.loader import load_glossary
    from ai_glossary_mcp.mcp_server import create_server
    from ai_glossary_mcp.service import GlossaryService

    out = []
    async with Client(create_server(GlossaryService(load_glossary()))) as client:
        for tool, args in blocks:
            result = await client.call_tool(tool, args)
            assert not result.is_error, result.content[0].text
            out.append(result.structured_content)
    return out


def _blocks(text: str) -> list[tuple[str, dict, str]]:
    return [(m.group(1), json.loads(m.group(2)), m.group(3)) for m in EXAMPLE.finditer(text)]


@pytest.mark.anyio
async def test_readme_examples_match_the_tools():
    blocks = _blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    answers = await _answers([(tool, args) for tool, args, _ in blocks])
    for (tool, args, shown), answer in zip(blocks, answers):
        assert json.loads(shown) == answer, f"README example for {tool} {args} is stale (run: python {__file__} --write)"


def test_readme_shows_the_real_dpo_file():
    text = README.read_text(encoding="utf-8")
    dpo = (ROOT / "glossary_data" / "ai-ml" / "dpo.yaml").read_text(encoding="utf-8").rstrip("\n")
    assert f"```yaml\n{dpo}\n```" in text


def test_quick_start_is_exactly_the_two_make_commands():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in section.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def _write() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = _blocks(text)
    answers = anyio.run(_answers, [(tool, args) for tool, args, _ in blocks])
    it = iter(answers)

    def repl(m: re.Match) -> str:
        body = json.dumps(next(it), ensure_ascii=False, indent=2)
        return f"<!-- example: {m.group(1)} {m.group(2)} -->\n```json\n{body}\n```"

    README.write_text(EXAMPLE.sub(repl, text), encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        sys.path.insert(0, str(ROOT / "server"))
        _write()
