"""autodidact.numpy: NumPy whose functions can be differentiated.

    import autodidact.numpy as anp

Use it exactly like NumPy inside any function you pass to `grad` and
friends. The traced functions are listed in `numpy_wrapper.py`, their
derivative rules in `numpy_vjps.py`; constants, dtypes and constructors
(`anp.pi`, `anp.float32`, `anp.linspace`, ...) are NumPy's own.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from . import (
    linalg,
    linalg_batching,
    linalg_jvps,
    linalg_vjps,
    numpy_batching,
    numpy_jvps,
    numpy_vjps,
    numpy_wrapper,
    random,
)
from .numpy_boxes import ArrayBox, traced_version_of
from .numpy_vjps import unbroadcast
from .numpy_wrapper import *


def _register_traced_versions() -> None:
    """Let plain numpy calls on traced values find the autodidact.numpy function."""
    for module in (numpy_wrapper, linalg):
        for name, wrapped in vars(module).items():
            raw = getattr(wrapped, "raw_fun", None)
            if raw is not None and not name.startswith("_"):
                traced_version_of.setdefault(raw, wrapped)
    for name in (
        "concatenate",
        "stack",
        "hstack",
        "vstack",
        "column_stack",
        "array",
        "split",
        "array_split",
        "diag",
        # built from primitives, or a primitive with a wrapper in front
        "mean",
        "var",
        "std",
        "einsum",
        "rot90",
        "rollaxis",
        "append",
        "linspace",
        "diff",
        "gradient",
        "partition",
        "cross",
        "vsplit",
        "hsplit",
        "dsplit",
        "select",
        "real_if_close",
        "row_stack",
    ):
        traced_version_of[getattr(_np, name)] = getattr(numpy_wrapper, name)
    traced_version_of[_np.amax] = numpy_wrapper.max
    traced_version_of[_np.amin] = numpy_wrapper.min


_register_traced_versions()


def __getattr__(name: str) -> Any:
    """Everything else (constants, dtypes, constructors) is NumPy's own."""
    try:
        return getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'autodidact.numpy' has no attribute {name!r}") from None
