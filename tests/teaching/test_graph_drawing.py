"""The graph drawing uses matplotlib alone and shows one box per value, one arrow per edge."""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

import autodidact.numpy as anp  # noqa: E402
from autodidact.teaching.graph_drawing import draw_graph, layered_layout, node_label  # noqa: E402
from autodidact.teaching.trace_table import trace_table  # noqa: E402


def example_b(x1, x2):
    return anp.log(x1) + x1 * x2 - anp.sin(x2)


def test_nodes_edges_and_labels():
    table = trace_table(example_b, 2.0, 5.0)
    figure, ax = draw_graph(table)
    try:
        boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        assert len(boxes) == 7
        assert sorted(box.get_gid() for box in boxes) == sorted(f"node:v{i}" for i in range(1, 8))
        assert len(arrows) == 8  # v3<-v1, v4<-v1,v2, v5<-v2, v6<-v3,v4, v7<-v6,v5
        assert "edge:v2->v5" in {arrow.get_gid() for arrow in arrows}
        texts = [t.get_text() for t in ax.texts]
        assert len(texts) == 7
        assert "v5 = sin(v2)\nvalue -0.959\nadjoint -1" in texts
        assert "v2 = x2\nvalue 5\nadjoint 1.716" in texts
        assert "v7 = v6 - v5 = y\nvalue 11.652\nadjoint 1" in texts
        assert figure is ax.figure
    finally:
        plt.close(figure)


def test_layout_is_layered_left_to_right():
    table = trace_table(example_b, 2.0, 5.0)
    positions = layered_layout(table)
    layers = [int(positions[i][0]) for i in range(7)]
    assert layers == [0, 0, 1, 1, 1, 2, 3]
    for i, row in enumerate(table.rows):
        for parent in row.parents:
            assert positions[parent][0] < positions[i][0]


def test_drawing_at_a_step_of_the_backward_pass():
    table = trace_table(example_b, 2.0, 5.0)
    step = table.reverse_steps()[1]  # v7 processed: v6 and v5 have received their adjoints
    assert node_label(table, 1, step).endswith("adjoint ?")
    assert node_label(table, 4, step).endswith("adjoint -1")
    figure, ax = draw_graph(table, step=step)
    try:
        current = [p for p in ax.patches if p.get_gid() == "node:v7"][0]
        assert current.get_linewidth() == 2.0
    finally:
        plt.close(figure)


def test_no_graphviz_is_needed():
    import autodidact.teaching.graph_drawing as module

    assert "graphviz" not in sys.modules
    source = open(module.__file__, encoding="utf-8").read()
    assert "graphviz" not in source.lower().replace("no graphviz", "")
    assert "subprocess" not in source


def test_order_badges_number_the_boxes():
    table = trace_table(example_b, 2.0, 5.0)
    order = ["v7", "v6", "v5", "v4", "v3", "v2", "v1"]
    figure, ax = draw_graph(table, order=order)
    try:
        badges = {
            t.get_gid(): t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("order:")
        }
        assert badges == {f"order:{name}": str(k) for k, name in enumerate(order, start=1)}
        box = [p for p in ax.patches if p.get_gid() == "node:v5"][0]
        badge = [t for t in ax.texts if t.get_gid() == "order:v5"][0]
        assert badge.get_position() == (box.get_x(), box.get_y() + box.get_height())
    finally:
        plt.close(figure)


def test_order_badges_skip_unknown_names_and_are_absent_by_default():
    table = trace_table(example_b, 2.0, 5.0)
    figure, ax = draw_graph(table, order=["v7", "w9"])
    plain, plain_ax = draw_graph(table)
    try:
        assert [t.get_gid() for t in ax.texts if t.get_gid()] == ["order:v7"]
        assert not any(t.get_gid() for t in plain_ax.texts)
    finally:
        plt.close(figure)
        plt.close(plain)
