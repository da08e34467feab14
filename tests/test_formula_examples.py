"""Every formula's worked example, reproduced by evaluate_formula, and every formula complete."""

from __future__ import annotations

import numpy as np
import pytest
from latex2mathml.converter import convert

from ai_glossary_mcp.formulas.evaluator import EVALUATORS, INPUT_DOCS, evaluate

FORMULA_IDS = ["dpo", "grpo", "loss-function", "rlhf", "rope", "scaling-laws", "self-attention", "softmax"]


def test_every_formula_has_an_evaluator_and_documented_inputs(glossary):
    assert {e.id for e in glossary.formula_entries} == set(FORMULA_IDS) == set(EVALUATORS) == set(INPUT_DOCS)


@pytest.mark.parametrize("entry_id", FORMULA_IDS)
def test_formula_has_reading_legend_mathml_and_example(glossary, entry_id):
    f = glossary.by_id[entry_id].formula
    assert f.reading and 2 <= f.reading.count(". ") + 1 <= 6
    assert f.variables
    assert convert(f.latex).startswith("<math")
    assert f.example is not None


@pytest.mark.parametrize("entry_id", FORMULA_IDS)
def test_evaluator_reproduces_the_worked_example(glossary, entry_id):
    example = glossary.by_id[entry_id].formula.example
    evaluation = evaluate(entry_id, example.inputs)
    np.testing.assert_allclose(
        np.asarray(evaluation.result, dtype=float),
        np.asarray(example.result, dtype=float),
        rtol=1e-5,
        atol=1e-6,
    )
    assert evaluation.steps


def test_grpo_example_is_the_one_agents_ask_about(glossary):
    example = glossary.by_id["grpo"].formula.example
    assert example.inputs == {"rewards": [1, 0, 0, 1]}
    assert example.result == [1, -1, -1, 1]


@pytest.mark.anyio
async def test_examples_over_mcp(client, glossary):
    for entry_id in FORMULA_IDS:
        example = glossary.by_id[entry_id].formula.example
        result = await client.call_tool("evaluate_formula", {"term": entry_id, "inputs": example.inputs})
        assert not result.is_error, result.content[0].text
        got = result.structured_content
        assert got["entry"]["id"] == entry_id and [s["name"] for s in got["steps"]]
        np.testing.assert_allclose(
            np.asarray(got["result"], dtype=float),
            np.asarray(example.result, dtype=float),
            rtol=1e-5,
            atol=1e-6,
        )


@pytest.mark.anyio
@pytest.mark.parametrize(
    "inputs,needle",
    [
        ({"logits": [1.0, float("nan")]}, "logits[1]"),  # NaN arrives as null or NaN; either is refused
        ({"logits": [1.0] * 1025}, "1024"),
        ({"logits": [1.0], "temperature": 2}, "temperature"),
        ({"logits": "1,2,3"}, "logits"),
    ],
)
async def test_bad_inputs_are_tool_errors(client, inputs, needle):
    result = await client.call_tool("evaluate_formula", {"term": "softmax", "inputs": inputs})
    assert result.is_error and needle in result.content[0].text


@pytest.mark.anyio
async def test_ragged_attention_matrices_are_rejected(client):
    inputs = {"Q": [[1, 0], [0]], "K": [[1, 0]], "V": [[1, 2]]}
    result = await client.call_tool("evaluate_formula", {"term": "self-attention", "inputs": inputs})
    assert result.is_error and "Q" in result.content[0].text
