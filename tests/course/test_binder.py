"""binder/ (repo2docker) agrees with the package: it installs the course with JupyterLab,
and its postBuild makes the workspace."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, SHEET

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

BINDER = REPO / "binder"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _requirement_lines() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def test_requirements_install_this_package_with_the_lab_extra():
    assert ".[lab]" in _requirement_lines(), _requirement_lines()
    lab = PYPROJECT["project"]["optional-dependencies"]["lab"]
    assert any(requirement.startswith("jupyterlab") for requirement in lab), lab


def test_runtime_is_a_python_the_package_supports():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime.startswith("python-"), runtime
    version = tuple(int(part) for part in runtime.removeprefix("python-").split("."))
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert version >= tuple(int(part) for part in minimum.split(".")), (runtime, minimum)


def test_post_build_is_executable_and_makes_the_workspace(course):
    """Runs binder/postBuild in a throw-away course folder, as repo2docker runs it in the repo."""
    script = BINDER / "postBuild"
    assert script.stat().st_mode & stat.S_IXUSR, "repo2docker runs postBuild only if executable"
    assert script.read_text(encoding="utf-8").startswith("#!/bin/bash\n")
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    bin_folder = Path(sys.executable).parent
    if not (bin_folder / "autodidact").exists():
        pytest.skip(f"the autodidact console script is not installed in {bin_folder}")
    environment = {k: v for k, v in os.environ.items() if k != "AUTODIDACT_ROOT"}
    environment["PATH"] = os.pathsep.join([str(bin_folder), environment.get("PATH", "")])
    result = subprocess.run(
        ["bash", str(script)], cwd=course, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (course / "workspace" / SHEET).is_file()


def test_the_readme_installs_only_extras_the_package_has():
    """Every `pip install ...[extra]` in the README names an extra pyproject.toml defines."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Other ways to run it" in readme
    named = {
        extra.strip()
        for group in re.findall(r"\.whl\[([a-z,]+)\]|\.\[([a-z,]+)\]", readme)
        for extras in group
        for extra in extras.split(",")
        if extra
    }
    assert "lab" in named, named
    assert named <= set(PYPROJECT["project"]["optional-dependencies"]), named
