"""The checks of sheet 08 pass the solutions, and fail the stubs, wrong answers and shortcuts.

The wrong answers below are written the way a student would write them in the sheet: they
use the sheet's names (`Traced`, `Node`, `new_level`, `toposort`, `backward_pass`,
`make_vjp`), which this module defines from a reference engine. While a check runs, those
names point to the engine the check builds, exactly as they do in a student's notebook.
"""

from __future__ import annotations

import numpy as np
import pytest

from autodidact.course.checking import run_check
from autodidact.course.engine_battery import TESTS, battery_rows
from autodidact.course.reference_engine import SHEET_NAMES, build_engine
from autodidact.course.verdicts import FAIL, PASS

from .both_ways import SheetFunctions, Shortcut, Wrong, both_ways
from .conftest import REPO, sheet_functions

SHEET = "08_build_the_engine"
EXERCISES = ["primitive", "toposort", "backward_pass", "make_vjp", "grad"]
SOLUTIONS = SheetFunctions(REPO / "solutions" / f"{SHEET}.ipynb", EXERCISES)

# The sheet's names, as a student's notebook has them (each check points them elsewhere).
_engine = build_engine()
Node, Traced, new_level = _engine.Node, _engine.Traced, _engine.new_level
toposort, backward_pass, make_vjp = _engine.toposort, _engine.backward_pass, _engine.make_vjp


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- primitive ----------------------------------------------------------------------------------


def primitive_unwraps_every_level(fun, *vjps):
    """Levels ignored: every Traced argument is unwrapped and made a parent, whatever its level."""

    def wrapped(*args):
        traced = [i for i, arg in enumerate(args) if isinstance(arg, Traced)]
        if not traced:
            return fun(*args)
        level = max(args[i].level for i in traced)
        values = [arg.value if i in traced else arg for i, arg in enumerate(args)]
        ans = wrapped(*values)
        parents = tuple(args[i].node for i in traced)
        rules = tuple(lambda g, rule=vjps[i]: rule(g, ans, *values) for i in traced)
        return Traced(ans, Node(ans, parents, rules, level))

    return wrapped


def primitive_late_binding(fun, *vjps):
    """Each vjp looks its rule up when it is called: all of them find the last argument's."""

    def wrapped(*args):
        levels = [arg.level for arg in args if isinstance(arg, Traced)]
        if not levels:
            return fun(*args)
        level = max(levels)
        mine = [i for i, a in enumerate(args) if isinstance(a, Traced) and a.level == level]
        values = [arg.value if i in mine else arg for i, arg in enumerate(args)]
        ans = wrapped(*values)
        rules = tuple(lambda g: vjps[i](g, ans, *values) for i in mine)  # noqa: B023
        return Traced(ans, Node(ans, tuple(args[i].node for i in mine), rules, level))

    return wrapped


def primitive_rules_by_parent_place(fun, *vjps):
    """Parent k gets the rule of argument k, not of the argument it came from."""

    def wrapped(*args):
        levels = [arg.level for arg in args if isinstance(arg, Traced)]
        if not levels:
            return fun(*args)
        level = max(levels)
        mine = [i for i, a in enumerate(args) if isinstance(a, Traced) and a.level == level]
        values = [arg.value if i in mine else arg for i, arg in enumerate(args)]
        ans = wrapped(*values)
        rules = tuple(lambda g, rule=vjps[k]: rule(g, ans, *values) for k in range(len(mine)))
        return Traced(ans, Node(ans, tuple(args[i].node for i in mine), rules, level))

    return wrapped


def primitive_calls_fun_directly(fun, *vjps):
    """Calls the NumPy function on the unwrapped values, where lower-level Traced values remain."""

    def wrapped(*args):
        levels = [arg.level for arg in args if isinstance(arg, Traced)]
        if not levels:
            return fun(*args)
        level = max(levels)
        mine = [i for i, a in enumerate(args) if isinstance(a, Traced) and a.level == level]
        values = [arg.value if i in mine else arg for i, arg in enumerate(args)]
        ans = fun(*values)
        rules = tuple(lambda g, rule=vjps[i]: rule(g, ans, *values) for i in mine)
        return Traced(ans, Node(ans, tuple(args[i].node for i in mine), rules, level))

    return wrapped


def primitive_by_the_library(fun, *vjps):
    import autodidact

    wrapped = autodidact.primitive(fun)
    autodidact.defvjp(wrapped, *vjps)
    return wrapped


# --- toposort -----------------------------------------------------------------------------------


def toposort_depth_first_preorder(end_node):
    """A node as soon as a path first reaches it, then its parents: wrong on a diamond."""
    order, seen, stack = [], set(), [end_node]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            order.append(node)
            stack.extend(reversed(node.parents))
    return order


def toposort_recursive(end_node):
    """Right, but recursive: a 10,000-step chain is deeper than Python lets a recursion go."""
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)

    visit(end_node)
    return order[::-1]


def toposort_without_seen(end_node):
    """Forgets which nodes it has listed: a node reached twice is listed twice."""
    order, stack = [], [(end_node, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    return order[::-1]


def toposort_not_reversed(end_node):
    """Parents before children: the order of the forward pass, not of the backward one."""
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
    return order


def toposort_by_the_library(end_node):
    from autodidact.reverse import toposort as library_toposort

    return list(library_toposort([end_node]))


# --- backward_pass ------------------------------------------------------------------------------


def backward_pass_overwrites(g, end_node):
    """= instead of adding: a node with several children keeps one share."""
    adjoints = {end_node: g}
    for node in toposort(end_node):
        for parent, vjp in zip(node.parents, node.vjps):
            adjoints[parent] = vjp(adjoints[node])
    return adjoints


def backward_pass_adds_in_place(g, end_node):
    """+= changes an array in place, and that array may be another node's adjoint too."""
    adjoints = {end_node: g}
    for node in toposort(end_node):
        for parent, vjp in zip(node.parents, node.vjps):
            if parent in adjoints:
                adjoints[parent] += vjp(adjoints[node])
            else:
                adjoints[parent] = vjp(adjoints[node])
    return adjoints


def backward_pass_parents_first(g, end_node):
    """Walks the order backwards: the inputs first, before they have received anything."""
    adjoints = {end_node: g}
    for node in reversed(toposort(end_node)):
        for parent, vjp in zip(node.parents, node.vjps):
            adjoints[parent] = adjoints.get(parent, 0.0) + vjp(adjoints[node])
    return adjoints


def backward_pass_reads_missing_as_zero(g, end_node):
    """Walks the order backwards, and reads an adjoint not received yet as 0."""
    adjoints = {end_node: g}
    for node in reversed(toposort(end_node)):
        for parent, vjp in zip(node.parents, node.vjps):
            adjoints[parent] = adjoints.get(parent, 0.0) + vjp(adjoints.get(node, 0.0))
    return adjoints


def backward_pass_ignores_g(g, end_node):
    """Seeds the end node with 1 whatever g is."""
    adjoints = {end_node: 1.0}
    for node in toposort(end_node):
        for parent, vjp in zip(node.parents, node.vjps):
            adjoints[parent] = adjoints.get(parent, 0.0) + vjp(adjoints[node])
    return adjoints


def backward_pass_inputs_only(g, end_node):
    """Returns only the inputs' adjoints, as the library's backward pass does."""
    adjoints = {end_node: g}
    for node in toposort(end_node):
        for parent, vjp in zip(node.parents, node.vjps):
            adjoints[parent] = adjoints.get(parent, 0.0) + vjp(adjoints[node])
    return {node: value for node, value in adjoints.items() if not node.parents}


def backward_pass_by_the_library(g, end_node):
    from autodidact import reverse

    return reverse.backward_pass([(end_node, g)])


# --- make_vjp -----------------------------------------------------------------------------------


def make_vjp_same_level_every_time(fun, x):
    """Levels ignored: every trace at level 1, so a trace inside another one is confused with it."""
    start = Node(x, level=1)
    out = fun(Traced(x, start))
    if not (isinstance(out, Traced) and out.level == start.level):
        return (lambda g: np.zeros(np.shape(x))), out
    return (lambda g: backward_pass(g, out.node)[start]), out.value


def make_vjp_none_when_not_traced(fun, x):
    """An input the output does not reach gets None instead of zeros."""
    start = Node(x, level=new_level())
    out = fun(Traced(x, start))
    if not (isinstance(out, Traced) and out.level == start.level):
        return (lambda g: None), out
    return (lambda g: backward_pass(g, out.node)[start]), out.value


def make_vjp_returns_the_traced_output(fun, x):
    start = Node(x, level=new_level())
    out = fun(Traced(x, start))
    if not (isinstance(out, Traced) and out.level == start.level):
        return (lambda g: np.zeros(np.shape(x))), out
    return (lambda g: backward_pass(g, out.node)[start]), out


def make_vjp_seeds_one(fun, x):
    """Starts every backward pass from 1, whatever g is."""
    start = Node(x, level=new_level())
    out = fun(Traced(x, start))
    if not (isinstance(out, Traced) and out.level == start.level):
        return (lambda g: np.zeros(np.shape(x))), out
    return (lambda g: backward_pass(1.0, out.node)[start]), out.value


def make_vjp_by_the_library(fun, x):
    import autodidact

    return autodidact.make_vjp(fun)(x)


# --- grad ---------------------------------------------------------------------------------------


def grad_converts_to_float(fun):
    """float() breaks arrays and nesting: grad(grad(f)) needs the Traced derivative back."""

    def gradient(x):
        vjp, ans = make_vjp(fun, x)
        return float(vjp(1.0))

    return gradient


def grad_returns_the_value(fun):
    def gradient(x):
        vjp, ans = make_vjp(fun, x)
        return ans

    return gradient


def grad_by_the_library(fun):
    import autodidact

    return autodidact.grad(fun)


WRONG = [
    Wrong("primitive", primitive_unwraps_every_level, "only the arguments at the highest level"),
    Wrong("primitive", primitive_late_binding, "rule of its own argument"),
    Wrong("primitive", primitive_rules_by_parent_place, "argument 1 of this call"),
    Wrong("primitive", primitive_calls_fun_directly, "wrapped function can", crashes=True),
    Wrong("toposort", toposort_depth_first_preorder, "as soon as a path first reaches it"),
    Wrong("toposort", toposort_recursive, "Python allows about a thousand", crashes=True),
    Wrong("toposort", toposort_without_seen, "must not be listed again"),
    Wrong("toposort", toposort_not_reversed, "the end node comes first"),
    Wrong("backward_pass", backward_pass_overwrites, "must be the sum of both contributions"),
    Wrong("backward_pass", backward_pass_adds_in_place, "the very same array"),
    Wrong("backward_pass", backward_pass_parents_first, "needed before it had one", crashes=True),
    Wrong("backward_pass", backward_pass_reads_missing_as_zero, "before it was complete"),
    Wrong("backward_pass", backward_pass_ignores_g, "g itself"),
    Wrong("backward_pass", backward_pass_inputs_only, "every node reached"),
    Wrong("make_vjp", make_vjp_same_level_every_time, "a level of its own"),
    Wrong("make_vjp", make_vjp_none_when_not_traced, "never None"),
    Wrong("make_vjp", make_vjp_returns_the_traced_output, "taken out of the Traced"),
    Wrong("make_vjp", make_vjp_seeds_one, "scales with g"),
    Wrong("grad", grad_converts_to_float, "as it is", crashes=True),
    Wrong("grad", grad_returns_the_value, "that is f(2), the value"),
]

SHORTCUTS = [
    Shortcut("primitive", primitive_by_the_library),
    Shortcut("toposort", toposort_by_the_library),
    Shortcut("backward_pass", backward_pass_by_the_library),
    Shortcut("make_vjp", make_vjp_by_the_library),
    Shortcut("grad", grad_by_the_library),
]

TestBothWays = both_ways(SHEET, SOLUTIONS, stub, WRONG, SHORTCUTS)


# --- the verdicts name the graph and the mistake in words ---------------------------------------


def test_overwriting_names_the_node_with_two_children():
    text = run_check("backward_pass", backward_pass_overwrites).text
    assert text.startswith("backward_pass: FAIL on the seed example y = ln(x1) + x1 x2 - sin(x2)")
    assert "v1 feeds both v3 and v4" in text or "v2 feeds both v4 and v5" in text
    assert "its adjoint must be the sum of both contributions" in text


def test_a_preorder_is_caught_on_the_diamond():
    text = run_check("toposort", toposort_depth_first_preorder).text
    assert "on the diamond d = b * c" in text
    assert "expected c before a, since c is computed from a" in text
    assert "a feeds b and c, so it may only come after all of them" in text


def test_a_recursive_toposort_is_a_recursion_error_on_the_long_chain_not_a_crash():
    verdict = run_check("toposort", toposort_recursive)
    assert verdict.status == FAIL
    assert verdict.detail.startswith("the 10,000-step chain v0 -> v1 -> ... -> v10000: your code")
    assert "RecursionError" in verdict.detail and "the check itself" not in verdict.text


def test_ignoring_levels_is_perturbation_confusion_in_a_nested_derivative():
    text = run_check("make_vjp", make_vjp_same_level_every_time).text
    assert "nested trace is told apart" in text and "expected 1, got 0" in text


def test_the_second_hint_level_gives_the_route():
    verdict = run_check("toposort", toposort_depth_first_preorder, route=True)
    assert "post-order" in verdict.route and "count each node's children" in verdict.route


# --- each check tries one part on its own -------------------------------------------------------


def test_a_check_does_not_lean_on_the_students_other_exercises():
    """backward_pass passes while the sheet's toposort is still a stub, and the names return."""
    namespace = dict(sheet_functions(REPO / "exercises" / f"{SHEET}.ipynb"))
    exec(
        "def backward_pass(g, end_node):\n"
        "    adjoints = {end_node: g}\n"
        "    for node in toposort(end_node):\n"
        "        for parent, vjp in zip(node.parents, node.vjps):\n"
        "            adjoints[parent] = adjoints.get(parent, 0.0) + vjp(adjoints[node])\n"
        "    return adjoints\n",
        namespace,
    )
    before = {name: namespace[name] for name in SHEET_NAMES}
    verdict = run_check("backward_pass", namespace["backward_pass"])
    assert verdict.status == PASS, verdict.text
    assert {name: namespace[name] for name in SHEET_NAMES} == before


def test_the_names_are_restored_when_a_check_fails():
    namespace = dict(globals())
    verdict = run_check("toposort", toposort_depth_first_preorder)
    assert verdict.status == FAIL
    assert all(globals()[name] is namespace[name] for name in ("Node", "Traced", "toposort"))


# --- the solution engine against the library -----------------------------------------------------


@pytest.fixture(scope="module")
def battery():
    namespace = sheet_functions(REPO / "solutions" / f"{SHEET}.ipynb")
    return {row.test: row for row in battery_rows(namespace)}


def test_the_solution_engine_agrees_with_the_library_to_1e_12(battery):
    assert list(battery) == list(TESTS)
    for name in (
        "worked example (both partials)",
        "fan-out sums partial adjoints",
        "diamond graph",
        "10,000-step chain",
        "third derivative of tanh",
    ):
        row = battery[name]
        assert not row.problem, row
        np.testing.assert_allclose(row.engine, row.library, rtol=1e-12, atol=1e-12)
    assert all(row.agrees for row in battery.values())


def test_the_solution_engine_gets_perturbation_confusion_right(battery):
    row = battery["perturbation confusion"]
    assert row.engine == 1.0 and row.library == 1.0
    assert tuple(np.round(battery["worked example (both partials)"].engine, 3)) == (5.5, 1.716)
