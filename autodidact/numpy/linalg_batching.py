"""Batching rules of numpy.linalg: NumPy already works on stacks of matrices.

Every routine here accepts arrays of shape (..., M, N) and treats the
leading axes as a stack, so a batch of matrices is simply a bigger stack:
move the batch axis to the front and call the routine. Only `solve` needs
care, since a 1-D right-hand side means a vector while a stack of vectors
must be given as a stack of one-column matrices; and `norm` reduces over
axes that shift by one. lstsq does not take stacks: vmap loops over it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as _np

from ..batching import defbatch
from . import linalg
from . import numpy_wrapper as anp
from .linalg_vjps import norm_axes
from .numpy_batching import example_ndim, only_first_batched, to_front, with_example_rank


def stack_rule(fun: Callable) -> Callable:
    """The rule of a routine on (..., M, N) stacks: the batch is one more stack axis."""

    def rule(args: tuple, dims: tuple, **kwargs: Any) -> Any:
        if not only_first_batched(dims):
            return NotImplemented
        return fun(to_front(args[0], dims[0]), *args[1:], **kwargs), 0

    return rule


STACKED = [
    linalg.inv, linalg.det, linalg.slogdet_outputs, linalg.pinv, linalg.cholesky,
    linalg.eigh_outputs, linalg.eigvalsh, linalg.svd_outputs, linalg.qr_outputs,
    linalg.matrix_power, linalg.trace, linalg.matrix_rank, linalg.cond,
]  # fmt: skip
for _fun in STACKED:
    defbatch(_fun, stack_rule(_fun))


def solve_rule(args: tuple, dims: tuple) -> tuple[Any, int]:
    """x = A^{-1} b for a batch: a shared A solves all right-hand sides at once.

    A batch of vectors b against a shared A is one solve with the matrix
    [b_1 ... b_B] (batch along the last axis). Otherwise both go batch
    axis first, vectors become one-column matrices, and NumPy broadcasts.
    """
    (a, b), (da, db) = args, dims
    a_ndim, b_ndim = example_ndim(a, da), example_ndim(b, db)
    if da is None and b_ndim == 1 and a_ndim == 2:
        return linalg.solve(a, anp.moveaxis(b, db, -1)), 1
    if b_ndim == 1:
        if db is not None:
            b, db = to_front(b, db), 0
        b = anp.expand_dims(b, -1)
    rank = max(a_ndim, b_ndim, 2)
    x = linalg.solve(with_example_rank(a, da, rank), with_example_rank(b, db, rank))
    return (anp.squeeze(x, -1) if b_ndim == 1 else x), 0


def norm_rule(
    args: tuple,
    dims: tuple,
    ord: Any = None,  # noqa: A002 (NumPy's name)
    axis: Any = None,
    keepdims: bool = False,
) -> Any:
    """norm over an example's axes: the same kind of norm over the shifted axes."""
    if not only_first_batched(dims):
        return NotImplemented
    given = list(args[1:])  # ord, axis and keepdims may come positionally
    ord, axis, keepdims = (given + [ord, axis, keepdims][len(given) :])[:3]  # noqa: A001
    x, dim = args[0], dims[0]
    ndim = example_ndim(x, dim)
    x = to_front(x, dim)
    kind, axes = norm_axes(_np.broadcast_to(0.0, _np.shape(x)[1:]), ord, axis)
    if kind == "flat":  # the 2-norm of the flattened example
        flat = anp.reshape(x, (_np.shape(x)[0], -1))
        result = linalg.norm(flat, axis=1)
        if keepdims:
            result = anp.reshape(result, (_np.shape(x)[0],) + (1,) * ndim)
        return result, 0
    shifted = tuple(a + 1 for a in axes)
    return linalg.norm(x, ord, shifted if len(shifted) > 1 else shifted[0], keepdims), 0


defbatch(linalg.solve, solve_rule)
defbatch(linalg.norm, norm_rule)
