"""The Jacobian-chain cost model and the n/m slider widget built on it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autodidact.teaching.jacobian_chain import (
    ChainCostExplorer,
    best_chain_order,
    bracketing_flops,
    chain_costs,
    chain_flops,
    check_shapes,
    format_bracketing,
    forward_bracketing,
    reverse_bracketing,
    shapes_from_widths,
)


def all_bracketings(first: int, last: int):
    """Every bracketing of J_{last+1} ... J_{first+1}, by brute force."""
    if first == last:
        yield first
        return
    for split in range(first, last):
        for later in all_bracketings(split + 1, last):
            for earlier in all_bracketings(first, split):
                yield (later, earlier)


def test_costs_of_the_pure_orders_by_hand():
    shapes = shapes_from_widths([10, 50, 20, 1])
    assert shapes == [(50, 10), (20, 50), (1, 20)]
    assert chain_flops(shapes, "forward") == 10 * (20 * 50 + 1 * 20)
    assert chain_flops(shapes, "reverse") == 1 * (50 * 10 + 20 * 50)
    assert chain_flops([(4, 3)], "forward") == chain_flops([(4, 3)], "reverse") == 0


def test_the_pure_bracketings_cost_what_chain_flops_says():
    rng = np.random.default_rng(1)
    for length in range(1, 7):
        shapes = shapes_from_widths(rng.integers(1, 30, size=length + 1))
        assert bracketing_flops(shapes, forward_bracketing(length)) == chain_flops(
            shapes, "forward"
        )
        assert bracketing_flops(shapes, reverse_bracketing(length)) == chain_flops(
            shapes, "reverse"
        )


@pytest.mark.parametrize("seed", range(8))
def test_dynamic_programming_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(1, 7))
    shapes = shapes_from_widths(rng.integers(1, 40, size=length + 1))
    cost, bracketing = best_chain_order(shapes)
    brute = min(bracketing_flops(shapes, b) for b in all_bracketings(0, length - 1))
    assert cost == brute == bracketing_flops(shapes, bracketing)


def test_the_textbook_chain_and_the_lecture_waist():
    # CLRS: A1..A6 = 30x35, 35x15, 15x5, 5x10, 10x20, 20x25; here J_1 = A6.
    assert best_chain_order(shapes_from_widths([25, 20, 10, 5, 15, 35, 30]))[0] == 15125
    waist = shapes_from_widths([100, 50, 5, 50, 100])
    assert best_chain_order(waist) == (100_000, ((3, 2), (1, 0)))
    assert chain_flops(waist, "forward") == chain_flops(waist, "reverse") == 550_000


def test_bracketings_are_written_in_matrix_notation():
    assert format_bracketing(forward_bracketing(3)) == "J3 (J2 J1)"
    assert format_bracketing(reverse_bracketing(3)) == "(J3 J2) J1"
    assert format_bracketing(((3, 2), (1, 0))) == "(J4 J3) (J2 J1)"
    assert format_bracketing(0) == "J1"


@pytest.mark.parametrize(
    "bracketing",
    [(0, 1), (1, 1), 2, (1,), "10", [0, 1, 2], ((1, 0), 0), None, True],
)
def test_invalid_bracketings_are_refused(bracketing):
    with pytest.raises(ValueError):
        bracketing_flops([(3, 2), (4, 3)], bracketing)


def test_lists_may_stand_for_pairs():
    assert bracketing_flops([(3, 2), (4, 3)], [1, 0]) == 24


@pytest.mark.parametrize(
    "shapes, words",
    [
        ([], "at least one"),
        ([(3, 2), (4, 4)], "as many columns"),
        ([(3, 0)], "below 1"),
        ([(3,)], "pair"),
    ],
)
def test_shapes_that_do_not_chain_are_refused(shapes, words):
    with pytest.raises(ValueError, match=words):
        check_shapes(shapes)


def test_unknown_order_is_refused():
    with pytest.raises(ValueError, match="forward"):
        chain_flops([(3, 2)], "sideways")


def test_chain_costs_picks_the_obvious_winners():
    one_input = chain_costs([1, 200, 20, 200, 1000])
    assert one_input.best == one_input.forward < one_input.reverse
    assert one_input.winner == "forward"
    one_output = chain_costs([1000, 200, 20, 200, 1])
    assert one_output.best == one_output.reverse < one_output.forward
    both_large = chain_costs([1000, 200, 20, 200, 1000])
    assert both_large.winner == "tie"
    assert both_large.best * 7 < min(both_large.forward, both_large.reverse)
    assert len(both_large.lines()) == 3


def test_best_never_loses_to_a_pure_mode():
    for n, m in itertools.product([1, 7, 100, 1000], repeat=2):
        costs = chain_costs([n, 200, 20, 200, m])
        assert costs.best <= min(costs.forward, costs.reverse)


def test_the_widget_redraws_when_a_slider_moves():
    explorer = ChainCostExplorer(n=100, m=100)
    assert explorer.costs.widths == (100, 200, 20, 200, 100)
    first_image = bytes(explorer.image.value)
    assert first_image.startswith(b"\x89PNG")
    assert "1,000,000" in explorer.readout.value
    explorer.m_slider.value = 1
    assert explorer.costs.widths[-1] == 1
    assert explorer.costs.best == explorer.costs.reverse
    assert bytes(explorer.image.value) != first_image
    assert f"{explorer.costs.reverse:,}" in explorer.readout.value
    explorer.n_slider.value = 1
    assert explorer.costs.widths == (1, 200, 20, 200, 1)
    assert repr(explorer).startswith("ChainCostExplorer(widths=[1, 200, 20, 200, 1]")


def test_the_widget_takes_other_inner_widths():
    explorer = ChainCostExplorer(n=5, m=6, inner=(3,))
    assert explorer.costs.widths == (5, 3, 6)
