"""check_grads: hold a function's automatic derivatives to finite differences.

For a random input direction v and a random output direction u,

    reverse mode:  <vjp(u), v>  should equal  <u, (f(x + eps v) - f(x - eps v)) / (2 eps)>
    forward mode:  jvp(v)       should equal  (f(x + eps v) - f(x - eps v)) / (2 eps)

up to O(eps^2). One random direction tests the whole Jacobian at once: a
wrong rule would have to be wrong exactly orthogonally to v to slip through.

Complex numbers are pairs of reals here, with <a, b> = Re sum(conj(a) b). The
VJP follows Autograd's convention (numpy_vjps.py), vjp(g) = conj(J^T conj(g))
with J^T the adjoint for that inner product, so the reverse-mode check pulls
back conj(u) and conjugates the result: <conj(vjp(conj(u))), v> = <u, J v>.
For real numbers the conjugates do nothing.
For `order=2` the same check runs on the VJP (and JVP) itself, viewed as a
function of (x, u): that tests the derivative of the derivative, and so on.

    check_grads(anp.sin, modes=["rev"], order=2)(1.3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import forward, reverse
from .containers import flatten
from .finite_differences import directional_derivative
from .tracer import getval

__all__ = ["check_grads", "check_vjp", "check_jvp"]

EPS = 1e-6
TOLERANCE = 1e-6


def _map_leaves(fun: Callable, *structures: Any) -> Any:
    leaves = [flatten(s)[0] for s in structures]
    _, rebuild = flatten(structures[0])
    return rebuild([fun(*parts) for parts in zip(*leaves, strict=True)])


def _inner(a: Any, b: Any) -> float:
    """The real inner product of two structures of arrays: sum of their entrywise products."""
    a_leaves, b_leaves = flatten(a)[0], flatten(b)[0]
    return float(
        np.sum(
            [
                np.real(np.vdot(getval(p), getval(q)))
                for p, q in zip(a_leaves, b_leaves, strict=True)
            ]
        )
    )


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    def draw(leaf: Any) -> Any:
        value = getval(leaf)
        shape = np.shape(value)
        sample = rng.standard_normal(shape)
        if np.iscomplexobj(value):
            sample = sample + 1j * rng.standard_normal(shape)
        return sample.astype(np.result_type(value, np.float64)) if shape else sample[()]

    return _map_leaves(draw, x)


def _plus(x: Any, eps: float, v: Any) -> Any:
    return _map_leaves(lambda a, b: a + eps * b, x, v)


def _assert_close(automatic: float, numeric: float, what: str) -> None:
    if not np.allclose(automatic, numeric, rtol=TOLERANCE, atol=TOLERANCE):
        raise AssertionError(
            f"{what}: automatic differentiation gives {automatic!r}, central differences "
            f"give {numeric!r} (difference {abs(automatic - numeric):.3g}, tolerance "
            f"{TOLERANCE:g} relative and absolute)."
        )


def check_vjp(fun: Callable, x: Any, rng: np.random.Generator | None = None) -> None:
    """Check reverse mode at x along one random input and one random output direction."""
    rng = np.random.default_rng(0) if rng is None else rng
    vjp, y = reverse.make_vjp(fun, x)
    v = _random_like(x, rng)
    u = _random_like(y, rng)
    automatic = _inner(_map_leaves(np.conj, vjp(_map_leaves(np.conj, u))), v)
    numeric = _inner(u, directional_difference(fun, x, v))
    _assert_close(automatic, numeric, f"VJP of {getattr(fun, '__name__', 'f')}")


def check_jvp(fun: Callable, x: Any, rng: np.random.Generator | None = None) -> None:
    """Check forward mode at x along one random input direction."""
    rng = np.random.default_rng(0) if rng is None else rng
    v = _random_like(x, rng)
    _, tangent = forward.make_jvp(fun, x)(v)
    u = _random_like(tangent, rng)
    automatic = _inner(u, tangent)
    numeric = _inner(u, directional_difference(fun, x, v))
    _assert_close(automatic, numeric, f"JVP of {getattr(fun, '__name__', 'f')}")


def directional_difference(fun: Callable, x: Any, v: Any, eps: float = EPS) -> Any:
    """(fun(x + eps v) - fun(x - eps v)) / (2 eps) for structures of arrays."""
    if not isinstance(x, (tuple, list, dict)):
        return directional_derivative(fun, x, v, eps)
    forward, backward = fun(_plus(x, eps, v)), fun(_plus(x, -eps, v))
    return _map_leaves(lambda a, b: (a - b) / (2 * eps), forward, backward)


def check_grads(
    fun: Callable, modes: Sequence[str] = ("fwd", "rev"), order: int = 2
) -> Callable[..., None]:
    """check_grads(fun, modes, order)(*args): raise AssertionError if a derivative is wrong.

    Checks every mode in `modes` ('rev', 'fwd') with respect to all
    positional arguments together, then the derivatives of those derivatives
    up to `order`.
    """
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"unknown mode {mode!r}: use 'fwd' and/or 'rev'")

    def check(*args: Any) -> None:
        rng = np.random.default_rng(0)
        _check(lambda packed: fun(*packed), tuple(args), modes, order, rng)

    return check


def _check(fun: Callable, x: Any, modes: Sequence[str], order: int, rng: np.random.Generator):
    if "fwd" in modes:
        check_jvp(fun, x, rng)
        if order > 1:

            def jvp_of(packed: tuple) -> Any:
                point, direction = packed
                return forward.make_jvp(fun, point)(direction)[1]

            _check(jvp_of, (x, _random_like(x, rng)), modes, order - 1, rng)
    if "rev" in modes:
        check_vjp(fun, x, rng)
        if order > 1:

            def vjp_of(packed: tuple) -> Any:
                point, cotangent = packed
                return reverse.make_vjp(fun, point)[0](cotangent)

            y = fun(x)
            _check(vjp_of, (x, _random_like(y, rng)), modes, order - 1, rng)
