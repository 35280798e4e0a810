"""The checks of sheet 05 pass the solutions, and fail the stubs, plausible wrong answers and
answers that let the library do the work."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import grad, make_vjp, reverse
from autodidact.course.checking import run_check
from autodidact.course.checks.sheet05_linear_algebra import lstsq_adjoints
from autodidact.finite_differences import numerical_gradient
from autodidact.numpy import linalg_jvps, linalg_vjps

from .both_ways import Shortcut, Wrong, both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


def inv_vjp(g, ans, A):
    return -ans.T @ g @ ans.T


def logdet_vjp(g, ans, A):
    return g * anp.transpose(anp.linalg.inv(A))


def lstsq_vjp(g, ans, A, b):
    z = anp.linalg.solve(A.T @ A, g)
    residual = b - A @ ans
    b_bar = A @ z
    return anp.outer(residual, z) - anp.outer(b_bar, ans), b_bar


def spectral_norm_vjp(g, ans, W):
    U, s, Vt = anp.linalg.svd(W, full_matrices=False)
    return g * anp.outer(U[:, 0], Vt[0])


def stub(*args):
    raise NotImplementedError()


SOLUTIONS = {
    "inv_vjp": inv_vjp,
    "logdet_vjp": logdet_vjp,
    "lstsq_vjp": lstsq_vjp,
    "spectral_norm_vjp": spectral_norm_vjp,
}

# --- other right answers: the checks accept every correct route -----------------------------------


def inv_vjp_plain_numpy(g, ans, A):
    return -np.transpose(ans) @ g @ np.transpose(ans)


def logdet_vjp_by_solve(g, ans, A):
    return g * anp.linalg.solve(A.T, np.eye(A.shape[0]))


def lstsq_vjp_with_inverse(g, ans, A, b):
    """Forms (A^T A)^{-1}: the sheet prefers a solve, and does not insist."""
    z = anp.linalg.inv(A.T @ A) @ g
    b_bar = A @ z
    return anp.outer(b - A @ ans, z) - anp.outer(b_bar, ans), b_bar


def lstsq_vjp_by_qr(g, ans, A, b):
    Q, R = anp.linalg.qr(A)
    w = anp.linalg.solve(R.T, g)
    z = anp.linalg.solve(R, w)
    b_bar = Q @ w
    return anp.outer(b - A @ ans, z) - anp.outer(b_bar, ans), b_bar


def spectral_norm_vjp_full_svd(g, ans, W):
    """With the full SVD: its extra singular vectors get no adjoint, so it differentiates too."""
    U, s, Vt = anp.linalg.svd(W)
    return g * anp.outer(U[:, 0], Vt[0])


@pytest.mark.parametrize(
    "name, answer",
    [
        ("inv_vjp", inv_vjp_plain_numpy),
        ("logdet_vjp", logdet_vjp_by_solve),
        ("lstsq_vjp", lstsq_vjp_with_inverse),
        ("lstsq_vjp", lstsq_vjp_by_qr),
        ("spectral_norm_vjp", spectral_norm_vjp_full_svd),
    ],
)
def test_other_right_routes_pass(name, answer):
    verdict = run_check(name, answer)
    assert verdict.status == "PASS", verdict.text


# --- plausible wrong answers --------------------------------------------------------------------


def inv_vjp_sign_error(g, ans, A):
    return ans.T @ g @ ans.T


def inv_vjp_no_transposes(g, ans, A):
    return -ans @ g @ ans


def inv_vjp_one_transpose(g, ans, A):
    return -ans.T @ g @ ans


def inv_vjp_transposed(g, ans, A):
    return -ans @ g.T @ ans


def inv_vjp_no_g(g, ans, A):
    return -ans.T @ ans.T


def inv_vjp_uses_A(g, ans, A):
    return -A.T @ g @ A.T


def inv_vjp_elementwise(g, ans, A):
    return -g * ans.T * ans.T


def inv_vjp_plain_float(g, ans, A):
    """Right values, but float() of a traced value cannot be differentiated again."""
    return np.array([[float(v) for v in row] for row in -ans.T @ g @ ans.T])


def logdet_vjp_no_transpose(g, ans, A):
    return g * np.linalg.inv(A)


def logdet_vjp_no_g(g, ans, A):
    return np.linalg.inv(A).T


def logdet_vjp_det_rule(g, ans, A):
    return g * np.linalg.det(A) * np.linalg.inv(A).T


def logdet_vjp_elementwise(g, ans, A):
    return g / A


def logdet_vjp_times_sign(g, ans, A):
    """Right for det A > 0; the sign of det A does not belong in the derivative of log|det A|."""
    return g * np.sign(np.linalg.det(A)) * np.linalg.inv(A).T


def logdet_vjp_by_own_finite_differences(g, ans, A):
    """Central differences written by hand: close, but an approximation, not a derivation."""
    eps, n = 1e-5, A.shape[0]
    derivative = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            step = np.zeros((n, n))
            step[i, j] = eps
            plus, minus = np.linalg.slogdet(A + step)[1], np.linalg.slogdet(A - step)[1]
            derivative[i, j] = (plus - minus) / (2 * eps)
    return g * derivative


def lstsq_vjp_swapped(g, ans, A, b):
    A_bar, b_bar = lstsq_vjp(g, ans, A, b)
    return b_bar, A_bar


def lstsq_vjp_swapped_and_wrong(g, ans, A, b):
    b_bar = A @ g
    return b_bar, -np.outer(b_bar, ans)


def lstsq_vjp_missing_residual(g, ans, A, b):
    b_bar = A @ np.linalg.solve(A.T @ A, g)
    return -np.outer(b_bar, ans), b_bar


def lstsq_vjp_only_residual(g, ans, A, b):
    z = np.linalg.solve(A.T @ A, g)
    return np.outer(b - A @ ans, z), A @ z


def lstsq_vjp_sign_error(g, ans, A, b):
    z = np.linalg.solve(A.T @ A, g)
    b_bar = A @ z
    return np.outer(b - A @ ans, z) + np.outer(b_bar, ans), b_bar


def lstsq_vjp_without_normal_matrix(g, ans, A, b):
    b_bar = A @ g
    return np.outer(b - A @ ans, g) - np.outer(b_bar, ans), b_bar


def lstsq_vjp_square_formula(g, ans, A, b):
    b_bar = np.linalg.solve(A.T, g)  # only defined for a square A
    return -np.outer(b_bar, ans), b_bar


def lstsq_vjp_transposed(g, ans, A, b):
    z = np.linalg.solve(A.T @ A, g)
    b_bar = A @ z
    return np.outer(z, b - A @ ans) - np.outer(ans, b_bar), b_bar


def lstsq_vjp_b_bar_only(g, ans, A, b):
    return A @ np.linalg.solve(A.T @ A, g)


def spectral_norm_vjp_last_vectors(g, ans, W):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return g * np.outer(U[:, -1], Vt[-1])


def spectral_norm_vjp_no_g(g, ans, W):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return np.outer(U[:, 0], Vt[0])


def spectral_norm_vjp_nuclear(g, ans, W):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return g * U @ Vt


def spectral_norm_vjp_frobenius(g, ans, W):
    return g * W / np.linalg.norm(W)


def spectral_norm_vjp_v_column(g, ans, W):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return g * np.outer(U[:, 0], Vt[:, 0])


def spectral_norm_vjp_times_sigma(g, ans, W):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return g * s[0] * np.outer(U[:, 0], Vt[0])


WRONG = [
    Wrong("inv_vjp", inv_vjp_sign_error, "opposite sign"),
    Wrong("inv_vjp", inv_vjp_no_transposes, "A^{-T} belongs"),
    Wrong("inv_vjp", inv_vjp_one_transpose, "right factor"),
    Wrong("inv_vjp", inv_vjp_transposed, "transpose of the right one"),
    Wrong("inv_vjp", inv_vjp_no_g, "g is missing"),
    Wrong("inv_vjp", inv_vjp_uses_A, "ans holds A^{-1}"),
    Wrong("inv_vjp", inv_vjp_elementwise, "<A_bar, dA>"),
    Wrong("logdet_vjp", logdet_vjp_no_transpose, "where its transpose belongs"),
    Wrong("logdet_vjp", logdet_vjp_no_g, "g is missing"),
    Wrong("logdet_vjp", logdet_vjp_det_rule, "gradient of det A"),
    Wrong("logdet_vjp", logdet_vjp_elementwise, "entry by entry"),
    Wrong("logdet_vjp", logdet_vjp_times_sign, "the sign of det A does not enter"),
    Wrong("logdet_vjp", logdet_vjp_by_own_finite_differences, "An approximation"),
    Wrong("lstsq_vjp", lstsq_vjp_swapped, "Both of your adjoints are right"),
    Wrong("lstsq_vjp", lstsq_vjp_swapped_and_wrong, "wrong order"),
    Wrong("lstsq_vjp", lstsq_vjp_missing_residual, "residual r = b - A x"),
    Wrong("lstsq_vjp", lstsq_vjp_only_residual, "only the residual's term"),
    Wrong("lstsq_vjp", lstsq_vjp_sign_error, "wrong sign"),
    Wrong("lstsq_vjp", lstsq_vjp_without_normal_matrix, "(A^T A)^{-1}"),
    Wrong("lstsq_vjp", lstsq_vjp_square_formula, "LinAlgError", crashes=True),
    Wrong("lstsq_vjp", lstsq_vjp_transposed, "transpose of the right one"),
    Wrong("lstsq_vjp", lstsq_vjp_b_bar_only, "adjoint of A first"),
    Wrong("spectral_norm_vjp", spectral_norm_vjp_last_vectors, "smallest singular value"),
    Wrong("spectral_norm_vjp", spectral_norm_vjp_no_g, "g is missing"),
    Wrong("spectral_norm_vjp", spectral_norm_vjp_nuclear, "nuclear norm"),
    Wrong("spectral_norm_vjp", spectral_norm_vjp_frobenius, "Frobenius"),
    Wrong("spectral_norm_vjp", spectral_norm_vjp_v_column, "first row"),
    Wrong("spectral_norm_vjp", spectral_norm_vjp_times_sigma, "do not multiply by sigma_1"),
]

# --- shortcuts: answers that let the library do the work ------------------------------------------


def inv_vjp_through_make_vjp(g, ans, A):
    vjp, _ = make_vjp(anp.linalg.inv)(A)
    return vjp(g)


def inv_vjp_through_the_registered_rule(g, ans, A):
    return reverse.vjp_rules[anp.linalg.inv][0](g, ans, A)


def inv_vjp_through_pinv_adjoint(g, ans, A):
    return linalg_vjps.pinv_adjoint(g, ans, A)


def inv_vjp_through_matrix_power(g, ans, A):
    return linalg_vjps.matrix_power_vjp(g, ans, A, -1)


def inv_vjp_through_the_jvp(g, ans, A):
    return linalg_jvps.pinv_tangent(g.T, ans, A).T


def inv_vjp_through_finite_differences(g, ans, A):
    return numerical_gradient(lambda A: np.sum(g * np.linalg.inv(A)), A)


def logdet_vjp_through_grad(g, ans, A):
    return g * grad(lambda A: anp.linalg.slogdet(A)[1])(A)


def logdet_vjp_through_slogdet_vjp(g, ans, A):
    return linalg_vjps.slogdet_vjp((0.0, g), (np.sign(np.linalg.det(A)), ans), A)


def logdet_vjp_through_cofactors(g, ans, A):
    det = np.linalg.det(A)
    return g * linalg_vjps.cofactor_matrix(A, det) / det


def logdet_vjp_through_det_rule(g, ans, A):
    det = np.linalg.det(A)
    return reverse.vjp_rules[anp.linalg.det][0](g / det, det, A)


def lstsq_vjp_through_grad(g, ans, A, b):
    loss = lambda A, b: anp.dot(g, anp.linalg.lstsq(A, b, rcond=None)[0])
    return grad(loss, argnum=(0, 1))(A, b)


def lstsq_vjp_through_the_library_rules(g, ans, A, b):
    outputs = np.linalg.lstsq(A, b, rcond=None)
    x, residuals, s = outputs[0], outputs[1], outputs[3]
    cotangents = (g, np.zeros_like(residuals), np.zeros_like(s))
    return (
        linalg_vjps.lstsq_vjp_a(cotangents, (x, residuals, s), A, b),
        linalg_vjps.lstsq_vjp_b(cotangents, (x, residuals, s), A, b),
    )


def lstsq_vjp_through_pinv_adjoint(g, ans, A, b):
    pinv = np.linalg.pinv(A)
    return linalg_vjps.pinv_adjoint(np.outer(g, b), pinv, A), pinv.T @ g


def lstsq_vjp_through_the_solve_rule(g, ans, A, b):
    """The normal equations as a solve, differentiated by the library's solve rule."""
    normal = A.T @ A
    normal_bar, rhs_bar = linalg_vjps.solve_vjp((0, 1), g, ans, normal, A.T @ b)
    A_bar = A @ (normal_bar + normal_bar.T) + np.outer(b, rhs_bar)
    return A_bar, A @ rhs_bar


def spectral_norm_vjp_through_grad(g, ans, W):
    return g * grad(lambda W: anp.linalg.norm(W, 2))(W)


def spectral_norm_vjp_through_norm_vjp(g, ans, W):
    return linalg_vjps.norm_vjp(g, ans, W, 2)


def spectral_norm_vjp_through_singular_value_adjoint(g, ans, W):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    s_bar = np.zeros_like(s)
    s_bar[0] = g
    return linalg_vjps.singular_value_adjoint(s_bar, U, Vt)


def spectral_norm_vjp_through_svd_values(g, ans, W):
    return g * grad(lambda W: anp.linalg.svd(W, compute_uv=False)[0])(W)


SHORTCUTS = [
    Shortcut("inv_vjp", inv_vjp_through_make_vjp),
    Shortcut("inv_vjp", inv_vjp_through_the_registered_rule),
    Shortcut("inv_vjp", inv_vjp_through_pinv_adjoint),
    Shortcut("inv_vjp", inv_vjp_through_matrix_power),
    Shortcut("inv_vjp", inv_vjp_through_the_jvp),
    Shortcut("inv_vjp", inv_vjp_through_finite_differences),
    Shortcut("logdet_vjp", logdet_vjp_through_grad),
    Shortcut("logdet_vjp", logdet_vjp_through_slogdet_vjp),
    Shortcut("logdet_vjp", logdet_vjp_through_cofactors),
    Shortcut("logdet_vjp", logdet_vjp_through_det_rule),
    Shortcut("lstsq_vjp", lstsq_vjp_through_grad),
    Shortcut("lstsq_vjp", lstsq_vjp_through_the_library_rules),
    Shortcut("lstsq_vjp", lstsq_vjp_through_pinv_adjoint),
    Shortcut("lstsq_vjp", lstsq_vjp_through_the_solve_rule),
    Shortcut("spectral_norm_vjp", spectral_norm_vjp_through_grad),
    Shortcut("spectral_norm_vjp", spectral_norm_vjp_through_norm_vjp),
    Shortcut("spectral_norm_vjp", spectral_norm_vjp_through_singular_value_adjoint),
    Shortcut("spectral_norm_vjp", spectral_norm_vjp_through_svd_values),
]

TestBothWays = both_ways("05_linear_algebra", SOLUTIONS, stub, WRONG, SHORTCUTS)


@pytest.mark.parametrize("shortcut", SHORTCUTS, ids=[cut.answer.__name__ for cut in SHORTCUTS])
def test_each_shortcut_would_pass_if_the_library_were_not_withheld(shortcut):
    """A shortcut proves something only if it is a right answer: the library's, not a wrong one."""
    rng = np.random.default_rng(5)
    if shortcut.name == "lstsq_vjp":
        A, b, g = rng.standard_normal((6, 3)), rng.standard_normal(6), rng.standard_normal(3)
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        got, expected = shortcut.answer(g, x, A, b), lstsq_vjp(g, x, A, b)
        assert np.allclose(got[0], expected[0]) and np.allclose(got[1], expected[1])
        return
    W = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    g = rng.standard_normal((4, 4)) if shortcut.name == "inv_vjp" else 0.7
    ans = {
        "inv_vjp": np.linalg.inv,
        "logdet_vjp": lambda W: np.linalg.slogdet(W)[1],
        "spectral_norm_vjp": lambda W: np.linalg.norm(W, 2),
    }[shortcut.name](W)
    right = SOLUTIONS[shortcut.name](g, ans, W)
    assert np.allclose(shortcut.answer(g, ans, W), right, atol=1e-6)


def test_right_values_that_cannot_be_differentiated_again_fail_in_use():
    verdict = run_check("inv_vjp", inv_vjp_plain_float)
    assert verdict.status == "FAIL" and "\n" not in verdict.text, verdict.text
    assert verdict.detail.startswith("grad through an inverse primitive"), verdict.text
    assert "turned a traced value into a plain array or number" in verdict.hint, verdict.text


# --- the first hint names the mistake and holds no formula; the route comes on request ------------


def test_a_swapped_pair_of_right_adjoints_is_called_a_swap_not_a_wrong_formula():
    verdict = run_check("lstsq_vjp", lstsq_vjp_swapped)
    assert "wrong order" in verdict.hint and "Both of your adjoints are right" in verdict.hint
    assert "residual" not in verdict.hint, verdict.text


@pytest.mark.parametrize("wrong", WRONG, ids=[w.answer.__name__ for w in WRONG])
def test_first_hints_give_no_code(wrong):
    hint = run_check(wrong.name, wrong.answer).hint
    for code in ("np.", "anp.", "@", ".T", "outer(", "solve(", "diag("):
        assert code not in hint, hint
    assert not re.search(r"return [\w.]+ *[-+*/@(]", hint), hint


@pytest.mark.parametrize(
    "name, answer, route",
    [
        ("inv_vjp", inv_vjp_sign_error, "A A^{-1} = I"),
        ("logdet_vjp", logdet_vjp_no_transpose, "Jacobi's formula"),
        ("lstsq_vjp", lstsq_vjp_missing_residual, "z = (A^T A)^{-1} g"),
        ("spectral_norm_vjp", spectral_norm_vjp_last_vectors, "singular-value rule"),
    ],
)
def test_the_route_is_the_second_level(name, answer, route):
    first = run_check(name, answer)
    assert route not in first.text and "hint=True" in first.hint, first.text
    second = run_check(name, answer, route=True)
    assert route in second.route, second.route


# --- the closed forms the checks expect agree with finite differences -----------------------------


def test_the_inverse_adjoint_matches_finite_differences():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    g = rng.standard_normal((4, 4))
    numeric = numerical_gradient(lambda A: np.sum(g * np.linalg.inv(A)), A)
    assert np.allclose(inv_vjp(g, np.linalg.inv(A), A), numeric, atol=1e-8)


@pytest.mark.parametrize("flip", [False, True], ids=["det > 0", "det < 0"])
def test_the_logdet_adjoint_matches_finite_differences(flip):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    if flip:
        A[0] = -A[0]
    assert (np.linalg.det(A) < 0) == flip
    logdet = lambda A: np.linalg.slogdet(A)[1]
    numeric = numerical_gradient(logdet, A)
    assert np.allclose(logdet_vjp(1.3, logdet(A), A), 1.3 * numeric, atol=1e-8)


@pytest.mark.parametrize("shape", [(7, 3), (4, 4)])
def test_the_lstsq_adjoints_match_finite_differences(shape):
    rng = np.random.default_rng(2)
    A, b, g = (
        rng.standard_normal(shape),
        rng.standard_normal(shape[0]),
        rng.standard_normal(shape[1]),
    )
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    loss = lambda A, b: g @ np.linalg.lstsq(A, b, rcond=None)[0]
    A_bar, b_bar = lstsq_adjoints(g, x, A, b)
    assert np.allclose(A_bar, numerical_gradient(lambda A: loss(A, b), A), atol=1e-8)
    assert np.allclose(b_bar, numerical_gradient(lambda b: loss(A, b), b), atol=1e-8)


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4)])
def test_the_spectral_norm_adjoint_matches_finite_differences(shape):
    rng = np.random.default_rng(3)
    W = rng.standard_normal(shape)
    numeric = numerical_gradient(lambda W: np.linalg.norm(W, 2), W)
    assert np.allclose(spectral_norm_vjp(-0.6, np.linalg.norm(W, 2), W), -0.6 * numeric, atol=1e-8)
