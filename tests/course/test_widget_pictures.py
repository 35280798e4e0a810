"""Every widget cell of the lectures stores a picture, so pages without a kernel show a figure.

A widget output is only a reference to a model in a running kernel: the site,
nbviewer, GitHub and ``jupyter nbconvert --to html`` cannot draw it. Each widget
of the lectures therefore stores, right after its own output, a PNG of its first
state (see `autodidact.teaching.first_state_picture`). These tests read the
stored lectures and their HTML export (the exporter of ``nbconvert --to html``).
"""

from __future__ import annotations

import base64
import re

import nbformat
import pytest

from autodidact.teaching.first_state_picture import PICTURE_TITLE

from .conftest import REPO

LECTURES = sorted((REPO / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def widget_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code"
        and any(WIDGET_VIEW in output.get("data", {}) for output in cell.outputs)
    ]


def test_the_lectures_have_widget_cells():
    """The tests below would pass on no widget at all: make sure there are some."""
    counts = {
        path.stem[:2]: len(widget_cells(nbformat.read(str(path), as_version=4)))
        for path in LECTURES
    }
    assert counts["01"] >= 1 and counts["03"] >= 1 and counts["04"] >= 1, counts


@pytest.mark.parametrize("lecture", LECTURES, ids=[path.stem for path in LECTURES])
def test_each_widget_output_is_followed_by_a_picture_of_its_first_state(lecture):
    notebook = nbformat.read(str(lecture), as_version=4)
    for cell in widget_cells(notebook):
        outputs = cell.outputs
        for index, output in enumerate(outputs):
            if WIDGET_VIEW not in output.get("data", {}):
                continue
            assert index + 1 < len(outputs), f"{cell.source!r}: no output after the widget"
            picture = outputs[index + 1].get("data", {})
            assert "image/png" in picture, f"{cell.source!r}: the widget has no picture"
            assert base64.b64decode(picture["image/png"]).startswith(b"\x89PNG")
            assert picture["text/plain"].startswith(PICTURE_TITLE)


@pytest.mark.parametrize("lecture", LECTURES, ids=[path.stem for path in LECTURES])
def test_nbconvert_html_shows_an_image_for_every_widget_cell(lecture):
    notebook = nbformat.read(str(lecture), as_version=4)
    expected = len(widget_cells(notebook))
    if expected == 0:
        return  # nothing for the exporter to show (an export costs a second or two)
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(notebook)
    cells = re.split(r'<div class="jp-Cell ', body)[1:]
    with_widget = [cell for cell in cells if f'<script type="{WIDGET_VIEW}">' in cell]
    assert len(with_widget) == expected
    for cell in with_widget:
        after_widget = cell.split(f'<script type="{WIDGET_VIEW}">', 1)[1]
        assert re.search(r'<img [^>]*src="data:image/png;base64,', after_widget), (
            f"{lecture.name}: a widget cell shows no image in nbconvert's HTML"
        )
