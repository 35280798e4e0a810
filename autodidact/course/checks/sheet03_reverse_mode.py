"""Checks for sheet 03, reverse mode: unbroadcast, VJP rules and a tape-based backward pass.

Every VJP is checked twice. First its value: on a few inputs and a random
cotangent g, the student's rule must return what the rule in the library
returns, with the argument's shape. Then in use: the rule is registered on a
fresh primitive (`autodidact.primitive` + `autodidact.defvjp`, the way the
library registers its own), and `check_grads` holds the gradients through
that primitive to central differences, to second order where the rule is
smooth. The second-order check passes only if the rule computes with the
traced values it is handed: NumPy functions and operators on them are
recorded (NumPy sends a traced value to `autodidact.numpy`), while turning
one into a plain array (``np.asarray``, ``np.array``, writing into
``np.empty``) or a plain number cuts the derivative of the rule off.

While a check runs, the library's own rule for the primitive under test, its
helpers (``unbroadcast``, the reduction and shape rules) and its differential
operators are out of the student's reach (see `autodidact.course.shortcuts`).

Hints come in two levels: the first says what is wrong with the answer
(the input, expected against got, the mistake in words or maths), the
second (``route``) gives the derivation to follow. Neither is the answer's code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodidact.numpy as anp
from autodidact import defvjp, primitive
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
    matches,
)
from autodidact.test_util import check_grads

SHEET = "03_reverse_mode"


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# -- what the student's code may not call ---------------------------------------------------------

# The library's helpers that compute (part of) a VJP of this sheet.
_VJP_HELPERS = tuple(
    f"autodidact.numpy.numpy_vjps.{name}"
    for name in (
        "unbroadcast",
        "unbroadcast_times",
        "times_derivative",
        "restore_reduced_axes",
        "sum_vjp",
        "mean_vjp",
        "reshape_vjp",
        "transpose_vjp",
        "tile_vjp",
        "matmul_vjp_a",
        "matmul_vjp_b",
        "dot_vjp_a",
        "dot_vjp_b",
        "tensordot_vjp_a",
        "tensordot_vjp_b",
        "einsum_vjp",
        "chosen_first",
        "chosen_second",
        "balanced_eq",
    )
)
_RULES = "autodidact.numpy (anp) or NumPy functions and arithmetic on g, ans and the arguments"
_BROADCASTING = (anp.broadcast_to, anp.add, anp.subtract, anp.multiply, anp.divide)


def _shortcuts(allowed: str, *primitives: Callable, also: tuple = ()) -> Shortcuts:
    """The library's operators, finite differences and VJP helpers, and the rules of
    `primitives`, withheld; `also` adds more (this module's reference answers)."""
    return Shortcuts(
        allowed=allowed,
        blocked=(*OPERATORS, *FINITE_DIFFERENCES, *_VJP_HELPERS, *also),
        rules_of=primitives,
    )


def fresh_primitive(raw_fun: Callable, student_rule: Callable, name: str) -> Callable:
    """A new primitive computing raw_fun, whose only VJP is the student's rule."""

    def raw(*args: Any, **kwargs: Any) -> Any:
        return raw_fun(*args, **kwargs)

    raw.__name__ = raw.__qualname__ = f"student_{name}"
    fun = primitive(raw)
    defvjp(fun, student_rule)
    return fun


LEFT_THE_TRACE = (
    "your rule turned a traced value into a plain array or number, so grad(grad(f)) cannot "
    "see how the rule's result depends on it. During a second derivative the arguments of a "
    "rule are traced values themselves: compute with them as they arrive."
)
TREATED_AS_CONSTANT = (
    "the rule's values are right, but the derivative of the rule is not: part of it does not "
    "move when x moves (a plain number taken out of a traced value is a constant to "
    "grad(grad(f)))."
)
STAY_TRACED = (
    "operators and NumPy or anp functions applied to g, ans and x are recorded; np.asarray, "
    "np.array, float(...), .item() and writing into a new array are not."
)


def expect_gradients_match(
    fun: Callable, x: np.ndarray, *, order: int, on: str, hint: str, route: str = ""
) -> None:
    """check_grads in reverse mode; its AssertionError (or the rule's error) becomes a FAIL."""
    try:
        check_grads(fun, modes=["rev"], order=order)(x)
    except AssertionError as error:
        message = str(error).strip().splitlines()[0]
        second_order = "VJP of vjp_of" in message
        raise CheckFailed(
            f"{on}: the {'second-order ' if second_order else ''}gradient disagrees with "
            f"finite differences ({message})",
            TREATED_AS_CONSTANT if second_order else hint,
            STAY_TRACED if second_order else route,
        ) from None
    except NotImplementedError as error:
        raise CheckFailed(f"{on}: {str(error).splitlines()[0]}", hint, route) from None
    except Exception as error:
        message = str(error).strip().splitlines()
        left = isinstance(error, TypeError) and "traced value" in str(error)
        raise CheckFailed(
            f"{on}: differentiating through your rule raised {type(error).__name__}"
            + (f": {message[0]}" if message else ""),
            LEFT_THE_TRACE if left else hint,
            STAY_TRACED if left else route,
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


UNBROADCAST_ROUTE = (
    "Broadcasting lines the shapes up from the right. Axes that g has in front of target's "
    "were added: sum them away. Then, axis by axis, where target has size 1 and g does not, "
    "the entry was stretched: sum over that axis but keep it, at size 1."
)


@exercise_check(
    "unbroadcast",
    sheet=SHEET,
    shortcuts=_shortcuts(
        "sums (anp.sum or np.sum, with axis and keepdims) and the shapes of target and g",
        *_BROADCASTING,
        also=(reference_unbroadcast,),
    ),
)
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
        hint = (
            "the result must hold, for each entry of target, the sum of g over the copies "
            "broadcasting made of that entry, and have target's shape."
        )
        got = call_student(student, target, g, on=on, hint=hint, route=UNBROADCAST_ROUTE)
        if np.shape(got) == g_shape and g.ndim == len(target_shape) != 0:
            hint = (
                f"your result still has g's shape {g_shape}: where target has size 1 and g "
                "does not, the copies of target's entry were not added up."
            )
        elif np.shape(got) == g_shape and g_shape != target_shape:
            hint = f"your result still has g's shape {g_shape}: nothing was summed."
        elif np.shape(got) != expected.shape and np.size(got) == expected.size:
            hint = (
                f"the sums are right but your result has shape {np.shape(got)}, not target's "
                f"{target_shape}: target's size-1 axes were summed away instead of kept at size 1."
            )
        expect_close(
            got, expected, on=on, hint=hint, route=UNBROADCAST_ROUTE, rtol=1e-10, atol=1e-12
        )
    return f"right on {len(cases)} shape pairs, size-1 axes kept."


# -- VJPs of elementwise functions --------------------------------------------------------------

# A likely mistake: what it returns for (g, ans, x), and the hint that names it.
Mistake = tuple[Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray], str]

IGNORES_G = (
    "your result does not change with g: a VJP is linear in the incoming cotangent, and scales "
    "the derivative by g entry by entry."
)


def _check_elementwise(
    student: Callable,
    name: str,
    raw_fun: Callable,
    derivative: Callable,
    points: list[np.ndarray],
    *,
    route: str,
    mistakes: tuple[Mistake, ...] = (),
    gradient_point: np.ndarray | None = None,
    order: int = 2,
) -> str:
    rng = _rng(1)
    hint = f"the result should be g times the slope of {name} at x, entry by entry; it is not."
    for x in points:
        ans = raw_fun(x)
        g = rng.standard_normal(np.shape(x))
        on = f"x = {format_value(x)}, g = {format_value(g)}"
        got = call_student(student, g, ans, x, on=on, hint=hint, route=route)
        specific = hint
        if matches(got, derivative(x), rtol=1e-9):
            specific = IGNORES_G
        for mistake, mistake_hint in mistakes:
            if matches(got, mistake(g, ans, x), rtol=1e-9):
                specific = mistake_hint
                break
        expect_close(
            got, g * derivative(x), on=on, hint=specific, route=route, rtol=1e-8, atol=1e-12
        )
    fun = fresh_primitive(raw_fun, student, name)
    x = points[-1] if gradient_point is None else gradient_point
    expect_gradients_match(
        fun,
        x,
        order=order,
        on=f"grad through a primitive with your rule, x = {format_value(x)}",
        hint=hint,
        route=route,
    )
    return (
        f"right on {len(points)} inputs, and gradients to order {order} match finite differences."
    )


POINTS = [np.array(0.7), np.array([-1.3, 0.4, 2.1])]


@exercise_check("sin_vjp", sheet=SHEET, shortcuts=_shortcuts(_RULES, anp.sin))
def sin_vjp(student: Callable) -> str:
    return _check_elementwise(
        student,
        "sin",
        np.sin,
        np.cos,
        POINTS,
        route="d sin(x)/dx = cos(x), so x_bar = g cos(x), entry by entry.",
        mistakes=(
            (
                lambda g, ans, x: g * np.cos(ans),
                "you took the slope at ans = sin(x); the derivative of sin belongs at the input x.",
            ),
            (lambda g, ans, x: -g * np.cos(x), "the sign is flipped: sin rises where cos > 0."),
        ),
    )


@exercise_check("exp_vjp", sheet=SHEET, shortcuts=_shortcuts(_RULES, anp.exp))
def exp_vjp(student: Callable) -> str:
    return _check_elementwise(
        student,
        "exp",
        np.exp,
        np.exp,
        POINTS,
        route="d exp(x)/dx = exp(x), and exp(x) is what the rule receives as ans.",
        mistakes=(
            (
                lambda g, ans, x: g * x,
                "your values are g x: the slope of exp at x is not x itself.",
            ),
        ),
    )


@exercise_check("log_vjp", sheet=SHEET, shortcuts=_shortcuts(_RULES, anp.log))
def log_vjp(student: Callable) -> str:
    points = [np.array(0.7), np.array([0.3, 1.4, 2.5])]
    return _check_elementwise(
        student,
        "log",
        np.log,
        lambda x: 1.0 / x,
        points,
        route="d log(x)/dx = 1/x.",
        mistakes=(
            (
                lambda g, ans, x: g * x,
                "your values are g x, but log grows more slowly where x is large: its "
                "slope shrinks as x grows.",
            ),
            (
                lambda g, ans, x: g / ans,
                "you divided by ans = log(x); the slope of log depends on x itself.",
            ),
        ),
    )


@exercise_check("tanh_vjp", sheet=SHEET, shortcuts=_shortcuts(_RULES, anp.tanh))
def tanh_vjp(student: Callable) -> str:
    return _check_elementwise(
        student,
        "tanh",
        np.tanh,
        lambda x: 1.0 - np.tanh(x) ** 2,
        POINTS,
        route="d tanh(x)/dx = 1 - tanh(x)^2, and tanh(x) is what the rule receives as ans.",
        mistakes=(
            (
                lambda g, ans, x: g * (1 - x**2),
                "your values are g (1 - x^2): the derivative of tanh is written with tanh(x), "
                "which the rule receives as ans, not with x.",
            ),
            (
                lambda g, ans, x: g * (1 - ans),
                "your values are g (1 - ans): the derivative of tanh is quadratic in tanh(x).",
            ),
        ),
    )


@exercise_check(
    "relu_vjp", sheet=SHEET, shortcuts=_shortcuts(_RULES, anp.maximum, anp.fmax, anp.clip)
)
def relu_vjp(student: Callable) -> str:
    points = [
        np.array(0.7),
        np.array(-0.4),
        np.array(0.0),
        np.array([-1.3, 0.4, 0.0, 2.1, -0.2]),
    ]
    route = (
        "relu(x) = max(x, 0) has slope 1 where x > 0 and 0 where x < 0; at the kink x = 0 "
        "this sheet takes the slope to be 0. So x_bar is g where x > 0 and 0 elsewhere."
    )
    return _check_elementwise(
        student,
        "relu",
        lambda x: np.maximum(x, 0.0),
        lambda x: (x > 0).astype(float),
        points,
        route=route,
        mistakes=(
            (
                lambda g, ans, x: g * (x >= 0),
                "at x = 0 your rule uses slope 1: this sheet takes relu's slope at the kink "
                "x = 0 to be 0.",
            ),
            (
                lambda g, ans, x: g * np.heaviside(x, 0.5),
                "at x = 0 your rule uses slope 0.5: this sheet takes relu's slope at the kink "
                "x = 0 to be 0.",
            ),
            (
                lambda g, ans, x: g * np.ones_like(x),
                "your rule passes g through everywhere: where x < 0, relu is flat, and "
                "nothing reaches x.",
            ),
        ),
        gradient_point=np.array([-1.3, 0.4, 2.1, -0.2]),
    )


# -- matmul -------------------------------------------------------------------------------------


def _check_matmul(student: Callable, argnum: int) -> str:
    rng = _rng(2)
    name = f"matmul_vjp_{argnum}"
    which, other = ("A", "B") if argnum == 0 else ("B", "A")
    route = (
        f"Z = A B, so dZ = dA B + A dB; keep the term in d{which}. The adjoint of {which} is the "
        f"matrix M with <G, dZ> = <M, d{which}> for every d{which}. Write <G, dZ> as "
        f"trace(G^T dZ) and move the factors around the trace (trace(XY) = trace(YX)) until it "
        f"reads trace(M^T d{which})."
    )
    shapes = [((2, 3), (3, 4)), ((4, 2), (2, 2)), ((1, 3), (3, 5))]
    for a_shape, b_shape in shapes:
        A, B = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        ans = A @ B
        g = rng.standard_normal(ans.shape)
        shape = a_shape if argnum == 0 else b_shape
        on = f"A of shape {a_shape}, B of shape {b_shape}"
        got = call_student(
            student,
            g,
            ans,
            A,
            B,
            on=on,
            hint=f"g has Z's shape {ans.shape}, {other} has shape "
            f"{b_shape if argnum == 0 else a_shape}, and the adjoint of {which} must come out "
            f"with {which}'s shape {shape}: your product of them does not fit.",
            route=route,
        )
        if np.shape(got) == shape:
            hint = (
                f"the shape is right but the values are not: here more than one product of g "
                f"and {other} has {which}'s shape {shape}, and only one of them is the adjoint."
            )
        else:
            hint = f"the adjoint of {which} has {which}'s shape {shape}; yours has another."
        expected = g @ B.T if argnum == 0 else A.T @ g
        expect_close(got, expected, on=on, hint=hint, route=route, rtol=1e-9, atol=1e-12)
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
        hint=f"the adjoint of {which} is wrong when used inside grad.",
        route=route,
    )
    return f"right on {len(shapes)} shape pairs, and gradients to order 2 match."


_MATMUL_RULES = (anp.matmul, anp.dot, anp.tensordot, anp.einsum, anp.inner, anp.outer)
_MATMUL_ALLOWED = "matrix products (@, anp.matmul) and transposes (.T, anp.transpose)"


@exercise_check("matmul_vjp_0", sheet=SHEET, shortcuts=_shortcuts(_MATMUL_ALLOWED, *_MATMUL_RULES))
def matmul_vjp_0(student: Callable) -> str:
    return _check_matmul(student, 0)


@exercise_check("matmul_vjp_1", sheet=SHEET, shortcuts=_shortcuts(_MATMUL_ALLOWED, *_MATMUL_RULES))
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
    hint: Callable[[Any, np.ndarray, np.ndarray], str],
    route: str,
    rtol: float,
    atol: float = 0.0,
) -> None:
    """Draw x and a cotangent g for ans = forward(x, *args, **kwargs); the student's rule
    must return what the `reference` rule does, both called as (g, ans, x, *args, **kwargs).

    `hint(got, g, x)` names what is wrong with `got` (None when the student's code raised)."""
    kwargs = kwargs or {}
    x = rng.standard_normal(x_shape)
    ans = forward(x, *args, **kwargs)
    g = rng.standard_normal(np.shape(ans))
    got = call_student(
        student, g, ans, x, *args, on=on, hint=hint(None, g, x), route=route, **kwargs
    )
    expected = reference(g, ans, x, *args, **kwargs)
    expect_close(got, expected, on=on, hint=hint(got, g, x), route=route, rtol=rtol, atol=atol)


def expect_primitive_gradients(
    student: Callable,
    raw_fun: Callable,
    name: str,
    x: np.ndarray,
    apply: Callable,
    *,
    on: str,
    hint: str,
    route: str,
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
        route=route,
    )


def reference_sum_vjp(
    g: np.ndarray, ans: Any, x: np.ndarray, axis=None, keepdims=False
) -> np.ndarray:
    g_kept = g if keepdims or axis is None else np.expand_dims(g, axis)
    return np.broadcast_to(g_kept, np.shape(x))


SUM_ROUTE = (
    "Every entry of x that went into a sum receives that sum's adjoint, unchanged: copy g "
    "back along the summed axes. Without keepdims those axes are missing from g, so put them "
    "back as size-1 axes first (anp.expand_dims takes a tuple of axes); then broadcast to x's "
    "shape. With axis=None the sum is one number, and broadcasting it is enough."
)


def _sum_hint(axis: Any, keepdims: bool, x_shape: tuple) -> Callable:
    def hint(got: Any, g: np.ndarray, x: np.ndarray) -> str:
        if axis is not None and not keepdims:
            return (
                f"the sum over axis {axis} removed that axis, so g has shape {np.shape(g)}; "
                f"lined up with x's shape {x_shape} from the right, g's axes sit in the wrong "
                f"places."
            )
        if keepdims:
            return (
                f"with keepdims=True, g still has the summed axes, at size 1 (shape "
                f"{np.shape(g)}); each summed entry of x should receive its sum's adjoint."
            )
        return "with axis=None the sum is one number, and every entry of x went into it."

    return hint


@exercise_check(
    "sum_vjp",
    sheet=SHEET,
    shortcuts=_shortcuts(
        "anp.expand_dims, anp.broadcast_to, anp.reshape and the shape of x",
        anp.sum,
        anp.mean,
        also=(reference_sum_vjp,),
    ),
)
def sum_vjp(student: Callable) -> str:
    """The VJP of a sum broadcasts g back over the summed axes."""
    rng = _rng(3)
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
            hint=_sum_hint(kwargs.get("axis"), kwargs.get("keepdims", False), shape),
            route=SUM_ROUTE,
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
            hint="the rule is wrong when used inside grad.",
            route=SUM_ROUTE,
        )
    return f"right on {len(cases)} axis/keepdims settings, and gradients to order 2 match."


BROADCAST_ROUTE = (
    "Broadcasting and summing are adjoint to each other: the copies broadcasting made of an "
    "entry of x each receive part of g, and the entry's adjoint is their sum. Summing g back "
    "down to x's shape is what your unbroadcast does."
)


def _broadcast_hint(x_shape: tuple, shape: tuple) -> Callable:
    def hint(got: Any, g: np.ndarray, x: np.ndarray) -> str:
        if got is not None and np.shape(got) == tuple(shape) and tuple(shape) != x_shape:
            return (
                f"your result has the broadcast shape {shape}; the adjoint of x has x's shape "
                f"{x_shape}, each entry collecting the adjoints of all its copies."
            )
        return f"each entry of x should collect the adjoints of all its copies in g {shape}."

    return hint


@exercise_check(
    "broadcast_to_vjp",
    sheet=SHEET,
    shortcuts=_shortcuts(
        "your own unbroadcast, or sums over axes", *_BROADCASTING, also=(reference_unbroadcast,)
    ),
)
def broadcast_to_vjp(student: Callable) -> str:
    """Broadcasting copies entries; its VJP sums g back down to x's shape."""
    rng = _rng(4)
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
            hint=_broadcast_hint(x_shape, shape),
            route=BROADCAST_ROUTE,
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
        hint="the rule is wrong when used inside grad.",
        route=BROADCAST_ROUTE,
    )
    return f"right on {len(cases)} shapes, and gradients to order 2 match."


RESHAPE_ROUTE = (
    "Reshape keeps every entry in the same place of the flat (row-major) order and only "
    "regroups the axes; its adjoint regroups g the other way, back to x's shape."
)


def _reshape_hint(x_shape: tuple, shape: tuple) -> Callable:
    def hint(got: Any, g: np.ndarray, x: np.ndarray) -> str:
        if got is not None and np.shape(got) == np.shape(g) and np.shape(g) != x_shape:
            return (
                f"your result has the output's shape {np.shape(g)}; the adjoint of x has x's "
                f"shape {x_shape}."
            )
        if got is not None and np.shape(got) == x_shape:
            return (
                "right shape, wrong order: reshape never moves an entry within the flat order, "
                "so neither may its adjoint."
            )
        return f"the adjoint of x must have x's shape {x_shape}, entries in the flat order of g."

    return hint


@exercise_check(
    "reshape_vjp",
    sheet=SHEET,
    shortcuts=_shortcuts(
        "anp.reshape and the shape of x", anp.reshape, anp.ravel, anp.expand_dims, anp.squeeze
    ),
)
def reshape_vjp(student: Callable) -> str:
    rng = _rng(5)
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
            hint=_reshape_hint(x_shape, shape),
            route=RESHAPE_ROUTE,
            rtol=1e-12,
        )
    expect_primitive_gradients(
        student,
        lambda x, shape: np.reshape(x, shape),
        "reshape",
        rng.standard_normal((2, 3)),
        lambda fun, x: fun(x, (3, 2)) * np.arange(6.0).reshape(3, 2),
        on="(2, 3) to (3, 2)",
        hint="the rule is wrong when used inside grad.",
        route=RESHAPE_ROUTE,
    )
    return f"right on {len(cases)} shapes, and gradients to order 2 match."


TRANSPOSE_ROUTE = (
    "Output axis k of the transpose is input axis axes[k]. The adjoint moves g back: it needs "
    "the permutation that sends axis axes[k] back to place k, the inverse permutation, which "
    "is np.argsort(axes). axes=None reverses the axes, and reversing again undoes it."
)


def _transpose_hint(x_shape: tuple, axes: Any) -> Callable:
    def hint(got: Any, g: np.ndarray, x: np.ndarray) -> str:
        if got is not None and axes is not None and matches(got, np.transpose(g, axes)):
            return (
                f"you permuted g by axes = {axes} again: applying a permutation twice does not "
                f"undo it (only a swap of two axes is its own inverse)."
            )
        return (
            f"the adjoint of x must have x's shape {x_shape}, with each entry of g back where "
            f"its entry of x came from."
        )

    return hint


@exercise_check(
    "transpose_vjp",
    sheet=SHEET,
    shortcuts=_shortcuts(
        "anp.transpose and NumPy on the axes (np.argsort ...)",
        anp.transpose,
        anp.swapaxes,
        anp.moveaxis,
    ),
)
def transpose_vjp(student: Callable) -> str:
    rng = _rng(6)
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
            hint=_transpose_hint(x_shape, axes),
            route=TRANSPOSE_ROUTE,
            rtol=1e-12,
        )
    expect_primitive_gradients(
        student,
        lambda x, axes=None: np.transpose(x, axes),
        "transpose",
        rng.standard_normal((2, 3, 4)),
        lambda fun, x: fun(x, (1, 2, 0)),
        on="axes=(1, 2, 0)",
        hint="the rule is wrong when used inside grad.",
        route=TRANSPOSE_ROUTE,
    )
    return f"right on {len(cases)} permutations, and gradients to order 2 match."


# -- logsoftmax ---------------------------------------------------------------------------------


def reference_logsoftmax(x: np.ndarray) -> np.ndarray:
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


LOGSOFTMAX_ROUTE = (
    "From ans_i = x_i - log sum_j exp(x_j) (one row): d ans_i / d x_j = delta_ij - "
    "softmax(x)_j, and softmax(x) = exp(ans). Then x_bar_j = sum_i g_i d ans_i / d x_j, "
    "with the sums over the last axis, one per row."
)


@exercise_check(
    "logsoftmax_vjp",
    sheet=SHEET,
    shortcuts=_shortcuts(_RULES, also=(reference_logsoftmax,)),
)
def logsoftmax_vjp(student: Callable) -> str:
    """ans = x - logsumexp(x) over the last axis: x_bar = g - softmax(x) * sum(g) per row."""
    rng = _rng(7)
    hint = (
        "the values differ from the VJP of x - log(sum(exp(x))) over the last axis: every "
        "x_j moves the log-sum-exp term, and through it every entry of its row."
    )
    for shape in [(4,), (3, 5)]:
        x = rng.standard_normal(shape)
        ans = reference_logsoftmax(x)
        g = rng.standard_normal(shape)
        on = f"x of shape {shape}, {format_value(x)}"
        got = call_student(student, g, ans, x, on=on, hint=hint, route=LOGSOFTMAX_ROUTE)
        expected = g - np.exp(ans) * np.sum(g, axis=-1, keepdims=True)
        specific = hint
        if matches(got, g - np.exp(ans) * np.sum(g), rtol=1e-9):
            specific = (
                "your result mixes the rows of the batch: each row is normalised by its own "
                "log-sum-exp, so only its own entries of g belong in its correction."
            )
        elif matches(got, g - np.sum(g, axis=-1, keepdims=True), rtol=1e-9):
            specific = (
                "every entry lost the whole row sum of g: d ans_i / d x_j is not delta_ij - 1; "
                "the log-sum-exp term weighs each x_j by how large exp(x_j) is in its row."
            )
        elif matches(got, g, rtol=1e-9):
            specific = "your result is g itself: the log-sum-exp term depends on x too."
        expect_close(
            got, expected, on=on, hint=specific, route=LOGSOFTMAX_ROUTE, rtol=1e-9, atol=1e-12
        )
    expect_primitive_gradients(
        student,
        reference_logsoftmax,
        "logsoftmax",
        rng.standard_normal((2, 3)),
        lambda fun, x: fun(x),
        on="x of shape (2, 3)",
        hint="the rule is wrong when used inside grad.",
        route=LOGSOFTMAX_ROUTE,
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

# The output y is not the last entry: z is computed after it, and w is on no path to y.
SIDE_TAPE = [
    ("u", [("x", 2.0)]),
    ("w", [("x", 4.0)]),
    ("y", [("u", 3.0), ("x", 1.0)]),
    ("z", [("y", 5.0), ("w", 6.0)]),
]
SIDE_ADJOINTS = {"y": 1.0, "u": 3.0, "x": 7.0, "w": 0.0, "z": 0.0}


def reference_reverse_gradient(tape: list, output: str) -> dict[str, float]:
    adjoints: dict[str, float] = {}
    for name, inputs in tape:
        adjoints[name] = 0.0
        for input_name, _ in inputs:
            adjoints.setdefault(input_name, 0.0)
    adjoints[output] = 1.0
    for name, inputs in reversed(tape):
        for input_name, partial in inputs:
            adjoints[input_name] += adjoints[name] * partial
    return adjoints


TAPE_ROUTE = (
    "Seed the output's adjoint with 1 and every other node's with 0. Visit the entries from "
    "the last to the first: when an entry is visited, every entry that uses it has been "
    "visited already, so its adjoint is complete; pass adjoint times partial to each of its "
    "inputs, adding to what they hold."
)


def _expect_adjoints(got: Any, expected: dict[str, float], on: str, hint: str) -> None:
    if not isinstance(got, dict):
        raise CheckFailed(
            f"{on}: expected a dict {{name: adjoint}}, got {format_value(got)}",
            "the result should be a dictionary from every node's name to its adjoint.",
            TAPE_ROUTE,
        )
    for name, value in expected.items():
        if value == 0.0:
            missing_hint = (
                f"{name!r} is on the tape but the output does not depend on it: its adjoint is "
                f"0, and it belongs in the dict too."
            )
        else:
            missing_hint = "every node of the tape needs an adjoint: output, intermediates, inputs."
        expect(
            name in got,
            on=on,
            expected=f"an adjoint for {name!r}",
            got=f"keys {sorted(got)}",
            hint=missing_hint,
            route=TAPE_ROUTE,
        )
        expect_close(
            got[name],
            value,
            on=on,
            hint=hint,
            route=TAPE_ROUTE,
            rtol=1e-9,
            atol=1e-12,
            what=f"{name}_bar",
        )


def _expect_tape(
    student: Callable,
    tape: list,
    output: str,
    expected: dict[str, float],
    *,
    on: str,
    hint: str,
    mistakes: tuple[tuple[Callable[[dict], bool], str], ...],
) -> None:
    """The student's adjoints on `tape` must be `expected`; a mistake's hint if it shows."""
    got = call_student(
        student,
        [(name, list(inputs)) for name, inputs in tape],
        output,
        on=on,
        hint=hint,
        route=TAPE_ROUTE,
    )
    if isinstance(got, dict):
        in_forward_order = _walk_in_forward_order(tape, output)
        if in_forward_order != expected and all(
            _near(got, name, value) for name, value in in_forward_order.items()
        ):
            mistakes = ((lambda got: True, PASSED_ON_TOO_EARLY), *mistakes)
        for mistaken, mistake_hint in mistakes:
            if mistaken(got):
                hint = mistake_hint
                break
    _expect_adjoints(got, expected, on, hint)


PASSED_ON_TOO_EARLY = (
    "adjoints were passed on before they were complete: a node's adjoint is final only once "
    "every entry that uses the node has sent its share back, and your walk did not wait for that."
)


def _walk_in_forward_order(tape: list, output: str) -> dict[str, float]:
    """What a walk from the first entry to the last gives: the likely slip of the exercise."""
    adjoints = {output: 1.0}
    for name, inputs in tape:
        for input_name, partial in inputs:
            adjoints[input_name] = adjoints.get(input_name, 0.0) + adjoints.get(name, 0.0) * partial
    return adjoints


def _near(got: dict, name: str, value: float) -> bool:
    try:
        return bool(np.isclose(float(got.get(name, np.nan)), value))
    except (TypeError, ValueError):
        return False


@exercise_check(
    "reverse_gradient",
    sheet=SHEET,
    shortcuts=_shortcuts(
        "a dict and a loop over the tape",
        also=(
            "autodidact.reverse.toposort",
            "autodidact.teaching.trace_table.reverse_steps",
            "autodidact.teaching.trace_table.trace_table",
            reference_reverse_gradient,
        ),
    ),
)
def reverse_gradient(student: Callable) -> str:
    """Walk the tape backwards, adding adjoint * partial into each input's adjoint."""
    hint = (
        "each node's adjoint is d output / d node: the sum, over the entries that use the "
        "node, of that entry's adjoint times the local partial. Yours differs."
    )
    _expect_tape(
        student,
        EXAMPLE_TAPE,
        "v7",
        EXAMPLE_ADJOINTS,
        on="the tape of y = ln(x1) + x1 x2 - sin(x2) at (2, 5), output 'v7'",
        hint=hint,
        mistakes=(
            (
                lambda got: _near(got, "v2", X1),
                "v2 is used by both v4 and v5, and your v2_bar holds only one of the two shares.",
            ),
        ),
    )
    _expect_tape(
        student,
        [("u", [("x", 3.0), ("x", 3.0)]), ("y", [("u", 2.0), ("x", 1.0)])],  # y = 2 x^2 + x
        "y",
        {"y": 1.0, "u": 2.0, "x": 13.0},
        on="the tape of u = x * x, y = 2 u + x at x = 3, output 'y'",
        hint=hint,
        mistakes=(
            (
                lambda got: any(_near(got, "x", v) for v in (4.0, 7.0, 6.0)),
                "x reaches y three ways (twice through u, once directly), and your x_bar "
                "misses some of them.",
            ),
        ),
    )
    _expect_tape(
        student,
        [("b", [("a", 2.0)]), ("c", [("b", 3.0)]), ("d", [("c", 4.0)])],
        "d",
        {"d": 1.0, "c": 4.0, "b": 12.0, "a": 24.0},
        on="the chain a -> b -> c -> d with partials 2, 3, 4, output 'd'",
        hint=hint,
        mistakes=(),
    )
    side_hint = (
        "on this tape 'z' is computed after the output 'y', and 'w' lies on no path to 'y': "
        "the output depends on neither, so both adjoints are 0."
    )
    _expect_tape(
        student,
        SIDE_TAPE,
        "y",
        SIDE_ADJOINTS,
        on="u = 2 x, w = 4 x, y = 3 u + x, z = 5 y + 6 w at x = 1, output 'y' (not the last entry)",
        hint=side_hint,
        mistakes=(
            (
                lambda got: _near(got, "z", 1.0),
                "you seeded the last entry 'z', but the output asked for is 'y': the seed of 1 "
                "belongs to the output, wherever it sits on the tape.",
            ),
        ),
    )
    return "right on 4 tapes: shared values, repeated inputs, and nodes the output does not reach."


__all__ = [
    "EXAMPLE_TAPE",
    "EXAMPLE_ADJOINTS",
    "SIDE_TAPE",
    "SIDE_ADJOINTS",
    "fresh_primitive",
    "reference_unbroadcast",
    "reference_logsoftmax",
    "reference_reverse_gradient",
]
