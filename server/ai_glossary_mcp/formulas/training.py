"""Evaluators for training quantities: the language-model loss (with perplexity) and Chinchilla scaling laws.

One function per glossary entry, registered by entry id; each validates its
inputs through `validate` and records every intermediate quantity as a `Step`.
Grouped by subject so that a new formula joins the module of its neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ai_glossary_mcp.formulas import arithmetic, validate
from ai_glossary_mcp.formulas.registry import REQUIRED_INPUTS, Evaluation, FormulaInputError, Step, register


@register(
    "loss-function",
    "probabilities: list of 1-1024 numbers in (0, 1], the model's probability of the correct token at each "
    "position.",
)
def _loss_function(inputs: Mapping[str, object]) -> Evaluation:
    validate.names(inputs, REQUIRED_INPUTS["loss-function"])
    p = validate.vector(
        "probabilities",
        inputs["probabilities"],
        gt=0.0,
        le=1.0,
        hint=" (each is the probability P(x_t | x_<t) of the correct token: not a logit or a percentage, "
        "and not 0, which makes -log p infinite)",
    )
    nll = [0.0 - math.log(x) for x in p]  # 0.0 - ... keeps -log 1 at +0.0
    total = arithmetic.total(nll)
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


def _power_law_term(coefficient: float, base: float, exponent: float, names: tuple[str, str, str]) -> float:
    """coefficient / base**exponent without OverflowError (base > 0).

    names are (coefficient, base, exponent), for the message.
    """
    if coefficient == 0.0:
        return 0.0
    try:
        power: float = base**exponent
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


@register(
    "scaling-laws",
    "N: parameters > 0; D: training tokens > 0; optional Chinchilla constants A (406.4), B (410.7), "
    "L_inf (1.69), alpha (0.34), beta (0.28).",
)
def _scaling_laws(inputs: Mapping[str, object]) -> Evaluation:
    defaults = {"A": 406.4, "B": 410.7, "L_inf": 1.69, "alpha": 0.34, "beta": 0.28}
    validate.names(inputs, REQUIRED_INPUTS["scaling-laws"], defaults)
    n = validate.number("N", inputs["N"], gt=0.0, hint=" (the number of model parameters)")
    d = validate.number("D", inputs["D"], gt=0.0, hint=" (the number of training tokens)")
    a = validate.number("A", inputs.get("A", defaults["A"]), ge=0.0)
    b = validate.number("B", inputs.get("B", defaults["B"]), ge=0.0)
    l_inf = validate.number("L_inf", inputs.get("L_inf", defaults["L_inf"]), ge=0.0)
    alpha = validate.number("alpha", inputs.get("alpha", defaults["alpha"]), gt=0.0)
    beta = validate.number("beta", inputs.get("beta", defaults["beta"]), gt=0.0)

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
