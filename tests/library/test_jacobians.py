"""Jacobians in both orders, Hessians and Hessian-vector products.

jacfwd (one JVP per input entry) and jacrev (one VJP per output entry) must
agree with each other and with central differences for any input and output
shapes; the Hessian and H v must agree with Hessians known in closed form.
"""

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import (
    grad,
    hessian,
    hessian_tensor_product,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    make_hvp,
    make_jvp,
)

rng = np.random.default_rng(1)
A = rng.standard_normal((4, 3))
B = rng.standard_normal((3, 3))


def numerical_jacobian(fun, x, eps=1e-6):
    """Central differences, one input entry at a time, shaped out.shape + in.shape."""
    x = np.asarray(x, dtype=float)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        columns.append((np.asarray(fun(x + step)) - np.asarray(fun(x - step))) / (2 * eps))
    out_shape = np.shape(fun(x))
    return np.reshape(np.stack(columns, axis=-1), out_shape + x.shape)


# (name, function, input): scalars, vectors, matrices and 3-d arrays in and out
FUNCTIONS = [
    ("scalar-to-scalar", lambda x: anp.sin(x) * x**2, 0.7),
    ("scalar-to-vector", lambda x: anp.array([x, x**2, anp.exp(x)]), 0.3),
    ("scalar-to-matrix", lambda x: anp.tanh(x * A), -0.4),
    ("vector-to-scalar", lambda x: anp.sum(anp.tanh(A @ x) ** 2), rng.standard_normal(3)),
    ("vector-to-vector-tall", lambda x: anp.tanh(A @ x), rng.standard_normal(3)),
    ("vector-to-vector-wide", lambda x: anp.sin(A.T @ x), rng.standard_normal(4)),
    ("vector-to-matrix", lambda x: anp.outer(x, anp.cos(x)), rng.standard_normal(3)),
    ("matrix-to-scalar", lambda X: anp.sum(X @ X.T) + anp.prod(anp.cos(X)), B),
    ("matrix-to-vector", lambda X: anp.sum(anp.exp(X) * B, axis=0), B),
    ("matrix-to-matrix", lambda X: X @ B @ X, B / 2),
    ("matrix-to-3d", lambda X: anp.stack([X, X**2, anp.sin(X).T]), rng.standard_normal((2, 2))),
    ("3d-to-vector", lambda X: anp.sum(X**3, axis=(0, 2)), rng.standard_normal((2, 3, 2))),
    ("3d-to-3d", lambda X: anp.transpose(anp.tanh(X), (2, 0, 1)), rng.standard_normal((2, 1, 3))),
]


@pytest.mark.parametrize(
    "fun, x", [case[1:] for case in FUNCTIONS], ids=[case[0] for case in FUNCTIONS]
)
def test_jacfwd_equals_jacrev_equals_finite_differences(fun, x):
    J_forward = jacfwd(fun)(x)
    J_reverse = jacrev(fun)(x)
    expected_shape = np.shape(fun(x)) + np.shape(x)
    assert J_forward.shape == J_reverse.shape == expected_shape
    assert J_forward.dtype == J_reverse.dtype == np.float64
    np.testing.assert_allclose(J_forward, J_reverse, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(J_forward, numerical_jacobian(fun, x), rtol=1e-6, atol=1e-7)


def test_jacobian_is_jacrev():
    assert jacobian is jacrev


def test_jacobian_of_a_linear_map_is_its_matrix():
    np.testing.assert_array_equal(jacfwd(lambda x: A @ x)(np.ones(3)), A)
    np.testing.assert_array_equal(jacrev(lambda x: A @ x)(np.ones(3)), A)


def test_jacfwd_with_argnum_and_a_constant_output():
    f = lambda x, y: x * anp.sin(y)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(jacfwd(f, 1)(x, y), np.diag(x * np.cos(y)))
    np.testing.assert_allclose(jacfwd(f, 1)(x, y), jacrev(f, 1)(x, y))
    assert not jacfwd(lambda x: np.ones(2))(np.ones(3)).any()


def test_jacfwd_keeps_float32():
    x = np.ones(3, dtype=np.float32)
    assert jacfwd(lambda x: anp.tanh(x) * 2)(x).dtype == np.float32


def test_jacfwd_refuses_structures_clearly():
    with pytest.raises(TypeError, match="single array"):
        jacfwd(lambda p: p[0])((np.ones(2), np.ones(2)))
    with pytest.raises(TypeError, match="single array"):
        jacfwd(lambda x: (x, x))(np.ones(2))


def test_jacobians_nest_in_every_order():
    f = lambda x: anp.sum(anp.sin(x) * x**2)
    x = rng.standard_normal(3)
    H = jacrev(jacrev(f))(x)
    for outer in (jacfwd, jacrev):
        for inner in (jacfwd, jacrev):
            np.testing.assert_allclose(outer(inner(f))(x), H, rtol=1e-12)


def test_third_derivative_through_jacfwd_inside_grad():
    # d/dx sum of the Hessian of sum(x^4) = d/dx sum(12 x^2) = 24 x
    f = lambda x: anp.sum(x**4)
    x = rng.standard_normal(3)
    np.testing.assert_allclose(grad(lambda x: anp.sum(hessian(f)(x)))(x), 24 * x)


# ---------------------------------------------------------------------------
# Hessians against closed forms


def test_hessian_of_a_quadratic_form():
    M = rng.standard_normal((4, 4))
    f = lambda x: 0.5 * x @ M @ x
    np.testing.assert_allclose(hessian(f)(rng.standard_normal(4)), (M + M.T) / 2, atol=1e-14)


def rosenbrock(x):
    return anp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] = H[i + 1, i] = -400 * x[i]
    return H


def test_hessian_of_rosenbrock():
    x = rng.standard_normal(5)
    np.testing.assert_allclose(hessian(rosenbrock)(x), rosenbrock_hessian(x), rtol=1e-12)


def test_hessian_of_log_sum_exp_is_diag_p_minus_p_p_transpose():
    x = rng.standard_normal(4)
    p = np.exp(x) / np.sum(np.exp(x))
    H = hessian(lambda x: anp.log(anp.sum(anp.exp(x))))(x)
    np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), atol=1e-14)


def test_hessian_of_a_matrix_argument_has_shape_in_plus_in():
    X = rng.standard_normal((2, 3))
    H = hessian(lambda X: anp.sum(X**3))(X)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(H.reshape(6, 6), np.diag(6 * X.ravel()))


def test_hessian_with_argnum():
    f = lambda a, x: anp.sum(a * x**3)
    a, x = rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(hessian(f, 1)(a, x), np.diag(6 * a * x))


def test_hessian_of_a_scalar():
    assert hessian(lambda x: x**3)(2.0) == pytest.approx(12.0)


# ---------------------------------------------------------------------------
# Hessian-vector products


def test_hvp_equals_dense_hessian_times_v():
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    np.testing.assert_allclose(hvp(rosenbrock)(x, v), rosenbrock_hessian(x) @ v, rtol=1e-12)
    assert hvp is hessian_tensor_product


def test_hvp_of_a_matrix_argument_contracts_over_all_its_axes():
    f = lambda X: anp.sum(anp.sin(X) * X) + anp.sum(X @ X.T) ** 2 / 10
    X, V = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    H = hessian(f)(X)
    np.testing.assert_allclose(hvp(f)(X, V), np.tensordot(H, V, 2), rtol=1e-10)


def test_hvp_is_symmetric():
    f = lambda x: anp.sum(anp.tanh(A @ x) ** 2) + anp.prod(anp.cos(x))
    x, u, v = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    H_u, H_v = hvp(f)(x, u), hvp(f)(x, v)
    assert u @ H_v == pytest.approx(v @ H_u, rel=1e-12)


def test_hvp_with_argnum_and_keywords():
    def f(a, x, power=3):
        return anp.sum(a * x**power)

    a, x, v = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(hvp(f, 1)(a, x, v, power=4), 12 * a * x**2 * v)


def test_make_hvp_reuses_one_trace_for_many_vectors():
    x = rng.standard_normal(4)
    hvp_at_x, gradient = make_hvp(rosenbrock)(x)
    np.testing.assert_allclose(gradient, grad(rosenbrock)(x))
    H = rosenbrock_hessian(x)
    for v in np.eye(4):
        np.testing.assert_allclose(hvp_at_x(v), H @ v, rtol=1e-12)


# ---------------------------------------------------------------------------
# make_jvp's signature


def test_make_jvp_signature_is_autograds():
    jvp_maker = make_jvp(lambda x, y: x * y, argnum=0)
    push_forward = jvp_maker(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    ans, tangent = push_forward(np.array([1.0, 0.0]))
    np.testing.assert_array_equal(ans, [3.0, 8.0])
    np.testing.assert_array_equal(tangent, [3.0, 0.0])
    _, tangent = push_forward(np.array([0.0, 1.0]))  # the same point, a new direction
    np.testing.assert_array_equal(tangent, [0.0, 4.0])


def test_make_jvp_with_a_tuple_of_argnums():
    f = lambda x, y: x * y
    ans, tangent = make_jvp(f, (0, 1))(2.0, 3.0)((1.0, 10.0))
    assert (ans, tangent) == (6.0, 1.0 * 3.0 + 2.0 * 10.0)


def test_make_jvp_refuses_integer_input():
    with pytest.raises(TypeError, match="integers"):
        make_jvp(anp.sin)(np.arange(3))
