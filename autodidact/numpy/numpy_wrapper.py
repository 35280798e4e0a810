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

import builtins as _builtins
import functools
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
radians = primitive(_np.radians)
degrees = primitive(_np.degrees)
real = primitive(_np.real)
imag = primitive(_np.imag)
conjugate = primitive(_np.conjugate)
conj = conjugate
angle = primitive(_np.angle)
clip = primitive(_np.clip)
where = primitive(_np.where)
nan_to_num = primitive(_np.nan_to_num)

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
def _also_of_a_sequence(reduce: Any, name: str, namespace: dict | None = None) -> Any:
    """`reduce`, which also takes a list or tuple of traced values: anp.mean([x, 2 * x]).

    A primitive sees only the Boxes among its arguments, not inside a list,
    so such a list is stacked into one traced array first (with `array`) and
    handed to the primitive `name` (of `namespace`, this module by default).
    """
    namespace = globals() if namespace is None else namespace

    @functools.wraps(reduce)
    def reduce_sequence(a: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(a, (list, tuple)) and _contains_box(a):
            return namespace[name](array(a), *args, **kwargs)
        return reduce(a, *args, **kwargs)

    return reduce_sequence


sum = primitive(_np.sum)  # noqa: A001
mean = primitive(_also_of_a_sequence(_np.mean, "mean"))
prod = primitive(_np.prod)
max = primitive(_np.max)  # noqa: A001
min = primitive(_np.min)  # noqa: A001
amax = max
amin = min
var = primitive(_also_of_a_sequence(_np.var, "var"))
std = primitive(_also_of_a_sequence(_np.std, "std"))
cumsum = primitive(_np.cumsum)
cumprod = primitive(_np.cumprod)

# Products
dot = primitive(_np.dot)
matmul = primitive(_np.matmul)
tensordot = primitive(_np.tensordot)
einsum_with_subscripts = primitive(_np.einsum)  # einsum("ij,jk->ik", A, B); see einsum below
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
argpartition = notrace_primitive(_np.argpartition)
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
isrealobj = notrace_primitive(_np.isrealobj)
iscomplex = notrace_primitive(_np.iscomplex)
isreal = notrace_primitive(_np.isreal)
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


def hstack(arrays: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """Stack horizontally: along axis 1, or axis 0 for 1-D arrays."""
    arrays = [atleast_1d(a) for a in arrays]
    joined = concatenate(arrays, axis=0 if _np.ndim(getval(arrays[0])) == 1 else 1)
    return joined if dtype is None else astype(joined, dtype)


def vstack(arrays: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """Stack vertically: rows of 2-D arrays (1-D arrays become rows)."""
    joined = concatenate([atleast_2d(a) for a in arrays], axis=0)
    return joined if dtype is None else astype(joined, dtype)


row_stack = vstack


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
def add_at_taken(g: Any, indices: Any, axis: int, shape: tuple) -> _np.ndarray:
    """Zeros of `shape` with g added where take_along_axis(x, indices, axis) read: its adjoint."""
    result = _np.zeros(shape, dtype=_np.result_type(g))
    grid = list(_np.indices(_np.shape(indices), sparse=True))
    grid[axis] = indices
    _np.add.at(result, tuple(grid), g)
    return result


@primitive
def add_along_axis(g: Any, indices: Any, axis: int, shape: tuple) -> _np.ndarray:
    """Zeros of `shape` with g added at positions `indices` along `axis`: the adjoint of take."""
    result = _np.zeros(shape, dtype=_np.result_type(g))
    index_axes = list(range(axis, axis + _np.ndim(indices)))
    g_moved = _np.moveaxis(g, index_axes, list(range(len(index_axes))))
    _np.add.at(_np.moveaxis(result, axis, 0), indices, g_moved)
    return result


# ---------------------------------------------------------------------------
# Functions built from the primitives above. Each is NumPy's own function when
# no argument is traced; otherwise it is written with traced primitives, so its
# derivatives (both modes) and its batching rule come from theirs.


def einsum(*operands: Any, **kwargs: Any) -> Any:
    """np.einsum, traced, with subscripts or in the operand-list form.

    einsum("ij,jk->ik", A, B) and einsum(A, [0, 1], B, [1, 2], [0, 2]) are the
    same product: each operand is followed by the list of its axes, numbered,
    and an optional last list names the output's axes. The second form is
    turned into the first (0 -> 'a', 1 -> 'b', ..., Ellipsis -> '...').
    """
    if operands and not isinstance(operands[0], str):
        subscripts, operands = _subscripts_of_operand_lists(operands)
        operands = (subscripts, *operands)
    return einsum_with_subscripts(*operands, **kwargs)


_EINSUM_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _subscripts_of_operand_lists(interleaved: tuple) -> tuple[str, tuple]:
    """(A, axes_A, B, axes_B[, axes_out]) -> ("ab,bc[->ac]", (A, B))."""

    def letters(axes: Any) -> str:
        return "".join("..." if a is Ellipsis else _EINSUM_LETTERS[a] for a in axes)

    operands, specs = interleaved[0::2], [letters(axes) for axes in interleaved[1::2]]
    if len(interleaved) % 2:  # a trailing list: the output's axes
        return ",".join(specs) + "->" + letters(interleaved[-1]), operands[:-1]
    return ",".join(specs), operands


def rot90(m: Any, k: int = 1, axes: tuple = (0, 1)) -> Any:
    """Rotate by 90 degrees k times in the plane of `axes`: flips and a transpose."""
    if not isbox(m):
        return _np.rot90(m, k, axes)
    ndim = _np.ndim(getval(m))
    first, second = (a % ndim for a in axes)
    order = list(range(ndim))
    order[first], order[second] = order[second], order[first]
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, first), second)
    if k == 1:
        return transpose(flip(m, second), order)
    return flip(transpose(m, order), second)


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """Move `axis` until it lies before position `start` (np.rollaxis), by moveaxis."""
    if not isbox(a):
        return _np.rollaxis(a, axis, start)
    ndim = _np.ndim(getval(a))
    axis %= ndim
    start = start + ndim if start < 0 else start
    return moveaxis(a, axis, start - 1 if axis < start else start)


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """arr with values appended (both flattened first when axis is None)."""
    arr, values = array(arr), array(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


class _Concatenator:
    """np.r_ and np.c_ for traced values: r_[x, c, 1:4] joins x, c and [1, 2, 3].

    r_ joins along the first axis, making scalars 1-D; c_ joins along the last
    axis, making 1-D arrays into columns. Slices become ranges, as in NumPy.
    """

    def __init__(self, plain: Any, columns: bool) -> None:
        self.plain, self.columns = plain, columns

    def __getitem__(self, items: Any) -> Any:
        items = items if isinstance(items, tuple) else (items,)
        if not _np.any([isbox(item) for item in items]):
            return self.plain[items]
        if _np.any([isinstance(item, str) for item in items]):
            raise NotImplementedError("r_ and c_ of traced values do not take directive strings")
        pieces = []
        for item in items:
            item = _np.r_[item] if isinstance(item, slice) else item
            if self.columns and _np.ndim(getval(item)) < 2:
                item = reshape(item, (-1, 1))
            pieces.append(item if self.columns else atleast_1d(item))
        return concatenate(pieces, axis=-1 if self.columns else 0)


r_ = _Concatenator(_np.r_, columns=False)
c_ = _Concatenator(_np.c_, columns=True)


def make_diagonal(d: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The array whose diagonal(offset, axis1, axis2) is d, zeros elsewhere.

    The inverse of `diagonal`: d's last axis goes onto the diagonal of two new
    axes of size len + |offset|, placed at axis1 and axis2 of the result.
    """
    size = _np.shape(getval(d))[-1] + _builtins.abs(offset)
    full = embed_diagonal(d, size, size, offset)
    ndim = _np.ndim(getval(d)) + 1
    return moveaxis(full, (-2, -1), (axis1 % ndim, axis2 % ndim))


def embed_diagonal(d: Any, rows: int, cols: int, offset: int) -> Any:
    """A (..., rows, cols) array holding d (..., L) on its `offset` diagonal, zeros elsewhere."""
    length = _np.shape(getval(d))[-1]
    row_start, col_start = _np.maximum(-offset, 0), _np.maximum(offset, 0)
    place_rows = _np.eye(rows, length, -row_start)  # column i has a 1 in row i + row_start
    place_cols = _np.eye(length, cols, col_start)  # row i has a 1 in column i + col_start
    return matmul(place_rows * expand_dims(d, -2), place_cols)


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """num evenly spaced samples from start to stop: start + (stop - start) t, t in [0, 1]."""
    if not (isbox(start) or isbox(stop)):
        return _np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    fractions = _np.linspace(0.0, 1.0, num, endpoint=endpoint)
    shape = _np.broadcast_shapes(_np.shape(getval(start)), _np.shape(getval(stop)))
    samples = start + (stop - start) * fractions.reshape((num,) + (1,) * len(shape))
    if axis % (len(shape) + 1):
        samples = moveaxis(samples, 0, axis)
    if dtype is not None:
        samples = astype(samples, dtype)
    if not retstep:
        return samples
    divisions = num - 1 if endpoint else num
    return samples, (stop - start) / divisions if divisions > 0 else _np.nan


def _along(x: Any, axis: int, start: Any, stop: Any) -> Any:
    """x[..., start:stop, ...] with the slice on `axis`."""
    return x[(slice(None),) * axis + (slice(start, stop),)]


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = _np._NoValue,
         append: Any = _np._NoValue) -> Any:  # fmt: skip
    """The n-th differences a[i + 1] - a[i] along `axis`."""
    if not _np.any([isbox(v) for v in (a, prepend, append)]):
        return _np.diff(a, n, axis, prepend, append)
    axis %= _np.ndim(getval(a))
    pieces = []
    for value, before in ((prepend, True), (append, False)):
        if value is not _np._NoValue:
            if _np.ndim(getval(value)) == 0:
                shape = list(_np.shape(getval(a)))
                shape[axis] = 1
                value = broadcast_to(value, tuple(shape))
            pieces.append((before, value))
    a = concatenate([v for b, v in pieces if b] + [a] + [v for b, v in pieces if not b], axis)
    for _ in range(n):
        a = _along(a, axis, 1, None) - _along(a, axis, None, -1)
    return a


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """Central differences inside, one-sided at the ends (np.gradient with uniform spacing).

    Along each axis: (f[i + 1] - f[i - 1]) / 2h inside; at the two ends the
    first-order (edge_order=1) or second-order (edge_order=2) one-sided
    difference. A tuple of arrays for several axes, one array for one.
    """
    if not isbox(f):
        return _np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    ndim = _np.ndim(getval(f))
    axes = range(ndim) if axis is None else ((axis,) if _np.ndim(axis) == 0 else axis)
    axes = [a % ndim for a in axes]
    if _builtins.any(_np.ndim(h) for h in varargs):
        raise NotImplementedError("gradient of a traced array takes scalar spacings only")
    if len(varargs) > 1:
        spacings = list(varargs)
    else:
        spacings = [varargs[0] if varargs else 1.0] * len(axes)
    results = [_gradient_along(f, a, h, edge_order) for a, h in zip(axes, spacings, strict=True)]
    return results[0] if len(results) == 1 else tuple(results)


def _gradient_along(f: Any, axis: int, h: float, edge_order: int) -> Any:
    if _np.shape(getval(f))[axis] < edge_order + 1:
        raise ValueError(
            "Shape of array too small to calculate a numerical gradient, "
            "at least (edge_order + 1) elements are required."
        )
    inside = (_along(f, axis, 2, None) - _along(f, axis, None, -2)) / (2.0 * h)
    f0, f1, f2 = (_along(f, axis, i, i + 1) for i in (0, 1, 2))
    last, before_last, third_last = (_along(f, axis, i, i + 1 or None) for i in (-1, -2, -3))
    if edge_order == 1:
        first, final = (f1 - f0) / h, (last - before_last) / h
    else:
        first = (-3.0 * f0 + 4.0 * f1 - f2) / (2.0 * h)
        final = (3.0 * last - 4.0 * before_last + third_last) / (2.0 * h)
    return concatenate([first, inside, final], axis)


def partition(a: Any, kth: Any, axis: int | None = -1, **kwargs: Any) -> Any:
    """np.partition: the entries reordered as np.argpartition orders them."""
    if not isbox(a):
        return _np.partition(a, kth, axis, **kwargs)
    if axis is None:
        a, axis = ravel(a), 0
    order = argpartition(getval(a), kth, axis=axis, **kwargs)
    return take_along_axis(a, order, axis=axis)


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Any:  # fmt: skip
    """The cross product of 3-vectors (or 2-vectors, whose result is the z component)."""
    if not (isbox(a) or isbox(b)):
        return _np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    sizes = (_np.shape(getval(a))[-1], _np.shape(getval(b))[-1])
    ax, ay, az = _vector_components(a)
    bx, by, bz = _vector_components(b)
    z = ax * by - ay * bx
    if sizes == (2, 2):
        return z
    c = stack([ay * bz - az * by, az * bx - ax * bz, z], axis=-1)
    return moveaxis(c, -1, axisc)


def _vector_components(v: Any) -> tuple:
    """(x, y, z) of vectors along the last axis; z is 0 for 2-vectors."""
    x, y = v[..., 0], v[..., 1]
    return x, y, (v[..., 2] if _np.shape(getval(v))[-1] == 3 else 0.0)


def vsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the first axis (np.vsplit)."""
    return split(ary, indices_or_sections, axis=0)


def hsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the second axis (the first, for 1-D arrays)."""
    return split(ary, indices_or_sections, axis=1 if _np.ndim(getval(ary)) > 1 else 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the third axis (np.dsplit)."""
    return split(ary, indices_or_sections, axis=2)


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """The entry of the first choice whose condition holds, `default` where none does."""
    if not _contains_box(list(choicelist)) and not isbox(default):
        return _np.select(condlist, choicelist, default)
    result = default
    for condition, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        result = where(condition, choice, result)
    return result


def real_if_close(a: Any, tol: float = 100) -> Any:
    """The real part of a, if every imaginary part is within tol machine epsilons of 0."""
    if not isbox(a):
        return _np.real_if_close(a, tol)
    if not _np.iscomplexobj(getval(a)):
        return a
    if tol > 1:
        tol *= _np.finfo(_np.result_type(getval(a))).eps
    from .numpy_boxes import all_examples  # the decision is one for a whole vmap batch

    return real(a) if _np.all(_np.abs(_np.imag(all_examples(a))) < tol) else a


_not_exported = {
    "annotations", "Any", "functools", "getval", "isbox", "notrace_primitive", "primitive",
}  # fmt: skip
__all__ = [name for name in dir() if not name.startswith("_") and name not in _not_exported]
