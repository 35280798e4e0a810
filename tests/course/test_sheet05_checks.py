"""The checks of sheet 05 pass the solutions, and fail the stubs and plausible wrong answers."""

from __future__ import annotations

import numpy as np
import pytest

from autodidact.course.checking import run_check
from autodidact.finite_differences import numerical_gradient

from .both_ways import Wrong, both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


def solve_vjp(x_bar, A, x):
    b_bar = np.linalg.solve(A.T, x_bar)
    return -np.outer(b_bar, x), b_bar


def lstsq_grad_b(A, b, x_bar):
    return A @ np.linalg.solve(A.T @ A, x_bar)


def singular_value_vjp(sigma_bar, U, s, Vt):
    return U @ np.diag(sigma_bar) @ Vt


def stub(*args):
    raise NotImplementedError()


# --- plausible wrong answers --------------------------------------------------------------------


def solve_vjp_sign_error(x_bar, A, x):
    b_bar = np.linalg.solve(A.T, x_bar)
    return np.outer(b_bar, x), b_bar


def solve_vjp_no_transpose(x_bar, A, x):
    b_bar = np.linalg.solve(A, x_bar)
    return -np.outer(b_bar, x), b_bar


def solve_vjp_transposed_outer(x_bar, A, x):
    b_bar = np.linalg.solve(A.T, x_bar)
    return -np.outer(x, b_bar), b_bar


def solve_vjp_one_output(x_bar, A, x):
    return np.linalg.solve(A.T, x_bar)


def lstsq_grad_b_without_inverse(A, b, x_bar):
    return A @ x_bar


def lstsq_grad_b_square_formula(A, b, x_bar):
    return np.linalg.solve(A.T, x_bar)  # only defined for square A


def singular_value_vjp_times_s(sigma_bar, U, s, Vt):
    return U @ np.diag(sigma_bar * s) @ Vt


def singular_value_vjp_v_transposed(sigma_bar, U, s, Vt):
    return U @ np.diag(sigma_bar) @ Vt.T


SOLUTIONS = {
    "solve_vjp": solve_vjp,
    "lstsq_grad_b": lstsq_grad_b,
    "singular_value_vjp": singular_value_vjp,
}

WRONG = [
    ("solve_vjp", solve_vjp_sign_error),
    ("solve_vjp", solve_vjp_no_transpose),
    ("solve_vjp", solve_vjp_transposed_outer),
    ("solve_vjp", solve_vjp_one_output),
    ("lstsq_grad_b", lstsq_grad_b_without_inverse),
    Wrong("lstsq_grad_b", lstsq_grad_b_square_formula, crashes=True),
    ("singular_value_vjp", singular_value_vjp_times_s),
    ("singular_value_vjp", singular_value_vjp_v_transposed),
]

TestBothWays = both_ways("05_linear_algebra", SOLUTIONS, stub, WRONG)


def test_sign_error_hint_names_the_sign():
    verdict = run_check("solve_vjp", solve_vjp_sign_error)
    assert "sign" in verdict.hint, verdict.text


def test_missing_transpose_hint_names_the_transpose():
    verdict = run_check("solve_vjp", solve_vjp_no_transpose)
    assert "A.T" in verdict.hint, verdict.text


def test_missing_inverse_hint_names_it():
    verdict = run_check("lstsq_grad_b", lstsq_grad_b_without_inverse)
    assert "(A^T A)^{-1}" in verdict.hint, verdict.text


def test_times_s_hint_names_it():
    verdict = run_check("singular_value_vjp", singular_value_vjp_times_s)
    assert "multiply by s" in verdict.hint, verdict.text


# --- the closed forms the checks expect agree with finite differences -----------------------------


def test_solve_adjoints_match_finite_differences():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    b, x_bar = rng.standard_normal(4), rng.standard_normal(4)
    A_bar, b_bar = solve_vjp(x_bar, A, np.linalg.solve(A, b))
    loss_of_b = lambda b: x_bar @ np.linalg.solve(A, b)
    loss_of_A = lambda A: x_bar @ np.linalg.solve(A, b)
    assert np.allclose(b_bar, numerical_gradient(loss_of_b, b), rtol=1e-6, atol=1e-8)
    assert np.allclose(A_bar, numerical_gradient(loss_of_A, A), rtol=1e-6, atol=1e-8)


def test_lstsq_adjoint_matches_finite_differences():
    rng = np.random.default_rng(1)
    A, b, x_bar = rng.standard_normal((7, 3)), rng.standard_normal(7), rng.standard_normal(3)
    loss = lambda b: x_bar @ np.linalg.lstsq(A, b, rcond=None)[0]
    assert np.allclose(lstsq_grad_b(A, b, x_bar), numerical_gradient(loss, b), atol=1e-8)


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4)])
def test_singular_value_adjoint_matches_finite_differences(shape):
    rng = np.random.default_rng(2)
    W = rng.standard_normal(shape)
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    sigma_bar = rng.standard_normal(s.shape)
    loss = lambda W: sigma_bar @ np.linalg.svd(W, compute_uv=False)
    numeric = numerical_gradient(loss, W)
    assert np.allclose(singular_value_vjp(sigma_bar, U, s, Vt), numeric, atol=1e-7)
