"""The functions and forms added for Autograd's suite, property-tested in both modes.

Hypothesis draws shapes, axes and parameters; check_grads holds the JVP and the
VJP (to second order) to central differences. Then the fixes: size-1 outputs in
grad, eigh reading one triangle, the std of a single entry, plain NumPy calls.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodidact.numpy as anp
from autodidact import check_grads, grad, jacfwd, jacrev, make_jvp, value_and_grad

MODES = ["fwd", "rev"]
SETTINGS = settings(deadline=None, max_examples=20, derandomize=True)


def arrays(shape, low=-2.0, high=2.0):
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elements)


SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
MATRIX_SHAPES = hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=4)


@SETTINGS
@given(data=st.data())
def test_rot90(data):
    x = data.draw(MATRIX_SHAPES.flatmap(arrays))
    k = data.draw(st.integers(-4, 4))
    first, second = data.draw(st.permutations(range(x.ndim)))[:2]
    check_grads(lambda x: anp.rot90(x, k, (first, second)), modes=MODES)(x)
    np.testing.assert_array_equal(anp.rot90(x, k, (first, second)), np.rot90(x, k, (first, second)))


@SETTINGS
@given(data=st.data())
def test_diff_and_gradient(data):
    x = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=3, max_side=4).flatmap(arrays))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = data.draw(st.integers(0, 2))
    edge_order = data.draw(st.sampled_from([1, 2]))
    spacing = data.draw(st.sampled_from([1.0, 0.5]))
    check_grads(lambda x: anp.diff(x, n, axis), modes=MODES)(x)
    check_grads(lambda x: anp.gradient(x, spacing, axis=axis, edge_order=edge_order), modes=MODES)(
        x
    )
    np.testing.assert_allclose(
        grad(lambda x: anp.sum(anp.gradient(x, spacing, axis=axis, edge_order=edge_order) ** 2))(x),
        grad(lambda x: anp.sum(np.gradient(x, spacing, axis=axis, edge_order=edge_order) ** 2))(x),
    )  # a plain np.gradient of a traced array is the traced version


@SETTINGS
@given(data=st.data())
def test_append_rollaxis_and_splits(data):
    x = data.draw(hnp.array_shapes(min_dims=3, max_dims=3, min_side=2, max_side=4).flatmap(arrays))
    axis = data.draw(st.integers(-3, 2))
    start = data.draw(st.integers(0, 3))
    values = data.draw(arrays(x.shape[: axis % 3] + (1,) + x.shape[axis % 3 + 1 :]))
    check_grads(lambda a, b: anp.append(a, b, axis=axis), modes=MODES)(x, values)
    check_grads(lambda a: anp.rollaxis(a, axis, start), modes=MODES)(x)
    for split in (anp.vsplit, anp.hsplit, anp.dsplit):
        check_grads(lambda a, split=split: split(a, [1])[-1], modes=MODES)(x)


@SETTINGS
@given(data=st.data())
def test_cross(data):
    leading = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    a = data.draw(arrays(leading + (3,)))
    b = data.draw(arrays(leading + (3,)))
    axis = data.draw(st.integers(-1 - len(leading), len(leading)))
    a, b = np.moveaxis(a, -1, axis), np.moveaxis(b, -1, axis)
    check_grads(lambda a, b: anp.cross(a, b, axis=axis), modes=MODES)(a, b)


@SETTINGS
@given(data=st.data())
def test_linspace_partition_select_and_nan_to_num(data):
    start, stop = data.draw(arrays((2,))), data.draw(arrays((2,)))
    num = data.draw(st.integers(0, 5))
    endpoint = data.draw(st.booleans())
    check_grads(lambda a, b: anp.linspace(a, b, num, endpoint, axis=-1), modes=MODES)(start, stop)
    values = data.draw(st.lists(st.integers(-30, 30), min_size=2, max_size=7, unique=True))
    x = np.array(values, dtype=float) / 10
    kth = data.draw(st.integers(0, len(values) - 1))
    check_grads(lambda x: anp.partition(x, kth), modes=MODES)(x)
    c = data.draw(arrays((3,)))
    check_grads(lambda a, b: anp.select([c > 0, c > 1], [a, b], -1.0), modes=MODES)(x[:1], c)
    holes = np.array([0.0, np.nan, np.inf])
    check_grads(lambda y: anp.sin(anp.nan_to_num(y + holes, posinf=2.0)), modes=MODES)(c)


@SETTINGS
@given(data=st.data())
def test_make_diagonal_radians_degrees_and_operand_lists(data):
    d = data.draw(SHAPES.flatmap(arrays))
    offset = data.draw(st.integers(-2, 2))
    made = anp.make_diagonal(d, offset, -2, -1)
    np.testing.assert_array_equal(np.diagonal(made, offset, -2, -1), d)
    check_grads(lambda d: anp.make_diagonal(d, offset, -1, -2), modes=MODES)(d)
    check_grads(lambda d: anp.radians(anp.degrees(d) * d), modes=MODES)(d)
    a = data.draw(arrays((2, 3)))
    b = data.draw(arrays((3, 2)))
    list_form = lambda a, b: anp.einsum(a, [0, 1], b, [1, 2], [2, 0])
    np.testing.assert_allclose(list_form(a, b), np.einsum("ij,jk->ki", a, b))
    check_grads(list_form, modes=MODES)(a, b)


def test_reductions_of_lists_and_tuples_of_traced_values():
    assert grad(lambda x: anp.mean([x, x + 2]))(0.0) == 1.0
    assert grad(lambda x: anp.mean((x, x + 2)))(0.0) == 1.0
    assert grad(lambda x: anp.std([x, x + 2]))(0.0) == 0.0  # symmetric about the mean
    assert grad(lambda x: anp.var((x, x + 2)))(0.0) == 0.0
    assert grad(lambda x: anp.linalg.norm([x, 2 * x]))(1.5) == pytest.approx(np.sqrt(5))
    assert np.mean([1.0, 3.0]) == anp.mean([1.0, 3.0])  # plain lists stay plain


def test_r_and_c_join_like_numpy():
    x, c = np.arange(6.0).reshape(3, 2), np.ones((3, 2))
    np.testing.assert_array_equal(anp.r_[x, c], np.r_[x, c])
    np.testing.assert_array_equal(anp.c_[x, c, x], np.c_[x, c, x])
    traced = grad(lambda x: anp.sum(anp.r_[x, c, x] ** 2))(x)
    np.testing.assert_allclose(traced, 4 * x)
    np.testing.assert_allclose(grad(lambda v: anp.sum(anp.r_[v, 1:4] * 2))(np.ones(2)), [2, 2])


# ---------------------------------------------------------------------------
# The fixes


@pytest.mark.parametrize("shape", [(1,), (1, 1), (1, 1, 1)])
def test_grad_accepts_an_output_of_size_one(shape):
    f = lambda x: anp.reshape(anp.sum(x**2), shape)
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(grad(f)(x), 2 * x)
    value, gradient = value_and_grad(f)(x)
    assert np.shape(value) == shape
    with pytest.raises(TypeError, match="scalar"):
        grad(lambda x: x * 2)(x)


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("part", [0, 1])
def test_eigh_reads_one_triangle_of_a_non_symmetric_matrix(uplo, part):
    a = np.random.default_rng(3).standard_normal((4, 4))  # not symmetric
    f = lambda a: anp.linalg.eigh(a, UPLO=uplo)[part]
    if part == 1:
        f = lambda a, f=f: anp.abs(f(a))  # the sign of an eigenvector is free
    check_grads(f, modes=MODES, order=2)(a)
    check_grads(lambda a: anp.linalg.eigvalsh(a, UPLO=uplo), modes=MODES, order=2)(a)
    # entries outside the triangle eigh reads have no effect
    outside = np.triu(np.ones((4, 4)), 1) if uplo == "L" else np.tril(np.ones((4, 4)), -1)
    w = lambda a: anp.sum(anp.linalg.eigvalsh(a, UPLO=uplo) ** 3)
    assert np.all(grad(w)(a)[outside == 1] == 0)


def test_std_of_a_single_entry_has_zero_derivative_in_both_modes():
    x = np.array([[0.7, -1.2, 2.0]])
    f = lambda x: anp.std(x, axis=0)
    assert not np.isnan(make_jvp(f)(x)(np.ones_like(x))[1]).any()
    np.testing.assert_array_equal(make_jvp(f)(x)(np.ones_like(x))[1], np.zeros(3))
    np.testing.assert_array_equal(jacrev(f)(x), np.zeros((3, 1, 3)))
    np.testing.assert_array_equal(jacfwd(f)(x), np.zeros((3, 1, 3)))


def test_plain_numpy_spellings_reach_the_traced_versions():
    x = np.array([0.3, -0.4, 1.1])
    for plain, traced in [
        (lambda x: np.sum(np.rot90(np.outer(x, x))), lambda x: anp.sum(anp.rot90(anp.outer(x, x)))),
        (lambda x: np.sum(np.diff(x) * np.radians(x[1:])), None),
        (lambda x: np.mean(np.append(x, x**2)), None),
        (lambda x: np.sum(np.cross(x, x**2)), None),
        (lambda x: np.sum(np.linspace(x[0], x[1], 4)), None),
    ]:
        expected = grad(traced)(x) if traced else None
        got = grad(plain)(x)
        if expected is not None:
            np.testing.assert_allclose(got, expected)
        check_grads(plain, modes=MODES)(x)
