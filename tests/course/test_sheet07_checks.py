"""The checks of sheet 07 pass the solutions, and fail the stubs, plausible wrong answers and
answers that let the library do the work."""

from __future__ import annotations

import numpy as np

import autodidact
import autodidact.numpy as anp
from autodidact import checkpoint, grad, hessian, make_hvp, make_jvp, make_vjp
from autodidact.course.checking import run_check
from autodidact.course.checks.sheet07_second_order_and_memory import (
    CountingStep,
    plain_chain_gradient,
    trace_modes,
    watched,
)
from autodidact.finite_differences import numerical_gradient

from .both_ways import both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


def hvp(f, x, v):
    return make_jvp(grad(f))(x)(v)[1]


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


def stub(*args):
    raise NotImplementedError()


# --- plausible wrong answers --------------------------------------------------------------------


def hvp_returns_gradient(f, x, v):
    return grad(f)(x)


def hvp_elementwise(f, x, v):
    return grad(f)(x) * v


def hvp_finite_difference(f, x, v, eps=1e-6):
    return (grad(f)(x + eps * v) - grad(f)(x - eps * v)) / (2 * eps)


def hvp_reverse_over_reverse(f, x, v):
    """The lecture's route: right H v, but not the composition the sheet asks for."""
    return grad(lambda x: anp.dot(grad(f)(x), v))(x)


def hvp_reverse_over_forward(f, x, v):
    return grad(lambda x: make_jvp(f)(x)(v)[1])(x)


def hvp_forms_the_hessian(f, x, v):
    """Forward-over-reverse, but one JVP per column: n runs of f, the Hessian formed."""
    columns = [make_jvp(grad(f))(x)(e)[1] for e in np.eye(len(x))]
    return np.array(columns).T @ v


def checkpointed_chain_plain_tape(step, x0, n, k):
    return grad(lambda x: anp.sum(run_steps(step, x, n)))(x0)


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


def checkpointed_chain_keeps_two_tapes(step, x0, n, k):
    """Holds the previous segment's tape while taping the next: about n/k + 2k states."""
    starts, x = checkpoints(step, x0, n, k)
    g = np.ones_like(x)
    for first in reversed(range(0, n, k)):
        vjp, _ = make_vjp(run_steps, argnum=1)(step, starts[first // k], min(k, n - first))
        g = vjp(g)
    return g


# --- shortcuts: the library doing the exercise ---------------------------------------------------


def hvp_with_the_library_hvp(f, x, v):
    return autodidact.hvp(f)(x, v)


def hvp_with_make_hvp(f, x, v):
    return make_hvp(f)(x)[0](v)


def hvp_with_the_hessian(f, x, v):
    return hessian(f)(x) @ v


def hvp_with_numerical_gradient(f, x, v):
    return numerical_gradient(lambda x: np.dot(grad(f)(x), v), x)


def checkpointed_chain_with_library(step, x0, n, k):
    """The library's `checkpoint` does the checkpointing: right, but not by hand."""
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


def checkpointed_chain_with_the_check_reference(step, x0, n, k):
    return plain_chain_gradient(step, x0, n)


SOLUTIONS = {
    "hvp": hvp,
    "checkpointed_chain": checkpointed_chain,
}

WRONG = [
    ("hvp", hvp_returns_gradient, "the gradient itself"),
    ("hvp", hvp_elementwise, "entry by entry"),
    ("hvp", hvp_finite_difference, "finite difference's accuracy"),
    ("hvp", hvp_reverse_over_reverse, "reverse-over-reverse"),
    ("hvp", hvp_reverse_over_forward, "reverse-over-forward"),
    ("hvp", hvp_forms_the_hessian, "column by column"),
    ("checkpointed_chain", checkpointed_chain_plain_tape, "one tape"),
    ("checkpointed_chain", checkpointed_chain_off_by_one, "n - 1 steps"),
    ("checkpointed_chain", checkpointed_chain_drops_cotangent, "first segment alone"),
    ("checkpointed_chain", checkpointed_chain_recompute_from_x0, "rather than from its stored"),
    ("checkpointed_chain", checkpointed_chain_keeps_two_tapes, "still held"),
]

SHORTCUTS = [
    ("hvp", hvp_with_the_library_hvp),
    ("hvp", hvp_with_make_hvp),
    ("hvp", hvp_with_the_hessian),
    ("hvp", hvp_with_numerical_gradient),
    ("checkpointed_chain", checkpointed_chain_with_library),
    ("checkpointed_chain", checkpointed_chain_with_the_check_reference),
]

TestBothWays = both_ways("07_second_order_and_memory", SOLUTIONS, stub, WRONG, SHORTCUTS)


def test_the_library_hvp_is_named_as_the_shortcut():
    verdict = run_check("hvp", hvp_with_the_library_hvp)
    assert "your code called autodidact.hvp" in verdict.detail, verdict.text
    assert "make_jvp" in verdict.hint, verdict.text


def test_the_lecture_route_is_named_and_the_hint_gives_no_code():
    verdict = run_check("hvp", hvp_reverse_over_reverse)
    assert "expected f traced forward-over-reverse, got reverse-over-reverse" in verdict.detail
    assert "lecture 07" in verdict.hint and "grad(" not in verdict.hint, verdict.text


def test_the_route_of_hvp_is_maths_not_the_answer_line():
    verdict = run_check("hvp", hvp_returns_gradient, route=True)
    assert "d/de grad f(x + e v)" in verdict.route, verdict.text
    assert "make_jvp(" not in verdict.route and "[1]" not in verdict.route, verdict.text


def test_trace_modes_reads_the_nesting_from_the_outside_in():
    x, v = np.array([0.3, -0.7]), np.array([1.0, 2.0])
    for compose, modes in (
        (lambda f: make_jvp(grad(f))(x)(v)[1], ("forward", "reverse")),
        (lambda f: grad(lambda x: anp.dot(grad(f)(x), v))(x), ("reverse", "reverse")),
        (lambda f: grad(lambda x: make_jvp(f)(x)(v)[1])(x), ("reverse", "forward")),
        (lambda f: grad(f)(x), ("reverse",)),
        (lambda f: f(x), ()),
    ):
        f = watched(lambda x: anp.sum(anp.sin(x) ** 2))
        compose(f)
        assert f.nestings == [modes], (modes, f.nestings)
    assert trace_modes(1.0) == ()


def test_plain_tape_is_caught_by_the_state_count():
    verdict = run_check("checkpointed_chain", checkpointed_chain_plain_tape)
    assert "states alive" in verdict.detail, verdict.text


def test_the_library_checkpoint_is_refused_by_name():
    verdict = run_check("checkpointed_chain", checkpointed_chain_with_library)
    assert "your code called autodidact.checkpoint" in verdict.detail, verdict.text


def test_state_counter_counts_the_plain_tape_and_forgets_freed_states():
    step = CountingStep()
    x0 = np.linspace(-1, 1, 4)
    plain_chain_gradient(step, x0, 30)
    assert step.peak >= 30 and step.alive == 0
    step = CountingStep()
    run_steps(step, x0, 30)  # no tape: each state is freed by the next
    assert step.peak <= 2 and step.calls == 30
