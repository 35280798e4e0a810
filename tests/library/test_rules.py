"""Every derivative rule held to central differences, to second order, in both modes.

check_grads with modes=['fwd', 'rev'] and order=2 checks the JVP, the VJP
and every nesting of the two: forward-over-forward, reverse-over-forward,
forward-over-reverse and reverse-over-reverse. The inputs come from the
shared catalogue in catalogue.py.
"""

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import check_grads, grad

from . import catalogue as cat

MODES = ["fwd", "rev"]


@pytest.mark.parametrize("name", sorted(cat.UNARY))
@pytest.mark.parametrize("shape", cat.SHAPES, ids=str)
def test_unary(name, shape):
    fun, draw = cat.UNARY[name]
    x = draw(*shape) if shape else float(draw())
    check_grads(fun, modes=MODES, order=2)(x)


@pytest.mark.parametrize("name", sorted(cat.BINARY))
@pytest.mark.parametrize("shapes", cat.BROADCAST_SHAPES, ids=str)
def test_binary_with_broadcasting(name, shapes):
    fun, draw_x, draw_y = cat.BINARY[name]
    x_shape, y_shape = shapes
    x = draw_x(*x_shape) if x_shape else float(draw_x())
    y = draw_y(*y_shape) if y_shape else float(draw_y())
    check_grads(fun, modes=MODES, order=2)(x, y)


def _cases(cases):
    return pytest.mark.parametrize("fun, args", [c[1:] for c in cases], ids=[c[0] for c in cases])


@_cases(cat.reductions())
def test_reductions(fun, args):
    check_grads(fun, modes=MODES, order=2)(*args)


@_cases(cat.products())
def test_products(fun, args):
    check_grads(fun, modes=MODES, order=2)(*args)


@_cases(cat.shape_ops())
def test_shape_operations(fun, args):
    check_grads(fun, modes=MODES, order=2)(*args)


def test_operators_of_boxes():
    def f(x, y):
        return (
            anp.sum(-x + 2 * x - y / 3 + 1 / x + x**2 + 2**x + abs(x) * 1.5)
            - anp.sum((x @ y.T) ** 2) / 10
        )

    check_grads(f, modes=MODES, order=2)(cat.positive(2, 3), cat.normal(2, 3))


def test_plain_numpy_calls_on_boxes_are_routed_to_traced_versions():
    def f(x):
        return np.sum(np.sin(x) * np.exp(x)) + np.dot(x, x)

    x = cat.normal(3)
    expected = np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x) + 2 * x
    np.testing.assert_allclose(grad(f)(x), expected, rtol=1e-12)


def test_ndarray_on_the_left_of_an_operator():
    a = cat.normal(3)
    # sum(a * x + a @ x) = sum(a * x) + 3 (a @ x): the scalar is broadcast to 3 entries
    np.testing.assert_allclose(grad(lambda x: np.sum(a * x + a @ x))(cat.normal(3)), 4 * a)


def test_tied_maximum_shares_the_gradient():
    np.testing.assert_allclose(grad(lambda x: anp.max(x))(np.array([1.0, 3.0, 3.0])), [0, 0.5, 0.5])
    np.testing.assert_allclose(grad(lambda x: anp.maximum(x, 1.0))(1.0), 0.5)


def test_repeated_integer_index_adds_up_adjoints():
    np.testing.assert_allclose(grad(lambda x: anp.sum(x[[0, 0, 1]]))(np.zeros(3)), [2, 1, 0])


def test_astype_casts_the_cotangent_back():
    g = grad(lambda x: anp.sum(x.astype(np.float32) ** 2))(np.ones(3))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * np.ones(3))


@_cases(cat.added_functions())
def test_added_functions(fun, args):
    check_grads(fun, modes=MODES, order=2)(*args)
