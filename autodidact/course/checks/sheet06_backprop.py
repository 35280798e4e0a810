"""Checks for sheet 06, backpropagation through a network.

The reference loss and network below are written with `autodidact.numpy`, so
the expected gradient of `mlp_backward` comes from the library's own `grad`:
backpropagation by hand is held to reverse mode done by the machine. The
inputs include logits near +-1000 (a softmax that exponentiates them
overflows), a true class 2000 below the largest logit (a loss that takes the
log of a probability that underflowed to 0 is infinite), a network with two
hidden layers (one activation derivative left out shows), and a batch of
several examples (a sum where the mean belongs shows).

While a check runs, the student's code may not call the references below,
nor, for `mlp_backward`, any differential operator of the library: the
backward pass is the exercise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import autodidact.numpy as anp
from autodidact import grad
from autodidact.course.checking import (
    FINITE_DIFFERENCES,
    OPERATORS,
    CheckFailed,
    Shortcuts,
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
)
from autodidact.reverse import defvjp
from autodidact.tracer import primitive

SHEET = "06_backprop"


def reference_loss(h, y):
    """Mean softmax cross-entropy, stable: -h_y + max + log sum exp(h - max), per row."""
    h_max = anp.max(h, axis=1, keepdims=True)
    shifted = h - h_max
    log_sum = anp.log(anp.sum(anp.exp(shifted), axis=1))
    return anp.mean(log_sum - shifted[np.arange(len(y)), y])


def reference_forward(params, X, hidden=anp.tanh):
    """The logits of the network: `hidden` after every layer but the last."""
    v = X
    for index, (W, b) in enumerate(params):
        z = v @ W + b
        v = hidden(z) if index < len(params) - 1 else z
    return v


def reference_gradient(params, X, y, hidden=anp.tanh):
    """The gradient of the mean loss with respect to params, by the library's reverse mode."""
    return grad(lambda params: reference_loss(reference_forward(params, X, hidden), y))(params)


@primitive
def tanh_with_slope_one(z):
    """tanh(z) going forwards, but its VJP passes the adjoint through as if tanh' were 1.

    The gradient of a network built with it is the one a backward pass gets
    when it forgets the derivative of tanh: the likeliest slip of the exercise.
    """
    return np.tanh(z)


defvjp(tanh_with_slope_one, lambda g, ans, z: g)


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
            "the exercise asks for one number: the mean over the batch of the per-example losses.",
        )
    return number


# Libraries that would compute the loss's hard part, log sum exp, for the student.
LOG_SUM_EXP_HELPERS = (
    "scipy.special.logsumexp",
    "scipy.special.log_softmax",
    "scipy.special.softmax",
)

# --- softmax_cross_entropy ----------------------------------------------------------------------

LOSS_HINT = "h has shape (B, k) and y holds B integer class labels, one for each row of h."
LOSS_ROUTE = (
    "l(h, y) = -h_y + log sum_j exp(h_j) for each row; log sum_j exp(h_j) = m + "
    "log sum_j exp(h_j - m) for any m, and m = max_j h_j keeps every exponent at most 0. "
    "The entries h_{i, y_i} of all rows at once: index h with the row numbers and y together."
)
FORGOT_THE_SHIFT = (
    "each row's loss is short by its maximum m = max_j h_j: shifting h by m lowers "
    "log sum exp by exactly m, and it must be added back."
)


@exercise_check(
    "softmax_cross_entropy",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="NumPy (np.max, np.exp, np.log, np.sum, np.mean) and indexing",
        blocked=(*LOG_SUM_EXP_HELPERS, reference_loss),
    ),
)
def softmax_cross_entropy(student: Callable) -> str:
    """The mean over the batch of -h_y + log sum_j exp(h_j), without overflow or underflow."""
    h = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [-0.3, 0.2, 0.4], [1.0, 1.0, 1.0]])
    y = np.array([0, 1, 2, 1])
    on = f"h = {format_value(h, 70)}, y = {format_value(y)}"
    got = _scalar(call_student(student, h, y, on=on, hint=LOSS_HINT, route=LOSS_ROUTE), on)
    expected = float(reference_loss(h, y))
    per_example = np.log(np.sum(np.exp(h), axis=1)) - h[np.arange(4), y]
    hint = "this is not the mean over the rows of -h_y + log sum_j exp(h_j)."
    if np.isclose(got, per_example.sum()):
        hint = "that is the sum over the batch, 4 times the mean; the exercise asks for the mean."
    elif np.isclose(got, -np.mean(h[np.arange(4), y])):
        hint = "you left out the log sum_j exp(h_j) term, which makes the probabilities sum to 1."
    elif np.isclose(got, expected - np.mean(np.max(h, axis=1))):
        hint = FORGOT_THE_SHIFT
    expect_close(got, expected, on=on, what="mean loss", hint=hint, rtol=1e-9, route=LOSS_ROUTE)

    for h, y, what in (
        (
            np.array([[1000.0, 999.0, 998.0], [998.5, 1000.0, 999.0], [1001.0, 1000.0, 1002.0]]),
            np.array([0, 1, 2]),
            "logits near 1000",
        ),
        (
            np.array([[1000.0, 0.0, -1000.0], [-1000.0, -999.0, -1001.0], [0.0, 5.0, 900.0]]),
            np.array([0, 1, 2]),
            "logits from -1000 to 1000",
        ),
        (
            np.array([[1000.0, 0.0, -1000.0], [0.0, 1.0, 2.0]]),
            np.array([2, 2]),
            "a true class 2000 below the largest logit",
        ),
    ):
        on = f"{what}, h = {format_value(h, 80)}, y = {format_value(y)}"
        got = _scalar(call_student(student, h, y, on=on, hint=LOSS_HINT, route=LOSS_ROUTE), on)
        expected = float(reference_loss(h, y))
        if np.isinf(got) and np.isfinite(np.max(h)) and what.startswith("a true class"):
            hint = (
                "the probability of the true class, about exp(-2000), underflows to 0 and "
                "log 0 = -inf: compute log p_y without ever forming p_y."
            )
        else:
            hint = (
                "exp(1000) overflows to inf (and inf / inf is nan): no exponent may be "
                "large; shift each row of h by its maximum first."
            )
        expect(
            bool(np.isfinite(got)),
            on=on,
            expected=f"a finite loss {expected:.6g}",
            got=f"{got}",
            hint=hint,
            route=LOSS_ROUTE,
        )
        expect_close(
            got,
            expected,
            on=on,
            what="mean loss",
            rtol=1e-9,
            hint=FORGOT_THE_SHIFT,
            route=LOSS_ROUTE,
        )
    return "right on 4 batches, finite for logits near +-1000."


# --- mlp_forward --------------------------------------------------------------------------------

FORWARD_HINT = (
    "params is a list of (W, b) pairs, input layer first, W of shape (n_in, n_out) and b of "
    "shape (n_out,); X has one example per row."
)
FORWARD_ROUTE = (
    "v_0 = X; v_k = tanh(v_{k-1} W_k + b_k) for every layer but the last; the last layer's "
    "v_{t-1} W_t + b_t, with no tanh, is the logits."
)


@exercise_check(
    "mlp_forward",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="NumPy (np.tanh, the matrix product @) and a loop over the layers",
        blocked=(reference_forward,),
    ),
)
def mlp_forward(student: Callable) -> str:
    """Logits of an MLP: tanh(v W + b) on every hidden layer, v W + b on the last."""
    X = np.random.default_rng(30).standard_normal((5, 3))
    for sizes, seed in (((3, 4, 2), 31), ((3, 6, 5, 4), 32)):
        params = make_params(sizes, seed)
        on = f"layer sizes {sizes}, a batch of 5 inputs X[0] = {format_value(X[0])}"
        got = call_student(student, params, X, on=on, hint=FORWARD_HINT, route=FORWARD_ROUTE)
        expected = reference_forward(params, X)
        hint = "these are not the network's logits."
        got_array = np.asarray(got, dtype=float) if not isinstance(got, (tuple, list)) else None
        if got_array is not None and got_array.shape == expected.shape:
            if np.allclose(got_array, np.tanh(expected)):
                hint = (
                    "these are tanh of the right logits: the last layer has no activation, "
                    "its output is the logits themselves."
                )
            elif np.allclose(got_array, reference_forward([(W, 0 * b) for W, b in params], X)):
                hint = "these are the logits with every bias set to 0: each layer adds its b."
        expect_close(
            got,
            expected,
            on=on,
            what="logits",
            hint=hint,
            rtol=1e-9,
            atol=1e-12,
            route=FORWARD_ROUTE,
        )
    return "right logits for networks with one and two hidden layers."


# --- mlp_backward -------------------------------------------------------------------------------

BACKWARD_HINT = (
    "the backward pass reads every layer's input from the forward pass: keep them on the way up."
)
TOP_ROUTE = (
    "at the top, the adjoint of the logits is h_bar = (softmax(h) - onehot(y)) / B; a layer "
    "z = v W + b then gives W_bar = v^T z_bar (v the layer's input) and b_bar = z_bar summed "
    "over the batch."
)
DOWN_ROUTE = (
    "going down a layer, v_bar = z_bar W^T; then through tanh, z_bar = v_bar * tanh'(z) entry "
    "by entry, and tanh'(z) = 1 - tanh(z)^2 = 1 - v^2 with v = tanh(z) the output the forward "
    "pass kept."
)


def _gradient_pairs(result: object, params: list, on: str) -> list[tuple[object, object]]:
    shapes = [(W.shape, b.shape) for W, b in params]
    wanted = f"a list of {len(params)} (W_bar, b_bar) pairs with shapes {shapes}"
    if not isinstance(result, (list, tuple)) or len(result) != len(params):
        raise CheckFailed(
            f"{on}: expected {wanted}, got {format_value(result)}",
            "the gradient has the structure of params: one (W_bar, b_bar) pair per layer, "
            "input layer first.",
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


def _mistake_hint(got_pairs, params, X, y, expected) -> str | None:
    """Name the mistake when the student's gradient matches a known wrong one."""
    batch = len(y)

    def same(candidate) -> bool:
        return all(
            _close(g_W, c_W) and _close(g_b, c_b)
            for (g_W, g_b), (c_W, c_b) in zip(got_pairs, candidate)
        )

    if same([(batch * W, batch * b) for W, b in expected]):
        return f"that is the summed loss's gradient, {batch} times too big: the loss is a mean."
    if same([(W, 0 * b) for W, b in expected]):
        return "every b_bar is 0, but the biases get a gradient too."
    if same(reference_gradient(params, X, y, hidden=tanh_with_slope_one)):
        return (
            "the derivative of tanh is missing: the top layer is right, but every layer below "
            "got its adjoint as if tanh had slope 1."
        )
    if same([(-W, -b) for W, b in expected]):
        return "the sign is flipped: this is the gradient of minus the loss."
    return None


def _close(got: object, expected: np.ndarray) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-7, atol=1e-10))


@exercise_check(
    "mlp_backward",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="NumPy and the layer recursion of lecture 06 (no grad or other operator of "
        "the library, no rule of its primitives)",
        blocked=(
            *OPERATORS,
            *FINITE_DIFFERENCES,
            *LOG_SUM_EXP_HELPERS,
            "autodidact.numpy.numpy_vjps.unbroadcast",
            reference_gradient,
        ),
        rules_of=(anp.tanh, anp.matmul, anp.dot),
    ),
)
def mlp_backward(student: Callable) -> str:
    """The gradient of the mean loss by the layer recursion, compared with the library's grad."""
    rng = np.random.default_rng(40)
    X = rng.standard_normal((6, 3))
    y = np.array([0, 2, 1, 1, 0, 2])
    for sizes, seed in (((3, 4, 3), 41), ((3, 5, 4, 3), 42)):
        params = make_params(sizes, seed)
        on = f"layer sizes {sizes}, a batch of 6, y = {format_value(y)}"
        got_pairs = _gradient_pairs(
            call_student(student, params, X, y, on=on, hint=BACKWARD_HINT, route=TOP_ROUTE),
            params,
            on,
        )
        expected = reference_gradient(params, X, y)
        hint = _mistake_hint(got_pairs, params, X, y, expected)
        # Top layer first: a mistake in the recursion shows in the layers below it.
        for layer in reversed(range(len(params))):
            (got_W, got_b), (W_bar, b_bar) = got_pairs[layer], expected[layer]
            top = layer == len(params) - 1
            for got, want, name in ((got_W, W_bar, "W_bar"), (got_b, b_bar, "b_bar")):
                expect_close(
                    got,
                    want,
                    on=on,
                    what=f"{name} of layer {layer + 1}",
                    hint=hint or _layer_hint(layer, len(params)),
                    rtol=1e-7,
                    atol=1e-10,
                    route=TOP_ROUTE if top else DOWN_ROUTE,
                )
    return "gradients equal to the library's grad for one and two hidden layers."


def _layer_hint(layer: int, n_layers: int) -> str:
    if layer == n_layers - 1:
        return (
            "the top layer is already wrong, so the start of the backward pass is: the "
            "adjoint of the logits, or the top layer's W_bar and b_bar made from it."
        )
    return (
        f"the layers above are right, layer {layer + 1} is not: the adjoint went wrong on its "
        "way down, through a weight matrix or through tanh."
    )


__all__ = [
    "softmax_cross_entropy",
    "mlp_forward",
    "mlp_backward",
    "reference_loss",
    "reference_forward",
    "reference_gradient",
    "make_params",
]
