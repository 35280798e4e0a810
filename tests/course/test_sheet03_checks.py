"""The checks of sheet 03 pass the solutions, and fail the stubs and plausible wrong answers."""

from __future__ import annotations

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact.course.checking import run_check
from autodidact.course.checks.sheet03_reverse_mode import EXAMPLE_ADJOINTS, EXAMPLE_TAPE

from .both_ways import Wrong, both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


def unbroadcast(target, g):
    shape = np.shape(target)
    while np.ndim(g) > len(shape):
        g = anp.sum(g, axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and np.shape(g)[axis] != 1:
            g = anp.sum(g, axis=axis, keepdims=True)
    return g


def sin_vjp(g, ans, x):
    return g * anp.cos(x)


def exp_vjp(g, ans, x):
    return g * ans


def log_vjp(g, ans, x):
    return g / x


def tanh_vjp(g, ans, x):
    return g * (1 - ans**2)


def relu_vjp(g, ans, x):
    return g * (x > 0)


def matmul_vjp_0(g, ans, A, B):
    return g @ anp.transpose(B)


def matmul_vjp_1(g, ans, A, B):
    return anp.transpose(A) @ g


def sum_vjp(g, ans, x, axis=None, keepdims=False):
    if axis is not None and not keepdims:
        g = anp.expand_dims(g, axis)
    return anp.broadcast_to(g, np.shape(x))


def broadcast_to_vjp(g, ans, x, shape):
    return unbroadcast(x, g)


def reshape_vjp(g, ans, x, shape):
    return anp.reshape(g, np.shape(x))


def transpose_vjp(g, ans, x, axes=None):
    if axes is None:
        return anp.transpose(g)
    return anp.transpose(g, np.argsort(axes))


def logsoftmax_vjp(g, ans, x):
    return g - anp.exp(ans) * anp.sum(g, axis=-1, keepdims=True)


def reverse_gradient(tape, output):
    adjoints = {output: 1.0}
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints.get(input_name, 0.0) + adjoints[name] * partial
    return adjoints


SOLUTIONS = {
    "unbroadcast": unbroadcast,
    "sin_vjp": sin_vjp,
    "exp_vjp": exp_vjp,
    "log_vjp": log_vjp,
    "tanh_vjp": tanh_vjp,
    "relu_vjp": relu_vjp,
    "matmul_vjp_0": matmul_vjp_0,
    "matmul_vjp_1": matmul_vjp_1,
    "sum_vjp": sum_vjp,
    "broadcast_to_vjp": broadcast_to_vjp,
    "reshape_vjp": reshape_vjp,
    "transpose_vjp": transpose_vjp,
    "logsoftmax_vjp": logsoftmax_vjp,
    "reverse_gradient": reverse_gradient,
}


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- plausible wrong answers --------------------------------------------------------------------


def unbroadcast_drops_size_one_axes(target, g):
    """Sums the stretched axes without keepdims: (3, 1) comes back as (3,)."""
    shape = np.shape(target)
    while np.ndim(g) > len(shape):
        g = np.sum(g, axis=0)
    axes = tuple(a for a, size in enumerate(shape) if size == 1 and np.shape(g)[a] != 1)
    return np.sum(g, axis=axes) if axes else g


def unbroadcast_leading_only(target, g):
    while np.ndim(g) > np.ndim(target):
        g = np.sum(g, axis=0)
    return g


def sin_vjp_no_g(g, ans, x):
    return np.cos(x)


def sin_vjp_plain_numpy_cos_of_ans(g, ans, x):
    return g * np.cos(ans)


def exp_vjp_uses_x(g, ans, x):
    return g * x


def log_vjp_times(g, ans, x):
    return g * x


def tanh_vjp_wrong(g, ans, x):
    return g * (1 - x**2)


def relu_vjp_passes_all(g, ans, x):
    return g


def matmul_vjp_0_wrong_order(g, ans, A, B):
    return B.T @ g if B.shape[1] == g.shape[0] else g @ B


def matmul_vjp_1_no_transpose(g, ans, A, B):
    return A @ g if A.shape[1] == g.shape[0] else g


def sum_vjp_ignores_axis(g, ans, x, axis=None, keepdims=False):
    return anp.broadcast_to(g, np.shape(x))


def broadcast_to_vjp_returns_g(g, ans, x, shape):
    return g


def reshape_vjp_to_shape(g, ans, x, shape):
    return anp.reshape(g, shape)


def transpose_vjp_same_axes(g, ans, x, axes=None):
    return anp.transpose(g, axes)


def logsoftmax_vjp_sums_everything(g, ans, x):
    return g - anp.exp(ans) * anp.sum(g)


def logsoftmax_vjp_forgets_softmax(g, ans, x):
    return g - anp.sum(g, axis=-1, keepdims=True)


def reverse_gradient_overwrites(tape, output):
    """The classic bug: = instead of +=, so a value with several children keeps only one share."""
    adjoints = {output: 1.0}
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints[name] * partial
    return adjoints


def reverse_gradient_forwards(tape, output):
    """Walks the tape in the forward order: adjoints are passed on before they are complete."""
    adjoints = {output: 1.0}
    for name, inputs in tape:
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints.get(input_name, 0.0) + adjoints.get(name, 0.0) * partial
    return adjoints


WRONG = [
    ("unbroadcast", unbroadcast_drops_size_one_axes, "keepdims"),
    ("unbroadcast", unbroadcast_leading_only, "size 1"),
    ("sin_vjp", sin_vjp_no_g, "cotangent g"),
    ("sin_vjp", sin_vjp_plain_numpy_cos_of_ans, "cos(x)"),
    ("exp_vjp", exp_vjp_uses_x, "ans"),
    ("log_vjp", log_vjp_times, "1/x"),
    ("tanh_vjp", tanh_vjp_wrong, "written with tanh itself"),
    ("relu_vjp", relu_vjp_passes_all, "x > 0"),
    Wrong("matmul_vjp_0", matmul_vjp_0_wrong_order, "G B^T", crashes=True),
    ("matmul_vjp_1", matmul_vjp_1_no_transpose, "A^T G"),
    Wrong("sum_vjp", sum_vjp_ignores_axis, "summed axes", crashes=True),
    ("broadcast_to_vjp", broadcast_to_vjp_returns_g, "sum g down"),
    ("reshape_vjp", reshape_vjp_to_shape, "x's shape"),
    ("transpose_vjp", transpose_vjp_same_axes, "argsort"),
    ("logsoftmax_vjp", logsoftmax_vjp_sums_everything, "last axis"),
    ("logsoftmax_vjp", logsoftmax_vjp_forgets_softmax, "softmax"),
    ("reverse_gradient", reverse_gradient_overwrites, "do not overwrite"),
    ("reverse_gradient", reverse_gradient_forwards, "from the end"),
]


TestBothWays = both_ways("03_reverse_mode", SOLUTIONS, stub, WRONG)


def test_a_rule_written_on_plain_values_fails_the_second_order_check():
    def sin_vjp_on_plain_values(g, ans, x):
        from autodidact.tracer import getval

        return getval(g) * np.cos(getval(x))

    verdict = run_check("sin_vjp", sin_vjp_on_plain_values)
    assert verdict.status == "FAIL", verdict.text
    assert "finite differences" in verdict.text


def test_overwriting_adjoints_names_the_shared_value():
    text = run_check("reverse_gradient", reverse_gradient_overwrites).text
    assert "v2_bar" in text and "expected" in text and "got 2" in text


def test_the_example_tape_gives_the_curriculum_adjoints():
    adjoints = reverse_gradient(EXAMPLE_TAPE, "v7")
    assert round(adjoints["v2"], 3) == 1.716 and adjoints["v1"] == 5.5
    assert adjoints == pytest.approx(EXAMPLE_ADJOINTS)
