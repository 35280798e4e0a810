"""Step through the backward pass of a trace one node at a time.

    >>> from autodidact.teaching.trace_table import trace_table
    >>> from autodidact.teaching.reverse_stepper import ReverseStepper
    >>> ReverseStepper(trace_table(f, 2.0, 5.0))      # in Jupyter: a widget

Two layers, so that the logic can be tested without a browser:

* `StepperModel` is plain Python: the list of states of the backward pass
  (from `TraceTable.reverse_steps`), the current position, `next()`,
  `previous()`, `go(k)`, and the text and HTML of the current state.
* `ReverseStepper` is the widget: a "step" slider with back and next
  buttons, the trace table with the node being processed highlighted and
  the adjoints known so far filled in, a line saying what this step does,
  and the graph drawn at the same moment. Below it the cell stores a
  picture of step 0, for pages shown without a kernel
  (see `first_state_picture`).

Step 0 seeds the output's adjoint with 1; each later step processes one
node, from the output back to the inputs, adding its share to the adjoints
of its inputs. A value used twice (v2 in y = ln(x1) + x1 x2 - sin(x2))
receives two shares, and its adjoint is final only after both arrive.
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from autodidact.teaching.first_state_picture import ShowsFirstState
from autodidact.teaching.graph_drawing import draw_graph, layered_layout
from autodidact.teaching.trace_table import ReverseStep, TraceTable

__all__ = ["StepperModel", "ReverseStepper"]


class StepperModel:
    """The backward pass of `table` as a sequence of states, and a position in it."""

    def __init__(self, table: TraceTable) -> None:
        self.table = table
        self.steps: list[ReverseStep] = table.reverse_steps()
        self.position = 0

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def state(self) -> ReverseStep:
        return self.steps[self.position]

    @property
    def current_name(self) -> str:
        """The name of the node being processed ("v7", ...)."""
        return self.table.rows[self.state.current].name

    @property
    def at_end(self) -> bool:
        return self.position == len(self.steps) - 1

    def go(self, position: int) -> ReverseStep:
        """Move to step `position` (clipped to the first and last step)."""
        self.position = max(0, min(int(position), len(self.steps) - 1))
        return self.state

    def next(self) -> ReverseStep:
        return self.go(self.position + 1)

    def previous(self) -> ReverseStep:
        return self.go(self.position - 1)

    def known_adjoints(self) -> dict[str, float]:
        """The adjoints received so far, by row name (running sums included)."""
        return {
            row.name: value
            for row, value in zip(self.table.rows, self.state.adjoints)
            if value is not None
        }

    def caption(self) -> str:
        return f"step {self.position} of {len(self.steps) - 1}: " + self.state.message

    def text(self) -> str:
        """The current state as plain text: caption, then the table."""
        return self.caption() + "\n\n" + self.table.to_text(self.state)

    def html(self) -> str:
        """The current state as HTML: the table, then the caption."""
        lines = html.escape(self.caption()).split("\n")
        caption = "<br>".join(f"<code>{line}</code>" for line in lines)
        return self.table.to_html(self.state) + f'<div style="margin-top:6px">{caption}</div>'


def graph_png(table: TraceTable, step: ReverseStep) -> bytes:
    """The graph at `step`, rendered off-screen to PNG (no pyplot, so nothing else is shown)."""
    positions = layered_layout(table)
    layers = int(max(x for x, _ in positions.values())) + 1
    rows_tall = int(max(-y for _, y in positions.values())) + 1
    figure = Figure(figsize=(2.2 * layers + 0.2, 1.0 * rows_tall + 0.6), dpi=80)
    FigureCanvasAgg(figure)
    draw_graph(table, step=step, ax=figure.add_subplot(), title="the graph at this step")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class ReverseStepper(ShowsFirstState, widgets.VBox):
    """Back / next buttons and a "step" slider over the table, the caption and the graph.

    Attributes: `model` (the `StepperModel`), `slider`, `back`, `forward`,
    `view` (an HTML widget: table and caption) and `image` (the graph).
    Moving the slider or pressing a button redraws the view and the graph.
    """

    def __init__(self, table: TraceTable, show_graph: bool = True) -> None:
        self.model = StepperModel(table)
        self.slider = widgets.IntSlider(
            value=0,
            min=0,
            max=len(self.model) - 1,
            step=1,
            description="step",
            continuous_update=True,
        )
        self.back = widgets.Button(description="back", icon="arrow-left")
        self.forward = widgets.Button(description="next", icon="arrow-right")
        self.view = widgets.HTML()
        self.image = widgets.Image(format="png") if show_graph else None
        self._pngs: dict[int, bytes] = {}
        self.back.on_click(lambda _: self._move(self.model.position - 1))
        self.forward.on_click(lambda _: self._move(self.model.position + 1))
        self.slider.observe(self._on_slider, names="value")
        children = [widgets.HBox([self.back, self.slider, self.forward]), self.view]
        if self.image is not None:
            children.append(self.image)
        super().__init__(children)
        self._redraw()

    def _move(self, position: int) -> None:
        self.slider.value = max(0, min(position, len(self.model) - 1))

    def _on_slider(self, change: dict) -> None:
        self._redraw()

    def _redraw(self) -> None:
        self.model.go(self.slider.value)
        self.view.value = self.model.html()
        if self.image is not None:
            position = self.model.position
            if position not in self._pngs:
                self._pngs[position] = graph_png(self.model.table, self.model.state)
            self.image.value = self._pngs[position]

    def picture_lines(self) -> list[str]:
        return self.model.text().split("\n")

    def picture_figure(self) -> bytes | None:
        return bytes(self.image.value) if self.image is not None else None

    def picture_controls(self) -> list[widgets.Widget]:
        return [self.slider]  # the back and next buttons move the slider too

    def __repr__(self) -> str:
        position, last = self.model.position, len(self.model) - 1
        if position == 0:  # the seed: no node has been processed yet
            doing = f"seed {self.model.table.output_label}_bar = 1"
        else:
            doing = f"processing {self.model.current_name}"
        return f"ReverseStepper(step {position} of {last}: {doing})"
