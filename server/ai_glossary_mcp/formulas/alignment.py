"""Evaluators for preference and reinforcement fine-tuning objectives: DPO, GRPO and the PPO clip of RLHF.

One function per glossary entry, registered by entry id; each validates its
inputs through `validate` and records every intermediate quantity as a `Step`.
They share batching: a number or equal-length lists, lined up by
`validate.paired` and shaped back by `arithmetic.one_or_all`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ai_glossary_mcp.formulas import arithmetic, validate
from ai_glossary_mcp.formulas.registry import REQUIRED_INPUTS, Evaluation, FormulaInputError, Step, register

_DPO_LOGPROBS = REQUIRED_INPUTS["dpo"]


@register(
    "dpo",
    "log_pi_theta_y_w, log_pi_ref_y_w, log_pi_theta_y_l, log_pi_ref_y_l: log-probabilities <= 0 (numbers, or "
    "equal-length lists for a batch of preference pairs); beta: > 0 (default 0.1).",
)
def _dpo(inputs: Mapping[str, object]) -> Evaluation:
    validate.names(inputs, _DPO_LOGPROBS, {"beta": 0.1})
    logps = {
        name: validate.number_or_vector(
            name,
            inputs[name],
            le=0.0,
            hint=" (a log-probability is never positive: send log p, e.g. -12.5, not p or a logit)",
        )
        for name in _DPO_LOGPROBS
    }
    beta = validate.number("beta", inputs.get("beta", 0.1), gt=0.0)
    batched, cols = validate.paired(logps)
    chosen = [t - r for t, r in zip(cols["log_pi_theta_y_w"], cols["log_pi_ref_y_w"], strict=True)]
    rejected = [t - r for t, r in zip(cols["log_pi_theta_y_l"], cols["log_pi_ref_y_l"], strict=True)]
    margin = [beta * (won - lost) for won, lost in zip(chosen, rejected, strict=True)]
    sigmoid = [arithmetic.sigmoid(z) for z in margin]
    per_pair = [arithmetic.neg_log_sigmoid(z) for z in margin]
    loss = arithmetic.mean(per_pair)
    return Evaluation(
        inputs={**logps, "beta": beta},
        steps=(
            Step("chosen_log_ratio", arithmetic.one_or_all(chosen, batched)),
            Step("rejected_log_ratio", arithmetic.one_or_all(rejected, batched)),
            Step("margin", arithmetic.one_or_all(margin, batched)),
            Step("sigmoid", arithmetic.one_or_all(sigmoid, batched)),
            Step("per_pair_loss", arithmetic.one_or_all(per_pair, batched)),
            Step("loss", loss),
        ),
        result=loss,
    )


_GRPO_OBJECTIVE_INPUTS = ("epsilon", "beta", "kl")


@register(
    "grpo",
    "rewards: list of 1-1024 numbers (one per sampled response); optional ratios: list of G positive "
    "pi_theta/pi_ref ratios, with epsilon in (0, 1) (default 0.2), beta >= 0 (default 0.04), kl >= 0 "
    "(number or list of G, default 0).",
)
def _grpo(inputs: Mapping[str, object]) -> Evaluation:
    validate.names(inputs, REQUIRED_INPUTS["grpo"], {"ratios": None, "epsilon": 0.2, "beta": 0.04, "kl": 0})
    rewards = validate.vector("rewards", inputs["rewards"])
    size = len(rewards)
    echoed: dict[str, object] = {"rewards": rewards}
    with_objective = "ratios" in inputs
    if with_objective:
        ratios = validate.vector("ratios", inputs["ratios"], gt=0.0)
        if len(ratios) != size:
            raise FormulaInputError(
                f"ratios must have one value per response: rewards has {size} values "
                f"but ratios has {len(ratios)}"
            )
        epsilon = validate.number("epsilon", inputs.get("epsilon", 0.2), gt=0.0, lt=1.0)
        beta = validate.number("beta", inputs.get("beta", 0.04), ge=0.0)
        kl = validate.number_or_vector("kl", inputs.get("kl", 0), ge=0.0)
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
        mean = arithmetic.mean(rewards)
        deviations = [r - mean for r in rewards]
        std = math.sqrt(arithmetic.total(d * d for d in deviations) / size)  # population standard deviation
    advantages = [(r - mean) / std for r in rewards] if std > 0 else [0.0] * size
    steps = [Step("mean", mean), Step("std", std), Step("advantages", advantages)]

    if with_objective:
        kl_values = kl if isinstance(kl, list) else [kl] * size
        clipped = [arithmetic.clip(r, 1.0 - epsilon, 1.0 + epsilon) for r in ratios]
        objective = [
            min(r * a, c * a) - beta * d
            for r, c, a, d in zip(ratios, clipped, advantages, kl_values, strict=True)
        ]
        loss = 0.0 - arithmetic.mean(objective)
        steps += [
            Step("clipped_ratios", clipped),
            Step("per_response_objective", objective),
            Step("loss", loss),
        ]
    return Evaluation(inputs=echoed, steps=tuple(steps), result=advantages)


@register(
    "rlhf",
    "r_t: probability ratio(s) pi_theta/pi_theta_old >= 0 (number or list); A_t: advantage estimate(s) "
    "(number or list of the same length); epsilon: in (0, 1) (default 0.2).",
)
def _rlhf(inputs: Mapping[str, object]) -> Evaluation:
    validate.names(inputs, REQUIRED_INPUTS["rlhf"], {"epsilon": 0.2})
    r_t = validate.number_or_vector("r_t", inputs["r_t"], ge=0.0, hint=" (a ratio of two probabilities)")
    a_t = validate.number_or_vector("A_t", inputs["A_t"])
    epsilon = validate.number("epsilon", inputs.get("epsilon", 0.2), gt=0.0, lt=1.0)
    batched, cols = validate.paired({"r_t": r_t, "A_t": a_t})
    unclipped = [r * a for r, a in zip(cols["r_t"], cols["A_t"], strict=True)]
    clipped_ratio = [arithmetic.clip(r, 1.0 - epsilon, 1.0 + epsilon) for r in cols["r_t"]]
    clipped_term = [c * a for c, a in zip(clipped_ratio, cols["A_t"], strict=True)]
    chosen = [min(u, c) for u, c in zip(unclipped, clipped_term, strict=True)]
    objective = arithmetic.mean(chosen)
    return Evaluation(
        inputs={"r_t": r_t, "A_t": a_t, "epsilon": epsilon},
        steps=(
            Step("unclipped_term", arithmetic.one_or_all(unclipped, batched)),
            Step("clipped_ratio", arithmetic.one_or_all(clipped_ratio, batched)),
            Step("clipped_term", arithmetic.one_or_all(clipped_term, batched)),
            Step("chosen_term", arithmetic.one_or_all(chosen, batched)),
        ),
        result=objective,
    )
