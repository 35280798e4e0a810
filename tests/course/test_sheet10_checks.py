"""The checks of sheet 10 pass the sheet's solutions and other right routes, and fail its stubs,
plausible wrong answers, loops where one batched pass is asked for, and answers that let the
library do the work."""

from __future__ import annotations

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import (
    batching,
    forward,
    grad,
    jacfwd,
    jacrev,
    make_jvp,
    make_vjp,
    value_and_grad,
    vmap,
)
from autodidact.course.checking import run_check
from autodidact.course.checks.sheet10_vectorization import watched
from autodidact.numpy import numpy_batching

from .both_ways import SheetFunctions, Shortcut, Wrong, both_ways
from .conftest import REPO

SHEET = "10_vectorization"
EXERCISES = ["sum_batch_rule", "matmul_batch_rule", "per_example_gradients", "jacobian_by_vmap"]
SOLUTIONS = SheetFunctions(REPO / "solutions" / f"{SHEET}.ipynb", EXERCISES)
STUBS = SheetFunctions(REPO / "exercises" / f"{SHEET}.ipynb", EXERCISES)

# --- other right answers: the checks accept every correct route ---------------------------------


def sum_keeping_the_batch_axis_in_place(x, bdim, axis):
    """Name each example axis as an axis of x, skipping over the batch axis; no move."""
    example_ndim = np.ndim(x) - 1
    if axis is None:
        axis = tuple(range(example_ndim))
    axes = (axis,) if isinstance(axis, int) else axis
    in_x = tuple(k % example_ndim + (k % example_ndim >= bdim) for k in axes)
    out_bdim = bdim - sum(a < bdim for a in in_x)
    return np.sum(x, axis=in_x), out_bdim


def sum_by_reshaping_for_none(x, bdim, axis):
    x = np.moveaxis(x, bdim, 0)
    if axis is None:
        return x.reshape(np.shape(x)[0], -1).sum(axis=1), 0
    axes = np.atleast_1d(axis) % (np.ndim(x) - 1) + 1
    return np.sum(x, axis=tuple(int(a) for a in axes)), 0


def matmul_by_einsum(A, A_bdim, B, B_bdim):
    if A_bdim is not None:
        A = np.moveaxis(A, A_bdim, 0)
    if B_bdim is not None:
        B = np.moveaxis(B, B_bdim, 0)
    a = "bij" if A_bdim is not None else "ij"
    b = "bjk" if B_bdim is not None else "jk"
    return np.einsum(f"{a},{b}->bik", A, B), 0


def matmul_shared_side_as_a_stack_of_one(A, A_bdim, B, B_bdim):
    """A shared side becomes a stack of one matrix, which einsum broadcasts (a view, no copy)."""
    A = np.moveaxis(A, A_bdim, 0) if A_bdim is not None else A[None]
    B = np.moveaxis(B, B_bdim, 0) if B_bdim is not None else B[None]
    return np.einsum("bij,bjk->bik", A, B), 0


def matmul_batch_last(A, A_bdim, B, B_bdim):
    """The examples along the last axis of the result."""
    if A_bdim is not None:
        A = np.moveaxis(A, A_bdim, 0)
    if B_bdim is not None:
        B = np.moveaxis(B, B_bdim, 0)
    return np.moveaxis(A @ B, 0, -1), 2


def per_example_by_closure(loss, params, X, y):
    return vmap(lambda x, target: grad(loss)(params, x, target))(X, y)


def per_example_by_value_and_grad(loss, params, X, y):
    return vmap(lambda x, t: value_and_grad(loss)(params, x, t)[1])(X, y)


def jacobian_by_the_forward_module(f, x):
    push_forward = forward.make_jvp(f, x)
    return vmap(lambda v: push_forward(v)[1], out_axes=1)(np.eye(len(x)))


def jacobian_with_f_evaluated_first(f, x):
    """f run once plainly for its output size, then traced once: still one batched pass."""
    m = np.size(f(x))
    columns = vmap(lambda v: make_jvp(f)(x)(v)[1])(np.eye(len(x)))
    return np.reshape(np.transpose(columns), (m, len(x)))


@pytest.mark.parametrize(
    "name, answer",
    [
        ("sum_batch_rule", sum_keeping_the_batch_axis_in_place),
        ("sum_batch_rule", sum_by_reshaping_for_none),
        ("matmul_batch_rule", matmul_by_einsum),
        ("matmul_batch_rule", matmul_batch_last),
        ("matmul_batch_rule", matmul_shared_side_as_a_stack_of_one),
        ("per_example_gradients", per_example_by_closure),
        ("per_example_gradients", per_example_by_value_and_grad),
        ("jacobian_by_vmap", jacobian_by_the_forward_module),
        ("jacobian_by_vmap", jacobian_with_f_evaluated_first),
    ],
)
def test_other_right_routes_pass(name, answer):
    verdict = run_check(name, answer)
    assert verdict.status == "PASS", verdict.text


# --- plausible wrong answers --------------------------------------------------------------------


def sum_not_shifted(x, bdim, axis):
    return np.sum(x, axis=axis), bdim


def sum_out_bdim_left_at_bdim(x, bdim, axis):
    x = np.moveaxis(x, bdim, 0)
    axes = tuple(range(1, np.ndim(x))) if axis is None else np.add(axis, 1)
    if isinstance(axes, np.ndarray):
        axes = tuple(int(a) for a in np.atleast_1d(axes))
    return np.sum(x, axis=axes), bdim


def sum_none_over_everything(x, bdim, axis):
    x = np.moveaxis(x, bdim, 0)
    if axis is None:
        return np.sum(x), 0
    axes = tuple(k % (np.ndim(x) - 1) + 1 for k in np.atleast_1d(axis))
    return np.sum(x, axis=axes), 0


def sum_negative_axis_shifted_as_it_is(x, bdim, axis):
    x = np.moveaxis(x, bdim, 0)
    if axis is None:
        return np.sum(x, axis=tuple(range(1, np.ndim(x)))), 0
    axes = tuple(int(k) + 1 for k in np.atleast_1d(axis))
    return np.sum(x, axis=axes), 0


def sum_tuple_not_handled(x, bdim, axis):
    x = np.moveaxis(x, bdim, 0)
    if axis is None:
        return np.sum(x, axis=tuple(range(1, np.ndim(x)))), 0
    return np.sum(x, axis=axis % (np.ndim(x) - 1) + 1), 0


def sum_says_unbatched(x, bdim, axis):
    result, _ = sum_keeping_the_batch_axis_in_place(x, bdim, axis)
    return result, None


def sum_looped(x, bdim, axis):
    return np.stack([np.sum(example, axis=axis) for example in np.moveaxis(x, bdim, 0)]), 0


def sum_by_take(x, bdim, axis):
    size = np.shape(x)[bdim]
    return np.stack([np.sum(np.take(x, k, axis=bdim), axis=axis) for k in range(size)]), 0


def matmul_as_they_come(A, A_bdim, B, B_bdim):
    return np.matmul(A, B), 0


def matmul_moves_none_too(A, A_bdim, B, B_bdim):
    return np.matmul(np.moveaxis(A, A_bdim, 0), np.moveaxis(B, B_bdim, 0)), 0


def matmul_out_bdim_of_A(A, A_bdim, B, B_bdim):
    if A_bdim is not None:
        A = np.moveaxis(A, A_bdim, 0)
    if B_bdim is not None:
        B = np.moveaxis(B, B_bdim, 0)
    return np.matmul(A, B), A_bdim if A_bdim is None else 0


def matmul_batch_moved_last(A, A_bdim, B, B_bdim):
    if A_bdim is not None:
        A = np.moveaxis(A, A_bdim, -1)
    if B_bdim is not None:
        B = np.moveaxis(B, B_bdim, -1)
    return np.matmul(A, B), 0


def matmul_looped(A, A_bdim, B, B_bdim):
    As = np.moveaxis(A, A_bdim, 0) if A_bdim is not None else None
    Bs = np.moveaxis(B, B_bdim, 0) if B_bdim is not None else None
    size = len(As) if As is not None else len(Bs)
    products = [(A if As is None else As[k]) @ (B if Bs is None else Bs[k]) for k in range(size)]
    return np.stack(products), 0


def per_example_averaged(loss, params, X, y):
    return grad(lambda p: anp.mean(vmap(loss, in_axes=(None, 0, 0))(p, X, y)))(params)


def per_example_summed(loss, params, X, y):
    return grad(lambda p: anp.sum(vmap(loss, in_axes=(None, 0, 0))(p, X, y)))(params)


def per_example_looped(loss, params, X, y):
    gradients = [grad(loss)(params, X[b], y[b]) for b in range(len(X))]
    if isinstance(params, dict):
        return {key: np.stack([g[key] for g in gradients]) for key in params}
    if isinstance(params, tuple):
        return tuple(np.stack(leaves) for leaves in zip(*gradients))
    return np.stack(gradients)


def per_example_with_respect_to_x(loss, params, X, y):
    return vmap(grad(loss, 1), in_axes=(None, 0, 0))(params, X, y)


def per_example_params_mapped_too(loss, params, X, y):
    return vmap(grad(loss))(params, X, y)


def per_example_batch_last(loss, params, X, y):
    return vmap(grad(loss), in_axes=(None, 0, 0), out_axes=-1)(params, X, y)


def jacobian_looped(f, x):
    return np.stack([make_jvp(f)(x)(e)[1] for e in np.eye(len(x))], axis=1)


def jacobian_transposed(f, x):
    return vmap(lambda v: make_jvp(f)(x)(v)[1])(np.eye(len(x)))


def jacobian_by_batched_differences(f, x):
    h = 1e-6
    return np.transpose((vmap(f)(x + h * np.eye(len(x))) - f(x)) / h)


def jacobian_one_jvp(f, x):
    return make_jvp(f)(x)(np.ones(len(x)))[1]


WRONG = [
    Wrong("sum_batch_rule", sum_not_shifted, "summed x over the example's axis number as it is"),
    Wrong("sum_batch_rule", sum_out_bdim_left_at_bdim, "the sums are right, but the examples run"),
    Wrong("sum_batch_rule", sum_none_over_everything, "axis = None sums every axis of one example"),
    Wrong("sum_batch_rule", sum_negative_axis_shifted_as_it_is, "a negative axis counts from"),
    Wrong("sum_batch_rule", sum_tuple_not_handled, "a tuple of them", crashes=True),
    Wrong("sum_batch_rule", sum_says_unbatched, "out_bdim = None says the result is the same"),
    Wrong("sum_batch_rule", sum_looped, "your rule iterated over the batch"),
    Wrong("sum_batch_rule", sum_by_take, "your rule took single examples"),
    Wrong("matmul_batch_rule", matmul_as_they_come, "you multiplied A and B as they came"),
    Wrong("matmul_batch_rule", matmul_moves_none_too, "B_bdim is None", crashes=True),
    Wrong("matmul_batch_rule", matmul_out_bdim_of_A, "out_bdim = None says"),
    Wrong("matmul_batch_rule", matmul_batch_moved_last, "the last two axes", crashes=True),
    Wrong("matmul_batch_rule", matmul_looped, "your rule indexed single examples"),
    Wrong("per_example_gradients", per_example_averaged, "the average of the examples' gradients"),
    Wrong("per_example_gradients", per_example_summed, "the sum of the examples' gradients"),
    Wrong("per_example_gradients", per_example_looped, "once per example, a Python loop"),
    Wrong("per_example_gradients", per_example_with_respect_to_x, "with respect to x, the inputs"),
    Wrong(
        "per_example_gradients",
        per_example_params_mapped_too,
        "params is the same for every example",
        crashes=True,
    ),
    Wrong("per_example_gradients", per_example_batch_last, "the examples run along axis 1"),
    Wrong("jacobian_by_vmap", jacobian_looped, "a Python loop of JVPs"),
    Wrong("jacobian_by_vmap", jacobian_transposed, "the transpose of J"),
    Wrong("jacobian_by_vmap", jacobian_by_batched_differences, "finite difference's accuracy"),
    Wrong("jacobian_by_vmap", jacobian_one_jvp, "one JVP"),
]

# --- shortcuts through the library ---------------------------------------------------------------


def sum_by_vmap(x, bdim, axis):
    return vmap(lambda example: anp.sum(example, axis=axis), in_axes=bdim)(x), 0


def sum_by_the_registry(x, bdim, axis):
    return batching.batch_rules[anp.sum]((x,), (bdim,), axis=axis)


def sum_by_the_rule_factory(x, bdim, axis):
    return numpy_batching.reduction(anp.sum)((x,), (bdim,), axis=axis)


def sum_by_the_fallback_loop(x, bdim, axis):
    return batching.loop_over_batch(np.sum, [x], [bdim], {"axis": axis}, -1, False)


def matmul_by_the_registry(A, A_bdim, B, B_bdim):
    return batching.batch_rules[anp.matmul]((A, B), (A_bdim, B_bdim))


def matmul_by_the_library_rule(A, A_bdim, B, B_bdim):
    return numpy_batching.matmul_rule((A, B), (A_bdim, B_bdim))


def matmul_by_vmap(A, A_bdim, B, B_bdim):
    return vmap(anp.matmul, in_axes=(A_bdim, B_bdim))(A, B), 0


def per_example_by_jacobian(loss, params, X, y):
    return jacrev(lambda p: vmap(loss, in_axes=(None, 0, 0))(p, X, y))(params)


def jacobian_by_jacfwd(f, x):
    return jacfwd(f)(x)


def jacobian_by_jacrev(f, x):
    return jacrev(f)(x)


def jacobian_by_batched_vjps(f, x):
    vjp, y = make_vjp(f)(x)
    return vmap(vjp)(np.eye(np.size(y)))


SHORTCUTS = [
    Shortcut("sum_batch_rule", sum_by_vmap),
    Shortcut("sum_batch_rule", sum_by_the_registry),
    Shortcut("sum_batch_rule", sum_by_the_rule_factory),
    Shortcut("sum_batch_rule", sum_by_the_fallback_loop),
    Shortcut("matmul_batch_rule", matmul_by_the_registry),
    Shortcut("matmul_batch_rule", matmul_by_the_library_rule),
    Shortcut("matmul_batch_rule", matmul_by_vmap),
    Shortcut("per_example_gradients", per_example_by_jacobian),
    Shortcut("jacobian_by_vmap", jacobian_by_jacfwd),
    Shortcut("jacobian_by_vmap", jacobian_by_jacrev),
    Shortcut("jacobian_by_vmap", jacobian_by_batched_vjps),
]

TestBothWays = both_ways(SHEET, SOLUTIONS, STUBS, WRONG, SHORTCUTS)


# --- the watched batch ---------------------------------------------------------------------------


def test_the_watched_batch_notes_a_loop_and_nothing_else():
    log = []
    x = watched(np.arange(24.0).reshape(2, 3, 4), log)
    np.sum(np.moveaxis(x, 1, 0), axis=(1, 2))
    np.matmul(x, np.ones((4, 2)))
    np.einsum("abc,cd->abd", x, np.ones((4, 2)))
    anp.sum(anp.moveaxis(x, 2, 0)[:, None, ..., 1:], axis=-1)
    assert log == []
    list(np.moveaxis(x, 1, 0))
    assert log[0] == "iterated over the batch"
    log.clear()
    x[:, 0]
    np.take(x, 1, axis=1)
    assert log == ["indexed single examples", "took single examples"]


def test_the_rule_checks_leave_vmap_working():
    for name in ("sum_batch_rule", "matmul_batch_rule"):
        run_check(name, SOLUTIONS[name])
        run_check(name, sum_by_vmap if name == "sum_batch_rule" else matmul_by_vmap)
    assert batching.vmap is vmap
    np.testing.assert_allclose(vmap(lambda e: anp.sum(e, axis=0), in_axes=1)(np.ones((2, 3))), 2.0)
