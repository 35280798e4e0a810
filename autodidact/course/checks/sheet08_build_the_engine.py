"""Checks for sheet 08, build the engine: primitive, toposort, backward_pass, make_vjp, grad.

Each check holds one part of the student's engine to account, on its own:
`autodidact.course.reference_engine` builds the sheet's engine with the
student's function in that part's place, and points the sheet's names in the
student's notebook (``Traced``, ``toposort``, ``sin`` ...) to that engine
while the check runs. A wrong toposort therefore never fails the check of
backward_pass, and a part not written yet never blocks the next one.

* `toposort` and `backward_pass` are tried on graphs built from Nodes by
  hand: the seed example, a fan-out, a diamond, a long and a short path to
  the same node, a random graph, arrays, and a 10,000-step chain.
* `primitive` is tried call by call (the parents, the rules and the levels it
  records), `make_vjp` on what it returns (the pair, the value, the adjoint
  for any cotangent, zeros when the output does not depend on x).
* Then every part runs, inside the reference engine, the tests the library's
  own core passes (`autodidact.course.engine_battery`), to 1e-12 of the
  library's answers: nested derivatives and perturbation confusion included.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from autodidact.course.checking import (
    OPERATORS,
    CheckFailed,
    Shortcuts,
    call_student,
    exercise_check,
    expect,
    expect_close,
    format_value,
    matches,
)
from autodidact.course.engine_battery import CHAIN_STEPS, TESTS, library_namespace
from autodidact.course.reference_engine import Node, build_engine, engine_names_in, new_level

SHEET = "08_build_the_engine"
TOLERANCE = 1e-12

# What an engine exercise may not hand to the library: its tracer, its sort and backward pass.
LIBRARY_ENGINE = (
    "autodidact.tracer.primitive",
    "autodidact.tracer.new_box",
    "autodidact.tracer.trace",
    "autodidact.tracer.new_trace_id",
    "autodidact.reverse.toposort",
    "autodidact.reverse.backward_pass",
    "autodidact.reverse.add_adjoints",
    *OPERATORS,
)


# -- graphs of named Nodes -----------------------------------------------------------------------


def named(name: str, value: Any, parents: Iterable[Node] = (), partials: Iterable = ()) -> Node:
    """A Node called `name` whose vjps multiply the adjoint by the local partials."""
    node = Node(value, tuple(parents), tuple(lambda g, p=p: g * p for p in partials))
    node.name = name
    return node


@dataclass
class Graph:
    """A graph to try: its description for the verdict, its end node, the nodes reached from it."""

    description: str
    end: Node
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.nodes:  # every node reached, in topological order (the end node first)
            self.nodes = build_engine().toposort(self.end)

    def children(self, node: Node) -> list[str]:
        """The names of the nodes computed from `node`, once per edge ("u (twice)")."""
        counts: dict[str, int] = {}
        for child in self.nodes:
            for parent in child.parents:
                if parent is node:
                    counts[child.name] = counts.get(child.name, 0) + 1
        return [
            name + (" (twice)" if k == 2 else f" ({k} times)" if k > 2 else "")
            for name, k in counts.items()
        ]


def seed_graph() -> Graph:
    """y = ln(x1) + x1 x2 - sin(x2) at (2, 5), v1 ... v7 as in the lectures."""
    x1, x2 = 2.0, 5.0
    v1, v2 = named("v1", x1), named("v2", x2)
    v3 = named("v3", np.log(x1), [v1], [1 / x1])
    v4 = named("v4", x1 * x2, [v1, v2], [x2, x1])
    v5 = named("v5", np.sin(x2), [v2], [np.cos(x2)])
    v6 = named("v6", v3.value + v4.value, [v3, v4], [1.0, 1.0])
    v7 = named("v7", v6.value - v5.value, [v6, v5], [1.0, -1.0])
    return Graph("the seed example y = ln(x1) + x1 x2 - sin(x2) at (2, 5)", v7)


def fan_out_graph() -> Graph:
    """x feeds u = x * x (twice), s = sin x and t = 3 x; y = (u + s) + t."""
    x = named("x", 0.7)
    u = named("u", 0.49, [x, x], [0.7, 0.7])
    s = named("s", np.sin(0.7), [x], [np.cos(0.7)])
    t = named("t", 2.1, [x], [3.0])
    w = named("w", u.value + s.value, [u, s], [1.0, 1.0])
    y = named("y", w.value + t.value, [w, t], [1.0, 1.0])
    return Graph("the fan-out y = (x * x + sin x) + 3 x at x = 0.7", y)


def diamond_graph() -> Graph:
    """a feeds b = sin a and c = exp a, which meet again in d = b * c."""
    a = named("a", 0.3)
    b = named("b", np.sin(0.3), [a], [np.cos(0.3)])
    c = named("c", np.exp(0.3), [a], [np.exp(0.3)])
    d = named("d", b.value * c.value, [b, c], [c.value, b.value])
    return Graph("the diamond d = b * c, b = sin a, c = exp a at a = 0.3", d)


def two_paths_graph() -> Graph:
    """a reaches d along a long path a -> b -> c -> d and a short one a -> d."""
    a = named("a", 1.0)
    b = named("b", 2.0, [a], [2.0])
    c = named("c", 6.0, [b], [3.0])
    d = named("d", 7.0, [c, a], [1.0, 1.0])
    return Graph("the graph d = c + a, c = 3 b, b = 2 a (a long and a short path from a)", d)


def random_graph(size: int = 40, seed: int = 8) -> Graph:
    """A random graph of `size` nodes, each computed from one to three earlier ones."""
    rng = np.random.default_rng(seed)
    nodes = [named("n0", 1.0), named("n1", 1.0)]
    for k in range(2, size):
        picks = rng.choice(k, size=min(k, int(rng.integers(1, 4))), replace=False)
        parents = [nodes[int(i)] for i in sorted(picks, reverse=True)]
        nodes.append(named(f"n{k}", 1.0, parents, rng.uniform(-1.0, 1.0, len(parents))))
    return Graph(
        f"a random graph of {size} nodes, each computed from one to three others", nodes[-1]
    )


def chain_graph(steps: int = CHAIN_STEPS) -> Graph:
    """v0 -> v1 -> ... -> v<steps>, each step multiplying by 1.0001."""
    node = named("v0", 1.0)
    nodes = [node]
    for k in range(1, steps + 1):
        node = named(f"v{k}", 1.0, [node], [1.0001])
        nodes.append(node)
    return Graph(f"the {steps:,}-step chain v0 -> v1 -> ... -> v{steps}", node, nodes[::-1])


def array_graph() -> Graph:
    """x (3 numbers) feeds u = x + x twice (each share is g itself); y = u * w."""
    w = np.array([1.0, -2.0, 0.5])
    x = named("x", np.array([0.1, 0.2, 0.3]))
    u = Node(2 * x.value, (x, x), (lambda g: g, lambda g: g))
    u.name = "u"
    y = named("y", u.value * w, [u], [w])
    return Graph("the array graph y = (x + x) * w with x and w of shape (3,)", y)


# -- checks of primitive -------------------------------------------------------------------------

PRIMITIVE_HINT = (
    "wrapped(*args) computes fun on the arguments' values, and records a Node when some of "
    "them are Traced."
)
PRIMITIVE_ROUTE = (
    "find the highest level among the Traced arguments; replace those arguments by their "
    "values; call the wrapped function (not fun) on that list; then give the result a Node at "
    "that level whose parents are those arguments' nodes and whose vjps call each one's rule "
    "with g, the result and the list of values."
)


def leaf(name: str, value: Any, engine: SimpleNamespace, level: int) -> Any:
    """A Traced input called `name` at `level`: a start of the graph."""
    node = Node(value, level=level)
    node.name = name
    return engine.Traced(value, node)


def _plain(value: Any, engine: SimpleNamespace) -> Any:
    while isinstance(value, engine.Traced):
        value = value.value
    return value


VJPS_HINT = "each vjp is a function of g alone, which calls its argument's rule."


def _expect_call(
    out: Any,
    engine: SimpleNamespace,
    on: str,
    *,
    level: int,
    value: float,
    parents: tuple,
    shares: tuple,
    hints: dict[str, str] | None = None,
) -> None:
    """The result of one call: Traced at `level`, its value, its node's parents and vjps(1.0)."""
    hints = hints or {}
    expect(
        isinstance(out, engine.Traced),
        on=on,
        expected="a Traced result",
        got=format_value(out),
        hint="a Traced argument makes a Traced result, whose Node records the call so that the "
        "backward pass can follow it.",
        route=PRIMITIVE_ROUTE,
    )
    expect(
        out.level == level and getattr(out.node, "level", None) == level,
        on=on,
        expected=f"the result and its node at level {level}",
        got=f"level {out.level} (node at level {getattr(out.node, 'level', None)})",
        hint="the result is Traced at the highest level among the Traced arguments.",
        route=PRIMITIVE_ROUTE,
    )
    expect(
        not isinstance(out.value, engine.Traced) or level > out.value.level,
        on=on,
        expected="a value at a lower level than the result",
        got=format_value(out.value),
        hint="unwrap the arguments of the result's own level before calling the function again.",
    )
    expect(
        matches(_plain(out.value, engine), value, rtol=1e-12)
        and matches(_plain(getattr(out.node, "value", None), engine), value, rtol=1e-12),
        on=on,
        expected=f"the value {format_value(value)}, kept by the result and its node",
        got=f"{format_value(out.value)} and {format_value(getattr(out.node, 'value', None))}",
        hint="the value is the function of the unwrapped arguments; the node keeps it too (ans).",
        route=PRIMITIVE_ROUTE,
    )
    got_parents = tuple(getattr(out.node, "parents", ()))
    expect(
        len(got_parents) == len(parents) and all(a is b.node for a, b in zip(got_parents, parents)),
        on=on,
        expected=f"the node's parents ({_names(p.node for p in parents)})",
        got=f"({_names(got_parents)})",
        hint=hints.get(
            "parents",
            "the parents are the nodes of the Traced arguments at the result's level, in the "
            "order of the arguments, once per argument.",
        ),
        route=PRIMITIVE_ROUTE,
    )
    vjps = tuple(getattr(out.node, "vjps", ()))
    expect(
        len(vjps) == len(parents),
        on=on,
        expected=f"{len(parents)} vjps, one per parent",
        got=f"{len(vjps)}",
        hint="vjps is aligned with parents: one function of g for each parent.",
        route=PRIMITIVE_ROUTE,
    )
    got_shares = tuple(
        _plain(call_student(vjp, 1.0, on=on + ", its vjps at g = 1", hint=VJPS_HINT), engine)
        for vjp in vjps
    )
    if not matches(got_shares, shares, rtol=1e-12):
        expect_close(
            got_shares,
            shares,
            on=on + ", its vjps at g = 1",
            hint=hints.get(
                "shares",
                "the vjp of parent k calls the rule of the argument that parent came from, with "
                "g, the result's value and the unwrapped arguments.",
            ),
            route=PRIMITIVE_ROUTE,
        )


@exercise_check(
    "primitive",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="the sheet's Node and Traced classes and plain Python", blocked=LIBRARY_ENGINE
    ),
)
def primitive(student: Callable) -> str:
    """What a primitive records, call by call; then the library's tests through it."""
    engine = build_engine(primitive=student)
    with engine_names_in(student, engine):
        multiply = call_student(
            student,
            np.multiply,
            lambda g, ans, x, y: g * y,
            lambda g, ans, x, y: g * x,
            on="multiply = primitive(np.multiply, rule_x, rule_y)",
            hint="primitive(fun, *vjps) returns the wrapped function.",
        )
        expect(
            callable(multiply),
            on="multiply = primitive(np.multiply, rule_x, rule_y)",
            expected="a function",
            got=format_value(multiply),
            hint="primitive(fun, *vjps) returns the wrapped function.",
        )
        on = "multiply(2.0, 3.0), no Traced argument"
        got = call_student(multiply, 2.0, 3.0, on=on, hint=PRIMITIVE_HINT)
        expect(
            not isinstance(got, engine.Traced) and matches(got, 6.0),
            on=on,
            expected="the plain value 6",
            got=format_value(got),
            hint="with no Traced argument there is nothing to record: the result is fun's value.",
        )
        low, high = new_level(), new_level()
        x, y = leaf("x", 2.0, engine, low), leaf("y", 4.0, engine, low)
        on = f"multiply(x, 5.0), x Traced at level {low} with value 2"
        _expect_call(
            call_student(multiply, x, 5.0, on=on, hint=PRIMITIVE_HINT),
            engine,
            on,
            level=low,
            value=10.0,
            parents=(x,),
            shares=(5.0,),
        )
        on = f"multiply(3.0, x), x Traced at level {low} with value 2"
        _expect_call(
            call_student(multiply, 3.0, x, on=on, hint=PRIMITIVE_HINT),
            engine,
            on,
            level=low,
            value=6.0,
            parents=(x,),
            shares=(3.0,),
            hints={
                "shares": "x is argument 1 of this call, so its vjp applies the rule of argument "
                "1; each parent's rule is the rule of the argument it came from, not of its "
                "place among the parents."
            },
        )
        on = f"multiply(x, y), x = 2 and y = 4 Traced at level {low}"
        _expect_call(
            call_student(multiply, x, y, on=on, hint=PRIMITIVE_HINT),
            engine,
            on,
            level=low,
            value=8.0,
            parents=(x, y),
            shares=(4.0, 2.0),
            hints={
                "shares": "each parent's vjp must call the rule of its own argument; here they "
                "do not (a function made inside a loop sees the loop's variable as it is when the "
                "loop has ended, unless it keeps its own copy)."
            },
        )
        on = f"multiply(x, x), x = 2 Traced at level {low}"
        _expect_call(
            call_student(multiply, x, x, on=on, hint=PRIMITIVE_HINT),
            engine,
            on,
            level=low,
            value=4.0,
            parents=(x, x),
            shares=(2.0, 2.0),
        )
        outer = leaf("z", 1.5, engine, high)
        on = f"multiply(x, z), x = 2 at level {low} and z = 1.5 at the higher level {high}"
        out = call_student(
            multiply,
            x,
            outer,
            on=on,
            hint="x, at the lower level, is still Traced among the unwrapped arguments: NumPy's "
            "function cannot take it, but the wrapped function can.",
            route=PRIMITIVE_ROUTE,
        )
        _expect_call(
            out,
            engine,
            on,
            level=high,
            value=3.0,
            parents=(outer,),
            shares=(2.0,),
            hints={
                "parents": f"only the arguments at the highest level ({high}) belong to this "
                "node; x, at a lower level, stays Traced inside the unwrapped arguments, and the "
                "call on those records it at its own level."
            },
        )
        expect(
            isinstance(out.value, engine.Traced)
            and out.value.level == low
            and tuple(out.value.node.parents) == (x.node,),
            on=on,
            expected=f"the result's value Traced at x's level {low}, with x's node as parent",
            got=format_value(out.value),
            hint="the unwrapped arguments still hold x, Traced at its own level: calling the "
            "wrapped function (not fun) on them records x's part at x's level.",
            route=PRIMITIVE_ROUTE,
        )
        sin = call_student(
            student, np.sin, lambda g, ans, x: g * engine.cos(x), on="primitive(np.sin, rule)"
        )
        inner = leaf("w", 0.5, engine, low)
        wrapped = engine.Traced(inner, Node(inner, level=high))
        wrapped.node.name = "W"
        on = f"sin(W), W Traced at level {high} holding w = 0.5 Traced at level {low}"
        got = call_student(
            sin,
            wrapped,
            on=on,
            hint="the unwrapped value is itself Traced at a lower level: NumPy's function cannot "
            "take it, but the wrapped function can.",
            route=PRIMITIVE_ROUTE,
        )
        _expect_call(
            got,
            engine,
            on,
            level=high,
            value=np.sin(0.5),
            parents=(wrapped,),
            shares=(np.cos(0.5),),
        )
    run_library_tests(student, "primitive")
    return (
        "records the right value, parents, rules and level on 7 calls (nested levels included), "
        "and the library's tests pass through it."
    )


# -- checks of toposort --------------------------------------------------------------------------


def _preorder(end: Node) -> list[Node]:
    """Each node as soon as a path first reaches it, depth first: a likely mistake."""
    order, seen, stack = [], set(), [end]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            order.append(node)
            stack.extend(reversed(node.parents))
    return order


def _names(nodes: Iterable[Any]) -> str:
    return ", ".join(getattr(node, "name", "") or repr(node) for node in nodes)


TOPOSORT_ROUTE = (
    "a node may be listed only once every node computed from it has been: list each node after "
    "its parents (a post-order, with your own stack of nodes still to finish) and reverse the "
    "list at the end; or count each node's children inside the graph and hand a node out when "
    "that count falls to zero."
)


def expect_topological(got: Any, graph: Graph, on: str) -> None:
    """`got` lists every node reached from the end node once, the end node first, each node
    before all of its parents."""
    try:
        order = list(got)
    except TypeError:
        raise CheckFailed(
            f"{on}: expected a list of nodes, got {format_value(got)}",
            "toposort returns a list of the graph's nodes.",
        ) from None
    members = {id(node) for node in graph.nodes}
    strangers = [item for item in order if id(item) not in members]
    expect(
        not strangers,
        on=on,
        expected="only nodes of the graph (the Node objects themselves)",
        got=format_value(strangers[0]) if strangers else "",
        hint="list the Node objects reached from end_node, not their values or names.",
    )
    expect(
        bool(order) and order[0] is graph.end,
        on=on,
        expected=f"the list to start at the end node {graph.end.name}",
        got=f"it starting at {_names(order[:1]) or 'nothing (an empty list)'}",
        hint="the order runs from the end node towards the inputs: the end node comes first, "
        "since every other node is one of its ancestors.",
        route=TOPOSORT_ROUTE,
    )
    places: dict[int, int] = {}
    for place, node in enumerate(order):
        if id(node) in places:
            raise CheckFailed(
                f"{on}: expected each node once, got {node.name} {sum(n is node for n in order)} "
                "times",
                f"{node.name} is reached along several paths (it feeds "
                f"{' and '.join(graph.children(node))}); a node met again must not be listed "
                "again.",
                TOPOSORT_ROUTE,
            )
        places[id(node)] = place
    missing = [node for node in graph.nodes if id(node) not in places]
    expect(
        not missing,
        on=on,
        expected=f"all {len(graph.nodes)} nodes reached from {graph.end.name}",
        got=f"{len(order)} ({_names(missing[:3])}{' ...' if len(missing) > 3 else ''} missing)",
        hint="every node the end node depends on belongs in the list, however far back it is.",
        route=TOPOSORT_ROUTE,
    )
    for child in order:
        for parent in child.parents:
            if places[id(parent)] < places[id(child)]:
                hint = (
                    f"{parent.name} feeds {' and '.join(graph.children(parent))}, so it may only "
                    f"come after all of them; your order has it before {child.name}"
                )
                if [id(n) for n in order] == [id(n) for n in _preorder(graph.end)]:
                    hint += (
                        ". Listing each node as soon as a path first reaches it (depth first) "
                        "lists it before its other children"
                    )
                raise CheckFailed(
                    f"{on}: expected {child.name} before {parent.name}, since {child.name} is "
                    f"computed from {parent.name}; got {parent.name} at place "
                    f"{places[id(parent)] + 1} and {child.name} at place {places[id(child)] + 1}",
                    hint + ".",
                    TOPOSORT_ROUTE,
                )


TOPOSORT_GRAPHS = (
    lambda: Graph("a single node x", named("x", 1.0)),
    diamond_graph,
    fan_out_graph,
    seed_graph,
    two_paths_graph,
    random_graph,
)


@exercise_check(
    "toposort",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="plain Python: a list, a set or a dict, and a loop (no recursion)",
        blocked=LIBRARY_ENGINE,
    ),
)
def toposort(student: Callable) -> str:
    """Every node reached from the end node, once each, each before all of its parents."""
    hint = "toposort(end_node) follows the parents of each node, starting at end_node."
    for make_graph in (*TOPOSORT_GRAPHS, chain_graph):
        graph = make_graph()
        on = graph.description
        got = call_student(student, graph.end, on=on, hint=hint, route=TOPOSORT_ROUTE)
        expect_topological(got, graph, on)
    run_library_tests(student, "toposort", steps=False)
    return (
        f"a topological order on {len(TOPOSORT_GRAPHS) + 1} graphs, the {CHAIN_STEPS:,}-step "
        "chain included, and the library's tests pass with your sort inside the engine."
    )


# -- checks of backward_pass ---------------------------------------------------------------------

BACKWARD_ROUTE = (
    "start from {end_node: g}; take the nodes in toposort's order (the end node first); each "
    "node hands vjp(its adjoint) to each parent, which adds it to what it has received so far."
)


def _same_or_copy(g: Any) -> Any:
    return np.array(g) if isinstance(g, np.ndarray) else g


def expect_adjoints(got: Any, expected: dict[Node, Any], graph: Graph, g: Any, on: str) -> None:
    """`got` maps every node reached to its adjoint; the first wrong one gets a hint aimed at it."""
    if not isinstance(got, dict):
        raise CheckFailed(
            f"{on}: expected a dict from node to adjoint, got {format_value(got)}",
            "backward_pass returns a dictionary whose keys are Nodes and whose values are their "
            "adjoints.",
        )
    for node in graph.nodes:  # in topological order: the first wrong adjoint is where it went wrong
        expect(
            node in got,
            on=on,
            expected=f"an adjoint for {node.name}",
            got=f"a dict without it ({len(got)} entries)",
            hint="return the adjoint of every node reached from end_node: the end node, the "
            "nodes in between and the inputs.",
            route=BACKWARD_ROUTE,
        )
        if matches(got[node], expected[node], rtol=TOLERANCE, atol=TOLERANCE):
            continue
        expect_close(
            got[node],
            expected[node],
            on=on,
            what=f"{node.name}_bar",
            hint=_adjoint_hint(node, got, expected, graph),
            route=BACKWARD_ROUTE,
            rtol=TOLERANCE,
            atol=TOLERANCE,
        )


def _adjoint_hint(node: Node, got: dict, expected: dict, graph: Graph) -> str:
    """What most likely made `node`'s adjoint wrong, in words."""
    if node is graph.end:
        return "the end node's adjoint is g itself, the cotangent passed in."
    shared = [other for other in got if other is not node and got[other] is got[node]]
    if shared and isinstance(got[node], np.ndarray):
        return (
            f"{node.name} and {shared[0].name} hold the very same array: adding into an array in "
            "place changes it for every node that holds it. Add into a new value."
        )
    shares = [
        vjp(expected[child])
        for child in graph.nodes
        for parent, vjp in zip(child.parents, child.vjps)
        if parent is node
    ]
    children = graph.children(node)
    if len(shares) > 1:
        partial_sums = [sum(shares[:k]) for k in range(1, len(shares))] + shares
        if any(matches(got[node], s, rtol=1e-9) for s in partial_sums):
            both = "both" if len(shares) == 2 else f"all {len(shares)}"
            return (
                f"{node.name} feeds {'both ' if len(shares) == 2 else ''}"
                f"{' and '.join(children)}; its adjoint must be the sum of {both} contributions, "
                "not one of them."
            )
    return (
        f"{node.name}'s adjoint was passed on, or read, before it was complete: it is complete "
        f"only once every node computed from it ({', '.join(children)}) has added its share, "
        "which the order of toposort guarantees."
    )


def _backward_cases() -> list[tuple[Graph, Any]]:
    return [
        (seed_graph(), 1.0),
        (fan_out_graph(), 1.0),
        (diamond_graph(), 1.0),
        (seed_graph(), 2.5),
        (array_graph(), np.array([1.0, 2.0, -1.0])),
        (random_graph(), 1.0),
        (chain_graph(), 1.0),
    ]


@exercise_check(
    "backward_pass",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="your toposort, each node's vjps and a dict of adjoints",
        blocked=LIBRARY_ENGINE,
    ),
)
def backward_pass(student: Callable) -> str:
    """The adjoint of every node reached, contributions of several children summed."""
    reference = build_engine()
    engine = build_engine(backward_pass=student)
    hint = (
        "a node's adjoint was needed before it had one: when a node's turn comes, every node "
        "computed from it must already have handed over its share, as in toposort's order, from "
        "the end node towards the inputs."
    )
    cases = _backward_cases()
    with engine_names_in(student, engine):
        for graph, g in cases:
            on = f"{graph.description}, g = {format_value(g)}"
            expected = reference.backward_pass(_same_or_copy(g), graph.end)
            given = _same_or_copy(g)
            got = call_student(student, given, graph.end, on=on, hint=hint, route=BACKWARD_ROUTE)
            expect_adjoints(got, expected, graph, g, on)
    run_library_tests(student, "backward_pass", steps=False)
    return (
        f"right adjoints on {len(cases)} graphs (fan-out, diamond, arrays, the "
        f"{CHAIN_STEPS:,}-step chain), and the library's tests pass with it inside the engine."
    )


# -- the library's tests, run with one part of the engine the student's -------------------------


@functools.cache
def library_answers() -> dict[str, Any]:
    """What the library computes for every test of the battery (computed once)."""
    from autodidact import grad

    return {name: test(library_namespace(), grad) for name, test in TESTS.items()}


TEST_HINTS = {
    "primitive": "your primitive records something the backward pass cannot follow here",
    "toposort": "with your order inside the engine, the backward pass computes a wrong "
    "derivative here",
    "backward_pass": "with your backward pass inside the engine, this derivative comes out wrong",
    "make_vjp": "grad built on your make_vjp gives a wrong derivative here",
    "grad": "your grad gives a wrong derivative here",
}
# Where a nested derivative (a derivative inside a derivative) goes wrong, part by part.
NESTED_HINTS = {
    "primitive": "inside a nested derivative, an argument of a lower level must stay Traced in "
    "the values your primitive unwraps, so that its own level records it",
    "toposort": "a nested derivative's graph holds Traced values; your order must still cover "
    "every node reached, each once, before its parents",
    "backward_pass": "inside a nested derivative the adjoints are Traced values of the outer "
    "trace; they must be added with +, so that the outer trace records the sum",
    "make_vjp": "a derivative inside a derivative needs each trace at a level of its own, the "
    "inner one above the outer (a fresh one from new_level), and the inner vjp's result must be "
    "returned as it is, Traced by the outer trace",
    "grad": "grad(grad(f)) hands grad a Traced x and needs the derivative back as a Traced "
    "value of the outer trace: return what vjp gives, as it is",
}
# Where a test stops with an error, part by part (nested tests get the hints above).
CRASH_HINTS = {
    "primitive": "inside the engine the wrapped function meets plain numbers, arrays and Traced "
    "values together, and must take any mix of them",
    "toposort": "your toposort stopped on a graph the engine recorded",
    "backward_pass": "inside the engine the adjoints are numbers, arrays or Traced values; "
    "combine them with +, which works for all of them",
    "make_vjp": "inside the engine x may be an array, and fun's output an array, a number or "
    "a value that does not depend on x",
    "grad": "grad(fun)(x) returns the adjoint that vjp gives, as it is: an array shaped like x "
    "for an array x, a Traced value inside a nested derivative",
}
NESTED_TESTS = ("third derivative of tanh", "nested trace is told apart", "perturbation confusion")


def run_library_tests(student: Callable, part: str, *, steps: bool = True) -> None:
    """The battery's tests on the reference engine with the student's `part`, against the
    library to 1e-12 (without the 10,000-step chain when `steps` is False)."""
    engine = build_engine(**{part: student})
    names = ("sin", "cos", "exp", "log", "tanh", "total", "matmul")
    np_ = SimpleNamespace(**{name: getattr(engine, name) for name in names})
    expected = library_answers()
    with engine_names_in(student, engine):
        for name, test in TESTS.items():
            if name == "10,000-step chain" and not steps:
                continue
            on = f"the library's test '{name}' ({test.__doc__.splitlines()[0].rstrip('.')})"
            nested = name in NESTED_TESTS
            hint = (NESTED_HINTS if nested else TEST_HINTS)[part] + "."
            crash = (NESTED_HINTS if nested else CRASH_HINTS)[part] + "."
            got = call_student(lambda test=test: test(np_, engine.grad), on=on, hint=crash)
            expect_close(got, expected[name], on=on, hint=hint, rtol=TOLERANCE, atol=TOLERANCE)


# -- checks of make_vjp --------------------------------------------------------------------------

MAKE_VJP_ROUTE = (
    "make a start Node for x at a fresh level (new_level()), call fun on x Traced with it; if the "
    "output is Traced at that level, vjp(g) runs the backward pass from the output's node and "
    "reads the start node's adjoint, and ans is the output's value; otherwise x's adjoint is zero."
)


@exercise_check(
    "make_vjp",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="Node, Traced, new_level and your backward_pass", blocked=LIBRARY_ENGINE
    ),
)
def make_vjp(student: Callable) -> str:
    """(vjp, ans) with vjp(g) the adjoint of x, zeros when fun's output does not depend on x."""
    import autodidact.numpy as anp
    from autodidact import make_vjp as library_make_vjp

    engine = build_engine(make_vjp=student)
    with engine_names_in(student, engine):
        value = np.log(2.0) + 10.0 - np.sin(5.0)
        on = "make_vjp(f, 2.0), f(x1) = ln(x1) + 5 x1 - sin(5) (the seed example's y at x2 = 5)"
        got = call_student(
            student,
            lambda x1: engine.log(x1) + x1 * 5.0 - engine.sin(5.0),
            2.0,
            on=on,
            hint="make_vjp(fun, x) traces fun at x once and returns a pair.",
        )
        swapped = isinstance(got, tuple) and len(got) == 2 and callable(got[1])
        expect(
            isinstance(got, tuple) and len(got) == 2 and callable(got[0]),
            on=on,
            expected="a pair (vjp, ans)",
            got=format_value(got),
            hint="the function comes first, then the value: (vjp, ans)."
            if swapped
            else "return two things: the function vjp, and the value of fun at x.",
        )
        vjp, ans = got
        expect(
            not isinstance(ans, engine.Traced) and matches(ans, value, rtol=1e-12),
            on=on,
            expected=f"ans = f(2) = {format_value(value)}, a plain number",
            got=format_value(ans),
            hint="ans is the value of fun(x), taken out of the Traced that wraps it at this "
            "trace's level.",
            route=MAKE_VJP_ROUTE,
        )
        for g in (1.0, 2.0):
            on_g = f"{on}, vjp({g})"
            got = call_student(vjp, g, on=on_g, route=MAKE_VJP_ROUTE)
            hint = "vjp(g) is g times dy/dx1 = 5 + 1/2: the adjoint the backward pass gives x."
            if g == 2.0 and matches(got, 5.5):
                hint = "vjp(g) scales with g: the backward pass starts from g, not from 1."
            elif isinstance(got, dict):
                hint = "vjp(g) returns one adjoint, x's, not the whole dictionary."
            expect_close(got, 5.5 * g, on=on_g, hint=hint, route=MAKE_VJP_ROUTE, rtol=1e-12)

        rng = np.random.default_rng(8)
        x, w, b = (
            rng.standard_normal((3, 1)),
            rng.standard_normal(4),
            rng.standard_normal((2, 1, 1)),
        )
        G = rng.standard_normal((2, 3, 4))
        expected = library_make_vjp(lambda x: anp.tanh(x * w + b))(x)[0](G)
        on = "make_vjp(f, x), f(x) = tanh(x * w + b) with x (3, 1), w (4,), b (2, 1, 1), vjp(G)"
        got = call_student(
            student, lambda x: engine.tanh(x * w + b), x, on=on, route=MAKE_VJP_ROUTE
        )
        got = call_student(got[0], G, on=on, route=MAKE_VJP_ROUTE)
        expect_close(
            got,
            expected,
            on=on,
            rtol=TOLERANCE,
            atol=TOLERANCE,
            hint="vjp(G) is the adjoint of x for the output's cotangent G, shaped like x.",
            route=MAKE_VJP_ROUTE,
        )

        zero_hint = (
            "when fun's output does not depend on x, x's adjoint is zero: an array of zeros "
            "shaped like x (never None)."
        )
        for x, constant, g, text in (
            (2.0, 3.0, 1.0, "make_vjp(f, 2.0), f(x) = 3.0 (no x in it), vjp(1.0)"),
            (np.ones(3), np.ones(2), np.ones(2), "make_vjp(f, x), x of shape (3,), f(x) = [1, 1]"),
        ):
            got = call_student(student, lambda x, c=constant: c, x, on=text, hint=zero_hint)
            expect(
                isinstance(got, tuple) and len(got) == 2 and matches(got[1], constant),
                on=text,
                expected=f"(vjp, {format_value(constant)})",
                got=format_value(got),
                hint="ans is fun's output, even when it is not Traced.",
            )
            got = call_student(got[0], g, on=text, hint=zero_hint)
            if got is None:
                raise CheckFailed(f"{text}: expected zeros shaped like x, got None", zero_hint)
            expect_close(got, np.zeros(np.shape(x)), on=text, hint=zero_hint)
    run_library_tests(student, "make_vjp")
    return (
        "(vjp, ans) right on a scalar, a broadcast array and constant outputs, and the library's "
        "tests pass with your make_vjp inside the engine, nested derivatives included."
    )


# -- checks of grad ------------------------------------------------------------------------------


@exercise_check(
    "grad",
    sheet=SHEET,
    shortcuts=Shortcuts(allowed="your make_vjp", blocked=LIBRARY_ENGINE),
)
def grad(student: Callable) -> str:
    """grad(fun)(x) = dfun/dx for a scalar output, nestable."""
    engine = build_engine(grad=student)
    with engine_names_in(student, engine):
        on = "grad(f)(2.0), f(x1) = ln(x1) + 5 x1 - sin(5)"
        gradient = call_student(
            student,
            lambda x1: engine.log(x1) + x1 * 5.0 - engine.sin(5.0),
            on=on,
            hint="grad(fun) returns a function of x.",
        )
        expect(
            callable(gradient),
            on=on,
            expected="a function of x",
            got=format_value(gradient),
            hint="grad(fun) returns a function; that function returns the derivative at x.",
        )
        got = call_student(gradient, 2.0, on=on)
        hint = "grad(f)(x) is the adjoint of x for the cotangent 1 of the scalar output."
        if matches(got, np.log(2.0) + 10.0 - np.sin(5.0)):
            hint = "that is f(2), the value; grad(f)(x) is the derivative."
        expect_close(got, 5.5, on=on, hint=hint, rtol=1e-12)
    run_library_tests(student, "grad")
    return (
        "right on the seed example, and the library's tests pass with your grad, nested included."
    )
