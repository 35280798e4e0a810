"""Checks for sheet 02, forward mode with dual numbers.

A dual number v + v_dot epsilon (epsilon^2 = 0) carries a value and a
tangent. The checks hold each operation to the chain rule on a few inputs,
with the tangents chosen so that the usual slips (a product rule missing a
term, a quotient rule with the wrong sign, a forgotten incoming tangent, a
reflected operation that swaps its operands) each give a different number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autodidact.course.checking import (
    CheckFailed,
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
)

SHEET = "02_forward_mode"


class ReferenceDual:
    """A minimal dual number the checks hand to the student's functions."""

    def __init__(self, value: float, tangent: float) -> None:
        self.value = value
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"


def _parts(result: Any, on: str, hint: str) -> tuple[float, float]:
    """The (value, tangent) of what the student returned, or a FAIL saying what is missing."""
    if not (hasattr(result, "value") and hasattr(result, "tangent")):
        raise CheckFailed(
            f"{on}: expected a Dual (with .value and .tangent), got {format_value(result)}",
            hint,
        )
    try:
        return float(result.value), float(result.tangent)
    except (TypeError, ValueError):
        raise CheckFailed(
            f"{on}: expected a Dual holding two numbers, got value "
            f"{format_value(result.value)} and tangent {format_value(result.tangent)}",
            "value and tangent should be plain numbers (floats).",
        ) from None


def _expect_dual(result: Any, value: float, tangent: float, on: str, hint: str) -> None:
    got_value, got_tangent = _parts(result, on, hint)
    expect_close(got_value, value, on=on, hint=hint, rtol=1e-9, atol=1e-12, what="value")
    expect_close(got_tangent, tangent, on=on, hint=hint, rtol=1e-9, atol=1e-12, what="tangent")


# -- Dual ---------------------------------------------------------------------------------------

# (description, operation on (a, b), expected value, expected tangent, hint)
# with a = Dual(2, 1.5) and b = Dual(3, -0.5): a_dot and b_dot differ, so a
# rule that uses the wrong tangent gives a different number.
A_VALUE, A_TANGENT, B_VALUE, B_TANGENT = 2.0, 1.5, 3.0, -0.5


def _dual_cases() -> list[tuple[str, Callable, float, float, str]]:
    a, da, b, db = A_VALUE, A_TANGENT, B_VALUE, B_TANGENT
    return [
        (
            "a + b",
            lambda a, b: a + b,
            a + b,
            da + db,
            "the tangent of a sum is the sum of tangents.",
        ),
        ("a - b", lambda a, b: a - b, a - b, da - db, "the tangent of a - b is a_dot - b_dot."),
        (
            "a * b",
            lambda a, b: a * b,
            a * b,
            da * b + a * db,
            "product rule: (a b)_dot = a_dot b + a b_dot (both terms).",
        ),
        (
            "a / b",
            lambda a, b: a / b,
            a / b,
            (da * b - a * db) / b**2,
            "quotient rule: (a / b)_dot = (a_dot b - a b_dot) / b^2.",
        ),
        (
            "a + 4",
            lambda a, b: a + 4,
            a + 4,
            da,
            "a plain number is a constant: its tangent is 0, so a + 4 has tangent a_dot.",
        ),
        (
            "4 + a",
            lambda a, b: 4 + a,
            4 + a,
            da,
            "4 + a calls a.__radd__(4): define __radd__ (a constant has tangent 0).",
        ),
        ("a - 4", lambda a, b: a - 4, a - 4, da, "subtracting a constant keeps the tangent."),
        (
            "4 - a",
            lambda a, b: 4 - a,
            4 - a,
            -da,
            "4 - a calls a.__rsub__(4), which must compute 4 - a (not a - 4): tangent -a_dot.",
        ),
        ("a * 4", lambda a, b: a * 4, a * 4, 4 * da, "a constant factor scales the tangent."),
        (
            "4 * a",
            lambda a, b: 4 * a,
            4 * a,
            4 * da,
            "4 * a calls a.__rmul__(4): define __rmul__.",
        ),
        ("a / 4", lambda a, b: a / 4, a / 4, da / 4, "dividing by a constant divides the tangent."),
        (
            "4 / a",
            lambda a, b: 4 / a,
            4 / a,
            -4 * da / a**2,
            "4 / a calls a.__rtruediv__(4), which must compute 4 / a: tangent -4 a_dot / a^2.",
        ),
        (
            "a ** 3",
            lambda a, b: a**3,
            a**3,
            3 * a**2 * da,
            "power rule: (a^n)_dot = n a^(n-1) a_dot.",
        ),
        (
            "a ** 0.5",
            lambda a, b: a**0.5,
            a**0.5,
            0.5 * a**-0.5 * da,
            "power rule with any constant n: (a^n)_dot = n a^(n-1) a_dot.",
        ),
        (
            "a * a",
            lambda a, b: a * a,
            a * a,
            2 * a * da,
            "product rule: (a a)_dot = a_dot a + a a_dot = 2 a a_dot.",
        ),
    ]


@exercise_check("Dual", sheet=SHEET)
def dual(student: Callable) -> str:
    """Dual(value, tangent) with + - * / on both sides and ** by a constant."""
    on = f"Dual({A_VALUE}, {A_TANGENT})"
    a = call_student(student, A_VALUE, A_TANGENT, on=on, hint="__init__ should store both numbers.")
    _expect_dual(
        a,
        A_VALUE,
        A_TANGENT,
        on=on,
        hint="store the arguments as self.value and self.tangent.",
    )
    b = call_student(student, B_VALUE, B_TANGENT, on=f"Dual({B_VALUE}, {B_TANGENT})")
    cases = _dual_cases()
    for text, operation, value, tangent, hint in cases:
        on = f"{text} with a = Dual({A_VALUE}, {A_TANGENT}), b = Dual({B_VALUE}, {B_TANGENT})"
        result = call_student(operation, a, b, on=on, hint=hint)
        _expect_dual(result, value, tangent, on=on, hint=hint)
    expect(
        a.value == A_VALUE and a.tangent == A_TANGENT,
        on="a after all the operations",
        expected=f"a unchanged, Dual({A_VALUE}, {A_TANGENT})",
        got=f"Dual({a.value}, {a.tangent})",
        hint="each operation must return a new Dual and leave its operands alone.",
    )
    return f"right on {len(cases)} operations, Duals and plain numbers on either side."


# -- elementary functions -----------------------------------------------------------------------


def _check_unary(
    student: Callable,
    name: str,
    points: list[tuple[float, float]],
    f: Callable,
    df: Callable,
    hint: str,
) -> str:
    for value, tangent in points:
        d = ReferenceDual(value, tangent)
        on = f"Dual({value}, {tangent})"
        result = call_student(student, d, on=on, hint=hint)
        got_value, got_tangent = _parts(result, on, "return Dual(f(v), f'(v) * v_dot).")
        expect_close(
            got_value,
            f(value),
            on=on,
            hint=f"the value of {name}(v) is {name}(v).value",
            rtol=1e-9,
            atol=1e-12,
            what="value",
        )
        specific = hint
        if math.isclose(got_tangent, df(value), rel_tol=1e-9) and tangent != 1.0:
            specific = "multiply by the incoming tangent d.tangent (chain rule)."
        expect_close(
            got_tangent,
            df(value) * tangent,
            on=on,
            hint=specific,
            rtol=1e-9,
            atol=1e-12,
            what="tangent",
        )
    return f"right on {len(points)} dual numbers, including tangents other than 1."


@exercise_check("dual_sin", sheet=SHEET)
def dual_sin(student: Callable) -> str:
    return _check_unary(
        student,
        "sin",
        [(0.5, 1.0), (2.0, -3.0), (-1.2, 0.25)],
        np.sin,
        np.cos,
        "the tangent of sin(v) is cos(v) times the incoming tangent.",
    )


@exercise_check("dual_exp", sheet=SHEET)
def dual_exp(student: Callable) -> str:
    return _check_unary(
        student,
        "exp",
        [(0.5, 1.0), (-1.0, 2.0), (1.5, -0.5)],
        np.exp,
        np.exp,
        "the tangent of exp(v) is exp(v) times the incoming tangent.",
    )


@exercise_check("dual_log", sheet=SHEET)
def dual_log(student: Callable) -> str:
    return _check_unary(
        student,
        "log",
        [(2.0, 1.0), (0.5, 3.0), (4.0, -2.0)],
        np.log,
        lambda v: 1.0 / v,
        "the tangent of log(v) is the incoming tangent divided by v.",
    )


# -- forward_gradient ---------------------------------------------------------------------------


class CountingFunction:
    """Wraps f and counts its calls (each call is one forward pass)."""

    def __init__(self, f: Callable) -> None:
        self.f = f
        self.calls = 0

    def __call__(self, x: Any) -> Any:
        self.calls += 1
        return self.f(x)


def _poly(x: Any) -> Any:
    """x0 x1 + x1 / x2 - 3 x0^2 + 5: built from the Dual operations only."""
    return x[0] * x[1] + x[1] / x[2] - 3 * x[0] ** 2 + 5


def _poly_gradient(x: np.ndarray) -> np.ndarray:
    return np.array([x[1] - 6 * x[0], x[0] + 1 / x[2], -x[1] / x[2] ** 2])


@exercise_check("forward_gradient", sheet=SHEET)
def forward_gradient(student: Callable) -> str:
    """One forward pass per basis vector, the gradient read off the output tangents."""
    hint = (
        "for each k, call f on Duals with value x[i] and tangent 1 if i == k else 0, "
        "and keep the output's tangent as entry k of the gradient."
    )
    x = np.array([1.5, -2.0, 0.5])
    on = f"f(x) = x0 x1 + x1 / x2 - 3 x0^2 + 5, x = {format_value(x)}"
    counted = CountingFunction(_poly)
    got = call_student(student, counted, x, on=on, hint=hint)
    specific = hint
    try:
        if np.allclose(np.asarray(got, dtype=float), np.sum(_poly_gradient(x))):
            specific = (
                "seeding every input with tangent 1 gives the derivative along (1, ..., 1), "
                "the sum of the partials; seed one basis vector e_k per pass instead."
            )
    except (TypeError, ValueError):
        pass
    expect_close(got, _poly_gradient(x), on=on, hint=specific, rtol=1e-9, atol=1e-12)
    expect(
        counted.calls == x.size,
        on=on,
        expected=f"{x.size} calls of f, one forward pass per input",
        got=f"{counted.calls}",
        hint="one pass per basis vector e_k gives the whole column k of the Jacobian; "
        "for a scalar f that is the partial derivative dy/dx_k.",
    )

    x = np.array([0.7, 0.2])
    on = f"f(x) = (x0 - x1)**2 / x0, x = {format_value(x)}"
    got = call_student(student, lambda x: (x[0] - x[1]) ** 2 / x[0], x, on=on, hint=hint)
    expected = np.array(
        [1 - x[1] ** 2 / x[0] ** 2, -2 * (x[0] - x[1]) / x[0]],
    )
    expect_close(got, expected, on=on, hint=hint, rtol=1e-9, atol=1e-12)

    x = np.array([3.0])
    on = f"f(x) = 2 * x0, x = {format_value(x)}"
    got = call_student(student, lambda x: 2 * x[0], x, on=on, hint=hint)
    expect_close(
        got, np.array([2.0]), on=on, hint="return a 1-D array with one entry per input.", rtol=1e-9
    )
    return "right on 3 functions, with one forward pass per input."


__all__ = ["ReferenceDual", "dual", "dual_sin", "dual_exp", "dual_log", "forward_gradient"]
