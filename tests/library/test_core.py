"""The tracing and reverse-mode machinery: graphs, nesting, containers, operators."""

import re
from pathlib import Path

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import (
    check_grads,
    defvjp,
    elementwise_grad,
    grad,
    jacobian,
    make_vjp,
    primitive,
    value_and_grad,
)
from autodidact.finite_differences import numerical_gradient


def worked_example(x1, x2):
    return anp.log(x1) + x1 * x2 - anp.sin(x2)


def test_worked_example_value_and_both_partials():
    value, (d1, d2) = value_and_grad(worked_example, argnum=(0, 1))(2.0, 5.0)
    assert round(value, 3) == 11.652
    assert d1 == pytest.approx(5.5, abs=1e-15)
    assert d2 == pytest.approx(2 - np.cos(5.0), abs=1e-15)
    assert round(d2, 3) == 1.716


def test_fan_out_sums_partial_adjoints():
    # x feeds three children; dy/dx = 2x + cos x + 3
    f = lambda x: x * x + anp.sin(x) + 3 * x
    assert grad(f)(0.7) == pytest.approx(1.4 + np.cos(0.7) + 3, abs=1e-14)


def test_diamond_graph():
    def f(x):
        a = anp.exp(x)
        b, c = anp.sin(a), anp.cos(a)
        return b * c

    x = 0.3
    expected = np.exp(x) * np.cos(2 * np.exp(x))  # d/dx sin(2 e^x)/2
    assert grad(f)(x) == pytest.approx(expected, abs=1e-14)


def test_closure_over_a_constant_array():
    A = np.arange(6.0).reshape(2, 3)
    f = lambda x: anp.sum(anp.tanh(A @ x))
    x = np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(grad(f)(x), numerical_gradient(f, x), rtol=1e-8)


def test_third_derivative_of_sin():
    assert grad(grad(grad(anp.sin)))(1.1) == pytest.approx(-np.cos(1.1), abs=1e-15)


def test_fourth_derivative_of_tanh_against_differences_of_the_closed_form_third():
    d4 = grad(grad(grad(grad(anp.tanh))))(0.4)
    third = lambda x: -2 * (1 - np.tanh(x) ** 2) * (1 - 3 * np.tanh(x) ** 2)
    assert d4 == pytest.approx((third(0.4 + 1e-6) - third(0.4 - 1e-6)) / 2e-6, abs=1e-8)


def test_nested_trace_is_told_apart():
    f = lambda x: grad(lambda y: x * y)(x)
    assert grad(f)(5.0) == 1.0


def test_second_derivative_results_are_plain_floats_not_objects():
    g2 = grad(grad(lambda x: anp.sum(x**3)))
    out = elementwise_grad(grad(lambda x: anp.sum(x**3)))(np.array([1.0, 2.0]))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [6.0, 12.0])
    with pytest.raises(TypeError, match="scalar"):
        g2(np.array([1.0, 2.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_keeps_the_input_dtype(dtype):
    x = np.linspace(-1, 1, 5).astype(dtype)
    g = grad(lambda x: anp.sum(anp.tanh(x) * 2.0 + anp.exp(x) / 3))(x)
    assert g.dtype == dtype
    g2 = elementwise_grad(elementwise_grad(anp.sin))(x)
    assert g2.dtype == dtype


def test_scalar_input_gives_scalar_gradient():
    g = grad(anp.sin)(0.0)
    assert np.ndim(g) == 0 and not isinstance(g, np.ndarray) and g == 1.0


def test_output_independent_of_input_gives_zeros():
    assert grad(lambda x: 3.0)(1.0) == 0.0
    np.testing.assert_array_equal(grad(lambda x: anp.sum(x * 0) + 1)(np.ones(2)), [0.0, 0.0])


def test_gradient_with_respect_to_a_dict_of_arrays():
    params = {"W": np.ones((2, 3)), "b": np.zeros(2)}
    x = np.array([1.0, 2.0, 3.0])

    def loss(p):
        return anp.sum((p["W"] @ x + p["b"]) ** 2)

    g = grad(loss)(params)
    assert set(g) == {"W", "b"}
    residual = params["W"] @ x + params["b"]
    np.testing.assert_allclose(g["b"], 2 * residual)
    np.testing.assert_allclose(g["W"], 2 * np.outer(residual, x))


def test_gradient_with_respect_to_nested_lists_and_tuples():
    layers = [(np.ones((2, 2)), np.zeros(2)), (np.ones((1, 2)), np.zeros(1))]

    def net(layers, x):
        for W, b in layers:
            x = anp.tanh(W @ x + b)
        return anp.sum(x)

    g = grad(net)(layers, np.array([0.5, -0.2]))
    assert isinstance(g, list) and isinstance(g[0], tuple)
    assert [[a.shape for a in pair] for pair in g] == [[(2, 2), (2,)], [(1, 2), (1,)]]
    check_grads(net, modes=["rev"], order=2)(layers, np.array([0.5, -0.2]))


def test_make_vjp_with_tuple_output_and_reuse():
    f = lambda x: (anp.sin(x), x**2)
    vjp, (s, sq) = make_vjp(f)(np.array([0.1, 0.2]))
    np.testing.assert_allclose(s, np.sin([0.1, 0.2]))
    np.testing.assert_allclose(vjp((np.ones(2), np.zeros(2))), np.cos([0.1, 0.2]))
    np.testing.assert_allclose(vjp((np.zeros(2), np.ones(2))), [0.2, 0.4])


def test_argnum_tuple_and_negative():
    f = lambda a, b, c: a * b**2 + c
    assert grad(f, (0, 1))(2.0, 3.0, 1.0) == (9.0, 12.0)
    assert grad(f, -1)(2.0, 3.0, 1.0) == 1.0


def test_elementwise_grad_and_jacobian():
    x = np.array([0.1, 0.5, 1.0])
    np.testing.assert_allclose(elementwise_grad(anp.tanh)(x), 1 - np.tanh(x) ** 2)
    A = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(jacobian(lambda x: A @ x)(np.ones(2)), A)
    J = jacobian(lambda X: X**2)(np.ones((2, 2)))
    assert J.shape == (2, 2, 2, 2)


def test_jacobian_of_jacobian_is_the_hessian():
    f = lambda x: anp.sum(x**3)
    H = jacobian(jacobian(f))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(H, np.diag([6.0, 12.0]))


def test_user_primitive_with_defvjp():
    @primitive
    def cube(x):
        return x**3

    defvjp(cube, lambda g, ans, x: 3 * g * x**2)
    assert grad(cube)(2.0) == 12.0
    assert grad(grad(cube))(2.0) == 12.0


def test_branching_on_a_traced_value():
    def relu(x):
        return x if x > 0 else 0.0 * x

    assert grad(relu)(2.0) == 1.0 and grad(relu)(-2.0) == 0.0


def test_readme_example_runs_as_printed(capsys):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2
    assert float(printed[1]) == pytest.approx(-2 * np.tanh(0.5) * (1 - np.tanh(0.5) ** 2))


def test_several_outputs_of_a_multi_output_primitive_used_together():
    def f(A):
        U, s, Vt = anp.linalg.svd(A, full_matrices=False)
        return anp.sum(U) * anp.sum(s)

    A = np.array([[2.0, 0.3], [0.1, 1.0], [0.5, -0.4]])
    f_plain = lambda A: (
        np.sum(np.linalg.svd(A, full_matrices=False)[0])
        * np.sum(np.linalg.svd(A, compute_uv=False))
    )
    np.testing.assert_allclose(grad(f)(A), numerical_gradient(f_plain, A), rtol=1e-6, atol=1e-8)


def test_a_primitive_returning_a_namedtuple_is_traced_output_by_output():
    from collections import namedtuple

    Pair = namedtuple("Pair", "twice square")

    @primitive
    def pair(x):
        return Pair(2 * x, x**2)

    defvjp(pair, lambda g, ans, x: 2 * g[0] + 2 * x * g[1])
    assert grad(lambda x: pair(x).square + pair(x)[0])(3.0) == 8.0
    assert grad(lambda x: pair(x).twice)(3.0) == 2.0


def test_a_joint_rule_runs_once_for_all_traced_arguments():
    from autodidact import defvjp_argnums

    calls = []

    @primitive
    def scaled_sum(x, y):
        return 2 * x + 3 * y

    def joint_rule(argnums, g, ans, x, y):
        calls.append(argnums)
        factors = {0: 2.0, 1: 3.0}
        return tuple(factors[k] * g for k in argnums)

    defvjp_argnums(scaled_sum, joint_rule)
    assert grad(scaled_sum, (0, 1))(1.0, 1.0) == (2.0, 3.0)
    assert grad(scaled_sum, 1)(1.0, 1.0) == 3.0
    assert calls == [(0, 1), (1,)]


def test_solve_adjoints_come_from_one_solve(monkeypatch):
    from autodidact.numpy import linalg_vjps

    A = np.array([[3.0, 1.0], [0.5, 2.0]])
    b = np.array([1.0, -1.0])
    transposed_solves = []
    original = linalg_vjps.solve_transposed
    monkeypatch.setattr(
        linalg_vjps,
        "solve_transposed",
        lambda *args: transposed_solves.append(1) or original(*args),
    )
    vjp, x = make_vjp(lambda A, b: anp.linalg.solve(A, b), argnum=(0, 1))(A, b)
    A_bar, b_bar = vjp(np.ones(2))
    assert len(transposed_solves) == 1
    np.testing.assert_allclose(b_bar, np.linalg.solve(A.T, np.ones(2)))
    np.testing.assert_allclose(A_bar, -np.outer(b_bar, x))


def test_functions_without_a_derivative_pass_plain_values_through():
    seen = {}

    def f(x):
        seen["floor"] = anp.floor(x)
        seen["argmax"] = anp.argmax(x)
        seen["shape"] = anp.shape(x)
        seen["like"] = anp.zeros_like(x)
        seen["compare"] = x > 0.5
        return anp.sum(x * anp.round(x) + anp.sign(x))

    x = np.array([0.2, 1.7, -0.6])
    np.testing.assert_allclose(grad(f)(x), np.round(x))  # round and sign act as constants
    assert type(seen["floor"]) is np.ndarray and type(seen["like"]) is np.ndarray
    assert seen["argmax"] == 1 and seen["shape"] == (3,)
    assert seen["compare"].dtype == bool


def test_python_float_inputs_compute_with_numpy_arithmetic():
    with np.errstate(divide="ignore", invalid="ignore"):
        assert grad(anp.log)(0.0) == np.inf
        assert np.isnan(grad(lambda x: x**1.5)(-1.0))
        assert grad(lambda x: x**0.5)(0.0) == np.inf


def test_astype_to_integers_carries_no_derivative():
    x = np.array([1.5, 2.5])
    np.testing.assert_allclose(grad(lambda a: anp.sum(a * a.astype(int)))(x), [1.0, 2.0])
