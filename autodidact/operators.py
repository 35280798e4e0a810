"""The differential operators a user calls: grad, value_and_grad, jacobian, ...

Each takes a Python function and returns a new function, with the names and
signatures of HIPS Autograd:

    grad(fun, argnum=0)(*args)              d fun / d args[argnum], fun scalar-valued
    value_and_grad(fun, argnum=0)(*args)    (fun(*args), the same gradient)
    elementwise_grad(fun, argnum=0)(*args)  the VJP with a vector of ones
    make_vjp(fun, argnum=0)(*args)          (vjp, fun(*args)), vjp(g) = g^T J
    jacobian(fun, argnum=0)(*args)          the full Jacobian, one VJP per output entry

`argnum` picks the positional argument to differentiate by; a tuple of
argnums differentiates by several at once and returns a tuple of gradients.
An argument may be a tuple, list or dict of arrays: its gradient comes back
with the same structure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from . import reverse
from .containers import flatten, leaf_paths
from .tracer import getval, isbox

__all__ = ["grad", "value_and_grad", "elementwise_grad", "make_vjp", "jacobian"]

Argnum = int | tuple[int, ...]


def _operator_name(operator: str, fun: Callable) -> str:
    return f"{operator}({getattr(fun, '__name__', 'f')})"


def select_argument(
    fun: Callable, args: tuple, kwargs: dict, argnum: Argnum, caller: str
) -> tuple[Callable, Any]:
    """Turn fun(*args) into a function of args[argnum] alone: returns (unary_fun, x).

    With a tuple of argnums, x is the tuple of those arguments. Also checks
    that every array to be differentiated by holds floating-point numbers.
    """
    argnums = (argnum,) if isinstance(argnum, int) else tuple(argnum)
    for k in argnums:
        if not isinstance(k, int) or not -len(args) <= k < len(args):
            raise IndexError(
                f"{caller} was asked for argnum={argnum!r}, but the function was called with "
                f"{len(args)} positional argument(s), numbered 0 to {len(args) - 1}. "
                "Pass an argnum in that range (keyword arguments cannot be differentiated by)."
            )
    argnums = tuple(k % len(args) for k in argnums)

    def unary_fun(x: Any) -> Any:
        new_args = list(args)
        for k, value in zip(argnums, (x,) if isinstance(argnum, int) else x, strict=True):
            new_args[k] = value
        return fun(*new_args, **kwargs)

    x = args[argnum % len(args)] if isinstance(argnum, int) else tuple(args[k] for k in argnums)
    for k in argnums:
        _check_differentiable(args[k], k, caller)
    return unary_fun, x


def _check_differentiable(x: Any, argnum: int, caller: str) -> None:
    """Raise a clear TypeError unless every leaf of x is a float or complex number or array."""
    leaves, _ = flatten(x)
    for leaf, path in zip(leaves, leaf_paths(x), strict=True):
        value = getval(leaf)
        where = f"argument {argnum}{path}"
        try:
            dtype = np.result_type(value)
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind == "O" or not np.issubdtype(dtype, np.number):
            raise TypeError(
                f"{caller} cannot differentiate with respect to {where}: it is "
                f"{type(value).__name__} {value!r:.60}, not a number or an array of numbers. "
                "Pass floats or NumPy float arrays (or tuples, lists and dicts of them)."
            )
        if not np.issubdtype(dtype, np.inexact):
            raise TypeError(
                f"{caller} cannot differentiate with respect to {where}: it holds integers "
                f"({dtype}), and a derivative needs values that can change by a little. "
                "Pass floats instead, e.g. 5.0 rather than 5, or x.astype(float)."
            )


def make_vjp(fun: Callable, argnum: Argnum = 0) -> Callable:
    """make_vjp(fun, argnum)(*args) -> (vjp, ans): trace once, pull back any cotangent.

    vjp(g) returns g^T J, where J is the Jacobian of fun with respect to
    args[argnum] at args, without ever forming J.
    """

    @functools.wraps(fun)
    def vjp_maker(*args: Any, **kwargs: Any) -> tuple[Callable, Any]:
        unary_fun, x = select_argument(fun, args, kwargs, argnum, _operator_name("make_vjp", fun))
        return reverse.make_vjp(unary_fun, x)

    return vjp_maker


def _scalar_output_check(ans: Any, caller: str) -> None:
    if isinstance(ans, (tuple, list, dict)):
        raise TypeError(
            f"{caller} needs the function to return a single scalar, but it returned a "
            f"{type(ans).__name__}. Return one number (e.g. a loss), or use make_vjp for "
            "functions with several outputs."
        )
    if np.ndim(ans) != 0:
        raise TypeError(
            f"{caller} needs the function to return a scalar, but it returned an array of "
            f"shape {np.shape(ans)}. For the derivative of each output entry with respect to "
            "its own input use elementwise_grad(f); for all derivatives use jacobian(f); "
            "or reduce the output to a scalar first (e.g. anp.sum)."
        )


def value_and_grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """value_and_grad(fun)(*args) -> (fun(*args), grad(fun)(*args)) from a single trace."""

    @functools.wraps(fun)
    def value_and_gradient(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        caller = _operator_name("value_and_grad", fun)
        unary_fun, x = select_argument(fun, args, kwargs, argnum, caller)
        vjp, ans = reverse.make_vjp(unary_fun, x)
        _scalar_output_check(ans, caller)
        return ans, vjp(_ones_like(ans))

    return value_and_gradient


def grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The gradient of a scalar-valued function with respect to its argument `argnum`.

        >>> import autodidact.numpy as anp
        >>> grad(anp.sin)(0.0)
        np.float64(1.0)

    The result has the shape (and, for tuples, lists and dicts, the
    structure) of the argument. grad(grad(f)) and deeper work, because the
    backward pass is itself traced.
    """

    @functools.wraps(fun)
    def gradient(*args: Any, **kwargs: Any) -> Any:
        caller = _operator_name("grad", fun)
        unary_fun, x = select_argument(fun, args, kwargs, argnum, caller)
        vjp, ans = reverse.make_vjp(unary_fun, x)
        _scalar_output_check(ans, caller)
        return vjp(_ones_like(ans))

    return gradient


def elementwise_grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The VJP of fun with a cotangent of ones: the sum of the Jacobian's rows.

    For a function applied entry by entry (y_i depends on x_i only) this is
    the vector of derivatives dy_i/dx_i, e.g. elementwise_grad(anp.tanh)(x)
    is 1 - tanh(x)**2.
    """

    @functools.wraps(fun)
    def elementwise_gradient(*args: Any, **kwargs: Any) -> Any:
        caller = _operator_name("elementwise_grad", fun)
        unary_fun, x = select_argument(fun, args, kwargs, argnum, caller)
        vjp, ans = reverse.make_vjp(unary_fun, x)
        return vjp(_ones_like(ans))

    return elementwise_gradient


def _ones_like(ans: Any) -> Any:
    """A cotangent of ones shaped like `ans` (structures of arrays included)."""
    leaves, rebuild = flatten(ans)
    return rebuild([np.ones_like(getval(leaf), dtype=_inexact_dtype(leaf)) for leaf in leaves])


def _inexact_dtype(x: Any) -> np.dtype:
    dtype = np.result_type(getval(x))
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(float)


def jacobian(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The Jacobian of fun with respect to args[argnum], by reverse mode.

    One VJP per output entry: row i is e_i^T J. The result has shape
    `output.shape + input.shape` (for f: R^n -> R^m, the m x n matrix).
    """

    @functools.wraps(fun)
    def jacobian_fun(*args: Any, **kwargs: Any) -> Any:
        caller = _operator_name("jacobian", fun)
        unary_fun, x = select_argument(fun, args, kwargs, argnum, caller)
        if not isinstance(argnum, int) or isinstance(x, (tuple, list, dict)):
            raise TypeError(f"{caller} needs a single array argument; got a {type(x).__name__}")
        vjp, ans = reverse.make_vjp(unary_fun, x)
        if isinstance(ans, (tuple, list, dict)):
            raise TypeError(f"{caller} needs the function to return a single array")
        from . import numpy as anp  # the Jacobian is assembled with traced operations

        out_shape, in_shape = np.shape(ans), np.shape(getval(x))
        basis = np.eye(max(int(np.prod(out_shape)), 1), dtype=_inexact_dtype(ans))
        rows = [vjp(row.reshape(out_shape)) for row in basis[: int(np.prod(out_shape))]]
        if not rows:
            return np.zeros(out_shape + in_shape)
        if not any(isbox(row) for row in rows):
            return np.reshape(np.stack(rows), out_shape + in_shape)
        return anp.reshape(anp.stack(rows), out_shape + in_shape)

    return jacobian_fun
