"""The order in which a topological sort visits a graph, drawn on the graph of a trace table.

    >>> from autodidact.teaching.trace_table import trace_table
    >>> table = trace_table(f, 2.0, 5.0)
    >>> visit_order(table, toposort)          # ['v7', 'v6', 'v5', ...]
    >>> draw_visit_order(table, toposort)     # the graph, each box numbered in that order

A topological sort sees nothing but nodes and their `parents`. `graph_nodes`
builds one node per row of a table, with the row's parents, out of any class
called as ``node_class(value, parents)`` (a bare `GraphNode` by default; sheet
08 passes its own `Node`). `visit_order` runs a sort from the output's node and
names what it returns, so any sort, right or wrong, can be looked at and
drawn; `order_problem` says in words what keeps an order from being a
topological one (every node before all of its parents, each node once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from autodidact.teaching.graph_drawing import draw_graph
from autodidact.teaching.trace_table import TraceTable

__all__ = ["GraphNode", "graph_nodes", "visit_order", "order_problem", "draw_visit_order"]


class GraphNode:
    """A vertex with nothing but a value and the nodes it was computed from."""

    def __init__(self, value: Any, parents: tuple = ()) -> None:
        self.value = value
        self.parents = parents

    def __repr__(self) -> str:
        return f"GraphNode({self.value!r})"


def graph_nodes(table: TraceTable, node_class: Callable = GraphNode) -> dict[str, Any]:
    """One node per row of `table`, keyed by the row's name, each with its row's parents."""
    nodes: dict[str, Any] = {}
    for row in table.rows:  # rows are in topological order: parents come first
        parents = tuple(nodes[table.rows[p].name] for p in row.parents)
        nodes[row.name] = node_class(row.value, parents)
    return nodes


def visit_order(table: TraceTable, toposort: Callable, node_class: Callable = GraphNode) -> list:
    """The names of the rows, in the order `toposort` returns their nodes from the output's."""
    nodes = graph_nodes(table, node_class)
    name_of = {id(node): name for name, node in nodes.items()}
    order = []
    for node in toposort(nodes[table.output.name]):
        if id(node) not in name_of:
            raise ValueError(f"the sort returned {node!r}, which is not a node of the graph")
        order.append(name_of[id(node)])
    return order


def order_problem(table: TraceTable, order: Sequence[str]) -> str | None:
    """What keeps `order` from being a topological order starting at the output (None if nothing).

    A topological order here lists every node of the graph once, the output
    first, and each node before all of its parents.
    """
    names = [row.name for row in table.rows]
    for name in order:
        if order.count(name) > 1:
            return f"{name} is listed {order.count(name)} times"
    missing = [name for name in names if name not in order]
    if missing:
        return f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
    if order and order[0] != table.output.name:
        return f"it starts at {order[0]}, not at the output {table.output.name}"
    place = {name: k for k, name in enumerate(order)}
    for row in table.rows:
        for p in row.parents:
            parent = names[p]
            if place[parent] < place[row.name]:
                return f"{parent} comes before {row.name}, which is computed from it"
    return None


def draw_visit_order(
    table: TraceTable,
    toposort: Callable,
    node_class: Callable = GraphNode,
    ax: Axes | None = None,
) -> tuple[Figure, Axes] | None:
    """Draw the graph of `table` with each box numbered in the order `toposort` visits it.

    The title says whether that order is topological, and if not, why. When the
    sort raises (or is not written yet), one line says so and nothing is drawn.
    """
    name = getattr(toposort, "__name__", "the sort")
    try:
        order = visit_order(table, toposort, node_class)
    except NotImplementedError:
        print(f"{name} is not written yet: write it, then run this cell again.")
        return None
    except Exception as error:  # a student's sort may fail in any way: say it in one line
        message = str(error).strip().splitlines()
        print(f"{name} raised {type(error).__name__}" + (f": {message[0]}" if message else ""))
        return None
    problem = order_problem(table, order)
    verdict = "a topological order" if problem is None else f"not a topological order: {problem}"
    title = f"the order {name} hands out the nodes (1 = first):\n{verdict}"
    return draw_graph(table, ax=ax, title=title, order=order)
