"""The trace table reproduces the curriculum's worked examples, in text and in HTML."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import grad
from autodidact.teaching.trace_table import format_number, trace_table


def example_b(x1, x2):
    return anp.log(x1) + x1 * x2 - anp.sin(x2)


def example_a(w1, w2):
    v1 = anp.log(w1)
    v2 = w2 * v1
    v3 = anp.sqrt(v2)
    return v2 + v3


@pytest.fixture
def table_b():
    return trace_table(example_b, 2.0, 5.0)


def rounded(numbers):
    return [round(n, 3) + 0.0 for n in numbers]


def test_example_b_values_tangents_and_adjoints(table_b):
    assert [row.name for row in table_b.rows] == [f"v{i}" for i in range(1, 8)]
    assert rounded(table_b.values) == [2, 5, 0.693, 10, -0.959, 10.693, 11.652]
    assert rounded(table_b.tangents) == [1, 0, 0.5, 5, 0, 5.5, 5.5]
    # adjoints v7 .. v1
    assert rounded(table_b.adjoints[::-1]) == [1, 1, -1, 1, 1, 1.716, 5.5]
    assert table_b.gradient[1] == pytest.approx(2 - math.cos(5))


def test_example_b_operations_and_inputs(table_b):
    described = [(row.operation, row.inputs) for row in table_b.rows]
    assert described == [
        ("input", ()),
        ("input", ()),
        ("log", ("v1",)),
        ("multiply", ("v1", "v2")),
        ("sin", ("v2",)),
        ("add", ("v3", "v4")),
        ("subtract", ("v6", "v5")),
    ]
    assert table_b.row("v4").formula == "v1 * v2"
    assert table_b.row("y").name == "v7"
    assert table_b.row("x2").name == "v2"


def test_the_adjoints_agree_with_grad(table_b):
    assert table_b.gradient == pytest.approx(list(grad(example_b, argnum=(0, 1))(2.0, 5.0)))


def test_tangent_along_another_direction():
    table = trace_table(example_b, 2.0, 5.0, direction=(0.0, 1.0))
    assert table.output.tangent == pytest.approx(2 - math.cos(5))
    assert "tangent d/dx2" in table.to_text()


def test_text_rendering_shows_the_curriculum_numbers(table_b):
    text = str(table_b)
    assert text == repr(table_b)
    lines = text.splitlines()
    assert len(lines) == 2 + 7
    assert lines[0].split()[:3] == ["v", "operation", "inputs"]
    assert lines[-1].split() == ["v7", "=", "y", "subtract", "v6,", "v5", "11.652", "5.5", "1"]
    assert lines[3].split() == ["v2", "=", "x2", "input", "5", "0", "1.716"]
    for number in ("0.693", "10.693", "-0.959", "5.5", "1.716"):
        assert number in text


def test_html_rendering(table_b):
    html = table_b._repr_html_()
    assert html.startswith("<table") and html.endswith("</table>")
    assert html.count("<tr") == 1 + 7
    for number in ("0.693", "10.693", "-0.959", "11.652", "1.716", "5.5"):
        assert f">{number}</td>" in html
    assert "adjoint dy/dv" in html


def test_select_columns(table_b):
    text = table_b.select("v", "value", "tangent").to_text()
    assert "adjoint" not in text and "operation" not in text
    with pytest.raises(ValueError):
        table_b.select("colour")


def test_example_a_in_both_directions():
    options = dict(input_labels=("w1", "w2"), output_label="L", number_inputs=False)
    by_w1 = trace_table(example_a, 2.0, 3.0, direction=(1.0, 0.0), **options)
    by_w2 = trace_table(example_a, 2.0, 3.0, direction=(0.0, 1.0), **options)
    assert [row.name for row in by_w1.rows] == ["w1", "w2", "v1", "v2", "v3", "v4"]
    assert by_w1.rows[2].tangent == pytest.approx(1 / 2)  # v1' = 1/w1
    assert by_w2.rows[2].tangent == 0.0  # v1' = 0 ...
    assert by_w2.rows[3].tangent == pytest.approx(np.log(2.0))  # ... and v2' = v1
    s = math.sqrt(3 * math.log(2))
    assert by_w1.output.tangent == pytest.approx(3 / 2 * (1 + 1 / (2 * s)))
    assert by_w2.output.tangent == pytest.approx(math.log(2) * (1 + 1 / (2 * s)))
    assert by_w1.gradient == pytest.approx([by_w1.output.tangent, by_w2.output.tangent])
    assert "adjoint dL/dv" in by_w1.to_text()


def test_constants_and_repeated_inputs_display_sensibly():
    table = trace_table(lambda x: 3 * x**2 - x * x, 2.0)
    formulas = [row.formula for row in table.rows]
    assert formulas == ["x1", "v1 ** 2", "v1 * v1", "3 * v2", "v4 - v3"]
    assert table.output.value == pytest.approx(8.0)
    assert table.rows[0].adjoint == pytest.approx(8.0)  # d(2 x^2)/dx at 2
    assert table.output.tangent == pytest.approx(8.0)


def test_format_number():
    assert [format_number(v) for v in (10.0, 0.69314, -0.95892, 5.5, -0.0, 1e-9)] == [
        "10",
        "0.693",
        "-0.959",
        "5.5",
        "0",
        "0",
    ]


def test_a_function_not_built_from_the_inputs_is_refused():
    with pytest.raises(ValueError, match="does not depend"):
        trace_table(lambda x: 1.0, 2.0)
