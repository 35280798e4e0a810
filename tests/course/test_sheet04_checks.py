"""The checks of sheet 04 pass the solutions, fail the stubs, plausible wrong answers and
answers that let the course or the library do the work.

The solutions and the stubs are taken from the sheets themselves (solutions/ and the
generated exercises/), so these tests also prove that the committed sheets meet the checks.
The wrong answers and shortcuts are compiled from this file, outside the package: to the
checks they are a student's code. The wrong answers therefore count multiply-adds with
`count_flops` below, not with the course's `chain_flops`, which the checks withhold.
"""

from __future__ import annotations

import numpy as np

import autodidact.numpy as anp
from autodidact import jacfwd, jacobian, jacrev, make_jvp, make_vjp
from autodidact.course.checking import run_check
from autodidact.teaching.jacobian_chain import (
    best_chain_order as course_best_chain_order,
)
from autodidact.teaching.jacobian_chain import (
    bracketing_flops,
    chain_costs,
    forward_bracketing,
    reverse_bracketing,
)
from autodidact.teaching.jacobian_chain import (
    chain_flops as course_chain_flops,
)

from .both_ways import SheetFunctions, Wrong, both_ways
from .conftest import REPO

STEM = "04_jacobian_accumulation"
NAMES = ["chain_flops", "best_chain_order", "jacobian_forward", "jacobian_reverse"]
SOLUTIONS = SheetFunctions(REPO / "solutions" / f"{STEM}.ipynb", NAMES)
STUBS = SheetFunctions(REPO / "exercises" / f"{STEM}.ipynb", NAMES)

# --- plausible wrong answers ---------------------------------------------------------------------


def count_flops(shapes, order):
    """The right count, written here so that the wrong answers below are built on the student's
    side of the check."""
    if order == "forward":
        return sum(rows * columns * shapes[0][1] for rows, columns in shapes[1:])
    return sum(shapes[-1][0] * rows * columns for rows, columns in shapes[:-1])


def chain_flops_orders_swapped(shapes, order):
    return count_flops(shapes, "reverse" if order == "forward" else "forward")


def chain_flops_counting_the_first_jacobian(shapes, order):
    size = shapes[0][1] if order == "forward" else shapes[-1][0]
    return sum(rows * columns * size for rows, columns in shapes)


def chain_flops_ignoring_the_order(shapes, order):
    return count_flops(shapes, "forward")


def chain_flops_off_by_one_product(shapes, order):
    """Forgets the last product of the order."""
    if order == "forward":
        return sum(rows * columns * shapes[0][1] for rows, columns in shapes[1:-1])
    return sum(shapes[-1][0] * rows * columns for rows, columns in shapes[1:-1])


def chain_flops_returns_a_list(shapes, order):
    return [count_flops(shapes, order)]


def best_of_the_two_pure_modes(shapes):
    forward, reverse = count_flops(shapes, "forward"), count_flops(shapes, "reverse")
    if forward <= reverse:
        return forward, forward_bracketing(len(shapes))
    return reverse, reverse_bracketing(len(shapes))


def greedy_cheapest_neighbours_first(shapes):
    """Multiply the adjacent pair whose product is cheapest, again and again."""
    parts = [(shape, k) for k, shape in enumerate(shapes)]
    total = 0
    while len(parts) > 1:
        costs = [
            parts[k + 1][0][0] * parts[k + 1][0][1] * parts[k][0][1] for k in range(len(parts) - 1)
        ]
        k = int(np.argmin(costs))
        total += costs[k]
        (earlier_shape, earlier), (later_shape, later) = parts[k], parts[k + 1]
        parts[k : k + 2] = [((later_shape[0], earlier_shape[1]), (later, earlier))]
    return total, parts[0][1]


def right_cost_forward_bracketing(shapes):
    return SOLUTIONS["best_chain_order"](shapes)[0], forward_bracketing(len(shapes))


def bracketing_as_a_flat_list(shapes):
    return SOLUTIONS["best_chain_order"](shapes)[0], list(range(len(shapes)))


def bracketing_in_reading_order(shapes):
    """Pairs written (earlier, later), the reverse of the sheet's convention."""

    def flip(bracketing):
        if isinstance(bracketing, int):
            return bracketing
        left, right = bracketing
        return (flip(right), flip(left))

    cost, bracketing = SOLUTIONS["best_chain_order"](shapes)
    return cost, flip(bracketing)


def jacobian_forward_transposed(f, x):
    push_forward = make_jvp(f)(x)
    return np.stack([push_forward(e)[1] for e in np.eye(x.size)], axis=0)


def jacobian_forward_calls_f_for_every_column(f, x):
    """Evaluates f(x) once per column to learn m, on top of the n JVPs."""
    columns = []
    for unit in np.eye(np.size(x)):
        np.size(f(x))
        columns.append(make_jvp(f)(x)(unit)[1])
    return np.stack(columns, axis=1)


def jacobian_forward_changes_x(f, x):
    push_forward = make_jvp(f)(x)
    columns = [push_forward(unit)[1] for unit in np.eye(x.size)]
    x += 1.0
    return np.stack(columns, axis=1)


def jacobian_reverse_transposed(f, x):
    pull_back, y = make_vjp(f)(x)
    return np.stack([pull_back(e) for e in np.eye(np.size(y))], axis=1)


def jacobian_reverse_tracing_once_per_row(f, x):
    rows = []
    for i in range(np.size(f(x))):
        pull_back, y = make_vjp(f)(x)
        rows.append(pull_back(np.eye(np.size(y))[i]))
    return np.stack(rows)


WRONG = [
    Wrong("chain_flops", chain_flops_orders_swapped, "that is the reverse count"),
    Wrong("chain_flops", chain_flops_counting_the_first_jacobian, "is not multiplied by anything"),
    Wrong("chain_flops", chain_flops_ignoring_the_order, "that is the forward count"),
    Wrong("chain_flops", chain_flops_off_by_one_product, "the count differs: list the one product"),
    Wrong("chain_flops", chain_flops_returns_a_list, "returned a list"),
    Wrong("best_chain_order", best_of_the_two_pure_modes, "better pure mode"),
    Wrong("best_chain_order", greedy_cheapest_neighbours_first, "cheapest neighbours first"),
    Wrong("best_chain_order", right_cost_forward_bracketing, "not the one that achieves it"),
    Wrong("best_chain_order", bracketing_as_a_flat_list, "is not valid"),
    Wrong("best_chain_order", bracketing_in_reading_order, "is not valid"),
    Wrong("jacobian_forward", jacobian_forward_transposed, "transpose of the Jacobian"),
    Wrong("jacobian_forward", jacobian_forward_calls_f_for_every_column, "one pass per input"),
    Wrong("jacobian_forward", jacobian_forward_changes_x, "changed the caller's array"),
    Wrong("jacobian_reverse", jacobian_reverse_transposed, "transpose of the Jacobian"),
    Wrong("jacobian_reverse", jacobian_reverse_tracing_once_per_row, "records f once"),
]


# --- shortcuts: answers that let the course or the library do the work ---------------------------


def chain_flops_from_the_course(shapes, order):
    return course_chain_flops(shapes, order)


def chain_flops_through_bracketing_flops(shapes, order):
    bracketing = (forward_bracketing if order == "forward" else reverse_bracketing)(len(shapes))
    return bracketing_flops(shapes, bracketing)


def chain_flops_through_the_widget_model(shapes, order):
    costs = chain_costs([shapes[0][1], *(rows for rows, _ in shapes)])
    return costs.forward if order == "forward" else costs.reverse


def best_chain_order_from_the_course(shapes):
    return course_best_chain_order(shapes)


def best_chain_order_through_the_widget_model(shapes):
    costs = chain_costs([shapes[0][1], *(rows for rows, _ in shapes)])
    return costs.best, costs.bracketing


def jacobian_forward_by_jacfwd(f, x):
    return jacfwd(f)(x)


def jacobian_forward_by_reverse_mode(f, x):
    return jacrev(f)(x)


def jacobian_forward_from_vjps(f, x):
    pull_back, y = make_vjp(f)(x)
    return np.stack([pull_back(unit) for unit in np.eye(np.size(y))])


def jacobian_reverse_by_jacobian(f, x):
    return jacobian(f)(x)


def jacobian_reverse_from_jvps(f, x):
    push_forward = make_jvp(f)(x)
    return np.stack([push_forward(unit)[1] for unit in np.eye(np.size(x))], axis=1)


SHORTCUTS = [
    ("chain_flops", chain_flops_from_the_course),
    ("chain_flops", chain_flops_through_bracketing_flops),
    ("chain_flops", chain_flops_through_the_widget_model),
    ("best_chain_order", best_chain_order_from_the_course),
    ("best_chain_order", best_chain_order_through_the_widget_model),
    ("jacobian_forward", jacobian_forward_by_jacfwd),
    ("jacobian_forward", jacobian_forward_by_reverse_mode),
    ("jacobian_forward", jacobian_forward_from_vjps),
    ("jacobian_reverse", jacobian_reverse_by_jacobian),
    ("jacobian_reverse", jacobian_reverse_from_jvps),
]

TestBothWays = both_ways(STEM, SOLUTIONS, STUBS, WRONG, SHORTCUTS)


def test_the_shortcuts_are_right_answers_when_nothing_is_withheld():
    """Each shortcut computes the right thing: only the withholding makes its check fail."""
    for widths in ([10, 50, 20, 1], [3, 4, 5, 6, 7], [100, 50, 5, 50, 100]):
        shapes = [(widths[k + 1], widths[k]) for k in range(len(widths) - 1)]
        for order in ("forward", "reverse"):
            expected = count_flops(shapes, order)
            assert chain_flops_through_bracketing_flops(shapes, order) == expected
            assert chain_flops_through_the_widget_model(shapes, order) == expected
        assert (
            best_chain_order_through_the_widget_model(shapes)[0]
            == (SOLUTIONS["best_chain_order"](shapes)[0])
        )
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]])
    x = np.array([0.1, 0.2, -0.3])
    exact = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    f = lambda v: anp.tanh(anp.dot(A, v))
    for shortcut in (jacobian_forward_from_vjps, jacobian_reverse_from_jvps):
        assert np.allclose(shortcut(f, x), exact)


def test_the_greedy_answer_is_consistent_but_not_optimal():
    """The greedy wrong answer returns a valid bracketing of its own cost: only optimality fails."""
    shapes = [(50, 100), (5, 50), (50, 5), (100, 50)]
    cost, bracketing = greedy_cheapest_neighbours_first(shapes)
    assert bracketing_flops(shapes, bracketing) == cost == 762_500
    assert SOLUTIONS["best_chain_order"](shapes)[0] == 100_000


def test_a_square_non_symmetric_jacobian_catches_a_transpose_of_equal_shape():
    """On R^3 -> R^3 the transposed answer has the right shape: the values must catch it."""
    verdict = run_check("jacobian_forward", jacobian_forward_transposed)
    assert "(2, 3)" in verdict.text  # the first function, R^3 -> R^2, already shows it

    def transposed_only_when_square(f, x):
        J = SOLUTIONS["jacobian_forward"](f, x)
        return J.T if J.shape[0] == J.shape[1] else J

    verdict = run_check("jacobian_forward", transposed_only_when_square)
    assert verdict.status == "FAIL" and "non-symmetric" in verdict.text, verdict.text
