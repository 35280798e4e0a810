"""Jacobian-vector products of numpy.linalg: the differentials themselves.

The reverse rules in `linalg_vjps.py` start from a differential dY of the
output and move it onto dA; a forward rule *is* that differential, evaluated
at the tangent g = dA. Read the two files side by side: for the inverse,

    forward:  dY = -Y dA Y             reverse:  A_bar = -Y^T Y_bar Y^T.

A primitive with several outputs (slogdet, eigh, svd, qr, lstsq) returns one
tangent per output, None for an output with no derivative (a sign, a rank).
Forward mode computes every output's tangent, so eigh and svd check for
repeated values even when only the eigenvalues or singular values are used;
use eigvalsh or svd(A, compute_uv=False) then.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..forward import def_linear, defjvp
from ..tracer import getval
from . import linalg
from . import numpy_wrapper as anp
from .linalg_vjps import (
    FULL_MATRICES,
    REPEATED_EIGENVALUES,
    REPEATED_SINGULAR_VALUES,
    _lstsq_pinv,
    as_column,
    check_distinct,
    check_invertible,
    check_nonzero,
    cofactor_matrix,
    diagonal_of,
    from_column,
    hermitian_transpose,
    inverse_gaps,
    lower_half_mask,
    matrix_powers,
    matrix_transpose,
    norm_axes,
    norm_derivative,
    read_triangle,
    strictly_lower_mask,
    symmetrize,
)

FORWARD_EIGH = (
    " Forward mode computes the tangents of all of eigh's outputs, so it needs distinct "
    "eigenvalues even when only they are used: use eigvalsh for the eigenvalues alone."
)
FORWARD_SVD = (
    " Forward mode computes the tangents of all of svd's outputs, so it needs distinct "
    "singular values even when only S is used: use svd(A, compute_uv=False) for S alone."
)

# ---------------------------------------------------------------------------
# Linear solve: dx = A^{-1} (db - dA x).


def solve_jvp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    """dx = -A^{-1} dA x, reusing the solution x = ans."""
    if _np.ndim(getval(b)) == 1:
        return -from_column(linalg.solve(a, anp.matmul(g, as_column(ans))))
    return -linalg.solve(a, anp.matmul(g, ans))


def solve_jvp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    """dx = A^{-1} db."""
    if _np.ndim(getval(b)) == 1:
        return from_column(linalg.solve(a, as_column(g)))
    return anp.broadcast_to(linalg.solve(a, g), _np.shape(getval(ans)))


defjvp(linalg.solve, solve_jvp_a, solve_jvp_b)
defjvp(linalg.inv, lambda g, ans, a: -anp.matmul(anp.matmul(ans, g), ans))

# ---------------------------------------------------------------------------
# Determinants: d det(A) = <cof(A), dA>, d log|det A| = tr(A^{-1} dA).
defjvp(linalg.det, lambda g, ans, a: anp.sum(cofactor_matrix(a, ans) * g, axis=(-2, -1)))


def slogdet_jvp(g: Any, ans: tuple, a: Any) -> tuple:
    """(no tangent for the sign, tr(A^{-1} dA) = <A^{-T}, dA>)."""
    check_invertible(ans[0], "slogdet")
    return None, anp.sum(matrix_transpose(linalg.inv(a)) * g, axis=(-2, -1))


defjvp(linalg.slogdet_outputs, slogdet_jvp)

# ---------------------------------------------------------------------------
# Pseudo-inverse.


def pinv_tangent(g: Any, p: Any, a: Any) -> Any:
    """dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P, for P = A^+."""
    pt, gt = matrix_transpose(p), matrix_transpose(g)
    first = -anp.matmul(anp.matmul(p, g), p)
    second = anp.matmul(anp.matmul(p, pt), gt - anp.matmul(gt, anp.matmul(a, p)))
    third = anp.matmul(gt - anp.matmul(anp.matmul(p, a), gt), anp.matmul(pt, p))
    return first + second + third


defjvp(linalg.pinv, lambda g, ans, a, *args, **kwargs: pinv_tangent(g, ans, a))

# ---------------------------------------------------------------------------
# Cholesky: dL = L Phi(L^{-1} dA L^{-T}), Phi = lower triangle, diagonal halved.


def cholesky_jvp(g: Any, ans: Any, a: Any, upper: bool = False) -> Any:
    """dL = L Phi(L^{-1} sym(dA) L^{-T}); for upper=True the tangent of U = L^T is dL^T."""
    low = matrix_transpose(ans) if upper else ans
    left = linalg.solve(low, symmetrize(g))  # L^{-1} dA
    both = matrix_transpose(linalg.solve(low, matrix_transpose(left)))  # ... L^{-T}
    d_low = anp.matmul(low, lower_half_mask(a) * both)
    return matrix_transpose(d_low) if upper else d_low


defjvp(linalg.cholesky, cholesky_jvp)

# ---------------------------------------------------------------------------
# Symmetric eigendecomposition: S = V^T dA V, dw = diag(S), dV = V (F o S).


def eigh_jvp(g: Any, ans: tuple, a: Any, UPLO: str = "L") -> tuple:  # noqa: N803
    """(dw, dV) = (diag(S), V (F o S)) with S = V^H dS(A) V, F[i, j] = 1 / (w_j - w_i).

    dS(A) is the tangent of the matrix eigh reads from one triangle of A.
    """
    w, v = ans
    check_distinct(w, "eigh", "eigenvalues", REPEATED_EIGENVALUES + FORWARD_EIGH)
    s = anp.matmul(anp.matmul(hermitian_transpose(v), read_triangle(g, UPLO)), v)
    d_w = diagonal_of(s)
    if _np.iscomplexobj(getval(d_w)) and not _np.iscomplexobj(getval(w)):
        d_w = anp.real(d_w)
    return d_w, anp.matmul(v, inverse_gaps(w) * s)


def eigvalsh_jvp(g: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """dw_i = v_i^H dS(A) v_i, with the eigenvectors computed again."""
    v = linalg.eigh(a, UPLO=UPLO)[1]
    d_w = anp.sum(anp.conjugate(v) * anp.matmul(read_triangle(g, UPLO), v), axis=-2)
    return anp.real(d_w) if _np.iscomplexobj(getval(d_w)) else d_w


defjvp(linalg.eigh_outputs, eigh_jvp)
defjvp(linalg.eigvalsh, eigvalsh_jvp)

# ---------------------------------------------------------------------------
# Singular value decomposition (reduced). P = U^T dA V, F[i, j] = 1 / (s_j^2 - s_i^2).


def singular_value_tangent(g: Any, u: Any, vt: Any) -> Any:
    """ds_i = Re(u_i^H dA v_i)."""
    tangent = anp.sum(anp.conjugate(u) * anp.matmul(g, hermitian_transpose(vt)), axis=-2)
    return anp.real(tangent) if _np.iscomplexobj(getval(tangent)) else tangent


def svd_jvp(
    g: Any,
    ans: Any,
    a: Any,
    full_matrices: bool = True,
    compute_uv: bool = True,
    hermitian: bool = False,
) -> Any:
    """ds = Re diag(P), dU = U (F o (P S + S P^H)) + (I - U U^H) dA V S^{-1},
    dV = V (F o (S P + P^H S)) + (I - V V^H) dA^H U S^{-1}, returned as dVh = dV^H.

    P = U^H dA V. A complex A adds diag(i Im(P_ii) / s_i) to U^H dU: the
    phase that keeps U^H A V real (the common phase of u_i and v_i is free).
    """
    m, n = _np.shape(getval(a))[-2:]
    k = min(m, n)
    if not compute_uv:
        u, _, vt = linalg.svd(a, full_matrices=False)
        return singular_value_tangent(g, u, vt)
    if full_matrices and m != n:
        raise linalg.LinAlgError(FULL_MATRICES)
    u, s, vt = ans
    check_distinct(s, "svd", "singular values", REPEATED_SINGULAR_VALUES + FORWARD_SVD)
    ht = hermitian_transpose
    v = ht(vt)
    g_v = anp.matmul(g, v)  # dA V
    p = anp.matmul(ht(u), g_v)
    ph = ht(p)
    s_row, s_col = anp.expand_dims(s, -2), anp.expand_dims(s, -1)
    f = inverse_gaps(s**2)
    d_u = anp.matmul(u, f * (p * s_row + s_col * ph))
    d_v = anp.matmul(v, f * (s_col * p + ph * s_row))
    d_s = diagonal_of(p)
    if _np.iscomplexobj(getval(p)):
        d_u = d_u + u * (1j * anp.imag(d_s) / s_row)
        d_s = anp.real(d_s)
    if m > k:
        check_nonzero(s, "svd")
        d_u = d_u + (g_v - anp.matmul(u, p)) / s_row
    if n > k:
        check_nonzero(s, "svd")
        gh_u = anp.matmul(ht(g), u)  # dA^H U
        d_v = d_v + (gh_u - anp.matmul(v, ph)) / s_row
    return d_u, d_s, ht(d_v)


defjvp(linalg.svd_outputs, svd_jvp)

# ---------------------------------------------------------------------------
# Least squares: tangents of the primitive's outputs (x, residuals, s).


def _residual_tangent(residual: Any, d_residual: Any, residuals: Any) -> Any:
    """d ||r_j||^2 = 2 r_j^T dr_j per column; None when lstsq returned no residuals."""
    if not _np.size(getval(residuals)):
        return None
    tangent = 2 * anp.sum(residual * d_residual, axis=0)
    return anp.reshape(tangent, _np.shape(getval(residuals)))


def lstsq_jvp_a(g: Any, ans: tuple, a: Any, b: Any, rcond: Any = None) -> tuple:
    """dx = dA^+ b; d residuals = -2 r^T dA x (at the minimum); ds_i = u_i^T dA v_i."""
    x, residuals, _ = ans
    d_x = anp.matmul(pinv_tangent(g, _lstsq_pinv(a, rcond), a), b)
    residual = b - anp.matmul(a, x)
    d_residuals = _residual_tangent(residual, -anp.matmul(g, x), residuals)
    u, _, vt = linalg.svd(a, full_matrices=False)
    return d_x, d_residuals, singular_value_tangent(g, u, vt)


def lstsq_jvp_b(g: Any, ans: tuple, a: Any, b: Any, rcond: Any = None) -> tuple:
    """dx = A^+ db; d residuals = 2 r^T db; the singular values do not depend on b."""
    x, residuals, _ = ans
    d_x = anp.matmul(_lstsq_pinv(a, rcond), g)
    residual = b - anp.matmul(a, x)
    return d_x, _residual_tangent(residual, g, residuals), None


defjvp(linalg.lstsq_outputs, lstsq_jvp_a, lstsq_jvp_b)

# ---------------------------------------------------------------------------
# QR (reduced): C = Q^T dA R^{-1}, Omega = low(C) - low(C)^T,
# dR = (C - Omega) R, dQ = Q Omega + (I - Q Q^T) dA R^{-1}.


def qr_tall_tangent(q: Any, r: Any, g: Any) -> tuple:
    """(dQ, dR) of a tall or square A = Q R."""
    g_r_inv = matrix_transpose(linalg.solve(matrix_transpose(r), matrix_transpose(g)))  # dA R^-1
    c = anp.matmul(matrix_transpose(q), g_r_inv)
    lower = strictly_lower_mask(r) * c
    omega = lower - matrix_transpose(lower)
    d_r = anp.matmul(c - omega, r)
    d_q = anp.matmul(q, omega - c) + g_r_inv
    return d_q, d_r


def qr_jvp(g: Any, ans: tuple, a: Any, mode: str = "reduced") -> tuple:
    """For a wide A = [X Y]: (dQ, dR_1) from X = Q R_1, and dR_2 = dQ^T Y + Q^T dY."""
    m, n = _np.shape(getval(a))[-2:]
    if mode not in ("reduced", "complete") or (mode == "complete" and m > n):
        raise NotImplementedError(
            f"qr with mode={mode!r} has no derivative here: use mode='reduced' "
            "(the default), whose Q and R are unique for a full-rank matrix"
        )
    q, r = ans
    if m >= n:
        return qr_tall_tangent(q, r, g)
    d_q, d_r_square = qr_tall_tangent(q, r[..., :, :m], g[..., :, :m])
    d_r_rest = anp.matmul(matrix_transpose(d_q), a[..., :, m:]) + anp.matmul(
        matrix_transpose(q), g[..., :, m:]
    )
    return d_q, anp.concatenate([d_r_square, d_r_rest], axis=-1)


defjvp(linalg.qr_outputs, qr_jvp)

# ---------------------------------------------------------------------------
# Norms: d norm = sum over the reduced axes of D dx, D = d norm / dx.


def norm_jvp(g: Any, ans: Any, x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False):  # noqa: A002
    _, axes = norm_axes(x, ord, axis)
    tangent = anp.sum(
        norm_derivative(x, ans, ord, axis, keepdims) * g, axis=axes, keepdims=keepdims
    )
    return anp.real(tangent) if _np.iscomplexobj(getval(tangent)) else tangent


defjvp(linalg.norm, norm_jvp)

# ---------------------------------------------------------------------------
# Matrix power: d(A^n) = sum_k A^k dA A^(n-1-k); for n < 0 with B = A^{-1}, dB = -B dA B.


def matrix_power_jvp(g: Any, ans: Any, a: Any, n: int) -> Any:
    if n == 0:
        return anp.zeros_like(ans)
    base = a if n > 0 else linalg.inv(a)
    d_base = g if n > 0 else -anp.matmul(anp.matmul(base, g), base)
    powers = matrix_powers(base, abs(n))
    total = 0.0
    for k in range(abs(n)):
        left = d_base if powers[k] is None else anp.matmul(powers[k], d_base)
        right = powers[abs(n) - 1 - k]
        total = total + (left if right is None else anp.matmul(left, right))
    return total


defjvp(linalg.matrix_power, matrix_power_jvp)

# The trace is linear: its tangent is the trace of the tangent.
def_linear(linalg.trace)
