"""Forward mode: tangents pushed forward through the computation, alongside the values.

Dual numbers are the whole idea. Carry with every value v its *tangent*
v_dot = dv/dt, the rate at which v changes when the input moves along a chosen
direction: x(t) = x + t d, so x_dot = d. Each primitive maps the tangents of
its arguments to the tangent of its output by the chain rule,

    y = sin(x)       y_dot = cos(x) * x_dot
    z = x * y        z_dot = x_dot * y + x * y_dot

and computes it at once, as soon as its value is known. There is no graph to
keep and no second pass: when the output's value is ready, so is its tangent,
and it equals J d, one Jacobian-vector product (JVP). With d = e_j (the j-th
unit vector) it is column j of the Jacobian, so a function R^n -> R^m needs
n forward passes for its full Jacobian, where reverse mode needs m backward
passes: forward mode wins for tall Jacobians (m > n), reverse for wide ones.

The JVP of a primitive with respect to its argument k is registered with
`defjvp`; each rule has the signature `jvp(g, ans, *args, **kwargs)`, where
`g` is the tangent of that argument, `ans` the output and `args`/`kwargs`
the arguments of the call. It returns the output's tangent, shaped like
`ans`. For z = x * y:

    jvp_x(g, ans, x, y) = g * y        jvp_y(g, ans, x, y) = x * g

When a primitive uses several traced arguments, their contributions add up:
z_dot = jvp_x(x_dot, ...) + jvp_y(y_dot, ...). The rules are written with
`autodidact.numpy`, so a tangent computation is itself made of primitives and
can be traced again: forward-over-reverse (the Hessian), reverse-over-forward
and forward-over-forward all nest, told apart by the trace ids of `tracer.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .containers import flatten, is_container
from .tracer import Node, getval, isbox, new_box, new_trace_id, take_output

__all__ = [
    "defjvp",
    "defjvp_argnum",
    "def_linear",
    "ForwardNode",
    "make_jvp",
]

# primitive -> {argnum: jvp rule}
jvp_rules: dict[Callable, dict[int, Callable]] = {}
# primitive -> rule(argnum, g, ans, *args, **kwargs), for primitives taking any number of arrays
jvp_argnum_rules: dict[Callable, Callable] = {}


def defjvp(fun: Callable, *jvps: Callable | None, argnums: Iterable[int] | None = None) -> None:
    """Register the Jacobian-vector products of primitive `fun`, one per argument.

        defjvp(anp.sin, lambda g, ans, x: g * anp.cos(x))
        defjvp(anp.divide,
               lambda g, ans, x, y: g / y,
               lambda g, ans, x, y: -g * x / y**2)

    `jvp_k(g, ans, *args, **kwargs)` returns (d ans / d args[k]) g: the
    tangent of the output, shaped like `ans`, when args[k] moves along g.
    `argnums` says which arguments the rules are for (default 0, 1, ...);
    pass None for an argument that has no derivative.
    """
    argnums = range(len(jvps)) if argnums is None else argnums
    rules = jvp_rules.setdefault(fun, {})
    for argnum, jvp in zip(argnums, jvps, strict=True):
        if jvp is not None:
            rules[argnum] = jvp


def defjvp_argnum(fun: Callable, jvp: Callable) -> None:
    """Register one rule `jvp(argnum, g, ans, *args, **kwargs)` for every argument of `fun`.

    For primitives that take any number of arrays, like concatenation.
    """
    jvp_argnum_rules[fun] = jvp


def def_linear(fun: Callable) -> None:
    """Register the JVPs of a primitive that is linear in each of its array arguments.

    If f(..., x, ...) is linear in x, then f(..., x + t g, ...) =
    f(..., x, ...) + t f(..., g, ...), so its JVP is f itself with the tangent
    in place of the argument:

        jvp_k(g, ans, *args) = fun(*args[:k], g, *args[k+1:])

    This covers sums, reshapes, transposes, indexing and, one argument at a
    time, products such as multiply, dot and einsum (bilinear: linear in
    each factor while the others are held fixed). It does not cover add:
    add(g, y) is not the tangent g, because add is affine in x, not linear.
    """

    def linear_jvp(argnum: int, g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        return fun(*args[:argnum], g, *args[argnum + 1 :], **kwargs)

    defjvp_argnum(fun, linear_jvp)


def _find_jvp(fun: Callable, argnum: int) -> Callable:
    rule = jvp_rules.get(fun, {}).get(argnum)
    if rule is not None:
        return rule
    argnum_rule = jvp_argnum_rules.get(fun)
    if argnum_rule is not None:
        return functools.partial(argnum_rule, argnum)
    name = getattr(fun, "__name__", repr(fun))
    raise NotImplementedError(
        f"forward mode has no JVP for argument {argnum} of `{name}`, so it cannot "
        f"differentiate through it. Use reverse mode (grad, jacrev), a function that has "
        f"one, or register one with `autodidact.defjvp({name}, jvp_0, jvp_1, ...)`, where "
        f"each rule is `lambda g, ans, *args: ...` and returns the tangent of the output."
    )


def add_tangents(total: Any, contribution: Any) -> Any:
    """total + contribution, where None means zero and tuples add entry by entry."""
    if total is None:
        return contribution
    if contribution is None:
        return total
    if isinstance(total, (tuple, list)):  # the outputs of a multi-output primitive
        return tuple(add_tangents(t, c) for t, c in zip(total, contribution, strict=True))
    return total + contribution


class ForwardNode(Node):
    """A node of a forward-mode trace: it holds the tangent of its value, nothing else.

    The tangent is computed when the node is made, from the tangents of its
    parents: ans_dot = sum over traced arguments k of jvp_k(args_dot[k]).
    After that the parents are no longer needed, so the node forgets them:
    forward mode keeps no graph, and its memory does not grow with the
    length of the computation.
    """

    __slots__ = ("tangent",)

    def __init__(
        self,
        value: Any,
        fun: Callable,
        args: tuple,
        kwargs: dict,
        parent_argnums: tuple[int, ...],
        parents: tuple[Node, ...],
    ) -> None:
        tangent = None
        for parent, argnum in zip(parents, parent_argnums, strict=True):
            contribution = _find_jvp(fun, argnum)(parent.tangent, value, *args, **kwargs)
            _check_shape(contribution, value, fun, argnum)
            tangent = add_tangents(tangent, contribution)
        if tangent is None and not isinstance(value, tuple):  # every rule said "zero"
            tangent = np.zeros_like(getval(value))
        self.tangent = tangent
        self.parents = ()

    def initialize_root(self, tangent: Any) -> None:
        self.parents = ()
        self.tangent = tangent


def _shape(x: Any) -> tuple:
    x = getval(x)
    return x.shape if type(x) is np.ndarray else np.shape(x)


def _check_shape(contribution: Any, value: Any, fun: Callable, argnum: int) -> None:
    """A JVP must return a tangent shaped like the output: say which rule broke that."""
    if isinstance(value, tuple) or contribution is None:
        return
    expected, got = _shape(value), _shape(contribution)
    if expected != got:
        name = getattr(fun, "__name__", repr(fun))
        raise ValueError(
            f"the JVP of `{name}` for argument {argnum} returned a tangent of shape {got}, "
            f"but the output has shape {expected}. A JVP must return a tangent shaped like "
            f"the output: broadcast it to the output's shape "
            f"(`autodidact.numpy.numpy_jvps.broadcast_to_output`) or reshape it."
        )


def _take_output_jvp(g: tuple, ans: Any, outputs: tuple, index: int) -> Any:
    """The tangent of one output of a multi-output primitive; None (no rule gave one) is zero."""
    tangent = g[index]
    return np.zeros_like(getval(ans)) if tangent is None else tangent


defjvp(take_output, _take_output_jvp)


def make_jvp(fun: Callable, x: Any) -> Callable[[Any], tuple[Any, Any]]:
    """Return jvp(v) -> (fun(x), J v), the Jacobian of fun at x applied to the tangent v.

    `x` may be an array or a tuple, list or dict of arrays; `v` has the same
    structure and shapes, and the tangent comes back with the structure of
    fun's output. Unlike a VJP, every call runs fun again: forward mode
    computes the tangent together with the value, so there is no trace to
    reuse.
    """
    leaves, rebuild = flatten(x)
    single_array = not is_container(x)

    def jvp(v: Any) -> tuple[Any, Any]:
        v_leaves = [v] if single_array else flatten(v)[0]
        if len(v_leaves) != len(leaves):
            raise ValueError(
                f"the tangent has {len(v_leaves)} arrays but the input has {len(leaves)}: "
                "give jvp a value with the structure of the input"
            )
        for leaf, v_leaf in zip(leaves, v_leaves, strict=True):
            if _shape(leaf) != _shape(v_leaf):
                raise ValueError(
                    f"the tangent has shape {_shape(v_leaf)} but the input has shape "
                    f"{_shape(leaf)}: a tangent is a direction in input space, shaped like "
                    "the input"
                )
        trace_id = new_trace_id()
        boxes = [
            new_box(leaf, trace_id, ForwardNode.new_root(v_leaf))
            for leaf, v_leaf in zip(leaves, v_leaves, strict=True)
        ]
        output = fun(boxes[0] if single_array else rebuild(boxes))
        if not is_container(output):  # the common case, without the bookkeeping
            if isbox(output) and output._trace_id == trace_id:
                return output._value, _as_tangent_of(output._node.tangent, output._value)
            return output, _as_tangent_of(None, output)
        output_leaves, rebuild_output = flatten(output)
        values, tangents = [], []
        for leaf in output_leaves:
            if isbox(leaf) and leaf._trace_id == trace_id:
                values.append(leaf._value)
                tangents.append(_as_tangent_of(leaf._node.tangent, leaf._value))
            else:  # the output does not depend on x: its tangent is zero
                values.append(leaf)
                tangents.append(_as_tangent_of(None, leaf))
        return rebuild_output(values), rebuild_output(tangents)

    return jvp


def _as_tangent_of(tangent: Any, value: Any) -> Any:
    """Give an output's tangent the output's type: zeros when it had none, its dtype, scalars."""
    plain = getval(value)
    if type(tangent) is np.ndarray and type(plain) is np.ndarray and tangent.dtype == plain.dtype:
        return tangent  # the common case: already an array of the right dtype
    dtype = np.result_type(plain)
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.dtype(float)
    if tangent is None:
        tangent = np.zeros(np.shape(plain), dtype=dtype)
    if isbox(tangent):
        return tangent
    tangent = np.asarray(tangent)
    if tangent.dtype != dtype:
        tangent = tangent.astype(dtype)
    return tangent if isinstance(plain, np.ndarray) else tangent[()]
