"""Lecture 10's prose about its timings holds for the run stored in the notebook.

The timing cells are excluded from nbval's comparison (their numbers change from run to
run), so nothing else ties the sentences of the lecture to the table and the ratios it
prints. These tests read the stored outputs and hold them to what the prose says: the
batched jacfwd nearly flat in m and below the looped one at every m (several times below at
m = 1000), the looped jacrev growing with m, and vmap(grad) far faster than a loop and a
small factor slower than one batched gradient. A re-run that breaks a claim fails here: then
the prose must change with the numbers.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from .conftest import REPO

LECTURE = REPO / "notebooks" / "10_vectorization.ipynb"
ROW = re.compile(
    r"^(A x|tanh\(A x\))\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$"
)


def stored_text() -> str:
    notebook = nbformat.read(str(LECTURE), as_version=4)
    return "\n".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def timing_table() -> dict[str, dict[int, dict[str, float]]]:
    """{function: {m: {"fwd looped": ms, "fwd batched": ms, "rev looped": ms, ...}}}."""
    table: dict[str, dict[int, dict[str, float]]] = {}
    for line in stored_text().splitlines():
        match = ROW.match(line.strip())
        if match:
            function, m, fwd_loop, fwd, _, rev_loop, rev, _ = match.groups()
            table.setdefault(function, {})[int(m)] = {
                "fwd looped": float(fwd_loop),
                "fwd batched": float(fwd),
                "rev looped": float(rev_loop),
                "rev batched": float(rev),
            }
    return table


TABLE = timing_table()


def test_the_stored_table_has_both_functions_and_every_m():
    assert set(TABLE) == {"A x", "tanh(A x)"}
    for rows in TABLE.values():
        assert sorted(rows) == [10, 20, 50, 100, 200, 500, 1000]


@pytest.mark.parametrize("function", ["A x", "tanh(A x)"])
def test_batched_is_below_looped_at_every_m_and_several_times_at_m_1000(function):
    for m, row in TABLE[function].items():
        assert row["fwd batched"] < row["fwd looped"], (function, m)
        assert row["rev batched"] < row["rev looped"], (function, m)
    at_1000 = TABLE[function][1000]
    assert at_1000["fwd looped"] / at_1000["fwd batched"] >= 3  # "several times faster"


@pytest.mark.parametrize("function", ["A x", "tanh(A x)"])
def test_batched_jacfwd_is_nearly_flat_while_looped_jacrev_grows_with_m(function):
    rows = TABLE[function]
    assert rows[100]["fwd batched"] / rows[10]["fwd batched"] < 2.5  # "less than a factor 2.5"
    assert rows[1000]["fwd batched"] / rows[10]["fwd batched"] < 15  # "less than 15 times"
    assert rows[1000]["rev looped"] / rows[10]["rev looped"] > 100  # "more than a hundredfold"
    assert rows[100]["fwd looped"] / rows[10]["fwd looped"] < 2  # looped jacfwd flat to m = n


def test_vmap_grad_is_far_faster_than_a_loop_and_a_small_factor_slower_than_one_gradient():
    match = re.search(
        r"vmap\(grad\) was (\d+) times faster than the loop, and took ([\d.]+) times as long",
        stored_text(),
    )
    assert match, "the per-example timing line is missing from the stored lecture"
    faster_than_loop, slower_than_mean = int(match.group(1)), float(match.group(2))
    assert faster_than_loop >= 10  # "more than ten times faster than the loop"
    assert 1 < slower_than_mean < 5  # "slower ... by a small factor"
