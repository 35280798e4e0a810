"""House rules for the stored notebooks, which nbval relies on.

nbval (run by a bare `pytest`) compares each cell's stored output with a
fresh run. That comparison only means something if the stored outputs come
from a fresh top-to-bottom run, if variable output is marked with a cell tag
(nbclient ignores `# NBVAL_...` comments), and if every exercise has a check.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from .conftest import REPO

LECTURES_AND_SOLUTIONS = sorted(
    [*(REPO / "notebooks").glob("*.ipynb"), *(REPO / "solutions").glob("*.ipynb")]
)
ALL_NOTEBOOKS = sorted([*LECTURES_AND_SOLUTIONS, *(REPO / "exercises").glob("*.ipynb")])
TIMING = re.compile(r"(perf_counter|process_time|monotonic)\(|\btime\.time\(|%timeit|\btimeit\.")


def code_cells(path: Path) -> list:
    notebook = nbformat.read(str(path), as_version=4)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def ids(paths: list[Path]) -> list[str]:
    return [f"{path.parent.name}/{path.name}" for path in paths]


@pytest.mark.parametrize("path", LECTURES_AND_SOLUTIONS, ids=ids(LECTURES_AND_SOLUTIONS))
def test_stored_outputs_come_from_one_fresh_top_to_bottom_run(path):
    counts = [cell.execution_count for cell in code_cells(path) if cell.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: re-run it with `autodidact run-notebooks {path.stem.split('_')[0]}`"
    )


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids(ALL_NOTEBOOKS))
def test_variable_output_is_excluded_by_a_tag_not_a_comment(path):
    for number, cell in enumerate(code_cells(path), start=1):
        assert "# NBVAL_" not in cell.source.upper(), (
            f"{path.name} code cell {number}: use the cell tag nbval-ignore-output "
            "(nbclient does not read NBVAL comments)"
        )
        if TIMING.search(cell.source) and any(
            output.get("output_type") == "stream" for output in cell.get("outputs", [])
        ):
            assert "nbval-ignore-output" in cell.metadata.get("tags", []), (
                f"{path.name} code cell {number} prints measured times: tag it nbval-ignore-output"
            )


SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_every_exercise_cell_is_followed_by_a_check_cell(path):
    cells = code_cells(path)
    for index, cell in enumerate(cells):
        if "### BEGIN SOLUTION" in cell.source:
            following = cells[index + 1].source if index + 1 < len(cells) else ""
            assert "check(" in following, (
                f"{path.name}: the exercise cell starting {cell.source.splitlines()[0]!r} "
                "has no check cell after it"
            )
