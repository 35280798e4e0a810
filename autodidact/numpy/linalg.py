"""numpy.linalg as primitives.

The functions below are traced; their derivative rules live in
`linalg_vjps.py` (reverse mode) once written. A function with no rule raises
a clear error when it is differentiated through. Anything not listed comes
from numpy.linalg unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy.linalg as _linalg

from ..tracer import notrace_primitive, primitive

solve = primitive(_linalg.solve)
inv = primitive(_linalg.inv)
det = primitive(_linalg.det)
slogdet = primitive(_linalg.slogdet)
pinv = primitive(_linalg.pinv)
cholesky = primitive(_linalg.cholesky)
eigh = primitive(_linalg.eigh)
svd = primitive(_linalg.svd)
lstsq = primitive(_linalg.lstsq)
qr = primitive(_linalg.qr)
norm = primitive(_linalg.norm)
matrix_power = primitive(_linalg.matrix_power)
eigvalsh = primitive(_linalg.eigvalsh)
matrix_rank = notrace_primitive(_linalg.matrix_rank)
cond = notrace_primitive(_linalg.cond)
LinAlgError = _linalg.LinAlgError


def __getattr__(name: str) -> Any:
    return getattr(_linalg, name)
