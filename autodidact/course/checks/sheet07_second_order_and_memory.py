"""Checks for sheet 07, Hessian-vector products and checkpointing.

`hvp` is held to Hessians known in closed form, at a tolerance no finite
difference of gradients reaches. `checkpointed_chain` is run with a `step`
that keeps count of the states alive: every array `step` returns is watched
with a weak reference, so the count goes down the moment nothing (no
variable, no list, no tape) holds that state any more. The peak of the count
is what the exercise limits to about n/k + k; a plain taped chain holds n.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

import autodidact.numpy as anp
from autodidact import grad
from autodidact.course.checking import (
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
)
from autodidact.tracer import getval

SHEET = "07_second_order_and_memory"

HVP_HINT = "write f with autodidact.numpy and use grad(lambda x: anp.dot(grad(f)(x), v))(x)."
CHAIN_HINT = (
    "step takes one state and returns the next; make_vjp(segment)(x_start) returns "
    "(vjp, x_end), and vjp(g) pulls the cotangent g back to the segment's start."
)


# --- hvp ---------------------------------------------------------------------------------------


def _hvp_cases() -> list[tuple[str, Callable, np.ndarray, np.ndarray, np.ndarray]]:
    """(description, f, x, v, H) with H the Hessian of f at x in closed form."""
    rng = np.random.default_rng(50)
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    v = rng.standard_normal(4)
    cases = [
        ("f(x) = x^T A x / 2, A not symmetric", lambda x: 0.5 * x @ (A @ x), x, v, 0.5 * (A + A.T))
    ]

    x = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.5, -2.0])
    second = 2 * np.sin(x) + 4 * x * np.cos(x) - x**2 * np.sin(x)
    cases.append(
        ("f(x) = sum(x^2 sin x)", lambda x: anp.sum(x**2 * anp.sin(x)), x, v, np.diag(second))
    )

    x = np.array([0.5, -0.2, 1.0, 0.1, -1.5])
    v = np.array([0.0, 1.0, 0.0, -1.0, 2.0])
    p = np.exp(x) / np.sum(np.exp(x))
    cases.append(
        (
            "f(x) = log sum exp(x)",
            lambda x: anp.log(anp.sum(anp.exp(x))),
            x,
            v,
            np.diag(p) - np.outer(p, p),
        )
    )
    return cases


@exercise_check("hvp", sheet=SHEET)
def hvp(student: Callable) -> str:
    """H v, the derivative of grad f along v, exact to rounding."""
    for description, f, x, v, H in _hvp_cases():
        on = f"{description}, x = {format_value(x)}, v = {format_value(v)}"
        got = call_student(student, f, x, v, on=on, hint=HVP_HINT)
        expected = H @ v
        hint = "H v = grad(lambda x: <grad f(x), v>)(x): differentiate the gradient along v."
        try:
            got_array = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            got_array = None
        if got_array is not None and got_array.shape == expected.shape:
            gradient = grad(f)(x)
            if np.allclose(got_array, gradient):
                hint = (
                    "that is the gradient of f, not H v: differentiate once more, e.g. "
                    "grad(lambda x: anp.dot(grad(f)(x), v))(x)."
                )
            elif np.allclose(got_array, gradient * v):
                hint = (
                    "grad f(x) * v multiplies entry by entry; H v needs the derivative of the "
                    "gradient along v: grad(lambda x: anp.dot(grad(f)(x), v))(x)."
                )
            elif np.allclose(got_array, expected, rtol=1e-3, atol=1e-5):
                hint = (
                    "close, but only to a finite difference's accuracy; use grad twice for an "
                    "exact H v: grad(lambda x: anp.dot(grad(f)(x), v))(x)."
                )
        expect_close(got, expected, on=on, what="H v", hint=hint, rtol=1e-9, atol=1e-12)
    return "exact H v for a quadratic, an elementwise and a coupled (log-sum-exp) function."


# --- checkpointed_chain ------------------------------------------------------------------------


class CountingStep:
    """A step x -> x (1 + a tanh x) that counts how many of its outputs are alive at once.

    Its derivative stays between 1 and about 1 + 2a, so gradients through a
    long chain neither vanish nor explode. On a tape, the product keeps the
    step's input (the previous state) for the backward pass.
    """

    def __init__(self, rate: float = 0.05) -> None:
        self.rate = rate
        self.calls = 0
        self.alive = 0
        self.peak = 0
        self._watchers: dict[int, weakref.ref] = {}

    def _released(self, watcher: weakref.ref) -> None:
        self._watchers.pop(id(watcher), None)
        self.alive -= 1

    def __call__(self, x):
        y = x * (1.0 + self.rate * anp.tanh(x))
        self.calls += 1
        value = getval(y)
        if isinstance(value, np.ndarray):
            watcher = weakref.ref(value, self._released)
            self._watchers[id(watcher)] = watcher
            self.alive += 1
            self.peak = max(self.peak, self.alive)
        return y


def plain_chain_gradient(step: Callable, x0: np.ndarray, n: int) -> np.ndarray:
    """The reference: grad of sum(x_n) with respect to x0, the whole chain on one tape."""

    def chain(x):
        for _ in range(n):
            x = step(x)
        return anp.sum(x)

    return grad(chain)(x0)


@exercise_check("checkpointed_chain", sheet=SHEET)
def checkpointed_chain(student: Callable) -> str:
    """The plain chain's gradient, with about n/k + k states alive and about 2n steps run."""
    x0 = np.linspace(-1.0, 1.0, 5)
    reference_step = CountingStep()
    for n, k in ((64, 8), (50, 7), (36, 12)):
        expected = plain_chain_gradient(reference_step, x0, n)
        step = CountingStep()
        on = f"n = {n} steps of x <- x (1 + 0.05 tanh x), k = {k}, x0 = {format_value(x0)}"
        got = call_student(student, step, x0, n, k, on=on, hint=CHAIN_HINT)
        expect_close(
            got,
            expected,
            on=on,
            what="d sum(x_n) / d x0",
            rtol=1e-9,
            atol=1e-12,
            hint="run every segment's k steps (the last one may be shorter) and pass the "
            "cotangent from each segment's end to its start, last segment first.",
        )
        allowed = -(-n // k) + k + 3
        expect(
            step.peak <= allowed,
            on=on,
            expected=f"at most about n/k + k = {allowed} states alive at once",
            got=f"{step.peak} (of {n} steps)",
            hint="in the forward pass keep only each segment's first state, computed without a "
            "tape; on the way back, tape one segment at a time from its stored start, and let "
            "each tape go (e.g. pull back inside a helper function) before taping the next.",
        )
        expect(
            step.calls <= 2 * n + k,
            on=on,
            expected=f"about 2n = {2 * n} calls of step (one forward pass, one recomputation)",
            got=f"{step.calls}",
            hint="recompute each segment once, from its stored first state, not from x0.",
        )
    return "the plain chain's gradient with at most n/k + k + 3 states alive and 2n steps."


__all__ = ["hvp", "checkpointed_chain", "CountingStep", "plain_chain_gradient"]
