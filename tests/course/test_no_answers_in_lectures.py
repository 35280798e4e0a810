"""No lecture answers its sheet: a lecture derives a sibling of each exercise, never the answer.

For every BEGIN/END SOLUTION region of every solution sheet, no single cell of any lecture
(its source, its Markdown code spans, or the library source it prints) may hold most of the
region's answer lines. The fault is proven in a temporary copy: pasting a solution region
into a lecture cell makes the test's own detector fire.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from .conftest import REPO, solution_regions, squeeze

LECTURES = sorted((REPO / "notebooks").glob("*.ipynb"))
SHEETS = sorted((REPO / "solutions").glob("*.ipynb"))


def cell_texts(path: Path) -> list[tuple[int, str]]:
    """(cell number, squeezed text) for each cell: its source and the text of its outputs."""
    notebook = nbformat.read(str(path), as_version=4)
    texts = []
    for number, cell in enumerate(notebook.cells, start=1):
        parts = [cell.source]
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data = output.get("data", {})
            parts += [data.get(kind, "") for kind in ("text/plain", "text/markdown", "text/html")]
        texts.append(
            (number, squeeze("".join(p if isinstance(p, str) else "".join(p) for p in parts)))
        )
    return texts


def answers_given_away(sheet: Path, lecture: Path) -> list[str]:
    """Each place where a cell of `lecture` holds most of the lines of a region of `sheet`."""
    found = []
    cells = cell_texts(lecture)
    for region in solution_regions(sheet):
        for number, text in cells:
            held = [line for line in region if line in text]
            if 2 * len(held) > len(region):
                found.append(
                    f"{lecture.name} cell {number} holds {len(held)} of the {len(region)} answer "
                    f"lines of a region of {sheet.name}, e.g. {held[0]!r}"
                )
    return found


@pytest.mark.parametrize("sheet", SHEETS, ids=[path.stem for path in SHEETS])
def test_no_lecture_cell_holds_an_answer_of_the_sheet(sheet):
    found = [place for lecture in LECTURES for place in answers_given_away(sheet, lecture)]
    assert not found, "a lecture gives away a sheet's answer:\n" + "\n".join(found)


def test_the_detector_fires_on_a_pasted_answer(tmp_path):
    sheet = REPO / "solutions" / "01_finite_differences.ipynb"
    region_cell = next(
        cell
        for cell in nbformat.read(str(sheet), as_version=4).cells
        if "### BEGIN SOLUTION" in cell.source
    )
    lecture = nbformat.read(str(REPO / "notebooks" / "01_finite_differences.ipynb"), as_version=4)
    lecture.cells.append(nbformat.v4.new_code_cell(region_cell.source.replace("### ", "# ")))
    copy = tmp_path / "01_finite_differences.ipynb"
    nbformat.write(lecture, str(copy))
    assert answers_given_away(sheet, copy)
