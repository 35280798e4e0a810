"""What to run for a student's notebook: their cells, with the course's checks put in place.

The instructor's sheet says which check cells there are (`SheetLayout`). In
the student's notebook:

* a cell that is one of those check cells, by its nbgrader grade id or, in a
  sheet without metadata, by being nothing but the same ``check(...)`` calls,
  is *not* run: a `check` step of the course's own checks takes its place;
* every other code cell runs as the student left it, their own calls of
  ``check`` included (what those display is never read);
* a check cell the student deleted is put back: after the answer cell it
  belongs to (by grade id), else after the last cell that defines one of its
  functions, else at the end.

Cells are numbered as JupyterLab numbers them when the notebook runs top to
bottom from a fresh kernel: the n-th code cell shows ``[n]``, check cells
included, Markdown cells not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat

from autodidact.course.nbgrader_metadata import CheckPoint, SheetLayout, check_calls, grade_id_of


@dataclass(frozen=True)
class CellInfo:
    """A code cell of the student's notebook: its number ``[n]``, first line and source."""

    number: int
    first_line: str
    source: str


@dataclass(frozen=True)
class Plan:
    """The runner's steps, and for each step the cell it stands for (None: a re-inserted check)."""

    steps: list[dict]
    cells: list[CellInfo | None]

    def cell_of_step(self, index: int | None) -> CellInfo | None:
        if index is None or not 0 <= index < len(self.cells):
            return None
        return self.cells[index]


def first_line(source: str, width: int = 50) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 3] + "..."
    return "empty"


def defines(source: str, name: str) -> bool:
    """Whether a cell's source seems to define `name` (def, class or assignment at the top)."""
    pattern = rf"^(def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*(:[^=]*)?=[^=]"
    return re.search(pattern, source, re.MULTILINE) is not None


def _matching_point(cell, layout: SheetLayout, placed: set[str]) -> CheckPoint | None:
    point = layout.check_point(grade_id_of(cell) or "")
    if point is not None:
        return point
    calls = check_calls(cell.source)
    if calls is None:
        return None
    exercises = {call.exercise for call in calls}
    for point in layout.checks:
        if point.grade_id not in placed and set(point.exercises) == exercises:
            return point
    return None


def _check_step(point: CheckPoint, number: int | None) -> dict:
    calls = [[call.exercise, call.argument] for call in point.calls]
    return {"kind": "check", "cell": number, "calls": calls}


def plan_notebook(notebook: nbformat.NotebookNode, layout: SheetLayout) -> Plan:
    """The steps that run `notebook` with the instructor's checks of `layout` in place."""
    steps: list[dict] = []
    cells: list[CellInfo | None] = []
    placed: dict[str, int] = {}  # check grade id -> index of its step
    answers: dict[str, int] = {}  # answer grade id -> index of its step
    number = 0
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        info = CellInfo(number, first_line(source), source)
        point = _matching_point(cell, layout, set(placed))
        if point is not None:
            if point.grade_id not in placed:
                placed[point.grade_id] = len(steps)
                steps.append(_check_step(point, number))
                cells.append(info)
            continue
        if (grade_id_of(cell) or "") in layout.answers:
            answers[grade_id_of(cell)] = len(steps)
        steps.append({"kind": "run", "cell": number, "source": source})
        cells.append(info)

    for point in layout.checks:
        if point.grade_id in placed:
            continue
        after = [
            index for answer, index in answers.items() if layout.answers[answer] == point.grade_id
        ]
        if not after:
            after = [
                index
                for index, step in enumerate(steps)
                if step["kind"] == "run"
                and any(defines(step["source"], call.argument) for call in point.calls)
            ]
        position = max(after) + 1 if after else len(steps)
        steps.insert(position, _check_step(point, None))
        cells.insert(position, None)
        for key, index in list(placed.items()) + list(answers.items()):
            if index >= position:
                (placed if key in placed else answers)[key] = index + 1
        placed[point.grade_id] = position
    return Plan(steps, cells)
