"""Checks for sheet 02, forward mode with dual numbers.

A dual number v + v_dot epsilon (epsilon^2 = 0) carries a value and a
tangent. The checks hold each operation to the chain rule on a few inputs,
with the tangents chosen so that the usual slips (a product rule missing a
term, a quotient rule with the wrong sign, a forgotten incoming tangent, a
reflected operation that swaps its operands, an operation that changes its
operand in place) each give a different number, and each is named.

While they run, the library's forward mode is withheld: its operators
(`make_jvp`, `jacfwd`, `grad`, ...), the JVP rules and the derivative of the
function under test, the numerical derivatives and the trace tables of the
lecture. The exercises ask for the rules written on the numbers value and
tangent.

The first hint of a failure names the mistake; the second level (``route``)
says how to derive the rule. Neither gives code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import autodidact.numpy as anp
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

SHEET = "02_forward_mode"

# The lecture's trace tables push tangents through a function with the library's rules.
TRACE_TABLE = "autodidact.teaching.trace_table.trace_table"


def _unary_shortcuts(primitive: Callable, numpy_names: str) -> Shortcuts:
    return Shortcuts(
        allowed=f"{numpy_names} on the number d.value, and arithmetic (no library derivative)",
        blocked=(*OPERATORS, TRACE_TABLE),
        rules_of=(primitive,),
    )


class ReferenceDual:
    """A minimal dual number the checks hand to the student's functions."""

    def __init__(self, value: float, tangent: float) -> None:
        self.value = value
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"


NOT_A_DUAL = (
    "your function returned something without .value and .tangent: it must return a Dual "
    "(your class), holding the value and the tangent."
)


def _parts(result: Any, on: str, hint: str = NOT_A_DUAL) -> tuple[float, float]:
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
            "value and tangent should be plain numbers (floats), not Duals or arrays.",
        ) from None


def _expect_part(got: float, expected: float, on: str, what: str, hint: str, route: str) -> None:
    expect_close(got, expected, on=on, hint=hint, route=route, rtol=1e-9, atol=1e-12, what=what)


def _named_mistake(got: float, mistakes: tuple[tuple[float, str], ...], default: str) -> str:
    """The hint of the first likely mistake `got` equals, else `default`."""
    for candidate, hint in mistakes:
        if matches(got, candidate, rtol=1e-9, atol=1e-12):
            return hint
    return default


# -- Dual ---------------------------------------------------------------------------------------

# a = Dual(2, 1.5) and b = Dual(3, -0.5): the tangents differ from each other, from 1 and
# from the values, so a rule that uses the wrong number gives a different result.
A_VALUE, A_TANGENT, B_VALUE, B_TANGENT = 2.0, 1.5, 3.0, -0.5

VALUE_HINT = (
    "the value part of the result is the ordinary result of the operation on the values alone."
)
CONSTANT_ROUTE = (
    "a plain number c is the dual number c + 0 epsilon: it does not move, so its tangent is 0; "
    "then the rule for two Duals applies."
)


def _reflected(symbol: str, method: str) -> str:
    return (
        f"4 {symbol} a: Python first asks the int 4, which knows nothing of Duals, then calls "
        f"a's reflected method {method} with the 4; there self is the right-hand operand."
    )


@dataclass(frozen=True)
class DualCase:
    """One operation the Dual check tries, what it must give, and the likely mistakes.

    ``hint`` is the first-level hint when the tangent is wrong in no named way (or the
    operation raised); ``mistakes`` pair a wrong (value, tangent) with the hint naming it;
    ``route`` says how to derive the rule.
    """

    text: str
    operation: Callable
    value: float
    tangent: float
    hint: str
    route: str
    mistakes: tuple[tuple[float, float, str], ...] = ()


def _dual_cases() -> list[DualCase]:
    a, da, b, db = A_VALUE, A_TANGENT, B_VALUE, B_TANGENT
    expand = "expand {} with epsilon^2 = 0 and keep the terms with one epsilon."
    power_route = (
        "Taylor with epsilon^2 = 0: f(a + a_dot epsilon) = f(a) + f'(a) a_dot epsilon; "
        "here f(w) = w^n, whose derivative is n w^(n-1)."
    )
    return [
        DualCase(
            "a + b",
            lambda a, b: a + b,
            a + b,
            da + db,
            "the tangent of a sum must combine the tangents of both operands.",
            expand.format("(a + a_dot epsilon) + (b + b_dot epsilon)"),
            (
                (a + b, da, "your tangent of a + b is a's tangent alone: b's was dropped."),
                (a + b, da * db, "your tangent of a + b multiplies the tangents."),
            ),
        ),
        DualCase(
            "a - b",
            lambda a, b: a - b,
            a - b,
            da - db,
            "the tangent of a - b is wrong.",
            expand.format("(a + a_dot epsilon) - (b + b_dot epsilon)"),
            (
                (
                    a - b,
                    da + db,
                    "your tangent of a - b adds b's tangent: b enters with a minus sign, "
                    "and so does its tangent.",
                ),
                (a - b, da, "your tangent of a - b is a's tangent alone: b's was dropped."),
            ),
        ),
        DualCase(
            "a * b",
            lambda a, b: a * b,
            a * b,
            da * b + a * db,
            "the tangent of a * b is wrong.",
            expand.format("(a + a_dot epsilon)(b + b_dot epsilon)"),
            (
                (
                    a * b,
                    da * b,
                    "your tangent of a * b has the term with a's tangent only: the product "
                    "rule has a second term, the one with b's tangent.",
                ),
                (
                    a * b,
                    a * db,
                    "your tangent of a * b has the term with b's tangent only: the product "
                    "rule has a second term, the one with a's tangent.",
                ),
                (
                    a * b,
                    da * db,
                    "your tangent of a * b is the product of the tangents: that is the "
                    "epsilon^2 term, which vanishes.",
                ),
            ),
        ),
        DualCase(
            "a / b",
            lambda a, b: a / b,
            a / b,
            (da * b - a * db) / b**2,
            "the tangent of a / b is wrong.",
            "find the dual number q = q0 + q1 epsilon with q (b + b_dot epsilon) = "
            "a + a_dot epsilon: compare the plain parts, then the epsilon parts.",
            (
                (
                    a / b,
                    (da * b + a * db) / b**2,
                    "the term with b's tangent has the wrong sign in your tangent of a / b: "
                    "a growing b makes a / b smaller.",
                ),
                (
                    a / b,
                    (da * b - a * db) / b,
                    "your tangent of a / b is divided by b once, where it should be divided "
                    "by b twice (b squared).",
                ),
                (
                    a / b,
                    da / db,
                    "your tangent of a / b divides the tangents: there is no such rule, derive "
                    "it from epsilon^2 = 0.",
                ),
            ),
        ),
        DualCase(
            "a + 4",
            lambda a, b: a + 4,
            a + 4,
            da,
            "a plain number does not move: a + 4 moves exactly as a does.",
            CONSTANT_ROUTE,
            ((a + 4, da + 4, "your tangent of a + 4 counts the 4: a constant has tangent 0."),),
        ),
        DualCase(
            "4 + a",
            lambda a, b: 4 + a,
            4 + a,
            da,
            _reflected("+", "__radd__"),
            CONSTANT_ROUTE,
        ),
        DualCase(
            "a - 4",
            lambda a, b: a - 4,
            a - 4,
            da,
            "a plain number does not move: a - 4 moves exactly as a does.",
            CONSTANT_ROUTE,
        ),
        DualCase(
            "4 - a",
            lambda a, b: 4 - a,
            4 - a,
            -da,
            _reflected("-", "__rsub__"),
            CONSTANT_ROUTE,
            (
                (
                    a - 4,
                    da,
                    "4 - a came out as a - 4: in the reflected method self is the right-hand "
                    "operand, so the order is the other one.",
                ),
            ),
        ),
        DualCase(
            "a * 4",
            lambda a, b: a * 4,
            a * 4,
            4 * da,
            "a constant factor scales the tangent as it scales the value.",
            CONSTANT_ROUTE,
            ((a * 4, da, "your tangent of a * 4 was not scaled by the 4."),),
        ),
        DualCase(
            "4 * a",
            lambda a, b: 4 * a,
            4 * a,
            4 * da,
            _reflected("*", "__rmul__"),
            CONSTANT_ROUTE,
        ),
        DualCase(
            "a / 4",
            lambda a, b: a / 4,
            a / 4,
            da / 4,
            "dividing by a constant divides the tangent as it divides the value.",
            CONSTANT_ROUTE,
        ),
        DualCase(
            "4 / a",
            lambda a, b: 4 / a,
            4 / a,
            -4 * da / a**2,
            _reflected("/", "__rtruediv__"),
            CONSTANT_ROUTE,
            (
                (
                    a / 4,
                    da / 4,
                    "4 / a came out as a / 4: in the reflected method self is the right-hand "
                    "operand, so the order is the other one.",
                ),
            ),
        ),
        DualCase(
            "a ** 3",
            lambda a, b: a**3,
            a**3,
            3 * a**2 * da,
            "the tangent of a ** 3 is wrong.",
            power_route,
            (
                (
                    a**3,
                    3 * a**2,
                    "your tangent of a ** 3 is the derivative of w^3 at a, without a's "
                    "tangent: the chain rule multiplies by it.",
                ),
                (
                    a**3,
                    3 * a**3 * da,
                    "your tangent of a ** 3 has one power of a too many.",
                ),
            ),
        ),
        DualCase(
            "a ** 0.5",
            lambda a, b: a**0.5,
            a**0.5,
            0.5 * a**-0.5 * da,
            "the tangent of a ** 0.5 is wrong: the power may be any constant number, "
            "not only a whole one.",
            power_route,
        ),
        DualCase(
            "a * a",
            lambda a, b: a * a,
            a * a,
            2 * a * da,
            "the tangent of a * a is wrong: with the same Dual on both sides, the product "
            "rule has two equal terms.",
            expand.format("(a + a_dot epsilon)(a + a_dot epsilon)"),
            ((a * a, a * da, "your tangent of a * a has one of the product rule's two terms."),),
        ),
    ]


def _expect_unchanged(dual: Any, name: str, value: float, tangent: float, text: str) -> None:
    """An operation must leave its operand `dual` (called `name`) as it was."""
    now = (getattr(dual, "value", None), getattr(dual, "tangent", None))
    expect(
        now == (value, tangent),
        on=f"{text} with a = Dual({A_VALUE}, {A_TANGENT}), b = Dual({B_VALUE}, {B_TANGENT})",
        expected=f"{name} unchanged, Dual({value}, {tangent})",
        got=f"{name} = Dual({format_value(now[0])}, {format_value(now[1])}) afterwards",
        hint=f"{text} changed {name}: return a new Dual and leave the operands as they were.",
    )


DUAL_YOURSELF = Shortcuts(
    allowed="arithmetic on the numbers value and tangent (no library derivative)",
    blocked=(*OPERATORS, TRACE_TABLE),
)


@exercise_check("Dual", sheet=SHEET, shortcuts=DUAL_YOURSELF)
def dual(student: Callable) -> str:
    """Dual(value, tangent) with + - * / on both sides and ** by a constant, none in place."""
    on = f"Dual({A_VALUE}, {A_TANGENT})"
    a = call_student(student, A_VALUE, A_TANGENT, on=on, hint="__init__ should store both numbers.")
    got = _parts(a, on, "Dual(value, tangent) should store its arguments as .value and .tangent.")
    expect(
        got == (A_VALUE, A_TANGENT),
        on=on,
        expected=f"value {A_VALUE} and tangent {A_TANGENT}",
        got=f"value {format_value(got[0])} and tangent {format_value(got[1])}",
        hint="Dual(value, tangent) should store its arguments as .value and .tangent.",
    )
    b = call_student(student, B_VALUE, B_TANGENT, on=f"Dual({B_VALUE}, {B_TANGENT})")
    cases = _dual_cases()
    for case in cases:
        on = f"{case.text} with a = Dual({A_VALUE}, {A_TANGENT}), b = Dual({B_VALUE}, {B_TANGENT})"
        result = call_student(case.operation, a, b, on=on, hint=case.hint, route=case.route)
        _expect_unchanged(a, "a", A_VALUE, A_TANGENT, case.text)
        _expect_unchanged(b, "b", B_VALUE, B_TANGENT, case.text)
        value, tangent = _parts(result, on, NOT_A_DUAL)
        mistake = [hint for v, t, hint in case.mistakes if matches((value, tangent), (v, t))]
        if mistake and not matches((value, tangent), (case.value, case.tangent)):
            raise CheckFailed(
                f"{on}: expected Dual({format_value(case.value)}, {format_value(case.tangent)}), "
                f"got Dual({format_value(value)}, {format_value(tangent)})",
                mistake[0],
                case.route,
            )
        _expect_part(value, case.value, on, "value", VALUE_HINT, case.route)
        _expect_part(tangent, case.tangent, on, "tangent", case.hint, case.route)
    return f"right on {len(cases)} operations, Duals and plain numbers on either side."


# -- elementary functions -----------------------------------------------------------------------


def _check_unary(
    student: Callable,
    name: str,
    points: list[tuple[float, float]],
    f: Callable,
    df: Callable,
    derivative_text: str,
    extra_mistakes: Callable[[float, float], tuple[tuple[float, str], ...]] = lambda v, t: (),
) -> str:
    """dual_<name> must map Dual(v, t) to Dual(f(v), f'(v) t) at each (v, t) of `points`."""
    route = (
        f"a Dual (v, v_dot) goes to ({name}(v), {name}'(v) v_dot), the chain rule; "
        f"and {name}'(v) = {derivative_text}."
    )
    for value, tangent in points:
        d = ReferenceDual(value, tangent)
        on = f"Dual({value}, {tangent})"
        general = f"your tangent is not the derivative of {name} at v times the incoming tangent."
        result = call_student(student, d, on=on, hint=general, route=route)
        got_value, got_tangent = _parts(result, on)
        _expect_part(
            got_value,
            f(value),
            on,
            "value",
            f"the value part should be {name} of the value v alone, unaffected by the tangent.",
            route,
        )
        right = df(value) * tangent
        mistakes = (
            *extra_mistakes(value, tangent),
            (-right, f"your tangent has the wrong sign: it is minus the derivative of {name}."),
            (
                f(value) * tangent,
                f"your tangent scales the incoming tangent by {name}(v), the value, where the "
                f"derivative of {name} at v belongs.",
            ),
            (
                tangent,
                "your tangent is the incoming tangent unchanged: it must be scaled by the "
                f"derivative of {name} at v.",
            ),
        )
        hint = general
        if not math.isclose(got_tangent, right, rel_tol=1e-9, abs_tol=1e-12):
            if tangent != 1.0 and math.isclose(got_tangent, df(value), rel_tol=1e-9):
                hint = (
                    f"your tangent is the derivative of {name} at v alone; the incoming tangent "
                    f"here is {tangent:g}, and the chain rule multiplies by it."
                )
            else:
                hint = _named_mistake(got_tangent, mistakes, general)
        _expect_part(got_tangent, right, on, "tangent", hint, route)
    return f"right on {len(points)} dual numbers, including tangents other than 1."


@exercise_check("dual_sin", sheet=SHEET, shortcuts=_unary_shortcuts(anp.sin, "np.sin, np.cos"))
def dual_sin(student: Callable) -> str:
    return _check_unary(
        student, "sin", [(0.5, 1.0), (2.0, -3.0), (-1.2, 0.25)], np.sin, np.cos, "cos(v)"
    )


@exercise_check("dual_exp", sheet=SHEET, shortcuts=_unary_shortcuts(anp.exp, "np.exp"))
def dual_exp(student: Callable) -> str:
    return _check_unary(
        student,
        "exp",
        [(0.5, 1.0), (-1.0, 2.0), (1.5, -0.5)],
        np.exp,
        np.exp,
        "exp(v) itself",
    )


@exercise_check("dual_log", sheet=SHEET, shortcuts=_unary_shortcuts(anp.log, "np.log"))
def dual_log(student: Callable) -> str:
    return _check_unary(
        student,
        "log",
        [(2.0, 1.0), (0.5, 3.0), (4.0, -2.0)],
        np.log,
        lambda v: 1.0 / v,
        "1 / v",
        lambda v, t: (
            (
                t * v,
                "your tangent multiplies the incoming tangent by v; the derivative of log at v "
                "is not v.",
            ),
        ),
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


GRADIENT_ROUTE = (
    "pass k: give input i the value x[i] and the tangent 1 if i = k, else 0 (the direction "
    "e_k); the output's tangent is then df/dx_k, entry k of the gradient."
)
GRADIENT_CALL = (
    "f takes a list of Duals, one per entry of x, and returns one Dual; the derivative is "
    "in its tangent."
)

GRADIENT_YOURSELF = Shortcuts(
    allowed="your Dual class, calls of f on lists of Duals, NumPy arrays and arithmetic "
    "(no library derivative)",
    blocked=(*OPERATORS, *FINITE_DIFFERENCES, TRACE_TABLE),
)


def _gradient_hint(got: Any, x: np.ndarray, f: Callable, expected: np.ndarray) -> str:
    """Name the likely mistake behind a wrong gradient `got` of f at x."""
    if np.shape(got) != expected.shape:
        return "a gradient has one entry per input of f: a 1-D array as long as x."
    if matches(got, np.full(x.shape, np.sum(expected))):
        return (
            "every entry is the sum of the partial derivatives: giving every input tangent 1 "
            "in the same pass moves all inputs at once, along (1, ..., 1)."
        )
    if matches(got, np.full(x.shape, f(list(x)))):
        return "every entry is f(x), the output's value: the derivative is in its tangent."
    wrong = [str(k) for k in range(x.size) if not matches(got[k], expected[k], rtol=1e-9)]
    if not wrong:
        return "your gradient is not the vector of partial derivatives df/dx_k."
    if len(wrong) == 1:
        return f"entry k should be the partial derivative df/dx_k; entry {wrong[0]} is not."
    return f"entry k should be the partial derivative df/dx_k; entries {', '.join(wrong)} are not."


@exercise_check("forward_gradient", sheet=SHEET, shortcuts=GRADIENT_YOURSELF)
def forward_gradient(student: Callable) -> str:
    """One forward pass per basis vector, the gradient read off the output tangents."""
    functions = [
        ("x0 x1 + x1 / x2 - 3 x0^2 + 5", _poly, np.array([1.5, -2.0, 0.5]), _poly_gradient),
        (
            "(x0 - x1)**2 / x0",
            lambda x: (x[0] - x[1]) ** 2 / x[0],
            np.array([0.7, 0.2]),
            lambda x: np.array([1 - x[1] ** 2 / x[0] ** 2, -2 * (x[0] - x[1]) / x[0]]),
        ),
        ("2 * x0", lambda x: 2 * x[0], np.array([3.0]), lambda x: np.array([2.0])),
    ]
    for text, f, x, gradient in functions:
        on = f"f(x) = {text}, x = {format_value(x)}"
        counted = CountingFunction(f)
        got = call_student(student, counted, x, on=on, hint=GRADIENT_CALL, route=GRADIENT_ROUTE)
        expected = gradient(x)
        right = matches(got, expected, rtol=1e-9, atol=1e-12)
        expect_close(
            got,
            expected,
            on=on,
            hint="" if right else _gradient_hint(got, x, f, expected),
            route=GRADIENT_ROUTE,
            rtol=1e-9,
            atol=1e-12,
        )
        expect(
            counted.calls == x.size,
            on=on,
            expected=f"{x.size} calls of f, one forward pass per input",
            got=f"{counted.calls}",
            hint="one pass per input gives every partial derivative; "
            + (
                "your extra calls are not needed."
                if counted.calls > x.size
                else "fewer passes cannot give them all."
            ),
            route=GRADIENT_ROUTE,
        )
    return "right on 3 functions, with one forward pass per input."


__all__ = ["ReferenceDual", "dual", "dual_sin", "dual_exp", "dual_log", "forward_gradient"]
