"""Vector-Jacobian products of numpy.linalg: the adjoints of matrix functions.

Each rule comes from one differential. Write the function's output Y as a
function of A, take its differential dY (linear in dA), and move everything
onto dA in the inner product <Y_bar, dY> = <A_bar, dA>, using
<X, B dA C> = <B^T X C^T, dA>. For the inverse, dY = -Y dA Y, so

    <Y_bar, -Y dA Y> = <-Y^T Y_bar Y^T, dA>,   A_bar = -Y^T Y_bar Y^T.

Every rule accepts stacks of matrices: matrix products are `matmul`, a
transpose swaps the last two axes, and `unbroadcast` sums an adjoint over
batch axes that an argument was broadcast along. Rules are written in
autodidact.numpy, so they can be differentiated again (second order).

Where a derivative does not exist (a singular matrix for log|det|, repeated
singular values or eigenvalues for the singular vectors or eigenvectors) the
rule raises `LinAlgError` naming the cause, instead of returning inf or NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..reverse import defvjp, defvjp_argnums
from ..tracer import getval, isbox
from . import linalg
from . import numpy_wrapper as anp
from .numpy_boxes import all_examples
from .numpy_vjps import unbroadcast

# ---------------------------------------------------------------------------
# Helpers shared by the rules (forward mode imports them too).


def matrix_transpose(x: Any) -> Any:
    """Transpose the last two axes: X^T for each matrix of a stack."""
    return anp.swapaxes(x, -1, -2)


def symmetrize(x: Any) -> Any:
    """(X + X^T) / 2: the part of an adjoint that a symmetric input can see."""
    return (x + matrix_transpose(x)) / 2


def identity_like(x: Any, size: int | None = None) -> _np.ndarray:
    """The size x size identity matrix in x's floating dtype (size: x's last axis)."""
    size = _np.shape(getval(x))[-1] if size is None else size
    return _np.eye(size, dtype=_float_dtype(x))


def diagonal_of(x: Any) -> Any:
    """The diagonals of a stack of square matrices, shape (..., n)."""
    return anp.sum(x * identity_like(x), axis=-1)


def as_column(v: Any) -> Any:
    """A stack of vectors (..., n) as a stack of one-column matrices (..., n, 1)."""
    return anp.expand_dims(v, -1)


def from_column(v: Any) -> Any:
    """Undo `as_column`."""
    return anp.squeeze(v, -1)


def _float_dtype(x: Any) -> Any:
    return _np.result_type(getval(x), _np.float32)


def is_used(g: Any) -> bool:
    """Does the cotangent g carry anything? A plain array of zeros does not.

    Reverse mode gives the unused outputs of a primitive zeros. A Box is
    always "used": it is zero here but may depend on an outer trace.
    """
    if _np.size(getval(g)) == 0:
        return False
    return isbox(g) or bool(_np.any(getval(g) != 0))


def _relative_gap_tolerance(values: Any) -> float:
    """Gaps below this fraction of the largest value count as repeated: sqrt(machine eps)."""
    return float(_np.sqrt(_np.finfo(_float_dtype(values)).eps))


def check_distinct(values: Any, function: str, what: str, consequence: str) -> None:
    """Raise when two entries of sorted `values` (last axis) are equal, up to a relative tolerance.

    Derivatives of eigenvectors and singular vectors divide by the
    differences of their values; a repeated value makes them infinite,
    because the vectors of a repeated value may rotate freely.
    """
    v = _np.asarray(all_examples(values), dtype=float)
    if v.shape[-1] < 2:
        return
    scale = _np.max(_np.abs(v), axis=-1, keepdims=True)
    gaps = _np.abs(_np.diff(v, axis=-1))
    repeated = gaps <= _relative_gap_tolerance(values) * scale
    if _np.any(repeated):
        index = tuple(_np.argwhere(repeated)[0])
        i, batch = int(index[-1]), tuple(int(k) for k in index[:-1])
        raise linalg.LinAlgError(
            f"{function}: repeated {what} ({v[batch + (i,)]:.6g} and "
            f"{v[batch + (i + 1,)]:.6g}, equal up to a relative "
            f"{_relative_gap_tolerance(values):.1g}"
            f"{f' in matrix {batch} of the stack' if batch else ''}): {consequence}"
        )


def inverse_gaps(values: Any) -> Any:
    """F with F[i, j] = 1 / (v_j - v_i) off the diagonal and 0 on it (values distinct)."""
    eye = identity_like(values)
    differences = anp.expand_dims(values, -2) - anp.expand_dims(values, -1)
    return (1 - eye) / (differences + eye)


# ---------------------------------------------------------------------------
# Linear solve. x = A^{-1} b, dx = A^{-1} (db - dA x).


def solve_transposed(a: Any, g: Any, b: Any) -> Any:
    """b_bar = A^{-T} x_bar: one solve with A^T. A 1-D b means a vector right-hand side."""
    if _np.ndim(getval(b)) == 1:
        return from_column(linalg.solve(matrix_transpose(a), as_column(g)))
    return linalg.solve(matrix_transpose(a), g)


def solve_vjp(argnums: tuple[int, ...], g: Any, ans: Any, a: Any, b: Any) -> tuple:
    """b_bar = A^{-T} x_bar and A_bar = -b_bar x^T, from one solve with A^T.

    Both adjoints share b_bar, so the rule is registered for both arguments
    at once (`defvjp_argnums`); A_bar reuses the forward solution x = ans.
    """
    b_bar = solve_transposed(a, g, b)
    cotangents = []
    for argnum in argnums:
        if argnum == 1:
            cotangents.append(unbroadcast(b, b_bar))
        elif _np.ndim(getval(b)) == 1:
            cotangents.append(unbroadcast(a, -as_column(b_bar) * anp.expand_dims(ans, -2)))
        else:
            cotangents.append(unbroadcast(a, -anp.matmul(b_bar, matrix_transpose(ans))))
    return tuple(cotangents)


defvjp_argnums(linalg.solve, solve_vjp)

# ---------------------------------------------------------------------------
# Inverse: d(A^{-1}) = -A^{-1} dA A^{-1}.
defvjp(
    linalg.inv,
    lambda g, ans, a: -anp.matmul(anp.matmul(matrix_transpose(ans), g), matrix_transpose(ans)),
)

# ---------------------------------------------------------------------------
# Determinants. d det(A) = <cof(A), dA> with the cofactor matrix cof(A).


def cofactor_matrix(a: Any, det_a: Any) -> Any:
    """cof(A) = d det(A) / dA: det(A) A^{-T} when A is well conditioned.

    cof(A)[i, j] = (-1)^(i + j) det(A without row i and column j). For a
    singular (or nearly singular) matrix det(A) A^{-T} is 0 times infinity,
    yet the cofactors are finite: there the rule computes them from the
    minors' determinants (n^2 small determinants; fine for the small
    matrices where singular inputs happen).
    """
    plain = _np.asarray(all_examples(a))  # every example, under vmap
    n = plain.shape[-1]
    singular_values = _np.linalg.svd(plain, compute_uv=False)
    smallest, largest = singular_values[..., -1], singular_values[..., 0]
    if n == 0 or _np.all(smallest > _relative_gap_tolerance(a) * largest):
        return anp.expand_dims(anp.expand_dims(det_a, -1), -1) * matrix_transpose(linalg.inv(a))
    if n == 1:
        return _np.ones(_np.shape(getval(a)), dtype=_float_dtype(a))
    others = _np.array([[k for k in range(n) if k != i] for i in range(n)])  # (n, n - 1)
    rows_removed = anp.take(a, others, axis=-2)  # (..., n, n - 1, n): minor row sets
    minors = anp.take(rows_removed, others, axis=-1)  # (..., n, n - 1, n, n - 1)
    minors = anp.swapaxes(minors, -3, -2)  # (..., n, n, n - 1, n - 1): [i, j] drops row i, col j
    signs = (-1.0) ** _np.add.outer(_np.arange(n), _np.arange(n))
    return signs * linalg.det(minors)


def det_vjp(g: Any, ans: Any, a: Any) -> Any:
    """A_bar = g cof(A) (= g det(A) A^{-T} for an invertible A)."""
    return anp.expand_dims(anp.expand_dims(g, -1), -1) * cofactor_matrix(a, ans)


def check_invertible(sign: Any, function: str) -> None:
    """slogdet's derivative A^{-T} does not exist at a singular matrix: say so."""
    if _np.any(all_examples(sign) == 0):
        raise linalg.LinAlgError(
            f"{function}: the matrix is singular (det A = 0, log|det A| = -inf), so "
            "log|det A| has no derivative there (it would be A^{-T}). Move away from "
            "singular matrices, e.g. add a small multiple of the identity."
        )


def slogdet_vjp(g: tuple, ans: tuple, a: Any) -> Any:
    """d log|det A| = tr(A^{-1} dA), so A_bar = g_logabsdet A^{-T}; the sign has no derivative."""
    sign, _ = ans
    check_invertible(sign, "slogdet")
    g_logabsdet = g[1]
    return anp.expand_dims(anp.expand_dims(g_logabsdet, -1), -1) * matrix_transpose(linalg.inv(a))


defvjp(linalg.det, det_vjp)
defvjp(linalg.slogdet_outputs, slogdet_vjp)

# ---------------------------------------------------------------------------
# Pseudo-inverse P = A^+ (of a matrix whose rank does not change nearby):
#   dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P.


def pinv_adjoint(g: Any, p: Any, a: Any) -> Any:
    """A_bar = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A), for P = A^+.

    The first term is the inverse's rule; the other two vanish for a
    square invertible A (then A P = P A = I).
    """
    pt, gt = matrix_transpose(p), matrix_transpose(g)
    a_p = anp.matmul(a, p)
    p_a = anp.matmul(p, a)
    first = -anp.matmul(anp.matmul(pt, g), pt)
    second = anp.matmul(anp.matmul(gt - anp.matmul(a_p, gt), p), pt)
    third = anp.matmul(anp.matmul(pt, p), gt - anp.matmul(gt, p_a))
    return first + second + third


def pinv_vjp(g: Any, ans: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    """The pseudo-inverse's adjoint, with P = ans (see `pinv_adjoint`)."""
    return pinv_adjoint(g, ans, a)


defvjp(linalg.pinv, pinv_vjp)

# ---------------------------------------------------------------------------
# Cholesky: A = L L^T, L lower triangular. With Phi(X) = the lower triangle of
# X with its diagonal halved, dL = L Phi(L^{-1} dA L^{-T}).


def lower_half_mask(x: Any) -> _np.ndarray:
    """Phi as a mask: 1 below the diagonal, 1/2 on it, 0 above."""
    n = _np.shape(getval(x))[-1]
    return _np.tril(_np.ones((n, n), dtype=_float_dtype(x))) - identity_like(x) / 2


def cholesky_vjp(g: Any, ans: Any, a: Any, upper: bool = False) -> Any:
    """A_bar = sym(L^{-T} Phi(L^T L_bar) L^{-1}), where Phi keeps the lower half.

    From <L_bar, L Phi(S)> = <Phi(L^T L_bar), S> with S = L^{-1} dA L^{-T}
    (Phi is a mask, so it is its own adjoint). A is symmetric, so only the
    symmetric part of A_bar is defined: we return that.
    """
    low, low_bar = (matrix_transpose(ans), matrix_transpose(g)) if upper else (ans, g)
    lt = matrix_transpose(low)
    middle = lower_half_mask(a) * anp.matmul(lt, low_bar)
    left = linalg.solve(lt, middle)  # L^{-T} Phi(...)
    both = matrix_transpose(linalg.solve(lt, matrix_transpose(left)))  # ... L^{-1}
    return symmetrize(both)


defvjp(linalg.cholesky, cholesky_vjp)

# ---------------------------------------------------------------------------
# Symmetric eigendecomposition A = V diag(w) V^T. With S = V^T dA V:
#   dw = diag(S),  dV = V (F o S),  F[i, j] = 1 / (w_j - w_i).
# (Hermitian A: V^H in place of V^T.) eigh reads one triangle of A only (UPLO),
# so the matrix it decomposes is S(A) = tril(A) + tril(A, -1)^H for UPLO='L':
# the rules go through that map, and give the right derivative for any A.

REPEATED_EIGENVALUES = (
    "the derivative of eigh through the eigenvectors is undefined, because the "
    "eigenvectors of a repeated eigenvalue can rotate freely within their eigenspace (the "
    "rule divides by w_j - w_i). Functions of the eigenvalues alone still have a "
    "gradient: use eigvalsh, or only the eigenvalues of eigh."
)


def hermitian_transpose(x: Any) -> Any:
    """X^H, the conjugate transpose of each matrix (X^T for real X)."""
    if _np.iscomplexobj(getval(x)):
        return anp.conjugate(matrix_transpose(x))
    return matrix_transpose(x)


def read_triangle(a: Any, UPLO: str) -> Any:  # noqa: N803 (NumPy's name)
    """The Hermitian matrix eigh sees in a: tril(a, -1) + tril(a, -1)^H + Re diag(a) ('L').

    (From triu for UPLO='U'.) The imaginary part of the diagonal is ignored.
    """
    strict = anp.tril(a, -1) if UPLO.upper() == "L" else anp.triu(a, 1)
    diagonal = a * identity_like(a)
    if _np.iscomplexobj(getval(a)):
        diagonal = anp.real(diagonal)
    return strict + hermitian_transpose(strict) + diagonal


def triangle_adjoint(m: Any, UPLO: str) -> Any:  # noqa: N803
    """The adjoint of `read_triangle`: Re diag(M) + (M + M^H) on the strict triangle eigh reads.

    <M, dS> with dS = tril(dA) + tril(dA, -1)^H moves onto dA as the
    diagonal of M plus M + M^H below it (above it for UPLO='U').
    """
    eye = identity_like(m)
    strict = (
        strictly_lower_mask(m) if UPLO.upper() == "L" else matrix_transpose(strictly_lower_mask(m))
    )
    diagonal = anp.real(m) if _np.iscomplexobj(getval(m)) else m
    return diagonal * eye + (m + hermitian_transpose(m)) * strict


def eigh_vjp(g: tuple, ans: tuple, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """A_bar = read_triangle's adjoint of conj(V) (diag(w_bar) + F o (V^T V_bar)) V^T.

    F[i, j] = 1 / (w_j - w_i). For a real A the middle matrix is
    V (diag(w_bar) + F o (V^T V_bar)) V^T. Skips the eigenvector term when
    V_bar is zero, so a function of the eigenvalues alone works even when
    eigenvalues repeat.
    """
    w, v = ans
    w_bar, v_bar = g
    middle = anp.expand_dims(w_bar, -2) * identity_like(w)
    if is_used(v_bar):
        check_distinct(w, "eigh", "eigenvalues", REPEATED_EIGENVALUES)
        middle = middle + inverse_gaps(w) * anp.matmul(matrix_transpose(v), v_bar)
    left = anp.conjugate(v) if _np.iscomplexobj(getval(v)) else v
    return triangle_adjoint(anp.matmul(anp.matmul(left, middle), matrix_transpose(v)), UPLO)


def eigvalsh_vjp(g: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """A_bar = read_triangle's adjoint of conj(V) diag(w_bar) V^T, V computed again."""
    v = linalg.eigh(a, UPLO=UPLO)[1]
    left = anp.conjugate(v) if _np.iscomplexobj(getval(v)) else v
    return triangle_adjoint(anp.matmul(left * anp.expand_dims(g, -2), matrix_transpose(v)), UPLO)


defvjp(linalg.eigh_outputs, eigh_vjp)
defvjp(linalg.eigvalsh, eigvalsh_vjp)

# ---------------------------------------------------------------------------
# Singular value decomposition A = U diag(s) V^T (reduced: k = min(m, n)).
# With P = U^T dA V and F[i, j] = 1 / (s_j^2 - s_i^2):
#   ds = diag(P)
#   dU = U (F o (P S + S P^T)) + (I - U U^T) dA V S^{-1}
#   dV = V (F o (S P + P^T S)) + (I - V V^T) dA^T U S^{-1}

REPEATED_SINGULAR_VALUES = (
    "the SVD's derivative through U and V is undefined, because the singular vectors of a "
    "repeated singular value can rotate freely (the rule divides by s_j^2 - s_i^2). "
    "Functions of the singular values alone (their sum, the nuclear norm) still have a "
    "gradient: use svd(A, compute_uv=False) or only S."
)
ZERO_SINGULAR_VALUE = (
    "the SVD of a non-square matrix has a derivative through U and V only when no singular "
    "value is zero (the rule divides by s); this matrix is rank deficient."
)
FULL_MATRICES = (
    "svd with full_matrices=True of a non-square matrix: the extra columns of U (or rows "
    "of Vh) beyond min(M, N) are not unique, so they have no derivative. Use "
    "svd(A, full_matrices=False) (the reduced SVD)."
)


def singular_value_adjoint(s_bar: Any, u: Any, vt: Any) -> Any:
    """A_bar = U diag(s_bar) V^H, since ds_i = Re(u_i^H dA v_i) (a real adjoint)."""
    return anp.matmul(u * anp.expand_dims(s_bar, -2), vt)


def check_nonzero(s: Any, function: str) -> None:
    """Raise when a singular value is zero, relative to the largest."""
    plain = _np.asarray(all_examples(s), dtype=float)
    if _np.any(plain[..., -1] <= _relative_gap_tolerance(s) * plain[..., 0]):
        raise linalg.LinAlgError(f"{function}: a zero singular value: {ZERO_SINGULAR_VALUE}")


def svd_vjp(
    g: Any,
    ans: Any,
    a: Any,
    full_matrices: bool = True,
    compute_uv: bool = True,
    hermitian: bool = False,
) -> Any:
    """A_bar = U [diag(s_bar) + (J + J^H) S + S (K + K^H)] V^H + the orthogonal parts.

    J = F o (U^H U_bar), K = F o (V^H V_bar), F[i, j] = 1 / (s_j^2 - s_i^2);
    a tall A adds (I - U U^H) U_bar S^{-1} V^H, a wide A adds
    U S^{-1} V_bar^H (I - V V^H). The terms with F are skipped when U_bar
    and V_bar are zero, so functions of the singular values alone (the sum,
    the nuclear norm) have a gradient even when singular values repeat.

    For a complex A (V^H in place of V^T), the rule works with the real
    adjoints conj(U_bar), conj(Vh_bar), adds the phase term
    diag(i Im(U^H U_bar)_ii / s_i), and conjugates the result: Autograd's
    convention for complex numbers (see numpy_vjps.py).
    """
    m, n = _np.shape(getval(a))[-2:]
    k = min(m, n)
    if not compute_uv:
        u, _, vt = linalg.svd(a, full_matrices=False)
        return _conjugate_if_complex(singular_value_adjoint(g, u, vt))
    u, s, vt = ans
    u_bar, s_bar, vt_bar = g
    if full_matrices and m != n:  # only the first k columns of U (rows of Vh) are unique
        if is_used(u_bar[..., :, k:]) or is_used(vt_bar[..., k:, :]):
            raise linalg.LinAlgError(FULL_MATRICES)
        u, u_bar, vt, vt_bar = u[..., :, :k], u_bar[..., :, :k], vt[..., :k, :], vt_bar[..., :k, :]
    uses_u, uses_v = is_used(u_bar), is_used(vt_bar)
    a_bar = singular_value_adjoint(s_bar, u, vt)
    if not (uses_u or uses_v):
        return _conjugate_if_complex(a_bar)
    check_distinct(s, "svd", "singular values", REPEATED_SINGULAR_VALUES)
    u_bar, vt_bar = _conjugate_if_complex(u_bar), _conjugate_if_complex(vt_bar)
    f = inverse_gaps(s**2)
    v, ht = hermitian_transpose(vt), hermitian_transpose
    s_row, s_col = anp.expand_dims(s, -2), anp.expand_dims(s, -1)  # scale columns, rows
    middle = 0.0
    if uses_u:
        uh_u_bar = anp.matmul(ht(u), u_bar)
        j = f * uh_u_bar
        middle = middle + (j + ht(j)) * s_row
        if _np.iscomplexobj(getval(uh_u_bar)):  # the phase of each pair u_i, v_i
            middle = middle + 1j * anp.imag(uh_u_bar) * identity_like(s) / s_row
    if uses_v:
        kk = f * anp.matmul(vt, ht(vt_bar))
        middle = middle + s_col * (kk + ht(kk))
    a_bar = a_bar + anp.matmul(anp.matmul(u, middle), vt)
    if uses_u and m > k:
        check_nonzero(s, "svd")
        u_perp_bar = u_bar - anp.matmul(u, anp.matmul(ht(u), u_bar))
        a_bar = a_bar + anp.matmul(u_perp_bar / s_row, vt)
    if uses_v and n > k:
        check_nonzero(s, "svd")
        vt_perp_bar = vt_bar - anp.matmul(anp.matmul(vt_bar, v), vt)
        a_bar = a_bar + anp.matmul(u, vt_perp_bar / s_col)
    return _conjugate_if_complex(a_bar)


def _conjugate_if_complex(x: Any) -> Any:
    return anp.conjugate(x) if _np.iscomplexobj(getval(x)) else x


defvjp(linalg.svd_outputs, svd_vjp)

# ---------------------------------------------------------------------------
# Least squares: x = A^+ b minimises ||A x - b||^2. The primitive's outputs are
# (x, residuals, s), all with derivatives; the rank, an integer, has none.


def _lstsq_pinv(a: Any, rcond: Any) -> Any:
    """A^+ with the cutoff lstsq used (rcond=None: machine eps times max(M, N))."""
    if rcond is None:
        rcond = _np.finfo(_float_dtype(a)).eps * max(_np.shape(getval(a)))
    return linalg.pinv(a, rcond=rcond)


def _outer_or_matmul(x: Any, y: Any) -> Any:
    """x y^T for columns x, y; or the outer product when both are vectors."""
    if _np.ndim(getval(x)) == 1:
        return anp.expand_dims(x, -1) * anp.expand_dims(y, -2)
    return anp.matmul(x, matrix_transpose(y))


def _residual_adjoint(g_residuals: Any, residual: Any) -> Any:
    """r_bar = 2 r g: each residual sum ||r_j||^2 sends 2 r_j g_j to its column r_j."""
    if _np.ndim(getval(residual)) == 1:
        return 2 * residual * anp.sum(g_residuals)  # one residual sum, shape (1,)
    return 2 * residual * g_residuals


def lstsq_vjp_a(g: tuple, ans: tuple, a: Any, b: Any, rcond: Any = None) -> Any:
    """A_bar = pinv adjoint of x_bar b^T, - 2 r_bar x^T from the residuals, U diag(s_bar) V^T.

    x = A^+ b, so <x_bar, dA^+ b> = <x_bar b^T, dA^+>; for full column rank
    that is A_bar = -b_bar x^T + r z^T with b_bar = A^{+T} x_bar, r = b - A x,
    z = (A^T A)^{-1} x_bar. The residuals ||r||^2 depend on A at a minimum
    of ||A x - b||^2, so only their explicit dependence counts: -2 r x^T.
    """
    x, residuals, _ = ans
    x_bar, residuals_bar, s_bar = g
    a_bar = pinv_adjoint(_outer_or_matmul(x_bar, b), _lstsq_pinv(a, rcond), a)
    if _np.size(getval(residuals)) and is_used(residuals_bar):
        residual = b - anp.matmul(a, x)
        a_bar = a_bar - _outer_or_matmul(_residual_adjoint(residuals_bar, residual), x)
    if is_used(s_bar):
        u, _, vt = linalg.svd(a, full_matrices=False)
        a_bar = a_bar + singular_value_adjoint(s_bar, u, vt)
    return a_bar


def lstsq_vjp_b(g: tuple, ans: tuple, a: Any, b: Any, rcond: Any = None) -> Any:
    """b_bar = A^{+T} x_bar + 2 r g_residuals."""
    x, residuals, _ = ans
    x_bar, residuals_bar, _ = g
    b_bar = anp.matmul(matrix_transpose(_lstsq_pinv(a, rcond)), x_bar)
    if _np.size(getval(residuals)) and is_used(residuals_bar):
        residual = b - anp.matmul(a, x)
        b_bar = b_bar + _residual_adjoint(residuals_bar, residual)
    return b_bar


defvjp(linalg.lstsq_outputs, lstsq_vjp_a, lstsq_vjp_b)

# ---------------------------------------------------------------------------
# QR (reduced) of a tall or square A = Q R, R invertible. With C = Q^T dA R^{-1}
# and Omega = Q^T dQ (antisymmetric) = low(C) - low(C)^T, low = strictly lower:
#   dR = (C - Omega) R,   dQ = Q Omega + (I - Q Q^T) dA R^{-1}.


def strictly_lower_mask(x: Any) -> _np.ndarray:
    n = _np.shape(getval(x))[-1]
    return _np.tril(_np.ones((n, n), dtype=_float_dtype(x)), -1)


def right_solve_transposed(x: Any, r: Any) -> Any:
    """X R^{-T}, by one solve: (R^{-1} X^T)^T."""
    return matrix_transpose(linalg.solve(r, matrix_transpose(x)))


def qr_tall_adjoint(q: Any, r: Any, q_bar: Any, r_bar: Any) -> Any:
    """A_bar = [Q (R_bar R^T + low(M - M^T)) + (I - Q Q^T) Q_bar] R^{-T}.

    Here M = Q^T Q_bar - R_bar R^T, from <R_bar, dR> + <Q_bar, dQ> =
    <R_bar R^T, C> + <M, Omega> and <M, Omega> = <low(M - M^T), C>.
    """
    r_bar_rt = anp.matmul(r_bar, matrix_transpose(r))
    qt_q_bar = anp.matmul(matrix_transpose(q), q_bar)
    m = qt_q_bar - r_bar_rt
    inner = r_bar_rt + strictly_lower_mask(r) * (m - matrix_transpose(m))
    total = anp.matmul(q, inner - qt_q_bar) + q_bar
    return right_solve_transposed(total, r)


def qr_vjp(g: tuple, ans: tuple, a: Any, mode: str = "reduced") -> Any:
    """The reduced QR's adjoint; a wide A = [X Y] is split into X = Q R_1 and R_2 = Q^T Y.

    For a wide A, R = [R_1 R_2] with X = Q R_1 square, and R_2 = Q^T Y reads
    Q too: Q receives the extra adjoint Y R_2_bar^T, and Y_bar = Q R_2_bar.
    """
    m, n = _np.shape(getval(a))[-2:]
    if mode not in ("reduced", "complete") or (mode == "complete" and m > n):
        raise NotImplementedError(
            f"qr with mode={mode!r} has no derivative here: use mode='reduced' "
            "(the default), whose Q and R are unique for a full-rank matrix"
        )
    q, r = ans
    q_bar, r_bar = g
    if m >= n:
        return qr_tall_adjoint(q, r, q_bar, r_bar)
    y = a[..., :, m:]
    r_bar_square, r_bar_rest = r_bar[..., :, :m], r_bar[..., :, m:]
    q_bar = q_bar + anp.matmul(y, matrix_transpose(r_bar_rest))
    x_bar = qr_tall_adjoint(q, r[..., :, :m], q_bar, r_bar_square)
    return anp.concatenate([x_bar, anp.matmul(q, r_bar_rest)], axis=-1)


defvjp(linalg.qr_outputs, qr_vjp)

# ---------------------------------------------------------------------------
# Norms. The derivative D = d norm / dx (shaped like x) serves both modes:
# the VJP is g D (g copied back over the reduced axes), the JVP sum(D dx).


def norm_axes(x: Any, ord: Any, axis: Any) -> tuple[str, tuple[int, ...]]:  # noqa: A002
    """Which norm numpy.linalg.norm computes: ('flat' | 'vector' | 'matrix', reduced axes)."""
    ndim = _np.ndim(getval(x))
    if axis is None:
        if ord is None or ndim == 1:
            return ("flat" if ord is None else "vector"), tuple(range(ndim))
        return "matrix", (0, 1)
    if _np.ndim(axis) == 0:
        return "vector", (int(axis) % ndim,)
    axes = tuple(int(a) % ndim for a in axis)
    return ("vector" if len(axes) == 1 else "matrix"), axes


def _shared_among_ties(is_extreme: Any, axes: tuple[int, ...]) -> Any:
    """1 / (number of tied entries) where is_extreme, 0 elsewhere: ties share the derivative."""
    return is_extreme / anp.sum(is_extreme, axis=axes, keepdims=True)


def _matrix_norm_derivative(x: Any, value: Any, ord: Any) -> Any:  # noqa: A002
    """d ||X|| / dX for matrices in the last two axes; `value` has shape (..., 1, 1)."""
    if ord in ("fro", None):
        return x / anp.where(value == 0, 1.0, value)
    if ord in ("nuc", 2, -2):
        u, s, vt = linalg.svd(x, full_matrices=False)
        if ord == "nuc":
            return anp.matmul(u, vt)
        i = 0 if ord == 2 else -1
        neighbours = s[..., :2] if ord == 2 else s[..., -2:]
        check_distinct(
            getval(neighbours),
            "norm",
            f"{'largest' if ord == 2 else 'smallest'} singular values",
            "the matrix 2-norm has no derivative when its singular value is repeated.",
        )
        return anp.expand_dims(u[..., :, i], -1) * anp.expand_dims(vt[..., i, :], -2)
    if ord in (1, -1, _np.inf, -_np.inf):
        sum_axis = -2 if ord in (1, -1) else -1  # column sums for 1, row sums for inf
        sums = anp.sum(anp.abs(x), axis=sum_axis, keepdims=True)
        weights = _shared_among_ties(sums == value, (-2, -1))
        return unit_phase(x) * weights
    raise ValueError(f"norm: no derivative for the matrix norm ord={ord!r}")


def norm_derivative(x: Any, ans: Any, ord: Any = None, axis: Any = None, keepdims: bool = False):  # noqa: A002
    """D = d norm(x) / dx, shaped like x (taken as 0 where the norm is 0: a subgradient).

    2-norm and Frobenius: x / ||x||; p-norm: sign(x) |x|^(p-1) / ||x||^(p-1);
    max-norms: sign(x) at the largest entries; nuclear: U V^T; matrix
    2-norm: u_1 v_1^T; matrix 1- and inf-norms: sign(x) on the largest
    column or row. For complex x (sign(x) = x / |x|, V^H for V^T) these are
    the real gradients G with d norm = Re sum(conj(G) dx), and D = conj(G):
    the VJP is g D (Autograd's convention), the JVP Re sum(D dx).
    """
    return _conjugate_if_complex(_real_gradient_of_norm(x, ans, ord, axis, keepdims))


def unit_phase(x: Any) -> Any:
    """sign(x) for real x; x / |x| for complex x (differentiable there, 0 at 0)."""
    if not _np.iscomplexobj(getval(x)):
        return anp.sign(x)
    magnitude = anp.abs(x)
    return x / anp.where(magnitude == 0, 1.0, magnitude)


def _real_gradient_of_norm(x: Any, ans: Any, ord: Any, axis: Any, keepdims: bool) -> Any:  # noqa: A002
    kind, axes = norm_axes(x, ord, axis)
    value = ans if keepdims else anp.expand_dims(ans, axes)
    if kind == "matrix":
        moved = anp.moveaxis(x, axes, (-2, -1))
        derivative = _matrix_norm_derivative(moved, anp.moveaxis(value, axes, (-2, -1)), ord)
        return anp.moveaxis(derivative, (-2, -1), axes)
    if kind == "flat" or ord == 2 or ord is None:
        return x / anp.where(value == 0, 1.0, value)
    if ord == 0:
        return _np.zeros(_np.shape(getval(x)), dtype=_float_dtype(x))
    if ord in (_np.inf, -_np.inf):
        return unit_phase(x) * _shared_among_ties(anp.abs(x) == value, axes)
    if ord == 1:
        return unit_phase(x)
    safe_value = anp.where(value == 0, 1.0, value)
    return unit_phase(x) * (anp.abs(x) / safe_value) ** (ord - 1)


def norm_vjp(g: Any, ans: Any, x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False):  # noqa: A002
    """x_bar = g D, with g copied back over the reduced axes."""
    _, axes = norm_axes(x, ord, axis)
    g_full = g if keepdims else anp.expand_dims(g, axes)
    return g_full * norm_derivative(x, ans, ord, axis, keepdims)


defvjp(linalg.norm, norm_vjp)

# ---------------------------------------------------------------------------
# Matrix power: d(A^n) = sum_{k=0}^{n-1} A^k dA A^{n-1-k}; A^{-n} = (A^{-1})^n.


def matrix_powers(a: Any, count: int) -> list:
    """[I, A, A^2, ..., A^(count-1)] (the identity as None, to skip products with it)."""
    powers = [None, a] if count > 1 else [None]
    while len(powers) < count:
        powers.append(anp.matmul(powers[-1], a))
    return powers


def _times(left: Any, right: Any) -> Any:
    """left @ right, where None stands for the identity."""
    if left is None:
        return right
    if right is None:
        return left
    return anp.matmul(left, right)


def matrix_power_vjp(g: Any, ans: Any, a: Any, n: int) -> Any:
    """A_bar = sum_k (A^k)^T G (A^(n-1-k))^T.

    For n < 0 the same sum runs over B = A^{-1}, then A_bar = -B^T B_bar B^T.
    """
    if n == 0:
        return _np.zeros(_np.shape(getval(a)), dtype=_float_dtype(a))
    base = a if n > 0 else linalg.inv(a)
    powers = [p if p is None else matrix_transpose(p) for p in matrix_powers(base, abs(n))]
    base_bar = 0.0
    for k in range(abs(n)):
        base_bar = base_bar + _times(_times(powers[k], g), powers[abs(n) - 1 - k])
    if n > 0:
        return base_bar
    bt = matrix_transpose(base)
    return -anp.matmul(anp.matmul(bt, base_bar), bt)


defvjp(linalg.matrix_power, matrix_power_vjp)

# ---------------------------------------------------------------------------
# Trace of the last two axes: the adjoint puts g on the (offset) diagonal.


def trace_vjp(g: Any, ans: Any, x: Any, offset: int = 0, dtype: Any = None) -> Any:
    m, n = _np.shape(getval(x))[-2:]
    diagonal = _np.eye(m, n, offset, dtype=_float_dtype(x))
    return anp.expand_dims(anp.expand_dims(g, -1), -1) * diagonal


defvjp(linalg.trace, trace_vjp)
