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
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

MAX_VECTOR_LENGTH = 1024
MAX_MATRIX_SIDE = 64
MAX_POSITION = 1_000_000
ROPE_CHECK_SHIFT = 7  # both RoPE positions are moved by this much in the relative-position check


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

    inputs: dict
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


def _register(entry_id: str, doc: str) -> Callable[[Evaluator], Evaluator]:
    def decorate(evaluator: Evaluator) -> Evaluator:
        _EVALUATORS[entry_id] = evaluator
        _INPUT_DOCS[entry_id] = doc
        return evaluator

    return decorate


def evaluate(entry_id: str, inputs: Mapping[str, object]) -> Evaluation:
    """Evaluate entry `entry_id`'s formula on `inputs`.

    Raises KeyError when the entry has no evaluator and FormulaInputError when
    the inputs are invalid or the computation would overflow.
    """
    evaluator = _EVALUATORS.get(entry_id)
    if evaluator is None:
        raise KeyError(
            f"no formula evaluator for entry {entry_id!r}; entries with one: {', '.join(sorted(_EVALUATORS))}"
        )
    if not isinstance(inputs, Mapping):
        raise FormulaInputError(
            f"inputs must be an object mapping input names to values, got {_describe(inputs)}; "
            f"{entry_id} takes {_INPUT_DOCS[entry_id]}"
        )
    try:
        evaluation = evaluator(inputs)
    except OverflowError:
        raise FormulaInputError(
            f"the {entry_id} computation overflows a 64-bit float with these inputs; "
            "send values of smaller magnitude"
        ) from None
    for step in evaluation.steps:
        _require_finite(entry_id, f"step {step.name!r}", step.value)
    _require_finite(entry_id, "the result", evaluation.result)
    return evaluation


# --------------------------------------------------------------------------
# Validation helpers, shared by every evaluator
# --------------------------------------------------------------------------


def _fmt(value: object) -> str:
    """A value as it appears in a message (never the digits of an enormous integer)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
        return "a very large integer"
    return repr(value)


def _describe(value: object) -> str:
    """What the caller sent, in JSON terms."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({text!r})"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} value{'s' if len(value) != 1 else ''}"
    if isinstance(value, (int, float)):
        return f"the number {_fmt(value)}"
    return f"a value of type {type(value).__name__}"


def _check_names(
    inputs: Mapping[str, object],
    required: tuple[str, ...],
    optional: Mapping[str, object] | None = None,
) -> None:
    """Reject unknown names (listing the accepted ones) and missing required ones."""
    optional = optional or {}
    accepted = (*required, *optional)
    unknown = sorted((str(name) for name in inputs if name not in accepted), key=str)
    if unknown:
        listing = ", ".join(
            [f"{name} (required)" for name in required]
            + [
                f"{name} (optional{'' if default is None else f', default {default}'})"
                for name, default in optional.items()
            ]
        )
        hints = []
        for name in unknown:
            twin = next((a for a in accepted if a.lower() == name.lower()), None)
            if twin is not None:
                hints.append(f"did you mean {twin!r} for {name!r}? Names are case-sensitive")
        plural = "s" if len(unknown) > 1 else ""
        raise FormulaInputError(
            f"unknown input name{plural} {', '.join(map(repr, unknown))}; accepted names: {listing}"
            + ("; " + "; ".join(hints) if hints else "")
        )
    missing = [name for name in required if name not in inputs]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FormulaInputError(
            f"missing required input{plural} {', '.join(map(repr, missing))}; required: {', '.join(required)}"
        )


def _real(name: str, value: object, what: str = "a number") -> float:
    """A finite real number as a float. Booleans are not numbers; ints are accepted."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ""
        if isinstance(value, str):
            hint = "; send a JSON number (or array), not a string"
        raise FormulaInputError(f"{name} must be {what}, got {_describe(value)}{hint}")
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            raise FormulaInputError(
                f"{name} is an integer too large for a 64-bit float (beyond ~1.8e308); send a smaller number"
            ) from None
    if math.isnan(value):
        raise FormulaInputError(f"{name} is NaN; send a finite number")
    if math.isinf(value):
        raise FormulaInputError(f"{name} is infinite; send a finite number")
    return float(value)


def _range_text(gt: float | None, ge: float | None, lt: float | None, le: float | None) -> str:
    low = f"({gt:g}" if gt is not None else f"[{ge:g}" if ge is not None else None
    high = f"{lt:g})" if lt is not None else f"{le:g}]" if le is not None else None
    if low is not None and high is not None:
        return f"in {low}, {high}"
    parts = []
    if gt is not None:
        parts.append(f"> {gt:g}")
    if ge is not None:
        parts.append(f">= {ge:g}")
    if lt is not None:
        parts.append(f"< {lt:g}")
    if le is not None:
        parts.append(f"<= {le:g}")
    return " and ".join(parts)


def _check_range(
    name: str,
    x: float,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    hint: str = "",
) -> None:
    ok = (
        (gt is None or x > gt)
        and (ge is None or x >= ge)
        and (lt is None or x < lt)
        and (le is None or x <= le)
    )
    if not ok:
        raise FormulaInputError(f"{name} must be {_range_text(gt, ge, lt, le)}, got {_fmt(x)}{hint}")


def _number(name: str, value: object, **bounds) -> float:
    x = _real(name, value)
    _check_range(name, x, **bounds)
    return x


def _vector(
    name: str,
    value: object,
    *,
    min_length: int = 1,
    max_length: int = MAX_VECTOR_LENGTH,
    **bounds,
) -> list[float]:
    """A list of finite numbers with min_length..max_length values, each within bounds."""
    if not isinstance(value, (list, tuple)):
        hint = "; send a JSON array such as [1.0, 2.0], not a string" if isinstance(value, str) else ""
        raise FormulaInputError(f"{name} must be a list of numbers, got {_describe(value)}{hint}")
    if len(value) < min_length:
        raise FormulaInputError(
            f"{name} has {len(value)} value{'s' if len(value) != 1 else ''}; send at least {min_length}"
        )
    if len(value) > max_length:
        raise FormulaInputError(
            f"{name} has {len(value)} values; at most {max_length} are accepted, send a shorter list"
        )
    numbers = []
    for i, item in enumerate(value):
        x = _real(f"{name}[{i}]", item)
        _check_range(f"{name}[{i}]", x, **bounds)
        numbers.append(x)
    return numbers


def _matrix(name: str, value: object) -> list[list[float]]:
    """A rectangular matrix (list of rows) of finite numbers, at most 64x64."""
    example = "send a list of rows, e.g. [[1, 0], [0, 1]]"
    if not isinstance(value, (list, tuple)):
        raise FormulaInputError(f"{name} must be a matrix, got {_describe(value)}; {example}")
    if not value:
        raise FormulaInputError(f"{name} has no rows; {example}")
    if len(value) > MAX_MATRIX_SIDE:
        raise FormulaInputError(
            f"{name} has {len(value)} rows; at most {MAX_MATRIX_SIDE} are accepted (matrices are at most "
            f"{MAX_MATRIX_SIDE}x{MAX_MATRIX_SIDE})"
        )
    rows: list[list[float]] = []
    for i, row in enumerate(value):
        if not isinstance(row, (list, tuple)):
            raise FormulaInputError(
                f"{name}[{i}] must be a row (a list of numbers), got {_describe(row)}; {example}"
            )
        if not row:
            raise FormulaInputError(f"{name}[{i}] is an empty row; every row needs at least one number")
        if len(row) > MAX_MATRIX_SIDE:
            raise FormulaInputError(
                f"{name}[{i}] has {len(row)} columns; at most {MAX_MATRIX_SIDE} are accepted (matrices are "
                f"at most {MAX_MATRIX_SIDE}x{MAX_MATRIX_SIDE})"
            )
        if rows and len(row) != len(rows[0]):
            raise FormulaInputError(
                f"{name} is ragged: row 0 has {len(rows[0])} values but row {i} has {len(row)}; "
                "every row must have the same length"
            )
        rows.append([_real(f"{name}[{i}][{j}]", x) for j, x in enumerate(row)])
    return rows


def _number_or_vector(name: str, value: object, **bounds) -> float | list[float]:
    if isinstance(value, (list, tuple)):
        return _vector(name, value, **bounds)
    x = _real(name, value, what="a number or a list of numbers")
    _check_range(name, x, **bounds)
    return x


def _position(name: str, value: object) -> int:
    """A token position: a whole number in 0..MAX_POSITION (an integral float such as 3.0 is accepted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormulaInputError(f"{name} must be a whole number (a token position), got {_describe(value)}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise FormulaInputError(f"{name} must be a whole number (a token position), got {_fmt(value)}")
        value = int(value)
    if not 0 <= value <= MAX_POSITION:
        raise FormulaInputError(f"{name} must be between 0 and {MAX_POSITION:,}, got {_fmt(value)}")
    return value


def _paired(values: Mapping[str, float | list[float]]) -> tuple[bool, dict[str, list[float]]]:
    """Line up numbers and equal-length lists; a lone number is repeated to the lists' length.

    Returns (batched, columns): batched is False when every value was a single number.
    """
    lengths = {name: len(v) for name, v in values.items() if isinstance(v, list)}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise FormulaInputError(
            f"lists must have equal length (one value per item): {listing}; "
            "send lists of the same length, or single numbers"
        )
    size = next(iter(lengths.values()), 1)
    columns = {name: v if isinstance(v, list) else [v] * size for name, v in values.items()}
    return bool(lengths), columns


def _require_finite(entry_id: str, where: str, value: object) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FormulaInputError(
            f"{entry_id}: {where} overflows a 64-bit float (it is not a finite number) with these inputs; "
            "send values of smaller magnitude"
        )
    if isinstance(value, (list, tuple)):
        for item in value:
            _require_finite(entry_id, where, item)


# --------------------------------------------------------------------------
# Arithmetic helpers
# --------------------------------------------------------------------------


def _sum(values: Iterable[float]) -> float:
    """Accurate sum (math.fsum); an overflowing sum is inf, which the final finiteness check reports."""
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):  # intermediate overflow, or inf - inf from overflowed terms
        return math.inf


def _mean(values: list[float]) -> float:
    return _sum(values) / len(values)


def _dot(a: Iterable[float], b: Iterable[float]) -> float:
    return _sum(x * y for x, y in zip(a, b))


def _softmax_parts(z: list[float]) -> tuple[list[float], list[float], float, list[float]]:
    """Shifted logits, exponentials, their sum, probabilities. exp never sees a positive argument."""
    top = max(z)
    shifted = [x - top for x in z]
    exps = [math.exp(s) for s in shifted]
    total = _sum(exps)  # >= 1: the maximum contributes exp(0)
    return shifted, exps, total, [e / total for e in exps]


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _neg_log_sigmoid(z: float) -> float:
    """-log σ(z), stable for any finite z."""
    if z >= 0:
        return math.log1p(math.exp(-z))
    return -z + math.log1p(math.exp(z))


def _clip(x: float, low: float, high: float) -> float:
    return min(max(x, low), high)


def _one_or_all(values: list, batched: bool) -> object:
    return values if batched else values[0]


# --------------------------------------------------------------------------
# Evaluators
# --------------------------------------------------------------------------


@_register("softmax", "logits: list of 1-1024 numbers (the raw scores z).")
def _softmax(inputs: Mapping[str, object]) -> Evaluation:
    _check_names(inputs, REQUIRED_INPUTS["softmax"])
    z = _vector("logits", inputs["logits"])
    shifted, exps, total, probs = _softmax_parts(z)
    return Evaluation(
        inputs={"logits": z},
        steps=(
            Step("shifted_logits", shifted),
            Step("exponentials", exps),
            Step("sum_of_exponentials", total),
            Step("probabilities", probs),
        ),
        result=probs,
    )


@_register(
    "self-attention",
    "Q: n_q x d_k matrix, K: n_k x d_k matrix, V: n_k x d_v matrix (each a list of rows, at most 64x64).",
)
def _self_attention(inputs: Mapping[str, object]) -> Evaluation:
    _check_names(inputs, REQUIRED_INPUTS["self-attention"])
    q = _matrix("Q", inputs["Q"])
    k = _matrix("K", inputs["K"])
    v = _matrix("V", inputs["V"])
    d_k = len(q[0])
    if len(k[0]) != d_k:
        raise FormulaInputError(
            f"Q and K must have the same width d_k: Q rows have {d_k} values but K rows have {len(k[0])}"
        )
    if len(v) != len(k):
        raise FormulaInputError(
            f"K and V must have the same number of rows n_k (one value row per key): "
            f"K has {len(k)} rows but V has {len(v)}"
        )
    scores = [[_dot(q_row, k_row) for k_row in k] for q_row in q]
    scale = math.sqrt(d_k)
    scaled = [[s / scale for s in row] for row in scores]
    weights = [_softmax_parts(row)[3] for row in scaled]
    v_columns = list(zip(*v))
    output = [[_dot(w_row, column) for column in v_columns] for w_row in weights]
    return Evaluation(
        inputs={"Q": q, "K": k, "V": v},
        steps=(
            Step("scores", scores),
            Step("scale", scale),
            Step("scaled_scores", scaled),
            Step("attention_weights", weights),
            Step("output", output),
        ),
        result=output,
    )


@_register(
    "loss-function",
    "probabilities: list of 1-1024 numbers in (0, 1], the model's probability of the correct token at each "
    "position.",
)
def _loss_function(inputs: Mapping[str, object]) -> Evaluation:
    _check_names(inputs, REQUIRED_INPUTS["loss-function"])
    p = _vector(
        "probabilities",
        inputs["probabilities"],
        gt=0.0,
        le=1.0,
        hint=" (each is the probability P(x_t | x_<t) of the correct token: not a logit or a percentage, "
        "and not 0, which makes -log p infinite)",
    )
    nll = [0.0 - math.log(x) for x in p]  # 0.0 - ... keeps -log 1 at +0.0
    total = _sum(nll)
    mean = total / len(nll)
    try:
        perplexity = math.exp(mean)
    except OverflowError:
        raise FormulaInputError(
            f"perplexity exp({mean!r}) overflows a 64-bit float: these probabilities are extremely small, "
            "send larger ones"
        ) from None
    return Evaluation(
        inputs={"probabilities": p},
        steps=(
            Step("negative_log_probabilities", nll),
            Step("sum", total),
            Step("mean_per_token", mean),
            Step("perplexity", perplexity),
        ),
        result=total,
    )


_DPO_LOGPROBS = REQUIRED_INPUTS["dpo"]


@_register(
    "dpo",
    "log_pi_theta_y_w, log_pi_ref_y_w, log_pi_theta_y_l, log_pi_ref_y_l: log-probabilities <= 0 (numbers, or "
    "equal-length lists for a batch of preference pairs); beta: > 0 (default 0.1).",
)
def _dpo(inputs: Mapping[str, object]) -> Evaluation:
    _check_names(inputs, _DPO_LOGPROBS, {"beta": 0.1})
    logps = {
        name: _number_or_vector(
            name,
            inputs[name],
            le=0.0,
            hint=" (a log-probability is never positive: send log p, e.g. -12.5, not p or a logit)",
        )
        for name in _DPO_LOGPROBS
    }
    beta = _number("beta", inputs.get("beta", 0.1), gt=0.0)
    batched, cols = _paired(logps)
    chosen = [t - r for t, r in zip(cols["log_pi_theta_y_w"], cols["log_pi_ref_y_w"])]
    rejected = [t - r for t, r in zip(cols["log_pi_theta_y_l"], cols["log_pi_ref_y_l"])]
    margin = [beta * (w - l) for w, l in zip(chosen, rejected)]
    sigmoid = [_sigmoid(z) for z in margin]
    per_pair = [_neg_log_sigmoid(z) for z in margin]
    loss = _mean(per_pair)
    return Evaluation(
        inputs={**logps, "beta": beta},
        steps=(
            Step("chosen_log_ratio", _one_or_all(chosen, batched)),
            Step("rejected_log_ratio", _one_or_all(rejected, batched)),
            Step("margin", _one_or_all(margin, batched)),
            Step("sigmoid", _one_or_all(sigmoid, batched)),
            Step("per_pair_loss", _one_or_all(per_pair, batched)),
            Step("loss", loss),
        ),
        result=loss,
    )


_GRPO_OBJECTIVE_INPUTS = ("epsilon", "beta", "kl")


@_register(
    "grpo",
    "rewards: list of 1-1024 numbers (one per sampled response); optional ratios: list of G positive "
    "pi_theta/pi_ref ratios, with epsilon in (0, 1) (default 0.2), beta >= 0 (default 0.04), kl >= 0 "
    "(number or list of G, default 0).",
)
def _grpo(inputs: Mapping[str, object]) -> Evaluation:
    _check_names(inputs, REQUIRED_INPUTS["grpo"], {"ratios": None, "epsilon": 0.2, "beta": 0.04, "kl": 0})
    rewards = _vector("rewards", inputs["rewards"])
    size = len(rewards)
    echoed: dict[str, object] = {"rewards": rewards}
    with_objective = "ratios" in inputs
    if with_objective:
        ratios = _vector("ratios", inputs["ratios"], gt=0.0)
        if len(ratios) != size:
            raise FormulaInputError(
                f"ratios must have one value per response: rewards has {size} values "
                f"but ratios has {len(ratios)}"
            )
        epsilon = _number("epsilon", inputs.get("epsilon", 0.2), gt=0.0, lt=1.0)
        beta = _number("beta", inputs.get("beta", 0.04), ge=0.0)
        kl = _number_or_vector("kl", inputs.get("kl", 0), ge=0.0)
        if isinstance(kl, list) and len(kl) != size:
            raise FormulaInputError(
                f"kl must be one number or one value per response: rewards has {size} values "
                f"but kl has {len(kl)}"
            )
        echoed.update(ratios=ratios, epsilon=epsilon, beta=beta, kl=kl)
    else:
        stray = [name for name in _GRPO_OBJECTIVE_INPUTS if name in inputs]
        if stray:
            raise FormulaInputError(
                f"{', '.join(stray)} only appl{'y' if len(stray) > 1 else 'ies'} to the per-token objective; "
                "send ratios (one pi_theta/pi_ref ratio per response) as well, or leave them out"
            )

    if min(rewards) == max(rewards):  # exact, so equal rewards give exactly zero advantages
        mean, std = rewards[0], 0.0
    else:
        mean = _mean(rewards)
        deviations = [r - mean for r in rewards]
        std = math.sqrt(_sum(d * d for d in deviations) / size)  # population standard deviation
    advantages = [(r - mean) / std for r in rewards] if std > 0 else [0.0] * size
    steps = [Step("mean", mean), Step("std", std), Step("advantages", advantages)]

    if with_objective:
        kl_values = kl if isinstance(kl, list) else [kl] * size
        clipped = [_clip(r, 1.0 - epsilon, 1.0 + epsilon) for r in ratios]
        objective = [
            min(r * a, c * a) - beta * d for r, c, a, d in zip(ratios, clipped, advantages, kl_values)
        ]
        loss = 0.0 - _mean(objective)
        steps += [
            Step("clipped_ratios", clipped),
            Step("per_response_objective", objective),
            Step("loss", loss),
        ]
    return Evaluation(inputs=echoed, steps=tuple(steps), result=advantages)


@_register(
    "rlhf",
    "r_t: probability ratio(s) pi_theta/pi_theta_old >= 0 (number or list); A_t: advantage estimate(s) "
    "(number or list of the same length); epsilon: in (0, 1) (default 0.2).",
)
def _rlhf(inputs: Mapping[str, object]) -> Evaluation:
    _check_names(inputs, REQUIRED_INPUTS["rlhf"], {"epsilon": 0.2})
    r_t = _number_or_vector("r_t", inputs["r_t"], ge=0.0, hint=" (a ratio of two probabilities)")
    a_t = _number_or_vector("A_t", inputs["A_t"])
    epsilon = _number("epsilon", inputs.get("epsilon", 0.2), gt=0.0, lt=1.0)
    batched, cols = _paired({"r_t": r_t, "A_t": a_t})
    unclipped = [r * a for r, a in zip(cols["r_t"], cols["A_t"])]
    clipped_ratio = [_clip(r, 1.0 - epsilon, 1.0 + epsilon) for r in cols["r_t"]]
    clipped_term = [c * a for c, a in zip(clipped_ratio, cols["A_t"])]
    chosen = [min(u, c) for u, c in zip(unclipped, clipped_term)]
    objective = _mean(chosen)
    return Evaluation(
        inputs={"r_t": r_t, "A_t": a_t, "epsilon": epsilon},
        steps=(
            Step("unclipped_term", _one_or_all(unclipped, batched)),
            Step("clipped_ratio", _one_or_all(clipped_ratio, batched)),
            Step("clipped_term", _one_or_all(clipped_term, batched)),
            Step("chosen_term", _one_or_all(chosen, batched)),
        ),
        result=objective,
    )


def _rope_rotate(x: list[float], position: int, theta: list[float]) -> list[float]:
    out: list[float] = []
    for i, t in enumerate(theta):
        angle = position * t
        c, s = math.cos(angle), math.sin(angle)
        x1, x2 = x[2 * i], x[2 * i + 1]
        out += [x1 * c - x2 * s, x2 * c + x1 * s]
    return out


@_register(
    "rope",
    "x: list of an even number (2-1024) of values; m: integer position 0-1000000; base: > 1 (default 10000); "
    "optional y: second vector (a key) of the same length, n: its position (defaults y = x, n = 0).",
)
def _rope(inputs: Mapping[str, object]) -> Evaluation:
    _check_names(inputs, REQUIRED_INPUTS["rope"], {"base": 10000, "y": None, "n": 0})
    x = _vector("x", inputs["x"], min_length=2)
    if len(x) % 2:
        raise FormulaInputError(
            f"x must have an even number of values (they are rotated in pairs (x1, x2), (x3, x4), ...), "
            f"got {len(x)}"
        )
    m = _position("m", inputs["m"])
    base = _number("base", inputs.get("base", 10000), gt=1.0)
    if "y" in inputs:
        y = _vector("y", inputs["y"], min_length=2)
        if len(y) != len(x):
            raise FormulaInputError(
                f"y must have the same length as x: x has {len(x)} values but y has {len(y)}"
            )
    else:
        y = list(x)
    n = _position("n", inputs.get("n", 0))

    d = len(x)
    theta = [base ** (-2.0 * i / d) for i in range(d // 2)]
    angles = [m * t for t in theta]
    rotated_x = _rope_rotate(x, m, theta)
    rotated_y = _rope_rotate(y, n, theta)
    dot = _dot(rotated_x, rotated_y)
    shifted_dot = _dot(
        _rope_rotate(x, m + ROPE_CHECK_SHIFT, theta), _rope_rotate(y, n + ROPE_CHECK_SHIFT, theta)
    )
    # The rotations are exact up to rounding of the angles (at most ~1e-10 rad at m = 1e6), so the two
    # dot products agree to far better than 1e-8 of |x||y|. Below the smallest normal double rounding is
    # absolute (steps of 5e-324), so the tolerance never drops under that: a vector like [5e-324, 0] must
    # not turn a true property into `false`.
    tolerance = max(1e-8 * math.hypot(*x) * math.hypot(*y), sys.float_info.min)
    agree = math.isclose(dot, shifted_dot, rel_tol=1e-9, abs_tol=tolerance)
    return Evaluation(
        inputs={"x": x, "m": m, "base": base, "y": y, "n": n},
        steps=(
            Step("theta", theta),
            Step("angles", angles),
            Step("rotated_y", rotated_y),
            Step("dot_product", dot),
            Step(f"dot_product_both_positions_plus_{ROPE_CHECK_SHIFT}", shifted_dot),
            Step("relative_position_check", agree),
        ),
        result=rotated_x,
    )


def _power_law_term(coefficient: float, base: float, exponent: float, names: tuple[str, str, str]) -> float:
    """coefficient / base**exponent without OverflowError (base > 0).

    names are (coefficient, base, exponent), for the message.
    """
    if coefficient == 0.0:
        return 0.0
    try:
        power = base**exponent
    except OverflowError:  # the power is beyond 1.8e308, so the term underflows to 0
        return 0.0
    if power == 0.0:
        coefficient_name, base_name, exponent_name = names
        raise FormulaInputError(
            f"{coefficient_name}/{base_name}^{exponent_name} overflows a 64-bit float "
            f"({base_name}^{exponent_name} underflows to 0); "
            f"send a larger {base_name} or a smaller {exponent_name}"
        )
    return coefficient / power


@_register(
    "scaling-laws",
    "N: parameters > 0; D: training tokens > 0; optional Chinchilla constants A (406.4), B (410.7), "
    "L_inf (1.69), alpha (0.34), beta (0.28).",
)
def _scaling_laws(inputs: Mapping[str, object]) -> Evaluation:
    defaults = {"A": 406.4, "B": 410.7, "L_inf": 1.69, "alpha": 0.34, "beta": 0.28}
    _check_names(inputs, REQUIRED_INPUTS["scaling-laws"], defaults)
    n = _number("N", inputs["N"], gt=0.0, hint=" (the number of model parameters)")
    d = _number("D", inputs["D"], gt=0.0, hint=" (the number of training tokens)")
    a = _number("A", inputs.get("A", defaults["A"]), ge=0.0)
    b = _number("B", inputs.get("B", defaults["B"]), ge=0.0)
    l_inf = _number("L_inf", inputs.get("L_inf", defaults["L_inf"]), ge=0.0)
    alpha = _number("alpha", inputs.get("alpha", defaults["alpha"]), gt=0.0)
    beta = _number("beta", inputs.get("beta", defaults["beta"]), gt=0.0)

    parameter_term = _power_law_term(a, n, alpha, ("A", "N", "alpha"))
    data_term = _power_law_term(b, d, beta, ("B", "D", "beta"))
    loss = parameter_term + data_term + l_inf
    return Evaluation(
        inputs={"N": n, "D": d, "A": a, "B": b, "L_inf": l_inf, "alpha": alpha, "beta": beta},
        steps=(
            Step("parameter_term", parameter_term),
            Step("data_term", data_term),
            Step("L_inf", l_inf),
            Step("tokens_per_parameter", d / n),
            Step("compute_optimal_tokens", 20.0 * n),
            Step("training_compute_flops", 6.0 * n * d),
        ),
        result=loss,
    )
