"""Every exercise check is proven both ways, by one set of tests shared by all sheets.

A sheet's test file describes its exercises and gets the tests with one line::

    TestBothWays = both_ways("02_forward_mode", SOLUTIONS, STUBS, WRONG, SHORTCUTS)

and the tests then show, for every exercise of the sheet, that its check

* is registered for the sheet, exactly the exercises listed and in their order;
* passes the solution;
* says "not done yet" on the stub (the function that still raises NotImplementedError);
* fails each plausible wrong answer in one line, with no traceback: "name: FAIL on <input>:
  expected ..., got ... -- <hint>", and with the fragment of the hint the answer must receive;
* fails, and does not crash, when it is given something other than a function;
* fails each shortcut, an answer that lets the library do the exercise, with a verdict that
  says what the exercise may use instead;
* never puts a line of the sheet's solution into the first-level verdict of a wrong answer.

A wrong answer that makes the student's own code raise is marked ``crashes=True``: its
verdict quotes the exception ("your code raised ...") instead of expected and got.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from autodidact.course.checking import exercises_of_sheet, load_all_checks, run_check
from autodidact.course.verdicts import FAIL, PASS, TODO

from .conftest import REPO, sheet_functions, solution_regions, squeeze


class Wrong(NamedTuple):
    """A plausible wrong answer to exercise `name`, and what its verdict must say."""

    name: str
    answer: Callable
    fragment: str = ""  # a piece of the verdict's text, usually of the hint
    crashes: bool = False  # the answer raises: the verdict quotes the exception
    hinted: bool = True  # the verdict carries a hint


def assert_passes(name: str, solution: Callable) -> None:
    verdict = run_check(name, solution)
    assert verdict.status == PASS, verdict.text


def assert_not_done_yet(name: str, stub: Callable) -> None:
    verdict = run_check(name, stub)
    assert verdict.status == TODO, verdict.text
    assert verdict.text.startswith(f"{name}: not done yet"), verdict.text


def assert_fails(wrong: Wrong) -> None:
    """The check fails `wrong` in one line naming the input, and what was wrong, and the hint."""
    verdict = run_check(wrong.name, wrong.answer)
    assert verdict.status == FAIL, verdict.text
    assert verdict.text.startswith(f"{wrong.name}: FAIL on "), verdict.text
    assert "Traceback" not in verdict.text and "\n" not in verdict.text, verdict.text
    assert wrong.fragment in verdict.text, verdict.text
    if wrong.crashes:
        assert "your code raised" in verdict.detail, verdict.text
    else:
        assert "expected" in verdict.detail and "got" in verdict.detail, verdict.text
    if wrong.hinted:
        assert verdict.hint, verdict.text


class Shortcut(NamedTuple):
    """An answer to exercise `name` that lets the library (or a teaching helper) do the work."""

    name: str
    answer: Callable


def assert_rejects_shortcut(shortcut: Shortcut) -> None:
    verdict = run_check(shortcut.name, shortcut.answer)
    assert verdict.status == FAIL, verdict.text
    assert verdict.text.startswith(f"{shortcut.name}: FAIL on "), verdict.text
    assert "your code called" in verdict.detail, verdict.text
    assert "asks you to write it yourself with" in verdict.hint, verdict.text


# What code looks like in a hint: a NumPy call, a matrix product, a transpose attribute, or
# a `return` of an expression. Maths in words or symbols (A^T, x_bar) is fine.
CODE_IN_A_HINT = re.compile(r"\bn?p\.\w|\banp\.\w|\s@\s|\w\.T\b|\breturn [\w.]+ *[-+*/@(]")


def solution_lines(sheet: str) -> list[str]:
    """Every answer line of solutions/<sheet>.ipynb, squeezed (see `solution_regions`)."""
    path = REPO / "solutions" / f"{sheet}.ipynb"
    return [line for region in solution_regions(path) for line in region]


class SheetFunctions(Mapping):
    """The functions `names` as a sheet defines them; the sheet runs at the first look-up."""

    def __init__(self, path: Path, names: Sequence[str]) -> None:
        self.path = path
        self.names = list(names)

    @cached_property
    def _namespace(self) -> dict:
        return sheet_functions(self.path)

    def __getitem__(self, name: str) -> Callable:
        if name not in self.names:
            raise KeyError(name)
        return self._namespace[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


class _Sheet(NamedTuple):
    stem: str
    solutions: Mapping[str, Callable]
    stubs: Mapping[str, Callable] | Callable
    wrong: list[Wrong]
    shortcuts: list[Shortcut]

    def stub(self, name: str) -> Callable:
        return self.stubs[name] if isinstance(self.stubs, Mapping) else self.stubs


class _BothWays:
    """The shared tests; `both_ways` makes a collectable subclass for one sheet."""

    sheet: _Sheet

    def pytest_generate_tests(self, metafunc) -> None:
        if "name" in metafunc.fixturenames:
            metafunc.parametrize("name", list(self.sheet.solutions))
        if "wrong" in metafunc.fixturenames:
            wrong = self.sheet.wrong
            metafunc.parametrize("wrong", wrong, ids=[w.answer.__name__ for w in wrong])
        if "shortcut" in metafunc.fixturenames:
            cuts = self.sheet.shortcuts
            metafunc.parametrize("shortcut", cuts, ids=[c.answer.__name__ for c in cuts])

    def test_the_sheet_registers_exactly_its_exercises(self):
        registered, listed = exercises_of_sheet(self.sheet.stem), list(self.sheet.solutions)
        assert registered == listed, f"the check registry has {registered}, the test {listed}"

    def test_check_passes_the_solution(self, name):
        assert_passes(name, self.sheet.solutions[name])

    def test_check_says_not_done_yet_on_the_stub(self, name):
        assert_not_done_yet(name, self.sheet.stub(name))

    def test_check_fails_a_plausible_wrong_answer(self, wrong):
        assert_fails(wrong)

    def test_every_exercise_has_a_wrong_answer(self):
        proven = {w.name for w in self.sheet.wrong}
        assert proven == set(self.sheet.solutions), (
            f"no wrong answer for {sorted(set(self.sheet.solutions) - proven)}; "
            f"wrong answers for unknown exercises {sorted(proven - set(self.sheet.solutions))}"
        )

    def test_a_non_function_is_a_fail_not_a_crash(self, name):
        verdict = run_check(name, None)
        assert verdict.status == FAIL and "expected a function" in verdict.text, verdict.text

    def test_check_rejects_a_shortcut_through_the_library(self, shortcut):
        assert_rejects_shortcut(shortcut)

    def test_every_exercise_that_withholds_shortcuts_is_proven_on_one(self):
        checks = load_all_checks()
        withheld = {name for name in self.sheet.solutions if checks[name].shortcuts is not None}
        proven = {cut.name for cut in self.sheet.shortcuts}
        assert withheld <= proven, f"no shortcut answer proves {sorted(withheld - proven)}"

    def test_first_hints_hold_no_code(self):
        for wrong in self.sheet.wrong:
            hint = run_check(wrong.name, wrong.answer).hint
            assert not CODE_IN_A_HINT.search(hint), f"{wrong.answer.__name__}: {hint}"

    def test_first_hints_hold_no_line_of_the_solution(self):
        answer_lines = solution_lines(self.sheet.stem)
        for wrong in self.sheet.wrong:
            text = squeeze(run_check(wrong.name, wrong.answer).text)
            leaked = [line for line in answer_lines if line in text]
            assert not leaked, f"{wrong.answer.__name__}: the verdict gives away {leaked}"


def both_ways(
    sheet: str,
    solutions: Mapping[str, Callable],
    stubs: Mapping[str, Callable] | Callable,
    wrong: Sequence[Wrong | tuple],
    shortcuts: Sequence[Shortcut | tuple] = (),
) -> type:
    """The shared tests for the checks of `sheet` (a sheet's file stem), as a test class.

    `solutions` maps each exercise, in the order the check module registers them, to its
    solution; `stubs` is the stub (or a mapping from exercise to stub); `wrong` lists
    plausible wrong answers as `Wrong`s or as tuples (name, answer[, fragment]); `shortcuts`
    lists answers that call the library, as `Shortcut`s or tuples (name, answer).
    """
    entries = [w if isinstance(w, Wrong) else Wrong(*w) for w in wrong]
    cuts = [c if isinstance(c, Shortcut) else Shortcut(*c) for c in shortcuts]
    return type(
        "TestBothWays", (_BothWays,), {"sheet": _Sheet(sheet, solutions, stubs, entries, cuts)}
    )
