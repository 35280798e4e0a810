"""Shortcuts withheld and hints that escalate: the machinery every sheet's checks share."""

from __future__ import annotations

import numpy as np
import pytest

import autodidact
import autodidact.numpy as anp
from autodidact import grad, reverse
from autodidact.course import checking
from autodidact.course.checking import (
    OPERATORS,
    CheckFailed,
    Shortcuts,
    call_student,
    exercise_check,
    expect_close,
    run_check,
)
from autodidact.course.verdicts import FAIL, PASS

SHEET = "zz_shortcut_tests"


@pytest.fixture
def sin_vjp_exercise():
    """A throw-away exercise: the VJP of sin, with the operators and sin's rules withheld."""

    @exercise_check(
        "zz_sin_vjp",
        sheet=SHEET,
        shortcuts=Shortcuts(
            allowed="anp.cos and arithmetic", blocked=OPERATORS, rules_of=(anp.sin,)
        ),
    )
    def zz_sin_vjp(student):
        x, g = np.array([0.3, -1.2]), np.array([2.0, 0.5])
        on = f"x = {x}, g = {g}"
        got = call_student(student, g, np.sin(x), x, on=on, hint="the VJP of sin is g cos(x).")
        # The check itself may use the library while the student's shortcuts are withheld.
        expected = autodidact.elementwise_grad(lambda x: anp.sum(anp.sin(x) * g))(x)
        expect_close(
            got,
            expected,
            on=on,
            hint="multiply the cotangent by the derivative of sin.",
            route="d sin(x)/dx = cos(x), so the cotangent of x is g times that, entry by entry.",
        )
        return "right"

    yield "zz_sin_vjp"
    checking._REGISTRY.pop("zz_sin_vjp")
    checking._failed_runs.pop("zz_sin_vjp", None)


# The student's answers, compiled as a notebook's cells would be: from outside the package
# and outside the check's file.
STUDENT_CELLS = """
import autodidact
import autodidact.numpy as anp
from autodidact import grad, reverse


def right(g, ans, x):
    return g * anp.cos(x)


def through_grad(g, ans, x):
    return g * autodidact.elementwise_grad(anp.sin)(x)


def through_the_registry(g, ans, x):
    return reverse.vjp_rules[anp.sin][0](g, ans, x)


def swallows_the_refusal(g, ans, x):
    try:
        return g * grad(anp.sin)(x[0])
    except BaseException:
        return g * anp.cos(x)


def wrong(g, ans, x):
    return g * anp.sin(x)
"""
student = {}
exec(compile(STUDENT_CELLS, "a student's notebook", "exec"), student)
right, through_grad, through_the_registry, swallows_the_refusal, wrong = (
    student[name]
    for name in ("right", "through_grad", "through_the_registry", "swallows_the_refusal", "wrong")
)


def test_a_right_answer_passes_while_the_library_is_withheld(sin_vjp_exercise):
    assert run_check(sin_vjp_exercise, right).status == PASS


@pytest.mark.parametrize("answer", [through_grad, through_the_registry, swallows_the_refusal])
def test_a_shortcut_fails_naming_what_it_called_and_what_is_allowed(sin_vjp_exercise, answer):
    verdict = run_check(sin_vjp_exercise, answer)
    assert verdict.status == FAIL, verdict.text
    assert verdict.text.startswith("zz_sin_vjp: FAIL on x = "), verdict.text
    assert "your code called" in verdict.detail
    assert (
        verdict.hint == "this exercise asks you to write it yourself with anp.cos and arithmetic."
    )


def test_everything_is_restored_after_the_check_even_when_the_student_raised(sin_vjp_exercise):
    rules_before = dict(reverse.vjp_rules[anp.sin])
    run_check(sin_vjp_exercise, through_grad)
    run_check(sin_vjp_exercise, swallows_the_refusal)
    assert reverse.vjp_rules[anp.sin] == rules_before
    assert autodidact.grad is grad and autodidact.operators.grad is grad
    assert student["grad"] is grad  # the student's namespace too
    assert grad(anp.sin)(0.0) == 1.0


def test_the_first_hint_offers_the_route_and_the_second_level_gives_it(sin_vjp_exercise):
    first = run_check(sin_vjp_exercise, wrong)
    assert first.status == FAIL and not first.route
    assert "hint=True" in first.hint and "cos(x)" not in first.hint
    second = run_check(sin_vjp_exercise, wrong, route=True)
    assert second.route.startswith("d sin(x)/dx = cos(x)")
    assert "further hint: d sin(x)/dx" in second.text


def test_the_route_comes_by_itself_on_the_third_failed_run(sin_vjp_exercise, capsys):
    for _ in range(3):
        checking.check(sin_vjp_exercise, wrong)
    printed = capsys.readouterr().out.splitlines()
    assert ["further hint: d sin" in line for line in printed] == [False, False, True]


def test_check_with_hint_true_asks_for_the_route_at_once(sin_vjp_exercise, capsys):
    checking.check(sin_vjp_exercise, wrong, hint=True)
    assert "further hint: d sin(x)/dx" in capsys.readouterr().out


def test_a_recursion_error_is_reported_as_such():
    def deep(n):
        return deep(n + 1)

    with pytest.raises(CheckFailed) as failure:
        call_student(deep, 0, on="a chain of 10,000 nodes")
    assert "RecursionError" in failure.value.detail
    assert "call stack" in failure.value.hint


# A batching rule is withheld like a VJP rule: `rules_of` guards vmap's registry too.
BATCHING_CELLS = """
import numpy as np

import autodidact.numpy as anp
from autodidact import batching


def by_hand(x, bdim):
    return np.sum(np.moveaxis(x, bdim, 0), axis=1), 0


def through_the_batching_registry(x, bdim):
    return batching.batch_rules[anp.sum]((x,), (bdim,), axis=0)
"""
batching_student = {}
exec(compile(BATCHING_CELLS, "a student's notebook", "exec"), batching_student)


@pytest.fixture
def sum_rule_exercise():
    """A throw-away exercise: the batching rule of sum over an example's axis 0."""
    from autodidact import batching, vmap

    @exercise_check(
        "zz_sum_rule",
        sheet=SHEET,
        shortcuts=Shortcuts(allowed="np.sum and np.moveaxis", rules_of=(anp.sum,)),
    )
    def zz_sum_rule(student):
        x = np.arange(24.0).reshape(2, 3, 4)  # a batch of 3 examples along axis 1
        result, out_dim = call_student(student, x, 1, on="x of shape (2, 3, 4), bdim = 1")
        # The library's vmap still reaches the guarded rule from inside the package.
        expected = vmap(lambda e: anp.sum(e, axis=0), in_axes=1)(x)
        assert batching.batch_rules[anp.sum] is not original_rule  # guarded while running
        expect_close(np.moveaxis(result, out_dim, 0), expected, on="x", hint="sum axis 0")
        return "right"

    original_rule = batching.batch_rules[anp.sum]
    yield "zz_sum_rule", original_rule
    checking._REGISTRY.pop("zz_sum_rule")
    checking._failed_runs.pop("zz_sum_rule", None)


def test_a_batching_rule_is_withheld_and_restored(sum_rule_exercise):
    from autodidact import batching

    name, original_rule = sum_rule_exercise
    assert run_check(name, batching_student["by_hand"]).status == PASS
    verdict = run_check(name, batching_student["through_the_batching_registry"])
    assert verdict.status == FAIL, verdict.text
    assert "your code called the library's own rule for sum" in verdict.detail, verdict.text
    assert batching.batch_rules[anp.sum] is original_rule
