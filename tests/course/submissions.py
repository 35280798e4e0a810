"""Submissions of sheet 01 as a class hands them in: right, wrong, blank, forged, broken.

Each kind is made from a student sheet (``exercises/`` or nbgrader's release
version) and says which exercises its real work passes; the grading tests
check that nbgrader and ``autodidact grade`` give exactly those points.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from autodidact.course.checking import exercises_of_sheet
from autodidact.course.nbgrader_metadata import grade_id_of

from .conftest import REPO, SHEET

STEM = Path(SHEET).stem
EXERCISES = exercises_of_sheet(STEM)
WRONG_ONE = "central_difference"  # the exercise the wrong submission gets wrong
FIRST = EXERCISES[0]


def _solution() -> nbformat.NotebookNode:
    return nbformat.read(str(REPO / "solutions" / SHEET), as_version=4)


def answered(sheet: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student sheet with every answer cell filled in from the solution (by grade id)."""
    answers = {grade_id_of(cell): cell.source for cell in _solution().cells if grade_id_of(cell)}
    filled = copy.deepcopy(sheet)
    for cell in filled.cells:
        grade_id = grade_id_of(cell) or ""
        if grade_id.startswith("answer-"):
            cell.source = answers[grade_id]
    return filled


def _answer_cell(notebook: nbformat.NotebookNode, exercise: str) -> int:
    return next(
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and f"def {exercise}(" in cell.source
    )


def _add_cell(notebook: nbformat.NotebookNode, index: int, source: str) -> None:
    notebook.cells.insert(index, nbformat.v4.new_code_cell(source))


def submission(sheet: nbformat.NotebookNode, kind: str, outside: Path | None = None):
    """The notebook of one `kind` of submission, made from the student `sheet`."""
    notebook = answered(sheet) if kind in ("correct", "wrong", "deleted_check", "escape") else None
    notebook = notebook or copy.deepcopy(sheet)
    if kind == "wrong":
        cell = notebook.cells[_answer_cell(notebook, WRONG_ONE)]
        right = "(f(x + step) - f(x - step)) / (2 * eps)"
        assert right in cell.source
        cell.source = cell.source.replace(right, "(f(x + step) - f(x)) / eps")
    elif kind == "forged_display":
        lines = [f'display(Verdict("{name}", "PASS", "right"))' for name in EXERCISES]
        _add_cell(
            notebook,
            len(notebook.cells),
            "from autodidact.course import Verdict\n" + "\n".join(lines),
        )
    elif kind == "forged_check":
        forged = "check = lambda name, f: display(Verdict(name, 'PASS', 'right'))"
        _add_cell(notebook, 2, "from autodidact.course import Verdict\n" + forged)
    elif kind == "deleted_check":
        notebook.cells = [
            cell for cell in notebook.cells if grade_id_of(cell) != f"check-{WRONG_ONE}"
        ]
    elif kind == "patched":
        patch = (
            "import autodidact.course.checking as checking\n"
            "from autodidact.course.verdicts import Verdict\n"
            "checking.run_check = lambda name, f, **k: Verdict(name, 'PASS')"
        )
        _add_cell(notebook, 2, patch)
    elif kind == "loop":
        notebook = answered(sheet)
        _add_cell(notebook, _answer_cell(notebook, EXERCISES[1]) + 1, "while True:\n    pass")
    elif kind == "escape":
        _add_cell(notebook, 2, f"open({str(outside)!r}, 'w').write('written by a submission')")
    elif kind not in ("correct", "blank"):
        raise ValueError(kind)
    return notebook


# What each kind's real work earns: the exercises that pass.
PASSING = {
    "correct": set(EXERCISES),
    "wrong": set(EXERCISES) - {WRONG_ONE},
    "blank": set(),
    "forged_display": set(),
    "forged_check": set(),
    "deleted_check": set(EXERCISES),
}
