"""The checks of sheet 06 pass the solutions, and fail the stubs and plausible wrong answers."""

from __future__ import annotations

import numpy as np

from autodidact.course.checking import run_check
from autodidact.course.checks.sheet06_backprop import (
    make_params,
    reference_forward,
    reference_gradient,
)

from .both_ways import both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


def softmax_cross_entropy(h, y):
    shifted = h - np.max(h, axis=1, keepdims=True)
    log_sum = np.log(np.sum(np.exp(shifted), axis=1))
    return np.mean(log_sum - shifted[np.arange(len(y)), y])


def mlp_forward(params, X):
    v = X
    for W, b in params[:-1]:
        v = np.tanh(v @ W + b)
    W, b = params[-1]
    return v @ W + b


def mlp_backward(params, X, y, tanh_derivative=True, mean=True):
    outputs = [X]
    for W, b in params[:-1]:
        outputs.append(np.tanh(outputs[-1] @ W + b))
    h = outputs[-1] @ params[-1][0] + params[-1][1]
    p = np.exp(h - np.max(h, axis=1, keepdims=True))
    p /= np.sum(p, axis=1, keepdims=True)
    z_bar = p
    z_bar[np.arange(len(y)), y] -= 1.0
    if mean:
        z_bar /= len(y)
    gradient = []
    for layer in reversed(range(len(params))):
        W, b = params[layer]
        v = outputs[layer]
        gradient.append((v.T @ z_bar, z_bar.sum(axis=0)))
        v_bar = z_bar @ W.T
        z_bar = v_bar * (1 - v**2) if tanh_derivative else v_bar
    return gradient[::-1]


def stub(*args):
    raise NotImplementedError()


# --- plausible wrong answers --------------------------------------------------------------------


def softmax_cross_entropy_overflows(h, y):
    p = np.exp(h) / np.sum(np.exp(h), axis=1, keepdims=True)
    return np.mean(-np.log(p[np.arange(len(y)), y]))


def softmax_cross_entropy_summed(h, y):
    return len(y) * softmax_cross_entropy(h, y)


def softmax_cross_entropy_forgets_max(h, y):
    shifted = h - np.max(h, axis=1, keepdims=True)
    return np.mean(np.log(np.sum(np.exp(shifted), axis=1)) - h[np.arange(len(y)), y])


def softmax_cross_entropy_per_example(h, y):
    shifted = h - np.max(h, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(shifted), axis=1)) - shifted[np.arange(len(y)), y]


def mlp_forward_tanh_on_logits(params, X):
    return np.tanh(mlp_forward(params, X))


def mlp_forward_without_bias(params, X):
    return mlp_forward([(W, 0 * b) for W, b in params], X)


def mlp_backward_no_tanh_derivative(params, X, y):
    return mlp_backward(params, X, y, tanh_derivative=False)


def mlp_backward_summed(params, X, y):
    return mlp_backward(params, X, y, mean=False)


def mlp_backward_flat_list(params, X, y):
    return [array for pair in mlp_backward(params, X, y) for array in pair]


SOLUTIONS = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "mlp_forward": mlp_forward,
    "mlp_backward": mlp_backward,
}

WRONG = [
    ("softmax_cross_entropy", softmax_cross_entropy_overflows),
    ("softmax_cross_entropy", softmax_cross_entropy_summed),
    ("softmax_cross_entropy", softmax_cross_entropy_forgets_max),
    ("softmax_cross_entropy", softmax_cross_entropy_per_example),
    ("mlp_forward", mlp_forward_tanh_on_logits),
    ("mlp_forward", mlp_forward_without_bias),
    ("mlp_backward", mlp_backward_no_tanh_derivative),
    ("mlp_backward", mlp_backward_summed),
    ("mlp_backward", mlp_backward_flat_list),
]

TestBothWays = both_ways("06_backprop", SOLUTIONS, stub, WRONG)


def test_overflowing_softmax_is_told_to_subtract_the_max():
    verdict = run_check("softmax_cross_entropy", softmax_cross_entropy_overflows)
    assert "1000" in verdict.detail and "maximum" in verdict.hint, verdict.text


def test_missing_tanh_derivative_is_named():
    verdict = run_check("mlp_backward", mlp_backward_no_tanh_derivative)
    assert "derivative of tanh" in verdict.hint, verdict.text


def test_summed_gradient_is_named():
    verdict = run_check("mlp_backward", mlp_backward_summed)
    assert "summed" in verdict.hint, verdict.text


def test_tanh_on_logits_is_named():
    verdict = run_check("mlp_forward", mlp_forward_tanh_on_logits)
    assert "last layer" in verdict.hint, verdict.text


def test_reference_gradient_is_the_hand_written_one():
    """The check's expected gradient (the library's grad) equals backprop by hand."""
    params = make_params((2, 5, 4, 3), seed=0)
    X = np.random.default_rng(1).standard_normal((7, 2))
    y = np.array([0, 1, 2, 2, 1, 0, 1])
    for (W_bar, b_bar), (W_ref, b_ref) in zip(
        mlp_backward(params, X, y), reference_gradient(params, X, y)
    ):
        assert np.allclose(W_bar, W_ref) and np.allclose(b_bar, b_ref)
    assert np.allclose(mlp_forward(params, X), reference_forward(params, X))
