"""Checks for sheet 06, backpropagation through a network.

The reference loss and network below are written with `autodidact.numpy`, so
the expected gradient of `mlp_backward` comes from the library's own `grad`:
backpropagation by hand is held to reverse mode done by the machine. The
inputs include logits near +-1000 (a softmax that exponentiates them
overflows), a network with two hidden layers (one activation derivative left
out shows), and a batch of several examples (a sum where the mean belongs
shows).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import autodidact.numpy as anp
from autodidact import grad
from autodidact.course.checking import (
    CheckFailed,
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
)

SHEET = "06_backprop"

LOSS_HINT = "h has shape (B, k) and y holds B integer labels; pick h[np.arange(len(y)), y]."
FORWARD_HINT = "params is a list of (W, b) pairs: loop over them with v = tanh(v @ W + b)."
BACKWARD_HINT = (
    "keep each layer's output on the way up; on the way down, z_bar = v_bar * (1 - v**2), "
    "W_bar = v_below.T @ z_bar, b_bar = z_bar.sum(axis=0), v_below_bar = z_bar @ W.T."
)


def reference_loss(h, y):
    """Mean softmax cross-entropy, stable: -h_y + max + log sum exp(h - max), per row."""
    h_max = anp.max(h, axis=1, keepdims=True)
    shifted = h - h_max
    log_sum = anp.log(anp.sum(anp.exp(shifted), axis=1))
    return anp.mean(log_sum - shifted[np.arange(len(y)), y])


def reference_forward(params, X, hidden=anp.tanh):
    v = X
    for index, (W, b) in enumerate(params):
        z = v @ W + b
        v = hidden(z) if index < len(params) - 1 else z
    return v


def reference_gradient(params, X, y):
    return grad(lambda params: reference_loss(reference_forward(params, X), y))(params)


def make_params(sizes: tuple[int, ...], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((m, n)) / np.sqrt(m), 0.3 * rng.standard_normal(n))
        for m, n in zip(sizes[:-1], sizes[1:])
    ]


def _scalar(value: object, on: str) -> float:
    try:
        number = float(np.asarray(value, dtype=float))
        ok = np.ndim(value) == 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise CheckFailed(
            f"{on}: expected one number (the mean loss over the batch), got {format_value(value)}",
            "average the per-example losses, e.g. with np.mean, and return that scalar.",
        )
    return number


# --- softmax_cross_entropy ----------------------------------------------------------------------


@exercise_check("softmax_cross_entropy", sheet=SHEET)
def softmax_cross_entropy(student: Callable) -> str:
    """The mean over the batch of -h_y + log sum_j exp(h_j), without overflow."""
    h = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [-0.3, 0.2, 0.4], [1.0, 1.0, 1.0]])
    y = np.array([0, 1, 2, 1])
    on = f"h = {format_value(h, 70)}, y = {format_value(y)}"
    got = _scalar(call_student(student, h, y, on=on, hint=LOSS_HINT), on)
    expected = float(reference_loss(h, y))
    per_example = np.log(np.sum(np.exp(h), axis=1)) - h[np.arange(4), y]
    hint = "l(h, y) = -h_y + log sum_j exp(h_j) for each row, then the mean over the rows."
    if np.isclose(got, per_example.sum()):
        hint = "that is the sum over the batch; the exercise asks for the mean."
    elif np.isclose(got, -np.mean(h[np.arange(4), y])):
        hint = "you left out the log sum_j exp(h_j) term, which makes the probabilities sum to 1."
    expect_close(got, expected, on=on, what="mean loss", hint=hint, rtol=1e-9)

    y_ints = [0, 1, 2]
    for h, what in (
        (
            np.array([[1000.0, 999.0, 998.0], [998.5, 1000.0, 999.0], [1001.0, 1000.0, 1002.0]]),
            "logits near 1000",
        ),
        (
            np.array([[1000.0, 0.0, -1000.0], [-1000.0, -999.0, -1001.0], [0.0, 5.0, 900.0]]),
            "logits from -1000 to 1000",
        ),
    ):
        y = np.array(y_ints)
        on = f"{what}, h = {format_value(h, 80)}, y = {format_value(y)}"
        got = _scalar(call_student(student, h, y, on=on, hint=LOSS_HINT), on)
        expected = float(reference_loss(h, y))
        expect(
            bool(np.isfinite(got)),
            on=on,
            expected=f"a finite loss {expected:.6g}",
            got=f"{got}",
            hint="exp(1000) overflows to inf: subtract each row's maximum from h first; "
            "log sum exp(h) = m + log sum exp(h - m) with m = max_j h_j.",
        )
        expect_close(
            got,
            expected,
            on=on,
            what="mean loss",
            rtol=1e-9,
            hint="after subtracting m = max_j h_j, add m back: log sum exp(h) = m + "
            "log sum exp(h - m).",
        )
    return "right on 3 batches, finite for logits near +-1000."


# --- mlp_forward --------------------------------------------------------------------------------


@exercise_check("mlp_forward", sheet=SHEET)
def mlp_forward(student: Callable) -> str:
    """Logits of an MLP: tanh(v W + b) on every hidden layer, v W + b on the last."""
    X = np.random.default_rng(30).standard_normal((5, 3))
    for sizes, seed in (((3, 4, 2), 31), ((3, 6, 5, 4), 32)):
        params = make_params(sizes, seed)
        on = f"layer sizes {sizes}, a batch of 5 inputs X[0] = {format_value(X[0])}"
        got = call_student(student, params, X, on=on, hint=FORWARD_HINT)
        expected = reference_forward(params, X)
        hint = "v = tanh(v @ W + b) for each hidden layer, and logits = v @ W + b for the last."
        got_array = np.asarray(got, dtype=float) if not isinstance(got, (tuple, list)) else None
        if got_array is not None and got_array.shape == expected.shape:
            if np.allclose(got_array, np.tanh(expected)):
                hint = "no tanh on the last layer: the network returns logits v @ W + b."
            elif np.allclose(got_array, reference_forward([(W, 0 * b) for W, b in params], X)):
                hint = "add the bias b of each layer: v @ W + b."
        expect_close(got, expected, on=on, what="logits", hint=hint, rtol=1e-9, atol=1e-12)
    return "right logits for networks with one and two hidden layers."


# --- mlp_backward -------------------------------------------------------------------------------


def _gradient_pairs(result: object, params: list, on: str) -> list[tuple[object, object]]:
    shapes = [(W.shape, b.shape) for W, b in params]
    wanted = f"a list of {len(params)} (W_bar, b_bar) pairs with shapes {shapes}"
    if not isinstance(result, (list, tuple)) or len(result) != len(params):
        raise CheckFailed(
            f"{on}: expected {wanted}, got {format_value(result)}",
            "return the gradient in the structure of params: [(W_bar, b_bar), ...], input first.",
        )
    pairs = []
    for pair in result:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise CheckFailed(
                f"{on}: expected {wanted}, got an entry {format_value(pair)}",
                "each layer's gradient is a pair (W_bar, b_bar).",
            )
        pairs.append(tuple(pair))
    return pairs


def _backward_without_tanh_derivative(params, X, y):
    """The tempting slip: pass the adjoint down through tanh as if its derivative were 1."""
    activations = [X]
    for W, b in params[:-1]:
        activations.append(np.tanh(activations[-1] @ W + b))
    h = activations[-1] @ params[-1][0] + params[-1][1]
    p = np.exp(h - h.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    z_bar = p
    z_bar[np.arange(len(y)), y] -= 1.0
    z_bar /= len(y)
    gradient = []
    for layer in reversed(range(len(params))):
        gradient.append((activations[layer].T @ z_bar, z_bar.sum(axis=0)))
        z_bar = z_bar @ params[layer][0].T  # the missing factor (1 - v**2)
    return gradient[::-1]


def _mistake_hint(got_pairs, params, X, y, expected) -> str | None:
    """Name the mistake when the student's gradient matches a known wrong one."""
    batch = len(y)

    def same(candidate) -> bool:
        return all(
            _close(g_W, c_W) and _close(g_b, c_b)
            for (g_W, g_b), (c_W, c_b) in zip(got_pairs, candidate)
        )

    if same([(batch * W, batch * b) for W, b in expected]):
        return f"that is the summed loss's gradient, {batch} times too big: divide by B."
    if same([(W, 0 * b) for W, b in expected]):
        return "the biases get a gradient too: b_bar = the sum over the batch of z_bar."
    if same(_backward_without_tanh_derivative(params, X, y)):
        return (
            "the derivative of tanh is missing: after v_bar = z_bar @ W.T, multiply by "
            "(1 - v**2) to get the adjoint of the layer's pre-activation."
        )
    if same([(-W, -b) for W, b in expected]):
        return "the sign is flipped: the top adjoint is softmax(h) - onehot(y), over b."
    return None


def _close(got: object, expected: np.ndarray) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-7, atol=1e-10))


@exercise_check("mlp_backward", sheet=SHEET)
def mlp_backward(student: Callable) -> str:
    """The gradient of the mean loss by the layer recursion, compared with the library's grad."""
    rng = np.random.default_rng(40)
    X = rng.standard_normal((6, 3))
    y = np.array([0, 2, 1, 1, 0, 2])
    for sizes, seed in (((3, 4, 3), 41), ((3, 5, 4, 3), 42)):
        params = make_params(sizes, seed)
        on = f"layer sizes {sizes}, a batch of 6, y = {format_value(y)}"
        got_pairs = _gradient_pairs(
            call_student(student, params, X, y, on=on, hint=BACKWARD_HINT), params, on
        )
        expected = reference_gradient(params, X, y)
        hint = _mistake_hint(got_pairs, params, X, y, expected)
        # Top layer first: a mistake in the recursion shows in the layers below it.
        for layer in reversed(range(len(params))):
            (got_W, got_b), (W_bar, b_bar) = got_pairs[layer], expected[layer]
            for got, want, name in ((got_W, W_bar, "W_bar"), (got_b, b_bar, "b_bar")):
                layer_hint = hint or _layer_hint(layer, len(params), name)
                expect_close(
                    got,
                    want,
                    on=on,
                    what=f"{name} of layer {layer + 1}",
                    hint=layer_hint,
                    rtol=1e-7,
                    atol=1e-10,
                )
    return "gradients equal to the library's grad for one and two hidden layers."


def _layer_hint(layer: int, n_layers: int, name: str) -> str:
    if layer == n_layers - 1:
        return (
            "at the top, z_bar = (softmax(h) - onehot(y)) / B; then W_bar = v^T z_bar and "
            "b_bar = z_bar summed over the batch, v the layer's input."
        )
    return (
        "going down a layer, v_bar = z_bar @ W.T, then z_bar = v_bar * (1 - v**2) (the "
        "derivative of tanh, with v = tanh(z) that layer's output)."
    )


__all__ = ["softmax_cross_entropy", "mlp_forward", "mlp_backward", "reference_loss"]
