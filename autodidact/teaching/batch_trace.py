"""Watch vmap at work: which batching rule each primitive meets, on what shapes and axes.

    >>> import numpy as np
    >>> import autodidact.numpy as anp
    >>> W = np.ones((2, 3))
    >>> print(watch_batching(lambda x: anp.sum(anp.tanh(W @ x)), np.ones((5, 3))))
    vmap over 5 examples: 3 primitives, each called once on the whole batch
    primitive  arguments: shape, batch axis  result: shape, batch axis
    matmul     (2, 3) shared, (5, 3) axis 0  (2, 5) axis 1
    tanh       (2, 5) axis 1                 (2, 5) axis 1
    sum        (2, 5) axis 1                 (5,) axis 0

Each row is one call of a primitive under vmap. The function ran once, on
batched values; every primitive it called handed the whole batch to its
batching rule, `rule(args, batch_dims, **kwargs) -> (result, out_batch_dim)`,
and the row shows what the rule received (the full shape of each argument,
and the axis that runs over the examples, or "shared" for an argument every
example has in common) and what it returned. Keyword arguments such as
``axis=0`` are shown with the primitive's name.

A primitive without a rule shows as "no rule: looped", the fallback that
calls it once per example (see `autodidact.batching`).

Nothing is computed for the table: `watch_batching` wraps the registered
rules while the one vmap call runs, records their calls, and puts the rules
back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autodidact.numpy  # noqa: F401  (registers the batched array box and the NumPy rules)
from autodidact import batching
from autodidact.tracer import getval

__all__ = ["RuleCall", "BatchTrace", "watch_batching"]


def _describe(value: Any, dim: Any) -> str:
    """'(5, 3) axis 0' for a batched array, '(2, 3) shared' for an unbatched one.

    Anything that is not an array (an axis, an exponent, a dtype) is shown as it is.
    """
    if isinstance(dim, tuple):  # a primitive with several outputs
        return ", ".join(_describe(v, d) for v, d in zip(value, dim, strict=True))
    if dim is None and not isinstance(getval(value), (np.ndarray, np.generic)):
        return _short(value)
    return f"{np.shape(getval(value))} " + ("shared" if dim is None else f"axis {dim}")


def _short(value: Any) -> str:
    return str(value) if isinstance(value, (np.dtype, type)) else repr(value)


@dataclass(frozen=True)
class RuleCall:
    """One call of a primitive under vmap: what its batching rule got and gave."""

    primitive: str
    arguments: str
    result: str
    looped: bool = False


@dataclass
class BatchTrace:
    """The calls of one vmap, in order; printing it gives the table."""

    size: int
    calls: list[RuleCall] = field(default_factory=list)
    output: Any = None

    def table(self) -> str:
        rows = [(call.primitive, call.arguments, call.result) for call in self.calls]
        header = ("primitive", "arguments: shape, batch axis", "result: shape, batch axis")
        widths = [max(len(row[k]) for row in [header, *rows]) for k in range(3)]
        looped = sum(call.looped for call in self.calls)
        count = len(self.calls)
        title = f"vmap over {self.size} examples: {count} primitive{'s' * (count != 1)}, " + (
            "each called once on the whole batch"
            if not looped
            else f"{looped} of them looped over the examples (no batching rule)"
            if count > 1
            else "looped over the examples (no batching rule)"
        )
        lines = [title]
        for row in [header, *rows]:
            lines.append("  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()


def _label(fun: Callable, kwargs: dict) -> str:
    name = getattr(fun, "__name__", repr(fun))
    extras = ", ".join(f"{key}={_short(value)}" for key, value in kwargs.items())
    return f"{name}({extras})" if extras else name


@contextlib.contextmanager
def _recording(trace: BatchTrace) -> Iterator[None]:
    """Wrap every registered rule, and the fallback loop, so that each call is recorded."""
    rules = dict(batching.batch_rules)
    fallback = batching.loop_over_batch

    def watched(fun: Callable, rule: Callable) -> Callable:
        def rule_watched(args: tuple, dims: tuple, **kwargs: Any) -> Any:
            outcome = rule(args, dims, **kwargs)
            if outcome is not NotImplemented:
                trace.calls.append(_call(fun, args, dims, kwargs, outcome))
            return outcome

        return rule_watched

    def loop_watched(fun, values, dims, kwargs, trace_id, has_rule):  # noqa: ANN001, ANN202
        outcome = fallback(fun, values, dims, kwargs, trace_id, has_rule)
        call = _call(fun, tuple(values), tuple(dims), kwargs, outcome)
        trace.calls.append(RuleCall(call.primitive, call.arguments, "no rule: looped", True))
        return outcome

    try:
        for fun, rule in rules.items():
            batching.batch_rules[fun] = watched(fun, rule)
        batching.loop_over_batch = loop_watched
        yield
    finally:
        batching.batch_rules.clear()
        batching.batch_rules.update(rules)
        batching.loop_over_batch = fallback


def _call(fun: Callable, args: tuple, dims: tuple, kwargs: dict, outcome: Any) -> RuleCall:
    arguments = ", ".join(_describe(arg, dim) for arg, dim in zip(args, dims, strict=True))
    result, out_dim = outcome
    return RuleCall(_label(fun, kwargs), arguments, _describe(result, out_dim))


def watch_batching(fun: Callable, *args: Any, in_axes: Any = 0) -> BatchTrace:
    """Run vmap(fun, in_axes)(*args) once; return the table of its batching-rule calls.

    The batch size is read from the first batched argument. The vmap's
    output is kept in the trace's `output`.
    """
    trace = BatchTrace(size=0)
    with _recording(trace):
        trace.output = batching.vmap(fun, in_axes=in_axes)(*args)
    axes = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
    for arg, axis in zip(args, axes, strict=True):
        if isinstance(axis, int):
            trace.size = np.shape(arg)[axis]
            break
    return trace
