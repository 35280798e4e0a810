"""The engine of sheet 08 as the sheet gives it and as its answers complete it, for the checks.

Sheet 08 asks for the five parts of a reverse-mode engine: `primitive`,
`toposort`, `backward_pass`, `make_vjp` and `grad`. The sheet gives the rest:
the `Node` and `Traced` classes, `new_level`, and a small traced NumPy (add,
multiply, sin, ...), each operation a primitive made by the student's
`primitive` from a NumPy function and the VJP rules written beside it.

A check holds one part to account at a time. ``build_engine(toposort=f)`` is
this engine with `f` in place of the reference toposort and everything else
as the sheet has it; `engine_names_in` points the sheet's names in the
notebook of the student's function (``Traced``, ``backward_pass``, ``sin``,
...) to that engine while the check runs. So the student's function meets
exactly the sheet's design, and a mistake in one exercise never fails the
check of another. The sheet's last cell, which runs the student's whole
engine, is where the parts meet.

The reference answers here are the sheet's solutions, line for line.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = ["EXERCISES", "SHEET_NAMES", "Node", "new_level", "build_engine", "engine_names_in"]

EXERCISES = ("primitive", "toposort", "backward_pass", "make_vjp", "grad")
OPERATIONS = (
    "add",
    "subtract",
    "multiply",
    "divide",
    "power",
    "negative",
    "matmul",
    "sin",
    "cos",
    "exp",
    "log",
    "tanh",
    "total",
    "transpose",
    "broadcast_to",
    "sum_to",
)
# Every name the sheet defines for its engine: what a check points to the engine it builds.
SHEET_NAMES = ("Node", "Traced", "new_level", "differentiable", *EXERCISES, *OPERATIONS)


class Node:
    """A vertex of the graph: a value, the nodes it was computed from, how to reach them.

    `vjps[k](g)` is the share of parent k in the adjoint, when this node's
    adjoint is g; `level` is the level of the trace that recorded the node.
    A check may give a node a `name`, which its repr shows.
    """

    name = ""

    def __init__(self, value: Any, parents: tuple = (), vjps: tuple = (), level: int = 0) -> None:
        self.value = value
        self.parents = parents
        self.vjps = vjps
        self.level = level

    def __repr__(self) -> str:
        return f"Node {self.name}" if self.name else f"Node(value={self.value!r})"


_levels = itertools.count(1)


def new_level() -> int:
    """A level above every level handed out so far: each trace gets its own."""
    return next(_levels)


def _sum_to(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Plain NumPy: x summed over the axes broadcasting added or stretched, back to `shape`."""
    extra = np.ndim(x) - len(shape)
    stretched = [extra + i for i, n in enumerate(shape) if n == 1 and np.shape(x)[extra + i] != 1]
    return np.reshape(np.sum(x, axis=tuple(range(extra)) + tuple(stretched)), shape)


def _broadcast_to(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Plain NumPy: x broadcast to `shape`, as an array of its own (not a read-only view)."""
    return np.array(np.broadcast_to(x, shape))


def build_engine(**parts: Callable) -> SimpleNamespace:
    """The sheet's engine, with the functions in `parts` (by exercise name) in place of the answers.

    Every attribute of the result is a name the sheet defines (see SHEET_NAMES);
    `Traced` is a class of this engine's own, whose operators call this
    engine's operations, which call this engine's `primitive`.
    """
    unknown = set(parts) - set(EXERCISES)
    if unknown:
        raise ValueError(f"an engine has no part called {', '.join(sorted(unknown))}")
    e = SimpleNamespace(Node=Node, new_level=new_level)

    class Traced:
        """A value being traced at `level`: the value and its Node."""

        __array_ufunc__ = None  # NumPy arrays hand their operators over to Traced

        def __init__(self, value: Any, node: Node) -> None:
            self.value = value
            self.node = node
            self.level = node.level

        def __repr__(self) -> str:
            return f"Traced({self.value!r}, level={self.level})"

        shape = property(lambda self: np.shape(self.value))
        ndim = property(lambda self: np.ndim(self.value))

        def __add__(self, other):
            return e.add(self, other)

        def __radd__(self, other):
            return e.add(other, self)

        def __sub__(self, other):
            return e.subtract(self, other)

        def __rsub__(self, other):
            return e.subtract(other, self)

        def __mul__(self, other):
            return e.multiply(self, other)

        def __rmul__(self, other):
            return e.multiply(other, self)

        def __truediv__(self, other):
            return e.divide(self, other)

        def __rtruediv__(self, other):
            return e.divide(other, self)

        def __pow__(self, other):
            return e.power(self, other)

        def __rpow__(self, other):
            return e.power(other, self)

        def __matmul__(self, other):
            return e.matmul(self, other)

        def __rmatmul__(self, other):
            return e.matmul(other, self)

        def __neg__(self):
            return e.negative(self)

    e.Traced = Traced

    # -- the answers ---------------------------------------------------------------------------

    def primitive(fun, *vjps):
        def wrapped(*args):
            levels = [arg.level for arg in args if isinstance(arg, e.Traced)]
            if not levels:
                return fun(*args)
            level = max(levels)
            mine = [i for i, a in enumerate(args) if isinstance(a, e.Traced) and a.level == level]
            values = [arg.value if i in mine else arg for i, arg in enumerate(args)]
            ans = wrapped(*values)
            parents = tuple(args[i].node for i in mine)
            rules = tuple(lambda g, rule=vjps[i]: rule(g, ans, *values) for i in mine)
            return e.Traced(ans, e.Node(ans, parents, rules, level))

        return wrapped

    def toposort(end_node):
        order, seen = [], set()
        stack = [(end_node, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents)
        return order[::-1]

    def backward_pass(g, end_node):
        adjoints = {end_node: g}
        for node in e.toposort(end_node):
            for parent, vjp in zip(node.parents, node.vjps):
                contribution = vjp(adjoints[node])
                if parent in adjoints:
                    adjoints[parent] = adjoints[parent] + contribution
                else:
                    adjoints[parent] = contribution
        return adjoints

    def make_vjp(fun, x):
        start = e.Node(x, level=e.new_level())
        out = fun(e.Traced(x, start))
        if not (isinstance(out, e.Traced) and out.level == start.level):
            return (lambda g: np.zeros(np.shape(x))), out

        def vjp(g):
            return e.backward_pass(g, out.node)[start]

        return vjp, out.value

    def grad(fun):
        def gradient(x):
            vjp, ans = e.make_vjp(fun, x)
            return vjp(1.0)

        return gradient

    answers = {
        "primitive": primitive,
        "toposort": toposort,
        "backward_pass": backward_pass,
        "make_vjp": make_vjp,
        "grad": grad,
    }
    for name in EXERCISES:
        setattr(e, name, parts.get(name, answers[name]))

    # -- the traced NumPy, each operation with its rules, as on the sheet -----------------------

    def differentiable(fun, *vjps):
        """fun as a primitive with these rules, built by `primitive` when it is called."""

        def call(*args):
            return e.primitive(fun, *vjps)(*args)

        call.__name__ = getattr(fun, "__name__", "operation")
        return call

    def sum_to(x, shape):
        """x summed over the axes broadcasting added or stretched, back to `shape`."""
        if np.shape(x) == tuple(shape):
            return x
        rule = lambda g, ans, x, shape: e.broadcast_to(g, np.shape(x))  # noqa: E731
        return differentiable(_sum_to, rule)(x, shape)

    e.differentiable = differentiable
    e.sum_to = sum_to
    e.broadcast_to = differentiable(
        _broadcast_to, lambda g, ans, x, shape: e.sum_to(g, np.shape(x))
    )
    e.add = differentiable(
        np.add,
        lambda g, ans, x, y: e.sum_to(g, np.shape(x)),
        lambda g, ans, x, y: e.sum_to(g, np.shape(y)),
    )
    e.subtract = differentiable(
        np.subtract,
        lambda g, ans, x, y: e.sum_to(g, np.shape(x)),
        lambda g, ans, x, y: e.sum_to(-g, np.shape(y)),
    )
    e.multiply = differentiable(
        np.multiply,
        lambda g, ans, x, y: e.sum_to(g * y, np.shape(x)),
        lambda g, ans, x, y: e.sum_to(g * x, np.shape(y)),
    )
    e.divide = differentiable(
        np.divide,
        lambda g, ans, x, y: e.sum_to(g / y, np.shape(x)),
        lambda g, ans, x, y: e.sum_to(-g * ans / y, np.shape(y)),
    )
    e.power = differentiable(
        np.power,
        lambda g, ans, x, y: e.sum_to(g * y * x ** (y - 1), np.shape(x)),
        lambda g, ans, x, y: e.sum_to(g * ans * e.log(x), np.shape(y)),
    )
    e.negative = differentiable(np.negative, lambda g, ans, x: -g)
    e.matmul = differentiable(
        np.matmul,
        lambda g, ans, A, B: g @ e.transpose(B),
        lambda g, ans, A, B: e.transpose(A) @ g,
    )
    e.transpose = differentiable(np.transpose, lambda g, ans, x: e.transpose(g))
    e.sin = differentiable(np.sin, lambda g, ans, x: g * e.cos(x))
    e.cos = differentiable(np.cos, lambda g, ans, x: -g * e.sin(x))
    e.exp = differentiable(np.exp, lambda g, ans, x: g * ans)
    e.log = differentiable(np.log, lambda g, ans, x: g / x)
    e.tanh = differentiable(np.tanh, lambda g, ans, x: g * (1 - ans**2))
    e.total = differentiable(np.sum, lambda g, ans, x: e.broadcast_to(g, np.shape(x)))
    return e


@contextlib.contextmanager
def engine_names_in(student: Callable, engine: SimpleNamespace) -> Iterator[None]:
    """While the block runs, the sheet's names in the student's notebook mean `engine`'s parts.

    Only names the student's namespace already has are replaced (a sheet has
    them all), and every one is put back afterwards, however the block ends.
    """
    namespace = getattr(getattr(student, "__func__", student), "__globals__", None)
    if not isinstance(namespace, dict):
        yield
        return
    saved = {name: namespace[name] for name in SHEET_NAMES if name in namespace}
    try:
        for name in saved:
            namespace[name] = getattr(engine, name)
        yield
    finally:
        namespace.update(saved)
