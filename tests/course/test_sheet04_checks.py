"""The checks of sheet 04 pass the solutions, and fail the stubs and plausible wrong answers.

The solutions and the stubs are taken from the sheets themselves (solutions/ and the
generated exercises/), so these tests also prove that the committed sheets meet the checks.
"""

from __future__ import annotations

import numpy as np

from autodidact import jacrev, make_jvp, make_vjp
from autodidact.course.checking import run_check
from autodidact.teaching.jacobian_chain import (
    bracketing_flops,
    chain_flops,
    forward_bracketing,
    reverse_bracketing,
)

from .both_ways import SheetFunctions, Wrong, both_ways
from .conftest import REPO

STEM = "04_jacobian_accumulation"
NAMES = ["chain_flops", "best_chain_order", "jacobian_forward", "jacobian_reverse"]
SOLUTIONS = SheetFunctions(REPO / "solutions" / f"{STEM}.ipynb", NAMES)
STUBS = SheetFunctions(REPO / "exercises" / f"{STEM}.ipynb", NAMES)

# --- plausible wrong answers ---------------------------------------------------------------------


def chain_flops_orders_swapped(shapes, order):
    return chain_flops(shapes, "reverse" if order == "forward" else "forward")


def chain_flops_counting_the_first_jacobian(shapes, order):
    size = shapes[0][1] if order == "forward" else shapes[-1][0]
    return sum(rows * columns * size for rows, columns in shapes)


def chain_flops_ignoring_the_order(shapes, order):
    return chain_flops(shapes, "forward")


def best_of_the_two_pure_modes(shapes):
    forward, reverse = chain_flops(shapes, "forward"), chain_flops(shapes, "reverse")
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


def jacobian_forward_by_reverse_mode(f, x):
    return jacrev(f)(x)


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
    Wrong("best_chain_order", best_of_the_two_pure_modes, "better of the two pure modes"),
    Wrong("best_chain_order", greedy_cheapest_neighbours_first, "cheapest neighbours first"),
    Wrong("best_chain_order", right_cost_forward_bracketing, "which costs"),
    Wrong("best_chain_order", bracketing_as_a_flat_list, "is not valid"),
    Wrong("best_chain_order", bracketing_in_reading_order, "is not valid"),
    Wrong("jacobian_forward", jacobian_forward_transposed, "transpose of the Jacobian"),
    Wrong("jacobian_forward", jacobian_forward_by_reverse_mode, "use the library's make_jvp"),
    Wrong("jacobian_reverse", jacobian_reverse_transposed, "transpose of the Jacobian"),
    Wrong("jacobian_reverse", jacobian_reverse_tracing_once_per_row, "traces f once"),
]

TestBothWays = both_ways(STEM, SOLUTIONS, STUBS, WRONG)


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
