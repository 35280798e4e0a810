"""Checks for sheet 01, finite differences.

Each check tries the student's function on several inputs, among them one
that a plausible wrong answer gets wrong: a large eps at which one-sided and
central quotients differ, an integer array, a caller's array that must not be
changed, a gradient that is wrong in one coordinate only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autodidact.course.checking import (
    CheckFailed,
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
    matches,
)
from autodidact.finite_differences import directional_derivative, numerical_gradient

SHEET = "01_finite_differences"


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


def gradient_of(student: Callable, f: Callable, x: np.ndarray, on: str, **kwargs) -> object:
    """Call the student's gradient function; fail if it changed the caller's x."""
    x_before = x.copy()
    got = call_student(student, f, x, on=on, **kwargs)
    expect(
        np.array_equal(x, x_before),
        on=on,
        expected=f"x unchanged after the call, {format_value(x_before)}",
        got=f"x = {format_value(x)}",
        hint="your function must not change the caller's array: step on a copy, "
        "e.g. x_step = x.copy() or x + eps * e_i.",
    )
    return got


DIVIDE_BY_2_EPS = "the step from x - eps to x + eps is 2 eps long: divide by 2 eps."
FIXED_STEP = "use the eps argument you were given rather than a fixed step."


def expect_gradient(
    student: Callable,
    f: Callable,
    x: np.ndarray,
    expected: np.ndarray,
    *,
    on: str,
    hint: str,
    mistakes: tuple[tuple[np.ndarray, float, str], ...] = (),
    rtol: float,
    atol: float = 0.0,
    what: str = "",
    **kwargs: float,
) -> None:
    """The student's gradient of f at x must be `expected`.

    `mistakes` are (what a likely mistake returns, rtol, its hint): the hint of
    the first the answer matches replaces the general one.
    """
    got = gradient_of(student, f, x, on=on, **kwargs)
    for candidate, candidate_rtol, mistake_hint in mistakes:
        if matches(got, candidate, rtol=candidate_rtol):
            hint = mistake_hint
            break
    expect_close(got, expected, on=on, hint=hint, rtol=rtol, atol=atol, what=what)


def _check_shared_behaviour(student: Callable) -> None:
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
        hint="x arrived as integers, and adding eps to an integer array rounds the step "
        "away: work on a float copy of x.",
    )

    x = np.array([0.3, -1.1, 2.0])
    gradient_of(student, sum_of_squares, x, on=f"f(x) = sum(x**2), x = {format_value(x)}")


@exercise_check("forward_difference", sheet=SHEET)
def forward_difference(student: Callable) -> str:
    """The one-sided gradient (f(x + eps e_i) - f(x)) / eps, with d + 1 evaluations."""
    x = np.array([1.0, -2.0, 0.5])
    expect_gradient(
        student,
        sum_of_squares,
        x,
        2.0 * x,
        on=f"f(x) = sum(x**2), x = {format_value(x)}",
        rtol=1e-5,
        atol=1e-5,
        hint="return the array of (f(x + eps e_i) - f(x)) / eps, one entry per coordinate i.",
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
        hint="use the one-sided quotient (f(x + eps e_i) - f(x)) / eps "
        "with the eps you were given.",
        mistakes=(
            (
                central,
                1e-9,
                "that is the central quotient; this exercise asks for the one-sided "
                "(f(x + eps e_i) - f(x)) / eps.",
            ),
            (np.exp(x), 1e-6, FIXED_STEP),
        ),
    )

    _check_shared_behaviour(student)

    counted = CountingFunction(sum_of_squares)
    x = np.arange(4.0)
    on = f"f(x) = sum(x**2), x = {format_value(x)}"
    gradient_of(student, counted, x, on=on)
    expect(
        counted.calls <= x.size + 1,
        on=on,
        expected=f"at most d + 1 = {x.size + 1} evaluations of f",
        got=f"{counted.calls}",
        hint="evaluate f(x) once, before the loop: a one-sided gradient costs d + 1 "
        "evaluations of f.",
    )
    return "right on 5 inputs, including eps = 1e-3 (one-sided, not central), with d + 1 calls."


@exercise_check("central_difference", sheet=SHEET)
def central_difference(student: Callable) -> str:
    """The central gradient (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."""
    x = np.array([1.0, -2.0, 0.5])
    expect_gradient(
        student,
        sum_of_squares,
        x,
        2.0 * x,
        on=f"f(x) = sum(x**2), x = {format_value(x)}",
        rtol=1e-4,
        atol=1e-4,
        hint="return the array of (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), "
        "one entry per coordinate i.",
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
        hint="that is the accuracy of a one-sided quotient (error ~ eps); the central "
        "quotient (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) has error ~ eps^2.",
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
        hint="use (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) with the eps you were given.",
        mistakes=((2 * expected, 1e-9, DIVIDE_BY_2_EPS), (np.exp(x), 1e-7, FIXED_STEP)),
    )

    _check_shared_behaviour(student)
    return "right on 5 inputs, including the accuracy (1e-8 at eps = 1e-5) only central reaches."


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
            "return |numeric - analytic| / max(|numeric|, |analytic|) as a float.",
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
) -> float:
    """The student's relative error for grad_f: tiny if grad_f is `right`, near 0.1 if not."""
    error = _relative_error(student, f, grad_f, x, on)
    expect(
        error < 1e-6 if right else error > 1e-2,
        on=on,
        expected="a relative error below 1e-6" if right else "a relative error near 0.1",
        got=f"{error:.3g}",
        hint=hint,
    )
    return error


@exercise_check("gradient_check", sheet=SHEET)
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
        hint="compare (f(x + eps delta) - f(x - eps delta)) / (2 eps) with "
        "np.dot(delta, grad_f(x)) for one random unit direction delta.",
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
        hint="the error must grow when grad_f is wrong: compare the numeric directional "
        "derivative with np.dot(delta, grad_f(x)).",
    )
    again = _relative_error(student, log_sum_exp, too_big, x, on)
    expect(
        again == error,
        on=on + ", called twice with seed = 0",
        expected=f"the same result twice, {error:.6g}",
        got=f"{again:.6g}",
        hint="draw the direction from np.random.default_rng(seed), so a check can be repeated.",
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
        hint="use a random direction, e.g. np.random.default_rng(seed).standard_normal(x.shape): "
        "a fixed coordinate direction misses errors in the other coordinates.",
    )
    expect(
        len(set(errors)) > 1,
        on=on + ", seeds 0 to 4",
        expected="a different direction, so a different error, for each seed",
        got=f"the same error for every seed, {errors[0]:.6g}",
        hint="use the seed you were given: np.random.default_rng(seed).",
    )

    _expect_error(
        student,
        lambda x: 1e8 * log_sum_exp(x),
        lambda x: 1e8 * softmax(x),
        x,
        right=True,
        on=f"f = 1e8 * logsumexp, the right gradient, x = {format_value(x)}",
        hint="divide the difference by the size of the derivatives, "
        "max(|numeric|, |analytic|): an absolute error grows with the scale of f.",
    )
    _expect_error(
        student,
        lambda x: 1e-8 * log_sum_exp(x),
        lambda x: 1.1e-8 * softmax(x),
        x,
        right=False,
        on=f"f = 1e-8 * logsumexp, a gradient 10% too large, x = {format_value(x)}",
        hint="divide the difference by the size of the derivatives, "
        "max(|numeric|, |analytic|): an absolute error hides mistakes in a small f.",
    )
    return "right and wrong gradients told apart, at scales 1e-8 to 1e8, in every direction."


__all__ = ["forward_difference", "central_difference", "gradient_check", "directional_derivative"]
