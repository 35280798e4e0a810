"""Batching rules of the wrapped NumPy functions, one table per family (see batching.py).

Each rule is `rule(args, batch_dims, **kwargs) -> (result, out_batch_dim)`:
`args[k]` holds all the examples, along axis `batch_dims[k]` (None: the
same value for every example). Most rules move the batch axis to the front
and shift the axes the function works on by one:

    sum(x, axis=1) of each example  =  sum(X, axis=2) of the batch X, batch axis 0

Elementwise functions line the batch axes up and let NumPy broadcasting do
the rest; matrix products become one bigger product (a matrix times a batch
of vectors is a matrix-matrix product). A rule returns NotImplemented for a
call it does not cover, and vmap then loops over the batch for that call.

Rules compute with `autodidact.numpy`, so that the traces around a vmap
(grad of a batched function) record what they do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as _np

from ..batching import batch_size, defbatch, register_box_type
from ..tracer import Box, isbox
from . import numpy_wrapper as anp
from .numpy_boxes import ArrayBox, all_examples
from .numpy_vjps import _tensordot_axes, parse_einsum

# ---------------------------------------------------------------------------
# The batched ArrayBox: what a function under vmap sees.


def _example_shape(box: Any) -> tuple:
    shape = _np.shape(box._value)
    dim = box._node.batch_dim
    return shape[:dim] + shape[dim + 1 :]


class BatchArrayBox(ArrayBox):
    """One example of a batch, as the function under vmap sees it.

    The value holds every example along axis `_node.batch_dim`; `shape`,
    `ndim`, `size` and `len` describe one example, so code written for one
    example runs unchanged. A Python branch on a batched value (`if x > 0:`)
    works when every example takes the same branch, and raises otherwise.
    """

    __slots__ = ()
    shape = property(_example_shape)
    ndim = property(lambda self: _np.ndim(self._value) - 1)
    size = property(lambda self: math.prod(_example_shape(self)))

    def __len__(self) -> int:
        shape = _example_shape(self)
        if not shape:
            raise TypeError("len() of a batched scalar: each example is a single number")
        return shape[0]

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                "the truth value of an array with more than one element is ambiguous; "
                "use anp.any or anp.all"
            )
        flags = _np.asarray(all_examples(self)).astype(bool).ravel()
        if flags.all() or not flags.any():
            return bool(flags[0]) if flags.size else False
        raise ValueError(
            "a Python branch (if, while, and, or) on a value batched by vmap, where the "
            "examples disagree: some are true and some false, so one branch cannot serve them "
            "all. Choose per example with anp.where(condition, a, b) instead."
        )

    def __repr__(self) -> str:
        return f"BatchArrayBox(example shape {self.shape}, batch axis {self._node.batch_dim})"

    def __array_function__(self, func, types, args, kwargs):
        if func is _np.shape and len(args) == 1:  # fast answers for the rules' shape queries
            return self.shape
        if func is _np.ndim and len(args) == 1:
            return self.ndim
        return ArrayBox.__array_function__(self, func, types, args, kwargs)


register_box_type(BatchArrayBox)
Box.register(ArrayBox, BatchArrayBox)  # a batched value, traced by a differentiation inside vmap

# ---------------------------------------------------------------------------
# Helpers


def example_ndim(x: Any, dim: int | None) -> int:
    """The number of axes of one example of x (0 for a dtype or a string argument)."""
    if dim is None:
        return 0 if isinstance(x, (type, _np.dtype, str)) else _np.ndim(x)
    return _np.ndim(x) - 1


def to_front(x: Any, dim: int) -> Any:
    """Move the batch axis `dim` of x to axis 0."""
    return x if dim == 0 else anp.moveaxis(x, dim, 0)


def with_example_rank(x: Any, dim: int | None, rank: int) -> Any:
    """Batched x with its batch axis first and ones inserted after it, for `rank`-axis examples.

    Broadcasting aligns shapes from the right, so an unbatched argument
    needs nothing; a batched one needs its batch axis in front of all the
    example axes of the broadcast result.
    """
    if dim is None:
        return x
    x = to_front(x, dim)
    missing = rank - (_np.ndim(x) - 1)
    if missing > 0:
        x = anp.reshape(x, _np.shape(x)[:1] + (1,) * missing + _np.shape(x)[1:])
    return x


def normalize_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise _np.exceptions.AxisError(axis, ndim)
    return axis % max(ndim, 1)


def shifted_axes(axis: Any, ndim: int) -> Any:
    """The example axis (or axes) `axis` as axes of a batch whose batch axis is first."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if _np.ndim(axis) == 0:
        return normalize_axis(int(axis), ndim) + 1
    return tuple(normalize_axis(int(a), ndim) + 1 for a in axis)


def only_first_batched(dims: tuple) -> bool:
    return dims[0] is not None and all(d is None for d in dims[1:])


# ---------------------------------------------------------------------------
# Elementwise functions: line the batch axes up, broadcast the rest.


def elementwise(fun: Callable) -> Callable:
    """The rule of a function applied entry by entry (broadcasting its arguments).

    With one batched argument and nothing to broadcast against, the function
    runs as it is and the batch axis stays where it was. Otherwise every
    batched argument gets its batch axis first and enough unit axes after it
    to line up with the broadcast example shape.
    """

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> tuple[Any, int]:
        batched = [(a, d) for a, d in zip(args, dims, strict=True) if d is not None]
        first_dim = batched[0][1]
        ndims = [_np.ndim(a) for a, _ in batched]
        same_layout = all(d == first_dim for _, d in batched) and min(ndims) == max(ndims)
        if same_layout and all(
            d is not None or example_ndim(a, d) == 0 for a, d in zip(args, dims, strict=True)
        ):
            return fun(*args, **kwargs), first_dim
        rank = max(example_ndim(a, d) for a, d in zip(args, dims, strict=True))
        lined_up = [with_example_rank(a, d, rank) for a, d in zip(args, dims, strict=True)]
        return fun(*lined_up, **kwargs), 0

    return rule


ELEMENTWISE = [
    # traced
    anp.negative, anp.positive, anp.exp, anp.exp2, anp.expm1, anp.log, anp.log2, anp.log10,
    anp.log1p, anp.sqrt, anp.cbrt, anp.square, anp.reciprocal, anp.absolute, anp.fabs, anp.sin,
    anp.cos, anp.tan, anp.arcsin, anp.arccos, anp.arctan, anp.sinh, anp.cosh, anp.tanh,
    anp.arcsinh, anp.arccosh, anp.arctanh, anp.sinc, anp.deg2rad, anp.rad2deg, anp.real,
    anp.imag, anp.conjugate, anp.angle, anp.radians, anp.degrees, anp.nan_to_num, anp.clip,
    anp.add, anp.subtract, anp.multiply, anp.divide,
    anp.power, anp.maximum, anp.minimum, anp.fmax, anp.fmin, anp.arctan2, anp.hypot,
    anp.logaddexp, anp.logaddexp2, anp.mod, anp.astype, anp.copy, anp.asarray,
    # no derivative
    anp.floor, anp.ceil, anp.trunc, anp.rint, anp.round, anp.sign, anp.floor_divide, anp.equal,
    anp.not_equal, anp.greater, anp.greater_equal, anp.less, anp.less_equal, anp.logical_and,
    anp.logical_or, anp.logical_not, anp.logical_xor, anp.isfinite, anp.isinf, anp.isnan,
    anp.isclose, anp.astype_without_derivative, anp.iscomplex, anp.isreal,
]  # fmt: skip
for _fun in ELEMENTWISE:
    defbatch(_fun, elementwise(_fun))


def where_rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    """where(c, x, y) is elementwise in all three; where(c) alone is nonzero (loop)."""
    if len(args) != 3:
        return NotImplemented
    return elementwise(anp.where)(args, dims, **kwargs)


defbatch(anp.where, where_rule)

# ---------------------------------------------------------------------------
# Functions of an example's shape or dtype alone: the same for every example.


def stand_in(x: Any, dim: int | None) -> Any:
    """A read-only array with one example's shape and dtype (no data copied)."""
    if dim is None:
        return x
    return _np.broadcast_to(_np.zeros((), dtype=_np.result_type(x)), _example_shape_of(x, dim))


def _example_shape_of(x: Any, dim: int) -> tuple:
    shape = _np.shape(x)
    return shape[:dim] + shape[dim + 1 :]


def same_for_every_example(fun: Callable) -> Callable:
    """The rule of a function of shapes and dtypes: call it on one example's stand-in."""
    raw = fun.raw_fun

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> tuple[Any, None]:
        return raw(*[stand_in(a, d) for a, d in zip(args, dims, strict=True)], **kwargs), None

    return rule


def like_rule(fun: Callable) -> Callable:
    """zeros_like and friends: one example's shape and dtype, unless another argument is batched."""
    raw = fun.raw_fun

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not only_first_batched(dims):
            return NotImplemented
        return raw(stand_in(args[0], dims[0]), *args[1:], **kwargs), None

    return rule


for _fun in (anp.shape, anp.ndim, anp.size, anp.result_type, anp.iscomplexobj, anp.isrealobj):
    defbatch(_fun, same_for_every_example(_fun))
for _fun in (anp.zeros_like, anp.ones_like, anp.empty_like, anp.full_like):
    defbatch(_fun, like_rule(_fun))

# ---------------------------------------------------------------------------
# Reductions and scans: shift the axis; axis=None means every axis of an example.


def reduction(fun: Callable, flattens: bool = False) -> Callable:
    """The rule of fun(x, axis=None, ..., keepdims=False) reducing (or scanning) over `axis`.

    With `flattens`, axis=None means "the flattened example" (cumsum, argmax,
    sort): each example is flattened first and the function runs along axis 1.
    """

    def rule(args: tuple, dims: tuple, *, axis: Any = None, **kwargs: Any) -> Any:
        if len(args) > 2 or not only_first_batched(dims):
            return NotImplemented
        if len(args) == 2:
            axis = args[1]
        x, ndim = to_front(args[0], dims[0]), example_ndim(args[0], dims[0])
        if axis is None and flattens:
            flat = anp.reshape(x, (_np.shape(x)[0], -1))
            result = fun(flat, axis=1, **kwargs)
            if kwargs.get("keepdims"):
                result = anp.reshape(result, (_np.shape(x)[0],) + (1,) * ndim)
            return result, 0
        return fun(x, axis=shifted_axes(axis, ndim), **kwargs), 0

    return rule


REDUCTIONS = [anp.sum, anp.mean, anp.prod, anp.max, anp.min, anp.var, anp.std, anp.any, anp.all]
for _fun in REDUCTIONS:
    defbatch(_fun, reduction(_fun))
defbatch(anp.count_nonzero, reduction(anp.count_nonzero))
for _fun in (anp.cumsum, anp.cumprod, anp.argmax, anp.argmin):
    defbatch(_fun, reduction(_fun, flattens=True))


def sort_rule(fun: Callable) -> Callable:
    """sort and argsort: along an example's axis (default -1), or of the flattened example."""

    def rule(args: tuple, dims: tuple, axis: Any = -1, **kwargs: Any) -> Any:
        if len(args) > 2 or not only_first_batched(dims):
            return NotImplemented
        if len(args) == 2:
            axis = args[1]
        return reduction(fun, flattens=True)(args[:1], dims[:1], axis=axis, **kwargs)

    return rule


defbatch(anp.sort, sort_rule(anp.sort))
defbatch(anp.argsort, sort_rule(anp.argsort))


def argpartition_rule(args: tuple, dims: tuple, axis: Any = -1, **kwargs: Any) -> Any:
    """argpartition(x, kth, axis): the shared kth along the shifted axis."""
    if not only_first_batched(dims) or len(args) > 3:
        return NotImplemented
    if len(args) == 3:
        axis = args[2]
    x, kth = args[0], args[1]
    partition_by = lambda y, axis, **k: anp.argpartition(y, kth, axis=axis, **k)  # noqa: E731
    return reduction(partition_by, flattens=True)((x,), dims[:1], axis=axis, **kwargs)


defbatch(anp.argpartition, argpartition_rule)

# ---------------------------------------------------------------------------
# Products. A shared matrix times a batch of vectors is one matrix-matrix product.


def matmul_rule(args: tuple, dims: tuple) -> tuple[Any, int]:
    """x @ W for a batch of x (or W @ x), as a single product where the layout allows.

    A batch of rows X (B, n) times W (n, m) is already a matrix product.
    W (m, n) times a batch of vectors becomes W @ X^T, with the batch along
    the last axis. Everything else goes through the general form: 1-D
    examples become rows or columns, batch axes go first, NumPy broadcasts.
    """
    (a, b), (da, db) = args, dims
    a_ndim, b_ndim = example_ndim(a, da), example_ndim(b, db)
    if db is None and a_ndim == 1 and b_ndim <= 2:  # rows times a shared matrix or vector
        return anp.matmul(to_front(a, da), b), 0
    if da is None and b_ndim == 1 and a_ndim >= 1:  # a shared matrix times a batch of vectors
        result = anp.matmul(a, anp.moveaxis(b, db, -1))
        return result, _np.ndim(result) - 1
    if da is not None:
        a = to_front(a, da)
    if db is not None:
        b = to_front(b, db)
    if a_ndim == 1:
        a = anp.expand_dims(a, -2)
    if b_ndim == 1:
        b = anp.expand_dims(b, -1)
    rank = max(a_ndim, b_ndim, 2)
    a = with_example_rank(a, 0 if da is not None else None, rank)
    b = with_example_rank(b, 0 if db is not None else None, rank)
    result = anp.matmul(a, b)
    if b_ndim == 1:
        result = anp.squeeze(result, -1)
    if a_ndim == 1:
        result = anp.squeeze(result, -1 if b_ndim == 1 else -2)
    return result, 0


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _letters(count: int, skip: str = "") -> str:
    """`count` einsum index letters, none of them in `skip`."""
    return "".join([c for c in LETTERS if c not in skip][:count])


def batched_einsum(
    specs: list[str], output: str, operands: tuple, dims: tuple, **kwargs: Any
) -> tuple[Any, int]:
    """einsum over a batch: each batched operand gains a batch letter at its batch axis.

    The output gets the batch letter first; nothing is moved or copied.
    """
    batch = _letters(1, skip="".join(specs) + output)
    batched_specs = [
        spec if dim is None else spec[:dim] + batch + spec[dim:]
        for spec, dim in zip(specs, dims, strict=True)
    ]
    subscripts = ",".join(batched_specs) + "->" + batch + output
    return anp.einsum_with_subscripts(subscripts, *operands, **kwargs), 0


def einsum_rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    subscripts, operands, operand_dims = args[0], args[1:], dims[1:]
    if dims[0] is not None or not isinstance(subscripts, str) or kwargs.get("out") is not None:
        return NotImplemented
    ndims = [example_ndim(op, d) for op, d in zip(operands, operand_dims, strict=True)]
    specs, output = parse_einsum(subscripts, ndims)
    return batched_einsum(specs, output, operands, operand_dims, **kwargs)


def dot_rule(args: tuple, dims: tuple) -> tuple[Any, int]:
    """dot(a, b) contracts a's last axis with b's second-to-last (or only) axis.

    A batched a keeps its batch axis in front of a's other axes; a batched b
    sits among b's leading axes, which dot places after a's.
    """
    (a, b), (da, db) = args, dims
    a_ndim, b_ndim = example_ndim(a, da), example_ndim(b, db)
    if a_ndim == 0 or b_ndim == 0:
        return elementwise(anp.multiply)(args, dims)
    if db is None:
        return anp.dot(to_front(a, da), b), 0
    if da is None:
        if b_ndim == 1:  # a matrix times a batch of vectors: one matrix-matrix product
            result = anp.dot(a, anp.moveaxis(b, db, -1))
            return result, _np.ndim(result) - 1
        return anp.dot(a, to_front(b, db)), a_ndim - 1
    a_spec = _letters(a_ndim)
    b_spec = _letters(b_ndim, skip=a_spec)
    contracted = a_spec[-1]
    b_spec = b_spec[:-2] + contracted + b_spec[-1] if b_ndim >= 2 else contracted
    output = a_spec[:-1] + b_spec.replace(contracted, "")
    return batched_einsum([a_spec, b_spec], output, args, dims)


def tensordot_rule(args: tuple, dims: tuple, axes: Any = 2) -> tuple[Any, int]:
    """tensordot's result has a's free axes, then b's: a batch axis keeps its place among them."""
    (a, b), (da, db) = args[:2], dims[:2]
    if len(args) > 2:
        axes = args[2]
    a_ndim, b_ndim = example_ndim(a, da), example_ndim(b, db)
    a_axes, b_axes = _tensordot_axes(axes, a_ndim)
    a_axes = [normalize_axis(k, a_ndim) for k in a_axes]
    b_axes = [normalize_axis(k, b_ndim) for k in b_axes]
    if db is None:
        return anp.tensordot(to_front(a, da), b, ([k + 1 for k in a_axes], b_axes)), 0
    if da is None:
        result = anp.tensordot(a, to_front(b, db), (a_axes, [k + 1 for k in b_axes]))
        return result, a_ndim - len(a_axes)
    a_spec = _letters(a_ndim)
    b_spec = list(_letters(b_ndim, skip=a_spec))
    for i, j in zip(a_axes, b_axes, strict=True):
        b_spec[j] = a_spec[i]
    b_spec = "".join(b_spec)
    output = "".join(c for c in a_spec if c not in b_spec) + "".join(
        c for c in b_spec if c not in a_spec
    )
    return batched_einsum([a_spec, b_spec], output, (a, b), (da, db))


def inner_rule(args: tuple, dims: tuple) -> tuple[Any, int]:
    """inner(a, b) contracts the last axes: a's other axes come first, then b's."""
    (a, b), (da, db) = args, dims
    a_ndim, b_ndim = example_ndim(a, da), example_ndim(b, db)
    if a_ndim == 0 or b_ndim == 0:
        return elementwise(anp.multiply)(args, dims)
    return tensordot_rule(args, dims, ([a_ndim - 1], [b_ndim - 1]))


def outer_rule(args: tuple, dims: tuple) -> tuple[Any, int]:
    """outer(a, b)[i, j] = a_i b_j of the flattened examples: one einsum "bi,bj->bij".

    (einsum writes the B outer products faster than a broadcast product does.)
    """
    (a, b), (da, db) = args, dims
    size = batch_size(args, dims)
    a = anp.ravel(a) if da is None else anp.reshape(to_front(a, da), (size, -1))
    b = anp.ravel(b) if db is None else anp.reshape(to_front(b, db), (size, -1))
    subscripts = ("i" if da is None else "bi") + "," + ("j" if db is None else "bj") + "->bij"
    return anp.einsum_with_subscripts(subscripts, a, b), 0


def kron_rule(args: tuple, dims: tuple) -> tuple[Any, int]:
    """kron(a, b) = every a[i] b[k] at index i * len(b) + k, axis by axis: one broadcast product.

    With both padded to one rank r, a goes to shape (B, a_0, 1, a_1, 1, ...)
    and b to (B, 1, b_0, 1, b_1, ...); their product, merged pairwise, is the
    batch of Kronecker products, (B, a_0 b_0, a_1 b_1, ...).
    """
    (a, b), (da, db) = args, dims
    rank = max(example_ndim(a, da), example_ndim(b, db))
    size = batch_size(args, dims)

    def spread(x: Any, dim: int | None, first: bool) -> Any:
        x = with_example_rank(x, dim, rank) if dim is not None else _pad_front(x, rank)
        shape = _np.shape(x)[-rank:] if rank else ()
        pairs = [(n, 1) if first else (1, n) for n in shape]
        lead = (size,) if dim is not None else (1,)
        return anp.reshape(x, lead + tuple(n for pair in pairs for n in pair))

    product = spread(a, da, True) * spread(b, db, False)
    merged = [_np.shape(product)[1 + 2 * i] * _np.shape(product)[2 + 2 * i] for i in range(rank)]
    return anp.reshape(product, (size, *merged)), 0


def _pad_front(x: Any, rank: int) -> Any:
    """An unbatched x with ones in front, to `rank` axes (as np.kron pads it)."""
    missing = rank - _np.ndim(x)
    return anp.reshape(x, (1,) * missing + _np.shape(x)) if missing > 0 else x


def allclose_rule(fun: Callable) -> Callable:
    """allclose and array_equal of each example: a reduction over the example's axes."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if len(args) != 2:
            return NotImplemented
        rank = max(example_ndim(a, d) for a, d in zip(args, dims, strict=True))
        a, b = (with_example_rank(x, d, rank) for x, d in zip(args, dims, strict=True))
        if fun is anp.allclose:
            same = anp.isclose(a, b, **kwargs)
        else:
            same = anp.equal(a, b)
        if _np.ndim(same) == rank:  # only the unbatched side had all the axes
            same = _np.broadcast_to(same, (batch_size(args, dims),) + _np.shape(same))
        return anp.all(anp.reshape(same, (_np.shape(same)[0], -1)), axis=1), 0

    return rule


defbatch(anp.kron, kron_rule)
defbatch(anp.allclose, allclose_rule(anp.allclose))
defbatch(anp.array_equal, allclose_rule(anp.array_equal))
defbatch(anp.matmul, matmul_rule)
defbatch(anp.dot, dot_rule)
defbatch(anp.tensordot, tensordot_rule)
defbatch(anp.inner, inner_rule)
defbatch(anp.outer, outer_rule)
defbatch(anp.einsum_with_subscripts, einsum_rule)


def axes_pair_rule(fun: Callable, defaults: tuple) -> Callable:
    """trace and diagonal: fun(a, offset, axis1, axis2) with the two axes shifted."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not only_first_batched(dims):
            return NotImplemented
        offset, axis1, axis2 = (list(args[1:]) + list(defaults)[len(args) - 1 :])[:3]
        offset = kwargs.pop("offset", offset)
        axis1, axis2 = kwargs.pop("axis1", axis1), kwargs.pop("axis2", axis2)
        ndim = example_ndim(args[0], dims[0])
        x = to_front(args[0], dims[0])
        axis1, axis2 = shifted_axes(axis1, ndim), shifted_axes(axis2, ndim)
        return fun(x, offset, axis1, axis2, **kwargs), 0

    return rule


defbatch(anp.trace, axes_pair_rule(anp.trace, (0, 0, 1)))
defbatch(anp.diagonal, axes_pair_rule(anp.diagonal, (0, 0, 1)))


def diag_from_vector_rule(args: tuple, dims: tuple, k: int = 0) -> Any:
    if not only_first_batched(dims):
        return NotImplemented
    if len(args) > 1:
        k = args[1]
    v = to_front(args[0], dims[0])
    size = _np.shape(v)[1] + abs(k)
    return anp.embed_diagonal(v, size, size, k), 0


defbatch(anp.diag_from_vector, diag_from_vector_rule)

# ---------------------------------------------------------------------------
# Shapes.


def reshape_like(fun: Callable) -> Callable:
    """Rules of functions that keep the entries in order and change the shape only.

    One example's new shape comes from calling the function on a stand-in
    (no data); the batch, batch axis first, is reshaped to (B,) + that shape.
    """
    raw = fun.raw_fun

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not only_first_batched(dims) or kwargs.get("order", "C") != "C":
            return NotImplemented
        x = to_front(args[0], dims[0])
        new_shape = _np.shape(raw(stand_in(args[0], dims[0]), *args[1:], **kwargs))
        return anp.reshape(x, _np.shape(x)[:1] + new_shape), 0

    return rule


for _fun in (
    anp.reshape,
    anp.ravel,
    anp.expand_dims,
    anp.squeeze,
    anp.atleast_1d,
    anp.atleast_2d,
    anp.atleast_3d,
):
    defbatch(_fun, reshape_like(_fun))


def transpose_rule(args: tuple, dims: tuple, axes: Any = None) -> Any:
    if len(args) > 1:
        axes = args[1]
    ndim = example_ndim(args[0], dims[0])
    axes = tuple(reversed(range(ndim))) if axes is None else axes
    return anp.transpose(to_front(args[0], dims[0]), (0,) + shifted_axes(axes, ndim)), 0


def swapaxes_rule(args: tuple, dims: tuple) -> Any:
    x, axis1, axis2 = args
    ndim = example_ndim(x, dims[0])
    return anp.swapaxes(to_front(x, dims[0]), *(shifted_axes(a, ndim) for a in (axis1, axis2))), 0


def moveaxis_rule(args: tuple, dims: tuple) -> Any:
    x, source, destination = args
    ndim = example_ndim(x, dims[0])
    source, destination = shifted_axes(source, ndim), shifted_axes(destination, ndim)
    return anp.moveaxis(to_front(x, dims[0]), source, destination), 0


def broadcast_to_rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    if not only_first_batched(dims):
        return NotImplemented
    x, shape = args[0], args[1] if len(args) > 1 else kwargs.pop("shape")
    shape = (shape,) if _np.ndim(shape) == 0 else tuple(shape)
    x = with_example_rank(x, dims[0], len(shape))
    return anp.broadcast_to(x, _np.shape(x)[:1] + shape, **kwargs), 0


def flip_rule(args: tuple, dims: tuple, axis: Any = None) -> Any:
    if len(args) > 1:
        axis = args[1]
    ndim = example_ndim(args[0], dims[0])
    return anp.flip(to_front(args[0], dims[0]), shifted_axes(axis, ndim)), 0


def roll_rule(args: tuple, dims: tuple, axis: Any = None) -> Any:
    if not only_first_batched(dims):
        return NotImplemented
    x, shift = args[0], args[1]
    if len(args) > 2:
        axis = args[2]
    ndim = example_ndim(x, dims[0])
    x = to_front(x, dims[0])
    if axis is None:
        flat = anp.reshape(x, (_np.shape(x)[0], -1))
        return anp.reshape(anp.roll(flat, shift, axis=1), _np.shape(x)), 0
    return anp.roll(x, shift, axis=shifted_axes(axis, ndim)), 0


def triangle_rule(fun: Callable) -> Callable:
    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not only_first_batched(dims) or example_ndim(args[0], dims[0]) < 2:
            return NotImplemented
        return fun(to_front(args[0], dims[0]), *args[1:], **kwargs), 0

    return rule


def tile_rule(args: tuple, dims: tuple) -> Any:
    """np.tile pads the example and the repetitions to one rank; the batch axis repeats once."""
    if not only_first_batched(dims):
        return NotImplemented
    x, reps = args
    reps = (reps,) if _np.ndim(reps) == 0 else tuple(reps)
    ndim = example_ndim(x, dims[0])
    rank = max(ndim, len(reps))
    x = with_example_rank(x, dims[0], rank)
    return anp.tile(x, (1,) + (1,) * (rank - len(reps)) + reps), 0


def repeat_rule(args: tuple, dims: tuple, axis: Any = None) -> Any:
    if not only_first_batched(dims):
        return NotImplemented
    x, repeats = args[0], args[1]
    if len(args) > 2:
        axis = args[2]
    ndim = example_ndim(x, dims[0])
    x = to_front(x, dims[0])
    if axis is None:
        return anp.repeat(anp.reshape(x, (_np.shape(x)[0], -1)), repeats, axis=1), 0
    return anp.repeat(x, repeats, axis=shifted_axes(axis, ndim)), 0


def pad_rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    """Each example axis is padded as asked; the batch axis is not padded."""
    if not only_first_batched(dims):
        return NotImplemented
    x, pad_width = args[0], args[1] if len(args) > 1 else kwargs.pop("pad_width")
    ndim = example_ndim(x, dims[0])
    widths = [(0, 0)] + [tuple(w) for w in _np.broadcast_to(_np.asarray(pad_width), (ndim, 2))]
    return anp.pad(to_front(x, dims[0]), widths, *args[2:], **kwargs), 0


def take_rule(args: tuple, dims: tuple, axis: Any = None, **kwargs: Any) -> Any:
    """take(x, indices, axis): shared indices along the shifted axis (flattened when None)."""
    if not only_first_batched(dims) or kwargs:
        return NotImplemented
    x, indices = args[0], args[1]
    if len(args) > 2:
        axis = args[2]
    ndim = example_ndim(x, dims[0])
    x = to_front(x, dims[0])
    if axis is None:
        x, axis = anp.reshape(x, (_np.shape(x)[0], -1)), 0
        ndim = 1
    return anp.take(x, indices, axis=shifted_axes(axis, ndim)), 0


def take_along_axis_rule(args: tuple, dims: tuple, axis: Any = None) -> Any:
    """The array and the indices broadcast against each other: batch axes first in both."""
    x, indices = args[0], args[1]
    if len(args) > 2:
        axis = args[2]
    if axis is None or dims[2:] and any(d is not None for d in dims[2:]):
        return NotImplemented
    ndim = max(example_ndim(x, dims[0]), example_ndim(indices, dims[1]))
    x = to_front(x, dims[0]) if dims[0] is not None else anp.expand_dims(x, 0)
    indices = to_front(indices, dims[1]) if dims[1] is not None else _np.expand_dims(indices, 0)
    return anp.take_along_axis(x, indices, axis=shifted_axes(axis, ndim)), 0


def concatenate_rule(args: tuple, dims: tuple) -> Any:
    """Every array with its batch axis first (shared arrays are repeated), axis shifted."""
    axis, arrays, array_dims = args[0], args[1:], dims[1:]
    if dims[0] is not None:
        return NotImplemented
    size = batch_size(arrays, array_dims)
    ndim = example_ndim(arrays[0], array_dims[0])
    moved = [
        to_front(a, d) if d is not None else anp.broadcast_to(a, (size,) + _np.shape(a))
        for a, d in zip(arrays, array_dims, strict=True)
    ]
    return anp.concatenate_arrays(shifted_axes(axis, ndim), *moved), 0


defbatch(anp.transpose, transpose_rule)
defbatch(anp.swapaxes, swapaxes_rule)
defbatch(anp.moveaxis, moveaxis_rule)
defbatch(anp.broadcast_to, broadcast_to_rule)
defbatch(anp.flip, flip_rule)
defbatch(anp.fliplr, lambda args, dims: flip_rule(args, dims, 1))
defbatch(anp.flipud, lambda args, dims: flip_rule(args, dims, 0))
defbatch(anp.roll, roll_rule)
defbatch(anp.triu, triangle_rule(anp.triu))
defbatch(anp.tril, triangle_rule(anp.tril))
defbatch(anp.tile, tile_rule)
defbatch(anp.repeat, repeat_rule)
defbatch(anp.pad, pad_rule)
defbatch(anp.take, take_rule)
defbatch(anp.take_along_axis, take_along_axis_rule)
defbatch(anp.concatenate_arrays, concatenate_rule)

# ---------------------------------------------------------------------------
# Indexing: prefix the index with a full slice over the batch axis.


def _is_array_index(entry: Any) -> bool:
    return isinstance(entry, (list, _np.ndarray)) or (
        isinstance(entry, _np.generic) and entry.dtype == bool
    )


def _batch_position(index: tuple) -> int:
    """Where x[(:,) + index] puts the batch axis, by NumPy's rules for advanced indices.

    Array indices (and integers among them) that are separated by a slice,
    an Ellipsis or None have their broadcast axes moved to the front of the
    result, before the batch axis; otherwise the batch axis stays first.
    """
    if not any(_is_array_index(entry) for entry in index):
        return 0
    advanced = [
        i for i, e in enumerate(index) if _is_array_index(e) or isinstance(e, (int, _np.integer))
    ]
    if advanced[-1] - advanced[0] + 1 == len(advanced):
        return 0
    arrays = []
    for entry in index:
        if _is_array_index(entry):
            entry = _np.asarray(entry)
            arrays.extend(_np.nonzero(entry) if entry.dtype == bool else [entry])
    return len(_np.broadcast_shapes(*[_np.shape(a) for a in arrays]))


def _as_tuple(index: Any) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def getitem_rule(args: tuple, dims: tuple) -> Any:
    """x[index] of each example is X[:, index] of the batch, batch axis first."""
    if not only_first_batched(dims):
        return NotImplemented
    x, index = to_front(args[0], dims[0]), _as_tuple(args[1])
    if any(isbox(entry) for entry in index):
        return NotImplemented
    return anp.getitem(x, (slice(None),) + index), _batch_position(index)


def add_at_index_rule(args: tuple, dims: tuple) -> Any:
    """The adjoint of indexing, batched alike: g's batch axis goes where X[:, index] puts it."""
    g, index, shape, dtype = args
    if not only_first_batched(dims):
        return NotImplemented
    index = _as_tuple(index)
    size = _np.shape(g)[dims[0]]
    g = anp.moveaxis(g, dims[0], _batch_position(index))
    return anp.add_at_index(g, (slice(None),) + index, (size,) + tuple(shape), dtype), 0


def add_along_axis_rule(args: tuple, dims: tuple) -> Any:
    g, indices, axis, shape = args
    if not only_first_batched(dims):
        return NotImplemented
    g = to_front(g, dims[0])
    return anp.add_along_axis(g, indices, axis + 1, (_np.shape(g)[0],) + tuple(shape)), 0


def add_at_taken_rule(args: tuple, dims: tuple) -> Any:
    """g and the indices both get a batch axis in front (a shared one is broadcast)."""
    g, indices, axis, shape = args
    if dims[2] is not None or dims[3] is not None:
        return NotImplemented
    size = batch_size(args, dims)
    g = to_front(g, dims[0]) if dims[0] is not None else anp.broadcast_to(g, (size,) + _np.shape(g))
    if dims[1] is None:
        indices = _np.broadcast_to(indices, (size,) + _np.shape(indices))
    else:
        indices = to_front(indices, dims[1])
    return anp.add_at_taken(g, indices, axis + 1, (size,) + tuple(shape)), 0


defbatch(anp.getitem, getitem_rule)
defbatch(anp.add_at_taken, add_at_taken_rule)
defbatch(anp.add_at_index, add_at_index_rule)
defbatch(anp.add_along_axis, add_along_axis_rule)


def searchsorted_rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
    """Shared sorted array, a batch of values to look up: elementwise in the values."""
    if dims[0] is not None or any(d is not None for d in dims[2:]):
        return NotImplemented
    return anp.searchsorted(args[0], args[1], *args[2:], **kwargs), dims[1]


defbatch(anp.searchsorted, searchsorted_rule)
