"""The student's command line: start, check, reset, on a throw-away course folder.

Each `check` here runs a real kernel, so these tests take a few seconds each.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from autodidact.course.checking import exercises_of_sheet
from autodidact.course.cli import main
from autodidact.course.layout import resolve_sheet
from autodidact.course.workspace import backup

from .conftest import REPO, SHEET, set_exercise, solution_source

EXERCISES = exercises_of_sheet(Path(SHEET).stem)  # the check registry says what sheet 01 holds


def run(course: Path, *args: str) -> int:
    return main(["--root", str(course), *args])


@pytest.fixture
def workspace(course: Path) -> Path:
    assert run(course, "start") == 0
    return course / "workspace"


def test_fresh_workspace_reports_every_exercise_as_todo(course, workspace, capsys):
    capsys.readouterr()
    assert run(course, "check", "01") == 1
    out = capsys.readouterr().out
    for name in EXERCISES:
        assert f"01_finite_differences  {name}" in out, out
    assert out.count("TODO") == len(EXERCISES) and "not done yet" in out, out
    assert f"0 of {len(EXERCISES)} exercises pass." in out, out


def test_partial_work_passes_what_is_done(course, workspace, capsys):
    sheet = workspace / SHEET
    set_exercise(sheet, "central_difference", solution_source("central_difference"))
    before = sheet.read_bytes()
    capsys.readouterr()
    assert run(course, "check", SHEET) == 1
    out = capsys.readouterr().out
    assert "central_difference  PASS" in out, out
    assert out.count("TODO") == len(EXERCISES) - 1, out
    assert sheet.read_bytes() == before, "check must never write to the student's sheet"


def test_all_done_exits_zero(course, workspace, capsys):
    sheet = workspace / SHEET
    for name in EXERCISES:
        set_exercise(sheet, name, solution_source(name))
    capsys.readouterr()
    assert run(course, "check") == 0
    out = capsys.readouterr().out
    assert f"{len(EXERCISES)} of {len(EXERCISES)} exercises pass." in out, out


def test_wrong_work_fails_with_a_hint(course, workspace, capsys):
    one_sided = solution_source("central_difference").replace(
        "(f(x + step) - f(x - step)) / (2 * eps)", "(f(x + step) - f(x)) / eps"
    )
    assert one_sided != solution_source("central_difference")
    set_exercise(workspace / SHEET, "central_difference", one_sided)
    capsys.readouterr()
    assert run(course, "check", "01") == 1
    out = capsys.readouterr().out
    # The row names the input tried and expected against got; the hint waits for --full.
    assert "central_difference  FAIL    on f(x) = sum(sin(x))" in out, out
    assert "expected to within 1e-8" in out and "Traceback" not in out, out
    assert "--full" in out, out
    assert run(course, "check", "01", "--full") == 1
    out = capsys.readouterr().out
    assert "of order eps, is what a one-sided" in out, out
    assert "(off by " in out and "For whole verdicts" not in out, out


def test_a_crash_in_the_student_function_is_shown_not_hidden_behind_a_hint(
    course, workspace, capsys
):
    set_exercise(
        workspace / SHEET,
        "gradient_check",
        "def gradient_check(f, grad_f, x, eps=1e-6, seed=0):\n    return 1 / 0",
    )
    capsys.readouterr()
    assert run(course, "check", "01") == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "gradient_check  " in line)
    assert "FAIL    on " in row and "your code raised ZeroDivisionError: division by zero" in row


def test_syntax_error_is_reported_and_other_sheets_still_checked(course, workspace, capsys):
    set_exercise(
        workspace / SHEET, "forward_difference", "def forward_difference(f, x, eps=1e-7)\n    pass"
    )
    shutil.copy(REPO / "solutions" / SHEET, workspace / "09_all_done.ipynb")
    capsys.readouterr()
    assert run(course, "check") == 1
    out = capsys.readouterr().out
    # One problem row names the cell as JupyterLab numbers it ([2]: the second code cell),
    # the line and the error; the exercise says why it was not checked; no NameErrors follow.
    problem = "cell [2], line 1 (def forward_difference(f, x, eps=1e-7)): SyntaxError"
    assert out.count(problem) == 1, out
    assert (
        "forward_difference  FAIL    not checked: `forward_difference` is not defined; "
        "cell [2] stopped at line 1 with SyntaxError" in out
    ), out
    assert "NameError" not in out, out
    assert (
        out.count("09_all_done") >= 3 and "09_all_done            gradient_check      PASS" in out
    )
    assert "Traceback" not in out


def test_error_outside_the_exercises_is_reported_with_its_cell(course, workspace, capsys):
    sheet = workspace / SHEET
    notebook = nbformat.read(str(sheet), as_version=4)
    notebook.cells.insert(2, nbformat.v4.new_code_cell("scratch = undefined_helper(3)"))
    nbformat.write(notebook, str(sheet))
    capsys.readouterr()
    assert run(course, "check", "01") == 1
    out = capsys.readouterr().out
    assert "cell [2], line 1 (scratch = undefined_helper(3)): NameError" in out, out
    assert out.count("TODO") == len(EXERCISES), out  # the rest of the sheet still ran


def test_infinite_loop_times_out_instead_of_hanging(course, workspace, capsys):
    set_exercise(workspace / SHEET, "central_difference", "while True:\n    pass")
    capsys.readouterr()
    started = time.monotonic()
    assert run(course, "check", "01", "--timeout", "4") == 1
    assert time.monotonic() - started < 40
    out = capsys.readouterr().out
    assert "timed out" in out and "while True:" in out, out
    assert "forward_difference  TODO" in out, out  # checked before the loop
    assert "gradient_check      FAIL    not checked: the sheet used up its 4 s" in out, out


def test_unreadable_sheet_is_reported_and_others_checked(course, workspace, capsys):
    (workspace / "02_broken.ipynb").write_text("{ this is not json")
    capsys.readouterr()
    assert run(course, "check") == 1
    out = capsys.readouterr().out
    assert "not a readable notebook" in out, out
    assert out.count("TODO") == len(EXERCISES), out


def test_reset_keeps_a_backup_of_the_old_sheet(course, workspace, capsys):
    sheet = workspace / SHEET
    set_exercise(
        sheet,
        "forward_difference",
        "def forward_difference(f, x, eps=1e-7):\n    return 42  # mine",
    )
    my_work = sheet.read_bytes()
    assert run(course, "reset", "01") == 0
    backups = list((workspace / ".backup").glob("01_finite_differences.*.ipynb"))
    assert len(backups) == 1 and backups[0].read_bytes() == my_work
    assert sheet.read_bytes() == (course / "exercises" / SHEET).read_bytes()
    # A second reset in the same second keeps both backups.
    set_exercise(
        sheet, "forward_difference", "def forward_difference(f, x, eps=1e-7):\n    return 43"
    )
    assert run(course, "reset", "01") == 0
    assert run(course, "reset", "01") == 0
    assert len(list((workspace / ".backup").glob("*.ipynb"))) == 3
    assert "backed up your old sheet" in capsys.readouterr().out


def test_backup_names_carry_the_time_and_never_collide(tmp_path):
    sheet = tmp_path / "01_x.ipynb"
    sheet.write_text("{}")
    moment = datetime(2026, 11, 22, 9, 30, 5)
    first = backup(sheet, tmp_path, moment)
    second = backup(sheet, tmp_path, moment)
    assert first.name == "01_x.20261122-093005.ipynb"
    assert second.name == "01_x.20261122-093005-1.ipynb"


def test_reset_of_a_missing_workspace_sheet_just_copies(course, capsys):
    assert run(course, "reset", SHEET) == 0
    assert (course / "workspace" / SHEET).exists()
    assert not (course / "workspace" / ".backup").exists() or not any(
        (course / "workspace" / ".backup").iterdir()
    )


def test_start_never_overwrites(course, workspace, capsys):
    sheet = workspace / SHEET
    set_exercise(
        sheet,
        "gradient_check",
        "def gradient_check(f, grad_f, x, eps=1e-6, seed=0):\n    return 0.0",
    )
    my_work = sheet.read_bytes()
    assert run(course, "start") == 0
    assert sheet.read_bytes() == my_work
    assert "kept your 1 existing sheet" in capsys.readouterr().out


def test_start_adds_new_sheets_only(course, workspace):
    shutil.copy(course / "exercises" / SHEET, course / "exercises" / "02_new.ipynb")
    assert run(course, "start") == 0
    assert (workspace / "02_new.ipynb").exists()


def test_start_gives_an_existing_workspace_a_new_sheet_and_leaves_the_others(
    course, workspace, capsys
):
    """A course that gains sheet 08 after the student started: start adds it, touches nothing."""
    sheet = workspace / SHEET
    set_exercise(
        sheet, "forward_difference", "def forward_difference(f, x, eps=1e-7):\n    return 'mine'"
    )
    my_work, my_time = sheet.read_bytes(), sheet.stat().st_mtime_ns
    new = "08_build_the_engine.ipynb"
    shutil.copy(REPO / "exercises" / new, course / "exercises" / new)
    capsys.readouterr()
    assert run(course, "start") == 0
    out = capsys.readouterr().out
    assert (workspace / new).read_bytes() == (REPO / "exercises" / new).read_bytes()
    assert sheet.read_bytes() == my_work and sheet.stat().st_mtime_ns == my_time
    assert f"new sheet: {workspace / new}" in out or f"new sheet: workspace/{new}" in out
    assert "kept your 1 existing sheet" in out
    assert sorted(p.name for p in workspace.glob("*.ipynb")) == [SHEET, new]


def _fake_bin(tmp_path: Path) -> Path:
    """A bin folder with the real `autodidact` and a `jupyter` that only records its call."""
    folder = tmp_path / "fakebin"
    folder.mkdir()
    real = Path(sys.executable).parent / "autodidact"
    if not real.exists():
        pytest.skip(f"the autodidact console script is not installed at {real}")
    (folder / "autodidact").symlink_to(real)
    jupyter = folder / "jupyter"
    jupyter.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/jupyter-called\n')
    jupyter.chmod(jupyter.stat().st_mode | stat.S_IEXEC)
    return folder


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_creates_the_workspace_and_never_overwrites(course, tmp_path):
    """Runs the Makefile's real `lab` recipe, with JupyterLab replaced by a stub."""
    fake = _fake_bin(tmp_path)
    command = ["make", "-s", "-f", str(REPO / "Makefile"), "lab", f"BIN={fake}", "LAB_STAMP="]
    environment = {**os.environ, "AUTODIDACT_ROOT": str(course)}
    first = subprocess.run(command, cwd=course, env=environment, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    sheet = course / "workspace" / SHEET
    assert sheet.exists()
    assert "notebooks/00_start_here.ipynb" in (tmp_path / "jupyter-called").read_text()

    set_exercise(
        sheet, "forward_difference", "def forward_difference(f, x, eps=1e-7):\n    return 'mine'"
    )
    my_work = sheet.read_bytes()
    second = subprocess.run(command, cwd=course, env=environment, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert sheet.read_bytes() == my_work


def test_missing_workspace_is_a_clear_error(course, capsys):
    assert run(course, "check") == 2
    err = capsys.readouterr().err
    assert "run `autodidact start`" in err and "Traceback" not in err


def test_unknown_sheet_is_a_clear_error(course, workspace, capsys):
    assert run(course, "check", "42") == 2
    assert run(course, "reset", "42") == 2
    err = capsys.readouterr().err
    assert "no sheet called '42'" in err and "01_finite_differences" in err
    assert "Traceback" not in err


def test_console_script_errors_without_traceback(tmp_path):
    script = Path(sys.executable).parent / "autodidact"
    if not script.exists():
        pytest.skip(f"the autodidact console script is not installed at {script}")
    environment = {k: v for k, v in os.environ.items() if k != "AUTODIDACT_ROOT"}
    result = subprocess.run(
        [str(script), "--root", str(tmp_path), "reset", "01"],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("autodidact: ") and "Traceback" not in result.stderr


def test_bad_arguments_exit_nonzero_in_one_line(capsys):
    assert main(["check", "--timeout", "soon"]) == 2
    assert main([]) == 2
    for line in capsys.readouterr().err.strip().splitlines():
        assert line.startswith("autodidact: "), line


def test_a_sheet_number_may_drop_its_leading_zero(tmp_path):
    for name in ("01_a.ipynb", "05_b.ipynb", "12_c.ipynb"):
        (tmp_path / name).write_text("{}")
    assert resolve_sheet("5", tmp_path).name == "05_b.ipynb"
    assert resolve_sheet("05", tmp_path).name == "05_b.ipynb"
    assert resolve_sheet("1", tmp_path).name == "01_a.ipynb"
    assert resolve_sheet("12", tmp_path).name == "12_c.ipynb"
