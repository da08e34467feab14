"""Context economy: what the server costs an agent's context, in OpenAI o200k tokens, held to a budget.

Clients put every tool's name, description and inputSchema into the model's context on every turn,
with the server's instructions, and every answer lands there too. This module counts both with a real
tokenizer and fails when either grows past its budget:

- per turn: each tool's name + description + inputSchema (compact JSON) + icons (compact JSON), each
  tokenized separately, plus the instructions, at most PER_TURN_BUDGET in all;
- every everyday answer (the calls an agent makes all the time, with default arguments) at most
  ANSWER_BUDGET: the text of its text blocks plus the compact JSON of every other content block.

The tokenizer is tiktoken's o200k_base built offline from the rank file that the `bpe-openai` wheel
ships (tiktoken's own loader would download it). Run this file as a script to print the figures as
Markdown tables: `.venv/bin/python tests/test_context_budget.py`.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[1]
PER_TURN_BUDGET = 1300
ANSWER_BUDGET = 700

# o200k_base's pre-tokenizer, as tiktoken_ext.openai_public defines it (that module only offers it
# together with a download of the ranks, so it is spelled out here).
O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@lru_cache(maxsize=1)
def o200k() -> Any:
    import importlib.util

    import tiktoken

    # Found, not imported: importing bpe_openai only loads its own (Rust) tokenizer, and warns.
    spec = importlib.util.find_spec("bpe_openai")
    assert spec is not None and spec.submodule_search_locations, "the bpe-openai wheel is not installed"
    rank_file = Path(next(iter(spec.submodule_search_locations))) / "data" / "o200k_base.tiktoken.gz"
    ranks = {}
    for line in gzip.decompress(rank_file.read_bytes()).splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return tiktoken.Encoding(
        name="o200k_base",
        pat_str=O200K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    )


def tokens(value: Any) -> int:
    """o200k tokens of a string, or of anything else as compact JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return len(o200k().encode(text, disallowed_special=()))


def tool_tokens(tool: dict[str, Any]) -> int:
    """What one tools/list entry costs per turn: name, description, inputSchema and icons."""
    return (
        tokens(tool["name"])
        + tokens(tool.get("description") or "")
        + tokens(tool["inputSchema"])
        + (tokens(tool["icons"]) if tool.get("icons") else 0)
    )


def answer_tokens(content: list[dict[str, Any]]) -> int:
    """What one tool answer costs: its text blocks as text, any other block as compact JSON."""
    return sum(tokens(b["text"]) if b.get("type") == "text" else tokens(b) for b in content)


# -- the everyday calls ---------------------------------------------------------------------------------
FORMULA_ENVELOPE = 80  # what an explain_formula answer may add to the formula itself (ids, flags, link)


def answer_budget(tool: str, answer: dict[str, Any]) -> int:
    """ANSWER_BUDGET, except for a formula whose LaTeX, text, reading, legend and notes (which the answer
    must give) already take more: then those parts plus FORMULA_ENVELOPE, so nothing else may be added."""
    formula = answer.get("formula") if tool == "explain_formula" else None
    if not formula:
        return ANSWER_BUDGET
    kept = {k: formula[k] for k in ("latex", "text", "reading", "variables", "notes")}
    return max(ANSWER_BUDGET, tokens(kept) + FORMULA_ENVELOPE)


@dataclass(frozen=True)
class Everyday:
    label: str
    tool: str
    calls: list[dict[str, Any]]
    absent: bool = False  # the calls ask for terms the glossary does not have
    budgeted: bool = True  # False: shown for comparison, not an everyday call


def everyday_calls(glossary: Any) -> list[Everyday]:
    """The calls an agent makes all the time, with default arguments, over the whole glossary where that is
    cheap (every entry, every formula), so the largest answer of each kind is the one held to the budget."""
    entries = list(glossary.entries)
    longest = sorted(entries, key=lambda e: (-len(e.definition), e.id))
    return [
        Everyday("define_term (brief)", "define_term", [{"term": e.term} for e in entries]),
        Everyday(
            "absent term + suggestions",
            "define_term",
            [{"term": q} for q in ("quantum blockchain synergy", "xyzzy", "zebra crossing", "kubernetes")],
            absent=True,
        ),
        Everyday(
            "search_terms limit 5",
            "search_terms",
            [
                {"query": q, "limit": 5}
                for q in (
                    "model forgets the middle of long prompts",
                    "shrink weights to 4 bits",
                    "attention",
                    "loss",
                    "reinforcement learning from human feedback",
                )
            ],
        ),
        Everyday(
            "define_terms, 3 terms",
            "define_terms",
            [{"terms": ["DPO", "RLHF", "PPO"]}, {"terms": [e.term for e in longest[:3]]}],
        ),
        Everyday("explain_formula", "explain_formula", [{"term": e.term} for e in glossary.formula_entries]),
        Everyday("explain_formula, DPO", "explain_formula", [{"term": "DPO"}]),
        Everyday("find_related limit 10", "find_related", [{"term": e.term, "limit": 10} for e in entries]),
        Everyday(
            "define_terms, 20 terms (not everyday)",
            "define_terms",
            [{"terms": [e.term for e in longest[:20]]}],
            budgeted=False,
        ),
    ]


@dataclass(frozen=True)
class Answer:
    tokens: int
    args: dict[str, Any]
    budget: int | None  # None: not held to a budget


@dataclass(frozen=True)
class Figures:
    instructions: int
    tools: dict[str, int]
    answers: dict[str, Answer]  # label -> its largest answer
    over: list[tuple[str, Answer]]  # every answer past its budget

    @property
    def per_turn(self) -> int:
        return self.instructions + sum(self.tools.values())


async def measure() -> Figures:
    from mcp import Client

    from ai_glossary_mcp.app.service import GlossaryService
    from ai_glossary_mcp.data.loader import load_glossary
    from ai_glossary_mcp.serving.mcp_server import create_server

    service = GlossaryService(load_glossary())
    server = create_server(service)
    answers: dict[str, Answer] = {}
    over: list[tuple[str, Answer]] = []
    async with Client(server) as client:
        listed = (await client.list_tools()).tools
        tools = {
            t.name: tool_tokens(t.model_dump(mode="json", by_alias=True, exclude_none=True)) for t in listed
        }
        for case in everyday_calls(service.glossary):
            for args in case.calls:
                result = await client.call_tool(case.tool, args)
                assert not result.is_error, (case.tool, args, result.content)
                data = result.structured_content or {}
                assert data.get("found", True) is not case.absent, (case.tool, args)
                content = [
                    b.model_dump(mode="json", by_alias=True, exclude_none=True) for b in result.content
                ]
                answer = Answer(
                    answer_tokens(content), args, answer_budget(case.tool, data) if case.budgeted else None
                )
                if case.label not in answers or answer.tokens > answers[case.label].tokens:
                    answers[case.label] = answer
                if answer.budget is not None and answer.tokens > answer.budget:
                    over.append((case.label, answer))
    return Figures(instructions=tokens(server.instructions or ""), tools=tools, answers=answers, over=over)


@pytest.fixture(scope="module")
def figures() -> Figures:
    return anyio.run(measure)


def _short(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[: width - 5] + " …]}"


def markdown(f: Figures) -> str:
    lines = ["| tool | o200k tokens per turn |", "| --- | ---: |"]
    lines += [f"| {name} | {n:,} |" for name, n in f.tools.items()]
    lines += [
        f"| instructions | {f.instructions:,} |",
        f"| **total** | **{f.per_turn:,}** |",
        "",
        "| answer (largest of its kind) | o200k tokens | budget |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| {label}: `{_short(json.dumps(a.args, ensure_ascii=False))}` | {a.tokens:,} | "
        f"{'-' if a.budget is None else format(a.budget, ',')} |"
        for label, a in f.answers.items()
    ]
    return "\n".join(lines)


def test_per_turn_cost_is_within_budget(figures: Figures, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(
            f"\nper turn: {figures.per_turn:,} o200k tokens (budget {PER_TURN_BUDGET:,}): "
            f"instructions {figures.instructions}, " + ", ".join(f"{k} {v}" for k, v in figures.tools.items())
        )
    assert len(figures.tools) >= 9
    assert figures.per_turn <= PER_TURN_BUDGET, markdown(figures)


def test_every_everyday_answer_is_within_budget(figures: Figures, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(
            "\nlargest answers (o200k tokens, budget): "
            + ", ".join(f"{k} {a.tokens} ({a.budget or '-'})" for k, a in figures.answers.items())
        )
    assert not figures.over, "\n".join(
        f"{label} {a.args}: {a.tokens} > {a.budget}" for label, a in figures.over
    )


def test_the_tokenizer_is_the_real_o200k() -> None:
    # Known o200k encodings: a wrong rank file or pattern would split these differently.
    assert o200k().encode("hello world") == [24912, 2375]
    assert tokens({"a": 1}) == len(o200k().encode('{"a":1}'))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "server"))
    print(markdown(anyio.run(measure)))
