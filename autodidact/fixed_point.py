"""Fixed points: solve x = f(x, theta) by iteration, differentiate the solution implicitly.

`fixed_point(f, x0, theta)` iterates x <- f(x, theta) from x0 until a step
changes x by less than a tolerance, and returns the fixed point x*. It
converges when f is a contraction in x near x* (the Jacobian f_x = df/dx has
spectral radius below 1 there).

Reverse mode could differentiate the iteration step by step ("unrolled"),
but that tapes every iteration, so memory grows with their number, and it
differentiates the approximation x_k rather than the solution. This
primitive differentiates the *solution* instead, by the implicit function
theorem. Differentiate x* = f(x*, theta):

    dx* = f_x dx* + f_theta dtheta   so   dx*/dtheta = (I - f_x)^{-1} f_theta.

Forward mode pushes a tangent: x_dot = f_x x_dot + f_theta theta_dot, a
fixed point in x_dot. Reverse mode pulls a cotangent g (the adjoint of x*):

    theta_bar = f_theta^T u,   where   u = g + f_x^T u,

a fixed point in u: the adjoint equation (I - f_x)^T u = g solved by the
Neumann series u = g + f_x^T g + (f_x^T)^2 g + ..., which converges at the
rate the forward iteration did. Both use only products with f_x and f_theta
at (x*, theta), which the library computes from one trace of f; how x* was
found, and from which x0, does not enter. x0 gets no derivative: x* does not
depend on it.

    x_star = fixed_point(lambda x, theta: anp.tanh(W @ x + theta), np.zeros(n), theta)

`theta` is one array, and everything f depends on that is being differentiated
must come in through it (concatenate several parameters, unpack them inside
f): a traced value that f reads from an enclosing scope is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import forward, reverse
from .tracer import getval, isbox, primitive

__all__ = ["fixed_point", "iterate_to_tolerance", "FixedPointError"]

TOLERANCE = 1e-12
MAX_ITERATIONS = 10_000


class FixedPointError(ArithmeticError):
    """An iteration did not settle within its budget of steps."""


def iterate_to_tolerance(
    step: Callable[[Any], Any],
    x: Any,
    tol: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
    what: str = "fixed_point",
) -> tuple[Any, int]:
    """Apply x <- step(x) until a step moves x by at most tol * (1 + max |x|).

    Returns (x, number of steps taken). The distance is the largest change of
    an entry, relative to the size of x (absolute for x near 0). Raises
    FixedPointError after `max_iterations` steps without convergence.
    """
    for iteration in range(1, max_iterations + 1):
        x_next = step(x)
        if np.shape(getval(x_next)) != np.shape(getval(x)):
            raise ValueError(
                f"{what}: the step returned shape {np.shape(getval(x_next))} from an x of shape "
                f"{np.shape(getval(x))}; an iteration x <- f(x, theta) needs f to return an "
                "array shaped like x"
            )
        change = np.max(np.abs(getval(x_next) - getval(x)), initial=0.0)
        if change <= tol * (1.0 + np.max(np.abs(getval(x_next)), initial=0.0)):
            return x_next, iteration
        x = x_next
    raise FixedPointError(
        f"{what} did not converge in {max_iterations} iterations (the last step changed x by "
        f"{change:.3g}): f must be a contraction near the solution (its Jacobian in x of "
        "spectral radius below 1); if it is, but slow, pass a larger max_iterations."
    )


@primitive
def fixed_point(
    f: Callable[[Any, Any], Any],
    x0: Any,
    theta: Any,
    *,
    tol: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> Any:
    """The x with x = f(x, theta), found by iterating x <- f(x, theta) from x0.

    Stops when a step changes every entry by at most tol * (1 + max |x|).
    Differentiable with respect to theta in both modes, by the implicit
    function theorem (see the module docstring): its derivative is that of
    the exact solution, found by a second iteration that converges like the
    first, in memory that does not grow with the number of steps.
    """
    x_star, _ = iterate_to_tolerance(
        lambda x: _untraced_step(f, x, theta), x0, tol, max_iterations, "fixed_point"
    )
    return x_star


def _untraced_step(f: Callable, x: Any, theta: Any) -> Any:
    """f(x, theta), which must not be traced: the primitive has unwrapped x and theta."""
    x_next = f(x, theta)
    if isbox(x_next):
        raise TypeError(
            "fixed_point: f returned a traced value although x and theta are plain, so f "
            "reads a value being differentiated from an enclosing scope (a closure over a "
            "variable being differentiated), which the implicit rule cannot see. Pass it in "
            "theta instead: one array, with several parameters concatenated and unpacked "
            "inside f."
        )
    return x_next


def fixed_point_adjoint(
    g: Any,
    ans: Any,
    f: Callable,
    x0: Any,
    theta: Any,
    *,
    tol: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> Any:
    """theta_bar = f_theta^T u, with u = g + f_x^T u iterated to convergence (at x = ans).

    One trace of f in x serves every product f_x^T u; the tape of each
    product is freed at once, so memory does not depend on how many
    iterations the forward solve or this one take.
    """
    pull_back_x, _ = reverse.make_vjp(lambda x: f(x, theta), ans)
    u, _ = iterate_to_tolerance(
        lambda u: g + pull_back_x(u), g, tol, max_iterations, "fixed_point's adjoint"
    )
    pull_back_theta, _ = reverse.make_vjp(lambda theta: f(ans, theta), theta)
    return pull_back_theta(u)


def fixed_point_tangent(
    theta_dot: Any,
    ans: Any,
    f: Callable,
    x0: Any,
    theta: Any,
    *,
    tol: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> Any:
    """x_dot = f_x x_dot + f_theta theta_dot, iterated to convergence (at x = ans)."""
    pushed = forward.make_jvp(lambda theta: f(ans, theta), theta)(theta_dot)[1]
    push_forward_x = forward.make_jvp(lambda x: f(x, theta), ans)
    x_dot, _ = iterate_to_tolerance(
        lambda v: pushed + push_forward_x(v)[1],
        pushed,
        tol,
        max_iterations,
        "fixed_point's tangent",
    )
    return x_dot


def no_derivative_in_x0(g: Any, ans: Any, f: Callable, x0: Any, theta: Any, **kwargs: Any) -> Any:
    """The solution does not depend on where the iteration started: x0_bar = 0."""
    return np.zeros(np.shape(getval(x0)), dtype=np.result_type(getval(x0), float))


def no_tangent_from_x0(
    x0_dot: Any, ans: Any, f: Callable, x0: Any, theta: Any, **kwargs: Any
) -> Any:
    """Moving x0 does not move the solution: the tangent is zero."""
    return np.zeros(np.shape(getval(ans)), dtype=np.result_type(getval(ans), float))


reverse.defvjp(fixed_point, no_derivative_in_x0, fixed_point_adjoint, argnums=(1, 2))
forward.defjvp(fixed_point, no_tangent_from_x0, fixed_point_tangent, argnums=(1, 2))
