"""Checks for sheet 04, Jacobian accumulation order.

Each check includes an input that a plausible wrong answer gets wrong: a chain
whose forward and reverse costs differ (so swapping the two orders shows), a
chain where multiplying the cheapest neighbours first (greedy) or picking the
better pure mode is not optimal, and functions R^n -> R^m with n != m and
with a non-symmetric square Jacobian (so a transposed Jacobian shows).

While a check runs, the answers the course itself holds are out of the student's reach: the
teaching module's `chain_flops`, `best_chain_order` and `bracketing_flops` (and the widget
model built on them) for exercises 1 and 2, and every differential operator of the library
except the one the exercise is built on (`make_jvp` for `jacobian_forward`, `make_vjp` for
`jacobian_reverse`) for exercises 3 and 4.

Hints come in two levels: the first says what is wrong (the input, expected against got, the
mistake in words), the second (``route``) the way to the answer. Neither is the answer's code.
"""

from __future__ import annotations

from collections.abc import Callable

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
)
from autodidact.forward import ForwardNode
from autodidact.reverse import ReverseNode
from autodidact.teaching.jacobian_chain import (
    best_chain_order as reference_best_chain_order,
)
from autodidact.teaching.jacobian_chain import (
    bracketing_flops,
    shapes_from_widths,
)
from autodidact.teaching.jacobian_chain import (
    chain_flops as reference_chain_flops,
)
from autodidact.tracer import isbox

SHEET = "04_jacobian_accumulation"

# Chains as layer widths [n, ..., m]; shapes_from_widths turns them into Jacobian shapes.
TALL_THIN = [10, 50, 20, 1]  # n = 10, m = 1: reverse is far cheaper than forward
STAIRS = [3, 4, 5, 6, 7]  # forward 276, reverse 434: every count differs
WAIST = [100, 50, 5, 50, 100]  # the lecture's chain: the best order beats both pure modes
CLASSIC = [25, 20, 10, 5, 15, 35, 30]  # the textbook matrix-chain example, optimum 15125

# The course's own answers to exercises 1 and 2, and what is built on them.
_CHAIN_ANSWERS = tuple(
    f"autodidact.teaching.jacobian_chain.{name}"
    for name in (
        "chain_flops",
        "best_chain_order",
        "bracketing_flops",
        "chain_costs",
        "_span_and_cost",
        "ChainCostExplorer",
    )
)
CHAIN_SHORTCUTS = Shortcuts(
    allowed="Python arithmetic and loops over the shapes",
    blocked=_CHAIN_ANSWERS,
)


def _operators_except(*allowed: str) -> tuple[str, ...]:
    return tuple(name for name in OPERATORS if name not in allowed) + FINITE_DIFFERENCES


FORWARD_SHORTCUTS = Shortcuts(
    allowed="make_jvp and basis vectors (np.eye)",
    blocked=_operators_except("autodidact.make_jvp", "autodidact.forward.make_jvp"),
)
REVERSE_SHORTCUTS = Shortcuts(
    allowed="make_vjp and basis vectors (np.eye)",
    blocked=_operators_except("autodidact.make_vjp", "autodidact.reverse.make_vjp"),
)


def _as_count(value: object, on: str) -> int:
    """The student's count as an int, or a FAIL that says what came back."""
    try:
        number = float(value)
        valid = np.ndim(value) == 0 and np.isfinite(number) and number == round(number)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise CheckFailed(
            f"{on}: expected a whole number of multiply-adds, got {format_value(value)}",
            f"a count of multiply-adds is one whole number; your function returned a "
            f"{type(value).__name__}.",
        )
    return int(round(number))


CHAIN_FLOPS_ROUTE = (
    "A (p x q) times (q x r) product costs p q r multiply-adds. In forward order, product k "
    "multiplies J_(k+1) by the running product J_k ... J_1, which has n columns; in reverse "
    "order, the running product J_K ... J_(k+2), which has m rows, multiplies J_(k+1). Add up "
    "the K - 1 products."
)


@exercise_check("chain_flops", sheet=SHEET, shortcuts=CHAIN_SHORTCUTS)
def chain_flops(student: Callable) -> str:
    """Multiply-adds of J_K ... J_1 from the input side ('forward') or the output side."""
    cases = [
        ([(4, 3)], "forward"),
        ([(4, 3)], "reverse"),
        ([(3, 2), (4, 3)], "forward"),
        (shapes_from_widths(TALL_THIN), "forward"),
        (shapes_from_widths(TALL_THIN), "reverse"),
        (shapes_from_widths(STAIRS), "forward"),
        (shapes_from_widths(STAIRS), "reverse"),
        (shapes_from_widths(WAIST), "reverse"),
    ]
    for shapes, order in cases:
        on = f"shapes = {shapes}, order = {order!r}"
        got = _as_count(
            call_student(student, list(shapes), order, on=on, route=CHAIN_FLOPS_ROUTE), on
        )
        expected = reference_chain_flops(shapes, order)
        other = "reverse" if order == "forward" else "forward"
        n, m = shapes[0][1], shapes[-1][0]
        everything = sum(rows * columns for rows, columns in shapes)
        if len(shapes) == 1:
            hint = (
                "a single Jacobian is already the product: the Jacobian an order starts from "
                "is not multiplied by anything, so a chain of one costs 0 multiply-adds."
            )
        elif got == reference_chain_flops(shapes, other):
            hint = (
                f"that is the {other} count. 'forward' starts from the input side, J_2 J_1 "
                f"first, so every intermediate has n = {n} columns; 'reverse' starts from "
                f"the output side, J_K J_(K-1) first, so every intermediate has m = {m} rows."
            )
        elif got in (n * everything, m * everything):
            hint = (
                "the first Jacobian of the order is where the product starts: it is not "
                "multiplied by anything, so count only the K - 1 products after it."
            )
        else:
            products = "the one product" if len(shapes) == 2 else f"the {len(shapes) - 1} products"
            hint = (
                f"the count differs: list {products} this order makes, with the shapes of the "
                "two factors of each."
            )
        expect(
            got == expected,
            on=on,
            expected=f"{expected:,} multiply-adds",
            got=f"{got:,}",
            hint=hint,
            route=CHAIN_FLOPS_ROUTE,
        )
    return "right on 8 chains in both orders, including one where they differ 7-fold."


def _show(bracketing: object) -> str:
    """A bracketing (nested tuples) as text, cut to one line."""
    text = " ".join(repr(bracketing).split())
    return text if len(text) <= 90 else text[:87] + "..."


def _greedy_cost(shapes: list[tuple[int, int]]) -> int:
    """The cost of always multiplying the cheapest neighbouring pair first."""
    matrices = list(shapes)
    total = 0
    while len(matrices) > 1:
        costs = [
            matrices[k + 1][0] * matrices[k + 1][1] * matrices[k][1]
            for k in range(len(matrices) - 1)
        ]
        k = int(np.argmin(costs))
        total += costs[k]
        matrices[k : k + 2] = [(matrices[k + 1][0], matrices[k][1])]
    return total


BEST_ORDER_ROUTE = (
    "Every bracketing of J_(j+1) ... J_(i+1) ends with one last product that splits it in "
    "two, at some s: (J_(j+1) ... J_(s+2)) (J_(s+1) ... J_(i+1)); each part should itself be "
    "formed as cheaply as possible. So best(i, j) = min over i <= s < j of best(s + 1, j) + "
    "best(i, s) + rows(J_(j+1)) * rows(J_(s+1)) * columns(J_(i+1)), with best(i, i) = 0. "
    "Solve the sub-chains shortest first, and keep each one's best bracketing with its cost."
)


@exercise_check("best_chain_order", sheet=SHEET, shortcuts=CHAIN_SHORTCUTS)
def best_chain_order(student: Callable) -> str:
    """(cost, bracketing) of the cheapest product J_K ... J_1, by dynamic programming."""
    cases = [
        [(4, 3)],
        [(3, 2), (4, 3)],
        shapes_from_widths(TALL_THIN),
        shapes_from_widths(STAIRS),
        shapes_from_widths(WAIST),
        shapes_from_widths(CLASSIC),
    ]
    for shapes in cases:
        on = f"shapes = {shapes}"
        result = call_student(student, list(shapes), on=on, route=BEST_ORDER_ROUTE)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise CheckFailed(
                f"{on}: expected a pair (cost, bracketing), got {format_value(result)}",
                "the answer is a pair: the cheapest number of multiply-adds, and a bracketing "
                "that achieves it.",
            )
        cost = _as_count(result[0], on)
        bracketing = result[1]
        try:
            bracketing_cost = bracketing_flops(shapes, bracketing)
        except (ValueError, TypeError) as error:
            raise CheckFailed(
                f"{on}: expected a bracketing of the indices 0 .. {len(shapes) - 1}, "
                f"got {_show(bracketing)}, which is not valid: {error}",
                "write J_(k+1) as the integer k and a product as a pair (left, right) with "
                "left the later stages, e.g. (2, (1, 0)) for J_3 (J_2 J_1).",
            ) from None
        expected, _ = reference_best_chain_order(shapes)
        pure = min(
            reference_chain_flops(shapes, "forward"), reference_chain_flops(shapes, "reverse")
        )
        if cost == pure and pure > expected:
            hint = (
                "that is the cost of the better pure mode; for these shapes a bracketing that "
                "mixes the two orders is cheaper."
            )
        elif cost == _greedy_cost(shapes) and cost > expected:
            hint = (
                "multiplying the cheapest neighbours first is not optimal: an early cheap "
                "product can make the later ones expensive."
            )
        elif cost < expected:
            hint = "no bracketing of this chain is that cheap: some product went uncounted."
        else:
            hint = "a cheaper bracketing of this chain exists: not every split was tried."
        expect(
            cost == expected,
            on=on,
            expected=f"cost {expected:,}",
            got=f"{cost:,}",
            hint=hint,
            route=BEST_ORDER_ROUTE,
        )
        expect(
            bracketing_cost == cost,
            on=on,
            expected=f"a bracketing that costs {cost:,}",
            got=f"{_show(bracketing)}, which costs {bracketing_cost:,}",
            hint="the cost is right, but the bracketing you returned is not the one that "
            "achieves it.",
            route=BEST_ORDER_ROUTE,
        )
    return (
        "optimal on 6 chains, including one where the best order beats both pure modes "
        "and one where greedy fails."
    )


class ModeRecorder:
    """Wraps f: records how often it is called and with which kind of traced input."""

    def __init__(self, f: Callable) -> None:
        self.f = f
        self.modes: list[str] = []

    def __call__(self, x: object) -> object:
        if isbox(x) and isinstance(x._node, ForwardNode):
            self.modes.append("forward")
        elif isbox(x) and isinstance(x._node, ReverseNode):
            self.modes.append("reverse")
        else:
            self.modes.append("plain")
        return self.f(x)


def _test_functions() -> list[tuple[str, Callable, np.ndarray, np.ndarray]]:
    """(description, f, x, exact Jacobian) for R^3 -> R^2, R^4 -> R^5 and R^3 -> R^3."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((2, 3))
    x = np.array([0.3, -0.8, 1.1])
    B = rng.standard_normal((5, 4))
    z = np.array([0.5, -0.2, 0.9, -1.3])
    C = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [4.0, 0.0, 1.0]])
    w = np.array([0.1, 0.2, -0.3])
    return [
        (
            f"f(x) = tanh(A x) with A of shape (2, 3), x = {format_value(x)}",
            lambda v: anp.tanh(anp.dot(A, v)),
            x,
            (1 - np.tanh(A @ x) ** 2)[:, None] * A,
        ),
        (
            f"f(x) = sin(B x) * x[0] with B of shape (5, 4), x = {format_value(z)}",
            lambda v: anp.sin(anp.dot(B, v)) * v[0],
            z,
            np.cos(B @ z)[:, None] * B * z[0] + np.outer(np.sin(B @ z), np.eye(4)[0]),
        ),
        (
            f"f(x) = C x with a non-symmetric 3 x 3 C, x = {format_value(w)}",
            lambda v: anp.dot(C, v),
            w,
            C,
        ),
    ]


def _check_jacobian(student: Callable, mode: str, passes: str, max_calls: Callable) -> None:
    route = (
        "J e_j is column j of the Jacobian: push each basis vector e_j of the input space "
        "through the one function make_jvp(f)(x) returns, and put the results side by side "
        "as columns."
        if mode == "forward"
        else "e_i^T J is row i of the Jacobian: trace f once with make_vjp(f)(x), pull each "
        "basis vector e_i of the output space back through the function it returns, and "
        "stack the results as rows."
    )
    operator = "make_jvp" if mode == "forward" else "make_vjp"
    for description, f, x, exact in _test_functions():
        recorder = ModeRecorder(f)
        x_before = x.copy()
        x_given = x.copy()
        got = call_student(student, recorder, x_given, on=description, route=route)
        m, n = exact.shape
        hint = (
            f"row i of the Jacobian is output i and column j is input j: shape (m, n) = "
            f"({m}, {n}), built from the {passes}."
        )
        try:
            got_array = np.asarray(got, dtype=float)
            if got_array.shape == exact.T.shape and np.allclose(got_array, exact.T):
                hint = "that is the transpose of the Jacobian: " + hint
        except (TypeError, ValueError):
            pass
        expect_close(got, exact, on=description, rtol=1e-10, atol=1e-12, hint=hint, route=route)
        expect(
            mode in recorder.modes,
            on=description,
            expected=f"f to be called with a {mode}-mode traced input",
            got=f"calls with {', '.join(recorder.modes) or 'no input at all'}",
            hint=f"the Jacobian is right but did not come from {mode} mode: the exercise asks "
            f"for it from the library's {operator}.",
            route=route,
        )
        limit = max_calls(m, n)
        expect(
            len(recorder.modes) <= limit,
            on=description,
            expected=f"at most {limit} calls of f",
            got=f"{len(recorder.modes)}",
            hint=(
                f"f ran {len(recorder.modes)} times for n = {n} inputs: each JVP runs f once, "
                "carrying its tangent along, so one pass per input is all it takes."
                if mode == "forward"
                else f"f ran {len(recorder.modes)} times for m = {m} outputs: reverse mode "
                "records f once, and every row is pulled back from that one record."
            ),
            route=route,
        )
        expect(
            np.array_equal(x_given, x_before),
            on=description,
            expected=f"x unchanged, {format_value(x_before)}",
            got=f"{format_value(x_given)}",
            hint="your function changed the caller's array x in place.",
            route=route,
        )


@exercise_check("jacobian_forward", sheet=SHEET, shortcuts=FORWARD_SHORTCUTS)
def jacobian_forward(student: Callable) -> str:
    """The (m, n) Jacobian from n JVPs, one per basis vector e_j (column j)."""
    _check_jacobian(student, "forward", "columns J e_j", lambda m, n: n + 1)
    return "right on 3 functions (R^3 -> R^2, R^4 -> R^5, R^3 -> R^3), one JVP per input."


@exercise_check("jacobian_reverse", sheet=SHEET, shortcuts=REVERSE_SHORTCUTS)
def jacobian_reverse(student: Callable) -> str:
    """The (m, n) Jacobian from m VJPs of one trace, one per basis vector e_i (row i)."""
    _check_jacobian(student, "reverse", "rows e_i^T J", lambda m, n: 2)
    return "right on 3 functions (R^3 -> R^2, R^4 -> R^5, R^3 -> R^3), one VJP per output."


__all__ = ["chain_flops", "best_chain_order", "jacobian_forward", "jacobian_reverse"]
