"""The checks of sheet 09 pass the solutions, and fail the stubs, plausible wrong answers and
answers that let the library do the work."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import defvjp, fixed_point, grad, jacobian, make_vjp, primitive, reverse
from autodidact.course.checking import run_check
from autodidact.course.checks import sheet09_implicit_differentiation as sheet09
from autodidact.finite_differences import numerical_gradient
from autodidact.fixed_point import fixed_point_adjoint, iterate_to_tolerance
from autodidact.numpy import linalg_vjps

from .both_ways import Shortcut, Wrong, both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


def implicit_vjp(F_x, F_theta, x_bar):
    u = np.linalg.solve(F_x.T, x_bar)
    return -F_theta.T @ u


def fixed_point_vjp(g, ans, f, x0, theta):
    pull_back_x, _ = make_vjp(f, argnum=0)(ans, theta)
    u = g
    for _ in range(100_000):
        u_next = g + pull_back_x(u)
        if np.max(np.abs(u_next - u)) <= 1e-12 * (1 + np.max(np.abs(u_next))):
            break
        u = u_next
    pull_back_theta, _ = make_vjp(f, argnum=1)(ans, theta)
    return pull_back_theta(u_next)


@primitive
def safe_norm(x):
    return np.sqrt(np.sum(x**2))


def safe_norm_vjp(g, ans, x):
    return g * x / anp.where(ans > 0, ans, 1.0)


defvjp(safe_norm, safe_norm_vjp)


def stub(*args):
    raise NotImplementedError()


SOLUTIONS = {
    "implicit_vjp": implicit_vjp,
    "fixed_point_vjp": fixed_point_vjp,
    "safe_norm": safe_norm,
}

# --- other right answers: the checks accept every correct route -----------------------------------


def implicit_vjp_with_inverse(F_x, F_theta, x_bar):
    return -(F_theta.T @ np.linalg.inv(F_x).T) @ x_bar


def fixed_point_vjp_by_a_dense_solve(g, ans, f, x0, theta):
    """Forms I - f_x^T column by column from backward passes, then one solve."""
    pull_back_x, _ = make_vjp(f, argnum=0)(ans, theta)
    n = np.size(ans)
    f_x_transposed = np.stack([pull_back_x(e) for e in np.eye(n)], axis=1)
    u = np.linalg.solve(np.eye(n) - f_x_transposed, g)
    pull_back_theta, _ = make_vjp(f, argnum=1)(ans, theta)
    return pull_back_theta(u)


def fixed_point_vjp_with_its_own_trace_per_step(g, ans, f, x0, theta):
    """Traces f afresh for every product: slower, and still constant memory."""
    u = g
    for _ in range(100_000):
        u_next = g + make_vjp(f, argnum=0)(ans, theta)[0](u)
        if np.max(np.abs(u_next - u)) < 1e-13:
            break
        u = u_next
    return make_vjp(f, argnum=1)(ans, theta)[0](u_next)


@primitive
def safe_norm_plain_numpy(x):
    return np.linalg.norm(x)


defvjp(safe_norm_plain_numpy, lambda g, ans, x: g * x / ans if ans != 0 else np.zeros_like(x))


@pytest.mark.parametrize(
    "name, answer",
    [
        ("implicit_vjp", implicit_vjp_with_inverse),
        ("fixed_point_vjp", fixed_point_vjp_by_a_dense_solve),
        ("fixed_point_vjp", fixed_point_vjp_with_its_own_trace_per_step),
        ("safe_norm", safe_norm_plain_numpy),
    ],
)
def test_other_right_routes_pass(name, answer):
    verdict = run_check(name, answer)
    assert verdict.status == "PASS", verdict.text


# --- plausible wrong answers --------------------------------------------------------------------


def implicit_vjp_no_minus(F_x, F_theta, x_bar):
    return F_theta.T @ np.linalg.solve(F_x.T, x_bar)


def implicit_vjp_no_transpose_in_the_solve(F_x, F_theta, x_bar):
    return -F_theta.T @ np.linalg.solve(F_x, x_bar)


def implicit_vjp_jvp_instead(F_x, F_theta, x_bar):
    return -np.linalg.solve(F_x, F_theta @ x_bar)


def implicit_vjp_no_solve(F_x, F_theta, x_bar):
    return -F_theta.T @ x_bar


def implicit_vjp_f_theta_not_transposed(F_x, F_theta, x_bar):
    return -F_theta @ np.linalg.solve(F_x.T, x_bar)


def fixed_point_vjp_last_iteration_only(g, ans, f, x0, theta):
    return make_vjp(f, argnum=1)(ans, theta)[0](g)


def fixed_point_vjp_unrolled_from_x0(g, ans, f, x0, theta):
    """Re-runs the iteration on a tape: the right value, with memory growing with the steps."""

    def iterate(theta):
        x = x0
        for _ in range(100_000):
            x_next = f(x, theta)
            change = np.max(np.abs(x_next - x))
            if change <= 1e-12 * (1 + np.max(np.abs(x_next))):
                return x_next
            x = x_next

    return make_vjp(iterate)(theta)[0](g)


def fixed_point_vjp_fixed_number_of_terms(g, ans, f, x0, theta):
    pull_back_x, _ = make_vjp(f, argnum=0)(ans, theta)
    u = g
    for _ in range(30):
        u = g + pull_back_x(u)
    return make_vjp(f, argnum=1)(ans, theta)[0](u)


def fixed_point_vjp_series_minus(g, ans, f, x0, theta):
    pull_back_x, _ = make_vjp(f, argnum=0)(ans, theta)
    u = g
    for _ in range(2000):
        u = g - pull_back_x(u)
    return make_vjp(f, argnum=1)(ans, theta)[0](u)


def fixed_point_vjp_no_transpose(g, ans, f, x0, theta):
    """Solves (I - f_x) u = g, with the Jacobian f_x itself, instead of its transpose."""
    f_x = _jacobian_by_pull_backs(f, ans, theta)
    u = np.linalg.solve(np.eye(np.size(ans)) - f_x, g)
    return make_vjp(f, argnum=1)(ans, theta)[0](u)


def _jacobian_by_pull_backs(f, ans, theta):
    pull_back_x, _ = make_vjp(f, argnum=0)(ans, theta)
    return np.stack([pull_back_x(e) for e in np.eye(np.size(ans))])  # row i: e_i^T f_x


def safe_norm_nan_at_zero(x):
    return np.sqrt(np.sum(x**2))


safe_norm_nan_at_zero = primitive(safe_norm_nan_at_zero)
defvjp(safe_norm_nan_at_zero, lambda g, ans, x: g * x / ans)


@primitive
def safe_norm_sum_of_squares(x):
    return np.sum(x**2)


defvjp(safe_norm_sum_of_squares, lambda g, ans, x: 2 * g * x)


def safe_norm_not_a_primitive(x):
    return anp.sqrt(anp.sum(x**2))


@primitive
def safe_norm_forgets_g(x):
    return np.sqrt(np.sum(x**2))


defvjp(safe_norm_forgets_g, lambda g, ans, x: x / anp.where(ans > 0, ans, 1.0))


@primitive
def safe_norm_with_epsilon(x):
    return np.sqrt(np.sum(x**2))


defvjp(safe_norm_with_epsilon, lambda g, ans, x: g * x / (ans + 1e-12))


@primitive
def safe_norm_ones_at_zero(x):
    return np.sqrt(np.sum(x**2))


defvjp(
    safe_norm_ones_at_zero,
    lambda g, ans, x: g * x / ans if ans > 0 else g * np.ones_like(x),
)


WRONG = [
    Wrong("implicit_vjp", implicit_vjp_no_minus, "opposite sign"),
    Wrong("implicit_vjp", implicit_vjp_no_transpose_in_the_solve, "its transpose belongs"),
    Wrong("implicit_vjp", implicit_vjp_jvp_instead, "Jacobian-vector product"),
    Wrong("implicit_vjp", implicit_vjp_no_solve, "linear solve with F_x is missing"),
    Wrong("implicit_vjp", implicit_vjp_f_theta_not_transposed, "F_theta should be transposed"),
    Wrong("fixed_point_vjp", fixed_point_vjp_last_iteration_only, "only the last application"),
    Wrong("fixed_point_vjp", fixed_point_vjp_unrolled_from_x0, "memory grew"),
    Wrong("fixed_point_vjp", fixed_point_vjp_fixed_number_of_terms, "not solved to convergence"),
    Wrong("fixed_point_vjp", fixed_point_vjp_series_minus, "wrong sign"),
    Wrong("fixed_point_vjp", fixed_point_vjp_no_transpose, "its transpose belongs"),
    Wrong("safe_norm", safe_norm_nan_at_zero, "0 / 0"),
    Wrong("safe_norm", safe_norm_sum_of_squares, "square root is missing"),
    Wrong("safe_norm", safe_norm_not_a_primitive, "a plain function"),
    Wrong("safe_norm", safe_norm_forgets_g, "multiplies by the incoming g"),
    Wrong("safe_norm", safe_norm_with_epsilon, "small number added"),
    Wrong("safe_norm", safe_norm_ones_at_zero, "should return 0"),
]

# --- shortcuts: answers that let the library do the work ------------------------------------------


def implicit_vjp_through_grad(F_x, F_theta, x_bar):
    solution = lambda theta: -anp.linalg.solve(F_x, F_theta @ theta)  # noqa: E731
    return grad(lambda theta: anp.dot(x_bar, solution(theta)))(np.zeros(F_theta.shape[1]))


def implicit_vjp_through_make_vjp(F_x, F_theta, x_bar):
    solution = lambda theta: -anp.linalg.solve(F_x, F_theta @ theta)  # noqa: E731
    return make_vjp(solution)(np.zeros(F_theta.shape[1]))[0](x_bar)


def implicit_vjp_through_the_solve_rule(F_x, F_theta, x_bar):
    b = np.ones(F_x.shape[0])
    _, b_bar = linalg_vjps.solve_vjp((0, 1), x_bar, np.linalg.solve(F_x, b), F_x, b)
    return -F_theta.T @ b_bar


def implicit_vjp_through_the_registered_rule(F_x, F_theta, x_bar):
    rule = reverse.vjp_joint_rules[anp.linalg.solve]
    b = np.ones(F_x.shape[0])
    (b_bar,) = rule((1,), x_bar, np.linalg.solve(F_x, b), F_x, b)
    return -F_theta.T @ b_bar


def implicit_vjp_through_the_check(F_x, F_theta, x_bar):
    return sheet09.implicit_adjoint(F_x, F_theta, x_bar)


def fixed_point_vjp_through_the_library_primitive(g, ans, f, x0, theta):
    return make_vjp(lambda theta: fixed_point(f, ans, theta))(theta)[0](g)


def fixed_point_vjp_through_the_library_rule(g, ans, f, x0, theta):
    return fixed_point_adjoint(g, ans, f, x0, theta)


def fixed_point_vjp_through_the_registered_rule(g, ans, f, x0, theta):
    """Finds the rule by the primitive's name (the name itself is withheld during the check)."""
    rules = next(rules for fun, rules in reverse.vjp_rules.items() if fun.__name__ == "fixed_point")
    return rules[2](g, ans, f, x0, theta)


def fixed_point_vjp_through_jacobians(g, ans, f, x0, theta):
    f_x, f_theta = jacobian(f, 0)(ans, theta), jacobian(f, 1)(ans, theta)
    return f_theta.T @ np.linalg.solve(np.eye(np.size(ans)) - f_x.T, g)


def fixed_point_vjp_through_the_iteration_helper(g, ans, f, x0, theta):
    pull_back_x, _ = make_vjp(f, argnum=0)(ans, theta)
    u, _ = iterate_to_tolerance(lambda u: g + pull_back_x(u), g)
    return make_vjp(f, argnum=1)(ans, theta)[0](u)


def fixed_point_vjp_through_the_checks_jacobians(g, ans, f, x0, theta):
    f_x, f_theta = sheet09._exact_adjoint_parts(f, ans, theta)
    return f_theta.T @ np.linalg.solve(np.eye(np.size(ans)) - f_x.T, g)


def fixed_point_vjp_through_finite_differences(g, ans, f, x0, theta):
    solve = lambda theta: fixed_point.raw_fun(f, ans, theta)  # noqa: E731
    return numerical_gradient(lambda theta: np.dot(g, solve(theta)), theta)


safe_norm_is_the_library_norm = anp.linalg.norm


@primitive
def safe_norm_with_the_library_rule(x):
    return np.sqrt(np.sum(x**2))


defvjp(safe_norm_with_the_library_rule, reverse.vjp_rules[anp.linalg.norm][0])


@primitive
def safe_norm_through_norm_vjp(x):
    return np.sqrt(np.sum(x**2))


defvjp(safe_norm_through_norm_vjp, lambda g, ans, x: linalg_vjps.norm_vjp(g, ans, x))


@primitive
def safe_norm_through_grad_of_the_norm(x):
    return np.sqrt(np.sum(x**2))


defvjp(safe_norm_through_grad_of_the_norm, lambda g, ans, x: g * grad(anp.linalg.norm)(x))


@primitive
def safe_norm_through_make_vjp(x):
    return np.sqrt(np.sum(x**2))


def _pull_back_through_a_safe_formula(g, ans, x):
    safe = lambda x: anp.sqrt(anp.sum(x**2) + (ans == 0))  # noqa: E731  (1 under the root at 0)
    return g * make_vjp(safe)(x)[0](1.0)


defvjp(safe_norm_through_make_vjp, _pull_back_through_a_safe_formula)


@primitive
def safe_norm_through_the_norm_inside(x):
    return x


def safe_norm_calls_the_library_norm(x):
    return anp.linalg.norm(safe_norm_through_the_norm_inside(x))


defvjp(safe_norm_through_the_norm_inside, lambda g, ans, x: g)
safe_norm_calls_the_library_norm = primitive(safe_norm_calls_the_library_norm)
defvjp(
    safe_norm_calls_the_library_norm,
    lambda g, ans, x: g * linalg_vjps.norm_derivative(x, ans),
)


SHORTCUTS = [
    Shortcut("implicit_vjp", implicit_vjp_through_grad),
    Shortcut("implicit_vjp", implicit_vjp_through_make_vjp),
    Shortcut("implicit_vjp", implicit_vjp_through_the_solve_rule),
    Shortcut("implicit_vjp", implicit_vjp_through_the_registered_rule),
    Shortcut("implicit_vjp", implicit_vjp_through_the_check),
    Shortcut("fixed_point_vjp", fixed_point_vjp_through_the_library_primitive),
    Shortcut("fixed_point_vjp", fixed_point_vjp_through_the_library_rule),
    Shortcut("fixed_point_vjp", fixed_point_vjp_through_the_registered_rule),
    Shortcut("fixed_point_vjp", fixed_point_vjp_through_jacobians),
    Shortcut("fixed_point_vjp", fixed_point_vjp_through_the_iteration_helper),
    Shortcut("fixed_point_vjp", fixed_point_vjp_through_the_checks_jacobians),
    Shortcut("fixed_point_vjp", fixed_point_vjp_through_finite_differences),
    Shortcut("safe_norm", safe_norm_is_the_library_norm),
    Shortcut("safe_norm", safe_norm_with_the_library_rule),
    Shortcut("safe_norm", safe_norm_through_norm_vjp),
    Shortcut("safe_norm", safe_norm_through_grad_of_the_norm),
    Shortcut("safe_norm", safe_norm_through_make_vjp),
    Shortcut("safe_norm", safe_norm_calls_the_library_norm),
]

TestBothWays = both_ways("09_implicit_differentiation", SOLUTIONS, stub, WRONG, SHORTCUTS)


def _fixed_point_problem():
    description, f, x0, theta = sheet09._fixed_point_cases()[1]
    ans = fixed_point(f, x0, theta)
    return f, x0, theta, ans, np.random.default_rng(7).standard_normal(ans.shape)


@pytest.mark.parametrize("shortcut", SHORTCUTS, ids=[cut.answer.__name__ for cut in SHORTCUTS])
def test_each_shortcut_would_pass_if_the_library_were_not_withheld(shortcut):
    """A shortcut proves something only if it is a right answer: the library's, not a wrong one."""
    if shortcut.name == "implicit_vjp":
        for _, F_x, F_theta, x_bar in sheet09._implicit_cases():
            expected = implicit_vjp(F_x, F_theta, x_bar)
            assert np.allclose(shortcut.answer(F_x, F_theta, x_bar), expected, atol=1e-10)
    elif shortcut.name == "fixed_point_vjp":
        f, x0, theta, ans, g = _fixed_point_problem()
        expected = fixed_point_vjp(g, ans, f, x0, theta)
        assert np.allclose(shortcut.answer(g, ans, f, x0, theta), expected, atol=1e-6)
    else:
        x = np.array([0.3, -1.2, 2.0])
        assert np.allclose(grad(shortcut.answer)(x), x / np.linalg.norm(x))
        assert np.allclose(grad(shortcut.answer)(np.zeros(3)), 0.0)


def test_the_unrolled_rule_has_the_right_value_and_is_caught_by_its_memory():
    f, x0, theta, ans, g = _fixed_point_problem()
    assert np.allclose(
        fixed_point_vjp_unrolled_from_x0(g, ans, f, x0, theta),
        fixed_point_vjp(g, ans, f, x0, theta),
        rtol=1e-9,
    )
    verdict = run_check("fixed_point_vjp", fixed_point_vjp_unrolled_from_x0)
    assert "peak memory" in verdict.detail and "iterations" in verdict.hint, verdict.text


def test_the_not_a_primitive_answer_really_gives_nan_at_zero():
    """The hint says that grad of the plain formula is nan at 0: the library agrees."""
    with np.errstate(all="ignore"):
        assert np.all(np.isnan(grad(safe_norm_not_a_primitive)(np.zeros(3))))


# --- the first hint names the mistake and holds no code; the route comes on request ---------------


@pytest.mark.parametrize("wrong", WRONG, ids=[w.answer.__name__ for w in WRONG])
def test_first_hints_give_no_code(wrong):
    hint = run_check(wrong.name, wrong.answer).hint
    for code in ("np.", "anp.", "@", ".T", "solve(", "make_vjp(", "where(", "lambda"):
        assert code not in hint, hint
    assert not re.search(r"return [\w.]+ *[-+*/@(]", hint), hint


@pytest.mark.parametrize(
    "name, answer, route",
    [
        ("implicit_vjp", implicit_vjp_no_minus, "<a, M b> = <M^T a, b>"),
        ("fixed_point_vjp", fixed_point_vjp_last_iteration_only, "F_x = I - f_x"),
        ("fixed_point_vjp", fixed_point_vjp_unrolled_from_x0, "trace f once"),
        ("safe_norm", safe_norm_nan_at_zero, "d||x|| = <x, dx> / ||x||"),
    ],
)
def test_the_route_is_the_second_level(name, answer, route):
    first = run_check(name, answer)
    assert route not in first.text and "hint=True" in first.hint, first.text
    second = run_check(name, answer, route=True)
    assert route in second.route, second.route


# --- the closed forms the checks expect agree with finite differences -----------------------------


def test_the_implicit_adjoint_matches_finite_differences_of_a_solve():
    """F(x, theta) = A x - B theta - c sin(theta) has x* in closed form: hold the rule to it."""
    rng = np.random.default_rng(3)
    A, B, x_bar = (
        rng.standard_normal((4, 4)) + 4 * np.eye(4),
        rng.standard_normal((4, 2)),
        rng.standard_normal(4),
    )
    theta = rng.standard_normal(2)
    solution = lambda theta: np.linalg.solve(A, B @ theta + np.sin(theta).sum())  # noqa: E731
    F_theta = -B - np.ones((4, 1)) * np.cos(theta)
    numeric = numerical_gradient(lambda theta: x_bar @ solution(theta), theta)
    assert np.allclose(sheet09.implicit_adjoint(A, F_theta, x_bar), numeric, atol=1e-8)


@pytest.mark.parametrize("case", range(3))
def test_the_fixed_point_adjoint_matches_finite_differences(case):
    description, f, x0, theta = sheet09._fixed_point_cases()[case]
    ans = fixed_point(f, x0, theta)
    g = np.random.default_rng(case).standard_normal(ans.shape)
    f_x, f_theta = sheet09._exact_adjoint_parts(f, ans, theta)
    expected = f_theta.T @ np.linalg.solve(np.eye(len(ans)) - f_x.T, g)
    numeric = numerical_gradient(lambda theta: g @ fixed_point.raw_fun(f, x0, theta), theta)
    assert np.allclose(expected, numeric, atol=1e-6), description


def test_the_memory_cases_take_few_and_many_iterations():
    counts = []
    for rate in (0.5, 0.98):
        _, f, x0, theta = sheet09._memory_case(rate)
        counts.append(iterate_to_tolerance(lambda x: f(x, theta), x0)[1])  # noqa: B023
    assert counts[0] < 60 and counts[1] > 1000, counts
