"""Evaluators for the transformer's own computations: softmax, scaled dot-product attention, RoPE.

One function per glossary entry, registered by entry id; each validates its
inputs through `validate` and records every intermediate quantity as a `Step`.
Grouped by subject so that a new formula joins the module of its neighbours.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping

from ai_glossary_mcp.formulas import arithmetic, validate
from ai_glossary_mcp.formulas.registry import REQUIRED_INPUTS, Evaluation, FormulaInputError, Step, register

ROPE_CHECK_SHIFT = 7  # both RoPE positions are moved by this much in the relative-position check


@register("softmax", "logits: list of 1-1024 numbers (the raw scores z).")
def _softmax(inputs: Mapping[str, object]) -> Evaluation:
    validate.names(inputs, REQUIRED_INPUTS["softmax"])
    z = validate.vector("logits", inputs["logits"])
    shifted, exps, total, probs = arithmetic.softmax_parts(z)
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


@register(
    "self-attention",
    "Q: n_q x d_k matrix, K: n_k x d_k matrix, V: n_k x d_v matrix (each a list of rows, at most 64x64).",
)
def _self_attention(inputs: Mapping[str, object]) -> Evaluation:
    validate.names(inputs, REQUIRED_INPUTS["self-attention"])
    q = validate.matrix("Q", inputs["Q"])
    k = validate.matrix("K", inputs["K"])
    v = validate.matrix("V", inputs["V"])
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
    scores = [[arithmetic.dot(q_row, k_row) for k_row in k] for q_row in q]
    scale = math.sqrt(d_k)
    scaled = [[s / scale for s in row] for row in scores]
    weights = [arithmetic.softmax_parts(row)[3] for row in scaled]
    v_columns = list(zip(*v, strict=True))
    output = [[arithmetic.dot(w_row, column) for column in v_columns] for w_row in weights]
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


def _rope_rotate(x: list[float], position: int, theta: list[float]) -> list[float]:
    out: list[float] = []
    for i, t in enumerate(theta):
        angle = position * t
        c, s = math.cos(angle), math.sin(angle)
        x1, x2 = x[2 * i], x[2 * i + 1]
        out += [x1 * c - x2 * s, x2 * c + x1 * s]
    return out


@register(
    "rope",
    "x: list of an even number (2-1024) of values; m: integer position 0-1000000; base: > 1 (default 10000); "
    "optional y: second vector (a key) of the same length, n: its position (defaults y = x, n = 0).",
)
def _rope(inputs: Mapping[str, object]) -> Evaluation:
    validate.names(inputs, REQUIRED_INPUTS["rope"], {"base": 10000, "y": None, "n": 0})
    x = validate.vector("x", inputs["x"], min_length=2)
    if len(x) % 2:
        raise FormulaInputError(
            f"x must have an even number of values (they are rotated in pairs (x1, x2), (x3, x4), ...), "
            f"got {len(x)}"
        )
    m = validate.position("m", inputs["m"])
    base = validate.number("base", inputs.get("base", 10000), gt=1.0)
    if "y" in inputs:
        y = validate.vector("y", inputs["y"], min_length=2)
        if len(y) != len(x):
            raise FormulaInputError(
                f"y must have the same length as x: x has {len(x)} values but y has {len(y)}"
            )
    else:
        y = list(x)
    n = validate.position("n", inputs.get("n", 0))

    d = len(x)
    theta = [base ** (-2.0 * i / d) for i in range(d // 2)]
    angles = [m * t for t in theta]
    rotated_x = _rope_rotate(x, m, theta)
    rotated_y = _rope_rotate(y, n, theta)
    dot = arithmetic.dot(rotated_x, rotated_y)
    shifted_dot = arithmetic.dot(
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
