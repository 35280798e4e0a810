"""The cost of a Jacobian chain in each order, the cheapest bracketing, and a widget for them.

For F = J_K o ... o J_1 (each stage a function whose Jacobian is J_k) the
Jacobian of F is the matrix product J_K ... J_1. We describe the chain by the
shapes of its Jacobians, listed from the input side: ``shapes[k]`` is the
shape (rows, columns) = (outputs, inputs) of J_{k+1}, so consecutive shapes
must fit, ``shapes[k + 1][1] == shapes[k][0]``.

Multiplying a p x q matrix by a q x r matrix takes p q r multiply-adds; that is
the cost we count. The product can be bracketed in many ways:

* forward accumulation multiplies from the input side,
  J_K (... (J_3 (J_2 J_1))): every intermediate has n = shapes[0][1] columns;
* reverse accumulation multiplies from the output side,
  ((((J_K J_{K-1}) J_{K-2}) ...) J_1): every intermediate has m rows;
* any other bracketing is allowed too, and dynamic programming over the
  sub-chains finds the cheapest (the matrix-chain problem).

A bracketing is written as nested pairs of indices into ``shapes``: the
integer k stands for J_{k+1} alone, and a pair ``(left, right)`` for the
matrix product left @ right, so ``left`` covers the later stages (nearer the
output) and ``right`` the earlier ones. For K = 3, forward is ``(2, (1, 0))``,
i.e. J_3 (J_2 J_1), and reverse is ``((2, 1), 0)``, i.e. (J_3 J_2) J_1.

`ChainCostExplorer` shows the three costs for a chain R^n -> R^200 -> R^20 ->
R^200 -> R^m with sliders for n and m; `chain_costs` is its model. Below the
widget the cell also stores a picture of its first state, for pages shown
without a kernel (see `first_state_picture`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from autodidact.teaching.first_state_picture import ShowsFirstState

Shape = tuple[int, int]
Bracketing = int | tuple["Bracketing", "Bracketing"]

__all__ = [
    "check_shapes",
    "chain_flops",
    "bracketing_flops",
    "best_chain_order",
    "forward_bracketing",
    "reverse_bracketing",
    "format_bracketing",
    "shapes_from_widths",
    "ChainCosts",
    "chain_costs",
    "ChainCostExplorer",
]


def check_shapes(shapes: Sequence[Sequence[int]]) -> list[Shape]:
    """The shapes as a list of (rows, columns) pairs; ValueError unless they form a chain."""
    checked = []
    for k, shape in enumerate(shapes):
        try:
            rows, columns = (int(size) for size in shape)
        except (TypeError, ValueError):
            raise ValueError(f"shapes[{k}] = {shape!r} is not a (rows, columns) pair") from None
        if rows < 1 or columns < 1:
            raise ValueError(f"shapes[{k}] = {shape!r} has a size below 1")
        checked.append((rows, columns))
    if not checked:
        raise ValueError("a chain needs at least one Jacobian")
    for k in range(len(checked) - 1):
        if checked[k + 1][1] != checked[k][0]:
            raise ValueError(
                f"J_{k + 2} has shape {checked[k + 1]} but J_{k + 1} has {checked[k][0]} rows: "
                f"J_{k + 2} must have as many columns as J_{k + 1} has rows"
            )
    return checked


def chain_flops(shapes: Sequence[Sequence[int]], order: str) -> int:
    """Multiply-adds of J_K ... J_1 in 'forward' (input side first) or 'reverse' order.

    Forward: each of J_2, ..., J_K multiplies a matrix with n columns,
    n = shapes[0][1], costing rows * columns * n each. Reverse: each of
    J_{K-1}, ..., J_1 is multiplied by a matrix with m rows,
    m = shapes[-1][0], costing m * rows * columns each. One Jacobian alone
    costs nothing.

        >>> chain_flops([(3, 2), (4, 3)], "forward")   # J_2 J_1: 4 x 3 times 3 x 2
        24
    """
    shapes = check_shapes(shapes)
    if order == "forward":
        n = shapes[0][1]
        return sum(rows * columns * n for rows, columns in shapes[1:])
    if order == "reverse":
        m = shapes[-1][0]
        return sum(m * rows * columns for rows, columns in shapes[:-1])
    raise ValueError(f"order must be 'forward' or 'reverse', not {order!r}")


def _span_and_cost(shapes: list[Shape], bracketing: Bracketing) -> tuple[int, int, int]:
    """(first, last, cost): the bracketed product covers J_{first+1} ... J_{last+1}."""
    if isinstance(bracketing, (int, np.integer)) and not isinstance(bracketing, bool):
        k = int(bracketing)
        if not 0 <= k < len(shapes):
            raise ValueError(f"index {k} is not in 0 .. {len(shapes) - 1}")
        return k, k, 0
    if not isinstance(bracketing, (tuple, list)) or len(bracketing) != 2:
        raise ValueError(
            f"{bracketing!r} is neither an index nor a pair (left, right) of bracketings"
        )
    left, right = bracketing
    left_first, left_last, left_cost = _span_and_cost(shapes, left)
    right_first, right_last, right_cost = _span_and_cost(shapes, right)
    if left_first != right_last + 1:
        raise ValueError(
            f"in {bracketing!r} the left part must cover the stages right after the right "
            f"part's: the right part ends at index {right_last}, the left part starts at "
            f"{left_first}"
        )
    product = shapes[left_last][0] * shapes[right_last][0] * shapes[right_first][1]
    return right_first, left_last, left_cost + right_cost + product


def bracketing_flops(shapes: Sequence[Sequence[int]], bracketing: Bracketing) -> int:
    """Multiply-adds of the product J_K ... J_1 computed with the given bracketing.

    ValueError unless the bracketing uses every index 0 .. K-1 once, in order.
    Lists [left, right] are accepted in place of tuples.
    """
    shapes = check_shapes(shapes)
    first, last, cost = _span_and_cost(shapes, bracketing)
    if (first, last) != (0, len(shapes) - 1):
        raise ValueError(
            f"the bracketing covers indices {first} .. {last}, not all of 0 .. {len(shapes) - 1}"
        )
    return cost


def forward_bracketing(length: int) -> Bracketing:
    """J_K (... (J_2 J_1)) as nested pairs: (K-1, (K-2, (..., (1, 0))))."""
    bracketing: Bracketing = 0
    for k in range(1, length):
        bracketing = (k, bracketing)
    return bracketing


def reverse_bracketing(length: int) -> Bracketing:
    """((J_K J_{K-1}) ...) J_1 as nested pairs: ((((K-1, K-2), ...), 1), 0)."""
    bracketing: Bracketing = length - 1
    for k in range(length - 2, -1, -1):
        bracketing = (bracketing, k)
    return bracketing


def best_chain_order(shapes: Sequence[Sequence[int]]) -> tuple[int, Bracketing]:
    """(cost, bracketing) of the cheapest way to multiply J_K ... J_1, by dynamic programming.

    best[i][j] is the cheapest cost of the sub-product J_{j+1} ... J_{i+1},
    whose shape is (shapes[j][0], shapes[i][1]). Splitting it into
    (J_{j+1} ... J_{s+2}) (J_{s+1} ... J_{i+1}) costs best[s+1][j] +
    best[i][s] plus one final product of shapes[j][0] x shapes[s][0] times
    shapes[s][0] x shapes[i][1]. Sub-chains are solved shortest first:
    O(K^3) time instead of the exponentially many bracketings.
    """
    shapes = check_shapes(shapes)
    length = len(shapes)
    best = [[0] * length for _ in range(length)]
    split = [[0] * length for _ in range(length)]
    for span in range(1, length):
        for i in range(length - span):
            j = i + span
            best[i][j] = -1
            for s in range(i, j):
                cost = best[i][s] + best[s + 1][j] + shapes[j][0] * shapes[s][0] * shapes[i][1]
                if best[i][j] < 0 or cost < best[i][j]:
                    best[i][j], split[i][j] = cost, s

    def bracketing(i: int, j: int) -> Bracketing:
        if i == j:
            return i
        s = split[i][j]
        return (bracketing(s + 1, j), bracketing(i, s))

    return best[0][length - 1], bracketing(0, length - 1)


def format_bracketing(bracketing: Bracketing, top: bool = True) -> str:
    """A bracketing in matrix notation: ((2, 1), 0) -> '(J3 J2) J1'."""
    if isinstance(bracketing, (int, np.integer)):
        return f"J{int(bracketing) + 1}"
    left, right = bracketing
    text = f"{format_bracketing(left, False)} {format_bracketing(right, False)}"
    return text if top else f"({text})"


def shapes_from_widths(widths: Sequence[int]) -> list[Shape]:
    """Jacobian shapes of a chain R^w0 -> R^w1 -> ... -> R^wK: [(w1, w0), (w2, w1), ...]."""
    widths = [int(width) for width in widths]
    return check_shapes([(widths[k + 1], widths[k]) for k in range(len(widths) - 1)])


@dataclass(frozen=True)
class ChainCosts:
    """Multiply-adds of forward, reverse and the best order for one chain."""

    widths: tuple[int, ...]
    forward: int
    reverse: int
    best: int
    bracketing: Bracketing

    @property
    def winner(self) -> str:
        """Which pure mode is cheaper ('forward', 'reverse' or 'tie')."""
        if self.forward == self.reverse:
            return "tie"
        return "forward" if self.forward < self.reverse else "reverse"

    def lines(self) -> list[str]:
        """Three lines of text: one per order, with its cost."""
        return [
            f"forward (from the input side): {self.forward:>13,} multiply-adds",
            f"reverse (from the output side): {self.reverse:>12,} multiply-adds",
            f"best order {format_bracketing(self.bracketing)}: {self.best:>,} multiply-adds",
        ]


def chain_costs(widths: Sequence[int]) -> ChainCosts:
    """The costs of forward, reverse and the best bracketing for the chain of these widths.

    ``widths = [n, w1, ..., m]`` describes F: R^n -> R^w1 -> ... -> R^m.
    """
    shapes = shapes_from_widths(widths)
    best, bracketing = best_chain_order(shapes)
    return ChainCosts(
        widths=tuple(int(width) for width in widths),
        forward=chain_flops(shapes, "forward"),
        reverse=chain_flops(shapes, "reverse"),
        best=best,
        bracketing=bracketing,
    )


def draw_costs(costs: ChainCosts) -> Figure:
    """A bar chart (log scale) of the three costs, without pyplot."""
    figure = Figure(figsize=(6.0, 2.6), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    labels = ["forward", "reverse", "best order"]
    values = [costs.forward, costs.reverse, costs.best]
    bars = axes.barh(labels, values, color=["tab:blue", "tab:orange", "tab:green"])
    axes.set_xscale("log")
    axes.set_xlim(1e2, max(1e9, 10.0 ** np.ceil(np.log10(3 * max(values)))))
    axes.invert_yaxis()
    axes.bar_label(bars, labels=[f"{value:,}" for value in values], padding=3, fontsize=8)
    axes.set_xlabel("multiply-adds to form the Jacobian (log scale)")
    n, m = costs.widths[0], costs.widths[-1]
    axes.set_title(" -> ".join(f"R^{width}" for width in costs.widths), fontsize=10)
    axes.text(0.99, 0.02, f"n = {n}, m = {m}", transform=axes.transAxes, ha="right", fontsize=8)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class ChainCostExplorer(ShowsFirstState, widgets.VBox):
    """Sliders for n and m above the costs of forward, reverse and the best order.

    The chain is R^n -> R^w1 -> ... -> R^m with fixed inner widths (default
    200, 20, 200: wide, then a narrow waist, then wide again). Attributes
    ``n_slider``, ``m_slider``, ``readout`` (HTML) and ``image``; setting a
    slider's value redraws the rest, and ``costs`` holds the current model.
    """

    def __init__(self, n: int = 100, m: int = 100, inner: Sequence[int] = (200, 20, 200)) -> None:
        self.inner = tuple(int(width) for width in inner)
        slider = dict(min=1, max=1000, step=1, continuous_update=False)
        layout = widgets.Layout(width="450px")
        self.n_slider = widgets.IntSlider(
            value=n, description="n (inputs)", layout=layout, **slider
        )
        self.m_slider = widgets.IntSlider(
            value=m, description="m (outputs)", layout=layout, **slider
        )
        for control in (self.n_slider, self.m_slider):
            control.style.description_width = "90px"
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.n_slider.observe(self._redraw, names="value")
        self.m_slider.observe(self._redraw, names="value")
        super().__init__([self.n_slider, self.m_slider, self.readout, self.image])
        self._redraw()

    @property
    def widths(self) -> tuple[int, ...]:
        return (int(self.n_slider.value), *self.inner, int(self.m_slider.value))

    def _redraw(self, change: dict | None = None) -> None:
        self.costs = chain_costs(self.widths)
        self.readout.value = "<pre>" + "\n".join(self.costs.lines()) + "</pre>"
        self.image.value = _png(draw_costs(self.costs))

    def picture_lines(self) -> list[str]:
        sliders = f"n (inputs) = {self.n_slider.value}, m (outputs) = {self.m_slider.value}"
        return [sliders, *self.costs.lines()]

    def picture_figure(self) -> bytes:
        return bytes(self.image.value)

    def picture_controls(self) -> list[widgets.Widget]:
        return [self.n_slider, self.m_slider]

    def __repr__(self) -> str:
        costs = self.costs
        return (
            f"ChainCostExplorer(widths={list(costs.widths)}: forward {costs.forward:,}, "
            f"reverse {costs.reverse:,}, best {costs.best:,} as "
            f"{format_bracketing(costs.bracketing)})"
        )
