"""Tracing: how a plain Python function is turned into a graph we can differentiate.

We never parse the user's code. Instead we call it on a `Box`: a wrapper that
carries an ordinary value together with a `Node` of the computational graph.
Every differentiable operation is a *primitive*; when a primitive sees a Box
among its arguments it unwraps the values, computes the ordinary result, and
wraps that result in a new Box whose Node remembers the primitive, its
arguments and its parents. Running the function therefore records its graph
as a side effect, however many loops, branches and helper functions it uses.

    >>> import autodidact.numpy as anp
    >>> from autodidact.reverse import ReverseNode
    >>> x_box = new_box(2.0, 1, ReverseNode.new_root())
    >>> y_box = anp.sin(x_box) * x_box   # two primitives, two new nodes

Nested differentiation (a gradient of a gradient) runs one trace inside
another. Each trace gets a fresh integer id, and each Box knows the id of the
trace that made it. A primitive only unwraps the boxes of the newest trace
among its arguments; boxes of older traces stay inside, so the same call is
recorded, one level down, by the outer trace as well. Take
f(x) = grad(lambda y: x * y)(x): inside, `x` is a Box of the outer trace
(id 1) and `y` a Box of the inner trace (id 2). The product unwraps only `y`;
multiplying the outer Box `x` by the plain value of `y` is recorded by the
outer trace. The inner gradient is `x` itself, still a Box of the outer trace,
so the outer gradient of f comes out as exactly 1.

This module knows nothing about NumPy, reverse or forward mode or batching:
those plug in through `Box.register` and through the Node subclass a trace
starts with (a batching trace, vmap's, computes results itself through
`Node.process_primitive`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

__all__ = [
    "Box",
    "Node",
    "primitive",
    "notrace_primitive",
    "new_box",
    "isbox",
    "getval",
    "trace",
    "new_trace_id",
]


class Node:
    """A vertex of the computational graph: one primitive applied to its arguments.

    Reverse and forward mode each subclass Node to store what they need
    (reverse mode: enough to run the vector-Jacobian products later; forward
    mode: the tangent, computed at once). Every Node knows its `parents`,
    the nodes of the boxed arguments it was computed from.
    """

    __slots__ = ("parents",)
    # A trace whose Boxes do not simply hold their values (vmap's, see batching.py)
    # computes a primitive's result itself: process_primitive(fun, args, argnums, kwargs, trace_id).
    process_primitive: Callable | None = None

    def __init__(
        self,
        value: Any,
        fun: Callable,
        args: tuple,
        kwargs: dict,
        parent_argnums: tuple[int, ...],
        parents: tuple[Node, ...],
    ) -> None:
        self.parents = parents

    @classmethod
    def new_root(cls, *args: Any, **kwargs: Any) -> Node:
        """A node with no parents: the start of a trace (an input we differentiate by)."""
        root = cls.__new__(cls)
        root.initialize_root(*args, **kwargs)
        return root

    def initialize_root(self) -> None:
        self.parents = ()


class Box:
    """A value being traced: the value itself, the id of its trace, and its graph Node.

    Subclasses give boxes the operators of the values they wrap (an
    `ArrayBox` adds, multiplies and indexes like an ndarray, by calling the
    wrapped NumPy primitives). `Box.register(ArrayBox, float)` says which Box
    subclass wraps values of a given type.
    """

    __slots__ = ("_value", "_trace_id", "_node")
    box_types_for_value_type: dict[type, type[Box]] = {}

    def __init__(self, value: Any, trace_id: int, node: Node) -> None:
        self._value = value
        self._trace_id = trace_id
        self._node = node

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._value!r}, trace={self._trace_id})"

    @classmethod
    def register(cls, box_type: type[Box], *value_types: type) -> None:
        """Make `box_type` the Box used for values of each of `value_types`."""
        for value_type in value_types:
            cls.box_types_for_value_type[value_type] = box_type
        box_types.add(box_type)
        value_box_types.add(box_type)


box_types: set[type] = {Box}  # every kind of Box: what a primitive looks for
value_box_types: set[type] = {Box}  # the Boxes whose value is what they stand for


def isbox(x: Any) -> bool:
    """True when x is a traced value."""
    return type(x) in box_types


def getval(x: Any) -> Any:
    """The plain value inside x, unwrapping the boxes of every differentiation trace.

    A vmap Box (batching.py) stands for one example while its value holds the
    whole batch, so getval leaves it closed: its shape is still the example's.
    """
    while type(x) in value_box_types:
        x = x._value
    return x


def new_box(value: Any, trace_id: int, node: Node) -> Box:
    """Wrap `value` in the Box registered for its type."""
    try:
        box_type = Box.box_types_for_value_type[type(value)]
    except KeyError:
        raise TypeError(
            f"autodidact cannot trace a value of type {type(value).__name__} ({value!r}). "
            "Differentiable values are floats, complex numbers and NumPy arrays of them; "
            "containers (tuple, list, dict) of those are handled by grad and friends."
        ) from None
    return box_type(value, trace_id, node)


_trace_ids = itertools.count(1)


def new_trace_id() -> int:
    """A fresh id, larger than every id handed out before: newer traces are inner ones."""
    return next(_trace_ids)


def trace(root: Node, fun: Callable, x: Any) -> tuple[Any, Node | None]:
    """Evaluate fun(x) with x boxed under a fresh trace id.

    Returns the plain output value and its Node, or (output, None) when the
    output does not depend on x in this trace.
    """
    trace_id = new_trace_id()
    output = fun(new_box(x, trace_id, root))
    if isbox(output) and output._trace_id == trace_id:
        return output._value, output._node
    return output, None


def _newest_boxed_args(args: tuple) -> tuple[int, list[int]]:
    """The newest trace id among the boxed arguments and their positions (0, [] if none)."""
    newest, argnums = 0, []
    for argnum, arg in enumerate(args):
        if type(arg) in box_types:
            if arg._trace_id > newest:
                newest, argnums = arg._trace_id, [argnum]
            elif arg._trace_id == newest:
                argnums.append(argnum)
    return newest, argnums


def primitive(raw_fun: Callable) -> Callable:
    """Wrap a function on plain values so that calling it on Boxes records a Node.

    With no Box among the positional arguments the wrapper just calls
    `raw_fun`. Otherwise it unwraps the Boxes of the newest trace, calls
    itself on the unwrapped arguments (older traces' Boxes may remain and are
    handled by that inner call), and wraps the result in a Box whose Node has
    the unwrapped Boxes' nodes as parents. Derivative rules are attached
    separately, with `defvjp` and `defjvp`.

    A function that returns a tuple of values (for example an SVD) gets a
    tuple of Boxes back, one per output, that share the primitive's Node.
    """

    @functools.wraps(raw_fun)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        for arg in args:
            if type(arg) in box_types:
                break
        else:  # no Box at all: the plain function, at almost no extra cost
            return raw_fun(*args, **kwargs)
        trace_id, argnums = _newest_boxed_args(args)
        node_type = type(args[argnums[0]]._node)
        if node_type.process_primitive is not None:  # vmap: the trace computes the result
            return node_type.process_primitive(wrapped, args, argnums, kwargs, trace_id)
        arg_values = list(args)
        for argnum in argnums:
            arg_values[argnum] = args[argnum]._value
        parents = tuple([args[argnum]._node for argnum in argnums])
        answer = wrapped(*arg_values, **kwargs)
        if type(answer) in box_types and answer._trace_id >= trace_id:
            raise _leaked_trace_error(raw_fun)
        several_outputs = isinstance(answer, tuple)  # a tuple or a namedtuple (an SVD, ...)
        value = tuple(answer) if several_outputs else answer
        node = node_type(value, wrapped, tuple(arg_values), kwargs, tuple(argnums), parents)
        if several_outputs:
            return _box_each_output(answer, trace_id, node)
        return new_box(answer, trace_id, node)

    wrapped.raw_fun = raw_fun
    wrapped.is_primitive = True
    return wrapped


def _leaked_trace_error(raw_fun: Callable) -> TypeError:
    name = getattr(raw_fun, "__name__", repr(raw_fun))
    return TypeError(
        f"`{name}` is a primitive, so it must compute with the plain values of its "
        "arguments, but it returned a value still traced by the same trace: it uses a "
        "traced value it did not receive as an argument (a closure over a variable being "
        "differentiated). Pass that value as an argument instead, e.g. "
        "checkpoint(lambda x, W: ...)(x, W) rather than checkpoint(lambda x: ... W ...)(x)."
    )


def take_output(outputs: tuple, index: int) -> Any:
    """The `index`-th output of a primitive that returns several values."""
    return outputs[index]


def _box_each_output(outputs: tuple, trace_id: int, node: Node) -> tuple:
    """Give each output of a multi-output primitive its own Box.

    Each output's Node is a `take_output` of the primitive's Node, so the
    derivative rules see the whole tuple, as the primitive computed it.
    """
    node_type = type(node)
    plain_outputs = tuple(outputs)
    boxes = [
        new_box(
            value,
            trace_id,
            node_type(value, take_output, (plain_outputs, index), {}, (0,), (node,)),
        )
        for index, value in enumerate(plain_outputs)
    ]
    return type(outputs)(*boxes) if hasattr(outputs, "_fields") else tuple(boxes)


def notrace_primitive(raw_fun: Callable) -> Callable:
    """Wrap a function whose output carries no derivative (floor, argmax, shape ...).

    Boxes of every trace are unwrapped and the plain result is returned, so
    the rest of the computation treats it as a constant. (A vmap Box, which
    getval leaves closed, still batches the call.)
    """

    @functools.wraps(raw_fun)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        values = [getval(arg) for arg in args]
        for value in values:
            if type(value) in box_types:  # batched by vmap
                trace_id, argnums = _newest_boxed_args(values)
                node_type = type(values[argnums[0]]._node)
                return node_type.process_primitive(wrapped, values, argnums, kwargs, trace_id)
        return raw_fun(*values, **kwargs)

    wrapped.raw_fun = raw_fun
    return wrapped
