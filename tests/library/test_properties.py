"""Property tests: hypothesis draws shapes and values, finite differences judge.

For each drawn input, check_grads compares the JVP (forward mode) and the
VJP (reverse mode) of a primitive with central differences along a random
direction. Shapes include scalars and broadcasting pairs; values stay inside
each function's domain and away from its kinks.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodidact.numpy as anp
from autodidact import check_grads

MODES = ["fwd", "rev"]
SETTINGS = settings(deadline=None, max_examples=40, derandomize=True)

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def arrays(shape, low, high):
    """Float64 arrays of `shape` with entries in [low, high]."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elements)


def distinct_arrays(shape):
    """Arrays whose entries are at least 0.1 apart: max and min have no ties."""
    size = int(np.prod(shape))
    integers = st.lists(st.integers(-30, 30), min_size=size, max_size=size, unique=True)
    return integers.map(lambda values: np.reshape(np.array(values, dtype=float) / 10, shape))


# name -> (function, lowest and highest input)
UNARY = {
    "exp": (anp.exp, -2.0, 2.0),
    "log": (anp.log, 0.2, 3.0),
    "sqrt": (anp.sqrt, 0.2, 3.0),
    "sin": (anp.sin, -3.0, 3.0),
    "tanh": (anp.tanh, -2.0, 2.0),
    "arctan": (anp.arctan, -2.0, 2.0),
    "reciprocal": (anp.reciprocal, 0.3, 3.0),
    "log1p": (anp.log1p, -0.5, 2.0),
    "square": (anp.square, -2.0, 2.0),
}

# name -> (function, range of x, range of y)
BINARY = {
    "add": (anp.add, (-2.0, 2.0), (-2.0, 2.0)),
    "subtract": (anp.subtract, (-2.0, 2.0), (-2.0, 2.0)),
    "multiply": (anp.multiply, (-2.0, 2.0), (-2.0, 2.0)),
    "divide": (anp.divide, (-2.0, 2.0), (0.3, 2.0)),
    "power": (anp.power, (0.3, 2.0), (-2.0, 2.0)),
    "arctan2": (anp.arctan2, (-2.0, 2.0), (0.3, 2.0)),
    "hypot": (anp.hypot, (0.3, 2.0), (0.3, 2.0)),
    "logaddexp": (anp.logaddexp, (-2.0, 2.0), (-2.0, 2.0)),
}

REDUCTIONS = {
    "sum": anp.sum,
    "mean": anp.mean,
    "prod": anp.prod,
    "var": anp.var,
}


@SETTINGS
@given(name=st.sampled_from(sorted(UNARY)), data=st.data())
def test_unary(name, data):
    fun, low, high = UNARY[name]
    x = data.draw(arrays(data.draw(SHAPES), low, high))
    check_grads(fun, modes=MODES, order=1)(x)


@SETTINGS
@given(name=st.sampled_from(sorted(BINARY)), data=st.data())
def test_binary_with_broadcasting(name, data):
    fun, x_range, y_range = BINARY[name]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    x_shape, y_shape = shapes.input_shapes
    x = data.draw(arrays(x_shape, *x_range))
    y = data.draw(arrays(y_shape, *y_range))
    check_grads(fun, modes=MODES, order=1)(x, y)


def _axis_and_keepdims(data, shape):
    axis = data.draw(st.sampled_from([None, *range(len(shape))]))
    return axis, data.draw(st.booleans())


@SETTINGS
@given(name=st.sampled_from(sorted(REDUCTIONS)), data=st.data())
def test_reductions(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3))
    axis, keepdims = _axis_and_keepdims(data, shape)
    x = data.draw(arrays(shape, 0.3, 2.0))
    fun = REDUCTIONS[name]
    check_grads(lambda x: fun(x, axis=axis, keepdims=keepdims), modes=MODES, order=1)(x)


@SETTINGS
@given(extreme=st.sampled_from([anp.max, anp.min]), data=st.data())
def test_max_and_min_without_ties(extreme, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    axis, keepdims = _axis_and_keepdims(data, shape)
    x = data.draw(distinct_arrays(shape))
    check_grads(lambda x: extreme(x, axis=axis, keepdims=keepdims), modes=MODES, order=1)(x)


@SETTINGS
@given(scan=st.sampled_from([anp.cumsum, anp.cumprod]), data=st.data())
def test_scans(scan, data):
    shape = data.draw(SHAPES.filter(lambda s: len(s) >= 1))
    axis = data.draw(st.sampled_from([None, *range(len(shape))]))
    x = data.draw(arrays(shape, 0.5, 1.5))
    check_grads(lambda x: scan(x, axis=axis), modes=MODES, order=1)(x)


@SETTINGS
@given(data=st.data())
def test_matmul_of_drawn_shapes(data):
    n, k, m = data.draw(st.tuples(*[st.integers(1, 3)] * 3))
    batch = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2))
    a = data.draw(arrays(batch + (n, k), -2.0, 2.0))
    b = data.draw(arrays((k, m), -2.0, 2.0))
    check_grads(anp.matmul, modes=MODES, order=1)(a, b)


@SETTINGS
@given(data=st.data())
def test_second_order_of_a_composite(data):
    x = data.draw(arrays(data.draw(SHAPES), -1.5, 1.5))
    check_grads(lambda x: anp.sum(anp.tanh(x) * anp.exp(x / 2)), modes=MODES, order=2)(x)
