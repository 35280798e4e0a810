"""A slider for eps: the secant of a one-sided difference against the tangent, and the error.

``EpsilonExplorer()`` shows, for f = sin at x0 = 1:

* left, the graph of f with its tangent at x0 (slope f'(x0)) and the secant
  through x0 and x0 + eps (slope (f(x0 + eps) - f(x0)) / eps);
* right, the error of the one-sided and central quotients against eps on
  log-log axes, the V shapes of notebook 01, with the current eps marked;
* above them, a line with eps, both slopes and both errors.

Moving the slider to the right (large eps) shows truncation error, the secant
visibly leaving the tangent; to the left (tiny eps) shows round-off, the
error rising again although the secant looks perfect. The figure is drawn
off-screen and shown as a PNG, so the widget publishes no cell output of its
own while it updates. Below the widget the cell also stores a picture of its
first state, for pages shown without a kernel (see `first_state_picture`).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from autodidact.teaching.first_state_picture import ShowsFirstState


def one_sided_quotient(f: Callable, x0: float, eps: float) -> float:
    """(f(x0 + eps) - f(x0)) / eps: the slope of the secant."""
    return (f(x0 + eps) - f(x0)) / eps


def central_quotient(f: Callable, x0: float, eps: float) -> float:
    """(f(x0 + eps) - f(x0 - eps)) / (2 eps)."""
    return (f(x0 + eps) - f(x0 - eps)) / (2 * eps)


def quotient_errors(
    f: Callable, df: Callable, x0: float, eps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Absolute errors of the one-sided and central quotients at each eps."""
    eps = np.asarray(eps, dtype=float)
    exact = df(x0)
    with np.errstate(all="ignore"):
        one_sided = np.abs(one_sided_quotient(f, x0, eps) - exact)
        central = np.abs(central_quotient(f, x0, eps) - exact)
    return one_sided, central


def draw_explorer(
    f: Callable, df: Callable, x0: float, eps: float, eps_grid: np.ndarray, name: str = "f"
) -> Figure:
    """The explorer's figure for one value of eps (no pyplot: nothing is shown by itself)."""
    figure = Figure(figsize=(9.0, 3.4), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)
    graph, errors = figure.subplots(1, 2)

    xs = np.linspace(x0 - 1.5, x0 + 1.5, 300)
    slope_tangent = df(x0)
    slope_secant = one_sided_quotient(f, x0, eps)
    graph.plot(xs, f(xs), color="black", label=f"{name}(x)")
    graph.plot(xs, f(x0) + slope_tangent * (xs - x0), color="tab:green", label="tangent")
    graph.plot(xs, f(x0) + slope_secant * (xs - x0), "--", color="tab:red", label="secant")
    graph.plot([x0, x0 + eps], [f(x0), f(x0 + eps)], "o", color="tab:red", markersize=4)
    graph.set_xlim(xs[0], xs[-1])
    low, high = f(xs).min(), f(xs).max()
    graph.set_ylim(low - 0.5, high + 0.5)
    graph.set_title(f"secant through x0 = {x0:g} and x0 + eps")
    graph.legend(loc="lower left", fontsize=8)

    one_sided, central = quotient_errors(f, df, x0, eps_grid)
    floor = 1e-17
    errors.loglog(eps_grid, np.maximum(one_sided, floor), label="one-sided", color="tab:red")
    errors.loglog(eps_grid, np.maximum(central, floor), label="central", color="tab:blue")
    now_one, now_central = quotient_errors(f, df, x0, np.array([eps]))
    errors.loglog([eps], [max(now_one[0], floor)], "o", color="tab:red")
    errors.loglog([eps], [max(now_central[0], floor)], "o", color="tab:blue")
    errors.axvline(eps, color="gray", linewidth=0.8)
    errors.set_xlabel("eps")
    errors.set_ylabel("|quotient - f'(x0)|")
    errors.set_ylim(1e-17, 10)
    errors.set_title("error against eps")
    errors.legend(loc="lower left", fontsize=8)
    return figure


def figure_png(figure: Figure) -> bytes:
    """The figure rendered as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def readout_text(f: Callable, df: Callable, x0: float, eps: float) -> str:
    """One line: eps, the secant and tangent slopes, and both errors."""
    (one_sided,), (central,) = quotient_errors(f, df, x0, np.array([eps]))
    return (
        f"eps = {eps:.1e}: secant slope {one_sided_quotient(f, x0, eps):.10f}, "
        f"tangent slope {df(x0):.10f}; error one-sided {one_sided:.1e}, "
        f"central {central:.1e}"
    )


class EpsilonExplorer(ShowsFirstState, widgets.VBox):
    """A log-scale eps slider above a readout line and the explorer's figure.

    Attributes ``slider``, ``readout`` (an HTML widget) and ``image`` are the
    parts; setting ``slider.value`` redraws the other two.
    """

    def __init__(
        self,
        f: Callable = np.sin,
        df: Callable = np.cos,
        x0: float = 1.0,
        eps: float = 1e-1,
        name: str = "sin",
    ) -> None:
        self.f, self.df, self.x0, self.name = f, df, x0, name
        self.eps_grid = np.logspace(-16, 0, 161)
        self.slider = widgets.FloatLogSlider(
            value=eps,
            base=10,
            min=-16,
            max=0,
            step=0.25,
            description="eps",
            readout_format=".1e",
            continuous_update=False,
            layout=widgets.Layout(width="500px"),
        )
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.slider.observe(self._redraw, names="value")
        super().__init__([self.slider, self.readout, self.image])
        self._redraw()

    def _redraw(self, change: dict | None = None) -> None:
        eps = float(self.slider.value)
        self.readout.value = f"<code>{readout_text(self.f, self.df, self.x0, eps)}</code>"
        figure = draw_explorer(self.f, self.df, self.x0, eps, self.eps_grid, self.name)
        self.image.value = figure_png(figure)

    def picture_lines(self) -> list[str]:
        return [readout_text(self.f, self.df, self.x0, float(self.slider.value))]

    def picture_figure(self) -> bytes:
        return bytes(self.image.value)

    def picture_controls(self) -> list[widgets.Widget]:
        return [self.slider]

    def __repr__(self) -> str:
        return f"EpsilonExplorer(f={self.name}, x0={self.x0:g}, eps={self.slider.value:.1e})"
