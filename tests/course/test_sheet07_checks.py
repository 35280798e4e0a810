"""The checks of sheet 07 pass the solutions, and fail the stubs and plausible wrong answers."""

from __future__ import annotations

import numpy as np

import autodidact.numpy as anp
from autodidact import checkpoint, grad, make_vjp
from autodidact.course.checking import run_check
from autodidact.course.checks.sheet07_second_order_and_memory import (
    CountingStep,
    plain_chain_gradient,
)

from .both_ways import assert_passes, both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


def hvp(f, x, v):
    return grad(lambda x: anp.dot(grad(f)(x), v))(x)


def run_steps(step, x, count):
    for _ in range(count):
        x = step(x)
    return x


def pull_back(step, x_start, length, g):
    """Tape one segment from its first state, pull g back to that state, drop the tape."""
    vjp, _ = make_vjp(run_steps, argnum=1)(step, x_start, length)
    return vjp(g)


def checkpoints(step, x0, n, k):
    """Run the chain forwards untaped, keeping the first state of each segment of k steps."""
    starts = []
    x = x0
    for first in range(0, n, k):
        starts.append(x)
        x = run_steps(step, x, min(k, n - first))
    return starts, x


def checkpointed_chain(step, x0, n, k):
    starts, x = checkpoints(step, x0, n, k)
    g = np.ones_like(x)
    for first in reversed(range(0, n, k)):
        g = pull_back(step, starts.pop(), min(k, n - first), g)
    return g


def checkpointed_chain_keeps_two_tapes(step, x0, n, k):
    """Holds the previous segment's tape while taping the next: about n/k + 2k states."""
    starts, x = checkpoints(step, x0, n, k)
    g = np.ones_like(x)
    for first in reversed(range(0, n, k)):
        vjp, _ = make_vjp(run_steps, argnum=1)(step, starts[first // k], min(k, n - first))
        g = vjp(g)
    return g


def checkpointed_chain_with_library(step, x0, n, k):
    """The same with the library's `checkpoint`: also a right answer."""
    segments = [(start, min(k, n - start)) for start in range(0, n, k)]
    segment = {
        length: checkpoint(lambda x, length=length: run_steps(step, x, length))
        for _, length in segments
    }

    def loss(x):
        for _, length in segments:
            x = segment[length](x)
        return anp.sum(x)

    return grad(loss)(x0)


def stub(*args):
    raise NotImplementedError()


# --- plausible wrong answers --------------------------------------------------------------------


def hvp_returns_gradient(f, x, v):
    return grad(f)(x)


def hvp_elementwise(f, x, v):
    return grad(f)(x) * v


def hvp_finite_difference(f, x, v, eps=1e-6):
    return (grad(f)(x + eps * v) - grad(f)(x - eps * v)) / (2 * eps)


def checkpointed_chain_plain_tape(step, x0, n, k):
    return plain_chain_gradient(step, x0, n)


def checkpointed_chain_off_by_one(step, x0, n, k):
    return checkpointed_chain(step, x0, n - 1, k)


def checkpointed_chain_drops_cotangent(step, x0, n, k):
    starts = []
    x = x0
    for start in range(0, n, k):
        starts.append((start, x))
        x = run_steps(step, x, min(k, n - start))
    g = np.ones_like(x)
    for start, x_start in reversed(starts):
        length = min(k, n - start)
        vjp, end = make_vjp(run_steps, argnum=1)(step, x_start, length)
        g = vjp(np.ones_like(end))  # forgets the cotangent from the segments above
    return g


def checkpointed_chain_recompute_from_x0(step, x0, n, k):
    """Little memory, but recomputes every segment from x0: O(n^2 / k) steps."""
    g = np.ones_like(x0)
    for start in reversed(range(0, n, k)):
        x_start = run_steps(step, x0, start)
        length = min(k, n - start)
        vjp, _ = make_vjp(run_steps, argnum=1)(step, x_start, length)
        g = vjp(g)
    return g


SOLUTIONS = {
    "hvp": hvp,
    "checkpointed_chain": checkpointed_chain,
}

WRONG = [
    ("hvp", hvp_returns_gradient),
    ("hvp", hvp_elementwise),
    ("hvp", hvp_finite_difference),
    ("checkpointed_chain", checkpointed_chain_plain_tape),
    ("checkpointed_chain", checkpointed_chain_off_by_one),
    ("checkpointed_chain", checkpointed_chain_drops_cotangent),
    ("checkpointed_chain", checkpointed_chain_recompute_from_x0),
    ("checkpointed_chain", checkpointed_chain_keeps_two_tapes),
]

TestBothWays = both_ways("07_second_order_and_memory", SOLUTIONS, stub, WRONG)


def test_the_library_checkpoint_is_also_a_right_answer():
    assert_passes("checkpointed_chain", checkpointed_chain_with_library)


def test_hvp_returning_the_gradient_is_named():
    verdict = run_check("hvp", hvp_returns_gradient)
    assert "gradient of f, not H v" in verdict.hint, verdict.text


def test_plain_tape_is_caught_by_the_state_count():
    verdict = run_check("checkpointed_chain", checkpointed_chain_plain_tape)
    assert "states alive" in verdict.detail, verdict.text


def test_state_counter_counts_the_plain_tape_and_forgets_freed_states():
    step = CountingStep()
    x0 = np.linspace(-1, 1, 4)
    plain_chain_gradient(step, x0, 30)
    assert step.peak >= 30 and step.alive == 0
    step = CountingStep()
    run_steps(step, x0, 30)  # no tape: each state is freed by the next
    assert step.peak <= 2 and step.calls == 30
