"""Checkpointing gives the same gradient from a shorter tape; cheap rules keep no arrays."""

import gc
import importlib.util
import weakref
from pathlib import Path

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import check_grads, checkpoint, grad, make_vjp


def load_benchmark():
    path = Path(__file__).parents[2] / "benchmarks" / "checkpoint.py"
    spec = importlib.util.spec_from_file_location("checkpoint_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checkpointed_gradient_equals_the_plain_one():
    segment = checkpoint(lambda x, w: anp.tanh(w * anp.sin(x) + 0.1))

    def loss(x, w):
        for _ in range(5):
            x = segment(x, w)
        return anp.sum(x**2)

    def plain(x, w):
        for _ in range(5):
            x = anp.tanh(w * anp.sin(x) + 0.1)
        return anp.sum(x**2)

    x, w = np.linspace(-1, 1, 7), 1.3
    for argnum in (0, 1):
        np.testing.assert_allclose(
            grad(loss, argnum)(x, w), grad(plain, argnum)(x, w), rtol=1e-14, atol=1e-14
        )
    check_grads(loss, modes=["fwd", "rev"], order=2)(x, w)


def test_hessian_through_a_checkpoint():
    from autodidact import hessian

    segment = checkpoint(lambda x: anp.sin(x) * x)
    H = hessian(lambda x: anp.sum(segment(x)))(np.array([0.3, 1.1]))
    x = np.array([0.3, 1.1])
    np.testing.assert_allclose(H, np.diag(2 * np.cos(x) - x * np.sin(x)), rtol=1e-12)


def test_checkpoint_recomputes_only_in_the_backward_pass():
    calls = []

    def segment(x):
        calls.append(1)
        return anp.exp(x)

    vjp, _ = make_vjp(lambda x: checkpoint(segment)(x))(0.5)
    assert len(calls) == 1
    assert vjp(1.0) == pytest.approx(np.exp(0.5))
    assert len(calls) == 2


def test_checkpointing_a_long_chain_cuts_peak_memory_tenfold():
    benchmark = load_benchmark()
    x = np.random.default_rng(0).standard_normal(20_000)
    plain = benchmark.plain_loss(900)
    checkpointed = benchmark.checkpointed_loss(900, 30)
    np.testing.assert_allclose(grad(checkpointed)(x), grad(plain)(x), rtol=0, atol=1e-12)
    ratio = benchmark.peak_memory(checkpointed, x) / benchmark.peak_memory(plain, x)
    assert ratio <= 0.1


def test_cheap_rules_do_not_keep_their_arrays_on_the_tape():
    refs = {}

    def f(x):
        a = x * 2.0  # multiply's rule for x reads only the constant
        refs["a"] = weakref.ref(a._value)
        b = a + 1.0  # add reads shapes only
        refs["b"] = weakref.ref(b._value)
        c = anp.reshape(-b, (2, 2)).T  # negative, reshape, transpose: shapes only
        refs["c"] = weakref.ref(c._value)
        return anp.sum(c)

    vjp, _ = make_vjp(f)(np.ones(4))
    gc.collect()
    assert {name: ref() is None for name, ref in refs.items()} == {"a": True, "b": True, "c": True}
    np.testing.assert_allclose(vjp(1.0), -2 * np.ones(4))


def test_rules_that_need_values_keep_them():
    refs = {}

    def f(x):
        a = anp.sin(x)
        refs["a"] = weakref.ref(a._value)
        return anp.sum(a * a)  # multiply by a traced value reads it

    vjp, _ = make_vjp(f)(np.ones(3))
    gc.collect()
    assert refs["a"]() is not None
    np.testing.assert_allclose(vjp(1.0), 2 * np.sin(1.0) * np.cos(1.0) * np.ones(3))
