"""stop_gradient: the value passes, the derivative is zero, in both modes and at every order."""

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import (
    elementwise_grad,
    grad,
    hessian,
    jacfwd,
    jacrev,
    make_jvp,
    make_vjp,
    stop_gradient,
    vmap,
)

rng = np.random.default_rng(3)


def test_value_passes_through_unchanged():
    x = rng.standard_normal(4)
    np.testing.assert_array_equal(stop_gradient(x), x)
    assert stop_gradient(2.5) == 2.5
    seen = []
    grad(lambda x: seen.append(stop_gradient(x)) or anp.sum(x))(x)
    np.testing.assert_array_equal(seen[0], x)
    assert type(seen[0]) is np.ndarray  # unwrapped: no trace can see it


def test_reverse_mode_treats_it_as_a_constant():
    # d/dx [x * c] with c = x held fixed is c, not 2x
    assert grad(lambda x: x * stop_gradient(x))(3.0) == pytest.approx(3.0)
    assert grad(lambda x: stop_gradient(anp.sin(x)))(1.0) == 0.0


def test_forward_mode_treats_it_as_a_constant():
    value, tangent = make_jvp(lambda x: x * stop_gradient(x))(3.0)(1.0)
    assert value == pytest.approx(9.0)
    assert tangent == pytest.approx(3.0)
    assert make_jvp(lambda x: stop_gradient(x**2))(3.0)(1.0)[1] == 0.0


@pytest.mark.parametrize("jacobian", [jacfwd, jacrev])
def test_jacobians_of_a_partly_stopped_function(jacobian):
    x = rng.standard_normal(3)
    f = lambda x: x * stop_gradient(anp.exp(x))  # J = diag(exp(x)), the stopped factor
    np.testing.assert_allclose(jacobian(f)(x), np.diag(np.exp(x)), rtol=1e-14)


def test_zero_at_every_nesting_level():
    # f(x) = x^3 * c with c = x^2 stopped: f' = 3 x^2 c, f'' = 6 x c, f''' = 6 c
    f = lambda x: x**3 * stop_gradient(x**2)
    x = 1.7
    assert grad(f)(x) == pytest.approx(3 * x**2 * x**2)
    assert grad(grad(f))(x) == pytest.approx(6 * x * x**2)
    assert grad(grad(grad(f)))(x) == pytest.approx(6 * x**2)
    h = hessian(lambda v: anp.sum(v**3 * stop_gradient(v**2)))(np.array([x, -x]))
    np.testing.assert_allclose(h, np.diag(6 * np.array([x, -x]) ** 3), rtol=1e-13)


def test_stopped_inside_an_inner_gradient_is_stopped_for_the_outer_one_too():
    # inner: d/dy [y * stop(x y)] = stop(x y) = x^2 at y = x; its x-derivative is 0
    inner = lambda x: grad(lambda y: y * stop_gradient(x * y))(x)
    assert inner(1.5) == pytest.approx(1.5**2)
    assert grad(inner)(1.5) == 0.0
    assert make_jvp(inner)(1.5)(1.0)[1] == 0.0


def test_structures_and_vjp():
    params = {"w": rng.standard_normal(2), "b": 0.5}

    def loss(p):
        frozen = stop_gradient(p)
        return anp.sum(p["w"] * frozen["w"]) + p["b"] * frozen["b"]

    g = grad(loss)(params)
    np.testing.assert_allclose(g["w"], params["w"])
    assert g["b"] == pytest.approx(0.5)
    vjp, _ = make_vjp(lambda x: anp.stack([x, stop_gradient(x)]))(np.ones(2))
    np.testing.assert_array_equal(vjp(np.ones((2, 2))), np.ones(2))
    np.testing.assert_array_equal(elementwise_grad(stop_gradient)(np.ones(2)), np.zeros(2))


def test_under_vmap_each_example_is_stopped():
    xs = rng.standard_normal((4, 3))
    per_example = vmap(grad(lambda x: anp.sum(x * stop_gradient(x))), strict=True)(xs)
    np.testing.assert_allclose(per_example, xs)
    np.testing.assert_array_equal(vmap(stop_gradient, in_axes=1, strict=True)(xs), xs.T)
