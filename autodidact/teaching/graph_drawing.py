"""Draw the computational graph of a trace table with matplotlib alone (no Graphviz).

    >>> from autodidact.teaching.trace_table import trace_table
    >>> from autodidact.teaching.graph_drawing import draw_graph
    >>> figure, axes = draw_graph(trace_table(f, 2.0, 5.0))

Each value v_i is a box labelled with its formula, its value and its adjoint;
an arrow runs from each input of a primitive to its output. The layout is
layered, left to right: a value sits in column k when the longest path to it
from an input has k edges, so every arrow points to the right and the
columns read in topological order. Within a column the boxes keep the
order of the table.

With `step` (one of `TraceTable.reverse_steps()`), the drawing shows the
backward pass at that moment: adjoints not yet received are left blank,
running sums are marked "so far", and the node being processed is
highlighted.

With `order` (row names such as ["v7", "v6", ...]), each box carries a small
numbered badge: its place in that order, for instance the order in which a
topological sort hands out the nodes. Rows missing from `order` get no badge.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from autodidact.teaching.trace_table import ReverseStep, TraceTable, format_number

__all__ = ["layered_layout", "node_label", "draw_graph"]

CURRENT_COLOUR = "#ffe9a8"
BADGE_COLOUR = "#2e6da4"
INPUT_COLOUR = "#dbe8f6"
NODE_COLOUR = "#f4f4f4"
BOX_WIDTH = 0.78
BOX_HEIGHT = 0.62


def layered_layout(table: TraceTable) -> dict[int, tuple[float, float]]:
    """Row index -> (x, y): x is the row's layer, y spreads each layer evenly, top down."""
    layer: dict[int, int] = {}
    for i, row in enumerate(table.rows):
        layer[i] = 1 + max((layer[p] for p in row.parents), default=-1)
    columns: dict[int, list[int]] = {}
    for i in range(len(table.rows)):
        columns.setdefault(layer[i], []).append(i)
    tallest = max(len(members) for members in columns.values())
    positions = {}
    for x, members in columns.items():
        offset = (tallest - len(members)) / 2
        for k, i in enumerate(members):
            positions[i] = (float(x), -(offset + k) * 1.0)
    return positions


def node_label(table: TraceTable, i: int, step: ReverseStep | None = None) -> str:
    """The three lines in a node's box: formula, value, adjoint (as known at `step`)."""
    row = table.rows[i]
    if row.operation == "input":
        head = f"{row.name} = {row.label}" if row.label else row.name
    else:
        head = f"{row.name} = {row.formula}"
    if row.label and row.operation != "input":
        head += f" = {row.label}"
    if step is None:
        adjoint = format_number(row.adjoint, table.digits)
    else:
        known = step.adjoints[i]
        adjoint = "?" if known is None else format_number(known, table.digits)
        if known is not None and i not in step.complete:
            adjoint += " so far"
    return f"{head}\nvalue {format_number(row.value, table.digits)}\nadjoint {adjoint}"


def draw_graph(
    table: TraceTable,
    step: ReverseStep | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    order: Sequence[str] | None = None,
) -> tuple[Figure, Axes]:
    """Draw the graph of `table` on `ax` (a new figure when None); return (figure, axes).

    Each node's box has gid "node:<name>" (e.g. "node:v3"), each arrow
    "edge:<from>-><to>", and each badge of `order` "order:<name>", so a
    program can find them.
    """
    positions = layered_layout(table)
    layers = int(max(x for x, _ in positions.values())) + 1
    rows_tall = int(max(-y for _, y in positions.values())) + 1
    if ax is None:
        import matplotlib.pyplot as plt

        figure, ax = plt.subplots(figsize=(2.2 * layers + 0.2, 1.0 * rows_tall + 0.6))
    else:
        figure = ax.figure

    current = None if step is None else step.current
    for i, row in enumerate(table.rows):
        x, y = positions[i]
        if i == current:
            colour = CURRENT_COLOUR
        elif row.operation == "input":
            colour = INPUT_COLOUR
        else:
            colour = NODE_COLOUR
        box = FancyBboxPatch(
            (x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2),
            BOX_WIDTH,
            BOX_HEIGHT,
            boxstyle="round,pad=0.02,rounding_size=0.06",
            facecolor=colour,
            edgecolor="#c0392b" if i == current else "#555555",
            linewidth=2.0 if i == current else 1.0,
            gid=f"node:{row.name}",
        )
        ax.add_patch(box)
        ax.text(x, y, node_label(table, i, step), ha="center", va="center", fontsize=8.5)

    for i, row in enumerate(table.rows):
        for parent in row.parents:
            (x0, y0), (x1, y1) = positions[parent], positions[i]
            arrow = FancyArrowPatch(
                (x0 + BOX_WIDTH / 2, y0),
                (x1 - BOX_WIDTH / 2, y1),
                arrowstyle="-|>",
                mutation_scale=12,
                color="#555555",
                linewidth=1.0,
                shrinkA=1,
                shrinkB=1,
                gid=f"edge:{table.rows[parent].name}->{row.name}",
            )
            ax.add_patch(arrow)

    if order is not None:
        _draw_order_badges(ax, table, positions, order)

    ax.set_xlim(-0.45, layers - 0.55)
    ax.set_ylim(-(rows_tall - 1) - 0.4, 0.4)
    ax.set_aspect("auto")
    ax.axis("off")
    ax.set_title(
        title
        if title is not None
        else "computational graph: values flow left to right, adjoints flow back",
        fontsize=10,
    )
    return figure, ax


def _draw_order_badges(
    ax: Axes, table: TraceTable, positions: dict[int, tuple[float, float]], order: Sequence[str]
) -> None:
    """A numbered disc at the top-left corner of each box: its 1-based place in `order`."""
    index = {row.name: i for i, row in enumerate(table.rows)}
    for place, name in enumerate(order, start=1):
        if name not in index:
            continue
        x, y = positions[index[name]]
        ax.text(
            x - BOX_WIDTH / 2,
            y + BOX_HEIGHT / 2,
            str(place),
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            color="white",
            bbox={"boxstyle": "circle,pad=0.25", "facecolor": BADGE_COLOUR, "edgecolor": "none"},
            gid=f"order:{name}",
        )
