"""Solution sheets are nbgrader source notebooks, stamped from the sheet and the check registry."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autodidact.course.checking import exercises_of_sheet, run_check
from autodidact.course.cli import main
from autodidact.course.layout import CourseError
from autodidact.course.nbgrader_metadata import (
    BEGIN_HIDDEN,
    check_calls,
    grade_id_of,
    layout_of,
    stamp,
    strip_hidden_tests,
)
from autodidact.course.points import points_earned
from autodidact.course.sheets import notebook_text, stale_solutions

from .conftest import REPO, SHEET, sheet_functions

SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
IDS = [path.stem for path in SOLUTIONS]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def test_committed_solutions_carry_up_to_date_metadata():
    stale = stale_solutions(REPO)
    assert not stale, f"run `autodidact make-exercises` to stamp {[p.name for p in stale]}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_stamping_is_idempotent(path):
    once = stamp(read(path), path.stem, exercises_of_sheet(path.stem))
    twice = stamp(once, path.stem, exercises_of_sheet(path.stem))
    assert notebook_text(twice) == notebook_text(once)


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_registered_exercise_is_one_point_in_a_locked_autograded_cell(path):
    notebook = read(path)
    registered = exercises_of_sheet(path.stem)
    assert sorted(notebook.metadata["autodidact"]["exercises"]) == sorted(registered)
    assert notebook.metadata["autodidact"]["sheet"] == path.stem
    graded = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        calls = check_calls(cell.source) if cell.cell_type == "code" else None
        if calls:
            names = [call.exercise for call in calls]
            graded += names
            expected = {"grade": True, "locked": True, "solution": False, "points": len(names)}
            assert {key: meta[key] for key in expected} == expected, f"{path.name}: {meta}"
            assert meta["grade_id"] == "check-" + "-".join(names)
            assert BEGIN_HIDDEN in cell.source, f"{path.name}: {names} has no hidden test"
        elif "### BEGIN SOLUTION" in cell.source:
            assert meta["solution"] is True and meta["grade_id"].startswith("answer-"), meta
    assert sorted(graded) == sorted(registered), f"{path.name}: checked {graded}"
    ids = [grade_id_of(cell) for cell in notebook.cells if grade_id_of(cell)]
    assert len(ids) == len(set(ids)), f"{path.name}: grade ids repeat: {ids}"


def test_a_sheet_can_make_an_exercise_worth_more():
    notebook = read(REPO / "solutions" / SHEET)
    notebook.metadata["autodidact"]["points"]["central_difference"] = 2
    stamped = stamp(notebook, Path(SHEET).stem, exercises_of_sheet(Path(SHEET).stem))
    cell = next(c for c in stamped.cells if grade_id_of(c) == "check-central_difference")
    assert cell.metadata["nbgrader"]["points"] == 2
    assert '("central_difference", central_difference, 2)' in cell.source
    assert layout_of(stamped).points["central_difference"] == 2


def test_a_check_without_a_registered_exercise_is_a_clear_error():
    notebook = read(REPO / "solutions" / SHEET)
    notebook.cells.append(nbformat.v4.new_code_cell('check("no_such_exercise", no_such_exercise)'))
    with pytest.raises(CourseError, match="no_such_exercise are not registered"):
        stamp(notebook, Path(SHEET).stem, exercises_of_sheet(Path(SHEET).stem))
    notebook = read(REPO / "solutions" / SHEET)
    notebook.cells = [c for c in notebook.cells if grade_id_of(c) != "check-gradient_check"]
    with pytest.raises(CourseError, match="no check cell calls check for gradient_check"):
        stamp(notebook, Path(SHEET).stem, exercises_of_sheet(Path(SHEET).stem))
    notebook = read(REPO / "solutions" / SHEET)
    cell = next(c for c in notebook.cells if grade_id_of(c) == "check-gradient_check")
    cell.source = 'print("checking")\ncheck("gradient_check", gradient_check)'
    with pytest.raises(CourseError, match=r"cell \d+ call check but a check cell holds nothing"):
        stamp(notebook, Path(SHEET).stem, exercises_of_sheet(Path(SHEET).stem))


def test_missing_metadata_makes_the_staleness_check_fail(course: Path, capsys):
    solution = course / "solutions" / SHEET
    notebook = read(solution)
    del notebook.metadata["autodidact"]
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
        cell.source = strip_hidden_tests(cell.source)
    nbformat.write(notebook, str(solution))
    assert main(["--root", str(course), "make-exercises", "--check"]) == 1
    out = capsys.readouterr().out
    assert "lacks its nbgrader metadata" in out and SHEET in out, out
    assert main(["--root", str(course), "make-exercises"]) == 0
    assert main(["--root", str(course), "make-exercises", "--check"]) == 0
    assert read(solution).metadata["autodidact"]["sheet"] == Path(SHEET).stem


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_student_sheets_keep_the_identity_and_lose_the_hidden_tests(path):
    exercise = read(REPO / "exercises" / path.name)
    assert exercise.metadata["autodidact"] == read(path).metadata["autodidact"]
    assert all(BEGIN_HIDDEN not in cell.source for cell in exercise.cells)


def test_points_earned_is_none_when_all_pass_else_the_points(capsys):
    def forward_difference(f, x, eps=1e-7):
        raise NotImplementedError()

    central = sheet_functions(REPO / "solutions" / SHEET)["central_difference"]
    assert points_earned(("central_difference", central, 1)) is None
    assert (
        points_earned(
            ("central_difference", central, 2), ("forward_difference", forward_difference, 1)
        )
        == 2
    )
    assert "graded: forward_difference: not done yet" in capsys.readouterr().out
    assert run_check("central_difference", central).passed


def test_hidden_tests_are_stripped_whole():
    source = f'check("a", a)\n{BEGIN_HIDDEN}\npoints_earned(("a", a, 1))\n### END HIDDEN TESTS'
    assert strip_hidden_tests(source) == 'check("a", a)'
    assert check_calls(source)[0].exercise == "a"
    assert check_calls("check('a', a, hint=True)")[0].argument == "a"
    assert check_calls("x = 1\ncheck('a', a)") is None
    assert check_calls("check('a', a") is None
