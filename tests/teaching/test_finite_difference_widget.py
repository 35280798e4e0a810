"""The eps explorer of notebook 01, tested without a browser (see tests/browser for that)."""

from __future__ import annotations

import numpy as np

from autodidact.teaching.finite_difference_widget import (
    EpsilonExplorer,
    quotient_errors,
    readout_text,
)


def test_errors_form_the_v_shape():
    eps = np.logspace(-15, 0, 151)
    one_sided, central = quotient_errors(np.exp, np.exp, 1.0, eps)
    best_one, best_central = eps[np.argmin(one_sided)], eps[np.argmin(central)]
    assert 1e-10 < best_one < 1e-6 and one_sided.min() < 1e-7
    assert 1e-7 < best_central < 1e-3 and central.min() < 1e-9
    assert one_sided[-1] > 0.1 and one_sided[0] > 1e-3  # both arms rise


def test_readout_shows_both_slopes_and_errors():
    text = readout_text(np.sin, np.cos, 1.0, 0.1)
    assert "eps = 1.0e-01" in text
    assert "secant slope 0.4973637525" in text and "tangent slope 0.5403023059" in text
    assert "error one-sided 4.3e-02" in text


def test_moving_the_slider_redraws_readout_and_figure():
    explorer = EpsilonExplorer()
    readout, image = explorer.readout.value, explorer.image.value
    assert bytes(image).startswith(b"\x89PNG")
    explorer.slider.value = 1e-8
    assert explorer.readout.value != readout and "eps = 1.0e-08" in explorer.readout.value
    assert bytes(explorer.image.value) != bytes(image)
    assert repr(explorer) == "EpsilonExplorer(f=sin, x0=1, eps=1.0e-08)"


def test_slider_is_log_scale_over_the_whole_v():
    slider = EpsilonExplorer(eps=1e-3).slider
    assert slider.base == 10 and slider.min == -16 and slider.max == 0
    assert np.isclose(slider.value, 1e-3)
