"""What a formula evaluator is, and the tables that describe every evaluator's inputs.

An evaluator is a function from the caller's `inputs` to an `Evaluation` (the
validated inputs, named `Step`s in computing order, the result), registered by
entry id with `register`. The tables are kept apart from the arithmetic: they
are the tool's whole input surface in one place (the MCP layer builds
evaluate_formula's input schema from `INPUT_KINDS` and `REQUIRED_INPUTS`), and
every evaluator module depends on this one and on the shared helpers
(`validate`, `arithmetic`), never on another evaluator module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


class FormulaInputError(ValueError):
    """Inputs a formula cannot be evaluated on; the message names the input and what to send instead."""


@dataclass(frozen=True)
class Step:
    """One named intermediate quantity (a float, a list, a matrix, a boolean or a short string)."""

    name: str
    value: object


@dataclass(frozen=True)
class Evaluation:
    """Validated inputs (defaults applied), the steps in computing order, and the formula's result."""

    inputs: dict[str, object]
    steps: tuple[Step, ...]
    result: object


Evaluator = Callable[[Mapping[str, object]], Evaluation]

_EVALUATORS: dict[str, Evaluator] = {}
_INPUT_DOCS: dict[str, str] = {}
EVALUATORS: Mapping[str, Evaluator] = MappingProxyType(_EVALUATORS)
INPUT_DOCS: Mapping[str, str] = MappingProxyType(_INPUT_DOCS)


# Every input name any evaluator accepts, with the JSON shape it takes: the MCP layer declares them as
# typed, optional properties of evaluate_formula's `inputs`, so a client that needs every object's
# properties spelled out (OpenAI strict mode, Gemini) can still call it. A test checks this table against
# the names the evaluators accept. Kinds: number, integer, vector (list of numbers), matrix (list of
# rows), number-or-vector.
INPUT_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "logits": "vector",
        "Q": "matrix",
        "K": "matrix",
        "V": "matrix",
        "probabilities": "vector",
        "log_pi_theta_y_w": "number-or-vector",
        "log_pi_ref_y_w": "number-or-vector",
        "log_pi_theta_y_l": "number-or-vector",
        "log_pi_ref_y_l": "number-or-vector",
        "beta": "number",
        "rewards": "vector",
        "ratios": "vector",
        "epsilon": "number",
        "kl": "number-or-vector",
        "r_t": "number-or-vector",
        "A_t": "number-or-vector",
        "x": "vector",
        "m": "integer",
        "base": "number",
        "y": "vector",
        "n": "integer",
        "N": "number",
        "D": "number",
        "A": "number",
        "B": "number",
        "L_inf": "number",
        "alpha": "number",
    }
)

# Each formula's required input names (the rest of INPUT_KINDS is optional, with defaults): the short form of
# INPUT_DOCS that evaluate_formula's `inputs` description carries on every turn (an error for a wrong or
# missing name still gives the long form). Each evaluator checks its inputs against it.
REQUIRED_INPUTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "softmax": ("logits",),
        "self-attention": ("Q", "K", "V"),
        "loss-function": ("probabilities",),
        "dpo": ("log_pi_theta_y_w", "log_pi_ref_y_w", "log_pi_theta_y_l", "log_pi_ref_y_l"),
        "grpo": ("rewards",),
        "rlhf": ("r_t", "A_t"),
        "rope": ("x", "m"),
        "scaling-laws": ("N", "D"),
    }
)


def register(entry_id: str, doc: str) -> Callable[[Evaluator], Evaluator]:
    """Register the decorated function as entry `entry_id`'s evaluator; `doc` is its inputs in a line."""

    def decorate(evaluator: Evaluator) -> Evaluator:
        _EVALUATORS[entry_id] = evaluator
        _INPUT_DOCS[entry_id] = doc
        return evaluator

    return decorate
