"""Checks for sheet 10: two batching rules, per-example gradients and a Jacobian by vmap.

`sum_batch_rule` and `matmul_batch_rule` are rules of the form the library's
vmap uses, with the arguments spelled out: each gets the whole batch (the
examples stacked along axis `bdim` of an array, or None for an argument every
example shares) and returns `(result, out_bdim)`. A check holds a rule to the
meaning of a batching rule: move the result's axis `out_bdim` to the front,
and row k must be the function applied to example k alone. The inputs put the
batch axis first, in the middle and last, with negative, tuple and None axes,
and unbatched sides, so that the usual slips show: an axis not shifted past
the batch axis, an out_bdim that does not say where the examples went, a
None treated as an axis.

A batching rule computes every example at once. The batch a rule receives is
a `_Watched` array: a NumPy array that notes being taken apart one example at
a time (iterated over, or indexed with an integer), which is what a Python
loop over the examples does; such a rule fails. vmap itself, its fallback
loop, the library's rules for sum and matmul (and for their relatives: mean,
dot, einsum, ...) and the helpers they are built from are withheld.

`per_example_gradients` receives a loss that counts its calls: vmap(grad)
calls it once for the whole batch, a Python loop once per example.
`jacobian_by_vmap` receives an f that records the traces its argument is
boxed in (`trace_modes`, from sheet 07's checks): one batched JVP pass traces
f once, in forward mode; a loop over the basis vectors traces it n times.
The library's Jacobians and its reverse mode are withheld there; `make_jvp`
and `vmap` are what the exercise is made of.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodidact.numpy as anp
from autodidact import grad
from autodidact.containers import flatten, leaf_paths
from autodidact.course.checking import (
    FINITE_DIFFERENCES,
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
from autodidact.course.checks.sheet07_second_order_and_memory import trace_modes

SHEET = "10_vectorization"

NUMPY_BATCHING = "autodidact.numpy.numpy_batching"
# vmap would answer a rule exercise by running the library's own rule; its fallback loop
# and the helpers the library's rules are built from are withheld with it.
VMAP_AND_ITS_HELPERS = (
    "autodidact.vmap",
    "autodidact.batching.loop_over_batch",
    "autodidact.batching.example",
    f"{NUMPY_BATCHING}.to_front",
    f"{NUMPY_BATCHING}.shifted_axes",
    f"{NUMPY_BATCHING}.normalize_axis",
    f"{NUMPY_BATCHING}.with_example_rank",
    f"{NUMPY_BATCHING}.example_ndim",
)

RTOL, ATOL = 1e-12, 1e-12


# --- a batch that notices a loop over its examples ---------------------------------------------


class _Watched(np.ndarray):
    """A NumPy array that notes being taken apart one example at a time.

    Iterating over it, indexing it with an integer, or `take` with a single
    index is how a Python loop walks through the examples of a batch; each is
    noted in `log`, shared by every view of the array. Everything else is an
    ordinary array operation, on all the examples at once.
    """

    log: list | None

    def __array_finalize__(self, obj: Any) -> None:
        self.log = getattr(obj, "log", None)

    def _note(self, what: str) -> None:
        if self.log is not None:
            self.log.append(what)

    def __iter__(self):  # noqa: ANN204
        self._note("iterated over the batch")
        return super().__iter__()

    def __getitem__(self, index: Any) -> Any:
        entries = index if isinstance(index, tuple) else (index,)
        if any(isinstance(entry, (int, np.integer)) for entry in entries):
            self._note("indexed single examples")
        return super().__getitem__(index)

    def take(self, indices: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        if np.ndim(indices) == 0:
            self._note("took single examples")
        return super().take(indices, *args, **kwargs)


def watched(x: np.ndarray, log: list) -> _Watched:
    """x, watched for a loop over its examples (noted in `log`)."""
    view = np.array(x, dtype=float).view(_Watched)
    view.log = log
    return view


def _expect_no_loop(log: list, *, on: str, size: int, route: str) -> None:
    expect(
        not log,
        on=on,
        expected=f"one computation on the whole batch of {size} examples",
        got=f"a loop over the examples (your rule {log[0] if log else ''})",
        hint="a batching rule computes every example's result at once, with array operations "
        "on the whole batch; going through the examples one by one is the fallback loop "
        "that vmap uses when a primitive has no rule, the very thing a rule is for avoiding.",
        route=route,
    )


def _expect_rule_output(got: Any, *, on: str, route: str) -> tuple[np.ndarray, Any]:
    """The rule returned a pair (result, out_bdim): return them, the result as an array."""
    expect(
        isinstance(got, (tuple, list)) and len(got) == 2,
        on=on,
        expected="a pair (result, out_bdim)",
        got=format_value(got, 60),
        hint="a batching rule returns two things: the results of all the examples, and the "
        "axis of that array along which the examples run.",
        route=route,
    )
    result, out_bdim = got
    try:
        return np.asarray(result, dtype=float), out_bdim
    except (TypeError, ValueError):
        raise CheckFailed(
            f"{on}: expected an array of numbers as the result, got {format_value(result, 60)}",
            "the first entry of the pair holds the results of all the examples, one array.",
            route,
        ) from None


def _examples_along(
    result: np.ndarray, out_bdim: Any, *, on: str, size: int, route: str, mistake: str | None
) -> Any:
    """The result with its axis `out_bdim` moved to the front (checking out_bdim first).

    `mistake` is the hint for a mistake already recognised in the result, if any.
    """
    expect(
        out_bdim is not None,
        on=on,
        expected=f"out_bdim, the axis of the result that runs over the {size} examples",
        got="None",
        hint="out_bdim = None says the result is the same for every example, but here every "
        "example has its own result: say along which axis of your result they run.",
        route=route,
    )
    valid = isinstance(out_bdim, (int, np.integer)) and -result.ndim <= out_bdim < result.ndim
    expect(
        valid,
        on=on,
        expected=f"out_bdim, an axis of your result (which has {result.ndim} axes)",
        got=repr(out_bdim),
        hint=mistake
        or "out_bdim is one whole number: the axis of your result along which the examples run.",
        route=route,
    )
    expect(
        result.shape[out_bdim] == size,
        on=on,
        expected=f"axis out_bdim = {out_bdim} of your result to have length {size}, one entry "
        "per example",
        got=f"a result of shape {result.shape}",
        hint=mistake or _wrong_axis_hint(result, out_bdim, size),
        route=route,
    )
    return np.moveaxis(result, out_bdim, 0)


def _wrong_axis_hint(result: np.ndarray, out_bdim: int, size: int) -> str:
    axes = [a for a in range(result.ndim) if result.shape[a] == size]
    if axes:
        return (
            f"the axis out_bdim names is not where the examples are: axis {axes[0]} of your "
            "result has one entry per example. Say where your result keeps them."
        )
    return (
        "no axis of your result has one entry per example: the batch axis was summed or "
        "multiplied away, or never reached the result."
    )


def _right_values_elsewhere(result: np.ndarray, expected: np.ndarray) -> int | None:
    """The axis of `result` along which the expected examples do run, if one does."""
    for axis in range(result.ndim):
        if matches(np.moveaxis(result, axis, 0), expected, rtol=1e-9, atol=1e-12):
            return axis
    return None


# --- sum_batch_rule ----------------------------------------------------------------------------

SUM_ROUTE = (
    "put the batch axis somewhere you know, say first; then one example has x.ndim - 1 axes, "
    "and its axis k is an axis of the batch you can name: one further right than k, once a "
    "negative k has been read as counted from the end of the example, not of x. axis = None "
    "names every axis of the example, a tuple each of its entries. The result's batch axis is "
    "wherever the batch axis is left after the sum."
)


def _sum_cases() -> list[tuple[tuple, int, Any]]:
    """(example shape, bdim, axis): the batch first, in the middle and last; every kind of axis."""
    return [
        ((3, 5), 0, 1),
        ((3, 5), 0, 0),
        ((3, 5), 1, 1),
        ((3, 5), 2, -1),
        ((3, 5), 2, 0),
        ((2, 3, 5), 1, (0, 2)),
        ((3, 5), 1, None),
        ((6,), 0, 0),
        ((2, 3, 5), 3, (-1, 0)),
    ]


def _attempt(compute: Callable[[], Any]) -> Any:
    """What a likely mistake would give, or None when that mistake cannot even run here."""
    try:
        with np.errstate(all="ignore"):
            return compute()
    except (ValueError, TypeError, IndexError):
        return None


def _sum_mistake(
    result: np.ndarray, expected: np.ndarray, x: np.ndarray, bdim: int, axis: Any
) -> str | None:
    """The hint for a mistake recognised in the result, or None."""
    if axis is None and np.ndim(result) == 0:
        return (
            "axis = None sums every axis of one example, not of the whole batch: the batch "
            "axis must survive, one sum per example."
        )
    unshifted = _attempt(lambda: np.sum(x, axis=axis))
    if unshifted is not None and matches(result, unshifted, rtol=1e-9, atol=1e-12):
        return (
            "you summed x over the example's axis number as it is. In x the batch axis is axis "
            f"{bdim}, so the example's axes are not x's axes: from the batch axis on, each sits "
            "one place further right, and a negative axis counts from the end of x, where the "
            "batch axis may be."
        )
    elsewhere = _right_values_elsewhere(result, expected)
    if elsewhere is not None:
        return (
            f"the sums are right, but the examples run along axis {elsewhere} of your result, "
            "not along the axis your out_bdim names."
        )
    return None


SUM_OTHERWISE = (
    "with its axis out_bdim moved to the front, your result should hold, in row k, the sum "
    "over `axis` of example k alone (x taken at index k along axis bdim); it does not."
)


@exercise_check(
    "sum_batch_rule",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="NumPy (np.moveaxis, np.sum, ...) or autodidact.numpy, on the whole batch",
        blocked=(*VMAP_AND_ITS_HELPERS, f"{NUMPY_BATCHING}.reduction"),
        rules_of=(anp.sum, anp.mean, anp.prod, anp.cumsum),
    ),
)
def sum_batch_rule(student: Callable) -> str:
    """Row k of the result (batch axis moved first) is np.sum(example k, axis)."""
    rng = np.random.default_rng(100)
    size = 4
    for example_shape, bdim, axis in _sum_cases():
        examples = [rng.standard_normal(example_shape) for _ in range(size)]
        x = np.stack(examples, axis=bdim)
        expected = np.stack([np.sum(example, axis=axis) for example in examples])
        on = (
            f"x of shape {x.shape}, bdim = {bdim} ({size} examples of shape {example_shape}), "
            f"axis = {axis!r}"
        )
        log: list = []
        got = call_student(
            student,
            watched(x, log),
            bdim,
            axis,
            on=on,
            hint="axis is a whole number (maybe negative), a tuple of them, or None: the axes "
            "of one example to sum over, as NumPy's sum takes them.",
            route=SUM_ROUTE,
        )
        _expect_no_loop(log, on=on, size=size, route=SUM_ROUTE)
        result, out_bdim = _expect_rule_output(got, on=on, route=SUM_ROUTE)
        mistake = _sum_mistake(result, expected, x, bdim, axis)
        moved = _examples_along(
            result, out_bdim, on=on, size=size, route=SUM_ROUTE, mistake=mistake
        )
        expect_close(
            moved,
            expected,
            on=on,
            what="the sums, batch axis first,",
            hint=mistake or SUM_OTHERWISE,
            route=SUM_ROUTE,
            rtol=RTOL,
            atol=ATOL,
        )
    return (
        f"right on {len(_sum_cases())} batches: the batch axis first, in the middle and last; "
        "int, negative, tuple and None axes."
    )


# --- matmul_batch_rule -------------------------------------------------------------------------

MATMUL_ROUTE = (
    "np.matmul multiplies the last two axes of its arguments and treats every axis before them "
    "as a stack of matrices, broadcasting a plain matrix against a stack. So bring each batched "
    "argument's batch axis to the front, where matmul looks for a stack, and leave an unbatched "
    "one as it is: a single matrix broadcasts against the whole stack. Then say where the "
    "examples are in the product."
)


def _matmul_cases() -> list[tuple[Any, Any]]:
    """(A_bdim, B_bdim): either side unbatched, both batched, batch axes first, middle, last."""
    return [(0, None), (None, 0), (0, 0), (1, None), (None, 2), (2, 1), (None, 1), (2, 0)]


def _matmul_mistake(
    result: np.ndarray, expected: np.ndarray, A: np.ndarray, B: np.ndarray, A_bdim, B_bdim
) -> str | None:
    """The hint for a mistake recognised in the result, or None."""
    plain = _attempt(lambda: np.matmul(A, B))
    if plain is not None and matches(result, plain, rtol=1e-9, atol=1e-12):
        return (
            "you multiplied A and B as they came. NumPy's matmul takes the last two axes of "
            "each as the matrices and the axes before them as a stack; a batch axis anywhere else "
            "(here A's is axis "
            f"{A_bdim}, B's {B_bdim}) is mixed up with the rows and columns."
        )
    elsewhere = _right_values_elsewhere(result, expected)
    if elsewhere is not None:
        return (
            f"the products are right, but the examples run along axis {elsewhere} of your "
            "result, not along the axis your out_bdim names."
        )
    return None


MATMUL_OTHERWISE = (
    "with its axis out_bdim moved to the front, your result should hold in row k the product "
    "of example k's A and example k's B (an unbatched side is the same matrix for every k); "
    "it does not."
)


def _matmul_crash_hint(A_bdim: Any, B_bdim: Any) -> str:
    matmul = (
        "NumPy's matmul multiplies the last two axes of each argument and treats the axes before "
        "them as a stack of matrices"
    )
    shared = [name for name, dim in (("A", A_bdim), ("B", B_bdim)) if dim is None]
    if shared:
        return (
            f"{matmul}. Here {shared[0]}_bdim is None: {shared[0]} is one matrix that every "
            "example shares, with no batch axis to move or index, and matmul broadcasts a "
            "single matrix against a stack."
        )
    return f"{matmul}; here A and B are both batched, along axes {A_bdim} and {B_bdim}."


@exercise_check(
    "matmul_batch_rule",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="NumPy (np.moveaxis, np.matmul or @, np.einsum, ...) or autodidact.numpy, on "
        "the whole batch",
        blocked=(
            *VMAP_AND_ITS_HELPERS,
            f"{NUMPY_BATCHING}.matmul_rule",
            f"{NUMPY_BATCHING}.dot_rule",
            f"{NUMPY_BATCHING}.tensordot_rule",
            f"{NUMPY_BATCHING}.einsum_rule",
            f"{NUMPY_BATCHING}.batched_einsum",
            f"{NUMPY_BATCHING}.inner_rule",
        ),
        rules_of=(anp.matmul, anp.dot, anp.tensordot, anp.einsum, anp.inner),
    ),
)
def matmul_batch_rule(student: Callable) -> str:
    """Row k of the result (batch axis moved first) is A_k @ B_k; a shared side is the same."""
    rng = np.random.default_rng(110)
    size, (m, n, p) = 5, (2, 3, 4)
    for A_bdim, B_bdim in _matmul_cases():
        # a shared side is one matrix, the same for every example
        As = [rng.standard_normal((m, n))] * size
        Bs = [rng.standard_normal((n, p))] * size
        if A_bdim is not None:
            As = [rng.standard_normal((m, n)) for _ in range(size)]
        if B_bdim is not None:
            Bs = [rng.standard_normal((n, p)) for _ in range(size)]
        A = As[0] if A_bdim is None else np.stack(As, axis=A_bdim)
        B = Bs[0] if B_bdim is None else np.stack(Bs, axis=B_bdim)
        expected = np.stack([A_k @ B_k for A_k, B_k in zip(As, Bs)])
        on = (
            f"A of shape {A.shape} with A_bdim = {A_bdim}, B of shape {B.shape} with "
            f"B_bdim = {B_bdim} ({size} examples of a ({m}, {n}) times a ({n}, {p}) matrix)"
        )
        log: list = []
        got = call_student(
            student,
            watched(A, log),
            A_bdim,
            watched(B, log),
            B_bdim,
            on=on,
            hint=_matmul_crash_hint(A_bdim, B_bdim),
            route=MATMUL_ROUTE,
        )
        _expect_no_loop(log, on=on, size=size, route=MATMUL_ROUTE)
        result, out_bdim = _expect_rule_output(got, on=on, route=MATMUL_ROUTE)
        mistake = _matmul_mistake(result, expected, A, B, A_bdim, B_bdim)
        moved = _examples_along(
            result, out_bdim, on=on, size=size, route=MATMUL_ROUTE, mistake=mistake
        )
        expect_close(
            moved,
            expected,
            on=on,
            what="the products, batch axis first,",
            hint=mistake or MATMUL_OTHERWISE,
            route=MATMUL_ROUTE,
            rtol=1e-10,
            atol=ATOL,
        )
    return (
        f"right on {len(_matmul_cases())} batches: A or B unbatched, both batched, batch axes "
        "first, in the middle and last."
    )


# --- per_example_gradients ---------------------------------------------------------------------

PER_EXAMPLE_ROUTE = (
    "grad(loss) is the gradient for one example, (params, x, y) -> a structure shaped like "
    "params. vmap maps it over a batch: in_axes says, argument by argument, which axis runs over "
    "the examples, and None for an argument every example shares. Which of the three arguments "
    "are shared?"
)
PER_EXAMPLE_SHORTCUTS = Shortcuts(
    allowed="autodidact.vmap and autodidact.grad (or value_and_grad, make_vjp)",
    blocked=(
        "autodidact.jacobian",
        "autodidact.jacfwd",
        "autodidact.jacrev",
        "autodidact.hessian",
        *FINITE_DIFFERENCES,
    ),
)


class _Counted:
    """A loss of one example that counts its calls."""

    def __init__(self, loss: Callable) -> None:
        self.loss, self.calls = loss, 0
        self.__name__ = "loss"

    def __call__(self, params: Any, x: Any, y: Any) -> Any:
        self.calls += 1
        return self.loss(params, x, y)


def _per_example_cases() -> list[tuple[str, Callable, Any, np.ndarray, np.ndarray]]:
    """(description, loss of one example, params, X, y): array, tuple and dict parameters."""
    rng = np.random.default_rng(120)

    def squared_error(w, x, y):
        return (anp.dot(w, x) - y) ** 2

    w = rng.standard_normal(3)
    X1, y1 = rng.standard_normal((5, 3)), rng.standard_normal(5)

    def network(params, x, y):
        W, b = params
        return anp.sum((anp.tanh(anp.dot(W, x) + b) - y) ** 2)

    params2 = (rng.standard_normal((2, 3)), rng.standard_normal(2))
    X2, y2 = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))

    def logistic(params, x, y):
        return anp.log1p(anp.exp(-y * (anp.dot(params["w"], x) + params["c"])))

    params3 = {"w": rng.standard_normal(4), "c": np.array(0.3)}
    X3, y3 = rng.standard_normal((7, 4)), np.sign(rng.standard_normal(7))
    return [
        ("loss = (w . x - y)^2, params = w of shape (3,)", squared_error, w, X1, y1),
        (
            "loss = sum((tanh(W x + b) - y)^2), params = (W, b) of shapes (2, 3), (2,)",
            network,
            params2,
            X2,
            y2,
        ),
        (
            "loss = log(1 + exp(-y (w . x + c))), params = {'w': shape (4,), 'c': a scalar}",
            logistic,
            params3,
            X3,
            y3,
        ),
    ]


def _per_example_hint(got_leaves: list, expected_leaves: list, params_leaves: list, x_grads) -> str:
    """Name the mistake when the answer is what a likely one gives (compared leaf by leaf)."""
    means = [np.mean(leaf, axis=0) for leaf in expected_leaves]
    sums = [np.sum(leaf, axis=0) for leaf in expected_leaves]

    def all_match(candidates: list) -> bool:
        return len(got_leaves) == len(candidates) and all(
            matches(g, c, rtol=1e-9, atol=1e-12) for g, c in zip(got_leaves, candidates)
        )

    if all_match(means):
        return (
            "you returned one gradient shaped like params, the average of the examples' "
            "gradients (the gradient of the batch's mean loss); the exercise asks for every "
            "example's own gradient, stacked along a new first axis."
        )
    if all_match(sums):
        return (
            "you returned one gradient shaped like params, the sum of the examples' gradients "
            "(the gradient of the batch's total loss); the exercise asks for every example's own "
            "gradient, stacked along a new first axis."
        )
    if x_grads is not None and all_match([x_grads]):
        return (
            "those are the gradients with respect to x, the inputs; the exercise asks for the "
            "gradients with respect to params."
        )
    elsewhere = [
        _right_values_elsewhere(np.asarray(g, dtype=float), e) if _is_numeric(g) else None
        for g, e in zip(got_leaves, expected_leaves)
    ]
    if len(got_leaves) == len(expected_leaves) and all(a not in (None, 0) for a in elsewhere):
        return (
            f"the gradients are right, but the examples run along axis {elsewhere[0]} of your "
            "arrays; the exercise puts them along a new first axis, entry [b] for example b."
        )
    if all(np.shape(g) == np.shape(p) for g, p in zip(got_leaves, params_leaves)):
        return (
            "each entry of your answer is shaped like params, with no batch axis: one gradient "
            "per example means a first axis of length B in front of each parameter's shape."
        )
    return (
        "entry [b] of each array should be the gradient of loss(params, X[b], y[b]) with "
        "respect to that parameter, for the one example b."
    )


def _is_numeric(x: Any) -> bool:
    try:
        np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


@exercise_check("per_example_gradients", sheet=SHEET, shortcuts=PER_EXAMPLE_SHORTCUTS)
def per_example_gradients(student: Callable) -> str:
    """Leaf by leaf, entry [b] is grad(loss)(params, X[b], y[b]); loss called once, not B times."""
    for description, loss, params, X, y in _per_example_cases():
        size = len(X)
        on = f"{description}, a batch of {size}: X of shape {X.shape}, y of shape {y.shape}"
        counted = _Counted(loss)
        got = call_student(
            student,
            counted,
            params,
            X,
            y,
            on=on,
            hint="loss(params, x, y) is the loss of ONE example: x = X[b] and y = y[b]. params "
            "is the same for every example.",
            route=PER_EXAMPLE_ROUTE,
        )
        expect(
            counted.calls <= 1,
            on=on,
            expected="loss to be called once, on the whole batch (one batched pass)",
            got=f"{counted.calls} calls",
            hint=f"loss ran {counted.calls} times for {size} examples: "
            + ("once per example, a Python loop over the batch. " if counted.calls >= size else "")
            + "vmap runs a function of one example once, on all of them together.",
            route=PER_EXAMPLE_ROUTE,
        )
        per_example = [grad(loss)(params, X[b], y[b]) for b in range(size)]
        expected_leaves = [
            np.stack(leaves) for leaves in zip(*[flatten(g)[0] for g in per_example])
        ]
        params_leaves, _ = flatten(params)
        x_grads = (
            np.stack([grad(loss, 1)(params, X[b], y[b]) for b in range(size)])
            if len(params_leaves) == 1
            else None
        )
        got_leaves, _ = flatten(got)
        hint = _per_example_hint(got_leaves, expected_leaves, params_leaves, x_grads)
        expect(
            len(got_leaves) == len(expected_leaves),
            on=on,
            expected=f"gradients structured like params ({type(params).__name__} of "
            f"{len(params_leaves)} array{'s' * (len(params_leaves) > 1)})",
            got=f"{type(got).__name__} of {len(got_leaves)}",
            hint="return the gradients in the structure params has: a tuple for a tuple, a dict "
            "with the same keys for a dict; vmap of grad does that by itself.",
            route=PER_EXAMPLE_ROUTE,
        )
        for path, got_leaf, expected_leaf in zip(leaf_paths(params), got_leaves, expected_leaves):
            expect_close(
                got_leaf,
                expected_leaf,
                on=on,
                what=f"the gradients{' of params' + path if path else ''}",
                hint=hint,
                route=PER_EXAMPLE_ROUTE,
                rtol=1e-10,
                atol=ATOL,
            )
    return "right for array, tuple and dict params; loss called once per batch."


# --- jacobian_by_vmap --------------------------------------------------------------------------

JACOBIAN_ROUTE = (
    "column j of J is J e_j, the JVP of f at x along the basis vector e_j: make_jvp(f)(x) is "
    "the function v -> (f(x), J v). vmap that function over the rows of the identity matrix, "
    "one basis vector per row; out_axes says on which axis of the result the batch of JVPs "
    "goes, and the columns of J run along axis 1."
)
JACOBIAN_SHORTCUTS = Shortcuts(
    allowed="autodidact.make_jvp (or autodidact.forward.make_jvp), autodidact.vmap and NumPy",
    blocked=(
        *(name for name in OPERATORS if not name.endswith(".make_jvp")),
        "autodidact.hvp",
        *FINITE_DIFFERENCES,
    ),
)


def _jacobian_cases() -> list[tuple[str, Callable, np.ndarray, np.ndarray]]:
    """(description, f, x, J): tall, wide and square Jacobians known in closed form."""
    rng = np.random.default_rng(130)
    A = rng.standard_normal((4, 3))
    x1 = rng.standard_normal(3)
    J1 = (1 - np.tanh(A @ x1) ** 2)[:, None] * A
    cases = [("f(x) = tanh(A x), A of shape (4, 3)", lambda x: anp.tanh(anp.dot(A, x)), x1, J1)]

    x2 = np.array([0.4, -1.1, 0.7])

    def mixing(x):
        return anp.stack([x[0] * x[1], anp.sin(x[2]), x[0] ** 2])

    J2 = np.array([[x2[1], x2[0], 0.0], [0.0, 0.0, np.cos(x2[2])], [2 * x2[0], 0.0, 0.0]])
    cases.append(("f(x) = (x0 x1, sin x2, x0^2)", mixing, x2, J2))

    x3 = rng.standard_normal(6)
    J3 = np.sum(x3) * np.eye(6) + x3[:, None]  # d(x_i s)/dx_j = s delta_ij + x_i
    cases.append(("f(x) = x sum(x), x of shape (6,)", lambda x: x * anp.sum(x), x3, J3))

    B = rng.standard_normal((2, 5))
    x4 = rng.standard_normal(5)
    J4 = np.cos(B @ x4)[:, None] * B
    cases.append(("f(x) = sin(B x), B of shape (2, 5)", lambda x: anp.sin(anp.dot(B, x)), x4, J4))
    return cases


class _Traced:
    """f, recording the trace modes of its argument at every call (see `trace_modes`)."""

    def __init__(self, f: Callable) -> None:
        self.f, self.nestings = f, []
        self.__name__ = "f"

    def __call__(self, x: Any) -> Any:
        self.nestings.append(trace_modes(x))
        return self.f(x)


def _jacobian_hint(got: Any, J: np.ndarray, x: np.ndarray) -> str:
    if matches(got, J.T, rtol=1e-9, atol=1e-12):
        return (
            "that is the transpose of J: your JVPs J e_j are the columns of J, and they went "
            "into your result as rows."
        )
    if matches(got, J, rtol=1e-4, atol=1e-7):
        return (
            "close, but only to a finite difference's accuracy: a Jacobian from forward mode "
            "is exact up to rounding."
        )
    if matches(got, J @ np.ones(len(x)), rtol=1e-9, atol=1e-12):
        return "that is J times a vector of ones, one JVP; the Jacobian needs one per input."
    return "entry (i, j) should be d f_i / d x_j at x, and it is not."


@exercise_check("jacobian_by_vmap", sheet=SHEET, shortcuts=JACOBIAN_SHORTCUTS)
def jacobian_by_vmap(student: Callable) -> str:
    """J exact to rounding; f traced once, by forward mode (one batched JVP pass)."""
    for description, f, x, J in _jacobian_cases():
        on = f"{description}, x = {format_value(x)}"
        traced = _Traced(f)
        got = call_student(
            student,
            traced,
            x,
            on=on,
            hint="f takes a 1-D array x of n entries and returns a 1-D array of m entries; "
            "return the (m, n) Jacobian.",
            route=JACOBIAN_ROUTE,
        )
        traces = [modes for modes in traced.nestings if modes]
        n = len(x)
        expect(
            len(traces) <= 1 and len(traced.nestings) <= 2,
            on=on,
            expected="f to be traced once (one batched pass of all the JVPs)",
            got=f"{len(traces)} traced calls of f for an x of {n} entries",
            hint=(
                "one traced call per basis vector: a Python loop of JVPs. "
                if len(traces) == n
                else "f ran more than once. "
            )
            + "vmap pushes all n basis vectors through f in a single pass.",
            route=JACOBIAN_ROUTE,
        )
        expect_close(
            got,
            J,
            on=on,
            what="J",
            hint=_jacobian_hint(got, J, x),
            route=JACOBIAN_ROUTE,
            rtol=1e-10,
            atol=ATOL,
        )
        expect(
            bool(traces) and traces[0] == ("forward",),
            on=on,
            expected="f traced once by forward mode (make_jvp)",
            got="f traced by " + ("nothing" if not traces else " and ".join(traces[0])),
            hint="the Jacobian is right, but not from one forward-mode pass: this exercise "
            "builds it from JVPs, J e_j for each basis vector e_j, batched by vmap.",
            route=JACOBIAN_ROUTE,
        )
    return "right on tall, wide and square Jacobians; f traced once, in forward mode."
