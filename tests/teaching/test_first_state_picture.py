"""The picture each lecture widget stores beside itself, for pages shown without a kernel."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from matplotlib.image import imread, imsave

import autodidact.numpy as anp
from autodidact.teaching.finite_difference_widget import EpsilonExplorer
from autodidact.teaching.first_state_picture import PICTURE_TITLE, state_picture
from autodidact.teaching.jacobian_chain import ChainCostExplorer
from autodidact.teaching.reverse_stepper import ReverseStepper
from autodidact.teaching.trace_table import trace_table

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def example_b(x1, x2):
    return anp.log(x1) + x1 * x2 - anp.sin(x2)


def pixels(png: bytes) -> np.ndarray:
    assert png.startswith(b"\x89PNG")
    return imread(io.BytesIO(png))


def test_the_figure_is_pasted_pixel_for_pixel_below_the_text():
    figure = np.zeros((30, 50, 4))
    figure[..., 0], figure[..., 3] = 1.0, 1.0  # an opaque red block
    buffer = io.BytesIO()
    imsave(buffer, figure, format="png")
    picture = pixels(state_picture(["a line", "another line"], buffer.getvalue()))
    red = (picture[..., 0] > 0.99) & (picture[..., 1] < 0.01) & (picture[..., 2] < 0.01)
    rows, columns = np.nonzero(red)
    assert rows.max() - rows.min() + 1 == 30 and columns.max() - columns.min() + 1 == 50
    assert rows.min() > picture.shape[0] / 2  # the text lines sit above the figure


def test_text_alone_makes_a_picture_too():
    tall = pixels(state_picture(["one", "two", "three", "four"]))
    short = pixels(state_picture(["one"]))
    assert tall.shape[0] > short.shape[0]


def widgets_of_the_lectures():
    return {
        "eps": EpsilonExplorer(),
        "stepper": ReverseStepper(trace_table(example_b, 2.0, 5.0)),
        "chain": ChainCostExplorer(n=100, m=100),
    }


# Two values each lecture widget's first control can be moved to, one after the other.
MOVES = {"eps": (1e-3, 1e-5), "stepper": (1, 2), "chain": (50, 60)}


@pytest.mark.parametrize("name", sorted(MOVES))
def test_display_shows_the_widget_then_the_picture_of_its_first_state(name, monkeypatch):
    widget = widgets_of_the_lectures()[name]
    shown, updates = [], []

    class Handle:
        def update(self, data, raw=False):
            updates.append(data)

    def display(data, raw=False, display_id=None):
        assert raw
        shown.append(data)
        return Handle() if display_id else None

    monkeypatch.setattr("IPython.display.display", display)
    widget._ipython_display_()

    assert len(shown) == 2 and WIDGET_VIEW in shown[0]
    picture = shown[1]
    assert picture["text/plain"].splitlines() == [PICTURE_TITLE, *widget.picture_lines()]
    png = base64.b64decode(picture["image/png"])
    assert pixels(png).shape[0] > pixels(widget.picture_figure()).shape[0]

    # The first move of a control replaces the picture (now stale) by an empty output, once.
    control = widget.picture_controls()[0]
    for value in MOVES[name]:
        control.value = value
    assert updates == [{"text/plain": ""}]


def test_the_pictures_text_is_the_widgets_first_state():
    made = widgets_of_the_lectures()
    assert made["eps"].picture_lines()[0].startswith("eps = 1.0e-01: secant slope 0.4973637525")
    stepper = made["stepper"].picture_lines()
    assert stepper[0].startswith("step 0 of 7") and any("v7 = y" in line for line in stepper)
    chain = made["chain"].picture_lines()
    assert chain[0] == "n (inputs) = 100, m (outputs) = 100"
    assert "2,800,000" in chain[1]
