"""The numbers lecture 09 prints say what the lecture claims.

nbval re-runs the lecture and compares its printed text with the stored one
(except the memory cell, whose kilobytes vary a little between runs); these
tests read the stored text and hold it to the claims: the implicit gradient
agrees with the analytic one to 1e-10, the unrolled gradient's error falls
with the iterations and stays above the implicit one's at the same number of
steps, and the implicit gradient's memory does not grow with the iterations
while the unrolled one's does. tests/library/test_fixed_point.py checks the
same facts on a fresh computation.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from .conftest import REPO

LECTURE = REPO / "notebooks" / "09_implicit_differentiation.ipynb"


@pytest.fixture(scope="module")
def printed() -> str:
    """Everything the lecture's code cells printed, in order."""
    notebook = nbformat.read(str(LECTURE), as_version=4)
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "stream"
    )


def test_the_implicit_gradient_agrees_with_the_analytic_ones_to_1e_10(printed):
    assert (
        "largest relative difference, implicit gradient against the analytic one, "
        "below 1e-10: True" in printed
    )
    assert (
        "largest difference, implicit gradient (tol = 1e-14) against the exact one, "
        "below 1e-10: True" in printed
    )
    assert "residual of Newton's x*: True" in printed


def _table(printed: str, header: str, columns: int) -> np.ndarray:
    """The rows of numbers that follow `header` in the printed text."""
    rows = []
    for line in printed.split(header, 1)[1].strip("\n").splitlines():
        fields = line.split()
        if len(fields) != columns:
            break
        rows.append([float(field) for field in fields])
    return np.array(rows)


def test_the_unrolled_error_falls_with_the_iterations_and_lags_the_implicit_one(printed):
    unrolled = _table(printed, "k  unrolled error", 2)
    implicit = _table(printed, "tol  steps  implicit error", 3)
    assert len(unrolled) >= 8 and len(implicit) >= 8
    assert np.all(np.diff(unrolled[:, 1]) < 0), unrolled
    assert np.all(np.diff(implicit[:, 2]) < 0), implicit
    assert implicit[-1, 2] <= 1.5e-10
    # At the same number of steps (interpolated between the unrolled rows), the unrolled
    # gradient is the less accurate one.
    for _, steps, error in implicit:
        if unrolled[0, 0] <= steps <= unrolled[-1, 0]:
            at_same_steps = np.exp(np.interp(steps, unrolled[:, 0], np.log(unrolled[:, 1])))
            assert at_same_steps > error, (steps, at_same_steps, error)


def test_the_implicit_memory_is_flat_and_the_unrolled_one_grows(printed):
    unrolled = re.search(r"unrolled: +(\d+) kB at (\d+) steps, +(\d+) kB at (\d+)", printed)
    implicit = re.search(r"implicit: +(\d+) to +(\d+) kB for (\d+) to (\d+) steps", printed)
    assert unrolled and implicit, printed
    low, first_steps, high, last_steps = map(int, unrolled.groups())
    smallest, largest, fewest, most = map(int, implicit.groups())
    assert last_steps >= 20 * first_steps and high > 10 * low
    assert most > 50 * fewest and largest <= 1.5 * smallest
    assert largest < low  # even ten unrolled steps take more than any implicit gradient
