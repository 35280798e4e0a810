"""vmap: every primitive with a batching rule against a Python loop over the examples.

For each case of the shared catalogues (every differentiable primitive, the
shape and indexing functions, the linear algebra), hypothesis draws the
batch size, which arguments are batched and along which axis, and where the
batch axis goes in the output. vmap(fun, in_axes, out_axes, strict=True)
must equal stacking fun's results for each example: strict=True proves the
batching rule ran, not the fallback loop. Then in_axes/out_axes forms,
composition with the differential operators and with itself, the fallback
loop, and Python branches on batched values.
"""

import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodidact.numpy as anp
from autodidact import (
    batching,
    defbatch,
    defvjp,
    grad,
    hessian,
    jacfwd,
    jacrev,
    make_jvp,
    make_vjp,
    primitive,
    value_and_grad,
    vmap,
)

from . import catalogue as cat
from .test_linalg import CASES as LINALG_CASES

SETTINGS = settings(deadline=None, max_examples=8, derandomize=True)
rng = np.random.default_rng(11)

# Primitives with no batching rule, by design: vmap loops over the batch for them.
# lstsq is not batched by NumPy itself; the others return a different shape per example.
LOOPED = {"lstsq_outputs", "argwhere", "nonzero", "flatnonzero"}
# Results whose shape differs between examples cannot form one batch.
NOT_BATCHABLE = {"mask-index"}


def perturbed(x, seed):
    """An example near x: every entry scaled by a factor within 2% of 1 (signs and order kept)."""
    if seed == 0:
        return x
    noise = np.random.default_rng(seed).uniform(-0.02, 0.02, size=np.shape(x))
    value = np.asarray(x) * (1 + noise)
    return value if np.ndim(x) else float(value)


def as_array(result):
    return tuple(np.asarray(r) for r in result) if isinstance(result, tuple) else np.asarray(result)


def stack(results, axis):
    if isinstance(results[0], tuple):
        return tuple(np.stack(parts, axis=axis) for parts in zip(*results))
    return np.stack(results, axis=axis)


def assert_vmap_equals_loop(fun, args, data, strict=True, first_batched=False):
    size = data.draw(st.integers(1, 3), label="batch size")
    batched = data.draw(
        st.lists(st.booleans(), min_size=len(args), max_size=len(args)).filter(
            lambda flags: flags[0] if first_batched else any(flags)
        ),
        label="batched arguments",
    )
    in_axes = tuple(
        data.draw(st.integers(-np.ndim(a) - 1, np.ndim(a))) if b else None
        for a, b in zip(args, batched)
    )
    examples = [
        [perturbed(a, 1 + 10 * i + k) if b else a for k, (a, b) in enumerate(zip(args, batched))]
        for i in range(size)
    ]
    expected = [as_array(fun(*example)) for example in examples]
    outputs = expected[0] if isinstance(expected[0], tuple) else (expected[0],)
    out_ndim = min(np.ndim(o) for o in outputs) + 1
    out_axis = data.draw(st.integers(-out_ndim, out_ndim - 1), label="out_axes")
    batched_args = [
        np.stack([np.asarray(example[k]) for example in examples], axis=axis)
        if axis is not None
        else a
        for k, (a, axis) in enumerate(zip(args, in_axes))
    ]
    got = vmap(fun, in_axes=in_axes, out_axes=out_axis, strict=strict)(*batched_args)
    want = stack(expected, out_axis)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    else:
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def _cases(cases):
    kept = [c for c in cases if c[0] not in NOT_BATCHABLE]
    return pytest.mark.parametrize("name, fun, args", kept, ids=[c[0] for c in kept])


UNARY_CASES = [
    (f"{name}-{shape}", fun, (draw(*shape) if shape else float(draw()),))
    for name, (fun, draw) in sorted(cat.UNARY.items())
    for shape in cat.SHAPES
]
BINARY_CASES = [
    (
        f"{name}-{x_shape}-{y_shape}",
        fun,
        (
            draw_x(*x_shape) if x_shape else float(draw_x()),
            draw_y(*y_shape) if y_shape else float(draw_y()),
        ),
    )
    for name, (fun, draw_x, draw_y) in sorted(cat.BINARY.items())
    for x_shape, y_shape in cat.BROADCAST_SHAPES
]


@_cases(UNARY_CASES + BINARY_CASES)
@SETTINGS
@given(data=st.data())
def test_elementwise(name, fun, args, data):
    assert_vmap_equals_loop(fun, args, data)


@_cases(cat.reductions() + cat.products() + cat.shape_ops() + cat.added_functions())
@SETTINGS
@given(data=st.data())
def test_reductions_products_shapes_and_indexing(name, fun, args, data):
    # a.dot(b) is ndarray.dot when a is a plain array, which cannot take a traced b
    first_batched = name.startswith("method-")
    assert_vmap_equals_loop(fun, args, data, first_batched=first_batched)


@_cases(LINALG_CASES)
@SETTINGS
@given(data=st.data())
def test_linear_algebra(name, fun, args, data):
    assert_vmap_equals_loop(fun, args, data, strict=not name.startswith("lstsq"))


def test_every_primitive_has_a_batching_rule_but_the_looped_ones():
    from autodidact.batching import batch_rules
    from autodidact.numpy import linalg, numpy_wrapper

    without_rule = {
        name
        for module in (numpy_wrapper, linalg)
        for name, fun in vars(module).items()
        if hasattr(fun, "raw_fun") and fun not in batch_rules
    }
    # functions built from primitives, marked with NumPy's function only for routing
    composites = {"slogdet", "eigh", "svd", "qr", "lstsq", "svdvals", "matrix_norm", "vector_norm"}
    assert without_rule - composites == LOOPED


def test_no_derivative_functions_batch_too():
    x = rng.standard_normal((4, 3))
    for fun in [
        anp.floor,
        anp.sign,
        lambda x: x > 0.1,
        lambda x: anp.argmax(x),
        lambda x: anp.argmin(x, axis=0),
        lambda x: anp.argsort(x),
        lambda x: anp.isfinite(x),
        lambda x: anp.any(x > 1),
        lambda x: anp.zeros_like(x) + anp.ones_like(x),
        lambda x: x.astype(int),
        lambda x: anp.searchsorted(np.array([-1.0, 0.0, 1.0]), x),
        lambda x: anp.allclose(x, x * (1 + 1e-12)),
        lambda x: anp.array_equal(x, np.round(x)),
    ]:
        expected = np.stack([np.asarray(fun(row)) for row in x])
        np.testing.assert_array_equal(vmap(fun, strict=True)(x), expected)


# ---------------------------------------------------------------------------
# in_axes and out_axes


def test_a_batched_value_looks_like_one_example():
    seen = {}

    def f(x):
        seen.update(shape=x.shape, ndim=x.ndim, size=x.size, length=len(x), np_shape=np.shape(x))
        return x

    vmap(f, in_axes=1)(np.zeros((3, 5, 2)))
    assert seen == dict(shape=(3, 2), ndim=2, size=6, length=3, np_shape=(3, 2))


def test_in_axes_none_shares_an_argument_and_negative_axes_count_from_the_end():
    W, xs = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))  # examples are columns
    f = lambda W, x: anp.tanh(W @ x)
    got = vmap(f, in_axes=(None, -1))(W, xs)
    np.testing.assert_allclose(got, np.tanh(W @ xs).T)
    np.testing.assert_allclose(vmap(f, in_axes=[None, 1], out_axes=-1)(W, xs), np.tanh(W @ xs))


def test_structured_arguments_and_outputs():
    params = {"w": rng.standard_normal(3), "b": rng.standard_normal((2, 4))}
    xs = rng.standard_normal((3, 2))  # two examples, as columns

    def f(p, x):
        return {"y": anp.dot(p["w"], x) + p["b"][0], "pair": (x, p["w"])}

    in_axes = ({"w": None, "b": 0}, 1)
    out = vmap(f, in_axes=in_axes, out_axes={"y": 0, "pair": (1, None)})(params, xs)
    for i in range(2):
        np.testing.assert_allclose(out["y"][i], params["w"] @ xs[:, i] + params["b"][i, 0])
    np.testing.assert_allclose(out["pair"][0], xs)
    np.testing.assert_allclose(out["pair"][1], params["w"])


def test_unbatched_outputs_are_repeated_or_returned_once():
    xs = rng.standard_normal((3, 2))
    both = vmap(lambda x: (anp.sum(x), np.ones(2)))(xs)
    np.testing.assert_allclose(both[0], xs.sum(axis=1))
    np.testing.assert_array_equal(both[1], np.ones((3, 2)))
    both[1][0, 0] = 5.0  # a writable array, not a broadcast view
    once = vmap(lambda x: (anp.sum(x), np.ones(2)), out_axes=(0, None))(xs)
    np.testing.assert_array_equal(once[1], np.ones(2))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: vmap(anp.add)(np.ones((2, 3)), np.ones((3, 3))), "different batch sizes"),
        (lambda: vmap(anp.sin, in_axes=2)(np.ones((2, 3))), "no such axis"),
        (lambda: vmap(anp.sin, in_axes=None)(np.ones(2)), "at least one batched input"),
        (lambda: vmap(anp.add, in_axes=(0,))(np.ones(2), np.ones(2)), "one axis"),
        (lambda: vmap(anp.sin, out_axes=None)(np.ones(2)), "out_axes is None"),
        (lambda: vmap(anp.sin, out_axes=3)(np.ones(2)), "out of range"),
    ],
)
def test_mistakes_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# ---------------------------------------------------------------------------
# Composition with the differential operators and with itself


def loss(w, x, y):
    return (anp.tanh(anp.dot(x, w)) - y) ** 2


def test_per_example_gradients_by_vmap_of_grad():
    w, xs, ys = rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5)
    got = vmap(grad(loss), in_axes=(None, 0, 0))(w, xs, ys)
    expected = np.stack([grad(loss)(w, x, y) for x, y in zip(xs, ys)])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    values, grads = vmap(value_and_grad(loss), in_axes=(None, 0, 0))(w, xs, ys)
    np.testing.assert_allclose(grads, expected, rtol=1e-12)
    np.testing.assert_allclose(values, [loss(w, x, y) for x, y in zip(xs, ys)])


def test_gradient_of_a_vmapped_function_equals_the_gradient_of_the_loop():
    w, xs, ys = rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5)
    batched = lambda w: anp.sum(vmap(loss, in_axes=(None, 0, 0))(w, xs, ys))
    looped = lambda w: sum(loss(w, x, y) for x, y in zip(xs, ys))
    np.testing.assert_allclose(grad(batched)(w), grad(looped)(w), rtol=1e-12)
    np.testing.assert_allclose(hessian(batched)(w), hessian(looped)(w), rtol=1e-10)


def test_nested_vmap_maps_over_two_axes():
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    pairwise = vmap(vmap(lambda a, b: anp.sum((a - b) ** 2), in_axes=(None, 0)), in_axes=(0, None))
    expected = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(pairwise(x, y), expected, rtol=1e-12)
    outer_in_inner = vmap(vmap(anp.outer, in_axes=(0, None)), in_axes=(None, 0))(x, y)
    assert outer_in_inner.shape == (5, 3, 4, 4)
    np.testing.assert_allclose(outer_in_inner[2, 1], np.outer(x[1], y[2]))


def test_vmap_of_vmap_of_grad_and_grad_of_vmap_of_vmap():
    xs = rng.standard_normal((2, 3, 4))
    f = lambda x: anp.sum(anp.sin(x) * x)
    got = vmap(vmap(grad(f)))(xs)
    np.testing.assert_allclose(got, np.sin(xs) + xs * np.cos(xs), rtol=1e-12)
    total = lambda x: anp.sum(vmap(vmap(lambda v: anp.sin(v) * v))(x))
    np.testing.assert_allclose(grad(total)(xs), got, rtol=1e-12)


def test_vmap_of_make_jvp_and_make_vjp():
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)
    f = lambda x: anp.tanh(A @ x)
    tangents = rng.standard_normal((6, 3))
    _, columns = vmap(lambda v: make_jvp(f)(x)(v), out_axes=(None, 0))(tangents)
    J = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    np.testing.assert_allclose(columns, tangents @ J.T, rtol=1e-12)
    vjp, _ = make_vjp(f)(x)
    cotangents = rng.standard_normal((6, 4))
    np.testing.assert_allclose(vmap(vjp)(cotangents), cotangents @ J, rtol=1e-12)


def test_make_jvp_of_a_vmapped_function():
    xs, vs = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    f = vmap(lambda x: anp.sum(x**3))
    value, tangent = make_jvp(f)(xs)(vs)
    np.testing.assert_allclose(value, (xs**3).sum(1))
    np.testing.assert_allclose(tangent, (3 * xs**2 * vs).sum(1), rtol=1e-12)


# ---------------------------------------------------------------------------
# Rules, the fallback loop and strict mode


@primitive
def cube_plus(x, c):
    return x**3 + c


defvjp(cube_plus, lambda g, ans, x, c: g * 3 * x**2, lambda g, ans, x, c: g)


def test_a_primitive_without_a_rule_is_looped_counted_and_logged(caplog):
    xs = rng.standard_normal((4, 2))
    before = batching.fallback_counts["cube_plus"]
    with caplog.at_level(logging.INFO, logger="autodidact.batching"):
        got = vmap(cube_plus, in_axes=(0, None))(xs, 1.0)
    np.testing.assert_allclose(got, xs**3 + 1)
    assert batching.fallback_counts["cube_plus"] == before + 1
    assert "cube_plus" in caplog.text and "cube_plus" in batching.fallback_report()
    # the loop is differentiable: per-example gradients through it
    per_example = vmap(grad(lambda x: anp.sum(cube_plus(x, 1.0))))(xs)
    np.testing.assert_allclose(per_example, 3 * xs**2)


def test_strict_mode_names_the_primitive_and_the_fix():
    with pytest.raises(NotImplementedError, match=r"cube_plus.*defbatch"):
        vmap(cube_plus, in_axes=(0, None), strict=True)(np.ones((2, 2)), 1.0)


def test_a_registered_rule_is_used():
    @primitive
    def double(x):
        return 2 * x

    calls = []

    def double_rule(args, dims):
        calls.append(dims)
        return double(args[0]), dims[0]

    defbatch(double, double_rule)
    np.testing.assert_allclose(
        vmap(double, in_axes=1, strict=True)(np.ones((2, 3))), 2 * np.ones((3, 2))
    )
    assert calls == [(1,)]


def test_python_branches_on_batched_values():
    def relu_by_branch(x):
        return x if x > 0 else 0.0 * x

    np.testing.assert_allclose(vmap(relu_by_branch)(np.array([1.0, 2.0])), [1.0, 2.0])
    with pytest.raises(ValueError, match="anp.where"):
        vmap(relu_by_branch)(np.array([1.0, -2.0]))


def test_results_of_different_shapes_cannot_be_batched():
    with pytest.raises(ValueError, match="getitem"):
        vmap(lambda x: x[x > 0])(np.array([[1.0, -1.0], [1.0, 1.0]]))


# ---------------------------------------------------------------------------
# Every derivative rule, batched: Jacobians in one pass, per-example gradients

ALL_CASES = [
    c
    for c in UNARY_CASES
    + BINARY_CASES
    + cat.reductions()
    + cat.products()
    + cat.shape_ops()
    + cat.added_functions()
    + LINALG_CASES
    if c[0] not in NOT_BATCHABLE
]


def _flat_output(fun):
    """fun with its outputs raveled and joined, so one Jacobian covers a tuple output."""

    def flat(*args):
        out = fun(*args)
        parts = out if isinstance(out, tuple) else (out,)
        return anp.concatenate([anp.ravel(p) for p in parts])

    return flat


@pytest.mark.parametrize("name, fun, args", ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_batched_jacobians_equal_the_looped_ones(name, fun, args):
    flat = _flat_output(fun)
    for argnum in range(len(args)):
        if name.startswith("method-") and argnum > 0:
            continue
        for jacobian in (jacfwd, jacrev):
            looped = jacobian(flat, argnum, batched=False)(*args)
            together = jacobian(flat, argnum)(*args)
            np.testing.assert_allclose(together, looped, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, fun, args", ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_per_example_gradients_for_every_rule(name, fun, args):
    size = 3
    batched_args = [
        np.stack([perturbed(a, 1 + 10 * i + k) for i in range(size)]) for k, a in enumerate(args)
    ]
    weights = rng.standard_normal(np.size(np.asarray(_flat_output(fun)(*args))))
    scalar = lambda *a: anp.sum(_flat_output(fun)(*a) * weights)
    argnum = 0
    got = vmap(grad(scalar, argnum))(*batched_args)
    expected = np.stack([grad(scalar, argnum)(*[b[i] for b in batched_args]) for i in range(size)])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_a_checkpointed_function_is_looped_over_the_batch():
    from autodidact import checkpoint

    step = checkpoint(lambda x, W: anp.tanh(W @ x))
    W, xs = rng.standard_normal((3, 3)), rng.standard_normal((4, 3))
    before = batching.fallback_counts[step.__name__]
    np.testing.assert_allclose(vmap(step, (0, None))(xs, W), np.tanh(xs @ W.T))
    assert batching.fallback_counts[step.__name__] == before + 1
    per_example = vmap(grad(lambda x: anp.sum(step(x, W))))(xs)
    expected = [grad(lambda x: anp.sum(anp.tanh(W @ x)))(x) for x in xs]
    np.testing.assert_allclose(per_example, expected, rtol=1e-12)


# ---------------------------------------------------------------------------
# Shapes drawn by hypothesis: broadcasting, reduction axes, products


def batch_of(data, examples, label):
    """Stack examples along a drawn axis, or share the first one (None); returns (array, axis)."""
    ndim = np.ndim(examples[0]) + 1
    axis = data.draw(st.none() | st.integers(-ndim, ndim - 1), label=label)
    if axis is None:
        return examples[0], None
    return np.stack(examples, axis=axis), axis


def loop(fun, batched, axes, size):
    """The examples one by one: fun on each, stacked along axis 0."""
    take = lambda x, a, i: x if a is None else np.take(x, i, axis=a)  # noqa: E731
    return np.stack(
        [np.asarray(fun(*[take(x, a, i) for x, a in zip(batched, axes)])) for i in range(size)]
    )


@SETTINGS
@given(data=st.data())
def test_broadcasting_binary_functions_over_drawn_shapes(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    size = data.draw(st.integers(1, 3))
    fun = data.draw(st.sampled_from([anp.add, anp.multiply, anp.maximum, anp.arctan2, anp.hypot]))
    examples = [
        [np.random.default_rng(10 * i + k).uniform(0.5, 2, shape) for i in range(size)]
        for k, shape in enumerate(shapes.input_shapes)
    ]
    (x, ax), (y, ay) = batch_of(data, examples[0], "x axis"), batch_of(data, examples[1], "y axis")
    if ax is None and ay is None:
        return
    got = vmap(fun, in_axes=(ax, ay), strict=True)(x, y)
    np.testing.assert_allclose(got, loop(fun, (x, y), (ax, ay), size), rtol=1e-13)


@SETTINGS
@given(data=st.data())
def test_reductions_over_drawn_shapes_and_axes(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    size = data.draw(st.integers(1, 3))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    reduce = data.draw(st.sampled_from([anp.sum, anp.mean, anp.max, anp.var, anp.prod]))
    examples = [np.random.default_rng(i).uniform(0.5, 2, shape) for i in range(size)]
    x, ax = batch_of(data, examples, "batch axis")
    if ax is None:
        return
    fun = lambda v: reduce(v, axis=axis, keepdims=keepdims)  # noqa: E731
    np.testing.assert_allclose(vmap(fun, ax, strict=True)(x), loop(fun, (x,), (ax,), size))
    cumulative = lambda v: anp.cumsum(v, axis=axis)  # noqa: E731
    np.testing.assert_allclose(
        vmap(cumulative, ax, strict=True)(x), loop(cumulative, (x,), (ax,), size)
    )


@SETTINGS
@given(data=st.data())
def test_products_over_drawn_shapes(data):
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    lead = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=2))
    a_shape = data.draw(st.sampled_from([(k,), (n, k), lead + (n, k)]))
    b_shape = data.draw(st.sampled_from([(k,), (k, m), lead + (k, m)]))
    size = data.draw(st.integers(1, 3))
    rng = np.random.default_rng(0)
    a, aa = batch_of(data, [rng.standard_normal(a_shape) for _ in range(size)], "a axis")
    b, ab = batch_of(data, [rng.standard_normal(b_shape) for _ in range(size)], "b axis")
    if aa is None and ab is None:
        return
    products = [anp.matmul, anp.dot]
    if len(b_shape) <= 2:  # b's first axis is the contracted one
        products.append(lambda p, q: anp.tensordot(p, q, ([-1], [0])))
    for fun in products:
        got = vmap(fun, in_axes=(aa, ab), strict=True)(a, b)
        np.testing.assert_allclose(got, loop(fun, (a, b), (aa, ab), size), atol=1e-12)
    subscripts = {1: "...k,k->...", 2: "...k,km->...m"}.get(len(b_shape), "...k,...km->...m")
    einsum = lambda p, q: anp.einsum(subscripts, p, q)  # noqa: E731
    got = vmap(einsum, in_axes=(aa, ab), strict=True)(a, b)
    np.testing.assert_allclose(got, loop(einsum, (a, b), (aa, ab), size), atol=1e-12)
