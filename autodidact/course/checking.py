"""The checks framework: one check per exercise, each a small function of the student's answer.

A check is written as a plain function that receives the student's function,
tries it on several inputs and returns a one-line summary when all is well::

    @exercise_check("central_difference", sheet="01_finite_differences")
    def central_difference(student):
        got = call_student(student, np.sin, 1.0, on="f = sin, x = 1.0", hint="...")
        expect_close(got, np.cos(1.0), on="f = sin, x = 1.0", hint="...", rtol=1e-9)
        return "right on 1 input"

Three helpers do the talking:

* `call_student` runs the student's code. ``NotImplementedError`` (the
  unfilled stub) becomes "not done yet"; any other exception becomes a FAIL
  that quotes the exception's message, never a traceback.
* `expect_close` and `expect` compare and, when the answer is wrong, raise a
  FAIL naming the input, expected against got, and the hint; `matches` tells
  whether the answer is what a likely mistake gives, to choose that hint.
* `run_check` turns all of that into a `Verdict`; `check` displays it.

Two more ideas keep the exercises about thinking:

* **Shortcuts are withheld.** A check may declare, with
  ``exercise_check(..., shortcuts=Shortcuts(...))``, the library functions
  and rules that would answer the exercise; while the check runs, the
  student's code cannot call them (see `autodidact.course.shortcuts`), and a
  call is a FAIL that says what the exercise may use instead.
* **Hints escalate.** A `CheckFailed` carries a first-level ``hint``, what is
  wrong in words or maths, and a second-level ``route``, the formula or the
  way to the answer (never the answer's code). The route is shown with
  ``check(name, f, hint=True)``, or by itself once the same check has failed
  three times in the kernel.

Later sheets add a module to ``autodidact/course/checks/`` with their checks;
nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autodidact.course.shortcuts import (
    FINITE_DIFFERENCES,
    OPERATORS,
    Shortcuts,
    ShortcutUsed,
    withheld,
)
from autodidact.course.verdicts import FAIL, PASS, TODO, Verdict

__all__ = [
    "FINITE_DIFFERENCES",
    "OPERATORS",
    "CheckFailed",
    "ExerciseCheck",
    "NotDoneYet",
    "Shortcuts",
    "call_student",
    "check",
    "exercise_check",
    "expect",
    "expect_close",
    "format_value",
    "matches",
    "run_check",
]

TODO_HINT = "replace `raise NotImplementedError()` with your code, then run this cell again."


class NotDoneYet(Exception):
    """The student's function still raises NotImplementedError."""


class CheckFailed(Exception):
    """The student's answer is wrong.

    ``detail`` names the input and expected against got; ``hint`` says what
    is wrong in words or maths; ``route`` (optional) is the second-level hint,
    the formula or the way there. Neither level is the answer's code.
    """

    def __init__(self, detail: str, hint: str = "", route: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint
        self.route = route


@dataclass(frozen=True)
class ExerciseCheck:
    """A registered check: the exercise's name, its sheet, the function that checks it,
    and the shortcuts withheld while it runs."""

    name: str
    sheet: str
    function: Callable[[Callable], str]
    shortcuts: Shortcuts | None = None


_REGISTRY: dict[str, ExerciseCheck] = {}
_LOADED = False


def exercise_check(
    name: str, sheet: str, shortcuts: Shortcuts | None = None
) -> Callable[[Callable], Callable]:
    """Register the decorated function as the check of exercise `name` on `sheet`.

    The decorated function receives the student's answer and returns a short
    summary of what it tried; it signals a wrong answer by raising
    `CheckFailed` (usually through `expect_close` or `expect`). `shortcuts`
    lists what the student's code may not call while the check runs.
    """

    def register(function: Callable[[Callable], str]) -> Callable[[Callable], str]:
        if name in _REGISTRY and _REGISTRY[name].function is not function:
            raise ValueError(f"two checks are registered for exercise {name!r}")
        _REGISTRY[name] = ExerciseCheck(name, sheet, function, shortcuts)
        return function

    return register


def load_all_checks() -> dict[str, ExerciseCheck]:
    """Import every module of ``autodidact.course.checks`` once; return the registry."""
    global _LOADED
    if not _LOADED:
        package = importlib.import_module("autodidact.course.checks")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        _LOADED = True
    return dict(_REGISTRY)


def exercises_of_sheet(sheet: str) -> list[str]:
    """The names of the exercises registered for `sheet` (a sheet's file stem)."""
    return [check.name for check in load_all_checks().values() if check.sheet == sheet]


def format_value(value: Any, width: int = 90) -> str:
    """A short, readable rendering of a value for a verdict line."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
        value = float(value)  # a 0-d array reads as the number it holds: 2, not 2.
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (int, float)):
        value = np.asarray(value)
    if isinstance(value, np.ndarray) and value.ndim <= 1 and value.dtype.kind in "biuf":
        text = "[" + ", ".join(f"{entry:.6g}" for entry in value.ravel()) + "]"
        if value.ndim == 0:
            text = text[1:-1]
    elif isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, separator=", ", max_line_width=10_000)
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.6g}"
    else:
        text = repr(value)
    text = " ".join(text.split()).replace("[ ", "[")
    return text if len(text) <= width else text[: width - 3] + "..."


# The input the running check tried last, so that a shortcut's verdict can name it.
_current_input = ["your answer"]


def call_student(
    student: Callable, *args: Any, on: str, hint: str = "", route: str = "", **kwargs: Any
) -> Any:
    """Call the student's function; translate what it raises into a verdict.

    NumPy warnings (division by zero and the like) are silenced so that the
    verdict stays one line; a wrong number they produce is caught by the
    comparison that follows.
    """
    if not callable(student):
        raise CheckFailed(
            f"{on}: expected a function, got {format_value(student)}",
            "pass the function itself to check, without calling it.",
        )
    _current_input[0] = on
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return student(*args, **kwargs)
    except NotImplementedError as error:
        if not error.args:  # the stub's bare `raise NotImplementedError()`
            raise NotDoneYet() from error
        raise CheckFailed(
            f"{on}: your code raised NotImplementedError: {error}", hint, route
        ) from None
    except RecursionError:
        raise CheckFailed(
            f"{on}: your code raised RecursionError: maximum recursion depth exceeded",
            "each call waits for a deeper one, and Python allows about a thousand; "
            "this input is deeper than that. Keep the work in a list instead of on the call stack.",
            route,
        ) from None
    except Exception as error:  # the student's bug, reported in one line
        message = str(error).strip().splitlines()
        raise CheckFailed(
            f"{on}: your code raised {type(error).__name__}"
            + (f": {message[0]}" if message else ""),
            hint,
            route,
        ) from None


def expect(
    condition: bool, *, on: str, expected: str, got: str, hint: str, route: str = ""
) -> None:
    """Fail with 'on ...: expected ..., got ...' unless `condition` holds."""
    if not condition:
        raise CheckFailed(f"{on}: expected {expected}, got {got}", hint, route)


def expect_close(
    got: Any,
    expected: Any,
    *,
    on: str,
    hint: str,
    rtol: float = 1e-7,
    atol: float = 0.0,
    what: str = "",
    route: str = "",
) -> np.ndarray:
    """Fail unless `got` has the shape of `expected` and matches it to the given tolerance.

    Returns `got` as a float array, for further checks.
    """
    expected = np.asarray(expected, dtype=float)
    label = f"{what} " if what else ""
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(
            f"{on}: expected {label}{format_value(expected)}, got {format_value(got)}",
            f"return an array of numbers with shape {expected.shape}.",
        ) from None
    if got_array.shape != expected.shape:
        raise CheckFailed(
            f"{on}: expected {label}of shape {expected.shape}, got shape {got_array.shape}"
            f" ({format_value(got)})",
            hint,
            route,
        )
    if not np.allclose(got_array, expected, rtol=rtol, atol=atol):
        with np.errstate(all="ignore"):
            off_by = np.max(np.abs(got_array - expected)) if got_array.size else 0.0
        raise CheckFailed(
            f"{on}: expected {label}{format_value(expected)}, got {format_value(got_array)}"
            f" (off by {off_by:.2g})",
            hint,
            route,
        )
    return got_array


def matches(got: Any, candidate: Any, *, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True when `got` is numbers of `candidate`'s shape, equal to it within rtol and atol.

    For aiming a hint at a likely mistake: compare the answer with what the
    mistake would have returned. Never raises; an answer that is not numbers
    matches nothing.
    """
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    candidate = np.asarray(candidate, dtype=float)
    return got_array.shape == candidate.shape and bool(
        np.allclose(got_array, candidate, rtol=rtol, atol=atol)
    )


# How many times each exercise's check has failed in this kernel (for the second hint level).
_failed_runs: dict[str, int] = {}
FAILS_BEFORE_ROUTE = 3


def run_check(name: str, student: Callable, *, route: bool = False) -> Verdict:
    """Run the registered check for exercise `name` on the student's function.

    The verdict's hint is the first level; with ``route=True`` it also carries
    the second level (the formula or the route), when the check has one.
    """
    checks = load_all_checks()
    if name not in checks:
        known = ", ".join(sorted(checks)) or "none"
        return Verdict(name, FAIL, f"no check is called {name!r}", f"known checks: {known}.")
    registered = checks[name]
    _current_input[0] = "your answer"
    outcome: Verdict | CheckFailed | None = None
    trusted = (registered.function.__code__.co_filename,)
    with withheld(registered.shortcuts, student, trusted) as record:
        try:
            summary = registered.function(student)
        except ShortcutUsed:
            pass  # recorded; reported below
        except NotDoneYet:
            outcome = Verdict(name, TODO, "", TODO_HINT)
        except CheckFailed as failure:
            outcome = failure
        except Exception as error:  # a bug in the check itself: still one line
            outcome = Verdict(
                name,
                FAIL,
                f"the check itself stopped with {type(error).__name__}: {error}",
                "this looks like a bug in the course; please tell your instructor.",
            )
        else:
            outcome = Verdict(name, PASS, summary or "", "")
    if record.called:  # even if the student's code caught ShortcutUsed, the call counts
        outcome = CheckFailed(
            f"{_current_input[0]}: your code called {record.called[0]}",
            registered.shortcuts.advice(),
        )
    if isinstance(outcome, CheckFailed):
        further = outcome.route if route else ""
        if outcome.route and not route:
            hint = outcome.hint.rstrip()
            outcome = CheckFailed(
                outcome.detail,
                f"{hint} (a further hint: check({name!r}, ..., hint=True))"
                if hint
                else f"for a hint: check({name!r}, ..., hint=True)",
            )
        return Verdict(name, FAIL, outcome.detail, outcome.hint, further)
    return outcome


def check(name: str, student: Callable, hint: bool = False) -> None:
    """Check the student's answer to exercise `name` and show the verdict.

    This is what the check cell after each exercise calls. In a notebook the
    verdict is displayed; elsewhere it is printed. ``hint=True`` asks for the second-level hint
    (the route to the answer), which also comes by itself once the same check
    has failed three times.
    """
    further = hint or _failed_runs.get(name, 0) + 1 >= FAILS_BEFORE_ROUTE
    verdict = run_check(name, student, route=further)
    if verdict.status == FAIL:
        _failed_runs[name] = _failed_runs.get(name, 0) + 1
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        get_ipython = lambda: None
    if get_ipython() is None:
        print(verdict.text)
    else:
        from IPython.display import display

        display(verdict)
