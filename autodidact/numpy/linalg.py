"""numpy.linalg as primitives.

The functions below are traced; their derivative rules live in
`linalg_vjps.py` (reverse mode) and `linalg_jvps.py` (forward mode). Every
function accepts stacks of matrices (shape (..., M, N)) wherever NumPy does.
Anything not listed comes from numpy.linalg unchanged (and is not traced).

Functions with several outputs (slogdet, eigh, svd, qr, lstsq) are
primitives that return a plain tuple, one Box per output when traced; the
public function packs that tuple into a namedtuple with NumPy's field names,
so `anp.linalg.svd(A).S` works as in NumPy. (Both modes keep a primitive's
several outputs as a plain tuple; lstsq's integer rank is not traced at all.)
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as _np
import numpy.linalg as _linalg

from ..tracer import getval, notrace_primitive, primitive
from . import numpy_wrapper as anp

solve = primitive(_linalg.solve)
inv = primitive(_linalg.inv)
det = primitive(_linalg.det)
pinv = primitive(_linalg.pinv)
cholesky = primitive(_linalg.cholesky)
norm = primitive(anp._also_of_a_sequence(_linalg.norm, "norm", namespace=globals()))
matrix_power = primitive(_linalg.matrix_power)
eigvalsh = primitive(_linalg.eigvalsh)
trace = primitive(_linalg.trace)
matrix_rank = notrace_primitive(_linalg.matrix_rank)
cond = notrace_primitive(_linalg.cond)
LinAlgError = _linalg.LinAlgError

# ---------------------------------------------------------------------------
# Several outputs: a primitive returning a plain tuple, then NumPy's field names.
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = namedtuple("QRResult", ["Q", "R"])


@primitive
def slogdet_outputs(a: Any) -> tuple:
    """(sign, log|det a|) as a plain tuple."""
    return tuple(_linalg.slogdet(a))


@primitive
def eigh_outputs(a: Any, UPLO: str = "L") -> tuple:  # noqa: N803 (NumPy's name)
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix."""
    return tuple(_linalg.eigh(a, UPLO=UPLO))


@primitive
def svd_outputs(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    """(U, s, Vh) as a plain tuple, or s alone when compute_uv is False."""
    result = _linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian)
    return tuple(result) if compute_uv else result


@primitive
def qr_outputs(a: Any, mode: str = "reduced") -> Any:
    """(Q, R) as a plain tuple, or R alone for mode='r'."""
    result = _linalg.qr(a, mode=mode)
    return tuple(result) if mode in ("reduced", "complete") else result


def slogdet(a: Any) -> SlogdetResult:
    """Sign and log|det| of (a stack of) square matrices: numpy.linalg.slogdet, traced."""
    return SlogdetResult(*slogdet_outputs(a))


def eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803
    """Eigenvalues and eigenvectors of symmetric matrices: numpy.linalg.eigh, traced."""
    return EighResult(*eigh_outputs(a, UPLO=UPLO))


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """Singular value decomposition: numpy.linalg.svd, traced.

    Differentiate through U and Vh with `full_matrices=False` (the reduced
    SVD): for a non-square matrix the extra columns of the full U (or rows of
    the full Vh) are not unique, so they have no derivative.
    """
    result = svd_outputs(a, full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian)
    return SVDResult(*result) if compute_uv else result


def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition: numpy.linalg.qr, traced (derivatives for mode='reduced')."""
    result = qr_outputs(a, mode=mode)
    return QRResult(*result) if mode in ("reduced", "complete") else result


@primitive
def lstsq_outputs(a: Any, b: Any, rcond: Any = None) -> tuple:
    """(x, residuals, s) of numpy.linalg.lstsq: its outputs that are floats."""
    x, residuals, _, s = _linalg.lstsq(a, b, rcond=rcond)
    return x, residuals, s


def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple:
    """Least squares x = argmin ||a x - b||^2: numpy.linalg.lstsq, traced.

    Returns (x, residuals, rank, s) as NumPy does. x, the residuals and the
    singular values s have derivatives; the rank, an integer, is computed
    from s as lstsq does (singular values above rcond times the largest).
    """
    x, residuals, s = lstsq_outputs(a, b, rcond=rcond)
    s_value = getval(s)  # no derivative (a batch of values, under vmap)
    if rcond is None:
        rcond = _np.finfo(_np.result_type(s_value)).eps * max(_np.shape(getval(a)))
    if not _np.size(s_value):
        return x, residuals, _np.int32(0), s
    rank = anp.astype_without_derivative(anp.count_nonzero(s_value > rcond * s_value[0]), _np.int32)
    return x, residuals, rank, s


def svdvals(x: Any) -> Any:
    """The singular values of (a stack of) matrices, largest first."""
    return svd(x, compute_uv=False)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:  # noqa: A002
    """The norm of each matrix in the last two axes: numpy.linalg.matrix_norm, traced."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
    """A vector norm over `axis` (every axis when None): numpy.linalg.vector_norm, traced.

    Several axes are moved to the end and merged into one, then `norm` runs along it.
    """
    shape = _np.shape(getval(x))
    if axis is not None and _np.ndim(axis) == 0:
        return norm(x, ord=ord, axis=axis, keepdims=keepdims)
    axes = tuple(range(len(shape))) if axis is None else tuple(a % len(shape) for a in axis)
    kept = [a for a in range(len(shape)) if a not in axes]
    merged = anp.reshape(anp.transpose(x, kept + list(axes)), [shape[a] for a in kept] + [-1])
    result = norm(merged, ord=ord, axis=-1)
    if keepdims:
        result = anp.reshape(result, [1 if a in axes else shape[a] for a in range(len(shape))])
    return result


# Plain numpy.linalg calls on traced values find these functions (see __init__.py).
norm.raw_fun = _linalg.norm  # (its own raw function also takes lists of traced values)
slogdet.raw_fun = _linalg.slogdet
eigh.raw_fun = _linalg.eigh
svd.raw_fun = _linalg.svd
qr.raw_fun = _linalg.qr
svdvals.raw_fun = _linalg.svdvals
lstsq.raw_fun = _linalg.lstsq
matrix_norm.raw_fun = _linalg.matrix_norm
vector_norm.raw_fun = _linalg.vector_norm


def __getattr__(name: str) -> Any:
    return getattr(_linalg, name)
