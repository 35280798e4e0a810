"""Derivatives through numpy.linalg: every rule against central differences, and the formulas.

Each function is checked in both modes to second order on square,
rectangular (tall and wide) and stacked inputs. Inputs are seeded and well
conditioned; eigh and cholesky see symmetric (and for cholesky positive
definite) matrices through f(A) = eigh(sym(A)). Then the closed forms the
course teaches, and the messages for degenerate inputs.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodidact.numpy as anp
from autodidact import grad, make_jvp
from autodidact.test_util import check_grads

try:
    from autodidact.forward import defjvp  # noqa: F401

    MODES = ["fwd", "rev"]
except ImportError:  # forward mode not there yet: reverse mode only
    MODES = ["rev"]

linalg = anp.linalg
rng = np.random.default_rng(5)


def normal(*shape):
    return rng.standard_normal(shape)


def well_conditioned(*shape):
    """A random matrix (or stack), square ones kept well away from singular."""
    a = rng.standard_normal(shape)
    if shape[-1] == shape[-2]:
        a = a + 3 * np.eye(shape[-1])
    return a


def positive_definite(*shape):
    x = rng.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + np.eye(shape[-1])


def sym(a):
    return (a + anp.swapaxes(a, -1, -2)) / 2


SQUARE, TALL, WIDE, STACK, STACK_TALL = (3, 3), (5, 3), (3, 5), (2, 3, 3), (2, 4, 3)

CASES = [
    # solve: vector and matrix right-hand sides, stacks, broadcasting either way
    ("solve-vector", linalg.solve, (well_conditioned(3, 3), normal(3))),
    ("solve-matrix", linalg.solve, (well_conditioned(3, 3), normal(3, 2))),
    ("solve-stack-vector", linalg.solve, (well_conditioned(2, 3, 3), normal(3))),
    ("solve-stack-matrix", linalg.solve, (well_conditioned(2, 3, 3), normal(2, 3, 2))),
    ("solve-broadcast-a", linalg.solve, (well_conditioned(3, 3), normal(2, 3, 2))),
    ("inv", linalg.inv, (well_conditioned(*SQUARE),)),
    ("inv-stack", linalg.inv, (well_conditioned(*STACK),)),
    ("det", linalg.det, (well_conditioned(*SQUARE),)),
    ("det-stack", linalg.det, (well_conditioned(*STACK),)),
    ("det-1x1", linalg.det, (well_conditioned(1, 1),)),
    ("slogdet", lambda a: linalg.slogdet(a)[1], (well_conditioned(*STACK),)),
    ("slogdet-negative-det", lambda a: linalg.slogdet(a).logabsdet, (-well_conditioned(*SQUARE),)),
    ("pinv-square", linalg.pinv, (well_conditioned(*SQUARE),)),
    ("pinv-tall", linalg.pinv, (well_conditioned(*TALL),)),
    ("pinv-wide", linalg.pinv, (well_conditioned(*WIDE),)),
    ("pinv-stack", linalg.pinv, (well_conditioned(*STACK_TALL),)),
    ("cholesky", lambda a: linalg.cholesky(sym(a)), (positive_definite(3, 3),)),
    ("cholesky-stack", lambda a: linalg.cholesky(sym(a)), (positive_definite(2, 3, 3),)),
    ("cholesky-upper", lambda a: linalg.cholesky(sym(a), upper=True), (positive_definite(3, 3),)),
    ("eigh", lambda a: tuple(linalg.eigh(sym(a))), (normal(3, 3),)),
    ("eigh-stack", lambda a: tuple(linalg.eigh(sym(a))), (normal(2, 3, 3),)),
    ("eigh-values", lambda a: linalg.eigh(sym(a))[0], (normal(3, 3),)),
    ("eigh-upper", lambda a: tuple(linalg.eigh(sym(a), UPLO="U")), (normal(3, 3),)),
    ("eigvalsh", lambda a: linalg.eigvalsh(sym(a)), (normal(2, 3, 3),)),
    ("matrix_power-3", lambda a: linalg.matrix_power(a, 3), (normal(*SQUARE),)),
    ("matrix_power-1", lambda a: linalg.matrix_power(a, 1), (normal(*SQUARE),)),
    ("matrix_power-0", lambda a: linalg.matrix_power(a, 0), (normal(*SQUARE),)),
    ("matrix_power-neg2", lambda a: linalg.matrix_power(a, -2), (well_conditioned(*STACK),)),
    ("trace", linalg.trace, (normal(*SQUARE),)),
    ("trace-offset-wide", lambda a: linalg.trace(a, offset=1), (normal(2, 3, 4),)),
    ("trace-negative-offset", lambda a: linalg.trace(a, offset=-1), (normal(4, 3),)),
    ("lstsq-x", lambda a, b: linalg.lstsq(a, b)[0], (well_conditioned(*TALL), normal(5))),
    (
        "lstsq-all-outputs",
        lambda a, b: (lambda r: (r[0], r[1], r[3]))(linalg.lstsq(a, b)),
        (well_conditioned(*TALL), normal(5, 2)),
    ),
    ("lstsq-square", lambda a, b: linalg.lstsq(a, b)[0], (well_conditioned(*SQUARE), normal(3))),
    (
        "lstsq-wide-min-norm",
        lambda a, b: linalg.lstsq(a, b)[0],
        (well_conditioned(*WIDE), normal(3)),
    ),
]

for label, shape in [("square", SQUARE), ("tall", TALL), ("wide", WIDE), ("stack", STACK_TALL)]:
    CASES += [
        (f"svd-{label}", lambda a: tuple(linalg.svd(a, full_matrices=False)), (normal(*shape),)),
        (f"svd-values-{label}", lambda a: linalg.svd(a, compute_uv=False), (normal(*shape),)),
        (f"svdvals-{label}", linalg.svdvals, (normal(*shape),)),
        (f"qr-{label}", lambda a: tuple(linalg.qr(a)), (well_conditioned(*shape),)),
    ]
CASES += [
    ("svd-full-square", lambda a: tuple(linalg.svd(a)), (normal(*SQUARE),)),
    ("qr-wide-stack", lambda a: tuple(linalg.qr(a)), (normal(2, 3, 4),)),
]

# norms: the flat 2-norm, vector norms along an axis, matrix norms over two axes
CASES += [
    ("norm-flat", linalg.norm, (normal(3, 4),)),
    ("norm-flat-keepdims", lambda x: linalg.norm(x, keepdims=True), (normal(2, 3, 2),)),
    ("norm-vector", linalg.norm, (normal(4),)),
    ("norm-fro", lambda x: linalg.norm(x, "fro"), (normal(*WIDE),)),
    ("norm-nuc", lambda x: linalg.norm(x, "nuc"), (normal(*TALL),)),
]
for ord_ in [None, 2, 1, 3, 0.5, np.inf, -np.inf]:
    CASES.append(
        (f"norm-vector-ord{ord_}", lambda x, o=ord_: linalg.norm(x, o, axis=1), (normal(3, 4),))
    )
for ord_ in [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]:
    CASES.append(
        (
            f"norm-matrix-ord{ord_}",
            lambda x, o=ord_: linalg.norm(x, o, axis=(0, 2), keepdims=True),
            (normal(3, 2, 4),),
        )
    )
CASES.append(
    ("norm-matrix-stack", lambda x: linalg.norm(x, "nuc", axis=(-2, -1)), (normal(2, 3, 3),))
)

CASES += [
    ("matrix_norm-nuc", lambda x: linalg.matrix_norm(x, ord="nuc"), (normal(2, 3, 4),)),
    ("vector_norm-all-axes", linalg.vector_norm, (normal(2, 3, 4),)),
    (
        "vector_norm-two-axes",
        lambda x: linalg.vector_norm(x, axis=(0, 2), keepdims=True, ord=3),
        (normal(2, 3, 4),),
    ),
]


@pytest.mark.parametrize("fun, args", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_grads(fun, args):
    check_grads(fun, modes=MODES, order=2)(*args)


# ---------------------------------------------------------------------------
# Property tests: hypothesis draws the stack shape, the matrix shape and the values


def matrix_with_singular_values(batch, m, n, seed, symmetric=False):
    """Q_1 diag(s) Q_2^T with random orthogonal Q's and s in [1, 3], at least 0.4 apart."""
    draw = np.random.default_rng(seed)
    k = min(m, n)
    q1 = np.linalg.qr(draw.standard_normal(batch + (m, m)))[0][..., :, :k]
    q2 = q1 if symmetric else np.linalg.qr(draw.standard_normal(batch + (n, n)))[0][..., :, :k]
    s = 1 + 0.5 * np.arange(k)[::-1] + 0.1 * draw.uniform(size=batch + (k,))
    return (q1 * s[..., None, :]) @ np.swapaxes(q2, -1, -2)


SQUARE_ONLY = {
    "solve-vector": lambda a: linalg.solve(a, np.arange(1.0, a.shape[-1] + 1)),
    "solve-matrix": lambda a: linalg.solve(a, a[..., :1] + 1.0),  # b depends on A too
    "inv": linalg.inv,
    "det": linalg.det,
    "slogdet": lambda a: linalg.slogdet(a)[1],
    "matrix_power": lambda a: linalg.matrix_power(a, -2),
    "eigh": lambda a: tuple(linalg.eigh(sym(a))),
    "cholesky": lambda a: linalg.cholesky(sym(a)),
}
ANY_SHAPE = {
    "pinv": linalg.pinv,
    "svd": lambda a: tuple(linalg.svd(a, full_matrices=False)),
    "qr": lambda a: tuple(linalg.qr(a)),
    "norm-nuc": lambda a: linalg.norm(a, "nuc", axis=(-2, -1)),
}
SHAPE_DRAWS = st.tuples(
    st.lists(st.integers(1, 2), max_size=2).map(tuple),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
)


@pytest.mark.parametrize("name", sorted(SQUARE_ONLY) + sorted(ANY_SHAPE))
@settings(deadline=None, max_examples=12, derandomize=True)
@given(draw=SHAPE_DRAWS)
def test_property_against_finite_differences(name, draw):
    batch, m, n, seed = draw
    if name in SQUARE_ONLY:
        symmetric = name in ("eigh", "cholesky")  # cholesky: singular values > 0, so definite
        a = matrix_with_singular_values(batch, m, m, seed, symmetric)
        fun = SQUARE_ONLY[name]
    else:
        a = matrix_with_singular_values(batch, m, n, seed)
        fun = ANY_SHAPE[name]
    check_grads(fun, modes=MODES, order=2)(a)


# ---------------------------------------------------------------------------
# The formulas of the course


def test_solve_adjoints_are_the_closed_form():
    a, b, x_bar = well_conditioned(4, 4), normal(4), normal(4)
    x = np.linalg.solve(a, b)
    b_bar = np.linalg.solve(a.T, x_bar)
    loss = lambda a, b: anp.sum(x_bar * linalg.solve(a, b))  # noqa: E731
    np.testing.assert_allclose(grad(loss, 1)(a, b), b_bar, rtol=1e-10)
    np.testing.assert_allclose(grad(loss, 0)(a, b), -np.outer(b_bar, x), rtol=1e-10)


def test_solve_adjoints_for_a_stack_of_matrix_right_hand_sides():
    a, b, x_bar = well_conditioned(2, 3, 3), normal(2, 3, 4), normal(2, 3, 4)
    x = np.linalg.solve(a, b)
    b_bar = np.linalg.solve(np.swapaxes(a, -1, -2), x_bar)
    loss = lambda a, b: anp.sum(x_bar * linalg.solve(a, b))  # noqa: E731
    np.testing.assert_allclose(grad(loss, 1)(a, b), b_bar, rtol=1e-10)
    np.testing.assert_allclose(grad(loss, 0)(a, b), -b_bar @ np.swapaxes(x, -1, -2), rtol=1e-10)


@pytest.mark.parametrize("shape", [SQUARE, TALL, WIDE], ids=str)
def test_gradient_of_the_sum_of_singular_values_is_u_vt(shape):
    a = normal(*shape)
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(grad(lambda a: anp.sum(linalg.svd(a)[1]))(a), u @ vt, rtol=1e-10)
    np.testing.assert_allclose(grad(lambda a: linalg.norm(a, "nuc"))(a), u @ vt, rtol=1e-10)


def test_gradient_of_a_function_of_the_singular_values_is_u_diag_vt():
    a = normal(4, 3)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    got = grad(lambda a: anp.sum(linalg.svd(a, compute_uv=False) ** 2))(a)
    np.testing.assert_allclose(got, u @ np.diag(2 * s) @ vt, rtol=1e-10)
    np.testing.assert_allclose(got, 2 * a, rtol=1e-10)  # sum s^2 = ||A||_F^2


def test_gradient_of_log_abs_det_is_inverse_transpose():
    a = well_conditioned(2, 4, 4)
    expected = np.swapaxes(np.linalg.inv(a), -1, -2)
    np.testing.assert_allclose(grad(lambda a: anp.sum(linalg.slogdet(a)[1]))(a), expected)
    # and the determinant's: det(A) A^{-T}
    np.testing.assert_allclose(
        grad(lambda a: anp.sum(linalg.det(a)))(a),
        np.linalg.det(a)[:, None, None] * expected,
        rtol=1e-10,
    )


@pytest.mark.parametrize("b_shape", [(6,), (6, 2)], ids=str)
def test_lstsq_gradient_equals_the_pinv_route(b_shape):
    a, b = well_conditioned(6, 3), normal(*b_shape)
    x_bar = normal(*((3,) + b_shape[1:]))
    by_lstsq = lambda a, b: anp.sum(x_bar * linalg.lstsq(a, b)[0])  # noqa: E731
    by_pinv = lambda a, b: anp.sum(x_bar * (linalg.pinv(a) @ b))  # noqa: E731
    by_normal_equations = lambda a, b: anp.sum(x_bar * linalg.solve(a.T @ a, a.T @ b))  # noqa: E731
    for argnum in (0, 1):
        expected = grad(by_pinv, argnum)(a, b)
        np.testing.assert_allclose(grad(by_lstsq, argnum)(a, b), expected, rtol=1e-9)
        np.testing.assert_allclose(grad(by_normal_equations, argnum)(a, b), expected, rtol=1e-9)


def test_lstsq_residuals_gradient_is_minus_2_r_x_and_2_r():
    a, b = well_conditioned(6, 3), normal(6)
    x = np.linalg.lstsq(a, b)[0]
    r = b - a @ x
    residual = lambda a, b: linalg.lstsq(a, b)[1][0]  # noqa: E731
    np.testing.assert_allclose(grad(residual, 0)(a, b), -2 * np.outer(r, x), atol=1e-12)
    np.testing.assert_allclose(grad(residual, 1)(a, b), 2 * r, atol=1e-12)


def test_lstsq_returns_what_numpy_returns():
    for a, b in [
        (normal(5, 3), normal(5)),
        (normal(3, 5), normal(3, 2)),
        (np.ones((4, 3)), normal(4)),
    ]:
        ours, numpys = linalg.lstsq(a, b), np.linalg.lstsq(a, b)
        for got, expected in zip(ours, numpys, strict=True):
            np.testing.assert_allclose(got, expected, atol=1e-12)
        assert int(ours[2]) == int(numpys[2])


def test_cholesky_gradient_is_symmetric_and_matches_the_forward_mode():
    a = positive_definite(4, 4)
    l_bar = normal(4, 4)
    loss = lambda a: anp.sum(l_bar * linalg.cholesky(a))  # noqa: E731
    a_bar = grad(loss)(a)
    np.testing.assert_allclose(a_bar, a_bar.T)
    if "fwd" in MODES:
        direction = sym(normal(4, 4))
        _, tangent = make_jvp(loss)(a)(direction)
        np.testing.assert_allclose(tangent, np.sum(a_bar * direction), rtol=1e-10)


def test_array_api_norms_equal_numpys():
    x = normal(2, 3, 4)
    np.testing.assert_allclose(linalg.vector_norm(x), np.linalg.vector_norm(x))
    for kwargs in [dict(axis=1), dict(axis=(0, 2), keepdims=True, ord=1), dict(ord=np.inf)]:
        np.testing.assert_allclose(
            linalg.vector_norm(x, **kwargs), np.linalg.vector_norm(x, **kwargs)
        )
    for ord_ in ["fro", "nuc", 2, -np.inf]:
        np.testing.assert_allclose(
            linalg.matrix_norm(x, ord=ord_, keepdims=True),
            np.linalg.matrix_norm(x, ord=ord_, keepdims=True),
        )


def test_results_keep_float32():
    a = well_conditioned(3, 3).astype(np.float32)
    for fun in [
        lambda a: anp.sum(linalg.inv(a)),
        lambda a: linalg.det(a),
        lambda a: anp.sum(linalg.svd(a)[1]),
        lambda a: linalg.norm(a),
        lambda a: anp.sum(linalg.qr(a)[1]),
    ]:
        assert grad(fun)(a).dtype == np.float32
        assert fun(a).dtype == np.float32


def test_numpy_linalg_calls_on_traced_values_are_traced():
    a = normal(4, 3)
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(grad(lambda a: np.sum(np.linalg.svd(a).S))(a), u @ vt, rtol=1e-10)
    np.testing.assert_allclose(grad(lambda a: np.linalg.norm(a) ** 2)(a), 2 * a, rtol=1e-10)


# ---------------------------------------------------------------------------
# Degenerate inputs: a message that names the cause, never a silent NaN


def test_functions_of_repeated_singular_values_still_have_a_gradient():
    eye = np.eye(3)
    np.testing.assert_allclose(grad(lambda a: anp.sum(linalg.svd(a)[1]))(eye), eye)
    np.testing.assert_allclose(grad(lambda a: linalg.norm(a, "nuc"))(2 * eye), eye)
    np.testing.assert_allclose(grad(lambda a: anp.sum(linalg.eigh(a)[0] ** 2))(eye), 2 * eye)
    np.testing.assert_allclose(grad(lambda a: anp.sum(linalg.eigvalsh(a)))(eye), eye)


def test_singular_vectors_of_repeated_singular_values_raise():
    with pytest.raises(linalg.LinAlgError, match="repeated singular values.*U and V is undefined"):
        grad(lambda a: anp.sum(linalg.svd(a)[0]))(np.eye(3))
    with pytest.raises(linalg.LinAlgError, match="repeated singular values"):
        grad(lambda a: anp.sum(linalg.svd(a)[2]))(np.diag([2.0, 1.0, 1.0 + 1e-12]))


def test_eigenvectors_of_repeated_eigenvalues_raise():
    stack = np.stack([np.diag([1.0, 2.0, 3.0]), np.eye(3)])
    with pytest.raises(linalg.LinAlgError, match=r"repeated eigenvalues.*matrix \(1,\)"):
        grad(lambda a: anp.sum(linalg.eigh(a)[1]))(stack)


@pytest.mark.skipif("fwd" not in MODES, reason="forward mode not available")
def test_forward_mode_needs_distinct_values_and_says_what_to_use():
    eye = np.eye(3)
    with pytest.raises(linalg.LinAlgError, match="use eigvalsh"):
        make_jvp(lambda a: linalg.eigh(a)[0])(eye)(eye)
    with pytest.raises(linalg.LinAlgError, match="compute_uv=False"):
        make_jvp(lambda a: linalg.svd(a)[1])(eye)(eye)
    np.testing.assert_allclose(make_jvp(linalg.eigvalsh)(eye)(eye)[1], np.ones(3))
    np.testing.assert_allclose(make_jvp(linalg.svdvals)(eye)(eye)[1], np.ones(3))


def test_full_matrices_svd_of_a_non_square_matrix_raises_through_u():
    a = normal(4, 3)
    with pytest.raises(linalg.LinAlgError, match="full_matrices=False"):
        grad(lambda a: anp.sum(linalg.svd(a)[0]))(a)
    u, _, vt = np.linalg.svd(a, full_matrices=False)  # the singular values alone are fine
    np.testing.assert_allclose(grad(lambda a: anp.sum(linalg.svd(a)[1]))(a), u @ vt, rtol=1e-10)


def test_full_matrices_svd_of_a_non_square_matrix_differentiates_its_unique_part():
    a = normal(4, 3)
    check_grads(lambda a: linalg.svd(a)[1], modes=["rev"], order=1)(a)
    check_grads(lambda a: linalg.svd(a)[0][:, :3] * linalg.svd(a)[1], modes=["rev"], order=1)(a)
    if "fwd" in MODES:  # forward mode computes the tangent of all of U, so it must refuse
        with pytest.raises(linalg.LinAlgError, match="full_matrices=False"):
            make_jvp(lambda a: linalg.svd(a)[1])(a)(a)


def test_zero_singular_value_of_a_tall_matrix_raises_through_u():
    a = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(linalg.LinAlgError, match="zero singular value"):
        grad(lambda a: anp.sum(linalg.svd(a, full_matrices=False)[0]))(a)


def test_det_at_a_singular_matrix_is_the_cofactor_matrix():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    cofactors = np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])
    np.testing.assert_allclose(grad(linalg.det)(a), cofactors, atol=1e-12)
    check_grads(linalg.det, modes=MODES, order=2)(a)
    np.testing.assert_allclose(grad(linalg.det)(np.zeros((3, 3))), np.zeros((3, 3)))


def test_singular_matrices_raise_in_solve_inv_and_slogdet():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(linalg.LinAlgError, match="[Ss]ingular matrix"):
        grad(lambda a: anp.sum(linalg.solve(a, np.ones(2))))(singular)
    with pytest.raises(linalg.LinAlgError, match="[Ss]ingular matrix"):
        grad(lambda a: anp.sum(linalg.inv(a)))(singular)
    with pytest.raises(linalg.LinAlgError, match="singular.*log\\|det A\\| has no derivative"):
        grad(lambda a: linalg.slogdet(a)[1])(singular)


def test_matrix_2_norm_with_a_repeated_largest_singular_value_raises():
    with pytest.raises(linalg.LinAlgError, match="repeated largest singular values"):
        grad(lambda a: linalg.norm(a, 2))(np.eye(3))


def test_norm_at_zero_has_the_zero_subgradient():
    np.testing.assert_array_equal(grad(linalg.norm)(np.zeros(3)), np.zeros(3))
