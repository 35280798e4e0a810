"""A picture of a widget's first state, stored beside the live widget.

An ipywidgets output holds no picture of its own: it is a reference to a
model that lives in a running kernel. Where no kernel runs (the published
site, nbviewer, GitHub, ``jupyter nbconvert --to html``) the cell shows
nothing, or a "Loading widget..." line. So each lecture widget displays two
outputs:

1. the live widget, which a front end with a kernel shows and works;
2. a PNG of the widget as it first appears (its readout as text, then its
   figure), which every viewer can show.

The picture is a second output, not a second format of the widget's output,
because a viewer shows one format per output and the HTML exporters rank the
widget format first. With a kernel the picture would soon show a stale state,
so the first time the reader moves a control it is replaced by an empty
output (the widget above it does not move). A notebook stored straight after
a run, as ``autodidact run-notebooks`` stores the lectures, keeps the picture.

A widget opts in by deriving from `ShowsFirstState` and saying what its first
state looks like (`picture_lines`, `picture_figure`) and which controls count
as moving it (`picture_controls`).
"""

from __future__ import annotations

import base64
import io

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread

__all__ = ["ShowsFirstState", "state_picture", "PICTURE_TITLE"]

PICTURE_TITLE = "The widget as it first appears (a picture: run the notebook to move its controls)"
DPI = 80
FONT_SIZE = 9  # points
MARGIN = 8  # pixels around the text and the figure


def _pixels(points: float) -> float:
    return points * DPI / 72


def state_picture(lines: list[str], figure_png: bytes | None = None) -> bytes:
    """A PNG with `PICTURE_TITLE`, then `lines` in a monospace font, then the figure.

    The figure (a PNG) is pasted pixel for pixel, not resampled, so it looks
    exactly as the widget shows it. Without a figure the picture is the text
    alone.
    """
    image = imread(io.BytesIO(figure_png)) if figure_png else None
    line_height = _pixels(FONT_SIZE * 1.3)
    char_width = _pixels(FONT_SIZE * 0.62)  # DejaVu Sans Mono's advance is 0.6 em
    text_lines = [PICTURE_TITLE, "", *lines]
    text_width = max(len(line) for line in text_lines) * char_width
    text_height = len(text_lines) * line_height
    image_height, image_width = (image.shape[0], image.shape[1]) if image is not None else (0, 0)
    width = max(text_width, image_width) + 2 * MARGIN
    height = text_height + image_height + 3 * MARGIN

    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.patch.set_facecolor("white")
    for number, line in enumerate(text_lines):
        top = height - MARGIN - number * line_height
        figure.text(
            MARGIN / width,
            top / height,
            line,
            va="top",
            ha="left",
            family="monospace",
            fontsize=FONT_SIZE,
            style="italic" if number == 0 else "normal",
            color="dimgray" if number == 0 else "black",
        )
    if image is not None:
        figure.figimage(image, xo=MARGIN, yo=MARGIN, origin="upper")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


class ShowsFirstState:
    """Mixin for an ipywidgets container: display the live widget, then a picture of it.

    Subclasses define `picture_lines` (the readout as plain text lines),
    `picture_figure` (the figure as PNG bytes, or None) and `picture_controls`
    (the widgets whose ``value`` a reader changes).
    """

    def picture_lines(self) -> list[str]:
        raise NotImplementedError

    def picture_figure(self) -> bytes | None:
        raise NotImplementedError

    def picture_controls(self) -> list[widgets.Widget]:
        raise NotImplementedError

    def first_state_png(self) -> bytes:
        """The picture of the widget's current state (its first, when just displayed)."""
        return state_picture(self.picture_lines(), self.picture_figure())

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)
        picture = {
            "image/png": base64.b64encode(self.first_state_png()).decode("ascii"),
            "text/plain": "\n".join([PICTURE_TITLE, *self.picture_lines()]),
        }
        handle = display(picture, raw=True, display_id=True)
        controls = self.picture_controls()

        def remove_picture(change: dict) -> None:
            for control in controls:
                control.unobserve(remove_picture, names="value")
            handle.update({"text/plain": ""}, raw=True)

        for control in controls:
            control.observe(remove_picture, names="value")
