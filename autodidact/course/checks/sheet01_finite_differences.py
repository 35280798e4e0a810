"""Checks for sheet 01, finite differences.

Each check tries the student's function on several inputs, among them one
that a plausible wrong answer gets wrong: a large eps at which one-sided and
central quotients differ, an integer array, a caller's array that must not be
changed, a gradient that is wrong in one coordinate only.

The library's own numerical derivatives (`autodidact.finite_differences`, the
quotients of the eps widget) and its differential operators (`grad` and the
rest) are withheld while these checks run: the exercises ask for the
quotients written with calls of f and NumPy arithmetic.

The first hint of a failure names the mistake; the second level (``route``)
gives the quotient's formula. Neither gives code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
from autodidact.finite_differences import numerical_gradient

SHEET = "01_finite_differences"

# The eps widget of lecture 01 computes the scalar quotients too.
WIDGET_QUOTIENTS = (
    "autodidact.teaching.finite_difference_widget.one_sided_quotient",
    "autodidact.teaching.finite_difference_widget.central_quotient",
)
QUOTIENTS_YOURSELF = Shortcuts(
    allowed="calls of f, NumPy arrays and arithmetic (no library derivative)",
    blocked=(*FINITE_DIFFERENCES, *WIDGET_QUOTIENTS, *OPERATORS),
)
CHECK_YOURSELF = Shortcuts(
    allowed="calls of f and grad_f, np.random.default_rng(seed), NumPy and arithmetic "
    "(no library derivative)",
    blocked=(*FINITE_DIFFERENCES, *WIDGET_QUOTIENTS, *OPERATORS),
)


def sum_of_squares(x: np.ndarray) -> float:
    return np.sum(x**2)


def sum_of_exp(x: np.ndarray) -> float:
    return np.sum(np.exp(x))


def sum_of_sin(x: np.ndarray) -> float:
    return np.sum(np.sin(x))


def log_sum_exp(x: np.ndarray) -> float:
    return np.log(np.sum(np.exp(x)))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


class CountingFunction:
    """Wraps f and counts how often it is evaluated."""

    def __init__(self, f: Callable) -> None:
        self.f = f
        self.calls = 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        return self.f(x)


# -- first-level hints: the mistake, in words ----------------------------------------------------

CHANGED_X = "your function changed the caller's x; a caller expects their array back unchanged."
CHANGED_X_ROUTE = (
    "evaluate f at new arrays (x with one entry moved, made afresh for each i), "
    "never by writing into x itself."
)
DIVIDE_BY_2_EPS = (
    "your entries are twice the right ones: the step from x - eps e_i to x + eps e_i "
    "is 2 eps long, not eps."
)
FIXED_STEP = "your answer does not change with eps: use the eps you were given, not a fixed step."
ALL_AT_ONCE = (
    "every entry is the sum of all the partial derivatives: you moved every coordinate at "
    "once, where entry i should move coordinate i alone."
)
ONE_PER_COORDINATE = "a gradient has one entry per coordinate of x."
INTEGERS = (
    "x arrived as integers, and an integer array cannot hold x_i + eps: the step was rounded away."
)
INTEGERS_ROUTE = "work on a float version of x, made before any step is taken."

ONE_SIDED_ROUTE = (
    "entry i is (f(x + eps e_i) - f(x)) / eps, with e_i the i-th basis vector "
    "(1 in place i, 0 elsewhere)."
)
CENTRAL_ROUTE = (
    "entry i is (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), with e_i the i-th basis vector "
    "(1 in place i, 0 elsewhere)."
)


def gradient_of(
    student: Callable, f: Callable, x: np.ndarray, on: str, route: str = "", **kwargs
) -> object:
    """Call the student's gradient function; fail if it changed the caller's x."""
    x_before = x.copy()
    got = call_student(student, f, x, on=on, route=route, **kwargs)
    changed = not np.array_equal(x, x_before)
    expect(
        not changed,
        on=on,
        expected=f"x unchanged after the call, {format_value(x_before)}",
        got=f"x = {format_value(x)}, changed by up to {np.max(np.abs(x - x_before)):.2g}"
        if changed
        else "",
        hint=CHANGED_X,
        route=CHANGED_X_ROUTE,
    )
    return got


def expect_gradient(
    student: Callable,
    f: Callable,
    x: np.ndarray,
    expected: np.ndarray,
    *,
    on: str,
    hint: str,
    route: str,
    mistakes: tuple[tuple[np.ndarray, float, str], ...] = (),
    rtol: float,
    atol: float = 0.0,
    what: str = "",
    **kwargs: float,
) -> None:
    """The student's gradient of f at x must be `expected`.

    `mistakes` are (what a likely mistake returns, rtol, its hint): the hint of
    the first the answer matches replaces the general one. An answer of the
    wrong shape, or one that moved all coordinates at once, is named as such.
    """
    got = gradient_of(student, f, x, on=on, route=route, **kwargs)
    if np.shape(got) != np.shape(expected):
        hint = ONE_PER_COORDINATE
    all_at_once = np.full(np.shape(expected), np.sum(expected))
    for candidate, candidate_rtol, mistake_hint in (*mistakes, (all_at_once, 1e-3, ALL_AT_ONCE)):
        if matches(got, candidate, rtol=candidate_rtol) and not matches(got, expected, rtol=rtol):
            hint = mistake_hint
            break
    expect_close(got, expected, on=on, hint=hint, route=route, rtol=rtol, atol=atol, what=what)


def _check_shared_behaviour(student: Callable, route: str) -> None:
    """Integer input and the caller's array: the same for both difference quotients."""
    x_int = np.array([1, 2, 3])
    expect_gradient(
        student,
        sum_of_squares,
        x_int,
        2.0 * x_int,
        on=f"f(x) = sum(x**2), integer x = {format_value(x_int)}",
        rtol=1e-4,
        atol=1e-4,
        hint=INTEGERS,
        route=INTEGERS_ROUTE,
    )

    x = np.array([0.3, -1.1, 2.0])
    gradient_of(student, sum_of_squares, x, on=f"f(x) = sum(x**2), x = {format_value(x)}")


@exercise_check("forward_difference", sheet=SHEET, shortcuts=QUOTIENTS_YOURSELF)
def forward_difference(student: Callable) -> str:
    """The one-sided gradient (f(x + eps e_i) - f(x)) / eps, with d + 1 evaluations."""
    x = np.array([1.0, -2.0, 0.5])
    expect_gradient(
        student,
        sum_of_squares,
        x,
        2.0 * x,
        on=f"f(x) = sum(x**2), x = {format_value(x)} (true gradient 2x)",
        rtol=1e-5,
        atol=1e-5,
        hint="entry i should be the slope of f when coordinate i alone moves by eps; "
        "your entries are not close to the slopes 2 x_i.",
        route=ONE_SIDED_ROUTE,
    )

    # At eps = 1e-3 the one-sided quotient is off by about eps/2 relative,
    # the central one by eps^2/6: the two answers differ in the fourth digit.
    x = np.array([0.0, 1.0])
    eps = 1e-3
    central = numerical_gradient(sum_of_exp, x, eps=eps, method="central")
    expect_gradient(
        student,
        sum_of_exp,
        x,
        numerical_gradient(sum_of_exp, x, eps=eps, method="one-sided"),
        eps=eps,
        on=f"f(x) = sum(exp(x)), x = {format_value(x)}, eps = {eps:g}",
        rtol=1e-8,
        hint="at eps = 1e-3 the one-sided quotient is off from exp(x) by about eps/2 "
        "relative, and the check expects exactly that quotient; yours is a different number.",
        route=ONE_SIDED_ROUTE,
        mistakes=(
            (
                central,
                1e-9,
                "that is the central quotient, which steps both ways; this exercise asks for "
                "the one-sided one, which steps forward only.",
            ),
            (np.exp(x), 1e-6, FIXED_STEP),
        ),
    )

    _check_shared_behaviour(student, ONE_SIDED_ROUTE)

    counted = CountingFunction(sum_of_squares)
    x = np.arange(4.0)
    on = f"f(x) = sum(x**2), x = {format_value(x)}"
    gradient_of(student, counted, x, on=on)
    expect(
        counted.calls <= x.size + 1,
        on=on,
        expected=f"at most d + 1 = {x.size + 1} evaluations of f",
        got=f"{counted.calls}",
        hint="f(x) is the same number for every coordinate i, yet your function evaluated "
        "it more than once.",
        route="one evaluation of f(x), then one of f(x + eps e_i) per coordinate: d + 1 in all.",
    )
    return "right on 5 inputs, including eps = 1e-3 (one-sided, not central), with d + 1 calls."


@exercise_check("central_difference", sheet=SHEET, shortcuts=QUOTIENTS_YOURSELF)
def central_difference(student: Callable) -> str:
    """The central gradient (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."""
    x = np.array([1.0, -2.0, 0.5])
    expect_gradient(
        student,
        sum_of_squares,
        x,
        2.0 * x,
        on=f"f(x) = sum(x**2), x = {format_value(x)} (true gradient 2x)",
        rtol=1e-4,
        atol=1e-4,
        hint="entry i should be the slope of f across the interval [x_i - eps, x_i + eps] "
        "of coordinate i alone; your entries are not close to the slopes 2 x_i.",
        route=CENTRAL_ROUTE,
        mistakes=((2 * (2.0 * x), 1e-4, DIVIDE_BY_2_EPS),),
    )

    # At the default eps = 1e-5 a one-sided quotient is off by about 5e-6;
    # the central quotient is good to about 1e-10.
    x = np.array([0.5, 1.2, -2.0])
    expect_gradient(
        student,
        sum_of_sin,
        x,
        np.cos(x),
        on=f"f(x) = sum(sin(x)), x = {format_value(x)} (true gradient cos(x))",
        rtol=1e-8,
        atol=1e-8,
        what="to within 1e-8",
        hint="an error of this size, of order eps, is what a one-sided quotient makes; "
        "the central quotient's error is of order eps^2, about 1e-10 here.",
        route=CENTRAL_ROUTE,
    )

    x = np.array([0.0, 1.0])
    eps = 1e-2
    expected = numerical_gradient(sum_of_exp, x, eps=eps, method="central")
    expect_gradient(
        student,
        sum_of_exp,
        x,
        expected,
        eps=eps,
        on=f"f(x) = sum(exp(x)), x = {format_value(x)}, eps = {eps:g}",
        rtol=1e-9,
        hint="at eps = 1e-2 the central quotient is off from exp(x) by about eps^2/6 "
        "relative, and the check expects exactly that quotient; yours is a different number.",
        route=CENTRAL_ROUTE,
        mistakes=((2 * expected, 1e-9, DIVIDE_BY_2_EPS), (np.exp(x), 1e-7, FIXED_STEP)),
    )

    _check_shared_behaviour(student, CENTRAL_ROUTE)
    return "right on 5 inputs, including the accuracy (1e-8 at eps = 1e-5) only central reaches."


RELATIVE_ROUTE = (
    "for one random unit vector delta, compare two numbers: the central quotient of f along "
    "delta (step eps) and delta^T grad_f(x). Divide their distance by the larger of their "
    "two sizes, and call it 0 when both are 0."
)


def _relative_error_result(result: object, on: str) -> float:
    """The student's return value as a non-negative float, or a FAIL."""
    try:
        value = float(np.asarray(result, dtype=float))
        valid = np.ndim(result) == 0 and np.isfinite(value) and value >= 0
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise CheckFailed(
            f"{on}: expected one non-negative number (the relative error), "
            f"got {format_value(result)}",
            "a gradient check answers with one number, the relative error along one "
            "direction, not one per coordinate.",
            RELATIVE_ROUTE,
        )
    return value


def _relative_error(
    student: Callable, f: Callable, grad_f: Callable, x: np.ndarray, on: str
) -> float:
    return _relative_error_result(call_student(student, f, grad_f, x, on=on), on)


def _expect_error(
    student: Callable,
    f: Callable,
    grad_f: Callable,
    x: np.ndarray,
    *,
    right: bool,
    on: str,
    hint: str,
    route: str = RELATIVE_ROUTE,
) -> float:
    """The student's relative error for grad_f: tiny if grad_f is `right`, near 0.1 if not."""
    error = _relative_error(student, f, grad_f, x, on)
    expect(
        error < 1e-6 if right else error > 1e-2,
        on=on,
        expected="a relative error below 1e-6" if right else "a relative error near 0.1",
        got=f"{error:.3g}",
        hint=hint,
        route=route,
    )
    return error


@exercise_check("gradient_check", sheet=SHEET, shortcuts=CHECK_YOURSELF)
def gradient_check(student: Callable) -> str:
    """Relative error between delta^T grad_f(x) and a central directional difference."""
    x = np.array([0.2, -0.7, 1.5, 0.1, -1.3])

    _expect_error(
        student,
        log_sum_exp,
        softmax,
        x,
        right=True,
        on=f"f = logsumexp, the right gradient (softmax), x = {format_value(x)}",
        hint="with the right gradient, the derivative along delta measured by differences "
        "and the one computed from grad_f must agree to about 1e-10; yours disagree.",
    )

    too_big = lambda x: 1.1 * softmax(x)
    on = f"f = logsumexp, a gradient 10% too large, x = {format_value(x)}"
    error = _expect_error(
        student,
        log_sum_exp,
        too_big,
        x,
        right=False,
        on=on,
        hint="a gradient 10% too large went unnoticed: the error must compare the "
        "difference quotient of f with what grad_f claims along the same direction.",
    )
    again = _relative_error(student, log_sum_exp, too_big, x, on)
    expect(
        again == error,
        on=on + ", called twice with seed = 0",
        expected=f"the same result twice, {error:.6g}",
        got=f"{again:.6g}",
        hint="two calls with the same seed drew different directions: a check that cannot be "
        "repeated cannot be debugged. The direction must come from the seed alone.",
        route="make the generator from the seed argument (np.random.default_rng(seed)) inside "
        "your function, and draw the direction from it.",
    )

    def wrong_in_last(x: np.ndarray) -> np.ndarray:
        g = softmax(x)
        g[-1] += 1.0
        return g

    on = f"f = logsumexp, a gradient wrong only in its last entry, x = {format_value(x)}"
    errors = [
        _relative_error_result(
            call_student(student, log_sum_exp, wrong_in_last, x, seed=seed, on=on), on
        )
        for seed in range(5)
    ]
    expect(
        max(errors) > 1e-2,
        on=on + ", seeds 0 to 4",
        expected="a large relative error for some seed",
        got=format_value(np.array(errors)),
        hint="a gradient wrong in its last entry passed for every seed: your direction never "
        "moves that coordinate, so the check sees only part of the gradient.",
        route="draw every entry of delta at random (a standard normal vector, scaled to "
        "length 1): then every coordinate of the gradient takes part.",
    )
    expect(
        len(set(errors)) > 1,
        on=on + ", seeds 0 to 4",
        expected="a different direction, so a different error, for each seed",
        got=f"the same error for every seed, {errors[0]:.6g}",
        hint="every seed gave the same result: your direction does not depend on the seed "
        "you were given.",
        route="make the generator from the seed argument: np.random.default_rng(seed).",
    )

    _expect_error(
        student,
        lambda x: 1e8 * log_sum_exp(x),
        lambda x: 1e8 * softmax(x),
        x,
        right=True,
        on=f"f = 1e8 * logsumexp, the right gradient, x = {format_value(x)}",
        hint="the right gradient of a large f looked wrong: an absolute difference grows "
        "with the scale of f, so your error must not depend on that scale.",
    )
    _expect_error(
        student,
        lambda x: 1e-8 * log_sum_exp(x),
        lambda x: 1.1e-8 * softmax(x),
        x,
        right=False,
        on=f"f = 1e-8 * logsumexp, a gradient 10% too large, x = {format_value(x)}",
        hint="a wrong gradient of a tiny f looked right: an absolute difference shrinks "
        "with the scale of f, so your error must not depend on that scale.",
    )
    return "right and wrong gradients told apart, at scales 1e-8 to 1e8, in every direction."


__all__ = ["forward_difference", "central_difference", "gradient_check"]
