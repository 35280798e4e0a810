"""Trace tables: the evaluation trace of a function of scalars, with tangents and adjoints.

    >>> import autodidact.numpy as anp
    >>> def f(x1, x2):
    ...     return anp.log(x1) + x1 * x2 - anp.sin(x2)
    >>> table = trace_table(f, 2.0, 5.0)
    >>> print(table)   # in Jupyter, just `table`: it renders as HTML

One row per value v_i of the computation, in topological order, inputs first
(v1 = x1, v2 = x2, ...). Each row shows the primitive that made the value, its
inputs by name, the value itself, its tangent v_dot_i = dv_i/dt for the input
direction x(t) = x + t d (by default d = e_1, so the tangents are d/dx1), and
its adjoint v_bar_i = dy/dv_i.

Nothing here is computed by a formula typed in for the table. The function is
run once on traced values, which records its graph; the tangents are pushed
forward through that graph with the library's registered JVP rules (forward
mode), and the adjoints are pulled back with its registered VJP rules (reverse
mode). So the table shows exactly what `make_jvp` and `grad` compute.

Rows are numbered layer by layer: a value's layer is the length of the
longest path to it from an input, and values in the same layer keep the
order in which they were computed. That is a topological order, and for
y = ln(x1) + x1 x2 - sin(x2) it is the textbook one (v5 = sin v2 before
v6 = v3 + v4).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

import autodidact.numpy  # noqa: F401  (registers the NumPy boxes and rules)
from autodidact import forward, reverse
from autodidact.tracer import Node, getval, new_box, new_trace_id

__all__ = ["TraceRow", "TraceTable", "trace_table", "format_number", "ReverseStep", "reverse_steps"]

# How a primitive is written in the table: infix symbols for arithmetic, names otherwise.
INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**"}
PREFIX = {"negative": "-"}


def format_number(value: Any, digits: int = 3) -> str:
    """A number rounded to `digits` decimals, without trailing zeros: 10, 0.693, -0.959."""
    if value is None:
        return ""
    value = getval(value)
    if np.ndim(value) != 0:
        return np.array2string(np.asarray(value), precision=digits, separator=", ")
    value = float(np.real(value))
    if not np.isfinite(value):
        return str(value)
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class TracingNode(Node):
    """A graph node that keeps everything: the primitive, its arguments, its value.

    (The library's reverse-mode node may forget values no rule needs; a table
    wants to show them all.)
    """

    __slots__ = ("fun", "value", "args", "kwargs", "parent_argnums", "serial")
    _serials = itertools.count()

    def __init__(self, value, fun, args, kwargs, parent_argnums, parents) -> None:
        self.parents = parents
        self.fun = fun
        self.value = value
        self.args = args
        self.kwargs = kwargs
        self.parent_argnums = parent_argnums
        self.serial = next(self._serials)

    def initialize_root(self, value: Any = None) -> None:
        self.parents = ()
        self.fun = None
        self.value = value
        self.args = ()
        self.kwargs = {}
        self.parent_argnums = ()
        self.serial = next(self._serials)


@dataclass
class TraceRow:
    """One value v_i of the trace.

    `operation` is the primitive's name ("input" for an input), `inputs` the
    names of its arguments (v-names, or the constant itself), `formula` the
    two written together ("v1 * v2", "sin(v2)"), `parents` the indices of the
    rows it was computed from, and `partials` the local derivatives
    dv_i/dv_parent in the same order.
    """

    name: str
    operation: str
    inputs: tuple[str, ...]
    formula: str
    value: float
    tangent: float
    adjoint: float
    parents: tuple[int, ...] = ()
    partials: tuple[float, ...] = ()
    label: str = ""  # what the row is also called: "x1", "y"


@dataclass
class ReverseStep:
    """One step of the backward pass: the row being processed and the adjoints so far.

    `adjoints[i]` is None while row i has received nothing yet; `complete`
    holds the rows whose adjoint is final (every child has been processed).
    """

    current: int
    adjoints: list[float | None]
    complete: frozenset[int]
    message: str


@dataclass
class TraceTable:
    """The trace of one function at one point: rows, and how to show them."""

    rows: list[TraceRow]
    direction: tuple[float, ...]
    input_labels: tuple[str, ...]
    digits: int = 3
    output_label: str = "y"
    columns: tuple[str, ...] = ("v", "operation", "inputs", "value", "tangent", "adjoint")
    _steps: list[ReverseStep] | None = field(default=None, repr=False)

    # -- the numbers ---------------------------------------------------------
    @property
    def values(self) -> list[float]:
        return [row.value for row in self.rows]

    @property
    def tangents(self) -> list[float]:
        return [row.tangent for row in self.rows]

    @property
    def adjoints(self) -> list[float]:
        return [row.adjoint for row in self.rows]

    @property
    def output(self) -> TraceRow:
        return self.rows[-1]

    @property
    def gradient(self) -> list[float]:
        """dy/dx_k for every input, read off the input rows' adjoints."""
        return [row.adjoint for row in self.rows[: len(self.input_labels)]]

    def row(self, name: str) -> TraceRow:
        """The row called `name` ("v3", or a label such as "x1" or "y")."""
        for row in self.rows:
            if name in (row.name, row.label):
                return row
        raise KeyError(f"no row called {name!r}; the rows are {[r.name for r in self.rows]}")

    def reverse_steps(self) -> list[ReverseStep]:
        """The backward pass, one node at a time (see `reverse_steps`)."""
        if self._steps is None:
            self._steps = reverse_steps(self)
        return self._steps

    def select(self, *columns: str) -> TraceTable:
        """The same table showing only `columns` (of v, operation, inputs, formula, value,
        tangent, adjoint), e.g. table.select("v", "formula", "value", "tangent")."""
        known = ("v", "operation", "inputs", "formula", "value", "tangent", "adjoint")
        for column in columns:
            if column not in known:
                raise ValueError(f"unknown column {column!r}; the columns are {known}")
        return replace(self, columns=tuple(columns))

    # -- rendering -------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        direction = self.direction
        unit = [i for i, d in enumerate(direction) if d != 0]
        if len(unit) == 1 and direction[unit[0]] == 1:
            tangent = f"tangent d/d{self.input_labels[unit[0]]}"
        else:
            tangent = "tangent along (" + ", ".join(format_number(d) for d in direction) + ")"
        return {
            "v": "v",
            "operation": "operation",
            "inputs": "inputs",
            "formula": "formula",
            "value": "value",
            "tangent": tangent,
            "adjoint": f"adjoint d{self.output_label}/dv",
        }

    def _cells(
        self, index: int, adjoint: float | None, partial: bool, columns: Sequence[str]
    ) -> list[str]:
        row = self.rows[index]
        name = f"{row.name} = {row.label}" if row.label else row.name
        adjoint_text = format_number(adjoint, self.digits)
        if partial and adjoint is not None:
            adjoint_text += " (so far)"
        cells = {
            "v": name,
            "operation": row.operation,
            "inputs": ", ".join(row.inputs),
            "formula": row.formula,
            "value": format_number(row.value, self.digits),
            "tangent": format_number(row.tangent, self.digits),
            "adjoint": adjoint_text,
        }
        return [cells[column] for column in columns]

    def _state(self, step: ReverseStep | None):
        if step is None:
            return self.adjoints, frozenset(range(len(self.rows))), None
        return step.adjoints, step.complete, step.current

    def to_text(self, step: ReverseStep | None = None, columns: Sequence[str] | None = None) -> str:
        """The table as aligned plain text; with `step`, the adjoints known at that step."""
        columns = tuple(columns or self.columns)
        adjoints, complete, current = self._state(step)
        headers = self._headers()
        table = [[headers[c] for c in columns]]
        for i in range(len(self.rows)):
            table.append(self._cells(i, adjoints[i], i not in complete, columns))
        widths = [max(len(line[k]) for line in table) for k in range(len(columns))]
        numeric = {"value", "tangent", "adjoint"}
        lines = []
        for number, line in enumerate(table):
            parts = [
                cell.rjust(width) if column in numeric else cell.ljust(width)
                for cell, width, column in zip(line, widths, columns)
            ]
            marker = "> " if number > 0 and number - 1 == current else "  "
            lines.append((marker + "  ".join(parts)).rstrip())
            if number == 0:
                lines.append("  " + "  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def to_html(self, step: ReverseStep | None = None, columns: Sequence[str] | None = None) -> str:
        """The table as HTML; with `step`, the current row highlighted and later adjoints blank."""
        columns = tuple(columns or self.columns)
        adjoints, complete, current = self._state(step)
        headers = self._headers()
        numeric = {"value", "tangent", "adjoint"}
        head = "".join(
            f'<th style="text-align:{"right" if c in numeric else "left"}">'
            f"{html.escape(headers[c])}</th>"
            for c in columns
        )
        body = []
        for i in range(len(self.rows)):
            cells = self._cells(i, adjoints[i], i not in complete, columns)
            style = ' style="background-color:#ffe9a8"' if i == current else ""
            tds = "".join(
                f'<td style="text-align:{"right" if c in numeric else "left"};'
                f'font-family:monospace">{html.escape(cell)}</td>'
                for cell, c in zip(cells, columns)
            )
            body.append(f"<tr{style}>{tds}</tr>")
        return (
            '<table class="autodidact-trace">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()


def _trace(fun: Callable, inputs: Sequence[float]) -> tuple[list[TracingNode], TracingNode]:
    """Run fun on traced scalars; return the input nodes and the output node."""
    trace_id = new_trace_id()
    roots = [TracingNode.new_root(float(x)) for x in inputs]
    output = fun(*[new_box(float(x), trace_id, root) for x, root in zip(inputs, roots)])
    if getattr(output, "_trace_id", None) != trace_id:
        raise ValueError(
            "the function's output does not depend on its inputs (or was not computed with "
            "autodidact.numpy), so there is no trace to show."
        )
    return roots, output._node


def _layered_order(roots: list[TracingNode], output: TracingNode) -> list[TracingNode]:
    """The ancestors of `output`, inputs first, then layer by layer (longest path from an input)."""
    nodes = list(reverse.toposort([output]))[::-1]  # parents before children
    layer: dict[TracingNode, int] = {}
    for node in nodes:
        layer[node] = 1 + max((layer[p] for p in node.parents), default=-1)
    inner = [node for node in nodes if node.parents]
    inner.sort(key=lambda node: (layer[node], node.serial))
    return list(roots) + inner


def _find_rule(rules: dict, argnum_rules: dict, fun: Callable, argnum: int, kind: str) -> Callable:
    rule = rules.get(fun, {}).get(argnum)
    if rule is not None:
        return rule
    argnum_rule = argnum_rules.get(fun)
    if argnum_rule is not None:
        return lambda g, ans, *args, **kwargs: argnum_rule(argnum, g, ans, *args, **kwargs)
    name = getattr(fun, "__name__", repr(fun))
    raise NotImplementedError(f"no {kind} rule for argument {argnum} of `{name}`")


def _describe(node: TracingNode, names: dict[TracingNode, str]) -> tuple[str, tuple[str, ...], str]:
    """(operation, input names, formula) for one node."""
    operation = getattr(node.fun, "__name__", "f")
    boxed = dict(zip(node.parent_argnums, node.parents))
    inputs = tuple(
        names[boxed[k]] if k in boxed else format_number(arg) for k, arg in enumerate(node.args)
    )
    if operation in INFIX and len(inputs) == 2:
        formula = f"{inputs[0]} {INFIX[operation]} {inputs[1]}"
    elif operation in PREFIX and len(inputs) == 1:
        formula = f"{PREFIX[operation]}{inputs[0]}"
    else:
        formula = f"{operation}({', '.join(inputs)})"
    return operation, inputs, formula


def trace_table(
    fun: Callable,
    *inputs: float,
    direction: Sequence[float] | None = None,
    input_labels: Sequence[str] | None = None,
    output_label: str = "y",
    number_inputs: bool = True,
    digits: int = 3,
) -> TraceTable:
    """Trace fun(*inputs), a function of scalars written with autodidact.numpy.

    direction   the input direction d of the tangent column (default e_1)
    input_labels  what the inputs are called (default x1, x2, ...)
    output_label  what the output is called (default y)
    number_inputs  True: inputs are v1, v2, ... (the intermediates follow);
                False: inputs keep their labels and the intermediates start at v1
    digits      decimals shown in the table (the rows keep full precision)
    """
    if not inputs:
        raise ValueError("give the point to evaluate at, e.g. trace_table(f, 2.0, 5.0)")
    labels = tuple(input_labels or [f"x{k + 1}" for k in range(len(inputs))])
    if len(labels) != len(inputs):
        raise ValueError(f"{len(labels)} input labels for {len(inputs)} inputs")
    direction = tuple(float(d) for d in (direction or [1.0] + [0.0] * (len(inputs) - 1)))
    if len(direction) != len(inputs):
        raise ValueError(f"the direction has {len(direction)} entries for {len(inputs)} inputs")

    roots, output = _trace(fun, inputs)
    nodes = _layered_order(roots, output)
    index = {node: i for i, node in enumerate(nodes)}
    names: dict[TracingNode, str] = {}
    for i, node in enumerate(nodes):
        if number_inputs or i >= len(roots):
            names[node] = f"v{i + 1 if number_inputs else i + 1 - len(roots)}"
        else:
            names[node] = labels[i]

    # Forward: push the tangents through the graph with the registered JVP rules.
    tangents: dict[TracingNode, Any] = dict(zip(roots, direction))
    partials: dict[TracingNode, tuple[float, ...]] = {}
    for node in nodes[len(roots) :]:
        tangent = 0.0
        local = []
        for parent, argnum in zip(node.parents, node.parent_argnums):
            jvp = _find_rule(forward.jvp_rules, forward.jvp_argnum_rules, node.fun, argnum, "JVP")
            tangent = tangent + jvp(tangents[parent], node.value, *node.args, **node.kwargs)
            local.append(float(jvp(1.0, node.value, *node.args, **node.kwargs)))
        tangents[node] = tangent
        partials[node] = tuple(local)

    # Reverse: pull the adjoints back with the registered VJP rules, summing over children.
    adjoints: dict[TracingNode, Any] = {node: 0.0 for node in nodes}
    adjoints[output] = 1.0
    for node in reversed(nodes):
        for parent, argnum in zip(node.parents, node.parent_argnums):
            vjp = _find_rule(reverse.vjp_rules, reverse.vjp_argnum_rules, node.fun, argnum, "VJP")
            adjoints[parent] = adjoints[parent] + vjp(
                adjoints[node], node.value, *node.args, **node.kwargs
            )

    rows = []
    for i, node in enumerate(nodes):
        if i < len(roots):
            operation, inputs_, formula = "input", (), labels[i]
            label = labels[i] if number_inputs else ""
        else:
            operation, inputs_, formula = _describe(node, names)
            label = ""
        if node is output:
            label = output_label
        rows.append(
            TraceRow(
                name=names[node],
                operation=operation,
                inputs=inputs_,
                formula=formula,
                value=float(np.real(getval(node.value))),
                tangent=float(np.real(getval(tangents[node]))),
                adjoint=float(np.real(getval(adjoints[node]))),
                parents=tuple(index[p] for p in node.parents),
                partials=partials.get(node, ()),
                label=label,
            )
        )
    return TraceTable(rows, direction, labels, digits, output_label)


def _factor(value: float, digits: int) -> str:
    """A number as a factor of a product: negative numbers in parentheses."""
    text = format_number(value, digits)
    return f"({text})" if text.startswith("-") else text


def reverse_steps(table: TraceTable) -> list[ReverseStep]:
    """The backward pass over `table`, one node at a time, as a list of states.

    Step 0 seeds the output's adjoint with 1. Step k >= 1 processes the k-th
    row from the bottom: its adjoint is final at that moment (all its children
    came later in the trace and have been processed), and it adds
    adjoint * (local partial) to each of its inputs' running sums. An
    adjoint counts as complete once every child of its row has been processed;
    until then it is a running sum ("so far").
    """
    n = len(table.rows)
    adjoints: list[float | None] = [None] * n
    adjoints[n - 1] = 1.0
    waiting = [0] * n  # children not processed yet
    for row in table.rows:
        for parent in row.parents:
            waiting[parent] += 1
    complete: set[int] = {n - 1}
    y = table.output_label
    last = table.rows[n - 1].name
    steps = [
        ReverseStep(
            n - 1,
            list(adjoints),
            frozenset(complete),
            f"The forward pass has stored every value. Seed the backward pass: "
            f"{last}_bar = d{y}/d{y} = 1.",
        )
    ]
    for current in range(n - 1, -1, -1):
        row = table.rows[current]
        g = adjoints[current]
        g = 0.0 if g is None else g
        lines = []
        if current == n - 1:
            lines.append(f"Process {row.name}, the output: its adjoint is the seed 1.")
        else:
            lines.append(
                f"Process {row.name}: {row.name}_bar = {format_number(g, table.digits)} is "
                "final, since every value computed from it has been processed."
            )
        for parent, partial in zip(row.parents, row.partials):
            contribution = g * partial
            previous = adjoints[parent]
            adjoints[parent] = contribution if previous is None else previous + contribution
            waiting[parent] -= 1
            if waiting[parent] == 0:
                complete.add(parent)
            parent_name = table.rows[parent].name
            lines.append(
                f"{parent_name}_bar += {row.name}_bar * d{row.name}/d{parent_name} = "
                f"{_factor(g, table.digits)} * {_factor(partial, table.digits)} = "
                f"{format_number(contribution, table.digits)}"
                + (
                    f" (sum so far {format_number(adjoints[parent], table.digits)})"
                    if previous is not None
                    else ""
                )
            )
        if not row.parents:
            lines.append(
                f"{row.name} is an input: d{y}/d{row.label or row.name} = "
                f"{format_number(g, table.digits)}."
            )
        steps.append(ReverseStep(current, list(adjoints), frozenset(complete), "\n".join(lines)))
    return steps
