"""Vector-Jacobian products of the wrapped NumPy functions, one table per family.

Each rule is `vjp(g, ans, *args, **kwargs)`: given the cotangent g of the
output `ans`, return the cotangent of one argument, shaped like it. For an
elementwise function y = f(x) the Jacobian is diagonal, so its VJP is the
elementwise product g * f'(x). Rules use `autodidact.numpy` (imported as anp),
so a backward pass is made of primitives and can itself be differentiated:
that is all grad(grad(f)) needs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as _np

from ..reverse import defvjp, defvjp_argnum
from ..tracer import getval
from . import numpy_wrapper as anp
from .numpy_boxes import all_examples

LOG_2 = math.log(2)  # Python floats, so float32 values stay float32
LOG_10 = math.log(10)

# ---------------------------------------------------------------------------
# Broadcasting


def unbroadcast(target: Any, g: Any) -> Any:
    """Sum the cotangent g down to the shape of `target`, undoing NumPy broadcasting.

    When x of shape (3, 1) is added to y of shape (4,), both are stretched
    to (3, 4): each entry of x is used 4 times. The adjoint of a value used
    several times is the sum of its adjoints, so x_bar sums g over the
    stretched axis (keeping it, size 1) and y_bar over the added leading axis.
    """
    target_shape = _np.shape(getval(target))
    g_shape = _np.shape(getval(g))
    if g_shape == target_shape:
        return g
    leading = len(g_shape) - len(target_shape)
    stretched = tuple(
        leading + axis
        for axis, size in enumerate(target_shape)
        if size == 1 and g_shape[leading + axis] != 1
    )
    return anp.reshape(anp.sum(g, axis=tuple(range(leading)) + stretched), target_shape)


def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """1 where x is the chosen value z, 0.5 where x ties with y, 0 elsewhere (for max/min)."""
    return (x == z) / (1.0 + (x == y))


# ---------------------------------------------------------------------------
# Elementwise functions of one argument. Applied entry by entry, y = f(x) has
# the diagonal Jacobian diag(f'(x)), so its VJP and its JVP are one and the
# same product: g * f'(x). This table gives f' (in terms of the output `ans`
# where that is cheaper); the VJPs here and the JVPs in numpy_jvps.py are both
# made from it.
DERIVATIVES = {
    anp.exp: lambda ans, x: ans,
    anp.exp2: lambda ans, x: ans * LOG_2,
    anp.expm1: lambda ans, x: ans + 1,
    anp.log: lambda ans, x: 1 / x,
    anp.log2: lambda ans, x: 1 / (x * LOG_2),
    anp.log10: lambda ans, x: 1 / (x * LOG_10),
    anp.log1p: lambda ans, x: 1 / (x + 1),
    anp.sqrt: lambda ans, x: 0.5 / ans,
    anp.cbrt: lambda ans, x: 1 / (3 * ans**2),
    anp.square: lambda ans, x: 2 * x,
    anp.reciprocal: lambda ans, x: -(ans**2),
    anp.fabs: lambda ans, x: anp.sign(x),
    anp.sin: lambda ans, x: anp.cos(x),
    anp.cos: lambda ans, x: -anp.sin(x),
    anp.tan: lambda ans, x: 1 + ans**2,
    anp.arcsin: lambda ans, x: 1 / anp.sqrt(1 - x**2),
    anp.arccos: lambda ans, x: -1 / anp.sqrt(1 - x**2),
    anp.arctan: lambda ans, x: 1 / (1 + x**2),
    anp.sinh: lambda ans, x: anp.cosh(x),
    anp.cosh: lambda ans, x: anp.sinh(x),
    anp.tanh: lambda ans, x: 1 - ans**2,
    anp.arcsinh: lambda ans, x: 1 / anp.sqrt(x**2 + 1),
    anp.arccosh: lambda ans, x: 1 / anp.sqrt(x**2 - 1),
    anp.arctanh: lambda ans, x: 1 / (1 - x**2),
}


def times_derivative(derivative: Any) -> Any:
    """The rule g * f'(x) for an elementwise f: its VJP and, alike, its JVP."""

    def rule(g: Any, ans: Any, x: Any) -> Any:
        return g * derivative(ans, x)

    return rule


for _fun, _derivative in DERIVATIVES.items():
    defvjp(_fun, times_derivative(_derivative))
defvjp(anp.negative, lambda g, ans, x: -g)
defvjp(anp.positive, lambda g, ans, x: g)
defvjp(anp.deg2rad, lambda g, ans, x: g * (_np.pi / 180))
defvjp(anp.rad2deg, lambda g, ans, x: g * (180 / _np.pi))
defvjp(anp.radians, lambda g, ans, x: g * (_np.pi / 180))
defvjp(anp.degrees, lambda g, ans, x: g * (180 / _np.pi))
defvjp(anp.nan_to_num, lambda g, ans, x, *args, **kwargs: g * anp.isfinite(x))

# ---------------------------------------------------------------------------
# Complex numbers, as Autograd has them. For f(z) = u(x, y) + i v(x, y), z = x + i y,
# the VJP of a cotangent g = g_x + i g_y is
#
#     vjp(g) = g_x (u_x - i u_y) - g_y (v_x - i v_y)
#
# For a holomorphic f (u_x = v_y, u_y = -v_x) that is g f'(z): the rules above,
# written as g times the derivative, hold for complex numbers as they stand; grad
# of a holomorphic f is f'(z). For a real-valued f (v = 0) it is g (u_x - i u_y):
# the conjugate of the direction of steepest ascent. A real argument of a complex
# result keeps the real part of its cotangent (see reverse.py), so a real input
# always gets a real gradient. Only the functions that are not holomorphic need
# rules of their own: real, imag, conj, abs and angle.


def real_vjp(g: Any, ans: Any, x: Any) -> Any:
    """Re z has u = x, v = 0: vjp(g) = g_x, as a complex number when z is complex."""
    return g + 0j if _np.iscomplexobj(getval(x)) else g


def imag_vjp(g: Any, ans: Any, x: Any) -> Any:
    """Im z has u = y, v = 0: vjp(g) = -i g_x (and zero for a real x, whose Im is 0)."""
    return -1j * g if _np.iscomplexobj(getval(x)) else 0.0 * g


def absolute_vjp(g: Any, ans: Any, x: Any) -> Any:
    """|z| has u_x - i u_y = (x - i y) / |z| = conj(z) / |z| (taken as 0 at z = 0).

    For a real x that is sign(x): d|x|/dx.
    """
    if not _np.iscomplexobj(getval(x)):
        return g * anp.sign(x)
    return g * anp.conj(x) / anp.where(ans == 0, 1.0, ans)


def angle_vjp(g: Any, ans: Any, z: Any, deg: bool = False) -> Any:
    """angle(z) = atan2(y, x) has u_x - i u_y = (-y - i x) / |z|^2 = conj(i z) / |z|^2.

    The angle of a real number is 0 or pi, piecewise constant: no derivative.
    """
    if not _np.iscomplexobj(getval(z)):
        return 0.0 * g
    scale = 180 / _np.pi if deg else 1.0
    return g * scale * anp.conj(1j * z) / anp.real(z * anp.conj(z))


defvjp(anp.real, real_vjp)
defvjp(anp.imag, imag_vjp)
defvjp(anp.conjugate, lambda g, ans, x: anp.conjugate(g))  # u = x, v = -y: g_x - i g_y
defvjp(anp.absolute, absolute_vjp)
defvjp(anp.angle, angle_vjp)


def sinc_vjp(g: Any, ans: Any, x: Any) -> Any:
    """sinc(x) = sin(pi x) / (pi x), so sinc'(x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    safe_x = anp.where(x == 0, 1.0, x)
    return g * anp.where(x == 0, 0.0, (anp.cos(_np.pi * x) - ans) / safe_x)


defvjp(anp.sinc, sinc_vjp)
defvjp(
    anp.clip,
    lambda g, ans, x, a_min=None, a_max=None, **kwargs: g * (x == ans),
)
defvjp(
    anp.where,
    None,
    lambda g, ans, c, x=None, y=None: unbroadcast(x, anp.where(c, g, anp.zeros_like(g))),
    lambda g, ans, c, x=None, y=None: unbroadcast(y, anp.where(c, anp.zeros_like(g), g)),
)

# ---------------------------------------------------------------------------
# Elementwise functions of two arguments: as above, then `unbroadcast`.
defvjp(
    anp.add,
    lambda g, ans, x, y: unbroadcast(x, g),
    lambda g, ans, x, y: unbroadcast(y, g),
)
defvjp(
    anp.subtract,
    lambda g, ans, x, y: unbroadcast(x, g),
    lambda g, ans, x, y: unbroadcast(y, -g),
)
defvjp(
    anp.multiply,
    lambda g, ans, x, y: unbroadcast(x, y * g),
    lambda g, ans, x, y: unbroadcast(y, x * g),
)
defvjp(
    anp.divide,
    lambda g, ans, x, y: unbroadcast(x, g / y),
    lambda g, ans, x, y: unbroadcast(y, -g * x / y**2),
)


def power_vjp_base(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """d(x^y)/dx = y x^(y-1)."""
    exponent = anp.where(y == 0, 1.0, y - 1) if _np.any(all_examples(y) == 0) else y - 1
    return unbroadcast(x, g * y * x**exponent)


def power_vjp_exponent(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """d(x^y)/dy = x^y log x (taken as 0 where x = 0, the limit for y > 0)."""
    safe_log = anp.log(anp.where(x == 0, 1.0, x))
    return unbroadcast(y, g * ans * safe_log)


defvjp(anp.power, power_vjp_base, power_vjp_exponent)


# The other elementwise functions of two arguments, as a table of partial
# derivatives (df/dx, df/dy), shared with forward mode. Reverse mode sums
# g * df/dx back down to x's shape; forward mode stretches it to the output's.
def chosen_first(ans: Any, x: Any, y: Any) -> Any:
    """d max(x, y) / dx: 1 where x was chosen, 1/2 where x and y tie, 0 elsewhere (min alike)."""
    return balanced_eq(x, ans, y)


def chosen_second(ans: Any, x: Any, y: Any) -> Any:
    """d max(x, y) / dy, the same with the roles of x and y exchanged."""
    return balanced_eq(y, ans, x)


PARTIALS = {
    anp.maximum: (chosen_first, chosen_second),
    anp.minimum: (chosen_first, chosen_second),
    anp.fmax: (chosen_first, chosen_second),
    anp.fmin: (chosen_first, chosen_second),
    anp.arctan2: (lambda ans, y, x: x / (x**2 + y**2), lambda ans, y, x: -y / (x**2 + y**2)),
    anp.hypot: (lambda ans, x, y: x / ans, lambda ans, x, y: y / ans),
    anp.logaddexp: (lambda ans, x, y: anp.exp(x - ans), lambda ans, x, y: anp.exp(y - ans)),
    anp.logaddexp2: (lambda ans, x, y: 2 ** (x - ans), lambda ans, x, y: 2 ** (y - ans)),
    anp.mod: (lambda ans, x, y: 1.0, lambda ans, x, y: -anp.floor_divide(x, y)),
}


def unbroadcast_times(argnum: int, partial: Any) -> Any:
    """The VJP of an elementwise f(x, y) for one argument: unbroadcast(arg, g * partial)."""

    def rule(g: Any, ans: Any, x: Any, y: Any) -> Any:
        return unbroadcast((x, y)[argnum], g * partial(ans, x, y))

    return rule


for _fun, (_partial_x, _partial_y) in PARTIALS.items():
    defvjp(_fun, unbroadcast_times(0, _partial_x), unbroadcast_times(1, _partial_y))

# ---------------------------------------------------------------------------
# Reductions: send g back to every entry that was reduced.


def restore_reduced_axes(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Broadcast the cotangent of a reduction back to the shape of its input x.

    Sum and broadcast are adjoint to each other: the VJP of a sum over an
    axis copies g along that axis. Without keepdims the reduced axes are gone
    from g, so they are put back (as size 1) before broadcasting.
    """
    shape = _np.shape(getval(x))
    if axis is not None and not keepdims:
        axes = (axis,) if _np.ndim(axis) == 0 else tuple(axis)
        g = anp.expand_dims(g, tuple(a % len(shape) for a in axes))
    elif axis is None and not keepdims:
        g = anp.reshape(g, (1,) * len(shape))
    return anp.broadcast_to(g, shape)


def reduced_count(x: Any, axis: Any) -> int:
    """How many entries of x were reduced into each entry of the result."""
    shape = _np.shape(getval(x))
    if axis is None:
        return int(_np.prod(shape))
    axes = (axis,) if _np.ndim(axis) == 0 else tuple(axis)
    return int(_np.prod([shape[a] for a in axes]))


def sum_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    """Every summed entry receives g: copy it back along the reduced axes."""
    return restore_reduced_axes(g, x, axis, keepdims)


def mean_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    """As for sum, divided by the number of entries averaged."""
    return restore_reduced_axes(g, x, axis, keepdims) / reduced_count(x, axis)


def prod_vjp(g, ans, x, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    """d prod(x) / d x_i is the product of the others: ans / x_i (x must have no zeros)."""
    return restore_reduced_axes(g * ans, x, axis, keepdims) / x


def extreme_vjp(g, ans, x, axis=None, out=None, keepdims=False, **kwargs):
    """The max (or min) passes g to the entries equal to it, shared equally among ties."""
    ans_full = restore_reduced_axes(ans, x, axis, keepdims)
    is_extreme = x == ans_full
    ties = restore_reduced_axes(
        anp.sum(is_extreme, axis=axis, keepdims=keepdims), x, axis, keepdims
    )
    return restore_reduced_axes(g, x, axis, keepdims) * is_extreme / ties


def var_vjp(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """var = sum |x - mean|^2 / (N - ddof), so d var / dx = 2 conj(x - mean) / (N - ddof).

    (The conjugate is Autograd's rule for a real-valued function of complex x.)
    """
    centered = _conjugate_if_complex(x - anp.mean(x, axis=axis, keepdims=True))
    scale = 2.0 / (reduced_count(x, axis) - ddof)
    return restore_reduced_axes(g, x, axis, keepdims) * centered * scale


def std_vjp(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    """std = sqrt(var), so d std / dx = conj(x - mean) / ((N - ddof) std).

    A reduction over a single entry has std = 0 whatever the entry: derivative 0.
    """
    if reduced_count(x, axis) <= 1:
        return restore_reduced_axes(g, x, axis, keepdims) * _np.zeros(_np.shape(getval(x)))
    centered = _conjugate_if_complex(x - anp.mean(x, axis=axis, keepdims=True))
    scale = 1.0 / (reduced_count(x, axis) - ddof)
    return restore_reduced_axes(g / ans, x, axis, keepdims) * centered * scale


def _conjugate_if_complex(x: Any) -> Any:
    return anp.conjugate(x) if _np.iscomplexobj(getval(x)) else x


def reverse_cumsum(g: Any, axis: int) -> Any:
    """Sums from the end: the adjoint of a running sum collects every later output."""
    return anp.flip(anp.cumsum(anp.flip(g, axis), axis=axis), axis)


def cumsum_vjp(g, ans, x, axis=None, dtype=None, out=None):
    """Entry i feeds every running sum from i on: x_bar is g summed from the end."""
    if axis is None:
        return anp.reshape(reverse_cumsum(g, 0), _np.shape(getval(x)))
    return reverse_cumsum(g, axis)


def cumprod_vjp(g, ans, x, axis=None, dtype=None, out=None):
    """Output k is the product of x_0..x_k, so x_i receives sum_{k>=i} g_k ans_k / x_i."""
    if axis is None:
        flat = anp.ravel(x)
        return anp.reshape(reverse_cumsum(g * ans, 0) / flat, _np.shape(getval(x)))
    return reverse_cumsum(g * ans, axis) / x


defvjp(anp.sum, sum_vjp)
defvjp(anp.mean, mean_vjp)
defvjp(anp.prod, prod_vjp)
defvjp(anp.max, extreme_vjp)
defvjp(anp.min, extreme_vjp)
defvjp(anp.var, var_vjp)
defvjp(anp.std, std_vjp)
defvjp(anp.cumsum, cumsum_vjp)
defvjp(anp.cumprod, cumprod_vjp)

# ---------------------------------------------------------------------------
# Products. For Z = X W the rules are X_bar = Z_bar W^T and W_bar = X^T Z_bar.


def _tensordot_axes(axes: Any, a_ndim: int) -> tuple[list[int], list[int]]:
    """Normalise tensordot's `axes` to two lists of contracted axes (of a and of b)."""
    if _np.ndim(axes) == 0:
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if _np.ndim(a_axes) == 0 else list(a_axes)
    b_axes = [b_axes] if _np.ndim(b_axes) == 0 else list(b_axes)
    return a_axes, b_axes


def tensordot_vjp_a(g: Any, ans: Any, a: Any, b: Any, axes: Any = 2) -> Any:
    """Contract g with b over b's free axes, then put a's axes back in their order."""
    a_ndim, b_ndim = _np.ndim(getval(a)), _np.ndim(getval(b))
    a_axes, b_axes = _tensordot_axes(axes, a_ndim)
    a_axes = [k % a_ndim for k in a_axes]
    b_axes = [k % b_ndim for k in b_axes]
    b_free = [k for k in range(b_ndim) if k not in b_axes]
    a_free_count = a_ndim - len(a_axes)
    g_b_axes = list(range(a_free_count, a_free_count + len(b_free)))
    # the result's axes: a's free axes, then a's contracted axes ordered like sorted(b_axes)
    result = anp.tensordot(g, b, (g_b_axes, b_free))
    a_free = [k for k in range(a_ndim) if k not in a_axes]
    current_order = a_free + [a_axes[i] for i in _np.argsort(b_axes)]
    return anp.transpose(result, _np.argsort(current_order))


def tensordot_vjp_b(g: Any, ans: Any, a: Any, b: Any, axes: Any = 2) -> Any:
    """Contract a with g over a's free axes, then put b's axes back in their order."""
    a_ndim, b_ndim = _np.ndim(getval(a)), _np.ndim(getval(b))
    a_axes, b_axes = _tensordot_axes(axes, a_ndim)
    a_axes = [k % a_ndim for k in a_axes]
    b_axes = [k % b_ndim for k in b_axes]
    a_free = [k for k in range(a_ndim) if k not in a_axes]
    g_a_axes = list(range(len(a_free)))
    # the result's axes: b's contracted axes ordered like sorted(a_axes), then b's free axes
    result = anp.tensordot(a, g, (a_free, g_a_axes))
    b_free = [k for k in range(b_ndim) if k not in b_axes]
    current_order = [b_axes[i] for i in _np.argsort(a_axes)] + b_free
    return anp.transpose(result, _np.argsort(current_order))


def _dot_axes(a: Any, b: Any) -> tuple[list[int], list[int]]:
    """np.dot contracts a's last axis with b's second-to-last (or only) axis."""
    b_ndim = _np.ndim(getval(b))
    return [_np.ndim(getval(a)) - 1], [b_ndim - 2 if b_ndim >= 2 else 0]


def dot_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    """a_bar = g b^T for matrices and vectors (an outer product when b is a vector).

    Operands with more than two axes go through the general tensordot rule.
    """
    a_ndim, b_ndim = _np.ndim(getval(a)), _np.ndim(getval(b))
    if a_ndim == 0 or b_ndim == 0:
        return unbroadcast(a, g * b)
    if a_ndim > 2 or b_ndim > 2:
        return tensordot_vjp_a(g, ans, a, b, _dot_axes(a, b))
    if b_ndim == 1:
        return anp.outer(g, b) if a_ndim == 2 else g * b
    return anp.dot(g, anp.transpose(b))


def dot_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    """b_bar = a^T g for matrices and vectors (an outer product when a is a vector)."""
    a_ndim, b_ndim = _np.ndim(getval(a)), _np.ndim(getval(b))
    if a_ndim == 0 or b_ndim == 0:
        return unbroadcast(b, g * a)
    if a_ndim > 2 or b_ndim > 2:
        return tensordot_vjp_b(g, ans, a, b, _dot_axes(a, b))
    if a_ndim == 1:
        return anp.outer(a, g) if b_ndim == 2 else g * a
    return anp.dot(anp.transpose(a), g)


def matmul_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    """A_bar = G B^T, with 1-D operands treated as a row (a) or a column (b)."""
    a_ndim, b_ndim = _np.ndim(getval(a)), _np.ndim(getval(b))
    if b_ndim == 1:
        g = anp.expand_dims(g, -1)
        b = anp.reshape(b, (1, -1))
    else:
        b = anp.swapaxes(b, -1, -2)
    if a_ndim == 1:
        g = anp.expand_dims(g, -2)
    result = anp.matmul(g, b)
    if a_ndim == 1:
        result = anp.reshape(result, result.shape[:-2] + result.shape[-1:])
    return unbroadcast(a, result)


def matmul_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    """B_bar = A^T G, with 1-D operands treated as a row (a) or a column (b)."""
    a_ndim, b_ndim = _np.ndim(getval(a)), _np.ndim(getval(b))
    if b_ndim == 1:
        g = anp.expand_dims(g, -1)
    if a_ndim == 1:
        g = anp.expand_dims(g, -2)
        a = anp.reshape(a, (-1, 1))
    else:
        a = anp.swapaxes(a, -1, -2)
    result = anp.matmul(a, g)
    if b_ndim == 1:
        result = anp.reshape(result, result.shape[:-1])
    return unbroadcast(b, result)


defvjp(anp.tensordot, tensordot_vjp_a, tensordot_vjp_b)
defvjp(anp.dot, dot_vjp_a, dot_vjp_b)
defvjp(anp.matmul, matmul_vjp_a, matmul_vjp_b)
defvjp(
    anp.outer,
    lambda g, ans, a, b: anp.reshape(anp.dot(g, anp.ravel(b)), _np.shape(getval(a))),
    lambda g, ans, a, b: anp.reshape(anp.dot(anp.ravel(a), g), _np.shape(getval(b))),
)


def inner_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    """inner(a, b) contracts the last axes of a and b."""
    if _np.ndim(getval(a)) == 0 or _np.ndim(getval(b)) == 0:
        return unbroadcast(a, g * b)
    return tensordot_vjp_a(g, ans, a, b, ([-1], [-1]))


def inner_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if _np.ndim(getval(a)) == 0 or _np.ndim(getval(b)) == 0:
        return unbroadcast(b, g * a)
    return tensordot_vjp_b(g, ans, a, b, ([-1], [-1]))


defvjp(anp.inner, inner_vjp_a, inner_vjp_b)


def diagonal_vjp(g: Any, ans: Any, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Put g back on the diagonal it was read from; zeros elsewhere."""
    shape = _np.shape(getval(a))
    full = anp.embed_diagonal(g, shape[axis1], shape[axis2], offset)
    return anp.moveaxis(full, (-2, -1), (axis1 % len(shape), axis2 % len(shape)))


def trace_vjp(g: Any, ans: Any, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The trace sums a diagonal, so its adjoint copies g onto that diagonal."""
    shape = _np.shape(getval(a))
    axis1, axis2 = axis1 % len(shape), axis2 % len(shape)
    mask = _np.eye(shape[axis1], shape[axis2], offset)
    full = anp.expand_dims(anp.expand_dims(g, -1), -1) * mask
    return anp.moveaxis(full, (-2, -1), (axis1, axis2))


def kron_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    """kron(a, b)[i*p + k, j*q + l] = a[i, j] b[k, l]: contract g's b-blocks with b."""
    a_shape, b_shape = _kron_shapes(a, b)
    interleaved = [size for pair in zip(a_shape, b_shape, strict=True) for size in pair]
    blocks = anp.reshape(g, interleaved)
    n = len(a_shape)
    result = anp.tensordot(
        blocks, anp.reshape(b, b_shape), (list(range(1, 2 * n, 2)), list(range(n)))
    )
    return anp.reshape(result, _np.shape(getval(a)))


def kron_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    a_shape, b_shape = _kron_shapes(a, b)
    interleaved = [size for pair in zip(a_shape, b_shape, strict=True) for size in pair]
    blocks = anp.reshape(g, interleaved)
    n = len(a_shape)
    result = anp.tensordot(
        anp.reshape(a, a_shape), blocks, (list(range(n)), list(range(0, 2 * n, 2)))
    )
    return anp.reshape(result, _np.shape(getval(b)))


def _kron_shapes(a: Any, b: Any) -> tuple[tuple, tuple]:
    """kron pads the operand with fewer axes with leading ones."""
    a_shape, b_shape = _np.shape(getval(a)), _np.shape(getval(b))
    n = len(a_shape) if len(a_shape) > len(b_shape) else len(b_shape)
    return (1,) * (n - len(a_shape)) + a_shape, (1,) * (n - len(b_shape)) + b_shape


defvjp(anp.diagonal, diagonal_vjp)
defvjp(anp.trace, trace_vjp)
defvjp(anp.kron, kron_vjp_a, kron_vjp_b)
defvjp(
    anp.diag_from_vector,
    lambda g, ans, v, k=0: anp.diagonal(g, k)[: _np.shape(getval(v))[0]],
)


def _einsum_operands(subscripts: str, operands: tuple) -> tuple[list[str], str]:
    """Parse einsum subscripts into per-operand index strings and an output string."""
    return parse_einsum(subscripts, [_np.ndim(getval(operand)) for operand in operands])


def parse_einsum(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """Per-operand index strings and an output string, for operands with `ndims` axes.

    An ellipsis is replaced by explicit letters so the rule can rearrange
    them; implicit output (no '->') is the sorted indices that appear once.
    """
    subscripts = subscripts.replace(" ", "")
    inputs, _, output = subscripts.partition("->")
    input_list = inputs.split(",")
    unused = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in subscripts]
    if "..." in subscripts:
        ellipsis_ndim = 0
        for spec, ndim in zip(input_list, ndims, strict=True):
            if "..." in spec:
                ellipsis_ndim = max(ellipsis_ndim, ndim - len(spec) + 3)
        letters = "".join(unused[:ellipsis_ndim])
        for i, (spec, ndim) in enumerate(zip(input_list, ndims, strict=True)):
            if "..." in spec:
                own = ndim - len(spec) + 3
                input_list[i] = spec.replace("...", letters[ellipsis_ndim - own :])
        if "->" in subscripts:
            output = output.replace("...", letters)
        else:
            rest = "".join(inputs.replace("...", "").replace(",", ""))
            output = letters + "".join(sorted(c for c in set(rest) if rest.count(c) == 1))
    elif "->" not in subscripts:
        joined = inputs.replace(",", "")
        output = "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    return input_list, output


def einsum_vjp(argnum: int, g: Any, ans: Any, subscripts: str, *operands: Any) -> Any:
    """The adjoint of operand k is an einsum of g with all the other operands.

    For 'ij,jk->ik' the adjoint of the first operand is einsum('ik,jk->ij', g, B).
    An index that appears only in operand k (summed out alone) is brought
    back by including an array of ones of operand k's shape.
    """
    if argnum == 0:
        raise TypeError("einsum's subscripts string has no derivative")
    k = argnum - 1
    specs, output = _einsum_operands(subscripts, operands)
    target = specs[k]
    if len(set(target)) != len(target):
        raise NotImplementedError(
            f"the einsum VJP does not handle an index repeated within one operand ({target!r}); "
            "use anp.diagonal or anp.trace for that step"
        )
    others = [
        (spec, op) for i, (spec, op) in enumerate(zip(specs, operands, strict=True)) if i != k
    ]
    present = set(output).union(*[set(spec) for spec, _ in others])
    in_specs = [output] + [spec for spec, _ in others]
    in_ops = [g] + [op for _, op in others]
    if not set(target) <= present:
        in_specs.append(target)
        in_ops.append(_np.ones(_np.shape(getval(operands[k]))))
    result = anp.einsum_with_subscripts(",".join(in_specs) + "->" + target, *in_ops)
    return unbroadcast(operands[k], result)


defvjp_argnum(anp.einsum_with_subscripts, einsum_vjp)

# ---------------------------------------------------------------------------
# Shapes: each moves entries around, so each VJP moves g back.


def _shape_of(x: Any) -> tuple:
    return _np.shape(getval(x))


def reshape_vjp(g: Any, ans: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
    return anp.reshape(g, _shape_of(x))


def transpose_vjp(g: Any, ans: Any, x: Any, axes: Any = None) -> Any:
    """Transposing by `axes` is undone by transposing by argsort(axes)."""
    if axes is None:
        return anp.transpose(g)
    return anp.transpose(g, _np.argsort([a % _np.ndim(getval(x)) for a in axes]))


def roll_vjp(g: Any, ans: Any, x: Any, shift: Any, axis: Any = None) -> Any:
    return anp.roll(g, _np.negative(shift), axis=axis)


def tile_vjp(g: Any, ans: Any, x: Any, reps: Any) -> Any:
    """Each copy of x receives its block of g; the copies' adjoints add up."""
    x_shape = _shape_of(x)
    reps = (reps,) if _np.ndim(reps) == 0 else tuple(reps)
    ndim = len(reps) if len(reps) > len(x_shape) else len(x_shape)
    reps = (1,) * (ndim - len(reps)) + reps
    padded = (1,) * (ndim - len(x_shape)) + x_shape
    interleaved = [size for pair in zip(reps, padded, strict=True) for size in pair]
    summed = anp.sum(anp.reshape(g, interleaved), axis=tuple(range(0, 2 * ndim, 2)))
    return anp.reshape(summed, x_shape)


def repeat_vjp(g: Any, ans: Any, x: Any, repeats: Any, axis: Any = None) -> Any:
    """Each entry of x was copied `repeats` times: add the adjoints of its copies."""
    x_shape = _shape_of(x)
    if axis is None:
        source = _np.repeat(_np.arange(int(_np.prod(x_shape))), repeats)
        flat = anp.add_along_axis(g, source, 0, (int(_np.prod(x_shape)),))
        return anp.reshape(flat, x_shape)
    axis = axis % len(x_shape)
    source = _np.repeat(_np.arange(x_shape[axis]), repeats)
    return anp.add_along_axis(g, source, axis, x_shape)


def take_vjp(g: Any, ans: Any, x: Any, indices: Any, axis: Any = None, **kwargs: Any) -> Any:
    x_shape = _shape_of(x)
    if axis is None:
        size = int(_np.prod(x_shape))
        return anp.reshape(anp.add_along_axis(g, indices, 0, (size,)), x_shape)
    return anp.add_along_axis(g, indices, axis % len(x_shape), x_shape)


def sort_vjp(g: Any, ans: Any, x: Any, axis: int = -1, **kwargs: Any) -> Any:
    """Sorting permutes entries; the adjoint applies the inverse permutation to g."""
    if axis is None:
        order = _np.argsort(_np.ravel(getval(x)), **kwargs)
        return anp.reshape(anp.add_along_axis(g, order, 0, (order.size,)), _shape_of(x))
    order = _np.argsort(getval(x), axis=axis, **kwargs)
    return anp.take_along_axis(g, _np.argsort(order, axis=axis), axis=axis)


def pad_vjp(g: Any, ans: Any, x: Any, pad_width: Any, mode: str = "constant", **kwargs: Any):
    """Constant padding adds entries that depend on nothing: cut them off g again."""
    if mode != "constant":
        raise NotImplementedError(
            f"anp.pad has a derivative only for mode='constant', not mode={mode!r}"
        )
    widths = _np.broadcast_to(pad_width, (len(_shape_of(x)), 2))
    index = tuple(
        slice(int(before), int(before) + n)
        for (before, _), n in zip(widths, _shape_of(x), strict=True)
    )
    return g[index]


def take_along_axis_vjp(g: Any, ans: Any, x: Any, indices: Any, axis: int) -> Any:
    """Scatter-add g back to where each entry was read from."""
    x_shape = _shape_of(x)
    if axis is None:
        return anp.reshape(anp.add_along_axis(g, indices, 0, (int(_np.prod(x_shape)),)), x_shape)
    return anp.add_at_taken(g, indices, axis % len(x_shape), x_shape)


defvjp(anp.reshape, reshape_vjp)
defvjp(anp.ravel, reshape_vjp)
defvjp(anp.expand_dims, reshape_vjp)
defvjp(anp.squeeze, reshape_vjp)
defvjp(anp.atleast_1d, reshape_vjp)
defvjp(anp.atleast_2d, reshape_vjp)
defvjp(anp.atleast_3d, reshape_vjp)
defvjp(anp.copy, lambda g, ans, x, *args, **kwargs: g)
defvjp(anp.asarray, lambda g, ans, x, *args, **kwargs: g)
defvjp(anp.transpose, transpose_vjp)
defvjp(anp.swapaxes, lambda g, ans, x, axis1, axis2: anp.swapaxes(g, axis1, axis2))
defvjp(anp.moveaxis, lambda g, ans, x, source, destination: anp.moveaxis(g, destination, source))
defvjp(anp.broadcast_to, lambda g, ans, x, shape, **kwargs: unbroadcast(x, g))
defvjp(anp.flip, lambda g, ans, x, axis=None: anp.flip(g, axis))
defvjp(anp.fliplr, lambda g, ans, x: anp.fliplr(g))
defvjp(anp.flipud, lambda g, ans, x: anp.flipud(g))
defvjp(anp.roll, roll_vjp)
defvjp(anp.triu, lambda g, ans, x, k=0: anp.triu(g, k))
defvjp(anp.tril, lambda g, ans, x, k=0: anp.tril(g, k))
defvjp(anp.tile, tile_vjp)
defvjp(anp.repeat, repeat_vjp)
defvjp(anp.take, take_vjp)
defvjp(anp.sort, sort_vjp)
defvjp(anp.pad, pad_vjp)
defvjp(anp.take_along_axis, take_along_axis_vjp)
defvjp(anp.astype, lambda g, ans, x, dtype: anp.astype(g, _np.result_type(getval(x))))


def concatenate_vjp(argnum: int, g: Any, ans: Any, axis: int, *arrays: Any) -> Any:
    """Each array receives the slice of g that it contributed."""
    if argnum == 0:
        raise TypeError("concatenate's axis has no derivative")
    sizes = [_np.shape(getval(a))[axis] for a in arrays]
    start = int(_np.sum(sizes[: argnum - 1]))
    index = (slice(None),) * (axis % _np.ndim(getval(g))) + (
        slice(start, start + sizes[argnum - 1]),
    )
    return g[index]


defvjp_argnum(anp.concatenate_arrays, concatenate_vjp)

# Indexing and its adjoint, scatter-adding, are adjoint to each other.
defvjp(
    anp.getitem,
    lambda g, ans, x, index: anp.add_at_index(
        g, index, _shape_of(x), _np.result_type(getval(x), getval(g))
    ),
)
defvjp(anp.add_at_index, lambda g, ans, x, index, shape, dtype: g[index])
defvjp(
    anp.add_along_axis,
    lambda g, ans, x, indices, axis, shape: anp.take(g, indices, axis=axis),
)
defvjp(
    anp.add_at_taken,
    lambda g, ans, x, indices, axis, shape: anp.take_along_axis(g, indices, axis=axis),
)

# ---------------------------------------------------------------------------
# A lean tape: what each rule reads (see `reverse.reads`). The tape replaces
# every other argument, and the output, by its shape, so a long chain of these
# operations does not keep its intermediate arrays alive.
SHAPES_ONLY = [
    anp.negative, anp.positive, anp.add, anp.subtract, anp.sum, anp.mean, anp.reshape,
    anp.ravel, anp.expand_dims, anp.squeeze, anp.atleast_1d, anp.atleast_2d, anp.atleast_3d,
    anp.copy, anp.asarray, anp.transpose, anp.swapaxes, anp.moveaxis, anp.broadcast_to,
    anp.flip, anp.fliplr, anp.flipud, anp.roll, anp.triu, anp.tril, anp.tile, anp.repeat,
    anp.take, anp.pad, anp.concatenate_arrays, anp.cumsum, anp.diagonal, anp.trace,
    anp.diag_from_vector, anp.add_at_index, anp.add_along_axis, anp.add_at_taken, anp.deg2rad,
    anp.rad2deg,
    anp.radians, anp.degrees,
]  # fmt: skip
READS_OUTPUT = [anp.exp, anp.exp2, anp.expm1, anp.sqrt, anp.cbrt, anp.tanh, anp.tan, anp.reciprocal]
READS_INPUT = [
    anp.log, anp.log2, anp.log10, anp.log1p, anp.square, anp.fabs, anp.sin,
    anp.cos, anp.arcsin, anp.arccos, anp.arctan, anp.sinh, anp.cosh, anp.arcsinh, anp.arccosh,
    anp.arctanh,
]  # fmt: skip


def _declare_reads() -> None:
    from ..reverse import reads, vjp_argnum_rules, vjp_rules

    for fun in SHAPES_ONLY:
        for rule in list(vjp_rules.get(fun, {}).values()) + [vjp_argnum_rules.get(fun)]:
            if rule is not None:
                reads(rule)
    for fun in READS_OUTPUT:
        reads(vjp_rules[fun][0], "ans")
    for fun in READS_INPUT:
        reads(vjp_rules[fun][0], 0)
    reads(vjp_rules[anp.absolute][0], 0, "ans")
    reads(vjp_rules[anp.multiply][0], 1)  # x_bar = y g: reads y, not x
    reads(vjp_rules[anp.multiply][1], 0)
    reads(vjp_rules[anp.divide][0], 1)  # x_bar = g / y
    reads(vjp_rules[anp.divide][1], 0, 1)
    reads(vjp_rules[anp.matmul][0], 1)
    reads(vjp_rules[anp.matmul][1], 0)
    reads(vjp_rules[anp.dot][0], 1)
    reads(vjp_rules[anp.dot][1], 0)


_declare_reads()
