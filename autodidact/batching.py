"""Batching: vmap turns a function of one example into a function of a batch.

    per_example = lambda x: anp.tanh(W @ x)          # x of shape (n,)
    batched = vmap(per_example)                       # xs of shape (B, n) -> (B, m)

A loop `anp.stack([per_example(x) for x in xs])` calls every primitive B
times. vmap calls each primitive once, on the whole batch, through the
tracer like the two modes: each batched argument becomes a Box whose value
is the whole batch and whose Node records its batch axis, and a primitive
that meets such a Box asks its *batching rule* for the result:

    rule(args, batch_dims, **kwargs) -> (result, out_batch_dim)

`batch_dims[k]` is the axis of args[k] that runs over the examples (None
when args[k] is the same for every example). The rule computes all the
examples' results at once and says which axis of its result runs over them.
For an elementwise function that is the function itself, with the batch
axes lined up; for a matrix product W @ x over a batch of vectors x it is
one matrix-matrix product, W @ X with X = [x_1 ... x_B], instead of B
matrix-vector products.

Inside the function, a batched value looks like one example: its `shape`
leaves out the batch axis, so the function's code runs unchanged.

A primitive without a rule still works: vmap loops over the batch for that
primitive alone, calls it once per example and stacks the results. Each
such loop is counted in `fallback_counts` and logged (logger
"autodidact.batching", level INFO); `vmap(..., strict=True)` raises instead.

vmap composes with the differential operators and with itself, in any
order: vmap(grad(f)) gives per-example gradients, grad(vmap(f)) the
gradient through a batched function, vmap(vmap(f)) maps over two axes.
Batch traces are told apart from the others by trace ids, as in tracer.py.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from .containers import flatten, is_container
from .tracer import Box, Node, box_types, isbox, new_trace_id

__all__ = ["vmap", "defbatch", "BatchNode", "fallback_counts", "fallback_report"]

# primitive -> rule(args, batch_dims, **kwargs) -> (result, out_batch_dim)
batch_rules: dict[Callable, Callable] = {}
# primitive name -> how many times vmap looped over a batch for it
fallback_counts: Counter[str] = Counter()
logger = logging.getLogger(__name__)

# The Box type of batched values (registered by autodidact.numpy: a batched ArrayBox)
box_type_of_batches: type[Box] = Box
# the ids of the batch traces started with strict=True
_strict_traces: set[int] = set()

Axes = int | None | tuple | list | dict


def defbatch(fun: Callable, rule: Callable) -> None:
    """Register the batching rule of primitive `fun`.

    `rule(args, batch_dims, **kwargs)` gets the positional arguments with
    each batched one holding the whole batch, along axis batch_dims[k] (None
    for an argument shared by every example), and returns (result,
    out_batch_dim): all the examples' results at once and the axis of the
    result that runs over them (None if the result is the same for every
    example; a tuple of axes for a primitive with several outputs). A rule
    may return NotImplemented for a call it does not cover; vmap then loops.

        defbatch(anp.sin, lambda args, dims: (anp.sin(args[0]), dims[0]))
    """
    batch_rules[fun] = rule


def register_box_type(box_type: type[Box]) -> None:
    """Use `box_type` for batched values; primitives recognise it, `getval` keeps it closed."""
    global box_type_of_batches
    box_type_of_batches = box_type
    box_types.add(box_type)


class BatchNode(Node):
    """The Node of a batched value: which axis of the value runs over the examples.

    A batch trace keeps no graph: a primitive's result is computed by its
    batching rule at once (`process_primitive`), so the node needs no parents.
    """

    __slots__ = ("batch_dim",)

    def __init__(self, batch_dim: int) -> None:
        self.parents = ()
        self.batch_dim = batch_dim

    @staticmethod
    def process_primitive(
        fun: Callable, args: tuple, argnums: list[int], kwargs: dict, trace_id: int
    ) -> Any:
        """Apply primitive `fun` to the batch: its rule, or a loop over the examples."""
        values, dims = list(args), [None] * len(args)
        for argnum in argnums:
            values[argnum], dims[argnum] = args[argnum]._value, args[argnum]._node.batch_dim
        rule = batch_rules.get(fun)
        outcome = NotImplemented if rule is None else rule(tuple(values), tuple(dims), **kwargs)
        if outcome is NotImplemented:
            outcome = loop_over_batch(fun, values, dims, kwargs, trace_id, rule is not None)
        result, out_dim = outcome
        return box_batched(result, out_dim, trace_id)


def new_batch_box(value: Any, trace_id: int, batch_dim: int) -> Box:
    """A batched value: `value` holds the batch along axis `batch_dim`."""
    if batch_dim < 0:
        batch_dim += np.ndim(value)
    return box_type_of_batches(value, trace_id, BatchNode(batch_dim))


def box_batched(result: Any, out_dim: Any, trace_id: int) -> Any:
    """Box a rule's result: each output with its own batch axis, unbatched ones plain."""
    if isinstance(result, tuple):
        dims = out_dim if isinstance(out_dim, tuple) else (out_dim,) * len(result)
        boxes = [box_batched(r, d, trace_id) for r, d in zip(result, dims, strict=True)]
        return type(result)(*boxes) if hasattr(result, "_fields") else tuple(boxes)
    if out_dim is None:
        return result
    return new_batch_box(result, trace_id, out_dim)


def batch_size(values: Any, dims: Any) -> int:
    """The number of examples: the length of any batched value along its batch axis."""
    for value, dim in zip(values, dims, strict=True):
        if dim is not None:
            return np.shape(value)[dim]
    raise ValueError("no batched argument")


def _name(fun: Callable) -> str:
    return getattr(fun, "__name__", repr(fun))


def example(value: Any, dim: int | None, index: int) -> Any:
    """Example `index` of a batched value (the value itself when it is not batched)."""
    if dim is None:
        return value
    return value[(slice(None),) * dim + (index,)]


def loop_over_batch(
    fun: Callable, values: list, dims: list, kwargs: dict, trace_id: int, has_rule: bool
) -> tuple[Any, Any]:
    """The fallback for a primitive without a rule: call it once per example and stack.

    Correct for any primitive, since each call sees exactly one example, but
    it costs one call per example: register a rule with `defbatch` to batch it.
    """
    name = _name(fun)
    why = "its batching rule does not cover this call" if has_rule else "it has no batching rule"
    if trace_id in _strict_traces:
        raise NotImplementedError(
            f"vmap(strict=True) cannot batch `{name}`: {why}. Register a rule with "
            f"`autodidact.defbatch({name}, rule)`, where rule(args, batch_dims, **kwargs) "
            "returns (result, out_batch_dim), or drop strict=True to loop over the batch "
            "for this primitive."
        )
    fallback_counts[name] += 1
    logger.info("vmap loops over the batch for `%s`: %s (see autodidact.defbatch)", name, why)
    size = batch_size(values, dims)
    if size == 0:
        raise ValueError(f"vmap cannot loop `{name}` over an empty batch: it has no batching rule")
    results = [
        fun(*[example(v, d, i) for v, d in zip(values, dims, strict=True)], **kwargs)
        for i in range(size)
    ]
    from . import numpy as anp  # stacking is traced, for the traces around this one

    if not fun_is_traced(fun) and _is_metadata(results[0]):  # a shape, a dtype ...
        if any(result != results[0] for result in results[1:]):
            raise ValueError(f"vmap: `{name}` gives a different kind of result per example")
        return results[0], None
    shapes = {str(np.shape(r)) for r in (results[0] if isinstance(results[0], tuple) else results)}
    try:
        if isinstance(results[0], tuple):
            return tuple(anp.stack(list(outputs)) for outputs in zip(*results, strict=True)), 0
        return anp.stack(results), 0
    except ValueError:
        raise ValueError(
            f"vmap: `{name}` gives results of different shapes for different examples "
            f"({', '.join(sorted(shapes))} ...), which cannot form one batch"
        ) from None


def _is_metadata(x: Any) -> bool:
    """A shape or a dtype: the same for every example, not something to stack."""
    if isinstance(x, (tuple, list)):
        return all(isinstance(entry, (int, np.integer)) for entry in x)
    return isinstance(x, (str, np.dtype, type))


def fun_is_traced(fun: Callable) -> bool:
    """Whether fun is a `primitive` (its result carries a derivative), not a notrace_primitive."""
    return getattr(fun, "is_primitive", False)


# ---------------------------------------------------------------------------
# vmap


def vmap(fun: Callable, in_axes: Axes = 0, out_axes: Axes = 0, *, strict: bool = False) -> Callable:
    """vmap(fun, in_axes, out_axes)(*args): fun applied to every example of a batch at once.

    `in_axes` says which axis of each positional argument runs over the
    examples: an int for all arguments, None for an argument every example
    shares, or a tuple with one entry per positional argument (an entry may
    itself be a tuple, list or dict matching a structured argument). All
    batched axes must have the same length B. `out_axes` says where the
    batch axis goes in each output, in the same way (None: an output that
    does not depend on the batch, returned once). Keyword arguments are
    passed unchanged to every example.

        >>> xs = anp.arange(6.0).reshape(3, 2)
        >>> vmap(lambda x: anp.dot(x, x))(xs)          # one dot per row
        array([ 1., 13., 41.])

    With `strict=True`, a primitive without a batching rule raises instead
    of being looped over (see `defbatch`).
    """

    @functools.wraps(fun)
    def batched_fun(*args: Any, **kwargs: Any) -> Any:
        leaves, rebuild = flatten(list(args))
        axes = _axes_per_leaf(in_axes, list(args), "in_axes", per_argument=True)
        trace_id = new_trace_id()
        size, boxed = None, []
        for position, (leaf, axis) in enumerate(zip(leaves, axes, strict=True)):
            if axis is None:
                boxed.append(leaf)
                continue
            ndim = np.ndim(leaf)
            if not -ndim <= axis < ndim:
                raise ValueError(
                    f"vmap: in_axes asks for axis {axis} of an input of shape "
                    f"{np.shape(leaf)} (leaf {position} of the arguments); it has no such "
                    "axis. Give each batched input's batch axis, or None to share it."
                )
            length = np.shape(leaf)[axis]
            if size is not None and length != size:
                raise ValueError(
                    f"vmap: the batched inputs have different batch sizes ({size} and {length}); "
                    "every batched axis must have the same length"
                )
            size = length
            boxed.append(new_batch_box(leaf, trace_id, axis % ndim))
        if size is None:
            raise ValueError(
                "vmap needs at least one batched input, but in_axes is None for all of them"
            )
        if strict:
            _strict_traces.add(trace_id)
        try:
            output = fun(*rebuild(boxed), **kwargs)
        finally:
            _strict_traces.discard(trace_id)
        out_leaves, rebuild_output = flatten(output)
        out_axis_leaves = _axes_per_leaf(out_axes, output, "out_axes", per_argument=False)
        return rebuild_output(
            [
                _unbatch(leaf, axis, trace_id, size)
                for leaf, axis in zip(out_leaves, out_axis_leaves, strict=True)
            ]
        )

    return batched_fun


def _axes_per_leaf(axes: Axes, tree: Any, what: str, per_argument: bool) -> list:
    """One axis (int or None) per leaf of `tree`, from an int, None or a matching structure."""
    if axes is None or isinstance(axes, int):
        return [axes] * len(flatten(tree)[0])
    if per_argument and isinstance(axes, list):
        axes = tuple(axes)
    if isinstance(tree, dict) and isinstance(axes, dict):
        if set(axes) != set(tree):
            raise ValueError(f"vmap: {what} has keys {sorted(axes)}, the value {sorted(tree)}")
        return [a for key in tree for a in _axes_per_leaf(axes[key], tree[key], what, False)]
    if isinstance(tree, (tuple, list)) and isinstance(axes, (tuple, list)):
        if len(axes) != len(tree):
            kind = "positional arguments" if per_argument else "entries"
            raise ValueError(
                f"vmap: {what} has {len(axes)} entries but there are {len(tree)} {kind}; "
                f"give one axis (or None) per {'argument' if per_argument else 'entry'}"
            )
        pairs = zip(axes, tree, strict=True)
        return [a for ax, t in pairs for a in _axes_per_leaf(ax, t, what, False)]
    raise ValueError(
        f"vmap: {what}={axes!r} does not match the structure of the "
        f"{'arguments' if per_argument else 'output'} ({type(tree).__name__}); use an int, "
        "None, or a tuple with one entry per argument"
    )


def _unbatch(leaf: Any, axis: int | None, trace_id: int, size: int) -> Any:
    """One output of vmap: its batch axis moved to `axis`, or copies of an unbatched output."""
    from . import numpy as anp

    batched = isbox(leaf) and leaf._trace_id == trace_id
    if axis is None:
        if batched:
            raise ValueError(
                "vmap: out_axes is None for an output that differs between examples; give "
                "the axis where its batch should go"
            )
        return leaf
    if batched:
        value, dim = leaf._value, leaf._node.batch_dim
        axis = _check_axis(axis, np.ndim(value))
        return value if dim == axis else anp.moveaxis(value, dim, axis)
    if is_container(leaf) or leaf is None:
        raise TypeError(f"vmap: the function returned {leaf!r}, which is not an array")
    axis = _check_axis(axis, np.ndim(leaf) + 1)
    return anp.repeat(anp.expand_dims(leaf, axis), size, axis=axis)  # the same for every example


def _check_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"vmap: out_axes={axis} is out of range for an output with {ndim} axes")
    return axis % ndim


def fallback_report() -> str:
    """Which primitives vmap looped over (no batching rule), and how often, since the start."""
    if not fallback_counts:
        return "vmap has batched every primitive with a rule: no loops."
    lines = [f"  {name}: {count}" for name, count in fallback_counts.most_common()]
    return "vmap looped over the batch for these primitives (register rules with defbatch):\n" + (
        "\n".join(lines)
    )
