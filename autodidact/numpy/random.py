"""NumPy's random number generators, unchanged: random draws carry no derivative.

`anp.random.randn(3)` and `anp.random.default_rng(0)` are NumPy's own; this
module exists so that code written for `autograd.numpy` runs as it is.
"""

from __future__ import annotations

from typing import Any

import numpy.random as _random


def __getattr__(name: str) -> Any:
    return getattr(_random, name)


def __dir__() -> list[str]:
    return dir(_random)
