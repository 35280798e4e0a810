"""nbgrader metadata for the solution sheets, derived from each sheet and the check registry.

A solution sheet is an nbgrader *source notebook*. `stamp` writes, from what
the sheet already says, everything nbgrader (and ``autodidact grade``) needs:

* **notebook metadata** ``autodidact``: the sheet's identity (its file stem,
  so that a renamed student file is still recognised), its exercises in the
  order of their checks, and the points of each exercise (those course.toml
  gives; in a course without one, one unless the sheet already says
  otherwise: edit the number there, then stamp again);
* **answer cells**, those holding ``### BEGIN SOLUTION``, become nbgrader
  solution cells, with grade id ``answer-<exercises of the next check cell>``;
* **check cells**, those made only of ``check("name", function)`` calls,
  become locked, autograded test cells worth the points of their exercises,
  with grade id ``check-<exercise>-<exercise>...``. Each gets a hidden-test
  block: nbgrader strips it from the student version and puts it back when it
  autogrades, and it computes the points with the course's own checks rather
  than the ``check`` name that a student can redefine::

      check("forward_difference", forward_difference)
      ### BEGIN HIDDEN TESTS
      ...
      points_earned(("forward_difference", forward_difference, 1))
      ### END HIDDEN TESTS

Stamping is idempotent: a stamped sheet stamps to itself, which is how
``autodidact make-exercises --check`` tells a stale sheet. `layout_of` reads
the same facts back as a `SheetLayout`, the plan ``autodidact grade`` follows.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

import nbformat

from autodidact.course.layout import CourseError

BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
SOLUTION_MARK = "### BEGIN SOLUTION"
METADATA_KEY = "autodidact"
CHECK_PREFIX = "check-"
ANSWER_PREFIX = "answer-"
NBGRADER_SCHEMA = 3


@dataclass(frozen=True)
class CheckCall:
    """One ``check("exercise", argument)`` call: the exercise and the name it passes."""

    exercise: str
    argument: str


@dataclass(frozen=True)
class CheckPoint:
    """A check cell of the instructor's sheet: its grade id, its calls and their points."""

    grade_id: str
    calls: tuple[CheckCall, ...]
    points: tuple[float, ...]

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(call.exercise for call in self.calls)


@dataclass(frozen=True)
class SheetLayout:
    """What grading needs to know about one sheet, read from its stamped solution.

    ``answers`` maps the grade id of each answer cell to the grade id of the
    check cell after it; ``lines`` holds every line of the sheet's own code
    cells, stripped (what a student's copy contains without having written it).
    """

    sheet: str
    checks: tuple[CheckPoint, ...]
    answers: dict[str, str] = field(default_factory=dict)
    lines: frozenset[str] = frozenset()

    @property
    def exercises(self) -> list[str]:
        return [name for point in self.checks for name in point.exercises]

    @property
    def points(self) -> dict[str, float]:
        return {
            call.exercise: points
            for point in self.checks
            for call, points in zip(point.calls, point.points)
        }

    def check_point(self, grade_id: str) -> CheckPoint | None:
        return next((point for point in self.checks if point.grade_id == grade_id), None)


def strip_hidden_tests(source: str) -> str:
    """`source` without its BEGIN/END HIDDEN TESTS region (markers included)."""
    kept, inside = [], False
    for line in source.split("\n"):
        marker = line.strip()
        if marker == BEGIN_HIDDEN:
            inside = True
        elif marker == END_HIDDEN:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept).rstrip("\n")


def check_calls(source: str) -> list[CheckCall] | None:
    """The calls of a check cell, or None when `source` is not a check cell.

    A check cell holds nothing but calls ``check("exercise", name)`` (keyword
    arguments such as ``hint=True`` allowed) once its hidden tests are removed.
    """
    try:
        tree = ast.parse(strip_hidden_tests(source))
    except SyntaxError:
        return None
    calls = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "check"
            and len(call.args) == 2
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
            and isinstance(call.args[1], ast.Name)
        ):
            return None
        calls.append(CheckCall(call.args[0].value, call.args[1].id))
    return calls or None


def grade_id_of(cell: dict) -> str | None:
    """The nbgrader grade id of a cell, if it has one."""
    nbgrader = cell.get("metadata", {}).get("nbgrader", {})
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def _hidden_block(calls: list[CheckCall], points: dict[str, float]) -> str:
    entries = [
        f'("{call.exercise}", {call.argument}, {_number(points[call.exercise])})' for call in calls
    ]
    if len(entries) == 1:
        call = f"points_earned({entries[0]})"
    else:
        call = "points_earned(\n" + "".join(f"    {entry},\n" for entry in entries) + ")"
    return "\n".join(
        [
            BEGIN_HIDDEN,
            "# nbgrader's points for this cell, from the course's own checks (the student's",
            "# `check` above may have been redefined). Written by `autodidact make-exercises`.",
            "from autodidact.course.points import points_earned",
            "",
            call,
            END_HIDDEN,
        ]
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points=None) -> dict:
    metadata = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": NBGRADER_SCHEMA,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        metadata["points"] = _number(points)
    return metadata


def _is_ours(cell: dict) -> bool:
    grade_id = grade_id_of(cell) or ""
    return grade_id.startswith((CHECK_PREFIX, ANSWER_PREFIX))


def stamp(
    notebook: nbformat.NotebookNode,
    sheet: str,
    registered: list[str],
    points: dict[str, float] | None = None,
) -> nbformat.NotebookNode:
    """A copy of the solution `notebook` of `sheet` with its nbgrader metadata (see the module).

    `registered` lists the exercises of the sheet (course.toml's, which the
    check registry holds); every one must have exactly one check call in the
    sheet, and every check call must name one of them. `points`, course.toml's
    points of each exercise, replaces those the sheet says.
    """
    stamped = copy.deepcopy(notebook)
    where = f"solutions/{sheet}.ipynb"
    checks = []  # (cell index, calls)
    for index, cell in enumerate(stamped.cells):
        calls = check_calls(cell.source) if cell.cell_type == "code" else None
        if calls:
            checks.append((index, calls))
    called = [call.exercise for _, calls in checks for call in calls]
    unknown = [name for name in called if name not in registered]
    missing = [name for name in registered if name not in called]
    repeated = sorted({name for name in called if called.count(name) > 1})
    if unknown or missing or repeated:
        problems = []
        if unknown:
            problems.append(f"checks {', '.join(unknown)} are not registered for {sheet}")
        if missing:
            problems.append(f"no check cell calls check for {', '.join(missing)}")
            odd = [
                str(index + 1)
                for index, cell in enumerate(stamped.cells)
                if cell.cell_type == "code"
                and re.search(r"\bcheck\(", cell.source)
                and index not in dict(checks)
            ]
            if odd:
                cells = ("cell " if len(odd) == 1 else "cells ") + ", ".join(odd)
                problems.append(
                    f"{cells} call check but a check cell holds nothing but "
                    'check("name", name) calls'
                )
        if repeated:
            problems.append(f"{', '.join(repeated)} are checked twice")
        raise CourseError(f"{where}: " + "; ".join(problems) + ".")

    old = stamped.metadata.get(METADATA_KEY, {})
    old_points = old.get("points", {}) if isinstance(old, dict) else {}
    given = old_points if points is None else points
    points = {name: given.get(name, 1) for name in called}
    for name, value in points.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise CourseError(
                f"{where}: the points of {name} must be a number >= 0, not {value!r}."
            )
    stamped.metadata[METADATA_KEY] = {"sheet": sheet, "exercises": called, "points": points}

    for cell in stamped.cells:
        if _is_ours(cell):
            del cell.metadata["nbgrader"]
    check_ids = {}
    for index, calls in checks:
        cell = stamped.cells[index]
        grade_id = CHECK_PREFIX + "-".join(call.exercise for call in calls)
        check_ids[index] = grade_id
        visible = strip_hidden_tests(cell.source)
        cell.source = visible + "\n" + _hidden_block(calls, points)
        total = sum(points[call.exercise] for call in calls)
        cell.metadata["nbgrader"] = _nbgrader(
            grade_id, grade=True, solution=False, locked=True, points=total
        )

    used: set[str] = set()
    for index, cell in enumerate(stamped.cells):
        if SOLUTION_MARK not in cell.source:
            continue
        following = [check_ids[i] for i in sorted(check_ids) if i > index]
        if not following:
            raise CourseError(f"{where}: the answer cell {index + 1} has no check cell after it.")
        base = ANSWER_PREFIX + following[0][len(CHECK_PREFIX) :]
        grade_id, number = base, 1
        while grade_id in used:
            number += 1
            grade_id = f"{base}-{number}"
        used.add(grade_id)
        if cell.cell_type == "markdown":  # nbgrader: a written answer is graded by hand
            points_of_answer = old_points.get(grade_id, 0)
            cell.metadata["nbgrader"] = _nbgrader(
                grade_id, grade=True, solution=True, locked=False, points=points_of_answer
            )
        else:
            cell.metadata["nbgrader"] = _nbgrader(
                grade_id, grade=False, solution=True, locked=False
            )
    return stamped


def layout_of(notebook: nbformat.NotebookNode) -> SheetLayout:
    """The `SheetLayout` of a stamped sheet (solution or student sheet)."""
    metadata = notebook.metadata.get(METADATA_KEY)
    if not isinstance(metadata, dict) or not isinstance(metadata.get("sheet"), str):
        raise CourseError(
            "the sheet carries no autodidact metadata: run `autodidact make-exercises`."
        )
    points = metadata.get("points", {})
    checks, answers, pending = [], {}, []
    for cell in notebook.cells:
        grade_id = grade_id_of(cell) or ""
        if grade_id.startswith(ANSWER_PREFIX):
            pending.append(grade_id)
        elif grade_id.startswith(CHECK_PREFIX):
            calls = check_calls(cell.source) or []
            checks.append(
                CheckPoint(
                    grade_id,
                    tuple(calls),
                    tuple(float(points.get(call.exercise, 1)) for call in calls),
                )
            )
            answers.update({answer: grade_id for answer in pending})
            pending = []
    lines = frozenset(
        line.strip()
        for cell in notebook.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
    )
    return SheetLayout(metadata["sheet"], tuple(checks), answers, lines)
