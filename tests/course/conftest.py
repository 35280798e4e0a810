"""Shared helpers: a throw-away course folder and the functions defined by a sheet."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autodidact.course.sheets import BEGIN, END

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


# A solution line shorter than this (once spaces are removed) is too generic to count as an
# answer line: `return x`, `else:`, `total = 0`.
SHORTEST_ANSWER_LINE = 16


def squeeze(text: str) -> str:
    """`text` without any white space, so that layout does not hide a copied line."""
    return "".join(text.split())


def solution_regions(path: Path) -> list[list[str]]:
    """The answer lines of each BEGIN/END SOLUTION region of the sheet at `path`, squeezed.

    Comments and lines too short to identify an answer are left out.
    """
    notebook = nbformat.read(str(path), as_version=4)
    regions: list[list[str]] = []
    for cell in notebook.cells:
        inside = False
        for line in cell.source.splitlines():
            marker = line.strip()
            if marker in (BEGIN, END):
                inside = marker == BEGIN
                if inside:
                    regions.append([])
                continue
            squeezed = squeeze(line)
            if inside and len(squeezed) >= SHORTEST_ANSWER_LINE and not marker.startswith("#"):
                regions[-1].append(squeezed)
    return [region for region in regions if region]
