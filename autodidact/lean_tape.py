"""A lean tape: keep on the tape only the values that the VJP rules will read.

Reverse mode must keep, until the backward pass, whatever the VJP rules will
read. By default a node keeps its output and all its arguments, since a rule
may read any of them. Many rules read far less: the VJP of x + y needs only
the *shapes* of x and y (to unbroadcast g), the VJP of x * y with respect to
x only the value of y. A rule declares what it reads with `reads`, and the
node replaces every array no rule reads by a `ShapeOnly` stand-in (its shape
and dtype), so that long chains of cheap operations do not hold every
intermediate array in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["reads", "ShapeOnly", "what_the_rules_read"]


def reads(rule: Callable, *needed: int | str) -> Callable:
    """Declare which values a VJP rule reads: argument positions, "args" for all, "ans".

        defvjp(anp.add, reads(vjp_x), reads(vjp_y))          # shapes only
        defvjp(anp.multiply, reads(vjp_x, 1), reads(vjp_y, 0))  # the other factor

    An undeclared rule may read anything, so its node keeps everything.
    Declare what a rule reads before it is first used: the tape works out
    what to keep once per combination of rules.
    """
    rule.reads = frozenset(needed)
    return rule


class ShapeOnly:
    """Stands in on the tape for an array no rule reads: its shape and dtype, not its data."""

    __slots__ = ("shape", "dtype")

    def __init__(self, array: np.ndarray) -> None:
        self.shape = array.shape
        self.dtype = array.dtype

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape)))

    def __repr__(self) -> str:
        return f"ShapeOnly(shape={self.shape}, dtype={self.dtype})"


def what_the_rules_read(
    value: Any, args: tuple, parent_argnums: tuple[int, ...], vjps: tuple[Callable, ...]
) -> tuple[Any, tuple]:
    """(value, args) with each array that none of `vjps` reads replaced by its ShapeOnly."""
    key = (vjps, parent_argnums)
    plan = _plans.get(key, _UNKNOWN)
    if plan is _UNKNOWN:
        plan = _plans[key] = _plan(vjps, parent_argnums)
    if plan is None:  # a rule may read anything: keep everything
        return value, args
    keeps_output, dropped = plan
    if not keeps_output and type(value) is np.ndarray:
        value = ShapeOnly(value)
    if dropped:
        args = tuple(
            ShapeOnly(arg) if i in dropped and type(arg) is np.ndarray else arg
            for i, arg in enumerate(args)
        )
    return value, args


# (vjps, parent_argnums) -> None (keep everything) or (keeps the output, dropped argnums)
_plans: dict[tuple, tuple[bool, frozenset] | None] = {}
_UNKNOWN = object()


def _plan(vjps: tuple[Callable, ...], parent_argnums: tuple[int, ...]) -> Any:
    """What a node with these rules keeps, worked out once per combination of rules."""
    needed: set = set()
    for vjp in vjps:
        reads_what = getattr(vjp, "reads", None)
        if reads_what is None:  # this rule may read anything
            return None
        needed.update(reads_what)
    dropped = frozenset() if "args" in needed else frozenset(parent_argnums) - needed
    return "ans" in needed, dropped
