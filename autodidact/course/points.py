"""The points of a check cell when nbgrader autogrades it.

Every stamped check cell ends with a hidden-test block (see
`autodidact.course.nbgrader_metadata`) that calls `points_earned` with the
exercises of the cell, the student's objects and the points of each::

    points_earned(("dual_sin", dual_sin, 1), ("dual_exp", dual_exp, 1))

nbgrader's rule for an autograded cell is: an error (or anything written to
stderr) earns nothing; a number as the cell's result earns that many points;
no result earns all of them. So `points_earned` runs the course's checks and
returns None when every exercise passes, and otherwise the sum of the points
of those that pass (0 included), after printing the verdicts of the others.

The checks run in the student's kernel, after the student's code: see the
instructor guide for what that does and does not defend against.
"""

from __future__ import annotations

from typing import Any

from autodidact.course.checking import run_check


def points_earned(*exercises: tuple[str, Any, float]) -> float | None:
    """Check each (exercise, answer, points); None if all pass, else the points earned."""
    earned, total = 0.0, 0.0
    for name, answer, points in exercises:
        verdict = run_check(name, answer)
        total += points
        if verdict.passed:
            earned += points
        else:
            print(f"graded: {verdict.text}")
    return None if earned == total else earned
