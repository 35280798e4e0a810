"""Every check of sheet 01 is proven both ways: it passes the solution, and fails the
stub and plausible wrong answers, with a hint and never a traceback."""

from __future__ import annotations

import numpy as np

from autodidact.course.checking import load_all_checks, run_check
from autodidact.course.verdicts import FAIL

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
    ("forward_difference", forward_with_fixed_step, "use the eps argument"),
    ("forward_difference", forward_with_2d_calls, "d + 1"),
    ("forward_difference", forward_in_place, "must not change the caller's array"),
    ("central_difference", central_in_place, "must not change the caller's array"),
    ("forward_difference", forward_on_integers, "float copy of x"),
    ("forward_difference", forward_returns_scalar, "of shape (3,)"),
    ("central_difference", central_but_one_sided, "accuracy of a one-sided quotient"),
    ("central_difference", central_without_the_2, "divide by 2 eps"),
    ("central_difference", central_with_fixed_step, "use the eps argument"),
    Wrong(
        "central_difference",
        central_that_crashes,
        "your code raised ZeroDivisionError",
        crashes=True,
        hinted=False,  # the first call gives no hint: the exception says what went wrong
    ),
    ("gradient_check", check_absolute_error, "size of the derivatives"),
    ("gradient_check", check_first_coordinate_only, "random direction"),
    ("gradient_check", check_unseeded, "the same result twice"),
    ("gradient_check", check_ignores_seed, "use the seed you were given"),
    ("gradient_check", check_returns_vector, "one non-negative number"),
]


TestBothWays = both_ways(
    "01_finite_differences",
    SheetFunctions(REPO / "solutions" / SHEET, EXERCISES),
    SheetFunctions(REPO / "exercises" / SHEET, EXERCISES),
    WRONG_ANSWERS,
)


def test_a_library_not_implemented_error_is_a_failure_not_a_todo():
    from autodidact.course.checking import run_check

    def uses_a_primitive_without_a_rule(f, x, eps=1e-5):
        raise NotImplementedError("reverse mode has no VJP for argument 0 of `mystery`")

    verdict = run_check("central_difference", uses_a_primitive_without_a_rule)
    assert verdict.status == "FAIL" and "no VJP" in verdict.text, verdict.text
