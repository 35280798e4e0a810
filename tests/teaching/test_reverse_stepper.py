"""The reverse-pass stepper: its model walks example B node by node, its widget follows it."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import autodidact.numpy as anp  # noqa: E402
from autodidact.teaching.reverse_stepper import ReverseStepper, StepperModel  # noqa: E402
from autodidact.teaching.trace_table import trace_table  # noqa: E402


def example_b(x1, x2):
    return anp.log(x1) + x1 * x2 - anp.sin(x2)


@pytest.fixture
def model():
    return StepperModel(trace_table(example_b, 2.0, 5.0))


def test_states_fill_the_adjoints_from_the_output_back(model):
    assert len(model) == 8  # the seed, then one step per node
    processed = [model.table.rows[step.current].name for step in model.steps]
    assert processed == ["v7", "v7", "v6", "v5", "v4", "v3", "v2", "v1"]
    first = model.steps[0]
    assert first.adjoints == [None] * 6 + [1.0]
    last = model.steps[-1]
    assert last.adjoints == pytest.approx([5.5, 2 - math.cos(5), 1, 1, -1, 1, 1])
    assert last.complete == frozenset(range(7))


def test_a_shared_value_sums_its_shares(model):
    v2 = 1
    after_v5 = model.go(3)
    assert after_v5.adjoints[v2] == pytest.approx(-math.cos(5))
    assert v2 not in after_v5.complete  # still waiting for v4
    after_v4 = model.go(4)
    assert after_v4.adjoints[v2] == pytest.approx(2 - math.cos(5))
    assert v2 in after_v4.complete
    assert "sum so far 1.716" in after_v4.message
    assert after_v4.adjoints[0] == pytest.approx(5.0) and 0 not in after_v4.complete


def test_navigation_is_clipped(model):
    assert model.previous() is model.steps[0]
    model.go(100)
    assert model.at_end and model.position == 7
    model.next()
    assert model.position == 7
    assert model.known_adjoints()["v1"] == pytest.approx(5.5)


def test_text_and_html(model):
    model.go(3)
    text = model.text()
    assert text.startswith("step 3 of 7: Process v5")
    assert "> v5" in text and "(so far)" in text
    html = model.html()
    assert "background-color" in html and "<table" in html


def test_the_widget_follows_its_slider():
    widget = ReverseStepper(trace_table(example_b, 2.0, 5.0))
    assert widget.slider.description == "step"
    assert widget.slider.max == 7
    assert repr(widget) == "ReverseStepper(step 0 of 7: seed y_bar = 1)"
    widget.forward.click()
    widget.forward.click()
    assert widget.slider.value == 2 and widget.model.position == 2
    assert "Process v6" in widget.view.value
    assert widget.image.value[:4] == b"\x89PNG"
    widget.slider.value = 7
    assert "dy/dx1 = 5.5" in widget.view.value
    widget.back.click()
    assert widget.model.position == 6
    assert repr(widget) == "ReverseStepper(step 6 of 7: processing v2)"
