"""ArrayBox: a traced array that behaves like an ndarray.

Inside a differentiated function, values are ArrayBoxes. Python operators on
them (`x * y`, `x @ W`, `-x`, `x[1:]`, `x.T`, `x.sum()`) call the wrapped
NumPy primitives, so every step is recorded. Comparisons return plain boolean
arrays: a branch on them is fine, it just carries no derivative.

A plain `numpy` function called on an ArrayBox is sent, through NumPy's own
dispatch protocols (`__array_ufunc__`, `__array_function__`), to the
`autodidact.numpy` function of the same name, which records it. A NumPy
function the wrapper does not know raises an error that names it, rather
than silently turning the Box into an array of objects.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..tracer import Box, isbox
from . import numpy_wrapper as anp

# NumPy's own function -> the traced version in numpy_wrapper (filled by __init__.py)
traced_version_of: dict[Any, Any] = {}


def _refuse(what: str) -> TypeError:
    return TypeError(
        f"{what} was applied to a traced value. Inside a function you differentiate, "
        "call `autodidact.numpy` (import autodidact.numpy as anp) instead of plain `numpy`, "
        "and build new arrays with anp.array / anp.stack / anp.concatenate rather than "
        "converting traced values to NumPy arrays."
    )


class ArrayBox(Box):
    """A Box around a float, a complex number or an ndarray, with NumPy's operators."""

    __slots__ = ()
    __array_priority__ = 100.0

    def __init__(self, value: Any, trace_id: int, node: Any) -> None:
        # A Python float or complex input becomes a NumPy scalar, so that the
        # derivative rules compute with NumPy's arithmetic (1 / 0.0 is inf,
        # with a warning) rather than Python's (ZeroDivisionError).
        if type(value) is float:
            value = _np.float64(value)
        elif type(value) is complex:
            value = _np.complex128(value)
        Box.__init__(self, value, trace_id, node)

    # -- what the array looks like (these carry no derivative) --------------
    shape = property(lambda self: _np.shape(self._value))
    ndim = property(lambda self: _np.ndim(self._value))
    size = property(lambda self: _np.size(self._value))
    dtype = property(lambda self: _np.result_type(self._value))
    T = property(lambda self: anp.transpose(self))

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        return format(self._value, spec)

    def __float__(self) -> float:
        raise _refuse("float()") from None

    def __array__(self, dtype: Any = None, copy: Any = None) -> _np.ndarray:
        raise _refuse("a conversion to a plain NumPy array (np.asarray, np.array, a[i] = ...)")

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # -- indexing -----------------------------------------------------------
    def __getitem__(self, index: Any) -> Any:
        return anp.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "in-place assignment into a traced array (x[i] = ...) is not supported: reverse "
            "mode keeps every intermediate value, and overwriting one would silently corrupt "
            "the gradient. Build a new array instead, e.g. anp.where(mask, new, x), "
            "anp.concatenate([x[:i], new, x[i + 1:]]) or anp.stack([...])."
        )

    # -- arithmetic ---------------------------------------------------------
    def __neg__(self):
        return anp.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return anp.absolute(self)

    def __add__(self, other):
        return anp.add(self, other)

    def __radd__(self, other):
        return anp.add(other, self)

    def __sub__(self, other):
        return anp.subtract(self, other)

    def __rsub__(self, other):
        return anp.subtract(other, self)

    def __mul__(self, other):
        return anp.multiply(self, other)

    def __rmul__(self, other):
        return anp.multiply(other, self)

    def __truediv__(self, other):
        return anp.divide(self, other)

    def __rtruediv__(self, other):
        return anp.divide(other, self)

    def __pow__(self, other):
        return anp.power(self, other)

    def __rpow__(self, other):
        return anp.power(other, self)

    def __mod__(self, other):
        return anp.mod(self, other)

    def __rmod__(self, other):
        return anp.mod(other, self)

    def __floordiv__(self, other):
        return anp.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return anp.floor_divide(other, self)

    def __matmul__(self, other):
        return anp.matmul(self, other)

    def __rmatmul__(self, other):
        return anp.matmul(other, self)

    # -- comparisons: plain booleans, no derivative -------------------------
    def __eq__(self, other):
        return anp.equal(self, other)

    def __ne__(self, other):
        return anp.not_equal(self, other)

    def __lt__(self, other):
        return anp.less(self, other)

    def __le__(self, other):
        return anp.less_equal(self, other)

    def __gt__(self, other):
        return anp.greater(self, other)

    def __ge__(self, other):
        return anp.greater_equal(self, other)

    # -- methods of ndarray -------------------------------------------------
    def sum(self, axis=None, keepdims=False, **kwargs):
        return anp.sum(self, axis=axis, keepdims=keepdims, **kwargs)

    def mean(self, axis=None, keepdims=False, **kwargs):
        return anp.mean(self, axis=axis, keepdims=keepdims, **kwargs)

    def prod(self, axis=None, keepdims=False, **kwargs):
        return anp.prod(self, axis=axis, keepdims=keepdims, **kwargs)

    def max(self, axis=None, keepdims=False, **kwargs):
        return anp.max(self, axis=axis, keepdims=keepdims, **kwargs)

    def min(self, axis=None, keepdims=False, **kwargs):
        return anp.min(self, axis=axis, keepdims=keepdims, **kwargs)

    def var(self, axis=None, ddof=0, keepdims=False):
        return anp.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        return anp.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis=None):
        return anp.cumsum(self, axis=axis)

    def cumprod(self, axis=None):
        return anp.cumprod(self, axis=axis)

    def reshape(self, *shape, **kwargs):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return anp.reshape(self, shape, **kwargs)

    def ravel(self):
        return anp.ravel(self)

    flatten = ravel

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return anp.transpose(self, axes or None)

    def swapaxes(self, axis1, axis2):
        return anp.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return anp.squeeze(self, axis=axis)

    def dot(self, other):
        return anp.dot(self, other)

    def clip(self, min=None, max=None):  # noqa: A002 (ndarray's own names)
        return anp.clip(self, min, max)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return anp.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        return anp.trace(self, offset, axis1, axis2)

    def take(self, indices, axis=None):
        return anp.take(self, indices, axis=axis)

    def repeat(self, repeats, axis=None):
        return anp.repeat(self, repeats, axis=axis)

    def astype(self, dtype, **kwargs):
        if not _np.issubdtype(dtype, _np.inexact):  # integers and booleans carry no derivative
            return anp.astype_without_derivative(self, dtype)
        return anp.astype(self, dtype)

    def copy(self):
        return anp.copy(self)

    def conj(self):
        return anp.conjugate(self)

    def argmax(self, axis=None):
        return anp.argmax(self, axis=axis)

    def argmin(self, axis=None):
        return anp.argmin(self, axis=axis)

    def argsort(self, axis=-1):
        return anp.argsort(self, axis=axis)

    def item(self):
        raise _refuse("item()") from None

    def tolist(self):
        raise _refuse("tolist()") from None

    real = property(lambda self: anp.real(self))
    imag = property(lambda self: anp.imag(self))

    # -- plain NumPy called on a Box: route to the traced version ------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:  # b += traced, np.add(a, traced, out=b): writes into an array
            raise TypeError(
                f"numpy.{ufunc.__name__} was asked to write a traced value into an existing "
                "array (an in-place operation such as b += x or out=...). Reverse mode keeps "
                "every intermediate value, so arrays cannot be overwritten: write b = b + x."
            )
        traced = traced_version_of.get(ufunc)
        if method != "__call__" or traced is None:
            name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
            raise _no_traced_version(name)
        return traced(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        traced = traced_version_of.get(func)
        if traced is None:
            raise _no_traced_version(f"numpy.{func.__name__}")
        return traced(*args, **kwargs)


def all_examples(x: Any) -> Any:
    """The plain array inside x, every Box unwrapped, vmap's too: all the examples at once.

    Each batch axis is moved to the front, so the trailing axes are one
    example's. For checks that must hold for every example (a singular
    matrix, repeated eigenvalues) and for choices a rule makes once for the
    whole batch.
    """
    if not isbox(x):
        return x
    inner = all_examples(x._value)
    batch_dim = getattr(x._node, "batch_dim", None)
    if batch_dim is None:
        return inner
    outer_axes = _np.ndim(inner) - _np.ndim(x._value)
    return _np.moveaxis(inner, outer_axes + batch_dim, 0)


def _no_traced_version(name: str) -> TypeError:
    return TypeError(
        f"{name} was called on a traced value, and autodidact has no derivative for it. "
        "Inside a function you differentiate, use the functions of `autodidact.numpy` "
        "(import autodidact.numpy as anp); if the one you need is missing, wrap it with "
        "`autodidact.primitive` and give it a rule with `autodidact.defvjp`."
    )


Box.register(
    ArrayBox,
    _np.ndarray,
    float,
    complex,
    _np.float64,
    _np.float32,
    _np.float16,
    _np.longdouble,
    _np.complex128,
    _np.complex64,
    _np.clongdouble,
)
Box.register(ArrayBox, ArrayBox)  # a value of an outer trace, boxed again by an inner one
