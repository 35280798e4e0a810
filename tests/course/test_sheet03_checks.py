"""The checks of sheet 03 pass the solutions, fail the stubs, plausible wrong answers and
answers that let the library do the work.

The answers here are compiled from this file, outside the package: to the checks they are a
student's code, exactly as if they came from a notebook.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import elementwise_grad, grad, make_vjp, reverse
from autodidact.course.checking import run_check
from autodidact.course.checks.sheet03_reverse_mode import (
    EXAMPLE_ADJOINTS,
    EXAMPLE_TAPE,
    SIDE_ADJOINTS,
    SIDE_TAPE,
    reference_reverse_gradient,
)
from autodidact.numpy import numpy_vjps
from autodidact.numpy.numpy_vjps import unbroadcast as library_unbroadcast
from autodidact.teaching.trace_table import reverse_steps

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
    adjoints = {}
    for name, inputs in tape:
        adjoints[name] = 0.0
        for input_name, _ in inputs:
            adjoints[input_name] = 0.0
    adjoints[output] = 1.0
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] += adjoints[name] * partial
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


def unbroadcast_returns_g(target, g):
    return g


def sin_vjp_no_g(g, ans, x):
    return np.cos(x)


def sin_vjp_plain_numpy_cos_of_ans(g, ans, x):
    return g * np.cos(ans)


def sin_vjp_wrong_sign(g, ans, x):
    return -g * np.cos(x)


def exp_vjp_uses_x(g, ans, x):
    return g * x


def log_vjp_times(g, ans, x):
    return g * x


def log_vjp_divides_by_ans(g, ans, x):
    return g / ans


def tanh_vjp_wrong(g, ans, x):
    return g * (1 - x**2)


def relu_vjp_passes_all(g, ans, x):
    return g


def relu_vjp_slope_one_at_zero(g, ans, x):
    """x >= 0 instead of x > 0: slope 1 at the kink, which the sheet sets to 0."""
    return g * (x >= 0)


def relu_vjp_half_at_zero(g, ans, x):
    return g * np.heaviside(x, 0.5)


def matmul_vjp_0_wrong_order(g, ans, A, B):
    return B.T @ g if B.shape[1] == g.shape[0] else g @ B


def matmul_vjp_0_transposes_only_when_needed(g, ans, A, B):
    """Right where only one product fits; g B (not g B^T) when B is square."""
    return g @ B if g.shape[1] == B.shape[0] else g @ B.T


def matmul_vjp_1_no_transpose(g, ans, A, B):
    return A @ g if A.shape[1] == g.shape[0] else g


def sum_vjp_ignores_axis(g, ans, x, axis=None, keepdims=False):
    return anp.broadcast_to(g, np.shape(x))


def sum_vjp_expands_even_with_keepdims(g, ans, x, axis=None, keepdims=False):
    if axis is not None:
        g = anp.expand_dims(g, axis)
    return anp.broadcast_to(g, np.shape(x))


def broadcast_to_vjp_returns_g(g, ans, x, shape):
    return g


def reshape_vjp_to_shape(g, ans, x, shape):
    return anp.reshape(g, shape)


def reshape_vjp_by_transposing(g, ans, x, shape):
    """Right shape from a transpose: the entries move out of their flat order."""
    return anp.transpose(g) if np.shape(g)[::-1] == np.shape(x) else anp.reshape(g, np.shape(x))


def transpose_vjp_same_axes(g, ans, x, axes=None):
    return anp.transpose(g, axes)


def logsoftmax_vjp_sums_everything(g, ans, x):
    return g - anp.exp(ans) * anp.sum(g)


def logsoftmax_vjp_forgets_softmax(g, ans, x):
    return g - anp.sum(g, axis=-1, keepdims=True)


def logsoftmax_vjp_identity(g, ans, x):
    return g


def reverse_gradient_overwrites(tape, output):
    """The classic bug: = instead of +=, so a value with several children keeps only one share."""
    adjoints = {output: 1.0}
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints.get(name, 0.0) * partial
    return adjoints


def reverse_gradient_forwards(tape, output):
    """Walks the tape in the forward order: adjoints are passed on before they are complete."""
    adjoints = {output: 1.0}
    for name, inputs in tape:
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints.get(input_name, 0.0) + adjoints.get(name, 0.0) * partial
    return adjoints


def reverse_gradient_reached_nodes_only(tape, output):
    """Right on every node the walk passes an adjoint to, but a node nothing reaches has no key."""
    adjoints = {output: 1.0}
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints.get(input_name, 0.0) + adjoints.get(name, 0.0) * partial
    return adjoints


def reverse_gradient_seeds_the_last_entry(tape, output):
    """Takes the last entry of the tape for the output."""
    adjoints = {name: 0.0 for name, _ in tape}
    for _, inputs in tape:
        adjoints.update({input_name: 0.0 for input_name, _ in inputs})
    adjoints[tape[-1][0]] = 1.0
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] += adjoints[name] * partial
    return adjoints


def reverse_gradient_key_error_after_the_output(tape, output):
    """Looks up adjoints[name] for every entry: a node after the output has none yet."""
    adjoints = {output: 1.0}
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints.get(input_name, 0.0) + adjoints[name] * partial
    return adjoints


WRONG = [
    ("unbroadcast", unbroadcast_drops_size_one_axes, "summed away instead of kept at size 1"),
    ("unbroadcast", unbroadcast_leading_only, "were not added up"),
    ("unbroadcast", unbroadcast_returns_g, "nothing was summed"),
    ("sin_vjp", sin_vjp_no_g, "does not change with g"),
    ("sin_vjp", sin_vjp_plain_numpy_cos_of_ans, "belongs at the input x"),
    ("sin_vjp", sin_vjp_wrong_sign, "sign is flipped"),
    ("exp_vjp", exp_vjp_uses_x, "not x itself"),
    ("log_vjp", log_vjp_times, "slope shrinks as x grows"),
    ("log_vjp", log_vjp_divides_by_ans, "depends on x itself"),
    ("tanh_vjp", tanh_vjp_wrong, "receives as ans, not with x"),
    ("relu_vjp", relu_vjp_passes_all, "passes g through everywhere"),
    ("relu_vjp", relu_vjp_slope_one_at_zero, "slope at the kink x = 0 to be 0"),
    ("relu_vjp", relu_vjp_half_at_zero, "slope 0.5"),
    Wrong("matmul_vjp_0", matmul_vjp_0_wrong_order, "does not fit", crashes=True),
    ("matmul_vjp_0", matmul_vjp_0_transposes_only_when_needed, "more than one product"),
    ("matmul_vjp_1", matmul_vjp_1_no_transpose, "B's shape (3, 4)"),
    Wrong("sum_vjp", sum_vjp_ignores_axis, "removed that axis", crashes=True),
    Wrong("sum_vjp", sum_vjp_expands_even_with_keepdims, "still has the summed axes", crashes=True),
    ("broadcast_to_vjp", broadcast_to_vjp_returns_g, "broadcast shape"),
    ("reshape_vjp", reshape_vjp_to_shape, "the output's shape"),
    ("reshape_vjp", reshape_vjp_by_transposing, "right shape, wrong order"),
    ("transpose_vjp", transpose_vjp_same_axes, "twice does not undo it"),
    ("logsoftmax_vjp", logsoftmax_vjp_sums_everything, "mixes the rows"),
    ("logsoftmax_vjp", logsoftmax_vjp_forgets_softmax, "not delta_ij - 1"),
    ("logsoftmax_vjp", logsoftmax_vjp_identity, "is g itself"),
    ("reverse_gradient", reverse_gradient_overwrites, "only one of the two shares"),
    ("reverse_gradient", reverse_gradient_forwards, "passed on before they were complete"),
    Wrong("reverse_gradient", reverse_gradient_reached_nodes_only, "an adjoint for 'z'"),
    ("reverse_gradient", reverse_gradient_seeds_the_last_entry, "you seeded the last entry"),
    Wrong(
        "reverse_gradient",
        reverse_gradient_key_error_after_the_output,
        "computed after the output",
        crashes=True,
    ),
]


# --- shortcuts: answers that let the library do the exercise -------------------------------------


def unbroadcast_from_the_library(target, g):
    return library_unbroadcast(target, g)


def unbroadcast_through_make_vjp(target, g):
    pull_back, _ = make_vjp(lambda t: anp.broadcast_to(t, np.shape(g)))(target)
    return pull_back(g)


def unbroadcast_through_the_add_rule(target, g):
    return reverse.vjp_rules[anp.add][0](g, g, target, g)


def sin_vjp_through_make_vjp(g, ans, x):
    pull_back, _ = make_vjp(anp.sin)(x)
    return pull_back(g)


def sin_vjp_through_the_registry(g, ans, x):
    return reverse.vjp_rules[anp.sin][0](g, ans, x)


def exp_vjp_through_elementwise_grad(g, ans, x):
    return g * elementwise_grad(anp.exp)(x)


def log_vjp_through_the_registry(g, ans, x):
    return reverse.vjp_rules[anp.log][0](g, ans, x)


def tanh_vjp_through_grad(g, ans, x):
    return g * np.vectorize(grad(anp.tanh))(x)


def relu_vjp_through_the_maximum_rule(g, ans, x):
    return reverse.vjp_rules[anp.maximum][0](g, ans, x, 0.0)


def matmul_vjp_0_through_make_vjp(g, ans, A, B):
    pull_back, _ = make_vjp(lambda a: a @ B)(A)
    return pull_back(g)


def matmul_vjp_1_from_the_library(g, ans, A, B):
    return numpy_vjps.matmul_vjp_b(g, ans, A, B)


def sum_vjp_through_the_registry(g, ans, x, axis=None, keepdims=False):
    return reverse.vjp_rules[anp.sum][0](g, ans, x, axis=axis, keepdims=keepdims)


def broadcast_to_vjp_from_the_library(g, ans, x, shape):
    return library_unbroadcast(x, g)


def reshape_vjp_through_the_registry(g, ans, x, shape):
    return reverse.vjp_rules[anp.reshape][0](g, ans, x, shape)


def transpose_vjp_from_the_library(g, ans, x, axes=None):
    return numpy_vjps.transpose_vjp(g, ans, x, axes)


def logsoftmax_vjp_through_make_vjp(g, ans, x):
    pull_back, _ = make_vjp(lambda x: x - anp.log(anp.sum(anp.exp(x), axis=-1, keepdims=True)))(x)
    return pull_back(g)


def reverse_gradient_through_grad(tape, output):
    """Perturb every node by eps[name] and let grad find d output / d eps, node by node."""
    names = list(dict.fromkeys([n for n, _ in tape] + [i for _, ins in tape for i, _ in ins]))

    def output_of(eps):
        values = {name: eps[name] for name in names}
        for name, inputs in tape:
            values[name] = eps[name] + sum(partial * values[i] for i, partial in inputs)
        return values[output]

    return grad(output_of)({name: 0.0 for name in names})


def reverse_gradient_through_the_stepper(tape, output):
    """Dress the tape up as a trace table and let the lecture's stepper run the backward pass."""
    entries = tape[: [name for name, _ in tape].index(output) + 1]
    inputs = list(dict.fromkeys(i for _, ins in entries for i, _ in ins if i not in dict(entries)))
    names = inputs + [name for name, _ in entries]
    rows = [SimpleNamespace(name=name, label=name, parents=[], partials=[]) for name in inputs] + [
        SimpleNamespace(
            name=name,
            label=name,
            parents=[names.index(i) for i, _ in ins],
            partials=[partial for _, partial in ins],
        )
        for name, ins in entries
    ]
    table = SimpleNamespace(rows=rows, output_label=output, digits=3)
    adjoints = reverse_steps(table)[-1].adjoints
    return {name: adjoints[k] or 0.0 for k, name in enumerate(names)}


def reverse_gradient_from_the_check(tape, output):
    return reference_reverse_gradient(tape, output)


SHORTCUTS = [
    ("unbroadcast", unbroadcast_from_the_library),
    ("unbroadcast", unbroadcast_through_make_vjp),
    ("unbroadcast", unbroadcast_through_the_add_rule),
    ("sin_vjp", sin_vjp_through_make_vjp),
    ("sin_vjp", sin_vjp_through_the_registry),
    ("exp_vjp", exp_vjp_through_elementwise_grad),
    ("log_vjp", log_vjp_through_the_registry),
    ("tanh_vjp", tanh_vjp_through_grad),
    ("relu_vjp", relu_vjp_through_the_maximum_rule),
    ("matmul_vjp_0", matmul_vjp_0_through_make_vjp),
    ("matmul_vjp_1", matmul_vjp_1_from_the_library),
    ("sum_vjp", sum_vjp_through_the_registry),
    ("broadcast_to_vjp", broadcast_to_vjp_from_the_library),
    ("reshape_vjp", reshape_vjp_through_the_registry),
    ("transpose_vjp", transpose_vjp_from_the_library),
    ("logsoftmax_vjp", logsoftmax_vjp_through_make_vjp),
    ("reverse_gradient", reverse_gradient_through_grad),
    ("reverse_gradient", reverse_gradient_through_the_stepper),
    ("reverse_gradient", reverse_gradient_from_the_check),
]


TestBothWays = both_ways("03_reverse_mode", SOLUTIONS, stub, WRONG, SHORTCUTS)


def test_the_shortcuts_are_right_answers_when_nothing_is_withheld():
    """Each shortcut computes the right thing: only the withholding makes its check fail."""
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal(3), rng.standard_normal(3)
    assert np.allclose(sin_vjp_through_make_vjp(g, np.sin(x), x), sin_vjp(g, np.sin(x), x))
    assert np.allclose(tanh_vjp_through_grad(g, np.tanh(x), x), tanh_vjp(g, np.tanh(x), x))
    target, big = rng.standard_normal((3, 1)), rng.standard_normal((2, 3, 4))
    assert np.allclose(unbroadcast_through_make_vjp(target, big), unbroadcast(target, big))
    assert reverse_gradient_through_grad(SIDE_TAPE, "y") == pytest.approx(SIDE_ADJOINTS)
    assert reverse_gradient_through_grad(EXAMPLE_TAPE, "v7") == pytest.approx(EXAMPLE_ADJOINTS)
    assert reverse_gradient_through_the_stepper(EXAMPLE_TAPE, "v7") == pytest.approx(
        EXAMPLE_ADJOINTS
    )


# --- what the sheet says about writing rules ---------------------------------------------------


def test_a_rule_written_with_plain_numpy_functions_passes_to_second_order():
    """The sheet says so: NumPy functions on traced values are recorded like anp's."""

    def sin_vjp_with_np(g, ans, x):
        return g * np.cos(x)

    def logsoftmax_vjp_with_np(g, ans, x):
        return g - np.exp(ans) * np.sum(g, axis=-1, keepdims=True)

    assert run_check("sin_vjp", sin_vjp_with_np).status == "PASS"
    assert run_check("logsoftmax_vjp", logsoftmax_vjp_with_np).status == "PASS"


def sin_vjp_on_np_asarray(g, ans, x):
    return g * np.cos(np.asarray(x))


def sin_vjp_on_np_array(g, ans, x):
    return np.array(g) * np.cos(x)


def sin_vjp_written_into_np_empty(g, ans, x):
    out = np.empty(np.shape(x))
    out[...] = np.cos(x)
    return g * out


def sin_vjp_on_floats(g, ans, x):
    cosines = [np.cos(float(x_i)) for x_i in np.ravel(x)]
    return g * np.reshape(cosines, np.shape(x))


@pytest.mark.parametrize(
    "rule",
    [sin_vjp_on_np_asarray, sin_vjp_on_np_array, sin_vjp_written_into_np_empty, sin_vjp_on_floats],
)
def test_a_rule_that_makes_a_plain_array_or_number_fails_the_second_order_check(rule):
    """The sheet says so too: np.asarray, np.array, float() or writing into np.empty cut the
    record, and the values alone would have passed."""
    verdict = run_check("sin_vjp", rule)
    assert verdict.status == "FAIL", verdict.text
    assert verdict.detail.startswith("grad through a primitive with your rule"), verdict.text
    assert "turned a traced value into a plain array or number" in verdict.hint


def test_a_rule_written_on_plain_values_fails_the_second_order_check():
    def sin_vjp_on_plain_values(g, ans, x):
        from autodidact.tracer import getval

        return getval(g) * np.cos(getval(x))

    verdict = run_check("sin_vjp", sin_vjp_on_plain_values)
    assert verdict.status == "FAIL", verdict.text
    assert "second-order gradient disagrees with finite differences" in verdict.text
    assert "does not move when x moves" in verdict.hint


def test_relu_is_checked_at_exactly_zero():
    verdict = run_check("relu_vjp", relu_vjp_slope_one_at_zero)
    assert verdict.detail.startswith("x = 0, g = "), verdict.text


def test_overwriting_adjoints_names_the_shared_value():
    text = run_check("reverse_gradient", reverse_gradient_overwrites).text
    assert "v2_bar" in text and "expected" in text and "got 2" in text


def test_the_example_tape_gives_the_curriculum_adjoints():
    adjoints = reverse_gradient(EXAMPLE_TAPE, "v7")
    assert round(adjoints["v2"], 3) == 1.716 and adjoints["v1"] == 5.5
    assert adjoints == pytest.approx(EXAMPLE_ADJOINTS)


def test_the_side_tape_has_an_output_before_the_end_and_an_unreached_node():
    names = [name for name, _ in SIDE_TAPE]
    assert names[-1] != "y" and SIDE_ADJOINTS["z"] == SIDE_ADJOINTS["w"] == 0.0
    assert reverse_gradient(SIDE_TAPE, "y") == pytest.approx(SIDE_ADJOINTS)
