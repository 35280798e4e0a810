"""Checkpointing: trade recomputation for memory in reverse mode.

Reverse mode must keep, until the backward pass, every intermediate value a
VJP rule will read: for a chain of N steps that is N arrays on the tape.
`checkpoint(fun)` makes fun a single step of the tape that keeps only fun's
*inputs*. Its interior is not recorded during the forward pass; when the
backward pass reaches it, fun is run again, this time traced, and the
cotangent is pulled back through that fresh, short tape, which is then freed.

Split a chain of N steps into segments of k steps and checkpoint each
segment: the forward pass keeps N / k segment inputs, the backward pass one
segment's k intermediates at a time, so memory is about N / k + k arrays
(least at k = sqrt(N)) for the price of one extra forward pass.

    step = checkpoint(lambda x: run_segment(x))
    def loss(x):
        for _ in range(n_segments):
            x = step(x)
        return anp.sum(x)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from . import forward, reverse
from .tracer import primitive

__all__ = ["checkpoint"]


def checkpoint(fun: Callable) -> Callable:
    """fun as one step of the tape: keeps its inputs, recomputes its interior when needed."""

    @primitive
    @functools.wraps(fun)
    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)

    def of_one_argument(argnum: int, args: tuple, kwargs: dict) -> Callable:
        """fun as a function of its argument `argnum` alone, the others held fixed."""
        return lambda x: fun(*args[:argnum], x, *args[argnum + 1 :], **kwargs)

    def recompute_and_pull_back(argnum: int, g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        vjp, _ = reverse.make_vjp(of_one_argument(argnum, args, kwargs), args[argnum])
        return vjp(g)

    def push_forward(argnum: int, g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        return forward.make_jvp(of_one_argument(argnum, args, kwargs), args[argnum])(g)[1]

    # The rule reads the inputs again, but never the output: drop it from the tape.
    reverse.defvjp_argnum(checkpointed, reverse.reads(recompute_and_pull_back, "args"))
    # Forward mode keeps no tape, so there is nothing to save: just push the tangent through.
    forward.defjvp_argnum(checkpointed, push_forward)
    return checkpointed
