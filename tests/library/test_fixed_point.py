"""fixed_point: solves x = f(x, theta), and differentiates the solution, not the iteration."""

import tracemalloc

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import check_grads, fixed_point, grad, hessian, make_jvp, make_vjp, vmap
from autodidact.fixed_point import FixedPointError, iterate_to_tolerance

rng = np.random.default_rng(9)


def contraction(n: int, rate: float, seed: int = 0) -> np.ndarray:
    """A symmetric n x n matrix with eigenvalues spread over [-rate, rate]."""
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return Q @ np.diag(np.linspace(-rate, rate, n)) @ Q.T


def tanh_problem(n: int = 6, rate: float = 0.9, seed: int = 0):
    """x = tanh(W x + theta): W, theta, the step f and a cotangent w."""
    W = contraction(n, rate, seed)
    local = np.random.default_rng(seed + 1)
    theta, w = 0.3 * local.standard_normal(n), local.standard_normal(n)
    return W, theta, (lambda x, t: anp.tanh(W @ x + t)), w


def exact_tanh_gradient(W: np.ndarray, theta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """d <w, x*> / d theta from the implicit function theorem, x* by Newton's method.

    x = tanh(W x + theta): with D = diag(1 - x^2), (I - D W) dx = D dtheta, so
    theta_bar = D (I - W^T D)^{-1} w.
    """
    x = np.zeros_like(theta)
    for _ in range(30):
        s = np.tanh(W @ x + theta)
        x = x - np.linalg.solve(np.eye(len(x)) - (1 - s**2)[:, None] * W, x - s)
    D = 1 - x**2
    return D * np.linalg.solve(np.eye(len(x)) - W.T * D, w)


def test_the_solution_is_a_fixed_point_to_the_tolerance():
    W, theta, f, _ = tanh_problem()
    x = fixed_point(f, np.zeros(6), theta)
    assert np.max(np.abs(x - np.tanh(W @ x + theta))) < 1e-11
    assert fixed_point(lambda x, a: 0.5 * (x + a / x), 1.0, 2.0) == pytest.approx(np.sqrt(2), 1e-15)


def test_the_steps_are_counted_and_the_tolerance_is_relative():
    x, steps = iterate_to_tolerance(lambda x: 0.5 * x + 1.0, 0.0, tol=1e-12)
    assert x == pytest.approx(2.0, abs=1e-11) and 35 < steps < 45
    big, _ = iterate_to_tolerance(lambda x: 0.5 * x + 1e8, 0.0)  # 1e-12 of 2e8, not of 1
    assert big == pytest.approx(2e8, rel=1e-11)


def test_gradient_equals_the_implicit_function_theorem_to_1e_10():
    W, theta, f, w = tanh_problem(n=30, rate=0.9)
    implicit = grad(lambda t: anp.sum(w * fixed_point(f, np.zeros(30), t, tol=1e-14)))(theta)
    assert np.max(np.abs(implicit - exact_tanh_gradient(W, theta, w))) < 1e-10


def test_newton_for_the_square_root_has_the_analytic_derivative():
    a = np.array([0.5, 2.0, 9.0, 1e4])
    newton = lambda x, a: 0.5 * (x + a / x)
    gradient = grad(lambda a: anp.sum(fixed_point(newton, np.ones(4), a)))(a)
    np.testing.assert_allclose(gradient, 1 / (2 * np.sqrt(a)), rtol=1e-12)


def test_forward_mode_agrees_with_reverse_mode():
    W, theta, f, w = tanh_problem()
    loss = lambda t: anp.sum(w * fixed_point(f, np.zeros(6), t))
    v = rng.standard_normal(6)
    _, tangent = make_jvp(loss)(theta)(v)
    assert tangent == pytest.approx(grad(loss)(theta) @ v, rel=1e-10)


def test_derivatives_match_finite_differences_in_both_modes_to_second_order():
    _, theta, f, w = tanh_problem(n=4)
    check_grads(lambda t: fixed_point(f, np.zeros(4), t), modes=["fwd", "rev"], order=2)(theta)
    scalar = lambda t: fixed_point(lambda x, t: t * anp.cos(x), 0.0, t)
    check_grads(scalar, modes=["fwd", "rev"], order=2)(0.7)


def test_second_derivative_of_a_square_root():
    newton = lambda x, a: 0.5 * (x + a / x)
    second = grad(grad(lambda a: fixed_point(newton, 1.0, a)))(4.0)
    assert second == pytest.approx(-0.25 * 4.0**-1.5, rel=1e-9)
    H = hessian(lambda a: anp.sum(fixed_point(newton, np.ones(2), a)))(np.array([1.0, 4.0]))
    np.testing.assert_allclose(H, np.diag(-0.25 * np.array([1.0, 4.0]) ** -1.5), rtol=1e-9)


def test_the_start_gets_no_derivative():
    _, theta, f, _ = tanh_problem()
    x0 = rng.standard_normal(6)
    vjp, _ = make_vjp(lambda x0, t: fixed_point(f, x0, t), argnum=(0, 1))(x0, theta)
    x0_bar, theta_bar = vjp(np.ones(6))
    assert np.all(x0_bar == 0) and np.any(theta_bar != 0)
    assert make_jvp(lambda x0: fixed_point(f, x0, theta))(x0)(np.ones(6))[1].tolist() == [0.0] * 6


def peak_bytes(fun) -> int:
    """The peak memory fun() allocates, measured on a second run (the first warms caches)."""
    fun()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fun()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


def test_memory_of_the_gradient_does_not_grow_with_the_iterations():
    """Tighter tolerances take more steps; the implicit gradient's peak stays put, the
    unrolled one's grows with the tape."""
    n = 200
    W, theta, f, w = tanh_problem(n=n, rate=0.95)
    steps, implicit, unrolled = [], [], []
    for tol in (1e-3, 1e-8, 1e-14):
        count = iterate_to_tolerance(lambda x: f(x, theta), np.zeros(n), tol)[1]
        steps.append(count)

        def implicit_loss(t, tol=tol):
            return anp.sum(w * fixed_point(f, np.zeros(n), t, tol=tol))

        def unrolled_loss(t, count=count):
            x = np.zeros(n)
            for _ in range(count):
                x = f(x, t)
            return anp.sum(w * x)

        implicit.append(peak_bytes(lambda: grad(implicit_loss)(theta)))
        unrolled.append(peak_bytes(lambda: grad(unrolled_loss)(theta)))
    assert steps[-1] > 5 * steps[0]
    assert max(implicit) < 1.5 * min(implicit)
    assert unrolled[-1] > 4 * unrolled[0] and unrolled[-1] > 10 * implicit[-1]


def test_a_step_that_does_not_contract_is_a_one_line_error():
    with pytest.raises(FixedPointError, match="did not converge in 50 iterations") as error:
        fixed_point(lambda x, t: 2.0 * x + t, 0.0, 1.0, max_iterations=50)
    assert "\n" not in str(error.value)


def test_a_step_that_changes_the_shape_is_a_one_line_error():
    with pytest.raises(ValueError, match=r"returned shape \(3,\) from an x of shape \(2,\)"):
        fixed_point(lambda x, t: anp.concatenate([x, t]) * 0.5, np.zeros(2), np.ones(1))


def test_a_parameter_read_from_the_enclosing_scope_is_refused_with_advice():
    _, theta, _, _ = tanh_problem(n=3)

    def loss(W):
        return anp.sum(fixed_point(lambda x, t: anp.tanh(W @ x + t), np.zeros(3), theta))

    with pytest.raises(TypeError, match="closure over a variable being differentiated"):
        grad(loss)(0.5 * np.eye(3))


def test_vmap_over_theta_solves_each_example():
    _, _, f, _ = tanh_problem(n=3)
    thetas = rng.standard_normal((4, 3))
    batched = vmap(lambda t: fixed_point(f, np.zeros(3), t))(thetas)
    for row, t in zip(batched, thetas, strict=True):
        np.testing.assert_allclose(row, fixed_point(f, np.zeros(3), t), rtol=1e-14)
