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

from autodidact.course.verdicts import FAIL, PASS, TODO, Verdict

TODO_HINT = "replace `raise NotImplementedError()` with your code, then run this cell again."


class NotDoneYet(Exception):
    """The student's function still raises NotImplementedError."""


class CheckFailed(Exception):
    """The student's answer is wrong; carries the detail and the hint."""

    def __init__(self, detail: str, hint: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


@dataclass(frozen=True)
class ExerciseCheck:
    """A registered check: the exercise's name, its sheet, and the function that checks it."""

    name: str
    sheet: str
    function: Callable[[Callable], str]


_REGISTRY: dict[str, ExerciseCheck] = {}
_LOADED = False


def exercise_check(name: str, sheet: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the check of exercise `name` on `sheet`.

    The decorated function receives the student's answer and returns a short
    summary of what it tried; it signals a wrong answer by raising
    `CheckFailed` (usually through `expect_close` or `expect`).
    """

    def register(function: Callable[[Callable], str]) -> Callable[[Callable], str]:
        if name in _REGISTRY and _REGISTRY[name].function is not function:
            raise ValueError(f"two checks are registered for exercise {name!r}")
        _REGISTRY[name] = ExerciseCheck(name, sheet, function)
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


def call_student(student: Callable, *args: Any, on: str, hint: str = "", **kwargs: Any) -> Any:
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
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return student(*args, **kwargs)
    except NotImplementedError as error:
        if not error.args:  # the stub's bare `raise NotImplementedError()`
            raise NotDoneYet() from error
        raise CheckFailed(f"{on}: your code raised NotImplementedError: {error}", hint) from None
    except Exception as error:  # the student's bug, reported in one line
        message = str(error).strip().splitlines()
        raise CheckFailed(
            f"{on}: your code raised {type(error).__name__}"
            + (f": {message[0]}" if message else ""),
            hint,
        ) from None


def expect(condition: bool, *, on: str, expected: str, got: str, hint: str) -> None:
    """Fail with 'on ...: expected ..., got ...' unless `condition` holds."""
    if not condition:
        raise CheckFailed(f"{on}: expected {expected}, got {got}", hint)


def expect_close(
    got: Any,
    expected: Any,
    *,
    on: str,
    hint: str,
    rtol: float = 1e-7,
    atol: float = 0.0,
    what: str = "",
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
        )
    if not np.allclose(got_array, expected, rtol=rtol, atol=atol):
        with np.errstate(all="ignore"):
            off_by = np.max(np.abs(got_array - expected)) if got_array.size else 0.0
        raise CheckFailed(
            f"{on}: expected {label}{format_value(expected)}, got {format_value(got_array)}"
            f" (off by {off_by:.2g})",
            hint,
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


def run_check(name: str, student: Callable) -> Verdict:
    """Run the registered check for exercise `name` on the student's function."""
    checks = load_all_checks()
    if name not in checks:
        known = ", ".join(sorted(checks)) or "none"
        return Verdict(name, FAIL, f"no check is called {name!r}", f"known checks: {known}.")
    try:
        summary = checks[name].function(student)
    except NotDoneYet:
        return Verdict(name, TODO, "", TODO_HINT)
    except CheckFailed as failure:
        return Verdict(name, FAIL, failure.detail, failure.hint)
    except Exception as error:  # a bug in the check itself: still one line
        return Verdict(
            name,
            FAIL,
            f"the check itself stopped with {type(error).__name__}: {error}",
            "this looks like a bug in the course; please tell your instructor.",
        )
    return Verdict(name, PASS, summary or "", "")


def check(name: str, student: Callable) -> None:
    """Check the student's answer to exercise `name` and show the verdict.

    This is what the check cell after each exercise calls. In a notebook the
    verdict is displayed (and can be read back by ``autodidact check``);
    elsewhere it is printed.
    """
    verdict = run_check(name, student)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        get_ipython = lambda: None
    if get_ipython() is None:
        print(verdict.text)
    else:
        from IPython.display import display

        display(verdict)
