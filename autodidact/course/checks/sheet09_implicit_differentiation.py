"""Checks for sheet 09: the implicit VJP, the VJP of a fixed point, and a norm safe at 0.

`implicit_vjp(F_x, F_theta, x_bar)` is held to the implicit function theorem
on matrices chosen so the usual slips show: non-symmetric F_x (a missing
transpose changes the value), a rectangular F_theta, and lecture 05's solve
as the special case F = A x - b.

`fixed_point_vjp(g, ans, f, x0, theta)` is the rule of the library's
`fixed_point`, written by the student. The check holds it

1. to the implicit function theorem, computed here from the exact Jacobians
   f_x and f_theta at the solution, on three steps f (coupled, rectangular
   in theta, elementwise) and the two of the memory test, to 1e-8;
2. to finite differences, in use: registered on a fresh copy of the
   primitive, the gradient of a loss through it along a random direction is
   compared with a central difference of the solve;
3. to a memory that does not grow with the number of iterations: its peak
   memory (tracemalloc) on a step that contracts slowly, so that the forward
   solve takes over a thousand iterations, may not exceed twice that on a
   step that takes about forty, plus 100 kB. A rule that re-runs the
   iteration from x0 on a tape grows with the iterations; one that uses f
   only at (ans, theta) does not.

`safe_norm(x)` must be a primitive with its own rule: its value is the
Euclidean (Frobenius) norm, its gradient x / ||x|| away from 0, also for
tiny x, and 0 (with no NaN) at x = 0.

While a check runs the library cannot answer for the student: its
differential operators (except `make_vjp`, which `fixed_point_vjp` is meant
to use), its finite differences, the library's own `fixed_point`, its rule
and its iteration helper, the solve rule, and the norm with its rule and
helpers. A wrong answer's first hint names the mistake in words or maths;
its second level (``route``) is the way to the answer, never the answer's line.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import autodidact.numpy as anp
from autodidact import defvjp, grad, jacobian, primitive, reverse
from autodidact.course.checking import (
    FINITE_DIFFERENCES,
    OPERATORS,
    CheckFailed,
    Shortcuts,
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
    matches,
)
from autodidact.course.checks.sheet03_reverse_mode import expect_gradients_match
from autodidact.course.shortcuts import _rule_functions
from autodidact.fixed_point import fixed_point, iterate_to_tolerance

SHEET = "09_implicit_differentiation"

# The iteration itself, taken before any check can withhold the primitive.
SOLVE = fixed_point.raw_fun
FIXED_POINT_PARTS = (
    "autodidact.fixed_point",
    "autodidact.fixed_point.fixed_point_adjoint",
    "autodidact.fixed_point.fixed_point_tangent",
    "autodidact.fixed_point.iterate_to_tolerance",
)
SOLVE_HELPERS = (
    "autodidact.numpy.linalg_vjps.solve_vjp",
    "autodidact.numpy.linalg_vjps.solve_transposed",
)
LIBRARY = (*OPERATORS, *FINITE_DIFFERENCES)


def _mistake(got: Any, candidates: list[tuple[Any, str]], otherwise: str) -> str:
    """The hint of the first candidate `got` equals (to rounding), else `otherwise`."""
    for candidate, hint in candidates:
        if matches(got, candidate, rtol=1e-8, atol=1e-11):
            return hint
    return otherwise


# --- implicit_vjp ------------------------------------------------------------------------------

IMPLICIT_ROUTE = (
    "differentiate F(x*(theta), theta) = 0 along a change dtheta: F_x dx* + F_theta dtheta = 0, "
    "which gives dx* in terms of dtheta. Then write <x_bar, dx*> as <theta_bar, dtheta>, moving "
    "each matrix across the inner product with <a, M b> = <M^T a, b>. The inverse of F_x is "
    "never needed: it appears once, applied to a vector, which is one linear solve."
)


def _implicit_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(description, F_x, F_theta, x_bar): square, lecture 05's solve, and rectangular."""
    rng = np.random.default_rng(90)
    cases = []
    for n, p in ((3, 3), (4, 4), (4, 2), (2, 5)):
        F_x = rng.standard_normal((n, n)) + n * np.eye(n)
        F_x[0, -1] += 2.0  # clearly non-symmetric: a missing transpose changes the value
        F_theta = rng.standard_normal((n, p))
        description = f"F_x of shape ({n}, {n}), F_theta of shape ({n}, {p})"
        if (n, p) == (4, 4):  # F = A x - b with theta = b: lecture 05's solve
            F_theta = -np.eye(n)
            description = "F(x, b) = A x - b (lecture 05's solve), F_x = A, F_theta = -I"
        cases.append((description, F_x, F_theta, rng.standard_normal(n)))
    return cases


def implicit_adjoint(F_x: np.ndarray, F_theta: np.ndarray, x_bar: np.ndarray) -> np.ndarray:
    """theta_bar = -F_theta^T u with F_x^T u = x_bar (the implicit function theorem)."""
    return -F_theta.T @ np.linalg.solve(F_x.T, x_bar)


@exercise_check(
    "implicit_vjp",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="a linear solve (np.linalg.solve or anp.linalg.solve), transposes, matrix "
        "products and arithmetic",
        blocked=(*LIBRARY, *SOLVE_HELPERS, *FIXED_POINT_PARTS, implicit_adjoint),
        rules_of=(anp.linalg.solve, anp.linalg.inv, fixed_point),
    ),
)
def implicit_vjp(student: Callable) -> str:
    """dx* = -F_x^{-1} F_theta dtheta, so <x_bar, dx*> = <-F_theta^T F_x^{-T} x_bar, dtheta>."""
    for description, F_x, F_theta, x_bar in _implicit_cases():
        on = f"{description}, x_bar = {format_value(x_bar, 40)}"
        got = call_student(
            student,
            F_x,
            F_theta,
            x_bar,
            on=on,
            hint="F_x is (n, n), F_theta is (n, p) and x_bar is (n,); theta_bar is (p,).",
            route=IMPLICIT_ROUTE,
        )
        expected = implicit_adjoint(F_x, F_theta, x_bar)
        candidates = [
            (
                -expected,
                "your theta_bar has the opposite sign: from F_x dx* + F_theta dtheta = 0, the "
                "change of the solution is minus F_x^{-1} F_theta dtheta.",
            ),
            (
                -F_theta.T @ np.linalg.solve(F_x, x_bar),
                "you solved with F_x where its transpose belongs: pulling x_bar back through "
                "F_x^{-1} moves it across the inner product, which transposes it.",
            ),
            (
                F_theta.T @ np.linalg.solve(F_x, x_bar),
                "two slips: the sign (the solution moves by minus F_x^{-1} F_theta dtheta) and "
                "the transpose of F_x in the solve.",
            ),
            (
                -F_theta.T @ x_bar,
                "the linear solve with F_x is missing: x* moves by F_x^{-1} applied to "
                "F_theta dtheta, not by F_theta dtheta itself.",
            ),
            (
                -F_theta.T @ F_x.T @ x_bar,
                "you multiplied by F_x where its inverse belongs: dx* = -F_x^{-1} F_theta dtheta.",
            ),
        ]
        if F_theta.shape[0] == F_theta.shape[1]:
            candidates += [
                (
                    -F_theta @ np.linalg.solve(F_x.T, x_bar),
                    "F_theta should be transposed: it moves across the inner product too.",
                ),
                (
                    -F_theta @ np.linalg.solve(F_x, x_bar),
                    "neither matrix is transposed: a VJP pulls x_bar back, and each matrix "
                    "that moves across the inner product is transposed.",
                ),
                (
                    -np.linalg.solve(F_x, F_theta @ x_bar),
                    "that is the tangent dx* for a change dtheta = x_bar, a Jacobian-vector "
                    "product; the exercise asks for the transposed product, the VJP.",
                ),
            ]
        hint = _mistake(
            got,
            candidates,
            "your theta_bar does not satisfy <theta_bar, dtheta> = <x_bar, dx*> for small "
            "changes dtheta; compare it with the expected vector entry by entry.",
        )
        expect_close(
            got,
            expected,
            on=on,
            what="theta_bar",
            hint=hint,
            route=IMPLICIT_ROUTE,
            rtol=1e-9,
            atol=1e-12,
        )
    return "right on square and rectangular F_theta, and on lecture 05's solve."


# --- fixed_point_vjp ---------------------------------------------------------------------------

FIXED_POINT_ROUTE = (
    "x* solves F(x, theta) = x - f(x, theta) = 0, so exercise 1's rule applies with "
    "F_x = I - f_x and F_theta = -f_theta: theta_bar = f_theta^T u, where (I - f_x)^T u = g. "
    "Write that equation as u = g + f_x^T u and iterate it until u stops changing (a Neumann "
    "series, which converges when the forward iteration does), or form I - f_x^T column by "
    "column and solve. make_vjp of f in x at (ans, theta) gives the products f_x^T u, one "
    "trace for all of them; one more make_vjp, in theta, gives f_theta^T u."
)
MEMORY_ROUTE = (
    "the rule needs f's derivatives only at the solution ans: trace f once at (ans, theta), "
    "then repeat backward passes through that one short trace, keeping only the current u. "
    "Nothing about the path from x0 to ans is needed."
)
CONVERGED = (
    "your theta_bar is close to the right one but not equal to it: the adjoint equation was "
    "not solved to convergence. Iterate until a step changes u by about 1e-12 of its size, "
    "rather than a fixed number of times (some steps f contract slowly)."
)


def _contraction(n: int, rate: float, seed: int) -> np.ndarray:
    """An orthogonal n x n matrix times rate: it shrinks every vector by exactly `rate`."""
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return rate * Q


def _fixed_point_cases() -> list[tuple[str, Callable, np.ndarray, np.ndarray]]:
    """(description, f, x0, theta): coupled, rectangular in theta, and elementwise."""
    rng = np.random.default_rng(91)
    W = rng.standard_normal((4, 4))
    W *= 0.8 / np.linalg.norm(W, 2)
    A = _contraction(3, 0.7, 92)
    B = rng.standard_normal((3, 2))
    return [
        (
            "f(x, theta) = tanh(W x + theta), x and theta of shape (4,)",
            lambda x, theta: anp.tanh(W @ x + theta),
            np.zeros(4),
            0.8 * rng.standard_normal(4),
        ),
        (
            "f(x, theta) = tanh(A x + B theta), x of shape (3,), theta of shape (2,)",
            lambda x, theta: anp.tanh(A @ x + B @ theta),
            np.zeros(3),
            rng.standard_normal(2),
        ),
        (
            "f(x, theta) = theta * cos(x), elementwise, shape (3,)",
            lambda x, theta: theta * anp.cos(x),
            np.ones(3),
            np.array([0.4, 0.7, -0.6]),
        ),
    ]


def _memory_case(rate: float) -> tuple[str, Callable, np.ndarray, np.ndarray]:
    """A step that contracts by about `rate` near its fixed point, x of shape (50,)."""
    n = 50
    Q = _contraction(n, rate, 93)
    theta = 0.01 * np.random.default_rng(94).standard_normal(n)
    return (
        f"f(x, theta) = {rate} Q tanh(x) + theta with Q orthogonal, x of shape ({n},)",
        lambda x, theta: Q @ anp.tanh(x) + theta,
        np.ones(n),
        theta,
    )


def _exact_adjoint_parts(f: Callable, ans: np.ndarray, theta: np.ndarray) -> tuple:
    """The Jacobians f_x and f_theta at (ans, theta), exact (reverse mode, one row each)."""
    return jacobian(f, 0)(ans, theta), jacobian(f, 1)(ans, theta)


def _expect_fixed_point_vjp(
    student: Callable, description: str, f: Callable, x0: np.ndarray, theta: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, str, int]:
    """Check the student's rule on one problem; return (ans, g, on, iterations)."""
    ans = SOLVE(f, x0, theta)
    iterations = _iterations(f, x0, theta)
    g = np.random.default_rng(seed).standard_normal(ans.shape)
    on = f"{description}, solved in {iterations} iterations from x0, g = {format_value(g, 40)}"
    f_x, f_theta = _exact_adjoint_parts(f, ans, theta)
    identity = np.eye(len(ans))
    expected = f_theta.T @ np.linalg.solve((identity - f_x).T, g)
    got = call_student(
        student,
        g,
        ans,
        f,
        x0,
        theta,
        on=on,
        hint="the rule runs on g and ans, shaped like x, the step f(x, theta), x0, and theta; "
        "it returns theta_bar, shaped like theta.",
        route=FIXED_POINT_ROUTE,
    )
    candidates = [
        (
            f_theta.T @ g,
            "you differentiated only the last application of f: theta_bar = f_theta^T g "
            "forgets that x* itself moves with theta, and f depends on x* as well.",
        ),
        (
            -expected,
            "your theta_bar has the opposite sign: with F = x - f, F_theta = -f_theta, and the "
            "rule of exercise 1 carries another minus; the two cancel.",
        ),
        (
            f_theta.T @ np.linalg.solve(identity - f_x, g),
            "you solved with I - f_x where its transpose belongs: pulling g back through "
            "(I - f_x)^{-1} transposes it, so the products you need are f_x^T u.",
        ),
        (
            f_theta.T @ np.linalg.solve((identity + f_x).T, g),
            "the series has the wrong sign: (I - f_x)^T u = g means u = g + f_x^T u, so "
            "every term adds.",
        ),
        (
            f_theta.T @ (g + f_x.T @ g),
            "you kept only the first two terms of the series: u = g + f_x^T u must be "
            "iterated until it stops changing.",
        ),
    ]
    if f_theta.shape[0] == f_theta.shape[1]:
        candidates.append(
            (
                np.linalg.solve((identity - f_x).T, g),
                "that is u, the adjoint of the equation's solution; theta_bar needs one more "
                "product, with f_theta^T.",
            )
        )
    hint = _mistake(got, candidates, "")
    if not hint:
        hint = (
            CONVERGED
            if matches(got, expected, rtol=1e-4, atol=1e-8)
            else "your theta_bar does not satisfy <theta_bar, dtheta> = <g, dx*> for small "
            "changes dtheta of theta; compare it with the expected vector entry by entry."
        )
    expect_close(
        got,
        expected,
        on=on,
        what="theta_bar",
        hint=hint,
        route=FIXED_POINT_ROUTE,
        rtol=1e-8,
        atol=1e-10,
    )
    return ans, g, on, iterations


def _iterations(f: Callable, x0: np.ndarray, theta: np.ndarray) -> int:
    """How many steps the forward solve takes from x0."""
    return iterate_to_tolerance(lambda x: f(x, theta), x0)[1]


def _peak_kilobytes(call: Callable[[], Any]) -> float:
    """The peak memory, in kB, that call() allocates beyond what was in use before."""
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not already:
            tracemalloc.stop()
    return (peak - before) / 1024


def _with_rule(rule: Callable) -> Callable:
    """A fresh copy of the fixed_point primitive whose only VJP (in theta) is `rule`."""

    def student_fixed_point(f: Callable, x0: Any, theta: Any) -> Any:
        return SOLVE(f, x0, theta)

    copy = primitive(student_fixed_point)
    defvjp(copy, rule, argnums=(2,))
    return copy


def _expect_gradient_matches_differences(student: Callable) -> None:
    """grad of <w, x*(theta)> through the student's rule against a central difference."""
    description, f, x0, theta = _fixed_point_cases()[0]
    rng = np.random.default_rng(95)
    w, v = rng.standard_normal(x0.shape), rng.standard_normal(theta.shape)
    on = f"grad of <w, x*(theta)> through a fixed_point primitive with your rule, {description}"
    solve = _with_rule(student)
    gradient = call_student(
        grad(lambda t: anp.sum(w * solve(f, x0, t))),
        theta,
        on=on,
        hint="your rule gave the right values above; here the backward pass calls it, with "
        "the same arguments, from inside grad.",
        route=FIXED_POINT_ROUTE,
    )
    eps = 1e-5
    loss = lambda t: np.sum(w * SOLVE(f, x0, t))  # noqa: E731
    difference = (loss(theta + eps * v) - loss(theta - eps * v)) / (2 * eps)
    along_v = float(np.dot(np.asarray(gradient, dtype=float).ravel(), v.ravel()))
    expect(
        bool(np.isclose(along_v, difference, rtol=1e-5, atol=1e-7)),
        on=on,
        expected=f"a derivative along a random direction of {difference:.8g} (central difference)",
        got=f"{along_v:.8g}",
        hint="the gradient through your rule disagrees with finite differences of the solve.",
        route=FIXED_POINT_ROUTE,
    )


@exercise_check(
    "fixed_point_vjp",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="make_vjp of f, a loop (or np.linalg.solve) and arithmetic",
        blocked=(
            *(name for name in LIBRARY if not name.endswith(".make_vjp")),
            *FIXED_POINT_PARTS,
            *SOLVE_HELPERS,
            _exact_adjoint_parts,
        ),
        rules_of=(fixed_point,),
    ),
)
def fixed_point_vjp(student: Callable) -> str:
    """x* = f(x*, theta): theta_bar = f_theta^T u with (I - f_x)^T u = g, at x* = ans."""
    for seed, (description, f, x0, theta) in enumerate(_fixed_point_cases()):
        _expect_fixed_point_vjp(student, description, f, x0, theta, seed)
    peaks, iterations = [], []
    for seed, rate in enumerate((0.5, 0.98)):
        description, f, x0, theta = _memory_case(rate)
        ans, g, on, count = _expect_fixed_point_vjp(student, description, f, x0, theta, seed + 10)
        peaks.append(
            _peak_kilobytes(lambda: call_student(student, g, ans, f, x0, theta, on=on))  # noqa: B023
        )
        iterations.append(count)
    limit = 2 * peaks[0] + 100
    expect(
        peaks[1] <= limit,
        on=on,
        expected=f"a peak memory that does not grow with the iterations: at most {limit:.0f} kB, "
        f"twice the {peaks[0]:.0f} kB measured on a step solved in {iterations[0]} iterations "
        "(plus 100 kB)",
        got=f"{peaks[1]:.0f} kB",
        hint=f"your rule's memory grew with the number of iterations ({iterations[0]} against "
        f"{iterations[1]}): it keeps something for every step, as a tape of the iteration "
        "from x0 does.",
        route=MEMORY_ROUTE,
    )
    _expect_gradient_matches_differences(student)
    return (
        f"right on 5 steps f, its memory does not grow from {iterations[0]} to {iterations[1]} "
        "iterations of the solve, and its gradient matches finite differences."
    )


# --- safe_norm ---------------------------------------------------------------------------------

SAFE_NORM_ROUTE = (
    "away from 0, d||x|| = <x, dx> / ||x||, so x_bar = g x / ||x||, and ans holds ||x||. At "
    "x = 0 the norm has no derivative, and the rule returns 0 there (a subgradient, and the "
    "minimum's). Divide only where ans is not 0: give the division a denominator that is "
    "never 0, then choose the result by where ans is 0."
)
NORM_HELPERS = tuple(
    f"autodidact.numpy.linalg_vjps.{name}"
    for name in ("norm_vjp", "norm_derivative", "_matrix_norm_derivative", "norm_axes")
)
SAFE_NORM_SHORTCUTS = Shortcuts(
    allowed="NumPy for the value, and autodidact.numpy (or NumPy) functions and arithmetic on "
    "g, ans and x for the rule, registered with defvjp",
    blocked=(*LIBRARY, "autodidact.numpy.linalg.norm", *NORM_HELPERS),
    rules_of=(anp.linalg.norm,),
)


def _registered_rule(student: Callable) -> Callable | None:
    """The VJP rule registered for argument 0 of `student`, if it is a primitive with one."""
    rule = reverse.vjp_rules.get(student, {}).get(0)
    return rule if rule is not None else reverse.vjp_argnum_rules.get(student)


# The library's norm and its rules, kept in a tuple: while a check runs the module's names
# are guarded, and these originals are what a student's registration would have copied.
LIBRARY_NORM = (anp.linalg.norm, *(rule for _, _, rule in _rule_functions(anp.linalg.norm)))


def _expect_a_primitive_with_its_own_rule(student: Callable, on: str) -> None:
    if student is LIBRARY_NORM[0] or any(
        rule is _registered_rule(student) for rule in LIBRARY_NORM[1:]
    ):
        raise CheckFailed(
            f"{on}: your code called the library's own rule for norm (registered for safe_norm)",
            SAFE_NORM_SHORTCUTS.advice(),
        )
    is_primitive = getattr(student, "is_primitive", False)
    expect(
        is_primitive and _registered_rule(student) is not None,
        on=on,
        expected="safe_norm to be a primitive with a VJP rule of its own",
        got="a primitive with no VJP rule" if is_primitive else "a plain function",
        hint="grad then differentiates the formula inside safe_norm, and at 0 the chain rule "
        "multiplies a zero by the infinite derivative of the square root: nan. The exercise "
        "asks for a primitive (made with the primitive decorator) with a rule registered by "
        "defvjp.",
    )


SAFE_NORM_VALUE_HINT = (
    "safe_norm(x) is the Euclidean norm, the square root of the sum of the squares of all "
    "entries (the Frobenius norm for a matrix)."
)


@exercise_check("safe_norm", sheet=SHEET, shortcuts=SAFE_NORM_SHORTCUTS)
def safe_norm(student: Callable) -> str:
    """||x|| with gradient x / ||x|| away from 0 and 0 at 0."""
    x = np.array([3.0, 4.0])
    got = call_student(student, x, on="x = [3, 4]", hint=SAFE_NORM_VALUE_HINT)
    sum_of_squares = "your value is the sum of the squares: the square root is missing."
    expect_close(
        got,
        5.0,
        on="x = [3, 4]",
        what="||x||",
        hint=sum_of_squares if matches(got, 25.0) else SAFE_NORM_VALUE_HINT,
        rtol=1e-12,
    )
    _expect_a_primitive_with_its_own_rule(student, "safe_norm")
    rng = np.random.default_rng(96)
    cases = [
        ("x = [3, 4]", x, 1.0),
        ("x of shape (2, 3)", rng.standard_normal((2, 3)), 1.0),
        ("2.5 * safe_norm(x), x of shape (3,)", rng.standard_normal(3), 2.5),
        ("x = [3e-10, 4e-10], tiny but not 0", np.array([3e-10, 4e-10]), 1.0),
    ]
    for on, x, scale in cases:
        value = call_student(student, x, on=on, hint=SAFE_NORM_VALUE_HINT)
        expect_close(value, np.sqrt(np.sum(x**2)), on=on, what="||x||", hint=SAFE_NORM_VALUE_HINT)
        got = call_student(
            grad(lambda x, scale=scale: scale * student(x)),
            x,
            on=on,
            hint="the rule runs on g (a number), ans = ||x|| and x, and returns x_bar shaped "
            "like x.",
            route=SAFE_NORM_ROUTE,
        )
        expected = scale * x / np.sqrt(np.sum(x**2))
        if matches(got, expected / scale) and scale != 1.0:
            hint = (
                f"your gradient is right for g = 1 but not here, where the adjoint of the "
                f"output is g = {scale}: a VJP multiplies by the incoming g."
            )
        elif matches(got, scale * x):
            hint = "your x_bar is missing the division by ||x||: d||x|| = <x, dx> / ||x||."
        elif "tiny" in on and matches(got, expected, rtol=1e-2, atol=1e-3):
            hint = (
                "near 0 your gradient is not quite a unit vector: a small number added to "
                "the norm before dividing changes x / ||x|| where ||x|| is small. Treat "
                "exactly 0 apart instead."
            )
        elif "tiny" in on:
            hint = (
                "at a tiny x that is not 0 the gradient is still the unit vector x / ||x||; "
                "only x = 0 itself is special."
            )
        else:
            hint = "away from 0 the gradient of ||x|| is x / ||x||, times g."
        expect_close(
            got, expected, on=on, what="gradient", hint=hint, route=SAFE_NORM_ROUTE, rtol=1e-9
        )
    for shape in ((3,), (2, 2)):
        on = f"x = 0 of shape {shape}"
        zero = np.zeros(shape)
        value = call_student(student, zero, on=on, hint=SAFE_NORM_VALUE_HINT)
        expect_close(value, 0.0, on=on, what="||x||", hint=SAFE_NORM_VALUE_HINT)
        got = call_student(grad(student), zero, on=on, hint="", route=SAFE_NORM_ROUTE)
        got_array = np.asarray(got, dtype=float)
        if np.shape(got_array) == shape and not np.all(np.isfinite(got_array)):
            hint = (
                "at x = 0 your gradient is not a number: ||x|| = 0 there, and x / ||x|| is "
                "0 / 0. The rule must treat a norm of 0 apart and return the subgradient 0, "
                "without dividing by 0."
            )
        else:
            hint = (
                "at x = 0 the rule should return 0: the norm has no derivative there, and 0 "
                "is the subgradient the exercise asks for."
            )
        expect_close(got, zero, on=on, what="gradient", hint=hint, route=SAFE_NORM_ROUTE, atol=0.0)
    x = rng.standard_normal(4)
    expect_gradients_match(
        student,
        x,
        order=1,
        on=f"gradients of safe_norm against finite differences, x = {format_value(x, 40)}",
        hint="your rule gave the right values above; here check_grads uses it in reverse mode.",
        route=SAFE_NORM_ROUTE,
    )
    return "the norm, x / ||x|| away from 0 (tiny x too), 0 without NaN at 0, for g != 1."
