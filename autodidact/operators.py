"""The differential operators a user calls: grad, value_and_grad, jacobian, ...

Each takes a Python function and returns a new function, with the names and
signatures of HIPS Autograd:

    grad(fun, argnum=0)(*args)              d fun / d args[argnum], fun scalar-valued
    value_and_grad(fun, argnum=0)(*args)    (fun(*args), the same gradient)
    elementwise_grad(fun, argnum=0)(*args)  the VJP with a vector of ones
    holomorphic_grad(fun, argnum=0)(*args)  f'(z) of a complex-differentiable f
    make_vjp(fun, argnum=0)(*args)          (vjp, fun(*args)), vjp(g) = g^T J
    jacobian(fun, argnum=0)(*args)          the full Jacobian, one VJP per output entry
    make_jvp(fun, argnum=0)(*args)(v)       (fun(*args), J v), by forward mode
    jacfwd(fun, argnum=0)(*args)            the full Jacobian, one JVP per input entry
    jacrev(fun, argnum=0)(*args)            the same, one VJP per output entry (= jacobian)
    hessian(fun, argnum=0)(*args)           the matrix of second derivatives
    hvp(fun, argnum=0)(*args, v)            H v, without forming H
    make_hvp(fun, argnum=0)(*args)          (hvp, gradient): H v for many v from one trace
    stop_gradient(x)                        x, seen by every trace as a constant

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

from . import forward, reverse
from .batching import defbatch, vmap
from .containers import flatten, leaf_paths
from .tracer import getval, isbox, notrace_primitive

__all__ = [
    "grad",
    "value_and_grad",
    "elementwise_grad",
    "holomorphic_grad",
    "make_vjp",
    "jacobian",
    "make_jvp",
    "jacfwd",
    "jacrev",
    "hessian",
    "hessian_tensor_product",
    "hvp",
    "make_hvp",
    "stop_gradient",
]

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
    if len(set(argnums)) != len(argnums):
        raise ValueError(
            f"{caller} was asked for argnum={argnum!r}, which names the same argument twice; "
            "list each argument once."
        )

    def unary_fun(x: Any) -> Any:
        new_args = list(args)
        for k, value in zip(argnums, (x,) if isinstance(argnum, int) else x, strict=True):
            new_args[k] = value
        return fun(*new_args, **kwargs)

    x = args[argnum % len(args)] if isinstance(argnum, int) else tuple(args[k] for k in argnums)
    for k in argnums:
        _check_differentiable(args[k], k, caller)
    if len(args) == 1 and isinstance(argnum, int) and not kwargs:
        return fun, x  # fun is already a function of x alone
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
    try:
        numeric = ans is not None and np.issubdtype(np.result_type(ans), np.number)
    except TypeError:
        numeric = False
    if not numeric:
        hint = " Did the function forget to `return` its result?" if ans is None else ""
        raise TypeError(
            f"{caller} needs the function to return a number, but it returned "
            f"{type(ans).__name__} {ans!r:.60}.{hint}"
        )
    if np.size(ans) != 1:  # a single number, though maybe of shape (1,) or (1, 1)
        raise TypeError(
            f"{caller} needs the function to return a scalar, but it returned an array of "
            f"shape {np.shape(ans)}. For the derivative of each output entry with respect to "
            "its own input use elementwise_grad(f); for all derivatives use jacobian(f); "
            "or reduce the output to a scalar first (e.g. anp.sum)."
        )
    if np.iscomplexobj(ans):
        raise TypeError(
            f"{caller} needs a real-valued function, but it returned the complex number "
            f"{ans!r:.60}. For a holomorphic function use holomorphic_grad(f) (its complex "
            "derivative f'(z)); for a real loss, return a real number (e.g. anp.abs(z) ** 2)."
        )


def _value_and_pullback_of_ones(
    fun: Callable, argnum: Argnum, args: tuple, kwargs: dict, caller: str, scalar: bool
) -> tuple[Any, Any]:
    """Trace fun once and pull back a cotangent of ones: (fun(*args), vjp(ones)).

    With `scalar`, fun must return a single number, so vjp(1) is its gradient.
    """
    unary_fun, x = select_argument(fun, args, kwargs, argnum, caller)
    vjp, ans = reverse.make_vjp(unary_fun, x)
    if scalar:
        _scalar_output_check(ans, caller)
    return ans, vjp(_ones_like(ans))


def value_and_grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """value_and_grad(fun)(*args) -> (fun(*args), grad(fun)(*args)) from a single trace."""

    @functools.wraps(fun)
    def value_and_gradient(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        caller = _operator_name("value_and_grad", fun)
        return _value_and_pullback_of_ones(fun, argnum, args, kwargs, caller, scalar=True)

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
        return _value_and_pullback_of_ones(fun, argnum, args, kwargs, caller, scalar=True)[1]

    return gradient


def holomorphic_grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The complex derivative f'(z) of a holomorphic (complex-differentiable) function.

    With Autograd's convention (see numpy_vjps.py) the VJP of a cotangent of
    1 through a holomorphic f is f'(z); `grad` refuses complex outputs, since
    for a function that is not holomorphic there is no single derivative.
    """

    @functools.wraps(fun)
    def derivative(*args: Any, **kwargs: Any) -> Any:
        caller = _operator_name("holomorphic_grad", fun)
        unary_fun, x = select_argument(fun, args, kwargs, argnum, caller)
        vjp, ans = reverse.make_vjp(unary_fun, x)
        if np.size(ans) != 1 or isinstance(ans, (tuple, list, dict)):
            raise TypeError(f"{caller} needs the function to return a single number")
        return vjp(_ones_like(ans))

    return derivative


def elementwise_grad(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The VJP of fun with a cotangent of ones: the sum of the Jacobian's rows.

    For a function applied entry by entry (y_i depends on x_i only) this is
    the vector of derivatives dy_i/dx_i, e.g. elementwise_grad(anp.tanh)(x)
    is 1 - tanh(x)**2.
    """

    @functools.wraps(fun)
    def elementwise_gradient(*args: Any, **kwargs: Any) -> Any:
        caller = _operator_name("elementwise_grad", fun)
        ans, gradient = _value_and_pullback_of_ones(fun, argnum, args, kwargs, caller, False)
        if any(np.iscomplexobj(leaf) for leaf in flatten(ans)[0]):
            raise TypeError(f"{caller} needs a real-valued function; its output is complex")
        return gradient

    return elementwise_gradient


def _ones_like(ans: Any) -> Any:
    """A cotangent of ones shaped like `ans` (structures of arrays included)."""
    leaves, rebuild = flatten(ans)
    return rebuild([np.ones_like(getval(leaf), dtype=_inexact_dtype(leaf)) for leaf in leaves])


def _inexact_dtype(x: Any) -> np.dtype:
    dtype = np.result_type(getval(x))
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(float)


def jacrev(fun: Callable, argnum: Argnum = 0, *, batched: bool = True) -> Callable:
    """The Jacobian of fun with respect to args[argnum], by reverse mode.

    One VJP per output entry: row i is e_i^T J. The result has shape
    `output.shape + input.shape` (for f: R^n -> R^m, the m x n matrix).
    One trace, then the m cotangents e_1, ..., e_m are pulled back: the mode
    of choice for wide Jacobians (few outputs, many inputs). `jacobian` is
    this function.

    By default the m backward passes are one pass, batched by `vmap`: every
    VJP rule runs once on the stack of all m cotangents (the identity
    matrix), so a matrix product handles all rows at once. `batched=False`
    loops over the rows instead, one backward pass each.
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
        out_shape, in_shape = np.shape(ans), np.shape(getval(x))
        size = int(np.prod(out_shape))
        if size == 0:
            return np.zeros(out_shape + in_shape)
        basis = np.eye(size, dtype=_inexact_dtype(ans)).reshape((size,) + out_shape)
        if batched:
            return _reshape(vmap(vjp)(basis), out_shape + in_shape)
        return _stack_entries([vjp(row) for row in basis], out_shape + in_shape, axis=0)

    return jacobian_fun


jacobian = jacrev  # as in Autograd, the Jacobian is computed by reverse mode


# ---------------------------------------------------------------------------
# Forward mode and second derivatives


def make_jvp(fun: Callable, argnum: Argnum = 0) -> Callable:
    """make_jvp(fun, argnum)(*args)(v) -> (ans, jvp): push the tangent v forward.

    jvp = J v, the directional derivative of fun at args along v, where J is
    the Jacobian with respect to args[argnum]; v is shaped like that
    argument. Each call of the returned function runs fun once, carrying the
    tangent along with the value (forward mode keeps no trace to reuse).

        >>> import autodidact.numpy as anp
        >>> make_jvp(anp.sin)(0.0)(2.0)
        (np.float64(0.0), np.float64(2.0))
    """

    @functools.wraps(fun)
    def jvp_maker(*args: Any, **kwargs: Any) -> Callable[[Any], tuple[Any, Any]]:
        unary_fun, x = select_argument(fun, args, kwargs, argnum, _operator_name("make_jvp", fun))
        return forward.make_jvp(unary_fun, x)

    return jvp_maker


def _stack_entries(entries: list, shape: tuple, axis: int = -1) -> Any:
    """Stack Jacobian columns (axis -1) or rows (axis 0) and reshape them to `shape`."""
    if not any(isbox(entry) for entry in entries):
        return np.reshape(np.stack(entries, axis=axis), shape)
    from . import numpy as anp  # nested: the Jacobian is assembled with traced operations

    return anp.reshape(anp.stack(entries, axis=axis), shape)


def _reshape(x: Any, shape: tuple) -> Any:
    """x reshaped, traced when x is (the Jacobian inside an outer derivative)."""
    if not isbox(x):
        return np.reshape(x, shape)
    from . import numpy as anp

    return anp.reshape(x, shape)


def jacfwd(fun: Callable, argnum: Argnum = 0, *, batched: bool = True) -> Callable:
    """The Jacobian of fun with respect to args[argnum], by forward mode.

    One JVP per input entry: column j is J e_j, the tangent of the output
    when input entry j moves at unit speed. The result has shape
    `output.shape + input.shape`, like `jacrev`'s. For f: R^n -> R^m this
    is n forward passes against jacrev's m backward passes: jacfwd wins for
    tall Jacobians (many outputs, few inputs).

    By default the n forward passes are one pass, batched by `vmap`: the
    value is computed once and carries the stack of all n tangents (the
    identity matrix), so each JVP rule runs once, on all the columns.
    `batched=False` loops over the columns instead, one forward pass each.
    """

    @functools.wraps(fun)
    def jacobian_fun(*args: Any, **kwargs: Any) -> Any:
        caller = _operator_name("jacfwd", fun)
        unary_fun, x = select_argument(fun, args, kwargs, argnum, caller)
        if not isinstance(argnum, int) or isinstance(x, (tuple, list, dict)):
            raise TypeError(f"{caller} needs a single array argument; got a {type(x).__name__}")
        push_forward = forward.make_jvp(unary_fun, x)
        in_shape = np.shape(getval(x))
        size = int(np.prod(in_shape))
        basis = np.eye(size, dtype=_inexact_dtype(x)).reshape((size,) + in_shape)
        if size == 0:  # an input with no entries: the Jacobian is empty
            ans, columns = unary_fun(x), None
        elif batched:
            ans, columns = vmap(push_forward, out_axes=(None, -1))(basis)
        else:
            ans, columns = None, []
            for unit_vector in basis:
                ans, column = push_forward(unit_vector)
                columns.append(column)
        if isinstance(ans, (tuple, list, dict)):
            raise TypeError(f"{caller} needs the function to return a single array")
        out_shape = np.shape(getval(ans))
        if size == 0:
            return np.zeros(out_shape + in_shape, dtype=_inexact_dtype(ans))
        if batched:
            return _reshape(columns, out_shape + in_shape)
        return _stack_entries(columns, out_shape + in_shape)

    return jacobian_fun


def hessian(fun: Callable, argnum: Argnum = 0) -> Callable:
    """The Hessian H[i, j] = d^2 fun / dx_i dx_j of a scalar-valued function.

    Computed forward-over-reverse, jacfwd(grad(fun)): the gradient is a
    function R^n -> R^n, so its Jacobian is square and both modes need n
    passes; a JVP through the gradient's reverse pass is the cheaper pass.
    jacfwd batches the n passes into one (vmap): the n tangents of the
    identity travel through the gradient's computation together.
    The result has shape `input.shape + input.shape`.
    """
    return jacfwd(grad(fun, argnum), argnum)


def hessian_tensor_product(fun: Callable, argnum: Argnum = 0) -> Callable:
    """hessian_tensor_product(fun, argnum)(*args, v) -> H v, without forming H.

    H v is the directional derivative of the gradient along v:

        H v = d/dt grad f(x + t v) at t = 0,

    one JVP of grad (forward-over-reverse), so it costs a small multiple of
    one gradient, whatever the size of x; forming H would cost n gradients.
    v is shaped like args[argnum] and is passed after the function's own
    arguments. `hvp` is the same function.
    """
    gradient = grad(fun, argnum)

    @functools.wraps(fun)
    def hessian_times(*args_and_v: Any, **kwargs: Any) -> Any:
        *args, v = args_and_v
        caller = _operator_name("hessian_tensor_product", fun)
        unary_gradient, x = select_argument(gradient, tuple(args), kwargs, argnum, caller)
        return forward.make_jvp(unary_gradient, x)(v)[1]

    return hessian_times


hvp = hessian_tensor_product


def make_hvp(fun: Callable, argnum: Argnum = 0) -> Callable:
    """make_hvp(fun, argnum)(*args) -> (hvp, gradient): many H v at one point, one trace.

    As in Autograd, the gradient's computation is traced once and hvp(v) is
    a VJP through it: v^T H, which is H v because H is symmetric
    (reverse-over-reverse). Each further v costs one backward pass and no
    new trace. The second value is the gradient at args (the function whose
    Jacobian is H), not fun's value.
    """
    return make_vjp(grad(fun, argnum), argnum)


# ---------------------------------------------------------------------------
# Cutting a value out of the derivative


@notrace_primitive
def _as_constant(x: Any) -> Any:
    return x


defbatch(_as_constant, lambda args, dims: (args[0], dims[0]))  # under vmap: the batch itself


def stop_gradient(x: Any) -> Any:
    """The value of x, with a derivative of zero: every trace sees it as a constant.

        >>> grad(lambda x: x * stop_gradient(x))(3.0)   # d/dx (x * c) = c, with c = x = 3
        np.float64(3.0)

    The value is unwrapped from the Boxes of every trace (reverse and forward
    mode, at every nesting level), so no trace records where it came from:
    d stop_gradient(x) / dx = 0 in both modes and to every order. Use it for
    a target that must not move with the parameters (a fixed point, a
    baseline, a moving average). `x` may be a tuple, list or dict of arrays.
    """
    leaves, rebuild = flatten(x)
    return rebuild([_as_constant(leaf) for leaf in leaves])
