"""The wheel carries the course: built, installed without JupyterLab, started in an empty folder.

`test_the_installed_wheel_starts_and_checks_the_course` takes about 30 s: it
builds the wheel from a copy of the repository (pip's isolated build fetches
setuptools>=77, which pyproject.toml asks for), makes a fresh virtual
environment and installs the wheel there with its dependencies from the
package index, the way an instructor would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autodidact.course.checking import exercises_of_sheet
from autodidact.course.cli import main

from .conftest import REPO, SHEET

NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", "build", "workspace", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


def _run(command: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _clean_environment() -> dict:
    """The environment without anything pointing at this checkout or its virtual environment."""
    dropped = {"PYTHONPATH", "AUTODIDACT_ROOT", "VIRTUAL_ENV", "PYTHONHOME"}
    return {key: value for key, value in os.environ.items() if key not in dropped}


def _build_wheel(tmp_path: Path, env: dict) -> Path:
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=NOT_COPIED)
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        tmp_path,
        env,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("autodidact-*.whl")
    return wheel


def _assert_carries_the_course_but_no_solutions(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        contents = {archive.read(name) for name in names if name.endswith(".ipynb")}
    for folder in ("notebooks", "exercises"):
        for path in sorted((REPO / folder).glob("*.ipynb")):
            assert f"autodidact/course_files/{folder}/{path.name}" in names, path
    assert "autodidact/course_files/course.toml" in names, names
    assert not [name for name in names if "solutions" in name], names
    for solution in (REPO / "solutions").glob("*.ipynb"):
        assert solution.read_bytes() not in contents, f"{solution.name} is in the wheel"


def test_the_installed_wheel_starts_and_checks_the_course(tmp_path):
    env = _clean_environment()
    wheel = _build_wheel(tmp_path, env)
    _assert_carries_the_course_but_no_solutions(wheel)

    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run([str(python), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env)
    assert installed.returncode == 0, installed.stderr[-3000:]
    lab = _run([str(python), "-c", "import jupyterlab"], tmp_path, env)
    assert lab.returncode != 0, "jupyterlab must not be a dependency (it is the `lab` extra)"

    empty = tmp_path / "my course"
    empty.mkdir()
    autodidact = str(venv / "bin" / "autodidact")
    started = _run([autodidact, "start"], empty, env)
    assert started.returncode == 0, started.stdout + started.stderr
    assert (empty / "workspace" / SHEET).is_file()
    assert (empty / "notebooks" / "00_start_here.ipynb").is_file()
    assert (empty / "course.toml").read_bytes() == (REPO / "course.toml").read_bytes()
    assert not (empty / "solutions").exists()

    checked = _run([autodidact, "check", "01"], empty, env)
    exercises = exercises_of_sheet(Path(SHEET).stem)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert checked.stdout.count("TODO") == len(exercises), checked.stdout
    assert f"0 of {len(exercises)} exercises pass." in checked.stdout, checked.stdout

    refused = _run([autodidact, "lab"], empty, env)
    assert refused.returncode == 2 and "autodidact[lab]" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_start_dir_lays_out_lectures_and_sheets_never_solutions(course, tmp_path, capsys):
    (course / "notebooks").mkdir()
    (course / "notebooks" / "00_start_here.ipynb").write_text("{}", encoding="utf-8")
    mine = tmp_path / "mine"
    assert main(["--root", str(course), "start", str(mine)]) == 0
    assert (mine / "notebooks" / "00_start_here.ipynb").is_file()
    assert (mine / "exercises" / SHEET).is_file() and (mine / "workspace" / SHEET).is_file()
    assert not (mine / "solutions").exists()

    lecture = mine / "notebooks" / "00_start_here.ipynb"
    lecture.write_text('{"mine": 1}', encoding="utf-8")
    assert main(["--root", str(course), "start", str(mine)]) == 0
    assert lecture.read_text(encoding="utf-8") == '{"mine": 1}', "start never overwrites"


def test_lab_without_jupyterlab_is_one_clear_line(course, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jupyterlab" else real(name)
    )
    assert main(["--root", str(course), "lab"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "autodidact[lab]"' in err, err


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
def test_a_course_folder_is_exercises_beside_lectures_or_solutions(tmp_path, folder, monkeypatch):
    from autodidact.course.layout import find_course_root

    monkeypatch.delenv("AUTODIDACT_ROOT", raising=False)
    for name in ("exercises", folder):
        (tmp_path / name).mkdir()
    (tmp_path / "workspace").mkdir()
    assert find_course_root(tmp_path / "workspace") == tmp_path.resolve()


def test_lab_starts_then_opens_jupyterlab_on_the_first_lecture(course, tmp_path, monkeypatch):
    import importlib.util
    import subprocess as subprocess_module

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: object() if name == "jupyterlab" else real(name),
    )
    calls = []
    monkeypatch.setattr(
        subprocess_module, "call", lambda command, **options: calls.append((command, options)) or 0
    )
    (course / "notebooks").mkdir()
    (course / "notebooks" / "00_start_here.ipynb").write_text("{}", encoding="utf-8")
    mine = tmp_path / "mine"
    assert main(["--root", str(course), "lab", str(mine)]) == 0
    assert (mine / "workspace" / SHEET).is_file(), "lab makes the workspace first"
    ((command, options),) = calls
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--notebook-dir={mine.resolve()}" in command
    assert command[-1] == str(mine.resolve() / "notebooks" / "00_start_here.ipynb")
    assert options["env"]["PATH"].startswith(str(Path(sys.executable).parent))
