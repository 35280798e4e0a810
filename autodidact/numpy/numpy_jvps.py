"""Jacobian-vector products of the wrapped NumPy functions, one table per family.

Each rule is `jvp(g, ans, *args, **kwargs)`: given the tangent g of one
argument, return the tangent of the output `ans`, shaped like `ans`. The
tables run parallel to `numpy_vjps.py`; read the two side by side.

* An elementwise function y = f(x) has a diagonal Jacobian, so its JVP and
  its VJP are the same product g * f'(x).
* A function that is linear in an argument is its own JVP: the tangent of
  reshape(x) is reshape(g). `def_linear` registers that in one line, and it
  covers most of the shape, product and reduction families.
* Broadcasting goes the other way round from reverse mode: where a VJP sums
  the cotangent down to the argument's shape (`unbroadcast`), a JVP stretches
  the tangent up to the output's shape (`broadcast_to_output`).

Rules use `autodidact.numpy` (imported as anp), so a forward pass is made of
primitives and can itself be differentiated, in either mode.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as _np

from ..forward import def_linear, defjvp, defjvp_argnum
from ..tracer import getval
from . import numpy_wrapper as anp
from .numpy_boxes import all_examples
from .numpy_vjps import (
    DERIVATIVES,
    PARTIALS,
    reduced_count,
    restore_reduced_axes,
    sinc_vjp,
    times_derivative,
)

LOG_2 = math.log(2)  # Python floats, so float32 tangents stay float32
LOG_10 = math.log(10)

# ---------------------------------------------------------------------------
# Broadcasting


def broadcast_to_output(g: Any, ans: Any) -> Any:
    """Stretch the tangent g of one argument to the shape of the output `ans`.

    In x + y with x of shape (3,) and y of shape (4, 3), moving x by g moves
    every row of the output by g: the output's tangent is g broadcast to
    (4, 3). This is the forward twin of `unbroadcast`, which sums a
    cotangent back down.
    """
    ans_shape = _np.shape(getval(ans))
    if _np.shape(getval(g)) == ans_shape:
        return g
    return anp.broadcast_to(g, ans_shape)


# ---------------------------------------------------------------------------
# Elementwise functions of one argument: g times the derivative (as the VJPs).
for _fun, _derivative in DERIVATIVES.items():
    defjvp(_fun, times_derivative(_derivative))
def_linear(anp.negative)
def_linear(anp.positive)
def_linear(anp.deg2rad)
def_linear(anp.rad2deg)
def_linear(anp.radians)
def_linear(anp.degrees)
def_linear(anp.real)
def_linear(anp.imag)
def_linear(anp.conjugate)
defjvp(anp.nan_to_num, lambda g, ans, x, *args, **kwargs: g * anp.isfinite(x))


def absolute_jvp(g: Any, ans: Any, x: Any) -> Any:
    """d|z| = Re(conj(z) dz) / |z| (0 at z = 0); for a real x, sign(x) dx."""
    if not _np.iscomplexobj(getval(x)):
        return g * anp.sign(x)
    return anp.real(anp.conj(x) * g) / anp.where(ans == 0, 1.0, ans)


def angle_jvp(g: Any, ans: Any, z: Any, deg: bool = False) -> Any:
    """d angle(z) = Im(conj(z) dz) / |z|^2; the angle of a real number does not move."""
    if not _np.iscomplexobj(getval(z)):
        return 0.0 * anp.real(g)
    scale = 180 / _np.pi if deg else 1.0
    return scale * anp.imag(anp.conj(z) * g) / anp.real(z * anp.conj(z))


defjvp(anp.absolute, absolute_jvp)
defjvp(anp.angle, angle_jvp)
defjvp(anp.sinc, sinc_vjp)  # elementwise: the same product g * sinc'(x) as the VJP
defjvp(
    anp.clip,
    lambda g, ans, x, a_min=None, a_max=None, **kwargs: broadcast_to_output(g * (x == ans), ans),
)
defjvp(
    anp.where,
    None,
    lambda g, ans, c, x=None, y=None: broadcast_to_output(anp.where(c, g, 0.0), ans),
    lambda g, ans, c, x=None, y=None: broadcast_to_output(anp.where(c, 0.0, g), ans),
)

# ---------------------------------------------------------------------------
# Elementwise functions of two arguments: as above, stretched to the output.
defjvp(
    anp.add,
    lambda g, ans, x, y: broadcast_to_output(g, ans),
    lambda g, ans, x, y: broadcast_to_output(g, ans),
)
defjvp(
    anp.subtract,
    lambda g, ans, x, y: broadcast_to_output(g, ans),
    lambda g, ans, x, y: broadcast_to_output(-g, ans),
)
def_linear(anp.multiply)  # bilinear: the tangent of x * y along x is g * y
defjvp(
    anp.divide,
    lambda g, ans, x, y: broadcast_to_output(g / y, ans),
    lambda g, ans, x, y: broadcast_to_output(-g * x / y**2, ans),
)


def power_jvp_base(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """d(x^y) = y x^(y-1) dx."""
    exponent = anp.where(y == 0, 1.0, y - 1) if _np.any(all_examples(y) == 0) else y - 1
    return broadcast_to_output(g * y * x**exponent, ans)


def power_jvp_exponent(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """d(x^y) = x^y log(x) dy (taken as 0 where x = 0, the limit for y > 0)."""
    safe_log = anp.log(anp.where(x == 0, 1.0, x))
    return broadcast_to_output(g * ans * safe_log, ans)


defjvp(anp.power, power_jvp_base, power_jvp_exponent)


def stretch_times(partial: Any) -> Any:
    """The JVP of an elementwise f(x, y) for one argument: g * partial, stretched to the output."""

    def rule(g: Any, ans: Any, x: Any, y: Any) -> Any:
        return broadcast_to_output(g * partial(ans, x, y), ans)

    return rule


for _fun, (_partial_x, _partial_y) in PARTIALS.items():
    defjvp(_fun, stretch_times(_partial_x), stretch_times(_partial_y))

# ---------------------------------------------------------------------------
# Reductions: reduce the tangent the way the value was reduced.


def prod_jvp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    """d prod(x) = prod(x) * sum(dx / x) (x must have no zeros)."""
    return ans * anp.sum(g / x, axis=axis, keepdims=keepdims)


def extreme_jvp(g, ans, x, axis=None, out=None, keepdims=False, **kwargs):
    """The max (or min) moves with the entries equal to it, averaged over ties."""
    is_extreme = x == restore_reduced_axes(ans, x, axis, keepdims)
    share = is_extreme / anp.sum(is_extreme, axis=axis, keepdims=True)
    return anp.sum(g * share, axis=axis, keepdims=keepdims)


def var_jvp(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """d var = 2 sum(Re(conj(x - mean) dx)) / (N - ddof); the mean's own change sums to zero."""
    centered = x - anp.mean(x, axis=axis, keepdims=True)
    scale = 2.0 / (reduced_count(x, axis) - ddof)
    return anp.sum(_real_product(centered, g), axis=axis, keepdims=keepdims) * scale


def std_jvp(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """d std = d var / (2 std) = sum(Re(conj(x - mean) dx)) / ((N - ddof) std).

    A reduction over a single entry has std = 0 whatever the entry: tangent 0.
    """
    if reduced_count(x, axis) <= 1:
        return 0.0 * anp.sum(anp.real(g), axis=axis, keepdims=keepdims)
    centered = x - anp.mean(x, axis=axis, keepdims=True)
    scale = 1.0 / (reduced_count(x, axis) - ddof)
    return anp.sum(_real_product(centered, g), axis=axis, keepdims=keepdims) * scale / ans


def _real_product(centered: Any, g: Any) -> Any:
    """Re(conj(centered) g): the real inner product of complex numbers, entry by entry."""
    if _np.iscomplexobj(getval(centered)) or _np.iscomplexobj(getval(g)):
        return anp.real(anp.conjugate(centered) * g)
    return centered * g


def cumprod_jvp(g, ans, x, axis=None, dtype=None, out=None):
    """Output k is x_0 ... x_k, so its tangent is ans_k * sum_{i<=k} dx_i / x_i."""
    return ans * anp.cumsum(g / x, axis=axis)


def_linear(anp.sum)
def_linear(anp.mean)
defjvp(anp.prod, prod_jvp)
defjvp(anp.max, extreme_jvp)
defjvp(anp.min, extreme_jvp)
defjvp(anp.var, var_jvp)
defjvp(anp.std, std_jvp)
def_linear(anp.cumsum)
defjvp(anp.cumprod, cumprod_jvp)

# ---------------------------------------------------------------------------
# Products: linear in each factor, so each JVP is the product with g in its place.
# For Z = X W: Z_dot = X_dot W + X W_dot, one term per traced factor.
def_linear(anp.tensordot)
def_linear(anp.dot)
def_linear(anp.matmul)
def_linear(anp.outer)
def_linear(anp.inner)
def_linear(anp.kron)
def_linear(anp.einsum_with_subscripts)  # argument 0, the subscripts string, is never traced
def_linear(anp.diagonal)
def_linear(anp.trace)
def_linear(anp.diag_from_vector)

# ---------------------------------------------------------------------------
# Shapes: each moves entries around, so each JVP moves g the same way.


def sort_jvp(g: Any, ans: Any, x: Any, axis: int = -1, **kwargs: Any) -> Any:
    """Sorting permutes entries; the tangent is permuted the same way."""
    if axis is None:
        order = _np.argsort(_np.ravel(getval(x)), **kwargs)
        return anp.ravel(g)[order]
    order = _np.argsort(getval(x), axis=axis, **kwargs)
    return anp.take_along_axis(g, order, axis=axis)


def pad_jvp(g: Any, ans: Any, x: Any, pad_width: Any, mode: str = "constant", **kwargs: Any):
    """The padding constants do not move: pad the tangent with zeros."""
    if mode != "constant":
        raise NotImplementedError(
            f"anp.pad has a derivative only for mode='constant', not mode={mode!r}"
        )
    return anp.pad(g, pad_width, mode="constant")


def concatenate_jvp(argnum: int, g: Any, ans: Any, axis: int, *arrays: Any) -> Any:
    """The tangent of array k sits where array k sits; the other arrays contribute zeros."""
    if argnum == 0:
        raise TypeError("concatenate's axis has no derivative")
    dtype = _np.result_type(getval(g))
    pieces = [
        g if k == argnum - 1 else _np.zeros(_np.shape(getval(a)), dtype=dtype)
        for k, a in enumerate(arrays)
    ]
    return anp.concatenate_arrays(axis, *pieces)


def_linear(anp.reshape)
def_linear(anp.ravel)
def_linear(anp.expand_dims)
def_linear(anp.squeeze)
def_linear(anp.atleast_1d)
def_linear(anp.atleast_2d)
def_linear(anp.atleast_3d)
def_linear(anp.copy)
def_linear(anp.asarray)
def_linear(anp.transpose)
def_linear(anp.swapaxes)
def_linear(anp.moveaxis)
def_linear(anp.broadcast_to)
def_linear(anp.flip)
def_linear(anp.fliplr)
def_linear(anp.flipud)
def_linear(anp.roll)
def_linear(anp.triu)
def_linear(anp.tril)
def_linear(anp.tile)
def_linear(anp.repeat)
def_linear(anp.take)
defjvp(anp.sort, sort_jvp)
defjvp(anp.pad, pad_jvp)
def_linear(anp.take_along_axis)
def_linear(anp.astype)
defjvp_argnum(anp.concatenate_arrays, concatenate_jvp)

# Indexing and scatter-adding are linear in the array they read from or add.
def_linear(anp.getitem)
def_linear(anp.add_at_index)
def_linear(anp.add_along_axis)
def_linear(anp.add_at_taken)
