"""watch_batching: the table of batching-rule calls of one vmap, with the rules put back after."""

from __future__ import annotations

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import batching, grad, primitive, vmap
from autodidact.teaching.batch_trace import watch_batching

W = np.arange(6.0).reshape(2, 3)
X = np.linspace(-1, 1, 15).reshape(5, 3)


def test_each_primitive_shows_its_rule_call_with_shapes_and_batch_axes():
    trace = watch_batching(lambda x: anp.sum(anp.tanh(W @ x)), X)
    assert str(trace).splitlines() == [
        "vmap over 5 examples: 3 primitives, each called once on the whole batch",
        "primitive  arguments: shape, batch axis  result: shape, batch axis",
        "matmul     (2, 3) shared, (5, 3) axis 0  (2, 5) axis 1",
        "tanh       (2, 5) axis 1                 (2, 5) axis 1",
        "sum        (2, 5) axis 1                 (5,) axis 0",
    ]
    np.testing.assert_allclose(trace.output, np.tanh(X @ W.T).sum(axis=1))


def test_keyword_arguments_plain_arguments_and_in_axes_are_shown():
    trace = watch_batching(
        lambda x, y: anp.cumsum(x * y, axis=0) ** 2,
        np.ones((3, 4, 2)),
        np.ones(2),
        in_axes=(1, None),
    )
    assert trace.size == 4
    lines = str(trace).splitlines()
    assert lines[2].split() == ["multiply", "(3,", "4,", "2)", "axis", "1,", "(2,)", "shared"] + [
        "(4,",
        "3,",
        "2)",
        "axis",
        "0",
    ]
    assert lines[3].startswith("cumsum(axis=0)")
    assert lines[4].split()[:6] == ["power", "(4,", "3,", "2)", "axis", "0,"]
    assert lines[4].split()[6] == "2"


@primitive
def outer_with_itself(x):
    """A primitive no batching rule is registered for."""
    return np.multiply.outer(x, x)


def test_a_primitive_without_a_rule_shows_as_looped():
    trace = watch_batching(outer_with_itself, X)
    assert trace.calls[0].looped and "no rule: looped" in str(trace)
    assert "1 primitive, looped over the examples" in str(trace)


def test_the_rules_are_put_back_even_when_the_function_raises():
    rules = dict(batching.batch_rules)
    fallback = batching.loop_over_batch
    watch_batching(grad(lambda w, x: anp.sum(anp.tanh(w @ x))), W, X, in_axes=(None, 0))
    with pytest.raises(ValueError):
        watch_batching(lambda x: x @ np.ones((7, 2)), X)
    assert batching.batch_rules == rules and batching.loop_over_batch is fallback
    np.testing.assert_allclose(vmap(anp.sin)(X), np.sin(X))
