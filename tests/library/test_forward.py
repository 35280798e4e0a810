"""Forward mode: nesting with reverse mode, user rules, containers and error messages.

Every rule of the catalogue is held to central differences in both modes by
test_rules.py.
"""

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import check_grads, def_linear, defjvp, forward, grad, make_jvp, primitive, reverse
from autodidact.numpy import numpy_wrapper

from . import catalogue as cat


def test_default_modes_check_forward_and_reverse():
    check_grads(lambda x, y: anp.sum(anp.tanh(x * y) ** 2))(cat.normal(3), cat.normal(3))


def test_every_numpy_primitive_with_a_vjp_has_a_jvp():
    wrapped = {
        f
        for module in (numpy_wrapper, anp.linalg)
        for f in vars(module).values()
        if getattr(f, "is_primitive", False)
    }
    with_vjp = wrapped & {*reverse.vjp_rules, *reverse.vjp_argnum_rules}
    assert len(with_vjp) > 90
    missing = []
    for fun in with_vjp:
        if fun in forward.jvp_argnum_rules:
            continue
        vjp_argnums = set(reverse.vjp_rules.get(fun, {}))
        if not vjp_argnums <= set(forward.jvp_rules.get(fun, {})):
            missing.append(fun.__name__)
    assert not missing, f"primitives with a VJP but no JVP: {sorted(missing)}"


# ---------------------------------------------------------------------------
# The forward pass itself


def test_tangent_of_a_composite_by_hand():
    # f(x) = sin(x) * x, f'(x) = cos(x) x + sin(x)
    ans, tangent = make_jvp(lambda x: anp.sin(x) * x)(0.7)(2.0)
    assert ans == pytest.approx(np.sin(0.7) * 0.7)
    assert tangent == pytest.approx(2.0 * (np.cos(0.7) * 0.7 + np.sin(0.7)))


def test_jvp_is_a_column_of_the_jacobian():
    A = cat.normal(4, 3)
    _, column = make_jvp(lambda x: anp.tanh(A @ x))(np.zeros(3))(np.array([0.0, 1.0, 0.0]))
    np.testing.assert_allclose(column, A[:, 1])


def test_make_jvp_with_argnum_and_keyword_arguments():
    def f(x, y, scale=1.0):
        return scale * x * y**2

    ans, tangent = make_jvp(f, argnum=1)(3.0, 2.0, scale=0.5)(1.0)
    assert ans == 6.0
    assert tangent == 0.5 * 3.0 * 2 * 2.0


def test_output_independent_of_input_has_zero_tangent():
    ans, tangent = make_jvp(lambda x: np.ones((2, 3)))(np.ones(4))(np.ones(4))
    assert tangent.shape == (2, 3) and not tangent.any()


def test_float32_in_gives_float32_out():
    x = np.linspace(0.1, 1.0, 4, dtype=np.float32)
    _, tangent = make_jvp(lambda x: anp.exp2(x) * anp.log10(x) + anp.max(x))(x)(np.ones_like(x))
    assert tangent.dtype == np.float32


def test_tangents_are_plain_arrays_not_objects():
    _, tangent = make_jvp(lambda x: anp.sum(anp.sin(x) ** 2))(np.ones(3))(np.ones(3))
    assert type(tangent) is np.float64
    _, tangent = make_jvp(lambda x: anp.sin(x) ** 2)(np.ones(3))(np.ones(3))
    assert type(tangent) is np.ndarray and tangent.dtype == np.float64


def test_tangent_with_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(3,\)"):
        make_jvp(anp.sin)(np.ones(3))(np.ones(2))


def test_containers_in_and_out():
    def f(params):
        W, b = params["W"], params["b"]
        return [anp.tanh(W @ b), (anp.sum(W), b * 2)]

    params = {"W": cat.normal(2, 3), "b": cat.normal(3)}
    direction = {"W": cat.normal(2, 3), "b": cat.normal(3)}
    ans, tangent = forward.make_jvp(f, params)(direction)
    assert isinstance(tangent, list) and isinstance(tangent[1], tuple)
    eps = 1e-6
    plus = f({k: params[k] + eps * direction[k] for k in params})
    minus = f({k: params[k] - eps * direction[k] for k in params})
    np.testing.assert_allclose(tangent[0], (plus[0] - minus[0]) / (2 * eps), rtol=1e-6)
    np.testing.assert_allclose(tangent[1][0], (plus[1][0] - minus[1][0]) / (2 * eps), rtol=1e-6)
    np.testing.assert_allclose(tangent[1][1], 2 * direction["b"])
    check_grads(lambda W, b: f({"W": W, "b": b}))(params["W"], params["b"])


def test_container_arguments_of_check_grads_in_forward_mode():
    def f(pair, weights):
        x, y = pair
        return anp.sum(weights["a"] * x * anp.sin(y))

    check_grads(f)((cat.normal(3), cat.normal(3)), {"a": cat.normal(3)})


# ---------------------------------------------------------------------------
# Nesting


def test_forward_over_reverse_second_derivative():
    # d/dx of grad(x^3 sin x) along 1 is the second derivative
    f = lambda x: x**3 * anp.sin(x)
    second = lambda x: 6 * x * np.sin(x) + 6 * x**2 * np.cos(x) - x**3 * np.sin(x)
    _, tangent = make_jvp(grad(f))(0.8)(1.0)
    assert tangent == pytest.approx(second(0.8), rel=1e-12)


def test_reverse_over_forward_second_derivative():
    f = lambda x: x**3 * anp.sin(x)
    second = lambda x: 6 * x * np.sin(x) + 6 * x**2 * np.cos(x) - x**3 * np.sin(x)
    derivative = lambda x: make_jvp(f)(x)(1.0)[1]
    assert grad(derivative)(0.8) == pytest.approx(second(0.8), rel=1e-12)


def test_forward_over_forward_third_derivative():
    d1 = lambda x: make_jvp(anp.tanh)(x)(1.0)[1]
    d2 = lambda x: make_jvp(d1)(x)(1.0)[1]
    d3 = lambda x: make_jvp(d2)(x)(1.0)[1]
    t = np.tanh(0.3)
    assert d3(0.3) == pytest.approx(-2 * (1 - t**2) * (1 - 3 * t**2), rel=1e-12)


def test_nested_forward_traces_are_told_apart():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x: a confused trace would give x
    f = lambda x: x * make_jvp(lambda y: x * y)(1.0)(1.0)[1]
    assert make_jvp(f)(3.0)(1.0)[1] == 6.0


def test_reverse_over_forward_with_a_traced_tangent():
    # g(x) = jvp of sin at x along x = x cos(x); g'(x) = cos(x) - x sin(x)
    g = lambda x: make_jvp(anp.sin)(x)(x)[1]
    assert grad(g)(0.4) == pytest.approx(np.cos(0.4) - 0.4 * np.sin(0.4), rel=1e-12)


# ---------------------------------------------------------------------------
# Registering rules, and the error for a missing one


def test_missing_jvp_names_the_primitive_and_the_fix():
    @primitive
    def cube(x):
        return x**3

    reverse.defvjp(cube, lambda g, ans, x: g * 3 * x**2)
    assert grad(cube)(2.0) == 12.0
    with pytest.raises(NotImplementedError, match=r"no JVP for argument 0 of `cube`.*defjvp\(cube"):
        make_jvp(cube)(2.0)(1.0)


def test_user_primitive_with_defjvp():
    @primitive
    def logistic(x):
        return 1 / (1 + np.exp(-x))

    defjvp(logistic, lambda g, ans, x: g * ans * (1 - ans))
    x = cat.normal(4)
    check_grads(lambda x: anp.sum(logistic(x) ** 2), modes=["fwd"], order=2)(x)


def test_user_primitive_with_def_linear():
    @primitive
    def double_first_and_add(x, y):
        return 2 * x[0] * y

    def_linear(double_first_and_add)
    _, tangent = make_jvp(lambda x: double_first_and_add(x, 3.0))(np.ones(2))(np.array([1.0, 5.0]))
    assert tangent == 6.0


def test_jvp_with_the_wrong_shape_is_named():
    @primitive
    def twice(x):
        return 2 * x

    defjvp(twice, lambda g, ans, x: anp.sum(g))
    with pytest.raises(ValueError, match=r"JVP of `twice` for argument 0.*shape \(\).*\(3,\)"):
        make_jvp(twice)(np.ones(3))(np.ones(3))


def test_multi_output_primitive_tangents():
    @primitive
    def sin_and_cos(x):
        return np.sin(x), np.cos(x)

    # the rule leaves the second output's tangent out (None): it must count as zero
    defjvp(sin_and_cos, lambda g, ans, x: (g * anp.cos(x), None))
    ans, tangent = make_jvp(lambda x: sin_and_cos(x)[0] * 2)(0.5)(1.0)
    assert tangent == pytest.approx(2 * np.cos(0.5))
    ans, tangent = make_jvp(lambda x: sin_and_cos(x)[1] + x)(0.5)(1.0)
    assert tangent == pytest.approx(1.0)

    defjvp(sin_and_cos, lambda g, ans, x: (g * anp.cos(x), -g * anp.sin(x)))
    ans, tangent = make_jvp(lambda x: sin_and_cos(x))(0.5)(1.0)
    assert tangent == pytest.approx((np.cos(0.5), -np.sin(0.5)))
