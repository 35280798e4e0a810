"""Student sheets are generated from solutions, and the committed ones are in sync."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from autodidact.course.cli import main
from autodidact.course.layout import CourseError
from autodidact.course.sheets import (
    make_student_sheet,
    notebook_text,
    stale_exercises,
    strip_solution,
)

from .conftest import REPO, SHEET


def test_solution_region_becomes_stub_at_its_indentation():
    source = (
        "def f(x):\n    '''Doc.'''\n"
        "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    )
    stub = ("# YOUR CODE HERE", "raise NotImplementedError()")
    assert strip_solution(source, stub) == (
        "def f(x):\n    '''Doc.'''\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )


def test_several_regions_and_code_outside_them_are_kept():
    source = (
        "a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\n"
        "c = 3\n### BEGIN SOLUTION\nd=4\n### END SOLUTION"
    )
    assert strip_solution(source, ("STUB",)) == "a = 1\nSTUB\nc = 3\nSTUB"


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION",
    ],
)
def test_unbalanced_markers_are_an_error(source):
    with pytest.raises(CourseError):
        strip_solution(source, ("STUB",), "sheet cell 3")


def test_student_sheet_has_no_solution_and_no_outputs():
    solution = nbformat.read(str(REPO / "solutions" / SHEET), as_version=4)
    sheet = make_student_sheet(solution)
    assert len(sheet.cells) == len(solution.cells)
    for cell in sheet.cells:
        assert "### BEGIN SOLUTION" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    stubs = sum(
        "raise NotImplementedError()" in cell.source
        for cell in sheet.cells
        if cell.cell_type == "code"
    )
    answers = sum("### BEGIN SOLUTION" in cell.source for cell in solution.cells)
    assert stubs == answers, f"{stubs} stubs for {answers} answer cells"
    assert [cell.id for cell in sheet.cells] == [cell.id for cell in solution.cells]


def test_markdown_answers_are_blanked():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("Q?\n### BEGIN SOLUTION\nA.\n### END SOLUTION")]
    assert make_student_sheet(notebook).cells[0].source == "Q?\nYOUR ANSWER HERE"


def test_committed_exercises_are_in_sync_with_solutions(capsys):
    """The staleness test: exercises/ is exactly what make-exercises generates."""
    assert main(["--root", str(REPO), "make-exercises", "--check"]) == 0, capsys.readouterr().out


def test_check_names_a_stale_sheet_and_writes_nothing(course: Path, capsys):
    solution = course / "solutions" / SHEET
    notebook = nbformat.read(str(solution), as_version=4)
    notebook.cells[0].source += "\n\nA new paragraph."
    nbformat.write(notebook, str(solution))
    exercise = course / "exercises" / SHEET
    before = exercise.read_bytes()

    assert main(["--root", str(course), "make-exercises", "--check"]) == 1
    out = capsys.readouterr().out
    assert f"stale: {course / 'exercises' / SHEET}" in out or f"stale: exercises/{SHEET}" in out
    assert exercise.read_bytes() == before

    assert main(["--root", str(course), "make-exercises"]) == 0
    assert "A new paragraph." in exercise.read_text()
    assert stale_exercises(course) == []


def test_missing_and_orphaned_sheets_are_stale(course: Path):
    (course / "exercises" / SHEET).unlink()
    (course / "exercises" / "99_orphan.ipynb").write_text("{}")
    stale = {path.name for path in stale_exercises(course)}
    assert stale == {SHEET, "99_orphan.ipynb"}


def test_generation_is_deterministic(course: Path):
    assert main(["--root", str(course), "make-exercises"]) == 0
    first = (course / "exercises" / SHEET).read_bytes()
    assert main(["--root", str(course), "make-exercises"]) == 0
    assert (course / "exercises" / SHEET).read_bytes() == first
    assert json.loads(first) == json.loads(notebook_text(nbformat.reads(first, as_version=4)))


def test_bad_solution_json_is_a_clear_error(course: Path, capsys):
    (course / "solutions" / SHEET).write_text("{ not json")
    assert main(["--root", str(course), "make-exercises"]) == 2
    error = capsys.readouterr().err
    assert "not a readable notebook" in error and "Traceback" not in error


def test_make_exercises_backs_up_a_sheet_someone_filled_in(course: Path, capsys):
    """A student who worked in exercises/ instead of workspace/ loses nothing."""
    exercise = course / "exercises" / SHEET
    notebook = nbformat.read(str(exercise), as_version=4)
    for cell in notebook.cells:
        if "def forward_difference(" in cell.source:
            cell.source = "def forward_difference(f, x, eps=1e-7):\n    return 'my work'"
    nbformat.write(notebook, str(exercise))
    my_work = exercise.read_bytes()

    assert main(["--root", str(course), "make-exercises"]) == 0
    backups = list((course / "workspace" / ".backup").glob("01_finite_differences.*.ipynb"))
    assert len(backups) == 1 and backups[0].read_bytes() == my_work
    assert "my work" not in exercise.read_text()


def commit_everything(folder: Path) -> None:
    """Make `folder` a git repository with everything in it committed."""
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "course"],
    ):
        subprocess.run(command, cwd=folder, check=True)


def test_make_exercises_replaces_a_merely_stale_sheet_without_backup(course: Path):
    commit_everything(course)
    solution = course / "solutions" / SHEET
    notebook = nbformat.read(str(solution), as_version=4)
    notebook.cells[0].source += "\n\nMore words."
    nbformat.write(notebook, str(solution))
    assert main(["--root", str(course), "make-exercises"]) == 0
    assert not (course / "workspace").exists()


def test_make_exercises_keeps_notes_added_to_an_unexecuted_sheet(course: Path):
    """Cells added to exercises/ and saved but never run are still someone's work."""
    commit_everything(course)
    sheet = course / "exercises" / SHEET
    notebook = nbformat.read(str(sheet), as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("three hours of notes"))
    nbformat.write(notebook, str(sheet))
    solution = course / "solutions" / SHEET
    notebook = nbformat.read(str(solution), as_version=4)
    notebook.cells[0].source += "\n\nMore words."
    nbformat.write(notebook, str(solution))
    assert main(["--root", str(course), "make-exercises"]) == 0
    kept = list((course / "workspace" / ".backup").glob("01_finite_differences.*.ipynb"))
    assert len(kept) == 1 and "three hours of notes" in kept[0].read_text()


def test_every_sheet_with_checks_is_proven_both_ways():
    """A new sheet's checks need a test file calling both_ways for it (see docs/instructors.md)."""
    import importlib

    from autodidact.course.checking import load_all_checks

    sheets = {check.sheet for check in load_all_checks().values()}
    proven = set()
    for path in (REPO / "tests" / "course").glob("test_*.py"):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        if hasattr(module, "TestBothWays"):
            proven.add(module.TestBothWays.sheet.stem)
    assert sheets <= proven, f"no test file calls both_ways for {sorted(sheets - proven)}"
