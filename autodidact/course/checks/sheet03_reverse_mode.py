"""Checks for sheet 03, reverse mode: unbroadcast, VJP rules and a tape-based backward pass.

Every VJP is checked twice. First its value: on a few inputs and a random
cotangent g, the student's rule must return what the rule in the library
returns, with the argument's shape. Then in use: the rule is registered on a
fresh primitive (`autodidact.primitive` + `autodidact.defvjp`, the way the
library registers its own), and `check_grads` holds the gradients through
that primitive to central differences, to second order where the rule is
smooth. The second-order check passes only if the rule is itself built from
differentiable operations, so that grad(grad(f)) can run through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodidact import defvjp, primitive
from autodidact.course.checking import (
    CheckFailed,
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
    matches,
)
from autodidact.test_util import check_grads

SHEET = "03_reverse_mode"


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def fresh_primitive(raw_fun: Callable, student_rule: Callable, name: str) -> Callable:
    """A new primitive computing raw_fun, whose only VJP is the student's rule."""

    def raw(*args: Any, **kwargs: Any) -> Any:
        return raw_fun(*args, **kwargs)

    raw.__name__ = raw.__qualname__ = f"student_{name}"
    fun = primitive(raw)
    defvjp(fun, student_rule)
    return fun


def expect_gradients_match(fun: Callable, x: np.ndarray, *, order: int, on: str, hint: str) -> None:
    """check_grads in reverse mode; its AssertionError (or the rule's error) becomes a FAIL."""
    try:
        check_grads(fun, modes=["rev"], order=order)(x)
    except AssertionError as error:
        message = str(error).strip().splitlines()[0]
        level = "second-order " if "VJP of vjp_of" in message else ""
        raise CheckFailed(
            f"{on}: the {level}gradient disagrees with finite differences ({message})", hint
        ) from None
    except NotImplementedError as error:
        raise CheckFailed(f"{on}: {str(error).splitlines()[0]}", hint) from None
    except Exception as error:
        message = str(error).strip().splitlines()
        raise CheckFailed(
            f"{on}: differentiating through your rule raised {type(error).__name__}"
            + (f": {message[0]}" if message else ""),
            hint,
        ) from None


# -- unbroadcast --------------------------------------------------------------------------------


def reference_unbroadcast(target: Any, g: np.ndarray) -> np.ndarray:
    shape = np.shape(target)
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


@exercise_check("unbroadcast", sheet=SHEET)
def unbroadcast(student: Callable) -> str:
    """Sum g over the leading axes broadcasting added and over target's stretched size-1 axes."""
    rng = _rng(0)
    cases = [
        ((3,), (3,)),
        ((3,), (4, 3)),
        ((3, 1), (3, 4)),
        ((1, 3), (2, 3)),
        ((), (2, 3)),
        ((2, 1, 3), (5, 2, 4, 3)),
        ((1, 1), (2, 3)),
    ]
    for target_shape, g_shape in cases:
        target = rng.standard_normal(target_shape)
        g = rng.standard_normal(g_shape)
        on = f"target of shape {target_shape}, g of shape {g_shape}"
        expected = reference_unbroadcast(target, g)
        hint = "sum g over its extra leading axes, then over every axis where target has size 1."
        got = call_student(student, target, g, on=on, hint=hint)
        if np.shape(got) != expected.shape and np.size(got) == expected.size:
            hint = (
                "keep target's size-1 axes: sum them with keepdims=True, so the result has "
                "target's shape exactly."
            )
        elif np.shape(got) != expected.shape and g.ndim == len(target_shape):
            hint = "also sum over the axes where target has size 1 and g does not."
        expect_close(got, expected, on=on, hint=hint, rtol=1e-10, atol=1e-12)
    return f"right on {len(cases)} shape pairs, size-1 axes kept."


# -- VJPs of elementwise functions --------------------------------------------------------------


def _check_elementwise(
    student: Callable,
    name: str,
    raw_fun: Callable,
    derivative: Callable,
    points: list[np.ndarray],
    hint: str,
    order: int = 2,
) -> str:
    rng = _rng(1)
    for x in points:
        ans = raw_fun(x)
        g = rng.standard_normal(np.shape(x))
        on = f"x = {format_value(x)}, g = {format_value(g)}"
        got = call_student(student, g, ans, x, on=on, hint=hint)
        if matches(got, derivative(x), rtol=1e-9):
            specific = "multiply by the incoming cotangent g: the VJP is g * f'(x)."
        else:
            specific = hint
        expect_close(got, g * derivative(x), on=on, hint=specific, rtol=1e-8, atol=1e-12)
    fun = fresh_primitive(raw_fun, student, name)
    x = points[-1]
    expect_gradients_match(
        fun,
        x,
        order=order,
        on=f"grad through a primitive with your rule, x = {format_value(x)}",
        hint=hint + " Write it with autodidact.numpy (anp) so it can be differentiated again.",
    )
    return (
        f"right on {len(points)} inputs, and gradients to order {order} match finite differences."
    )


POINTS = [np.array(0.7), np.array([-1.3, 0.4, 2.1])]


@exercise_check("sin_vjp", sheet=SHEET)
def sin_vjp(student: Callable) -> str:
    return _check_elementwise(
        student, "sin", np.sin, np.cos, POINTS, "d sin(x)/dx = cos(x): return g * cos(x)."
    )


@exercise_check("exp_vjp", sheet=SHEET)
def exp_vjp(student: Callable) -> str:
    return _check_elementwise(
        student,
        "exp",
        np.exp,
        np.exp,
        POINTS,
        "d exp(x)/dx = exp(x), which is ans: return g * ans.",
    )


@exercise_check("log_vjp", sheet=SHEET)
def log_vjp(student: Callable) -> str:
    points = [np.array(0.7), np.array([0.3, 1.4, 2.5])]
    return _check_elementwise(
        student, "log", np.log, lambda x: 1.0 / x, points, "d log(x)/dx = 1/x: return g / x."
    )


@exercise_check("tanh_vjp", sheet=SHEET)
def tanh_vjp(student: Callable) -> str:
    return _check_elementwise(
        student,
        "tanh",
        np.tanh,
        lambda x: 1.0 - np.tanh(x) ** 2,
        POINTS,
        "the derivative of tanh can be written with tanh itself, which the rule receives as "
        "ans; the cotangent of x is g times that derivative, entry by entry.",
    )


@exercise_check("relu_vjp", sheet=SHEET)
def relu_vjp(student: Callable) -> str:
    points = [np.array(0.7), np.array(-0.4), np.array([-1.3, 0.4, 2.1, -0.2])]
    return _check_elementwise(
        student,
        "relu",
        lambda x: np.maximum(x, 0.0),
        lambda x: (x > 0).astype(float),
        points,
        "relu(x) = max(x, 0) has slope 1 where x > 0 and 0 elsewhere: return g * (x > 0).",
    )


# -- matmul -------------------------------------------------------------------------------------


def _check_matmul(student: Callable, argnum: int) -> str:
    rng = _rng(2)
    name = f"matmul_vjp_{argnum}"
    if argnum == 0:
        hint = "for Z = A B, A_bar = G B^T (shape of A): return g @ B.T."
    else:
        hint = "for Z = A B, B_bar = A^T G (shape of B): return A.T @ g."
    shapes = [((2, 3), (3, 4)), ((4, 2), (2, 2)), ((1, 3), (3, 5))]
    for a_shape, b_shape in shapes:
        A, B = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        ans = A @ B
        g = rng.standard_normal(ans.shape)
        on = f"A of shape {a_shape}, B of shape {b_shape}"
        got = call_student(student, g, ans, A, B, on=on, hint=hint)
        expected = g @ B.T if argnum == 0 else A.T @ g
        expect_close(got, expected, on=on, hint=hint, rtol=1e-9, atol=1e-12)
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    fun = primitive(lambda a, b: np.matmul(a, b))
    fun.__name__ = f"student_{name}"
    defvjp(fun, student, argnums=[argnum])
    if argnum == 0:
        unary = lambda a: fun(a, B)
        x = A
    else:
        unary = lambda b: fun(A, b)
        x = B
    expect_gradients_match(
        unary,
        x,
        order=2,
        on="grad through a matmul primitive with your rule, 2x3 times 3x4",
        hint=hint,
    )
    return f"right on {len(shapes)} shape pairs, and gradients to order 2 match."


@exercise_check("matmul_vjp_0", sheet=SHEET)
def matmul_vjp_0(student: Callable) -> str:
    return _check_matmul(student, 0)


@exercise_check("matmul_vjp_1", sheet=SHEET)
def matmul_vjp_1(student: Callable) -> str:
    return _check_matmul(student, 1)


# -- sum, broadcast_to, reshape, transpose ------------------------------------------------------


def expect_vjp(
    student: Callable,
    rng: np.random.Generator,
    x_shape: tuple[int, ...],
    forward: Callable,
    reference: Callable,
    *,
    args: tuple = (),
    kwargs: dict | None = None,
    on: str,
    hint: str,
    rtol: float,
    atol: float = 0.0,
) -> None:
    """Draw x and a cotangent g for ans = forward(x, *args, **kwargs); the student's rule
    must return what the `reference` rule does, both called as (g, ans, x, *args, **kwargs)."""
    kwargs = kwargs or {}
    x = rng.standard_normal(x_shape)
    ans = forward(x, *args, **kwargs)
    g = rng.standard_normal(np.shape(ans))
    got = call_student(student, g, ans, x, *args, on=on, hint=hint, **kwargs)
    expected = reference(g, ans, x, *args, **kwargs)
    expect_close(got, expected, on=on, hint=hint, rtol=rtol, atol=atol)


def expect_primitive_gradients(
    student: Callable,
    raw_fun: Callable,
    name: str,
    x: np.ndarray,
    apply: Callable,
    *,
    on: str,
    hint: str,
) -> None:
    """Gradients to order 2 through a fresh `name` primitive with the student's rule,
    at x, of x -> apply(primitive, x)."""
    fun = fresh_primitive(raw_fun, student, name)
    expect_gradients_match(
        lambda x: apply(fun, x),
        x,
        order=2,
        on=f"grad through a {name} primitive with your rule, {on}",
        hint=hint,
    )


def reference_sum_vjp(
    g: np.ndarray, ans: Any, x: np.ndarray, axis=None, keepdims=False
) -> np.ndarray:
    g_kept = g if keepdims or axis is None else np.expand_dims(g, axis)
    return np.broadcast_to(g_kept, np.shape(x))


@exercise_check("sum_vjp", sheet=SHEET)
def sum_vjp(student: Callable) -> str:
    """The VJP of a sum broadcasts g back over the summed axes."""
    rng = _rng(3)
    hint = (
        "copy g back over the summed axes: put them back as size-1 axes when keepdims is "
        "False (np.expand_dims), then np.broadcast_to(g, x.shape)."
    )
    cases = [
        ((3,), {}),
        ((2, 3), {}),
        ((2, 3), {"axis": 0}),
        ((2, 3), {"axis": 1}),
        ((2, 3), {"axis": -1}),
        ((2, 3), {"axis": 1, "keepdims": True}),
        ((2, 3, 4), {"axis": (0, 2)}),
        ((2, 3), {"keepdims": True}),
    ]
    for shape, kwargs in cases:
        text = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        expect_vjp(
            student,
            rng,
            shape,
            np.sum,
            reference_sum_vjp,
            kwargs=kwargs,
            on=f"x of shape {shape}" + (f", {text}" if text else ""),
            hint=hint,
            rtol=1e-10,
        )
    x = rng.standard_normal((2, 3))
    for kwargs in ({"axis": 1}, {}):
        expect_primitive_gradients(
            student,
            lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
            "sum",
            x,
            lambda fun, x, kwargs=kwargs: fun(x, **kwargs),
            on=f"x of shape (2, 3), {kwargs or 'all'}",
            hint=hint,
        )
    return f"right on {len(cases)} axis/keepdims settings, and gradients to order 2 match."


@exercise_check("broadcast_to_vjp", sheet=SHEET)
def broadcast_to_vjp(student: Callable) -> str:
    """Broadcasting copies entries; its VJP sums g back down to x's shape."""
    rng = _rng(4)
    hint = (
        "broadcasting is the adjoint of summing: sum g down to x's shape "
        "(over new leading axes, and over size-1 axes of x with keepdims)."
    )
    cases = [((3,), (4, 3)), ((3, 1), (3, 4)), ((), (2, 2)), ((1, 3), (2, 4, 3)), ((2,), (2,))]
    for x_shape, shape in cases:
        expect_vjp(
            student,
            rng,
            x_shape,
            np.broadcast_to,
            lambda g, ans, x, shape: reference_unbroadcast(x, g),
            args=(shape,),
            on=f"x of shape {x_shape} broadcast to {shape}",
            hint=hint,
            rtol=1e-10,
            atol=1e-12,
        )
    expect_primitive_gradients(
        student,
        lambda x, shape: np.broadcast_to(x, shape),
        "broadcast_to",
        rng.standard_normal((3, 1)),
        lambda fun, x: fun(x, (2, 3, 4)),
        on="(3, 1) to (2, 3, 4)",
        hint=hint,
    )
    return f"right on {len(cases)} shapes, and gradients to order 2 match."


@exercise_check("reshape_vjp", sheet=SHEET)
def reshape_vjp(student: Callable) -> str:
    rng = _rng(5)
    hint = "reshape only moves entries around: reshape g back to x's shape, np.reshape(g, x.shape)."
    cases = [((2, 3), (3, 2)), ((6,), (2, 3)), ((2, 3, 4), (4, -1)), ((1, 4), (4,))]
    for x_shape, shape in cases:
        expect_vjp(
            student,
            rng,
            x_shape,
            np.reshape,
            lambda g, ans, x, shape: np.reshape(g, x.shape),
            args=(shape,),
            on=f"x of shape {x_shape} reshaped to {shape}",
            hint=hint,
            rtol=1e-12,
        )
    expect_primitive_gradients(
        student,
        lambda x, shape: np.reshape(x, shape),
        "reshape",
        rng.standard_normal((2, 3)),
        lambda fun, x: fun(x, (3, 2)) * np.arange(6.0).reshape(3, 2),
        on="(2, 3) to (3, 2)",
        hint=hint,
    )
    return f"right on {len(cases)} shapes, and gradients to order 2 match."


@exercise_check("transpose_vjp", sheet=SHEET)
def transpose_vjp(student: Callable) -> str:
    rng = _rng(6)
    hint = (
        "transpose g back with the inverse permutation, np.argsort(axes) "
        "(axes=None reverses the axes, and is its own inverse)."
    )
    cases = [
        ((2, 3), None),
        ((2, 3, 4), None),
        ((2, 3, 4), (1, 2, 0)),
        ((2, 3, 4), (2, 0, 1)),
        ((2, 3), (1, 0)),
    ]
    for x_shape, axes in cases:
        expect_vjp(
            student,
            rng,
            x_shape,
            np.transpose,
            lambda g, ans, x, axes: np.transpose(g, None if axes is None else np.argsort(axes)),
            args=(axes,),
            on=f"x of shape {x_shape}, axes={axes}",
            hint=hint,
            rtol=1e-12,
        )
    expect_primitive_gradients(
        student,
        lambda x, axes=None: np.transpose(x, axes),
        "transpose",
        rng.standard_normal((2, 3, 4)),
        lambda fun, x: fun(x, (1, 2, 0)),
        on="axes=(1, 2, 0)",
        hint=hint,
    )
    return f"right on {len(cases)} permutations, and gradients to order 2 match."


# -- logsoftmax ---------------------------------------------------------------------------------


def reference_logsoftmax(x: np.ndarray) -> np.ndarray:
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


@exercise_check("logsoftmax_vjp", sheet=SHEET)
def logsoftmax_vjp(student: Callable) -> str:
    """ans = x - logsumexp(x): x_bar = g - softmax(x) * sum(g) over the last axis."""
    rng = _rng(7)
    hint = (
        "d ans_i/d x_j = delta_ij - softmax(x)_j, so x_bar = g - exp(ans) * g.sum(axis=-1, "
        "keepdims=True)."
    )
    for shape in [(4,), (3, 5)]:
        x = rng.standard_normal(shape)
        ans = reference_logsoftmax(x)
        g = rng.standard_normal(shape)
        on = f"x of shape {shape}, {format_value(x)}"
        got = call_student(student, g, ans, x, on=on, hint=hint)
        expected = g - np.exp(ans) * np.sum(g, axis=-1, keepdims=True)
        specific = hint
        if matches(got, g - np.exp(ans) * np.sum(g), rtol=1e-9):
            specific = "sum g over the last axis only (axis=-1, keepdims=True), one sum per row."
        expect_close(got, expected, on=on, hint=specific, rtol=1e-9, atol=1e-12)
    expect_primitive_gradients(
        student,
        reference_logsoftmax,
        "logsoftmax",
        rng.standard_normal((2, 3)),
        lambda fun, x: fun(x),
        on="x of shape (2, 3)",
        hint=hint,
    )
    return "right on a vector and a batch, and gradients to order 2 match."


# -- reverse_gradient ---------------------------------------------------------------------------

# The tape of y = ln(x1) + x1 x2 - sin(x2) at (2, 5): (name, [(input, local partial), ...]).
X1, X2 = 2.0, 5.0
EXAMPLE_TAPE = [
    ("v3", [("v1", 1 / X1)]),
    ("v4", [("v1", X2), ("v2", X1)]),
    ("v5", [("v2", float(np.cos(X2)))]),
    ("v6", [("v3", 1.0), ("v4", 1.0)]),
    ("v7", [("v6", 1.0), ("v5", -1.0)]),
]
EXAMPLE_ADJOINTS = {
    "v7": 1.0,
    "v6": 1.0,
    "v5": -1.0,
    "v4": 1.0,
    "v3": 1.0,
    "v2": X1 - float(np.cos(X2)),
    "v1": X2 + 1 / X1,
}


def reference_reverse_gradient(tape: list, output: str) -> dict[str, float]:
    adjoints: dict[str, float] = {output: 1.0}
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints.get(input_name, 0.0) + adjoints.get(name, 0.0) * partial
    return adjoints


def _expect_adjoints(got: Any, expected: dict[str, float], on: str, hint: str) -> None:
    if not isinstance(got, dict):
        raise CheckFailed(
            f"{on}: expected a dict {{name: adjoint}}, got {format_value(got)}",
            "return a dictionary mapping every node's name to its adjoint.",
        )
    for name, value in expected.items():
        expect(
            name in got,
            on=on,
            expected=f"an adjoint for {name!r}",
            got=f"keys {sorted(got)}",
            hint="return the adjoint of every node: the output, the intermediates and the inputs.",
        )
        expect_close(got[name], value, on=on, hint=hint, rtol=1e-9, atol=1e-12, what=f"{name}_bar")


def _expect_tape(
    student: Callable,
    tape: list,
    output: str,
    expected: dict[str, float],
    *,
    on: str,
    hint: str,
    mistaken: Callable[[dict], bool],
    mistake_hint: str,
) -> None:
    """The student's adjoints on `tape` must be `expected`; `mistake_hint` if `mistaken(got)`."""
    got = call_student(student, tape, output, on=on, hint=hint)
    if isinstance(got, dict) and mistaken(got):
        hint = mistake_hint
    _expect_adjoints(got, expected, on, hint)


@exercise_check("reverse_gradient", sheet=SHEET)
def reverse_gradient(student: Callable) -> str:
    """Walk the tape backwards, adding adjoint * partial into each input's adjoint."""
    hint = (
        "start from {output: 1.0}, walk the tape from the end, and for each (input, partial) "
        "do adjoint[input] += adjoint[node] * partial."
    )
    _expect_tape(
        student,
        [list(e) for e in EXAMPLE_TAPE],
        "v7",
        EXAMPLE_ADJOINTS,
        on="the tape of y = ln(x1) + x1 x2 - sin(x2) at (2, 5), output 'v7'",
        hint=hint,
        mistaken=lambda got: np.isclose(got.get("v2", np.nan), X1),
        mistake_hint="v2 is used by both v4 and v5: add the two partial adjoints (+=), "
        "do not overwrite the first with the second.",
    )
    _expect_tape(
        student,
        [("u", [("x", 3.0), ("x", 3.0)]), ("y", [("u", 2.0), ("x", 1.0)])],  # y = 2 x^2 + x
        "y",
        {"y": 1.0, "u": 2.0, "x": 13.0},
        on="the tape of u = x * x, y = 2 u + x at x = 3, output 'y'",
        hint=hint,
        mistaken=lambda got: got.get("x") in (4.0, 7.0, 6.0),
        mistake_hint="x reaches y three ways (twice through u, once directly): every "
        "(input, partial) pair adds its share to adjoint[x].",
    )
    _expect_tape(
        student,
        [("b", [("a", 2.0)]), ("c", [("b", 3.0)]), ("d", [("c", 4.0)])],
        "d",
        {"d": 1.0, "c": 4.0, "b": 12.0, "a": 24.0},
        on="the chain a -> b -> c -> d with partials 2, 3, 4, output 'd'",
        hint=hint,
        mistaken=lambda got: np.isclose(got.get("a", np.nan), 2.0),
        mistake_hint="walk the tape from the end (reversed(tape)), so a node's adjoint is "
        "complete before it is passed on.",
    )
    return "right on 3 tapes, shared values and repeated inputs included."


__all__ = [
    "EXAMPLE_TAPE",
    "EXAMPLE_ADJOINTS",
    "fresh_primitive",
    "reference_unbroadcast",
    "reference_logsoftmax",
    "reference_reverse_gradient",
]
