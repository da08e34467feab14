"""Evaluate glossary formulas on small, caller-supplied inputs, showing every step.

Backs the `evaluate_formula` tool: an agent plugs its own numbers into an
entry's formula and gets the intermediate quantities back, to check its
understanding or show its work. Shaped by three rules:

* one small evaluator per formula, registered by entry id in `EVALUATORS` (its
  inputs described in one line in `INPUT_DOCS`, their JSON shapes in
  `INPUT_KINDS`); no expression parser, no eval;
* strict validation, with shared helpers, before any arithmetic; a bad input
  raises `FormulaInputError` naming the input and what to send instead;
* intermediate quantities recorded as named `Step`s, in computing order, as
  plain JSON-ready floats and lists, never rounded (presentation is the MCP
  layer's job). Arithmetic is numerically stable, and an overflow becomes a
  `FormulaInputError`, never an OverflowError, an inf or a NaN.

This module is the package's public entry point: `evaluate` plus the registry's
names. The pieces live apart, one job each: `registry` (types and input tables),
`validate` (input checks and their messages), `arithmetic` (stable numerics),
and the evaluators grouped by subject in `architecture`, `training` and
`alignment`, which register themselves when imported here.
"""

from __future__ import annotations

from collections.abc import Mapping

from ai_glossary_mcp.formulas import alignment, architecture, training, validate
from ai_glossary_mcp.formulas.registry import (
    EVALUATORS,
    INPUT_DOCS,
    INPUT_KINDS,
    REQUIRED_INPUTS,
    Evaluation,
    Evaluator,
    FormulaInputError,
    Step,
)

__all__ = [
    "EVALUATORS",
    "INPUT_DOCS",
    "INPUT_KINDS",
    "REQUIRED_INPUTS",
    "Evaluation",
    "Evaluator",
    "FormulaInputError",
    "Step",
    "evaluate",
]

_EVALUATOR_MODULES = (alignment, architecture, training)  # imported for their registrations


def evaluate(entry_id: str, inputs: Mapping[str, object]) -> Evaluation:
    """Evaluate entry `entry_id`'s formula on `inputs`.

    Raises KeyError when the entry has no evaluator and FormulaInputError when
    the inputs are invalid or the computation would overflow.
    """
    evaluator = EVALUATORS.get(entry_id)
    if evaluator is None:
        raise KeyError(
            f"no formula evaluator for entry {entry_id!r}; entries with one: {', '.join(sorted(EVALUATORS))}"
        )
    if not isinstance(inputs, Mapping):
        raise FormulaInputError(
            f"inputs must be an object mapping input names to values, got {validate.describe(inputs)}; "
            f"{entry_id} takes {INPUT_DOCS[entry_id]}"
        )
    try:
        evaluation = evaluator(inputs)
    except OverflowError:
        raise FormulaInputError(
            f"the {entry_id} computation overflows a 64-bit float with these inputs; "
            "send values of smaller magnitude"
        ) from None
    for step in evaluation.steps:
        validate.require_finite(entry_id, f"step {step.name!r}", step.value)
    validate.require_finite(entry_id, "the result", evaluation.result)
    return evaluation
