"""Checks for sheet 05, gradients through linear algebra.

Every expected answer is the closed form derived on the sheet; the tests of
these checks hold each closed form to central differences (see
`tests/course/test_sheet05_checks.py`). The inputs are chosen so the
usual slips show: a non-symmetric A (A^{-1} where A^{-T} belongs), a tall A
(the square-matrix formula does not apply to least squares), a non-square W
(V where V^T belongs).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autodidact.course.checking import (
    CheckFailed,
    call_student,
    exercise_check,
    expect_close,
    format_value,
    matches,
)

SHEET = "05_linear_algebra"

SOLVE_HINT = "b_bar = np.linalg.solve(A.T, x_bar) and A_bar = -np.outer(b_bar, x)."
LSTSQ_HINT = (
    "A may be tall, so it has no inverse: use the normal equations, "
    "b_bar = A (A^T A)^{-1} x_bar = A @ np.linalg.solve(A.T @ A, x_bar)."
)
SVD_HINT = "W_bar = U diag(sigma_bar) V^T, i.e. U @ np.diag(sigma_bar) @ Vt."


def _matches(got: object, candidate: np.ndarray) -> bool:
    """True when `got` is an array equal (to rounding) to `candidate`."""
    return matches(got, candidate, rtol=1e-8, atol=1e-10)


# --- solve_vjp ---------------------------------------------------------------------------------


def _solve_case(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) + n * np.eye(n)
    A[0, -1] += 1.5  # make sure A is not symmetric: A^{-1} and A^{-T} differ
    b = rng.standard_normal(n)
    x_bar = rng.standard_normal(n)
    return A, b, np.linalg.solve(A, b), x_bar


def _solve_pair(result: object, n: int, on: str) -> tuple[object, object]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(
            f"{on}: expected a pair (A_bar, b_bar) of shapes ({n}, {n}) and ({n},), "
            f"got {format_value(result)}",
            "return both adjoints, as a pair with the adjoint of A first.",
        )
    return result[0], result[1]


@exercise_check("solve_vjp", sheet=SHEET)
def solve_vjp(student: Callable) -> str:
    """b_bar = A^{-T} x_bar and A_bar = -b_bar x^T for x = solve(A, b)."""
    for seed, n in ((0, 3), (1, 5)):
        A, b, x, x_bar = _solve_case(seed, n)
        b_bar = np.linalg.solve(A.T, x_bar)
        A_bar = -np.outer(b_bar, x)
        on = f"n = {n}, A = {format_value(A, 60)}, x_bar = {format_value(x_bar, 50)}"
        got_A_bar, got_b_bar = _solve_pair(
            call_student(student, x_bar, A, x, on=on, hint=SOLVE_HINT), n, on
        )

        hint = "b_bar solves A^T b_bar = x_bar, e.g. np.linalg.solve(A.T, x_bar)."
        if _matches(got_b_bar, np.linalg.solve(A, x_bar)):
            hint = "that is A^{-1} x_bar; the adjoint needs the transpose: solve with A.T."
        elif _matches(got_b_bar, x_bar):
            hint = "b_bar is not x_bar itself: it is A^{-T} x_bar, one solve with A.T."
        expect_close(got_b_bar, b_bar, on=on, what="b_bar", hint=hint, rtol=1e-7, atol=1e-10)

        hint = "A_bar = -b_bar x^T, an outer product: -np.outer(b_bar, x)."
        if _matches(got_A_bar, -A_bar):
            hint = (
                "the sign is wrong: dx = A^{-1}(db - dA x), so A_bar = -b_bar x^T carries "
                "a minus sign."
            )
        elif _matches(got_A_bar, A_bar.T):
            hint = "that is the transpose: A_bar = -b_bar x^T, i.e. -np.outer(b_bar, x)."
        elif _matches(got_A_bar, -np.outer(np.linalg.solve(A, x_bar), x)):
            hint = "use b_bar = A^{-T} x_bar (solve with A.T) inside A_bar = -b_bar x^T."
        expect_close(got_A_bar, A_bar, on=on, what="A_bar", hint=hint, rtol=1e-7, atol=1e-10)
    return "A_bar and b_bar right for n = 3 and 5, with a non-symmetric A."


# --- lstsq_grad_b ------------------------------------------------------------------------------


@exercise_check("lstsq_grad_b", sheet=SHEET)
def lstsq_grad_b(student: Callable) -> str:
    """b_bar = A (A^T A)^{-1} x_bar for x = argmin ||A x - b||^2, A of full column rank."""
    cases = ((0, 6, 3), (1, 4, 4), (2, 9, 2))
    for seed, m, n in cases:
        rng = np.random.default_rng(seed + 10)
        A = rng.standard_normal((m, n))
        b = rng.standard_normal(m)
        x_bar = rng.standard_normal(n)
        expected = A @ np.linalg.solve(A.T @ A, x_bar)
        shape = "square" if m == n else "tall"
        on = (
            f"{shape} A of shape ({m}, {n}), b = {format_value(b, 50)}, "
            f"x_bar = {format_value(x_bar, 40)}"
        )
        got = call_student(student, A, b, x_bar, on=on, hint=LSTSQ_HINT)
        hint = (
            "x = (A^T A)^{-1} A^T b is linear in b, so b_bar = A (A^T A)^{-1} x_bar "
            f"(shape ({m},), like b)."
        )
        if _matches(got, A @ x_bar):
            hint = "you left out (A^T A)^{-1}: b_bar = A (A^T A)^{-1} x_bar."
        elif _matches(got, -expected):
            hint = "the sign is wrong: x grows with b, b_bar = +A (A^T A)^{-1} x_bar."
        expect_close(got, expected, on=on, what="b_bar", hint=hint, rtol=1e-7, atol=1e-10)
    return "b_bar right for tall and square A."


# --- singular_value_vjp ------------------------------------------------------------------------


@exercise_check("singular_value_vjp", sheet=SHEET)
def singular_value_vjp(student: Callable) -> str:
    """W_bar = U diag(sigma_bar) V^T for a loss that sees W only through its singular values."""
    for seed, shape in ((0, (3, 3)), (1, (5, 3)), (2, (2, 4))):
        rng = np.random.default_rng(seed + 20)
        W = rng.standard_normal(shape)
        U, s, Vt = np.linalg.svd(W, full_matrices=False)
        sigma_bar = rng.standard_normal(s.shape)
        expected = U @ np.diag(sigma_bar) @ Vt
        on = (
            f"W of shape {shape}, s = {format_value(s, 40)}, "
            f"sigma_bar = {format_value(sigma_bar, 40)}"
        )
        got = call_student(student, sigma_bar, U, s, Vt, on=on, hint=SVD_HINT)
        hint = f"W_bar = U diag(sigma_bar) V^T = U @ np.diag(sigma_bar) @ Vt, of shape {shape}."
        if _matches(got, U @ np.diag(sigma_bar * s) @ Vt):
            hint = "do not multiply by s: dsigma_i = u_i^T dW v_i, so W_bar = U diag(sigma_bar) V^T"
        elif shape[0] == shape[1] and _matches(got, U @ np.diag(sigma_bar) @ Vt.T):
            hint = "Vt already is V^T: use U @ np.diag(sigma_bar) @ Vt, without transposing."
        elif _matches(got, U @ np.diag(np.ones_like(s)) @ Vt):
            hint = "weight each u_i v_i^T by its sigma_bar_i: U @ np.diag(sigma_bar) @ Vt."
        expect_close(got, expected, on=on, what="W_bar", hint=hint, rtol=1e-7, atol=1e-10)
    return "W_bar right for square, tall and wide W."


__all__ = ["solve_vjp", "lstsq_grad_b", "singular_value_vjp"]
