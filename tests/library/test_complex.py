"""Complex numbers as Autograd has them, held to finite differences in both modes.

For f(z) = u(x, y) + i v(x, y) the VJP of g = g_x + i g_y is
g_x (u_x - i u_y) - g_y (v_x - i v_y): for a holomorphic f that is g f'(z), for a
real-valued f it is g (u_x - i u_y). check_grads pairs complex inputs and outputs
with the inner product Re sum(conj(a) b) and checks that convention (test_util.py).
Real functions computed through complex intermediates give real gradients and no
ComplexWarning (pytest turns that warning into an error: see pyproject.toml).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodidact.numpy as anp
from autodidact import (
    check_grads,
    elementwise_grad,
    grad,
    holomorphic_grad,
    jacfwd,
    jacrev,
    make_jvp,
    vmap,
)

MODES = ["fwd", "rev"]
SETTINGS = settings(deadline=None, max_examples=20, derandomize=True)
rng = np.random.default_rng(7)


def complex_normal(*shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# ---------------------------------------------------------------------------
# The convention, by hand


def test_holomorphic_grad_is_the_complex_derivative():
    z = 0.3 + 0.7j
    f = lambda z: z**3 + anp.sin(z) * anp.exp(z)
    expected = 3 * z**2 + np.cos(z) * np.exp(z) + np.sin(z) * np.exp(z)
    assert holomorphic_grad(f)(z) == pytest.approx(expected, abs=1e-13)


def test_grad_refuses_a_complex_output_and_names_holomorphic_grad():
    with pytest.raises(TypeError, match="holomorphic_grad"):
        grad(lambda x: x * (1.0 + 0.2j))(1.0)
    with pytest.raises(TypeError, match="complex"):
        elementwise_grad(lambda x: x * 1j)(np.ones(2))


@pytest.mark.parametrize(
    "f",
    [
        lambda z: anp.abs(z) ** 2,
        lambda z: anp.real(z * anp.conj(z) * anp.exp(z)),
        lambda z: anp.angle(z) * anp.imag(z),
        lambda z: anp.abs(anp.sin(z)),
    ],
)
def test_gradient_of_a_real_function_of_z_is_u_x_minus_i_u_y(f):
    z, eps = 0.8 - 0.4j, 1e-6
    u_x = (f(z + eps) - f(z - eps)) / (2 * eps)
    u_y = (f(z + 1j * eps) - f(z - 1j * eps)) / (2 * eps)
    assert grad(f)(z) == pytest.approx(u_x - 1j * u_y, abs=1e-8)


def test_abs_squared_has_gradient_two_conj_z():
    z = complex_normal(4)
    np.testing.assert_allclose(grad(lambda z: anp.sum(anp.abs(z) ** 2))(z), 2 * np.conj(z))


def test_real_input_gives_a_real_gradient_and_a_complex_input_a_complex_one():
    df = grad(lambda x: anp.sum(anp.real(x)))
    assert np.isrealobj(df(2.0))
    assert np.iscomplexobj(df(1.0j))
    assert np.isrealobj(grad(lambda x: anp.real(anp.real_if_close(x + 0j)))(1.0))


def test_real_function_with_complex_intermediates_is_real_and_silent():
    x = rng.standard_normal(5)

    def f(x):  # cos(x) written as the real part of exp(i x), plus a rotated copy
        rotated = x * anp.exp(1j * 0.3)
        return anp.real(anp.exp(1j * x)) + anp.abs(rotated) ** 2

    expected = np.diag(-np.sin(x) + 2 * x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient = grad(lambda x: anp.sum(f(x)))(x)
        assert gradient.dtype == np.float64
        np.testing.assert_allclose(gradient, np.diag(expected), rtol=1e-12)
        for jacobian in (jacfwd, jacrev):
            J = jacobian(f)(x)
            assert J.dtype == np.float64
            np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-14)
        tangent = make_jvp(f)(x)(np.ones(5))[1]
        assert tangent.dtype == np.float64
        np.testing.assert_allclose(
            vmap(grad(lambda x: anp.real(anp.exp(1j * x))))(x), -np.sin(x), rtol=1e-12
        )


# ---------------------------------------------------------------------------
# Every rule with complex inputs, both modes, second order

UNARY = {
    "exp": anp.exp,
    "log": anp.log,
    "sqrt": anp.sqrt,
    "sin": anp.sin,
    "cosh": anp.cosh,
    "tanh": anp.tanh,
    "square": anp.square,
    "reciprocal": anp.reciprocal,
    "abs": anp.abs,
    "angle": anp.angle,
    "angle-degrees": lambda z: anp.angle(z, deg=True),
    "real": anp.real,
    "imag": anp.imag,
    "conj": anp.conj,
    "real_if_close": anp.real_if_close,
}


# Away from 0 and from the branch cut of log, sqrt and angle (the negative real axis)
AWAY_FROM_THE_CUT = st.builds(
    complex, st.floats(0.3, 2.0), st.floats(-2.0, 2.0, allow_subnormal=False)
)


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(
    z=hnp.arrays(
        np.complex128,
        hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
        elements=AWAY_FROM_THE_CUT,
    )
)
def test_unary_functions_of_complex_arrays(name, z):
    check_grads(UNARY[name], modes=MODES, order=2)(z)


@pytest.mark.parametrize(
    "fun",
    [anp.add, anp.subtract, anp.multiply, anp.divide, anp.power],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize("kinds", ["cc", "rc", "cr"])
def test_binary_functions_mixing_real_and_complex(fun, kinds):
    draw = {"c": lambda: complex_normal(3, 2) + 2.0, "r": lambda: rng.uniform(0.5, 2.0, (3, 2))}
    x, y = draw[kinds[0]](), draw[kinds[1]]()
    check_grads(fun, modes=MODES, order=2)(x, y)


@pytest.mark.parametrize(
    "fun, args",
    [
        (lambda x: anp.sum(x, axis=0), (complex_normal(3, 2),)),
        (anp.mean, (complex_normal(3, 2),)),
        (lambda x: anp.var(x, axis=1), (complex_normal(3, 2),)),
        (lambda x: anp.std(x, keepdims=True), (complex_normal(3, 2),)),
        (anp.prod, (complex_normal(3),)),
        (anp.dot, (complex_normal(2, 3), rng.standard_normal(3))),
        (anp.matmul, (complex_normal(2, 3), complex_normal(3, 2))),
        (anp.outer, (complex_normal(3), rng.standard_normal(2))),
        (lambda a, b: anp.einsum("ij,jk->ik", a, b), (complex_normal(2, 3), complex_normal(3, 2))),
        (lambda a, b: anp.tensordot(a, b, 1), (complex_normal(2, 3), complex_normal(3))),
        (anp.linalg.inv, (complex_normal(3, 3) + 3 * np.eye(3),)),
        (anp.linalg.solve, (complex_normal(3, 3) + 3 * np.eye(3), complex_normal(3))),
        (anp.linalg.det, (complex_normal(3, 3) + 3 * np.eye(3),)),
        (anp.linalg.norm, (complex_normal(4),)),
        (lambda x: anp.linalg.norm(x, 3), (complex_normal(4),)),
        (lambda x: anp.linalg.norm(x, "nuc"), (complex_normal(4, 3),)),
        (lambda x: anp.linalg.norm(x, 2), (complex_normal(4, 3),)),
        (lambda x: anp.linalg.svd(x, compute_uv=False), (complex_normal(4, 3),)),
        (lambda x: anp.abs(anp.linalg.svd(x, full_matrices=False)[0]), (complex_normal(4, 3),)),
        (lambda x: anp.abs(anp.linalg.svd(x, full_matrices=False)[2]), (complex_normal(3, 4),)),
        (lambda x: anp.linalg.eigh(x)[0], (complex_normal(4, 4),)),
        (lambda x: anp.abs(anp.linalg.eigh(x, "U")[1]), (complex_normal(4, 4),)),
        (anp.linalg.eigvalsh, (complex_normal(3, 3),)),
    ],
)
def test_reductions_products_and_linear_algebra(fun, args):
    check_grads(fun, modes=MODES, order=2)(*args)


def test_vmap_of_complex_functions():
    zs = complex_normal(4, 3)
    np.testing.assert_allclose(vmap(lambda z: anp.sum(anp.abs(z) ** 2))(zs), (abs(zs) ** 2).sum(1))
    per_example = vmap(grad(lambda z: anp.sum(anp.abs(z) ** 2)))(zs)
    np.testing.assert_allclose(per_example, 2 * np.conj(zs))
