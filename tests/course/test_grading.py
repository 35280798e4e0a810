"""Grading a class: nbgrader and `autodidact grade` give each submission what its work earns.

Two module-wide runs keep this file fast: one ``autodidact grade`` of a folder
of sheet-01 submissions (right, wrong, blank, forged, broken, endless, trying
to write outside its folder), and one nbgrader course in a temporary folder
(generate_assignment, autograde, export) on the same kinds of submissions.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autodidact.course.cli import main

from .conftest import REPO, SHEET
from .submissions import EXERCISES, FIRST, PASSING, STEM, submission

TIMEOUT = 4  # seconds per sheet; sheet 01 needs well under one


def student(kind: str) -> str:
    return f"{kind}_100{sorted([*PASSING, 'loop', 'escape', 'patched']).index(kind)}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One `autodidact grade` run over a folder of submissions: (rows by student, stdout, paths)."""
    root = tmp_path_factory.mktemp("grade")
    folder = root / "submissions"
    folder.mkdir()
    outside = root / "outside" / "written-by-a-submission.txt"
    outside.parent.mkdir()
    sheet = nbformat.read(str(REPO / "exercises" / SHEET), as_version=4)
    for kind in [*PASSING, "loop", "escape", "patched"]:
        notebook = submission(sheet, kind, outside)
        nbformat.write(notebook, str(folder / f"{student(kind)}_{SHEET}"))
    nbformat.write(submission(sheet, "correct"), str(folder / "homework_final.ipynb"))
    (folder / f"eve_99_{SHEET}").write_text("{ this is not a notebook")
    out, feedback = root / "grades.csv", root / "feedback"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(
            ["--root", str(REPO), "grade", str(folder), "--out", str(out), "--feedback",
             str(feedback), "--jobs", "2", "--timeout", str(TIMEOUT)]
        )  # fmt: skip
    assert status == 0, printed.getvalue()
    with open(out, newline="") as stream:
        rows = list(csv.DictReader(stream))
    by_student: dict[str, list[dict]] = {}
    for row in rows:
        by_student.setdefault(row["student"], []).append(row)
    return by_student, printed.getvalue(), {"outside": outside, "feedback": feedback, "csv": out}


def points(rows: list[dict]) -> dict[str, float]:
    return {row["exercise"]: float(row["points"]) for row in rows}


def earned(passing: set[str]) -> dict[str, float]:
    return {name: 1.0 if name in passing else 0.0 for name in EXERCISES}


def show(rows: list[dict]) -> str:
    return "\n".join(f"{row['exercise']}: {row['points']} -- {row['verdict']}" for row in rows)


def test_the_csv_has_one_row_per_submission_and_exercise(graded):
    by_student, _, paths = graded
    header = paths["csv"].read_text().splitlines()[0]
    assert header == "file,student,sheet,exercise,points,max_points,verdict"
    for kind in PASSING:
        rows = by_student[student(kind)]
        assert [row["exercise"] for row in rows] == EXERCISES, show(rows)
        assert {row["sheet"] for row in rows} == {STEM}
        assert all(row["max_points"] == "1" for row in rows), show(rows)


@pytest.mark.parametrize("kind", list(PASSING))
def test_each_submission_earns_exactly_what_its_work_earns(graded, kind):
    rows = graded[0][student(kind)]
    assert points(rows) == earned(PASSING[kind]), show(rows)


def test_forged_verdicts_earn_nothing_and_are_listed_for_review(graded):
    by_student, printed, _ = graded
    review = printed[printed.index("Look at these by hand") :]
    assert f"{student('forged_check')}_{SHEET}: redefines check" in review, printed
    assert f"{student('forged_display')}_{SHEET}: builds a Verdict" in review, printed
    rows = by_student[student("forged_display")]
    assert all(row["verdict"].startswith("not done yet") for row in rows), show(rows)


def test_monkeypatching_the_checks_is_caught_and_graded_zero(graded):
    by_student, printed, _ = graded
    rows = by_student[student("patched")]
    assert points(rows) == earned(set()), show(rows)
    assert all("changed the grader's own code" in row["verdict"] for row in rows), show(rows)
    assert "autodidact.course.checking.run_check" in printed, printed


def test_an_endless_loop_hits_the_time_limit_and_what_ran_before_is_graded(graded):
    rows = graded[0][student("loop")]
    assert points(rows) == earned({FIRST}), show(rows)
    for row in rows[1:]:
        assert f"used up its {TIMEOUT} s in cell [" in row["verdict"], show(rows)
        assert "while True:" in row["verdict"], show(rows)


@pytest.mark.skipif(os.geteuid() != 0, reason="only a grader started as root can switch users")
def test_a_write_outside_the_working_folder_is_refused(graded):
    by_student, _, paths = graded
    rows = by_student[student("escape")]
    assert not paths["outside"].exists(), "a submission wrote outside its working folder"
    assert points(rows) == earned(set(EXERCISES)), show(rows)
    feedback = (paths["feedback"] / f"{student('escape')}.txt").read_text()
    assert "PermissionError" in feedback, feedback


def test_a_renamed_file_is_known_by_its_metadata(graded):
    rows = graded[0]["homework_final.ipynb"]
    assert {row["sheet"] for row in rows} == {STEM}, show(rows)
    assert points(rows) == earned(set(EXERCISES)), show(rows)


def test_a_file_that_is_not_a_notebook_gets_zero_and_says_why(graded):
    rows = graded[0]["eve_99"]
    assert points(rows) == earned(set()), show(rows)
    assert all("not a readable notebook" in row["verdict"] for row in rows), show(rows)


def test_each_student_gets_a_feedback_file_with_the_verdicts(graded):
    by_student, _, paths = graded
    text = (paths["feedback"] / f"{student('wrong')}.txt").read_text()
    total = len(PASSING["wrong"])
    assert f"{STEM} ({student('wrong')}_{SHEET}): {total} of {len(EXERCISES)} points" in text
    assert re.search(r"central_difference +0/1 +FAIL on .*is what a one-sided", text), text
    assert len(list(paths["feedback"].glob("*.txt"))) == len(by_student)


@pytest.mark.parametrize(
    "arguments",
    [
        ["no-such-folder"],
        [SHEET, "--jobs", "0"],
        [SHEET, "--timeout", "-1"],
        [SHEET, "--memory", "10"],
        [SHEET, "--out", "no-such-folder/grades.csv"],
        [SHEET, "--jobs", "two"],
    ],
)
def test_a_bad_grade_command_is_one_line_and_exit_2(arguments, capsys, monkeypatch):
    monkeypatch.chdir(REPO / "exercises")
    assert main(["--root", str(REPO), "grade", *arguments]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autodidact: "), captured.err
    assert "graded" not in captured.out, captured.out


# --- nbgrader ------------------------------------------------------------------------------


def nbgrader(course: Path, *args: str) -> None:
    """Run an nbgrader command in `course` with this checkout's autodidact; fail with its log."""
    environment = dict(os.environ)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), *filter(None, [environment.get("PYTHONPATH")])]
    )
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=course, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory):
    """An nbgrader course with sheet 01, its release version, and the autograded submissions."""
    course = tmp_path_factory.mktemp("nbgrader")
    (course / "source" / STEM).mkdir(parents=True)
    shutil.copy(REPO / "solutions" / SHEET, course / "source" / STEM / SHEET)
    shutil.copy(REPO / "docs" / "nbgrader_config.py", course / "nbgrader_config.py")
    nbgrader(course, "generate_assignment", STEM, "--force")
    release = nbformat.read(str(course / "release" / STEM / SHEET), as_version=4)
    for kind in PASSING:
        folder = course / "submitted" / kind / STEM
        folder.mkdir(parents=True)
        nbformat.write(submission(release, kind), str(folder / SHEET))
    nbgrader(course, "autograde", STEM, "--force")
    nbgrader(course, "export")
    return course, release


def test_generate_assignment_makes_the_student_sheet_of_exercises(nbgrader_course):
    _, release = nbgrader_course
    ours = nbformat.read(str(REPO / "exercises" / SHEET), as_version=4)
    assert [cell.cell_type for cell in release.cells] == [cell.cell_type for cell in ours.cells]
    for number, (theirs, mine) in enumerate(zip(release.cells, ours.cells), start=1):
        assert theirs.source == mine.source, (
            f"cell {number} differs:\n{theirs.source}\n---\n{mine.source}"
        )
    assert release.metadata["autodidact"] == ours.metadata["autodidact"]


def test_nbgrader_exports_exactly_what_each_submission_earns(nbgrader_course):
    course, _ = nbgrader_course
    with open(course / "grades.csv", newline="") as stream:
        totals = {row["student_id"]: row for row in csv.DictReader(stream)}
    for kind, passing in PASSING.items():
        row = totals[kind]
        assert float(row["score"]) == len(passing), f"{kind}: {row}"
        assert float(row["max_score"]) == len(EXERCISES), f"{kind}: {row}"


def test_autodidact_grade_gives_the_same_points_per_exercise_as_nbgrader(nbgrader_course, graded):
    from nbgrader.api import Gradebook

    course, _ = nbgrader_course
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for kind in PASSING:
            notebook = gradebook.find_submission_notebook(STEM, STEM, kind)
            theirs = {grade.name.removeprefix("check-"): grade.score for grade in notebook.grades}
            ours = points(graded[0][student(kind)])
            assert theirs == ours, f"{kind}: nbgrader {theirs}, autodidact grade {ours}"


def test_a_run_killed_from_outside_is_graded_again_alone(tmp_path):
    """Parallel runs share one user, so one can kill another: such a run gets a second go."""
    from autodidact.course.gradebook import grade_files
    from autodidact.course.identify import course_layouts
    from autodidact.course.sandbox import Limits, unprivileged_user

    sheet = nbformat.read(str(REPO / "exercises" / SHEET), as_version=4)
    killed = submission(sheet, "correct")
    killed.cells.insert(
        2, nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    )
    nbformat.write(killed, str(tmp_path / SHEET))
    graded_files = []
    reports = grade_files(
        [tmp_path / SHEET],
        course_layouts(REPO),
        Limits(seconds=TIMEOUT),
        2,
        unprivileged_user(),
        progress=lambda index, report: graded_files.append(report.result.ended),
    )
    assert graded_files == ["died", "died"], graded_files
    verdicts = [verdict.hint for verdict in reports[0].verdicts]
    assert all("process ended in cell [2]" in hint and "SIGKILL" in hint for hint in verdicts), (
        verdicts
    )
