"""Every check of sheet 01 is proven both ways: it passes the solution, and fails the
stub and plausible wrong answers, with a hint and never a traceback."""

from __future__ import annotations

import numpy as np

import autodidact.finite_differences as fd
from autodidact import grad
from autodidact.course.checking import load_all_checks, run_check
from autodidact.course.verdicts import FAIL, PASS
from autodidact.teaching.finite_difference_widget import central_quotient

from .both_ways import SheetFunctions, Wrong, both_ways
from .conftest import REPO, SHEET

EXERCISES = ["forward_difference", "central_difference", "gradient_check"]


def test_every_solution_check_cell_names_a_registered_check():
    """Sheets and check modules meet on exercise names: no typo on either side."""
    registered = load_all_checks()
    for path in sorted((REPO / "solutions").glob("*.ipynb")):
        sheet_checks = [name for name, c in registered.items() if c.sheet == path.stem]
        text = path.read_text()
        for name in sheet_checks:
            assert f'check(\\"{name}\\"' in text, f"{path.name} has no check cell for {name}"


def test_unknown_check_name_is_a_fail_listing_the_known_ones():
    verdict = run_check("centrl_difference", lambda: None)
    assert verdict.status == FAIL and "central_difference" in verdict.hint


# Plausible wrong answers, each with a fragment of the hint it must receive.


def _loop(f, x, eps, quotient):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = 1.0
        g[i] = quotient(f, x, e, eps)
    return g


def forward_but_central(f, x, eps=1e-7):
    return _loop(f, x, eps, lambda f, x, e, h: (f(x + h * e) - f(x - h * e)) / (2 * h))


def forward_with_fixed_step(f, x, eps=1e-7):
    return _loop(f, x, 1e-7, lambda f, x, e, h: (f(x + h * e) - f(x)) / h)


def forward_with_2d_calls(f, x, eps=1e-7):
    return _loop(f, x, eps, lambda f, x, e, h: (f(x + h * e) - f(x)) / h)


def forward_in_place(f, x, eps=1e-7):
    x = np.asarray(x, dtype=float)
    f_x, g = f(x), np.zeros_like(x)
    for i in range(x.size):
        x_step = x  # no copy: steps the caller's array
        x_step[i] += eps
        g[i] = (f(x_step) - f_x) / eps
    return g


def central_in_place(f, x, eps=1e-5):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        g[i] = (f_plus - f(x)) / (2 * eps)
        x[i] += eps  # restored, but with round-off: x is not bit-for-bit the same
    return g


def forward_on_integers(f, x, eps=1e-7):
    f_x, g = f(x), np.zeros(len(x))
    for i in range(len(x)):
        x_step = np.array(x)  # keeps an integer dtype
        x_step[i] += eps
        g[i] = (f(x_step) - f_x) / eps
    return g


def forward_returns_scalar(f, x, eps=1e-7):
    return (f(x + eps) - f(x)) / eps


def forward_all_coordinates_at_once(f, x, eps=1e-7):
    x = np.asarray(x, dtype=float)
    return np.full(x.shape, (f(x + eps) - f(x)) / eps)


def central_but_one_sided(f, x, eps=1e-5):
    return _loop(f, x, eps, lambda f, x, e, h: (f(x + h * e) - f(x)) / h)


def central_without_the_2(f, x, eps=1e-5):
    return _loop(f, x, eps, lambda f, x, e, h: (f(x + h * e) - f(x - h * e)) / h)


def central_with_fixed_step(f, x, eps=1e-5):
    return _loop(f, x, 1e-5, lambda f, x, e, h: (f(x + h * e) - f(x - h * e)) / (2 * h))


def central_that_crashes(f, x, eps=1e-5):
    return float(f(x)) / 0


def _direction(x, seed):
    d = np.random.default_rng(seed).standard_normal(np.shape(x))
    return d / np.linalg.norm(d)


def check_absolute_error(f, grad_f, x, eps=1e-6, seed=0):
    d = _direction(x, seed)
    return abs((f(x + eps * d) - f(x - eps * d)) / (2 * eps) - d @ grad_f(x))


def check_first_coordinate_only(f, grad_f, x, eps=1e-6, seed=0):
    d = np.zeros_like(x)
    d[0] = 1.0
    n, a = (f(x + eps * d) - f(x - eps * d)) / (2 * eps), d @ grad_f(x)
    return abs(n - a) / max(abs(n), abs(a))


def _relative(f, grad_f, x, eps, d):
    n, a = (f(x + eps * d) - f(x - eps * d)) / (2 * eps), d @ grad_f(x)
    return abs(n - a) / max(abs(n), abs(a))


def check_unseeded(f, grad_f, x, eps=1e-6, seed=0):
    return _relative(f, grad_f, x, eps, _direction(x, None))


def check_ignores_seed(f, grad_f, x, eps=1e-6, seed=0):
    return _relative(f, grad_f, x, eps, _direction(x, 0))


def check_returns_vector(f, grad_f, x, eps=1e-6, seed=0):
    return np.abs(grad_f(x) - (f(x + eps) - f(x - eps)) / (2 * eps))


WRONG_ANSWERS = [
    ("forward_difference", forward_but_central, "that is the central quotient"),
    ("forward_difference", forward_with_fixed_step, "use the eps you were given"),
    ("forward_difference", forward_with_2d_calls, "d + 1"),
    ("forward_difference", forward_in_place, "changed the caller's x"),
    ("central_difference", central_in_place, "changed the caller's x"),
    ("forward_difference", forward_on_integers, "an integer array cannot hold"),
    ("forward_difference", forward_returns_scalar, "one entry per coordinate"),
    ("forward_difference", forward_all_coordinates_at_once, "moved every coordinate at once"),
    ("central_difference", central_but_one_sided, "what a one-sided quotient makes"),
    ("central_difference", central_without_the_2, "twice the right ones"),
    ("central_difference", central_with_fixed_step, "use the eps you were given"),
    Wrong(
        "central_difference",
        central_that_crashes,
        "your code raised ZeroDivisionError",
        crashes=True,
        hinted=False,  # the first call gives no hint: the exception says what went wrong
    ),
    ("gradient_check", check_absolute_error, "must not depend on that scale"),
    ("gradient_check", check_first_coordinate_only, "never moves that coordinate"),
    ("gradient_check", check_unseeded, "the same result twice"),
    ("gradient_check", check_ignores_seed, "does not depend on the seed"),
    ("gradient_check", check_returns_vector, "one non-negative number"),
]


# Shortcuts: answers that let the library compute the derivative. Defined here, outside the
# package, they count as a student's code.


def forward_through_numerical_gradient(f, x, eps=1e-7):
    return fd.numerical_gradient(f, x, eps=eps, method="one-sided")


def central_through_numerical_gradient(f, x, eps=1e-5):
    return fd.numerical_gradient(f, x, eps=eps)


def central_through_the_scalar_library_quotient(f, x, eps=1e-5):
    """The library's scalar central_difference, one coordinate at a time."""
    x = np.asarray(x, dtype=float)
    basis = np.eye(x.size)
    return np.array([fd.central_difference(lambda t, e=e: f(x + t * e), 0.0, eps) for e in basis])


def central_through_the_widget_quotient(f, x, eps=1e-5):
    x = np.asarray(x, dtype=float)
    return np.array(
        [central_quotient(lambda t, e=e: f(x + t * e), 0.0, eps) for e in np.eye(x.size)]
    )


def central_through_grad(f, x, eps=1e-5):
    return grad(f)(np.asarray(x, dtype=float))


def check_through_directional_derivative(f, grad_f, x, eps=1e-6, seed=0):
    delta = np.random.default_rng(seed).standard_normal(x.shape)
    delta /= np.linalg.norm(delta)
    numeric = fd.directional_derivative(f, x, delta, eps)
    analytic = delta @ grad_f(x)
    return abs(numeric - analytic) / max(abs(numeric), abs(analytic))


def check_through_grad(f, grad_f, x, eps=1e-6, seed=0):
    """Compares grad_f with the library's gradient instead of with differences."""
    true, claimed = grad(f)(x), grad_f(x)
    return float(np.linalg.norm(true - claimed) / np.linalg.norm(true))


SHORTCUTS = [
    ("forward_difference", forward_through_numerical_gradient),
    ("central_difference", central_through_numerical_gradient),
    ("central_difference", central_through_the_scalar_library_quotient),
    ("central_difference", central_through_the_widget_quotient),
    ("central_difference", central_through_grad),
    ("gradient_check", check_through_directional_derivative),
    ("gradient_check", check_through_grad),
]


TestBothWays = both_ways(
    "01_finite_differences",
    SheetFunctions(REPO / "solutions" / SHEET, EXERCISES),
    SheetFunctions(REPO / "exercises" / SHEET, EXERCISES),
    WRONG_ANSWERS,
    SHORTCUTS,
)


def test_the_shortcuts_would_pass_if_the_library_were_not_withheld():
    """Each shortcut is a right answer: only the withholding makes it fail."""
    x = np.array([0.3, -1.1, 2.0])
    sum_sin = lambda t: np.sum(np.sin(t))  # noqa: E731
    assert np.allclose(forward_through_numerical_gradient(sum_sin, x), np.cos(x), atol=1e-6)
    for answer in (
        central_through_numerical_gradient,
        central_through_the_scalar_library_quotient,
        central_through_the_widget_quotient,
    ):
        assert np.allclose(answer(sum_sin, x), np.cos(x), atol=1e-9)
    assert check_through_directional_derivative(sum_sin, np.cos, x) < 1e-8


def test_the_first_hint_names_the_mistake_and_the_route_gives_the_quotient():
    first = run_check("central_difference", central_without_the_2)
    assert first.status == FAIL and not first.route
    assert "hint=True" in first.hint and "(2 eps)" not in first.hint
    second = run_check("central_difference", central_without_the_2, route=True)
    assert "(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)" in second.route


def test_the_checks_still_pass_after_a_shortcut_was_refused():
    """Everything withheld is put back: the solution passes right after a refused shortcut."""
    run_check("central_difference", central_through_the_scalar_library_quotient)
    assert np.isclose(fd.central_difference(np.sin, 0.0), 1.0)
    verdict = run_check("central_difference", central_through_numerical_gradient)
    assert verdict.status == FAIL
    assert run_check("forward_difference", forward_with_fixed_step).status == FAIL
    solutions = SheetFunctions(REPO / "solutions" / SHEET, EXERCISES)
    assert run_check("central_difference", solutions["central_difference"]).status == PASS


def test_a_library_not_implemented_error_is_a_failure_not_a_todo():
    from autodidact.course.checking import run_check

    def uses_a_primitive_without_a_rule(f, x, eps=1e-5):
        raise NotImplementedError("reverse mode has no VJP for argument 0 of `mystery`")

    verdict = run_check("central_difference", uses_a_primitive_without_a_rule)
    assert verdict.status == "FAIL" and "no VJP" in verdict.text, verdict.text
