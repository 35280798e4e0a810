"""NumPy's functions as primitives: the same names, now traceable.

`import autodidact.numpy as anp` gives a module that looks like NumPy. Each
function here is NumPy's own, wrapped by `primitive` (its output carries a
derivative; rules live in `numpy_vjps.py`) or by `notrace_primitive` (its
output is piecewise constant or not a number: floor, argmax, shape ...).
Every name is written out, so a reader and an editor can find each one.

Anything not listed here (constants like `pi`, dtypes, array constructors
like `linspace`) comes straight from NumPy through the package's
`__getattr__`; calling such a function on a traced value raises an error
that names it.

A few functions take a *list* of arrays (concatenate, stack, array ...).
A primitive only looks at its positional arguments, so these are written
as small Python functions that unpack the list into a primitive that takes
the arrays one by one.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..tracer import getval, isbox, notrace_primitive, primitive

# ---------------------------------------------------------------------------
# Elementwise functions of one argument
negative = primitive(_np.negative)
positive = primitive(_np.positive)
exp = primitive(_np.exp)
exp2 = primitive(_np.exp2)
expm1 = primitive(_np.expm1)
log = primitive(_np.log)
log2 = primitive(_np.log2)
log10 = primitive(_np.log10)
log1p = primitive(_np.log1p)
sqrt = primitive(_np.sqrt)
cbrt = primitive(_np.cbrt)
square = primitive(_np.square)
reciprocal = primitive(_np.reciprocal)
absolute = primitive(_np.absolute)
abs = absolute  # noqa: A001 (NumPy's own alias)
fabs = primitive(_np.fabs)
sin = primitive(_np.sin)
cos = primitive(_np.cos)
tan = primitive(_np.tan)
arcsin = primitive(_np.arcsin)
arccos = primitive(_np.arccos)
arctan = primitive(_np.arctan)
sinh = primitive(_np.sinh)
cosh = primitive(_np.cosh)
tanh = primitive(_np.tanh)
arcsinh = primitive(_np.arcsinh)
arccosh = primitive(_np.arccosh)
arctanh = primitive(_np.arctanh)
sinc = primitive(_np.sinc)
deg2rad = primitive(_np.deg2rad)
rad2deg = primitive(_np.rad2deg)
real = primitive(_np.real)
imag = primitive(_np.imag)
conjugate = primitive(_np.conjugate)
conj = conjugate
clip = primitive(_np.clip)
where = primitive(_np.where)

# Elementwise functions of two arguments, broadcasting
add = primitive(_np.add)
subtract = primitive(_np.subtract)
multiply = primitive(_np.multiply)
divide = primitive(_np.divide)
true_divide = divide
power = primitive(_np.power)
maximum = primitive(_np.maximum)
minimum = primitive(_np.minimum)
fmax = primitive(_np.fmax)
fmin = primitive(_np.fmin)
arctan2 = primitive(_np.arctan2)
hypot = primitive(_np.hypot)
logaddexp = primitive(_np.logaddexp)
logaddexp2 = primitive(_np.logaddexp2)
mod = primitive(_np.mod)
remainder = mod

# Reductions and scans
sum = primitive(_np.sum)  # noqa: A001
mean = primitive(_np.mean)
prod = primitive(_np.prod)
max = primitive(_np.max)  # noqa: A001
min = primitive(_np.min)  # noqa: A001
amax = max
amin = min
var = primitive(_np.var)
std = primitive(_np.std)
cumsum = primitive(_np.cumsum)
cumprod = primitive(_np.cumprod)

# Products
dot = primitive(_np.dot)
matmul = primitive(_np.matmul)
tensordot = primitive(_np.tensordot)
einsum = primitive(_np.einsum)
outer = primitive(_np.outer)
inner = primitive(_np.inner)
trace = primitive(_np.trace)
diagonal = primitive(_np.diagonal)
kron = primitive(_np.kron)

# Shapes and copies
reshape = primitive(_np.reshape)
ravel = primitive(_np.ravel)
transpose = primitive(_np.transpose)
swapaxes = primitive(_np.swapaxes)
moveaxis = primitive(_np.moveaxis)
expand_dims = primitive(_np.expand_dims)
squeeze = primitive(_np.squeeze)
broadcast_to = primitive(_np.broadcast_to)
atleast_1d = primitive(_np.atleast_1d)
atleast_2d = primitive(_np.atleast_2d)
atleast_3d = primitive(_np.atleast_3d)
tile = primitive(_np.tile)
repeat = primitive(_np.repeat)
flip = primitive(_np.flip)
fliplr = primitive(_np.fliplr)
flipud = primitive(_np.flipud)
roll = primitive(_np.roll)
triu = primitive(_np.triu)
tril = primitive(_np.tril)
pad = primitive(_np.pad)
sort = primitive(_np.sort)
take = primitive(_np.take)
take_along_axis = primitive(_np.take_along_axis)
copy = primitive(_np.copy)
asarray = primitive(_np.asarray)

# ---------------------------------------------------------------------------
# No derivative: piecewise constant, integer-valued, boolean or shape results
floor = notrace_primitive(_np.floor)
ceil = notrace_primitive(_np.ceil)
trunc = notrace_primitive(_np.trunc)
rint = notrace_primitive(_np.rint)
round = notrace_primitive(_np.round)  # noqa: A001
around = round
sign = notrace_primitive(_np.sign)
floor_divide = notrace_primitive(_np.floor_divide)
argmax = notrace_primitive(_np.argmax)
argmin = notrace_primitive(_np.argmin)
argsort = notrace_primitive(_np.argsort)
argwhere = notrace_primitive(_np.argwhere)
nonzero = notrace_primitive(_np.nonzero)
flatnonzero = notrace_primitive(_np.flatnonzero)
searchsorted = notrace_primitive(_np.searchsorted)
count_nonzero = notrace_primitive(_np.count_nonzero)
equal = notrace_primitive(_np.equal)
not_equal = notrace_primitive(_np.not_equal)
greater = notrace_primitive(_np.greater)
greater_equal = notrace_primitive(_np.greater_equal)
less = notrace_primitive(_np.less)
less_equal = notrace_primitive(_np.less_equal)
logical_and = notrace_primitive(_np.logical_and)
logical_or = notrace_primitive(_np.logical_or)
logical_not = notrace_primitive(_np.logical_not)
logical_xor = notrace_primitive(_np.logical_xor)
isfinite = notrace_primitive(_np.isfinite)
isinf = notrace_primitive(_np.isinf)
isnan = notrace_primitive(_np.isnan)
isclose = notrace_primitive(_np.isclose)
allclose = notrace_primitive(_np.allclose)
array_equal = notrace_primitive(_np.array_equal)
all = notrace_primitive(_np.all)  # noqa: A001
any = notrace_primitive(_np.any)  # noqa: A001
shape = notrace_primitive(_np.shape)
ndim = notrace_primitive(_np.ndim)
size = notrace_primitive(_np.size)
result_type = notrace_primitive(_np.result_type)
iscomplexobj = notrace_primitive(_np.iscomplexobj)
zeros_like = notrace_primitive(_np.zeros_like)
ones_like = notrace_primitive(_np.ones_like)
empty_like = notrace_primitive(_np.empty_like)
full_like = notrace_primitive(_np.full_like)


# ---------------------------------------------------------------------------
# Functions that take a list of arrays: unpack the list into a primitive.
@primitive
def concatenate_arrays(axis: int, *arrays: Any) -> _np.ndarray:
    """np.concatenate(arrays, axis) with the arrays as separate arguments."""
    return _np.concatenate(arrays, axis=axis)


def concatenate(arrays: Any, axis: int | None = 0) -> Any:
    """Join a sequence of arrays along an existing axis (traced when any is a Box)."""
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    if not _np.any([isbox(a) for a in arrays]):
        return _np.concatenate(arrays, axis=axis)
    return concatenate_arrays(axis, *arrays)


def stack(arrays: Any, axis: int = 0) -> Any:
    """Join arrays of one shape along a new axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    new_axis = axis if axis >= 0 else axis + _np.ndim(getval(arrays[0])) + 1
    return concatenate([expand_dims(a, new_axis) for a in arrays], axis=new_axis)


def hstack(arrays: Any) -> Any:
    """Stack horizontally: along axis 1, or axis 0 for 1-D arrays."""
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, axis=0 if _np.ndim(getval(arrays[0])) == 1 else 1)


def vstack(arrays: Any) -> Any:
    """Stack vertically: rows of 2-D arrays (1-D arrays become rows)."""
    return concatenate([atleast_2d(a) for a in arrays], axis=0)


def column_stack(arrays: Any) -> Any:
    """Stack 1-D arrays as columns of a 2-D array."""
    columns = [reshape(a, (-1, 1)) if _np.ndim(getval(a)) < 2 else a for a in arrays]
    return concatenate(columns, axis=1)


def array(obj: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """np.array, which also builds an array from (nested lists of) traced values."""
    if isbox(obj):
        return obj if dtype is None else obj.astype(dtype)
    if isinstance(obj, (list, tuple)) and _contains_box(obj):
        result = stack([array(item) for item in obj])
        return result if dtype is None else result.astype(dtype)
    return _np.array(obj, dtype=dtype, **kwargs)


def _contains_box(obj: Any) -> bool:
    if isbox(obj):
        return True
    return isinstance(obj, (list, tuple)) and _np.any([_contains_box(item) for item in obj])


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into equal sections (or at given indices); each piece is a traced slice."""
    length = _np.shape(getval(ary))[axis]
    if _np.ndim(indices_or_sections) == 0 and length % indices_or_sections:
        raise ValueError("array split does not result in an equal division; use array_split")
    return array_split(ary, indices_or_sections, axis)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into possibly unequal sections; each piece is a traced slice."""
    length = _np.shape(getval(ary))[axis]
    if _np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        sizes = [length // sections + 1] * (length % sections)
        sizes += [length // sections] * (sections - length % sections)
        bounds = _np.concatenate([[0], _np.cumsum(sizes)])
    else:
        bounds = _np.concatenate([[0], indices_or_sections, [length]])
    ndim = _np.ndim(getval(ary))
    axis = axis % ndim
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        index = (slice(None),) * axis + (slice(int(start), int(stop)),)
        pieces.append(ary[index])
    return pieces


def diag(v: Any, k: int = 0) -> Any:
    """The k-th diagonal of a matrix, or a matrix with the vector v on its k-th diagonal."""
    if _np.ndim(getval(v)) == 2:
        return diagonal(v, k)
    return diag_from_vector(v, k)


@primitive
def diag_from_vector(v: _np.ndarray, k: int = 0) -> _np.ndarray:
    """The square matrix with v on its k-th diagonal (np.diag of a 1-D array)."""
    return _np.diag(v, k)


@primitive
def astype(x: Any, dtype: Any) -> _np.ndarray:
    """x converted to dtype (the method `x.astype(dtype)` of a traced array)."""
    return _np.asarray(x).astype(dtype)


@notrace_primitive
def astype_without_derivative(x: Any, dtype: Any) -> _np.ndarray:
    """x converted to an integer or boolean dtype, which carries no derivative."""
    return _np.asarray(x).astype(dtype)


@primitive
def getitem(x: Any, index: Any) -> Any:
    """x[index]: slicing, integer and boolean-mask indexing of a traced array."""
    return x[index]


@primitive
def add_at_index(g: Any, index: Any, shape: tuple, dtype: Any) -> _np.ndarray:
    """Zeros of `shape` with g added at x[index]: the adjoint of indexing.

    Adding (not assigning) makes an index that appears twice, as in
    x[[0, 0]], receive both of its adjoints.
    """
    result = _np.zeros(shape, dtype=dtype)
    _np.add.at(result, index, g)
    return result


@primitive
def add_along_axis(g: Any, indices: Any, axis: int, shape: tuple) -> _np.ndarray:
    """Zeros of `shape` with g added at positions `indices` along `axis`: the adjoint of take."""
    result = _np.zeros(shape, dtype=_np.result_type(g))
    index_axes = list(range(axis, axis + _np.ndim(indices)))
    g_moved = _np.moveaxis(g, index_axes, list(range(len(index_axes))))
    _np.add.at(_np.moveaxis(result, axis, 0), indices, g_moved)
    return result


_not_exported = {"annotations", "Any", "getval", "isbox", "notrace_primitive", "primitive"}
__all__ = [name for name in dir() if not name.startswith("_") and name not in _not_exported]
