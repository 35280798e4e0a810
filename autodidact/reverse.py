"""Reverse mode: vector-Jacobian products pulled back through the traced graph.

For y = f(x) computed as a chain of primitives v_1, ..., v_N, the adjoint of
an intermediate is v_bar_i = dy/dv_i. Reverse mode sets y_bar = 1 and visits
the nodes from the output back to the inputs (reverse topological order);
each node passes its adjoint to its parents through the primitive's
vector-Jacobian product (VJP), and a value used by several children adds up
the partial adjoints it receives:

    v_bar_i = sum over children j of  v_bar_j * dv_j/dv_i

One backward pass yields the derivative of y with respect to every input at
once, at a small constant times the cost of computing y.

The VJP of a primitive with respect to its argument k is registered with
`defvjp`; each rule has the signature `vjp(g, ans, *args, **kwargs)`, where
`g` is the adjoint of the primitive's output (the cotangent), `ans` the
output itself and `args`/`kwargs` the arguments of the call. For z = x * y:

    vjp_x(g, ans, x, y) = g * y        vjp_y(g, ans, x, y) = g * x

The rules are written with `autodidact.numpy`, so the backward pass is itself
made of primitives and can be traced and differentiated again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .containers import flatten
from .lean_tape import reads, what_the_rules_read
from .tracer import Node, getval, isbox, new_box, new_trace_id, take_output

__all__ = [
    "defvjp",
    "defvjp_argnum",
    "defvjp_argnums",
    "reads",
    "ReverseNode",
    "toposort",
    "backward_pass",
    "make_vjp",
]

# primitive -> {argnum: vjp rule}
vjp_rules: dict[Callable, dict[int, Callable]] = {}
# primitive -> rule(argnum, g, ans, *args, **kwargs), for primitives taking any number of arrays
vjp_argnum_rules: dict[Callable, Callable] = {}
# primitive -> rule(argnums, g, ans, *args, **kwargs), the cotangents of several arguments at once
vjp_joint_rules: dict[Callable, Callable] = {}


def defvjp(fun: Callable, *vjps: Callable | None, argnums: Iterable[int] | None = None) -> None:
    """Register the vector-Jacobian products of primitive `fun`, one per argument.

        defvjp(anp.multiply,
               lambda g, ans, x, y: unbroadcast(x, y * g),
               lambda g, ans, x, y: unbroadcast(y, x * g))

    `vjp_k(g, ans, *args, **kwargs)` returns g^T (d ans / d args[k]): an array
    shaped like args[k]. `argnums` says which arguments the rules are for
    (default 0, 1, ...); pass None for an argument that has no derivative.
    """
    argnums = range(len(vjps)) if argnums is None else argnums
    rules = vjp_rules.setdefault(fun, {})
    for argnum, vjp in zip(argnums, vjps, strict=True):
        if vjp is not None:
            rules[argnum] = vjp


def defvjp_argnum(fun: Callable, vjp: Callable) -> None:
    """Register one rule `vjp(argnum, g, ans, *args, **kwargs)` for every argument of `fun`.

    For primitives that take any number of arrays, like concatenation.
    """
    vjp_argnum_rules[fun] = vjp


def defvjp_argnums(fun: Callable, vjp: Callable) -> None:
    """Register one rule that returns the cotangents of all the traced arguments at once.

    `vjp(argnums, g, ans, *args, **kwargs)` returns a tuple with the cotangent
    of each argument listed in `argnums`, in that order. For primitives whose
    adjoints share work: for x = solve(A, b), b_bar = A^{-T} x_bar and
    A_bar = -b_bar x^T, so one solve serves both.
    """
    vjp_joint_rules[fun] = vjp


_argnum_rules_made: dict[tuple[Callable, int], Callable] = {}


def _find_vjp(fun: Callable, argnum: int) -> Callable:
    rule = vjp_rules.get(fun, {}).get(argnum)
    if rule is not None:
        return rule
    argnum_rule = vjp_argnum_rules.get(fun)
    if argnum_rule is not None:  # one rule for argument `argnum`, made once and kept
        rule = _argnum_rules_made.get((argnum_rule, argnum))
        if rule is None:
            rule = functools.partial(argnum_rule, argnum)
            if hasattr(argnum_rule, "reads"):
                rule.reads = argnum_rule.reads
            _argnum_rules_made[argnum_rule, argnum] = rule
        return rule
    name = getattr(fun, "__name__", repr(fun))
    raise NotImplementedError(
        f"reverse mode has no VJP for argument {argnum} of `{name}`, so it cannot "
        f"differentiate through it. Use a function that has one, or register one with "
        f"`autodidact.defvjp({name}, vjp_0, vjp_1, ...)`, where each rule is "
        f"`lambda g, ans, *args: ...` and returns the cotangent of that argument."
    )


class ReverseNode(Node):
    """A node of a reverse-mode trace: what the backward pass needs to run the VJPs."""

    __slots__ = ("fun", "value", "args", "kwargs", "parent_argnums", "vjps", "joint_vjp",
                 "real_parents")  # fmt: skip

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
        self.fun = fun
        self.kwargs = kwargs
        self.parent_argnums = parent_argnums
        dtype = getattr(value, "dtype", None)  # a complex result: see _real_parents_of_complex
        complex_result = dtype is not None and dtype.kind == "c"
        self.real_parents = _real_parents_of_complex(args, parent_argnums) if complex_result else ()
        self.joint_vjp = vjp_joint_rules.get(fun)
        if self.joint_vjp is not None:
            self.value, self.args, self.vjps = value, args, ()
            return
        self.vjps = tuple([_find_vjp(fun, argnum) for argnum in parent_argnums])
        # Keep only the values the rules read (see lean_tape.py): the tape stays lean.
        self.value, self.args = what_the_rules_read(value, args, parent_argnums, self.vjps)

    def initialize_root(self) -> None:
        self.parents = ()
        self.fun = None
        self.value = self.args = self.kwargs = None
        self.parent_argnums = self.vjps = self.real_parents = ()
        self.joint_vjp = None

    def parent_cotangents(self, g: Any) -> list:
        """The cotangent of each parent: each parent's rule applied to the output's adjoint g."""
        value, args, kwargs = self.value, self.args, self.kwargs
        if self.joint_vjp is not None:
            cotangents = list(self.joint_vjp(self.parent_argnums, g, value, *args, **kwargs))
        else:
            cotangents = [vjp(g, value, *args, **kwargs) for vjp in self.vjps]
        for i in self.real_parents:  # a real argument of a complex result: keep the real part
            cotangents[i] = np.real(cotangents[i])
        return cotangents


def _real_parents_of_complex(args: tuple, parent_argnums: tuple) -> tuple[int, ...]:
    """Which parents of a complex result are real arguments (positions among the parents).

    Complex numbers follow Autograd: for a real argument x of a complex
    result, the cotangent is Re(g df/dx), so a real input gets a real gradient.
    """
    return tuple(i for i, k in enumerate(parent_argnums) if _dtype_kind(args[k]) in ("f", "i"))


def _dtype_kind(x: Any) -> str | None:
    """'f' for floats, 'c' for complex numbers ... (None for what has no dtype: a tuple)."""
    dtype = getattr(x, "dtype", None)
    return None if dtype is None else dtype.kind


def toposort(end_nodes: list[Node]) -> Iterator[Node]:
    """The ancestors of `end_nodes`, each after all of its children (reverse topological order).

    First count, for every node, the edges to its children inside the graph;
    then hand out a node once all of its children have been handed out.
    """
    child_counts: dict[Node, int] = {}
    stack = list(end_nodes)
    while stack:
        node = stack.pop()
        if node in child_counts:
            child_counts[node] += 1
        else:
            child_counts[node] = 1
            stack.extend(node.parents)
    for node in end_nodes:  # being an end node is not an edge to a child
        child_counts[node] -= 1
    ready = [node for node in dict.fromkeys(end_nodes) if child_counts[node] == 0]
    while ready:
        node = ready.pop()
        yield node
        for parent in node.parents:
            child_counts[parent] -= 1
            if child_counts[parent] == 0:
                ready.append(parent)


def add_adjoints(total: Any, contribution: Any) -> Any:
    """total + contribution, where None means zero and tuples add entry by entry."""
    if total is None:
        return contribution
    if contribution is None:
        return total
    if type(total) is tuple:
        return tuple(add_adjoints(t, c) for t, c in zip(total, contribution, strict=True))
    return total + contribution


def backward_pass(seeds: list[tuple[Node, Any]]) -> dict[Node, Any]:
    """Propagate the adjoints `seeds` = [(node, adjoint), ...] back to the roots.

    Returns the adjoint of every root node reached (the traced inputs).
    Intermediate adjoints are dropped as soon as they have been passed on.
    """
    adjoints: dict[Node, Any] = {}
    for node, g in seeds:
        adjoints[node] = add_adjoints(adjoints.get(node), g)
    root_adjoints = {}
    for node in toposort([node for node, _ in seeds]):
        g = adjoints.pop(node)
        if not node.parents:
            root_adjoints[node] = g
            continue
        if type(g) is tuple:  # outputs of a multi-output primitive that were never used
            g = tuple(
                np.zeros_like(getval(v)) if gi is None else gi
                for gi, v in zip(g, node.value, strict=True)
            )
        contributions = node.parent_cotangents(g)
        for parent, argnum, contribution in zip(
            node.parents, node.parent_argnums, contributions, strict=True
        ):
            _check_shape(contribution, node, argnum)
            adjoints[parent] = add_adjoints(adjoints.get(parent), contribution)
    return root_adjoints


def _shape(x: Any) -> tuple:
    """x.shape for arrays, Boxes and stand-ins; () for Python numbers."""
    return getattr(x, "shape", ())


def _check_shape(contribution: Any, node: ReverseNode, argnum: int) -> None:
    """A VJP must return an adjoint shaped like its argument: say which rule broke that."""
    argument = node.args[argnum]
    if node.fun is take_output:
        return
    expected, got = _shape(argument), _shape(contribution)
    if expected != got:
        name = getattr(node.fun, "__name__", repr(node.fun))
        raise ValueError(
            f"the VJP of `{name}` for argument {argnum} returned an array of shape {got}, "
            f"but that argument has shape {expected}. A VJP must return a cotangent shaped "
            f"like its argument: sum over broadcast axes with `unbroadcast(x, g)` or reshape."
        )


defvjp(
    take_output,
    lambda g, ans, outputs, index: tuple(g if i == index else None for i in range(len(outputs))),
)


def make_vjp(fun: Callable, x: Any) -> tuple[Callable, Any]:
    """Trace fun(x) once; return (vjp, fun(x)) where vjp(g) = g^T (d fun / d x).

    `x` may be an array or a tuple, list or dict of arrays; vjp(g) then
    returns a structure like `x`. `g` has the structure of fun's output.
    Calling vjp again reuses the trace: one forward pass, any number of
    backward passes.
    """
    leaves, rebuild = flatten(x)
    trace_id = new_trace_id()
    roots = [ReverseNode.new_root() for _ in leaves]
    output = fun(rebuild([new_box(leaf, trace_id, root) for leaf, root in zip(leaves, roots)]))
    output_leaves, rebuild_output = flatten(output)
    traced = [isbox(leaf) and leaf._trace_id == trace_id for leaf in output_leaves]
    output_values = [
        leaf._value if is_traced else leaf
        for leaf, is_traced in zip(output_leaves, traced, strict=True)
    ]

    def vjp(g: Any) -> Any:
        g_leaves, _ = flatten(g)
        if len(g_leaves) != len(output_leaves):
            raise ValueError(
                f"the cotangent has {len(g_leaves)} arrays but the function's output has "
                f"{len(output_leaves)}: give vjp a value with the structure of the output"
            )
        for g_leaf, value in zip(g_leaves, output_values, strict=True):
            if _shape(g_leaf) != _shape(value):
                raise ValueError(
                    f"the cotangent has shape {_shape(g_leaf)} but the function's output has "
                    f"shape {_shape(value)}: a cotangent is shaped like the output it weighs"
                )
        seeds = [
            (leaf._node, g_leaf)
            for leaf, g_leaf, is_traced in zip(output_leaves, g_leaves, traced, strict=True)
            if is_traced
        ]
        root_adjoints = backward_pass(seeds) if seeds else {}
        return rebuild(
            [
                _as_gradient_of(root_adjoints.get(root), leaf)
                for root, leaf in zip(roots, leaves, strict=True)
            ]
        )

    return vjp, rebuild_output(output_values)


def _as_gradient_of(adjoint: Any, leaf: Any) -> Any:
    """Give an input's adjoint the input's own type: zeros when it had none, its dtype, scalars."""
    leaf_value = getval(leaf)
    dtype = np.result_type(leaf_value)
    if adjoint is None:
        adjoint = np.zeros(np.shape(leaf_value), dtype=dtype)
    if isbox(adjoint):
        return adjoint
    adjoint = np.asarray(adjoint)
    if np.issubdtype(dtype, np.inexact) and adjoint.dtype != dtype:
        adjoint = adjoint.astype(dtype)
    return adjoint if isinstance(leaf_value, np.ndarray) else adjoint[()]
