"""Checks for sheet 07, Hessian-vector products and checkpointing.

`hvp` is held to Hessians known in closed form, at a tolerance no finite
difference of gradients reaches. The sheet asks for the forward-over-reverse
product (the lecture shows reverse-over-reverse), so the check also watches
how f is traced: the student's hvp receives a copy of f that records, at
every call, the kinds of trace its argument is boxed in, and how many times
f runs (forming H column by column runs it n times; H v needs it once).

`checkpointed_chain` is run with a `step` that keeps count of the states
alive: every array `step` returns is watched with a weak reference, so the
count goes down the moment nothing (no variable, no list, no tape) holds that
state any more. The peak of the count is what the exercise limits to about
n/k + k; a plain taped chain holds n.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

import autodidact.numpy as anp
from autodidact import grad
from autodidact.course.checking import (
    FINITE_DIFFERENCES,
    Shortcuts,
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
    matches,
)
from autodidact.forward import ForwardNode
from autodidact.reverse import ReverseNode
from autodidact.tracer import getval, isbox

SHEET = "07_second_order_and_memory"

# --- hvp ---------------------------------------------------------------------------------------

HVP_HINT = (
    "f is written with autodidact.numpy and takes a 1-D array: let the library's operators "
    "trace f, and return an array shaped like x."
)
HVP_ROUTE = (
    "H v = d/de grad f(x + e v) at e = 0: the directional derivative, along v, of the function "
    "x -> grad f(x). A directional derivative is a JVP, forward mode; the function it is taken "
    "of is the gradient, reverse mode. Which operator computes a JVP, what does it take, and "
    "which of the values it returns is the tangent?"
)
HVP_SHORTCUTS = Shortcuts(
    allowed="grad (or make_vjp) and make_jvp composed with each other, and autodidact.numpy",
    blocked=(
        "autodidact.hvp",
        "autodidact.hessian_tensor_product",
        "autodidact.make_hvp",
        "autodidact.hessian",
        "autodidact.jacobian",
        "autodidact.jacfwd",
        "autodidact.jacrev",
        *FINITE_DIFFERENCES,
    ),
)
FORWARD_OVER_REVERSE = ("forward", "reverse")


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


def trace_modes(x: object) -> tuple[str, ...]:
    """The kinds of trace ("forward", "reverse") the value x is boxed in, outermost operator first.

    Nested derivatives box an argument once per trace, the newest trace on
    the outside. When a forward-mode derivative is taken of a reverse-mode
    gradient, f receives a reverse-mode box (the gradient's trace, made
    second) around a forward-mode box (the outer derivative's): read from the
    inside out, the boxes name the operators from the outside in, here
    ("forward", "reverse"), forward-over-reverse.
    """
    modes = []
    while isbox(x):
        node = x._node
        modes.append(
            "forward"
            if isinstance(node, ForwardNode)
            else "reverse"
            if isinstance(node, ReverseNode)
            else type(node).__name__
        )
        x = x._value
    return tuple(reversed(modes))


def watched(f: Callable) -> Callable:
    """f, recording in `.nestings` the trace modes of its argument at every call."""
    nestings: list[tuple[str, ...]] = []

    def f_watched(x):
        nestings.append(trace_modes(x))
        return f(x)

    f_watched.nestings = nestings
    return f_watched


def _nesting_name(modes: tuple[str, ...]) -> str:
    if not modes:
        return "f never traced: no derivative taken by the library"
    if len(modes) == 1:
        return f"f traced by {modes[0]} mode alone, no derivative of a derivative"
    return "-over-".join(modes)


def _nesting_hint(modes: tuple[str, ...], calls: int) -> str:
    if len(modes) == 1 and calls >= 2:
        return (
            f"f was traced by {calls} separate {modes[0]}-mode passes, as a difference of "
            "gradients does: exact for a quadratic f like this one, but elsewhere only to a "
            "finite difference's accuracy."
        )
    if modes == ("reverse", "reverse"):
        return (
            "H v is right, but computed reverse-over-reverse (a gradient of a gradient), the "
            "route lecture 07 shows; this exercise asks for the other composition, with forward "
            "mode on the outside."
        )
    if modes == ("reverse", "forward"):
        return (
            "H v is right, but computed reverse-over-forward (a gradient of a JVP); this "
            "exercise asks for forward mode on the outside and reverse mode inside."
        )
    return (
        "H v is right, but not computed forward-over-reverse: forward mode on the outside, "
        "taking the derivative along v of a gradient computed in reverse mode."
    )


def _hvp_value_hint(got: object, expected: np.ndarray, f: Callable, x, v) -> str:
    """Name the mistake when the answer is what a likely one gives."""
    gradient = grad(f)(x)
    if matches(got, gradient, rtol=1e-9, atol=1e-12):
        return "that is grad f(x), the gradient itself: H v needs one differentiation more."
    if matches(got, gradient * v, rtol=1e-9, atol=1e-12):
        return (
            "that is grad f(x) times v entry by entry; H v is a derivative of the gradient, "
            "taken along v."
        )
    if matches(got, expected, rtol=1e-3, atol=1e-5):
        return (
            "close, but only to a finite difference's accuracy: an H v from automatic "
            "differentiation is exact up to rounding."
        )
    return "this is not H v."


@exercise_check("hvp", sheet=SHEET, shortcuts=HVP_SHORTCUTS)
def hvp(student: Callable) -> str:
    """H v exact to rounding, f traced forward-over-reverse, at most twice."""
    for description, f, x, v, H in _hvp_cases():
        on = f"{description}, x = {format_value(x)}, v = {format_value(v)}"
        f_watched = watched(f)
        got = call_student(student, f_watched, x, v, on=on, hint=HVP_HINT, route=HVP_ROUTE)
        expected = H @ v
        expect_close(
            got,
            expected,
            on=on,
            what="H v",
            hint=_hvp_value_hint(got, expected, f, x, v),
            rtol=1e-9,
            atol=1e-12,
            route=HVP_ROUTE,
        )
        calls = len(f_watched.nestings)
        expect(
            calls <= 2,
            on=on,
            expected="f run once or twice (H v costs a few gradients)",
            got=f"f run {calls} times for n = {len(x)}",
            hint="running f about once per entry of x builds H column by column, which is "
            "what a Hessian-vector product avoids: H v needs f traced once.",
            route=HVP_ROUTE,
        )
        modes = max(f_watched.nestings, key=len, default=())
        expect(
            modes == FORWARD_OVER_REVERSE,
            on=on,
            expected="f traced forward-over-reverse",
            got=_nesting_name(modes),
            hint=_nesting_hint(modes, calls),
            route=HVP_ROUTE,
        )
    return (
        "exact H v, forward-over-reverse, for a quadratic, an elementwise and a coupled "
        "(log-sum-exp) function."
    )


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


CHAIN_HINT = (
    "step maps a state (an array shaped like x0) to the next; pull_back(step, x_start, "
    "length, g) returns the cotangent at x_start, given the cotangent g at the state length "
    "steps later."
)
CHAIN_ROUTE = (
    "forward: run the chain without a tape, keeping only the first state of each segment of "
    "k steps (the last segment may be shorter). Backward: the cotangent of x_n is all ones "
    "(the derivative of a sum); for the segments from last to first, pull the cotangent back "
    "through the segment, re-run from its stored first state, and hand the result to the "
    "segment below. Only one segment's tape may exist at a time."
)


def _chain_value_hint(got: object, x0: np.ndarray, n: int, k: int) -> str:
    """Name the mistake when the gradient is that of a nearby chain."""
    for length, mistake in (
        (n - 1, "one step is missing: that is the gradient of a chain of n - 1 steps."),
        (n + 1, "one step too many: that is the gradient of a chain of n + 1 steps."),
    ):
        if matches(got, plain_chain_gradient(CountingStep(), x0, length), rtol=1e-9):
            return mistake
    if matches(got, plain_chain_gradient(CountingStep(), x0, min(k, n)), rtol=1e-9):
        return (
            "that is the gradient of the first segment alone, as if each segment's pull-back "
            "started from ones: it must start from the cotangent the segment above handed down."
        )
    return "this is not the gradient of sum(x_n) with respect to x0."


@exercise_check(
    "checkpointed_chain",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="make_vjp (through the sheet's pull_back), run_steps and NumPy: the "
        "checkpointing itself written by you",
        blocked=("autodidact.checkpoint", plain_chain_gradient, *FINITE_DIFFERENCES),
    ),
)
def checkpointed_chain(student: Callable) -> str:
    """The plain chain's gradient, with about n/k + k states alive and about 2n steps run."""
    x0 = np.linspace(-1.0, 1.0, 5)
    reference_step = CountingStep()
    for n, k in ((64, 8), (50, 7), (36, 12)):
        expected = plain_chain_gradient(reference_step, x0, n)
        step = CountingStep()
        on = f"n = {n} steps of x <- x (1 + 0.05 tanh x), k = {k}, x0 = {format_value(x0)}"
        got = call_student(student, step, x0, n, k, on=on, hint=CHAIN_HINT, route=CHAIN_ROUTE)
        expect_close(
            got,
            expected,
            on=on,
            what="d sum(x_n) / d x0",
            rtol=1e-9,
            atol=1e-12,
            hint=_chain_value_hint(got, x0, n, k),
            route=CHAIN_ROUTE,
        )
        allowed = -(-n // k) + k + 3
        if step.peak >= n:
            memory_hint = "all n states were alive at once: the whole chain sat on one tape."
        else:
            memory_hint = (
                "more states were alive than the stored segment starts and one segment's tape: "
                "either more than each segment's first state was kept, or a segment's tape "
                "(its vjp function) was still held while the next segment was taped."
            )
        expect(
            step.peak <= allowed,
            on=on,
            expected=f"at most about n/k + k = {allowed} states alive at once",
            got=f"{step.peak} (of {n} steps)",
            hint=memory_hint,
            route=CHAIN_ROUTE,
        )
        expect(
            step.calls <= 2 * n + k,
            on=on,
            expected=f"about 2n = {2 * n} calls of step (one forward pass, one recomputation)",
            got=f"{step.calls}",
            hint="steps were run more often than one forward pass and one re-run of each "
            "segment: a segment re-run from x0, rather than from its stored first state, pays "
            "for every step before it again.",
            route=CHAIN_ROUTE,
        )
    return "the plain chain's gradient with at most n/k + k + 3 states alive and 2n steps."


__all__ = [
    "hvp",
    "checkpointed_chain",
    "CountingStep",
    "plain_chain_gradient",
    "trace_modes",
    "watched",
]
