"""The formula evaluators compute each formula as written, show their steps, and refuse bad input.

Every evaluator is checked against an independent numpy computation, on fixed
inputs and on inputs drawn by hypothesis; then come the formula's own
properties (softmax sums to 1, RoPE preserves norms and depends only on m - n,
GRPO advantages are standardised) and the validation contract (every rejection
names the input and says what to send instead).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ai_glossary_mcp.formulas.evaluator import (
    EVALUATORS,
    INPUT_DOCS,
    Evaluation,
    FormulaInputError,
    Step,
    evaluate,
)

PROPERTY = settings(max_examples=100, deadline=None)

ENTRY_IDS = {"softmax", "self-attention", "loss-function", "dpo", "grpo", "rlhf", "rope", "scaling-laws"}


def steps_of(evaluation: Evaluation) -> dict[str, object]:
    return {step.name: step.value for step in evaluation.steps}


def numbers(low: float, high: float):
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def vectors(low: float = -50.0, high: float = 50.0, min_size: int = 1, max_size: int = 16):
    return st.lists(numbers(low, high), min_size=min_size, max_size=max_size)


@st.composite
def matrices(draw, rows: int, cols: int, low: float = -10.0, high: float = 10.0):
    return [draw(st.lists(numbers(low, high), min_size=cols, max_size=cols)) for _ in range(rows)]


# -- independent numpy references --------------------------------------------------------------


def np_softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_attention(q, k, v):
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    return np_softmax(q @ k.T / np.sqrt(q.shape[1]), axis=1) @ v


def np_dpo(tw, rw, tl, rl, beta):
    margin = beta * ((np.asarray(tw) - np.asarray(rw)) - (np.asarray(tl) - np.asarray(rl)))
    per_pair = np.logaddexp(0.0, -margin)  # -log sigmoid(margin)
    return margin, per_pair, float(np.mean(per_pair))


def np_grpo_advantages(rewards):
    r = np.asarray(rewards, dtype=float)
    if r.min() == r.max():  # equal rewards carry no signal; numpy's std may round to ~1e-16 instead of 0
        return np.zeros_like(r)
    return (r - r.mean()) / r.std()  # numpy's default is the population standard deviation (ddof=0)


def np_ppo(r, a, eps):
    r, a = np.asarray(r, dtype=float), np.asarray(a, dtype=float)
    return float(np.mean(np.minimum(r * a, np.clip(r, 1 - eps, 1 + eps) * a)))


def np_rope(x, m, base=10000.0):
    """RoPE as complex multiplication: the pair (x1, x2) is x1 + i·x2, rotated by e^{i·m·θ}."""
    x = np.asarray(x, dtype=float)
    d = x.size
    theta = base ** (-np.arange(0, d, 2) / d)
    z = (x[0::2] + 1j * x[1::2]) * np.exp(1j * m * theta)
    out = np.empty(d)
    out[0::2], out[1::2] = z.real, z.imag
    return out


def np_scaling(n, d, a=406.4, b=410.7, l_inf=1.69, alpha=0.34, beta=0.28):
    return a / np.power(np.float64(n), alpha) + b / np.power(np.float64(d), beta) + l_inf


# -- registry and result shape -----------------------------------------------------------------

SAMPLE_INPUTS = {
    "softmax": {"logits": [2.0, 1.0, 0.1]},
    "self-attention": {
        "Q": [[1, 0], [0, 1]],
        "K": [[1, 0], [1, 1], [0, 2]],
        "V": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
    },
    "loss-function": {"probabilities": [0.5, 0.25, 1.0]},
    "dpo": {"log_pi_theta_y_w": -10, "log_pi_ref_y_w": -12, "log_pi_theta_y_l": -15, "log_pi_ref_y_l": -14},
    "grpo": {"rewards": [1, 0, 0, 1], "ratios": [1.3, 0.7, 1.0, 1.1]},
    "rlhf": {"r_t": [1.5, 0.5, 1.0], "A_t": [1.0, -1.0, 2.0]},
    "rope": {"x": [1, 2, 3, 4], "m": 5, "y": [0, 1, 1, 0], "n": 2},
    "scaling-laws": {"N": 70e9, "D": 1.4e12},
}

EXPECTED_STEPS = {
    "softmax": ["shifted_logits", "exponentials", "sum_of_exponentials", "probabilities"],
    "self-attention": ["scores", "scale", "scaled_scores", "attention_weights", "output"],
    "loss-function": ["negative_log_probabilities", "sum", "mean_per_token", "perplexity"],
    "dpo": ["chosen_log_ratio", "rejected_log_ratio", "margin", "sigmoid", "per_pair_loss", "loss"],
    "grpo": ["mean", "std", "advantages", "clipped_ratios", "per_response_objective", "loss"],
    "rlhf": ["unclipped_term", "clipped_ratio", "clipped_term", "chosen_term"],
    "rope": [
        "theta",
        "angles",
        "rotated_y",
        "dot_product",
        "dot_product_both_positions_plus_7",
        "relative_position_check",
    ],
    "scaling-laws": [
        "parameter_term",
        "data_term",
        "L_inf",
        "tokens_per_parameter",
        "compute_optimal_tokens",
        "training_compute_flops",
    ],
}


def test_every_formula_entry_has_an_evaluator_and_a_one_line_input_description():
    assert set(EVALUATORS) == ENTRY_IDS
    assert set(INPUT_DOCS) == ENTRY_IDS
    for entry_id, doc in INPUT_DOCS.items():
        assert doc and "\n" not in doc, entry_id


def test_input_descriptions_name_every_required_input():
    for entry_id, names in {
        "softmax": ["logits"],
        "self-attention": ["Q", "K", "V"],
        "loss-function": ["probabilities"],
        "dpo": ["log_pi_theta_y_w", "log_pi_ref_y_w", "log_pi_theta_y_l", "log_pi_ref_y_l", "beta"],
        "grpo": ["rewards", "ratios", "epsilon", "beta", "kl"],
        "rlhf": ["r_t", "A_t", "epsilon"],
        "rope": ["x", "m", "base", "y", "n"],
        "scaling-laws": ["N", "D", "A", "B", "L_inf", "alpha", "beta"],
    }.items():
        for name in names:
            assert name in INPUT_DOCS[entry_id], (entry_id, name)


def test_the_registry_is_read_only():
    with pytest.raises(TypeError):
        EVALUATORS["new"] = EVALUATORS["softmax"]  # type: ignore[index]
    with pytest.raises(TypeError):
        INPUT_DOCS["softmax"] = "changed"  # type: ignore[index]


@pytest.mark.parametrize("entry_id", sorted(ENTRY_IDS))
def test_each_evaluation_lists_its_steps_in_computing_order(entry_id):
    evaluation = evaluate(entry_id, SAMPLE_INPUTS[entry_id])
    assert [step.name for step in evaluation.steps] == EXPECTED_STEPS[entry_id]
    assert all(isinstance(step, Step) for step in evaluation.steps)


@pytest.mark.parametrize("entry_id", sorted(ENTRY_IDS))
def test_each_evaluation_is_plain_finite_json(entry_id):
    evaluation = evaluate(entry_id, SAMPLE_INPUTS[entry_id])
    payload = {
        "inputs": evaluation.inputs,
        "steps": [{"name": s.name, "value": s.value} for s in evaluation.steps],
        "result": evaluation.result,
    }
    # allow_nan=False fails on any NaN or infinity; a round trip fails on any non-JSON type.
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload


def test_evaluations_and_steps_are_immutable():
    evaluation = evaluate("softmax", {"logits": [1.0, 2.0]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        evaluation.result = [0.5, 0.5]  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        evaluation.steps[0].value = 0  # type: ignore[misc]
    assert isinstance(evaluation.steps, tuple)


def test_an_entry_without_an_evaluator_is_a_key_error_listing_those_that_have_one():
    with pytest.raises(KeyError, match="softmax"):
        evaluate("bert", {})


def test_the_callers_inputs_are_not_modified():
    inputs = {"rewards": [3, 1, 2], "ratios": [1.0, 1.1, 0.9]}
    before = json.dumps(inputs)
    evaluate("grpo", inputs)
    assert json.dumps(inputs) == before


# -- softmax -----------------------------------------------------------------------------------


def test_softmax_matches_numpy_on_a_fixed_example():
    evaluation = evaluate("softmax", {"logits": [2.0, 1.0, 0.1]})
    np.testing.assert_allclose(evaluation.result, np_softmax([2.0, 1.0, 0.1]), rtol=1e-12)
    steps = steps_of(evaluation)
    assert steps["shifted_logits"] == pytest.approx([0.0, -1.0, -1.9])
    assert steps["sum_of_exponentials"] == pytest.approx(1 + math.exp(-1) + math.exp(-1.9))


def test_softmax_subtracts_the_max_so_huge_logits_do_not_overflow():
    evaluation = evaluate("softmax", {"logits": [1000.0, 1001.0, 1002.0]})
    np.testing.assert_allclose(evaluation.result, np_softmax([0.0, 1.0, 2.0]), rtol=1e-12)
    assert max(steps_of(evaluation)["shifted_logits"]) == 0.0


def test_softmax_of_a_single_logit_is_certainty():
    assert evaluate("softmax", {"logits": [-3.5]}).result == [1.0]


@PROPERTY
@given(vectors(-500.0, 500.0, max_size=32))
def test_softmax_matches_numpy_and_sums_to_one(logits):
    probs = evaluate("softmax", {"logits": logits}).result
    np.testing.assert_allclose(probs, np_softmax(logits), rtol=1e-9, atol=1e-300)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert probs[logits.index(max(logits))] == max(probs)


# -- self-attention ----------------------------------------------------------------------------


def test_self_attention_matches_numpy_on_a_fixed_example():
    sample = SAMPLE_INPUTS["self-attention"]
    evaluation = evaluate("self-attention", sample)
    steps = steps_of(evaluation)
    expected = np_attention(sample["Q"], sample["K"], sample["V"])
    np.testing.assert_allclose(evaluation.result, expected, rtol=1e-12)
    np.testing.assert_allclose(steps["scores"], np.array(sample["Q"]) @ np.array(sample["K"]).T)
    assert steps["scale"] == pytest.approx(math.sqrt(2))
    assert np.asarray(evaluation.result).shape == (2, 3)


@st.composite
def attention_inputs(draw):
    n_q, n_k, d_k, d_v = (draw(st.integers(1, 6)) for _ in range(4))
    return {
        "Q": draw(matrices(n_q, d_k)),
        "K": draw(matrices(n_k, d_k)),
        "V": draw(matrices(n_k, d_v)),
    }


@PROPERTY
@given(attention_inputs())
def test_self_attention_matches_numpy_and_its_weights_are_row_distributions(inputs):
    evaluation = evaluate("self-attention", inputs)
    expected = np_attention(inputs["Q"], inputs["K"], inputs["V"])
    scale = max(1.0, float(np.abs(inputs["V"]).max()))
    np.testing.assert_allclose(evaluation.result, expected, rtol=1e-9, atol=1e-9 * scale)
    weights = steps_of(evaluation)["attention_weights"]
    assert np.asarray(weights).shape == (len(inputs["Q"]), len(inputs["K"]))
    for row in weights:
        assert math.fsum(row) == pytest.approx(1.0, abs=1e-12)


# -- loss-function (cross-entropy) -------------------------------------------------------------


def test_cross_entropy_sums_negative_log_probabilities_and_reports_perplexity():
    evaluation = evaluate("loss-function", {"probabilities": [0.5, 0.25, 1.0]})
    steps = steps_of(evaluation)
    assert evaluation.result == pytest.approx(3 * math.log(2))
    assert steps["negative_log_probabilities"] == pytest.approx([math.log(2), math.log(4), 0.0])
    assert steps["mean_per_token"] == pytest.approx(math.log(2))
    assert steps["perplexity"] == pytest.approx(2.0)


def test_a_certain_prediction_costs_nothing():
    evaluation = evaluate("loss-function", {"probabilities": [1.0, 1]})
    assert evaluation.result == 0.0
    assert math.copysign(1.0, evaluation.result) == 1.0  # +0.0, not -0.0
    assert steps_of(evaluation)["perplexity"] == 1.0


@PROPERTY
@given(vectors(1e-6, 1.0, max_size=32))
def test_cross_entropy_matches_numpy(probabilities):
    evaluation = evaluate("loss-function", {"probabilities": probabilities})
    p = np.asarray(probabilities)
    assert evaluation.result == pytest.approx(float(-np.sum(np.log(p))), rel=1e-12, abs=1e-12)
    assert steps_of(evaluation)["perplexity"] == pytest.approx(float(np.exp(np.mean(-np.log(p)))), rel=1e-12)


# -- DPO ---------------------------------------------------------------------------------------


def test_dpo_matches_numpy_on_a_single_pair_with_the_default_beta():
    evaluation = evaluate("dpo", SAMPLE_INPUTS["dpo"])
    steps = steps_of(evaluation)
    margin, _, loss = np_dpo(-10, -12, -15, -14, 0.1)
    assert evaluation.inputs["beta"] == 0.1
    assert steps["chosen_log_ratio"] == 2.0
    assert steps["rejected_log_ratio"] == -1.0
    assert steps["margin"] == pytest.approx(float(margin))
    assert steps["sigmoid"] == pytest.approx(1 / (1 + math.exp(-0.3)))
    assert evaluation.result == pytest.approx(loss, rel=1e-12)


def test_dpo_averages_the_loss_over_a_batch_of_pairs():
    inputs = {
        "log_pi_theta_y_w": [-1.0, -5.0],
        "log_pi_ref_y_w": [-2.0, -4.0],
        "log_pi_theta_y_l": [-3.0, -1.0],
        "log_pi_ref_y_l": [-2.5, -2.0],
        "beta": 0.5,
    }
    evaluation = evaluate("dpo", inputs)
    _, per_pair, loss = np_dpo(*(inputs[k] for k in list(inputs)[:4]), 0.5)
    np.testing.assert_allclose(steps_of(evaluation)["per_pair_loss"], per_pair, rtol=1e-12)
    assert evaluation.result == pytest.approx(loss, rel=1e-12)


DPO_ZERO = {"log_pi_theta_y_w": 0, "log_pi_ref_y_w": 0, "log_pi_theta_y_l": 0, "log_pi_ref_y_l": 0}


def test_dpo_log_sigmoid_is_stable_for_extreme_margins():
    confident_wrong = {**DPO_ZERO, "log_pi_theta_y_w": -2000}
    assert evaluate("dpo", {**confident_wrong, "beta": 0.5}).result == pytest.approx(1000.0, rel=1e-12)
    confident_right = {**DPO_ZERO, "log_pi_ref_y_w": -2000}
    evaluation = evaluate("dpo", {**confident_right, "beta": 0.5})
    assert evaluation.result == pytest.approx(0.0, abs=1e-300)
    assert steps_of(evaluation)["sigmoid"] == 1.0


@PROPERTY
@given(
    st.integers(1, 16).flatmap(lambda n: st.tuples(*[vectors(-300.0, 0.0, n, n) for _ in range(4)])),
    numbers(0.01, 2.0),
)
def test_dpo_matches_numpy(logps, beta):
    tw, rw, tl, rl = logps
    names = ["log_pi_theta_y_w", "log_pi_ref_y_w", "log_pi_theta_y_l", "log_pi_ref_y_l"]
    evaluation = evaluate("dpo", dict(zip(names, logps, strict=True), beta=beta))
    margin, per_pair, loss = np_dpo(tw, rw, tl, rl, beta)
    steps = steps_of(evaluation)
    np.testing.assert_allclose(steps["margin"], margin, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(steps["per_pair_loss"], per_pair, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(steps["sigmoid"], np.exp(-per_pair), rtol=1e-9, atol=1e-300)
    assert evaluation.result == pytest.approx(loss, rel=1e-9, abs=1e-300)


# -- GRPO --------------------------------------------------------------------------------------


def test_grpo_standardises_binary_rewards_with_the_population_std():
    evaluation = evaluate("grpo", {"rewards": [1, 0, 0, 1]})
    assert evaluation.result == [1.0, -1.0, -1.0, 1.0]
    assert steps_of(evaluation)["mean"] == 0.5
    assert steps_of(evaluation)["std"] == 0.5


def test_grpo_gives_zero_advantages_when_all_rewards_are_equal():
    for rewards in ([0.7, 0.7, 0.7], [0.1] * 9, [5]):
        evaluation = evaluate("grpo", {"rewards": rewards})
        assert evaluation.result == [0.0] * len(rewards)
        assert steps_of(evaluation)["std"] == 0.0


def test_grpo_without_ratios_reports_only_the_advantages():
    evaluation = evaluate("grpo", {"rewards": [3, 1]})
    assert [step.name for step in evaluation.steps] == ["mean", "std", "advantages"]
    assert evaluation.inputs == {"rewards": [3.0, 1.0]}


def test_grpo_objective_matches_numpy_on_a_fixed_example_with_defaults_applied():
    evaluation = evaluate("grpo", {"rewards": [1, 0, 0, 1], "ratios": [1.3, 0.7, 1.0, 1.1], "kl": 0.5})
    steps = steps_of(evaluation)
    assert evaluation.inputs["epsilon"] == 0.2 and evaluation.inputs["beta"] == 0.04
    adv = np.array([1.0, -1.0, -1.0, 1.0])
    r = np.array([1.3, 0.7, 1.0, 1.1])
    objective = np.minimum(r * adv, np.clip(r, 0.8, 1.2) * adv) - 0.04 * 0.5
    np.testing.assert_allclose(steps["clipped_ratios"], [1.2, 0.8, 1.0, 1.1])
    np.testing.assert_allclose(steps["per_response_objective"], objective, rtol=1e-12)
    assert steps["loss"] == pytest.approx(-objective.mean(), rel=1e-12)
    assert evaluation.result == adv.tolist()


@PROPERTY
@given(vectors(-10.0, 10.0, max_size=32))
def test_grpo_advantages_match_numpy_and_are_standardised(rewards):
    r = np.asarray(rewards)
    assume(r.std() > 1e-3 or r.min() == r.max())
    advantages = evaluate("grpo", {"rewards": rewards}).result
    np.testing.assert_allclose(advantages, np_grpo_advantages(rewards), rtol=1e-9, atol=1e-9)
    if r.min() != r.max():
        assert np.mean(advantages) == pytest.approx(0.0, abs=1e-9)
        assert np.std(advantages) == pytest.approx(1.0, rel=1e-9)


@st.composite
def grpo_objective_inputs(draw):
    size = draw(st.integers(1, 16))
    kl = draw(st.one_of(numbers(0.0, 2.0), vectors(0.0, 2.0, size, size)))
    return {
        "rewards": draw(st.lists(st.integers(0, 5).map(float), min_size=size, max_size=size)),
        "ratios": draw(vectors(0.01, 3.0, size, size)),
        "epsilon": draw(numbers(0.01, 0.99)),
        "beta": draw(numbers(0.0, 1.0)),
        "kl": kl,
    }


@PROPERTY
@given(grpo_objective_inputs())
def test_grpo_objective_matches_numpy(inputs):
    steps = steps_of(evaluate("grpo", inputs))
    adv = np_grpo_advantages(inputs["rewards"])
    r, eps = np.asarray(inputs["ratios"]), inputs["epsilon"]
    kl = np.asarray(inputs["kl"])  # a number or one value per response; numpy broadcasts either
    objective = np.minimum(r * adv, np.clip(r, 1 - eps, 1 + eps) * adv) - inputs["beta"] * kl
    np.testing.assert_allclose(steps["clipped_ratios"], np.clip(r, 1 - eps, 1 + eps), rtol=1e-15)
    np.testing.assert_allclose(steps["per_response_objective"], objective, atol=1e-9)
    assert steps["loss"] == pytest.approx(-float(np.mean(objective)), abs=1e-9)


# -- RLHF (PPO clipped objective) --------------------------------------------------------------


def test_ppo_clips_the_ratio_in_the_pessimistic_direction():
    evaluation = evaluate("rlhf", {"r_t": [1.5, 0.5, 1.0], "A_t": [1.0, -1.0, 2.0]})
    steps = steps_of(evaluation)
    assert steps["unclipped_term"] == [1.5, -0.5, 2.0]
    assert steps["clipped_ratio"] == [1.2, 0.8, 1.0]
    assert steps["chosen_term"] == pytest.approx([1.2, -0.8, 2.0])
    assert evaluation.result == pytest.approx((1.2 - 0.8 + 2.0) / 3)
    assert evaluation.result == pytest.approx(np_ppo([1.5, 0.5, 1.0], [1.0, -1.0, 2.0], 0.2))


def test_ppo_on_single_numbers_reports_single_numbers():
    evaluation = evaluate("rlhf", {"r_t": 0.5, "A_t": 2.0, "epsilon": 0.1})
    assert steps_of(evaluation)["clipped_ratio"] == 0.9
    assert steps_of(evaluation)["chosen_term"] == 1.0
    assert evaluation.result == 1.0


@PROPERTY
@given(
    st.integers(1, 16).flatmap(lambda n: st.tuples(vectors(0.0, 3.0, n, n), vectors(-5.0, 5.0, n, n))),
    numbers(0.01, 0.99),
)
def test_ppo_matches_numpy(pair, epsilon):
    r_t, a_t = pair
    evaluation = evaluate("rlhf", {"r_t": r_t, "A_t": a_t, "epsilon": epsilon})
    assert evaluation.result == pytest.approx(np_ppo(r_t, a_t, epsilon), rel=1e-9, abs=1e-12)
    # The clipped objective is a pessimistic bound: never above the unclipped one.
    steps = steps_of(evaluation)
    assert all(c <= u for c, u in zip(steps["chosen_term"], steps["unclipped_term"], strict=True))


# -- RoPE --------------------------------------------------------------------------------------


def test_rope_rotates_pairs_as_the_seed_formula_writes_them():
    evaluation = evaluate("rope", {"x": [1, 2, 3, 4], "m": 5})
    expected = [
        1 * math.cos(5) - 2 * math.sin(5),
        2 * math.cos(5) + 1 * math.sin(5),
        3 * math.cos(0.05) - 4 * math.sin(0.05),
        4 * math.cos(0.05) + 3 * math.sin(0.05),
    ]
    assert evaluation.result == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(evaluation.result, np_rope([1, 2, 3, 4], 5), rtol=1e-12)
    assert steps_of(evaluation)["theta"] == pytest.approx([1.0, 0.01])
    x = [1.0, 2.0, 3.0, 4.0]
    assert evaluation.inputs == {"x": x, "m": 5, "base": 10000.0, "y": x, "n": 0}


def test_rope_at_position_zero_is_the_identity():
    assert evaluate("rope", {"x": [0.3, -1.2, 4.0, 2.5], "m": 0}).result == [0.3, -1.2, 4.0, 2.5]


def test_rope_accepts_a_whole_number_written_as_a_float():
    assert evaluate("rope", {"x": [1, 0], "m": 3.0}).inputs["m"] == 3


@st.composite
def rope_inputs(draw):
    half = draw(st.integers(1, 12))
    return {
        "x": draw(vectors(-10.0, 10.0, 2 * half, 2 * half)),
        "y": draw(vectors(-10.0, 10.0, 2 * half, 2 * half)),
        "m": draw(st.integers(0, 1_000_000)),
        "n": draw(st.integers(0, 1_000_000)),
        "base": draw(st.one_of(st.just(10000.0), numbers(1.5, 1e6))),
    }


@PROPERTY
@given(rope_inputs())
def test_rope_matches_numpy_complex_rotation_and_preserves_the_norm(inputs):
    evaluation = evaluate("rope", inputs)
    expected = np_rope(inputs["x"], inputs["m"], inputs["base"])
    norm = float(np.linalg.norm(inputs["x"]))
    np.testing.assert_allclose(evaluation.result, expected, atol=1e-9 * max(norm, 1.0))
    assert float(np.linalg.norm(evaluation.result)) == pytest.approx(norm, rel=1e-9, abs=1e-12)


@PROPERTY
@given(rope_inputs())
# Found by hypothesis: a subnormal vector made the check's tolerance underflow to 0.
@example({"x": [1.0, 0.0], "y": [5e-324, 0.0], "m": 0, "n": 0, "base": 10000.0})
def test_rope_relative_position_check_holds_on_random_vectors_and_positions(inputs):
    steps = steps_of(evaluate("rope", inputs))
    assert steps["relative_position_check"] is True
    q = np_rope(inputs["x"], inputs["m"], inputs["base"])
    k = np_rope(inputs["y"], inputs["n"], inputs["base"])
    expected = float(np.dot(q, k))
    bound = 1e-8 * float(np.linalg.norm(inputs["x"]) * np.linalg.norm(inputs["y"])) + 1e-12
    assert steps["dot_product"] == pytest.approx(expected, abs=bound)


@PROPERTY
@given(rope_inputs(), st.integers(0, 1000))
def test_rope_dot_products_depend_only_on_the_position_difference(inputs, shift):
    shift = min(shift, 1_000_000 - max(inputs["m"], inputs["n"]))  # stay within the accepted positions
    base = evaluate("rope", inputs)
    shifted = evaluate("rope", {**inputs, "m": inputs["m"] + shift, "n": inputs["n"] + shift})
    bound = 1e-8 * float(np.linalg.norm(inputs["x"]) * np.linalg.norm(inputs["y"])) + 1e-12
    assert steps_of(shifted)["dot_product"] == pytest.approx(steps_of(base)["dot_product"], abs=bound)


# -- scaling laws (Chinchilla) -----------------------------------------------------------------


def test_chinchilla_70b_on_1_4t_tokens_matches_numpy_and_is_compute_optimal():
    evaluation = evaluate("scaling-laws", {"N": 70e9, "D": 1.4e12})
    steps = steps_of(evaluation)
    assert evaluation.result == pytest.approx(float(np_scaling(70e9, 1.4e12)), rel=1e-12)
    assert evaluation.result == pytest.approx(1.9366, abs=1e-4)
    assert steps["tokens_per_parameter"] == pytest.approx(20.0)
    assert steps["compute_optimal_tokens"] == pytest.approx(1.4e12)
    assert steps["training_compute_flops"] == pytest.approx(5.88e23)
    assert evaluation.inputs["alpha"] == 0.34 and evaluation.inputs["L_inf"] == 1.69


def test_scaling_laws_with_huge_n_approaches_the_data_limit_without_overflow():
    evaluation = evaluate("scaling-laws", {"N": 1e300, "D": 1.0, "alpha": 3.0})
    assert steps_of(evaluation)["parameter_term"] == 0.0
    assert evaluation.result == pytest.approx(410.7 + 1.69)


@PROPERTY
@given(
    numbers(3.0, 15.0),
    numbers(3.0, 15.0),
    numbers(1.0, 1000.0),
    numbers(1.0, 1000.0),
    numbers(0.0, 3.0),
    numbers(0.05, 1.0),
    numbers(0.05, 1.0),
)
def test_scaling_laws_match_numpy(log_n, log_d, a, b, l_inf, alpha, beta):
    n, d = 10.0**log_n, 10.0**log_d
    inputs = {"N": n, "D": d, "A": a, "B": b, "L_inf": l_inf, "alpha": alpha, "beta": beta}
    evaluation = evaluate("scaling-laws", inputs)
    assert evaluation.result == pytest.approx(float(np_scaling(n, d, a, b, l_inf, alpha, beta)), rel=1e-12)
    assert evaluation.result >= l_inf


# -- validation --------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
ATTN_OK = {"Q": [[1, 0]], "K": [[1, 0], [0, 1]], "V": [[1], [2]]}
DPO_OK = {"log_pi_theta_y_w": -1, "log_pi_ref_y_w": -1, "log_pi_theta_y_l": -1, "log_pi_ref_y_l": -1}

REJECTIONS = [
    # not finite, not a number
    ("softmax", {"logits": [1.0, NAN]}, "logits[1] is NaN"),
    ("softmax", {"logits": [INF, 1.0]}, "logits[0] is infinite"),
    ("scaling-laws", {"N": 1e9, "D": -INF}, "D is infinite"),
    ("softmax", {"logits": [1, True]}, "logits[1] must be a number, got a boolean"),
    ("scaling-laws", {"N": True, "D": 1e9}, "N must be a number, got a boolean"),
    ("rope", {"x": [1, 0], "m": True}, "m must be a whole numbe"),
    ("softmax", {"logits": "1, 2, 3"}, "logits must be a list of numbers, got a string"),
    ("softmax", {"logits": [1, "2"]}, "logits[1] must be a number, got a string"),
    ("softmax", {"logits": None}, "logits must be a list of numbers, got null"),
    ("softmax", {"logits": {"a": 1}}, "got an object"),
    ("scaling-laws", {"N": 10**400, "D": 1e9}, "N is an integer too large"),
    ("dpo", {**DPO_OK, "log_pi_theta_y_w": [-1, NAN]}, "log_pi_theta_y_w[1] is NaN"),
    # sizes and shapes
    ("softmax", {"logits": []}, "send at least 1"),
    ("softmax", {"logits": [0.0] * 1025}, "logits has 1025 values; at most 1024"),
    ("grpo", {"rewards": [1.0] * 1025}, "at most 1024"),
    ("rope", {"x": [1.0] * 1026, "m": 1}, "at most 1024"),
    ("self-attention", {**ATTN_OK, "Q": [[1, 2], [3]]}, "Q is ragged: row 0 has 2 values but row 1 has 1"),
    ("self-attention", {**ATTN_OK, "Q": [[1.0, 0.0]] * 65}, "Q has 65 rows; at most 64"),
    ("self-attention", {"Q": [[1.0] * 65], "K": [[1.0] * 65], "V": [[1.0]]}, "Q[0] has 65 columns"),
    ("self-attention", {**ATTN_OK, "K": [[1, 0, 0], [0, 1, 0]]}, "Q and K must have the same width"),
    ("self-attention", {**ATTN_OK, "V": [[1], [2], [3]]}, "K and V must have the same number of rows"),
    ("self-attention", {**ATTN_OK, "Q": [1, 0]}, "Q[0] must be a row"),
    ("self-attention", {**ATTN_OK, "V": []}, "V has no rows"),
    ("self-attention", {**ATTN_OK, "K": [[1, 0], []]}, "K[1] is an empty row"),
    ("dpo", {**DPO_OK, "log_pi_theta_y_w": [-1, -2], "log_pi_ref_y_w": [-1]}, "lists must have equal length"),
    ("rlhf", {"r_t": [1, 1, 1], "A_t": [1, 2]}, "r_t has 3, A_t has 2"),
    ("grpo", {"rewards": [1, 0], "ratios": [1.0]}, "ratios must have one value per response"),
    ("grpo", {"rewards": [1, 0], "ratios": [1.0, 1.0], "kl": [0.1]}, "kl must be one number or one value"),
    ("rope", {"x": [1, 2, 3], "m": 1}, "x must have an even number of values"),
    ("rope", {"x": [1, 2], "m": 1, "y": [1, 2, 3, 4]}, "y must have the same length as x"),
    # ranges
    ("loss-function", {"probabilities": [0.5, 0.0]}, "probabilities[1] must be in (0, 1], got 0.0"),
    ("loss-function", {"probabilities": [1.5]}, "probabilities[0] must be in (0, 1]"),
    ("loss-function", {"probabilities": [-0.2]}, "probabilities[0] must be in (0, 1]"),
    ("dpo", {**DPO_OK, "log_pi_ref_y_l": 0.5}, "log_pi_ref_y_l must be <= 0"),
    ("dpo", {**DPO_OK, "beta": 0}, "beta must be > 0"),
    ("grpo", {"rewards": [1, 0], "ratios": [1.0, 0.0]}, "ratios[1] must be > 0"),
    ("grpo", {"rewards": [1, 0], "ratios": [1.0, 1.0], "epsilon": 1.0}, "epsilon must be in (0, 1)"),
    ("grpo", {"rewards": [1, 0], "ratios": [1.0, 1.0], "beta": -0.1}, "beta must be >= 0"),
    ("grpo", {"rewards": [1, 0], "ratios": [1.0, 1.0], "kl": -1}, "kl must be >= 0"),
    ("grpo", {"rewards": [1, 0], "epsilon": 0.1}, "send ratios"),
    ("rlhf", {"r_t": 1.0, "A_t": 1.0, "epsilon": 0}, "epsilon must be in (0, 1)"),
    ("rlhf", {"r_t": -0.5, "A_t": 1.0}, "r_t must be >= 0"),
    ("rope", {"x": [1, 0], "m": -1}, "m must be between 0 and 1,000,000"),
    ("rope", {"x": [1, 0], "m": 1_000_001}, "m must be between 0 and 1,000,000"),
    ("rope", {"x": [1, 0], "m": 1.5}, "m must be a whole numbe"),
    ("rope", {"x": [1, 0], "m": 1, "n": NAN}, "n must be a whole numbe"),
    ("rope", {"x": [1, 0], "m": 1, "base": 1}, "base must be > 1"),
    ("scaling-laws", {"N": 0, "D": 1e9}, "N must be > 0"),
    ("scaling-laws", {"N": 1e9, "D": -5}, "D must be > 0"),
    ("scaling-laws", {"N": 1e9, "D": 1e9, "alpha": 0}, "alpha must be > 0"),
]


@pytest.mark.parametrize(
    ("entry_id", "inputs", "message"),
    REJECTIONS,
    ids=[f"{entry}-{i}" for i, (entry, _, _) in enumerate(REJECTIONS)],
)
def test_invalid_inputs_are_rejected_with_a_message_naming_the_input(entry_id, inputs, message):
    with pytest.raises(FormulaInputError, match=re.escape(message)):
        evaluate(entry_id, inputs)


def test_an_input_error_is_a_value_error():
    assert issubclass(FormulaInputError, ValueError)


def test_unknown_input_names_are_listed_with_the_accepted_ones():
    with pytest.raises(FormulaInputError) as caught:
        evaluate("dpo", {**DPO_OK, "temperature": 1.0})
    message = str(caught.value)
    assert "'temperature'" in message
    for name in ("log_pi_theta_y_w", "log_pi_ref_y_w", "log_pi_theta_y_l", "log_pi_ref_y_l", "beta"):
        assert name in message
    assert "default 0.1" in message


def test_a_wrongly_cased_name_gets_a_suggestion():
    with pytest.raises(FormulaInputError, match="did you mean 'Q' for 'q'"):
        evaluate("self-attention", {"q": [[1]], "K": [[1]], "V": [[1]]})


def test_missing_required_inputs_are_named():
    with pytest.raises(FormulaInputError, match="missing required input 'D'"):
        evaluate("scaling-laws", {"N": 1e9})
    with pytest.raises(FormulaInputError, match="missing required inputs 'Q', 'K', 'V'"):
        evaluate("self-attention", {})


def test_inputs_that_are_not_an_object_are_rejected():
    with pytest.raises(FormulaInputError, match="inputs must be an object"):
        evaluate("softmax", [1.0, 2.0])  # type: ignore[arg-type]


# -- overflow never escapes --------------------------------------------------------------------

OVERFLOWS = [
    ("softmax", {"logits": [-1e308, 1e308]}, "shifted_logits"),
    ("self-attention", {"Q": [[1e200]], "K": [[1e200]], "V": [[1.0]]}, "scores"),
    ("loss-function", {"probabilities": [1e-320] * 3}, "perplexity"),
    ("dpo", {**DPO_OK, "log_pi_ref_y_w": -1e308, "log_pi_theta_y_l": -1e308, "beta": 10}, "margin"),
    ("grpo", {"rewards": [1e308, 1e308, -1e308]}, "overflows"),
    ("rlhf", {"r_t": 2.0, "A_t": 1e308, "epsilon": 0.5}, "unclipped_term"),
    ("rope", {"x": [1e308, 1e308], "m": 1, "y": [1e308, 1e308]}, "overflows"),
    ("scaling-laws", {"N": 1e300, "D": 1e300}, "training_compute_flops"),
    ("scaling-laws", {"N": 1e-300, "D": 1e9, "alpha": 3.0}, "send a larger N or a smaller alpha"),
]


@pytest.mark.parametrize(("entry_id", "inputs", "where"), OVERFLOWS, ids=[o[0] for o in OVERFLOWS])
def test_a_computation_that_would_overflow_is_an_input_error_saying_so(entry_id, inputs, where):
    with pytest.raises(FormulaInputError, match="overflow") as caught:
        evaluate(entry_id, inputs)
    assert where in str(caught.value)
