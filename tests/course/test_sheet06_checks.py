"""The checks of sheet 06 pass the solutions, and fail the stubs, plausible wrong answers and
answers that let the library (or the check's own references) do the work."""

from __future__ import annotations

import numpy as np
import scipy.special
from scipy.special import logsumexp

import autodidact.numpy as anp
from autodidact import grad, reverse
from autodidact.course.checking import run_check
from autodidact.course.checks.sheet06_backprop import (
    make_params,
    reference_forward,
    reference_gradient,
    reference_loss,
)

from .both_ways import both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


def softmax_cross_entropy(h, y):
    m = np.max(h, axis=1, keepdims=True)
    log_sum = np.log(np.sum(np.exp(h - m), axis=1))
    return np.mean(m[:, 0] + log_sum - h[np.arange(len(y)), y])


def mlp_forward(params, X):
    v = X
    for W, b in params[:-1]:
        v = np.tanh(v @ W + b)
    W, b = params[-1]
    return v @ W + b


def mlp_backward(params, X, y, tanh_derivative=True, mean=True):
    inputs = [X]
    for W, b in params[:-1]:
        inputs.append(np.tanh(inputs[-1] @ W + b))
    h = inputs[-1] @ params[-1][0] + params[-1][1]
    p = np.exp(h - np.max(h, axis=1, keepdims=True))
    p /= np.sum(p, axis=1, keepdims=True)
    z_bar = p
    z_bar[np.arange(len(y)), y] -= 1.0
    if mean:
        z_bar /= len(y)
    gradient = []
    for layer in reversed(range(len(params))):
        W, b = params[layer]
        v = inputs[layer]
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


def softmax_cross_entropy_log_of_stable_softmax(h, y):
    """Stable probabilities, then their log: p_y underflows to 0 for a very wrong prediction."""
    p = np.exp(h - np.max(h, axis=1, keepdims=True))
    p /= np.sum(p, axis=1, keepdims=True)
    return np.mean(-np.log(p[np.arange(len(y)), y]))


def softmax_cross_entropy_summed(h, y):
    return len(y) * softmax_cross_entropy(h, y)


def softmax_cross_entropy_forgets_max(h, y):
    shifted = h - np.max(h, axis=1, keepdims=True)
    return np.mean(np.log(np.sum(np.exp(shifted), axis=1)) - h[np.arange(len(y)), y])


def softmax_cross_entropy_per_example(h, y):
    shifted = h - np.max(h, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(shifted), axis=1)) - shifted[np.arange(len(y)), y]


def softmax_cross_entropy_without_log_sum(h, y):
    return -np.mean(h[np.arange(len(y)), y])


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


def mlp_backward_no_bias_gradient(params, X, y):
    return [(W_bar, 0 * b_bar) for W_bar, b_bar in mlp_backward(params, X, y)]


def mlp_backward_sign_flipped(params, X, y):
    return [(-W_bar, -b_bar) for W_bar, b_bar in mlp_backward(params, X, y)]


def mlp_backward_wrong_top_adjoint(params, X, y):
    """Starts from softmax(h) alone, forgetting the one-hot: already the top layer is wrong."""
    inputs = [X]
    for W, b in params[:-1]:
        inputs.append(np.tanh(inputs[-1] @ W + b))
    h = inputs[-1] @ params[-1][0] + params[-1][1]
    p = np.exp(h - np.max(h, axis=1, keepdims=True))
    z_bar = p / np.sum(p, axis=1, keepdims=True) / len(y)
    gradient = []
    for layer in reversed(range(len(params))):
        v = inputs[layer]
        gradient.append((v.T @ z_bar, z_bar.sum(axis=0)))
        z_bar = (z_bar @ params[layer][0].T) * (1 - v**2)
    return gradient[::-1]


def mlp_backward_derivative_at_pre_activation(params, X, y):
    """Keeps the pre-activations z and takes 1 - z**2 for tanh': the slope at the wrong point."""
    inputs, pre_activations = [X], [None]
    for W, b in params[:-1]:
        pre_activations.append(inputs[-1] @ W + b)
        inputs.append(np.tanh(pre_activations[-1]))
    h = inputs[-1] @ params[-1][0] + params[-1][1]
    p = np.exp(h - np.max(h, axis=1, keepdims=True))
    z_bar = (p / np.sum(p, axis=1, keepdims=True) - np.eye(h.shape[1])[y]) / len(y)
    gradient = []
    for layer in reversed(range(len(params))):
        gradient.append((inputs[layer].T @ z_bar, z_bar.sum(axis=0)))
        if layer > 0:
            z_bar = (z_bar @ params[layer][0].T) * (1 - pre_activations[layer] ** 2)
    return gradient[::-1]


# --- shortcuts: the library, or the check's own references, doing the exercise ------------------


def softmax_cross_entropy_with_scipy(h, y):
    return np.mean(logsumexp(h, axis=1) - h[np.arange(len(y)), y])


def softmax_cross_entropy_with_scipy_dotted(h, y):
    return np.mean(-scipy.special.log_softmax(h, axis=1)[np.arange(len(y)), y])


def softmax_cross_entropy_with_the_check_reference(h, y):
    return float(reference_loss(h, y))


def mlp_forward_with_the_check_reference(params, X):
    return reference_forward(params, X)


def _anp_loss(params, X, y):
    v = X
    for W, b in params[:-1]:
        v = anp.tanh(v @ W + b)
    h = v @ params[-1][0] + params[-1][1]
    m = anp.max(h, axis=1, keepdims=True)
    return anp.mean(anp.log(anp.sum(anp.exp(h - m), axis=1)) + m[:, 0] - h[np.arange(len(y)), y])


def mlp_backward_with_grad(params, X, y):
    return grad(_anp_loss)(params, X, y)


def mlp_backward_with_the_check_reference(params, X, y):
    return reference_gradient(params, X, y)


def mlp_backward_with_the_library_tanh_rule(params, X, y):
    """By hand, except that tanh's adjoint comes from the library's registered rule."""
    tanh_vjp = reverse.vjp_rules[anp.tanh][0]
    inputs = [X]
    for W, b in params[:-1]:
        inputs.append(np.tanh(inputs[-1] @ W + b))
    h = inputs[-1] @ params[-1][0] + params[-1][1]
    p = np.exp(h - np.max(h, axis=1, keepdims=True))
    z_bar = (p / np.sum(p, axis=1, keepdims=True) - np.eye(h.shape[1])[y]) / len(y)
    gradient = []
    for layer in reversed(range(len(params))):
        v = inputs[layer]
        gradient.append((v.T @ z_bar, z_bar.sum(axis=0)))
        z_bar = tanh_vjp(z_bar @ params[layer][0].T, v, None)
    return gradient[::-1]


SOLUTIONS = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "mlp_forward": mlp_forward,
    "mlp_backward": mlp_backward,
}

WRONG = [
    ("softmax_cross_entropy", softmax_cross_entropy_overflows, "overflows"),
    ("softmax_cross_entropy", softmax_cross_entropy_log_of_stable_softmax, "underflows to 0"),
    ("softmax_cross_entropy", softmax_cross_entropy_summed, "the sum over the batch"),
    ("softmax_cross_entropy", softmax_cross_entropy_forgets_max, "added back"),
    ("softmax_cross_entropy", softmax_cross_entropy_per_example, "one number"),
    ("softmax_cross_entropy", softmax_cross_entropy_without_log_sum, "left out the log sum"),
    ("mlp_forward", mlp_forward_tanh_on_logits, "last layer has no activation"),
    ("mlp_forward", mlp_forward_without_bias, "every bias set to 0"),
    ("mlp_backward", mlp_backward_no_tanh_derivative, "derivative of tanh is missing"),
    ("mlp_backward", mlp_backward_summed, "summed loss"),
    ("mlp_backward", mlp_backward_flat_list, "one (W_bar, b_bar) pair per layer"),
    ("mlp_backward", mlp_backward_no_bias_gradient, "biases get a gradient too"),
    ("mlp_backward", mlp_backward_sign_flipped, "sign is flipped"),
    ("mlp_backward", mlp_backward_wrong_top_adjoint, "top layer is already wrong"),
    ("mlp_backward", mlp_backward_derivative_at_pre_activation, "layer 1 is not"),
]

SHORTCUTS = [
    ("softmax_cross_entropy", softmax_cross_entropy_with_scipy),
    ("softmax_cross_entropy", softmax_cross_entropy_with_scipy_dotted),
    ("softmax_cross_entropy", softmax_cross_entropy_with_the_check_reference),
    ("mlp_forward", mlp_forward_with_the_check_reference),
    ("mlp_backward", mlp_backward_with_grad),
    ("mlp_backward", mlp_backward_with_the_check_reference),
    ("mlp_backward", mlp_backward_with_the_library_tanh_rule),
]

TestBothWays = both_ways("06_backprop", SOLUTIONS, stub, WRONG, SHORTCUTS)


def test_overflowing_softmax_is_told_to_shift_by_the_maximum():
    verdict = run_check("softmax_cross_entropy", softmax_cross_entropy_overflows)
    assert "1000" in verdict.detail and "maximum" in verdict.hint, verdict.text


def test_the_route_of_the_loss_gives_the_identity_not_the_code():
    verdict = run_check("softmax_cross_entropy", softmax_cross_entropy_overflows, route=True)
    assert "m = max_j h_j" in verdict.route and "np." not in verdict.route, verdict.text


def test_the_route_of_the_backward_pass_gives_the_derivative_of_tanh():
    verdict = run_check("mlp_backward", mlp_backward_no_tanh_derivative, route=True)
    assert "1 - v^2" in verdict.route, verdict.text


def test_a_grad_shortcut_names_grad_and_what_is_allowed():
    verdict = run_check("mlp_backward", mlp_backward_with_grad)
    assert "autodidact.grad" in verdict.detail and "layer recursion" in verdict.hint, verdict.text


def test_the_library_works_again_after_a_shortcut_was_refused():
    run_check("mlp_backward", mlp_backward_with_the_library_tanh_rule)
    run_check("softmax_cross_entropy", softmax_cross_entropy_with_scipy_dotted)
    assert np.isclose(grad(lambda x: anp.tanh(x))(0.5), 1 - np.tanh(0.5) ** 2)
    assert np.isclose(scipy.special.logsumexp(np.zeros(2)), np.log(2))


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
    assert np.isclose(softmax_cross_entropy(X, y % 2), reference_loss(X, y % 2))
