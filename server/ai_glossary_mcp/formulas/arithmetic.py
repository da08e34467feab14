"""Numerically stable arithmetic shared by the evaluators (imported as a namespace: `arithmetic.dot(...)`).

Sums are exact-rounded (math.fsum), softmax shifts by the maximum and the
sigmoids branch on sign, so exp never overflows on a valid input; a sum that
still overflows comes back as inf for `evaluate`'s finiteness check to report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def total(values: Iterable[float]) -> float:
    """Accurate sum (math.fsum); an overflowing sum is inf, which the final finiteness check reports."""
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):  # intermediate overflow, or inf - inf from overflowed terms
        return math.inf


def mean(values: list[float]) -> float:
    return total(values) / len(values)


def dot(a: Iterable[float], b: Iterable[float]) -> float:
    return total(x * y for x, y in zip(a, b, strict=True))


def softmax_parts(z: list[float]) -> tuple[list[float], list[float], float, list[float]]:
    """Shifted logits, exponentials, their sum, probabilities. exp never sees a positive argument."""
    top = max(z)
    shifted = [x - top for x in z]
    exps = [math.exp(s) for s in shifted]
    exp_sum = total(exps)  # >= 1: the maximum contributes exp(0)
    return shifted, exps, exp_sum, [e / exp_sum for e in exps]


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neg_log_sigmoid(z: float) -> float:
    """-log σ(z), stable for any finite z."""
    if z >= 0:
        return math.log1p(math.exp(-z))
    return -z + math.log1p(math.exp(z))


def clip(x: float, low: float, high: float) -> float:
    return min(max(x, low), high)


def one_or_all(values: list[float], batched: bool) -> object:
    return values if batched else values[0]
