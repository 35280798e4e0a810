"""Numerical derivatives: the yardstick every automatic derivative is held to.

A derivative is a limit, f'(x) = lim (f(x + eps) - f(x)) / eps, and a computer
can only take the quotient at a finite eps. Three ways to do it:

* one-sided   (f(x + eps) - f(x)) / eps              error O(eps) + O(u / eps)
* central     (f(x + eps) - f(x - eps)) / (2 eps)    error O(eps^2) + O(u / eps)
* complex step Im f(x + i h) / h                     error O(h^2), no cancellation

Here u = 2.2e-16 is the unit round-off of float64. The first two subtract two
nearly equal numbers, so making eps tiny trades truncation error for round-off
error; the best one-sided eps is near sqrt(u) = 1.5e-8 (error near 1e-8), the
best central eps near u**(1/3) = 6e-6 (error near 1e-11). The complex step
subtracts nothing, so h = 1e-20 gives f'(x) to machine precision, provided f is
written with operations that accept complex numbers.

These functions work on plain NumPy values; `autodidact.test_util.check_grads`
uses them to test the library's own derivatives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "one_sided_difference",
    "central_difference",
    "complex_step_derivative",
    "numerical_gradient",
    "directional_derivative",
]


def one_sided_difference(f: Callable, x: float, eps: float = 1e-8) -> float:
    """The forward quotient (f(x + eps) - f(x)) / eps for a scalar function."""
    return (f(x + eps) - f(x)) / eps


def central_difference(f: Callable, x: float, eps: float = 1e-6) -> float:
    """The central quotient (f(x + eps) - f(x - eps)) / (2 eps) for a scalar function."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def complex_step_derivative(f: Callable, x: float, h: float = 1e-20) -> float:
    """Im f(x + i h) / h: exact to machine precision for real-analytic f."""
    return np.imag(f(x + 1j * h)) / h


def numerical_gradient(
    f: Callable, x: np.ndarray, eps: float = 1e-6, method: str = "central"
) -> np.ndarray:
    """The gradient of a scalar function of an array, one coordinate at a time.

    Costs d + 1 evaluations of f for `method="one-sided"`, 2 d for "central" and
    d for "complex-step" (d = x.size): this linear cost in d is what makes
    finite differences hopeless for models with millions of parameters.
    """
    x = np.asarray(x, dtype=float)
    gradient = np.zeros_like(x)
    basis = np.zeros_like(x)
    if method == "one-sided":
        f_x = f(x)
    for index in np.ndindex(x.shape):
        basis[index] = 1.0
        if method == "central":
            gradient[index] = (f(x + eps * basis) - f(x - eps * basis)) / (2 * eps)
        elif method == "one-sided":
            gradient[index] = (f(x + eps * basis) - f_x) / eps
        elif method == "complex-step":
            gradient[index] = np.imag(f(x + 1j * eps * basis)) / eps
        else:
            raise ValueError(
                f"unknown method {method!r}: use 'central', 'one-sided' or 'complex-step'"
            )
        basis[index] = 0.0
    return gradient


def directional_derivative(f: Callable, x, direction, eps: float = 1e-6):
    """(f(x + eps d) - f(x - eps d)) / (2 eps), the derivative of f along d.

    This is delta^T grad f(x) + O(eps^2) for a scalar f, and J d + O(eps^2) for
    a vector-valued f: one cheap number to compare an AD gradient against.
    """
    return (f(x + eps * direction) - f(x - eps * direction)) / (2 * eps)
