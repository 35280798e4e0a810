"""Shared helpers: a throw-away course folder and the functions defined by a sheet."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
SHEET = "01_finite_differences.ipynb"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course folder in a temporary directory with sheet 01's solution and student sheet."""
    root = tmp_path / "course"
    for folder in ("solutions", "exercises"):
        (root / folder).mkdir(parents=True)
        shutil.copy(REPO / folder / SHEET, root / folder / SHEET)
    return root


def sheet_functions(path: Path) -> dict:
    """Execute a sheet's code cells, except its check cells, and return the namespace."""
    notebook = nbformat.read(str(path), as_version=4)
    namespace: dict = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and not cell.source.lstrip().startswith("check("):
            exec(compile(cell.source, f"{path.name}", "exec"), namespace)
    return namespace


def set_exercise(sheet: Path, function_name: str, source: str) -> None:
    """Replace the source of the cell defining `function_name` in the sheet at `sheet`."""
    notebook = nbformat.read(str(sheet), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and f"def {function_name}(" in cell.source:
            cell.source = source
            break
    else:
        raise AssertionError(f"no cell defines {function_name} in {sheet}")
    nbformat.write(notebook, str(sheet))


def solution_source(function_name: str) -> str:
    """The source of the solution cell defining `function_name`."""
    notebook = nbformat.read(str(REPO / "solutions" / SHEET), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and f"def {function_name}(" in cell.source:
            return cell.source
    raise AssertionError(function_name)
