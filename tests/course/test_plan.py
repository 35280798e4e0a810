"""Planning a run and telling whose sheet it is, without running anything."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autodidact.course.gradebook import suspicious_code
from autodidact.course.identify import course_layouts, identify_sheet, student_of
from autodidact.course.nbgrader_metadata import grade_id_of, strip_hidden_tests
from autodidact.course.plan import plan_notebook

from .conftest import REPO, SHEET
from .submissions import EXERCISES, STEM

LAYOUTS = course_layouts(REPO)
LAYOUT = LAYOUTS[STEM]


def exercise_sheet() -> nbformat.NotebookNode:
    return nbformat.read(str(REPO / "exercises" / SHEET), as_version=4)


def summary(notebook) -> list[tuple]:
    """Each step as ('run', [n]) or ('check', [n] or None, exercises)."""
    plan = plan_notebook(notebook, LAYOUT)
    return [
        ("run", step["cell"])
        if step["kind"] == "run"
        else ("check", step["cell"], [call[0] for call in step["calls"]])
        for step in plan.steps
    ]


def test_check_cells_become_the_courses_checks_numbered_as_jupyterlab_shows_them():
    steps = summary(exercise_sheet())
    assert [step for step in steps if step[0] == "check"] == [
        ("check", 3 + 2 * index, [name]) for index, name in enumerate(EXERCISES)
    ]
    assert [step[1] for step in steps] == list(range(1, len(steps) + 1))


def test_a_deleted_check_cell_is_put_back_after_its_answer():
    notebook = exercise_sheet()
    notebook.cells = [
        cell for cell in notebook.cells if grade_id_of(cell) != "check-gradient_check"
    ]
    steps = summary(notebook)
    assert steps[-2:] == [("run", 6), ("check", None, ["gradient_check"])], steps


def test_a_deleted_check_in_a_sheet_without_metadata_goes_after_the_definition():
    notebook = exercise_sheet()
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
    notebook.cells = [cell for cell in notebook.cells if 'check("central' not in cell.source]
    notebook.cells.append(nbformat.v4.new_code_cell("x = 1"))
    steps = summary(notebook)
    position = steps.index(("check", None, ["central_difference"]))
    assert steps[position - 1] == ("run", 4), steps  # the cell defining central_difference


def test_an_old_sheet_without_metadata_is_planned_from_its_check_calls():
    notebook = exercise_sheet()
    notebook.metadata.pop("autodidact")
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
    assert summary(notebook) == summary(exercise_sheet())


def test_a_check_cell_the_student_edited_is_still_replaced():
    notebook = exercise_sheet()
    for cell in notebook.cells:
        if grade_id_of(cell) == "check-forward_difference":
            cell.source = 'check("forward_difference", forward_difference, hint=True)\nprint(1)'
    assert summary(notebook) == summary(exercise_sheet())


def test_the_sheet_is_known_by_its_metadata_then_its_name_then_its_grade_ids():
    notebook = exercise_sheet()
    assert identify_sheet(notebook, "anything.ipynb", LAYOUTS) == STEM
    assert identify_sheet(None, f"frank_123456_{SHEET}", LAYOUTS) == STEM
    notebook.metadata.pop("autodidact")
    assert identify_sheet(notebook, "anything.ipynb", LAYOUTS) == STEM  # by grade ids
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
        cell.source = strip_hidden_tests(cell.source)
    assert identify_sheet(notebook, "anything.ipynb", LAYOUTS) is None


@pytest.mark.parametrize(
    ("name", "student"),
    [
        (f"frank_123456_{SHEET}", "frank_123456"),
        (f"Frank Smith_123456_assignsubmission_file_{SHEET}", "Frank Smith_123456"),
        (SHEET, SHEET),
        ("homework.ipynb", "homework.ipynb"),
    ],
)
def test_the_student_is_read_from_the_file_name_as_platforms_write_it(name, student):
    assert student_of(Path(name), STEM) == student


@pytest.mark.parametrize("stem", list(LAYOUTS))
def test_no_sheet_looks_aimed_at_the_grader_by_itself(stem):
    for folder in ("exercises", "solutions"):
        notebook = nbformat.read(str(REPO / folder / f"{stem}.ipynb"), as_version=4)
        sheet = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        assert suspicious_code(sheet, LAYOUTS[stem].lines) == [], f"{folder}/{stem}"


def test_code_aimed_at_the_grader_is_noticed_and_ordinary_code_is_not():
    assert suspicious_code(["check = lambda name, f: None"]) == ["redefines check"]
    assert suspicious_code(["import sys\nsys.modules['x'] = 1"]) == ["edits sys.modules"]
    assert suspicious_code(["import ctypes"]) == ["uses ctypes"]


def test_the_slowest_sheets_are_handed_out_first():
    from autodidact.course.gradebook import LongestFirst

    queue = LongestFirst(["a", "a", "b", "b", "b", None])
    first = [queue.take() for _ in range(3)]
    assert first == [0, 2, 5]  # one file of each sheet first, to time them
    queue.timed(0, 1.0)
    queue.timed(2, 9.0)
    queue.timed(5, 0.5)
    assert [queue.take() for _ in range(4)] == [3, 4, 1, None]  # then the slow sheet's files
