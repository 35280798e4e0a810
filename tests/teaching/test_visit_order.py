"""Visit orders: any sort runs on a table's graph, and what is wrong with its order is named."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import autodidact.numpy as anp  # noqa: E402
from autodidact.reverse import toposort as library_toposort  # noqa: E402
from autodidact.teaching.trace_table import trace_table  # noqa: E402
from autodidact.teaching.visit_order import (  # noqa: E402
    draw_visit_order,
    graph_nodes,
    order_problem,
    visit_order,
)


def example_b(x1, x2):
    return anp.log(x1) + x1 * x2 - anp.sin(x2)


def diamond(a):
    return anp.sin(a) * anp.exp(a)


def library_order(end_node):
    return list(library_toposort([end_node]))


def preorder(end_node):
    """Each node as soon as it is met, then its parents: not topological on a diamond."""
    order = []

    def visit(node):
        if node not in order:
            order.append(node)
            for parent in node.parents:
                visit(parent)

    visit(end_node)
    return order


def test_graph_nodes_mirror_the_rows_and_their_parents():
    table = trace_table(example_b, 2.0, 5.0)
    nodes = graph_nodes(table)
    assert list(nodes) == [f"v{i}" for i in range(1, 8)]
    assert nodes["v4"].parents == (nodes["v1"], nodes["v2"])
    assert nodes["v1"].parents == () and nodes["v1"].value == 2.0


def test_a_right_order_has_no_problem_and_a_wrong_one_is_named():
    table = trace_table(example_b, 2.0, 5.0)
    order = visit_order(table, library_order)
    assert order[0] == "v7" and sorted(order) == sorted(f"v{i}" for i in range(1, 8))
    assert order_problem(table, order) is None
    wrong = visit_order(trace_table(diamond, 0.3), preorder)
    assert wrong == ["v4", "v2", "v1", "v3"]
    assert order_problem(trace_table(diamond, 0.3), wrong) == (
        "v1 comes before v3, which is computed from it"
    )
    assert order_problem(table, order[::-1]).startswith("it starts at")
    assert order_problem(table, order + ["v1"]) == "v1 is listed 2 times"
    assert order_problem(table, order[:-2]).endswith("are missing")


def test_a_node_class_of_ones_own_is_used():
    class Node:
        def __init__(self, value, parents=(), vjps=(), level=0):
            self.value, self.parents = value, parents

    seen = []

    def sort(end_node):
        seen.append(type(end_node))
        return library_order(end_node)

    visit_order(trace_table(example_b, 2.0, 5.0), sort, Node)
    assert seen == [Node]


def test_drawing_numbers_the_boxes_and_titles_the_verdict():
    table = trace_table(diamond, 0.3)
    figure, ax = draw_visit_order(table, preorder)
    try:
        assert "not a topological order: v1 comes before v3" in ax.get_title()
        badges = {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid()}
        assert badges == {"order:v4": "1", "order:v2": "2", "order:v1": "3", "order:v3": "4"}
    finally:
        plt.close(figure)


def test_a_sort_that_raises_or_is_not_written_prints_one_line(capsys):
    table = trace_table(example_b, 2.0, 5.0)

    def toposort(end_node):
        raise NotImplementedError()

    def broken(end_node):
        return [end_node, "v9"]

    assert draw_visit_order(table, toposort) is None
    assert draw_visit_order(table, broken) is None
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "toposort is not written yet: write it, then run this cell again."
    assert lines[1].startswith("broken raised ValueError: the sort returned 'v9'")
    assert len(lines) == 2
