"""Tuples, lists and dicts of arrays as inputs and outputs of differentiated functions.

Models keep their parameters in structures: a list of (W, b) pairs, a dict
of named arrays. The gradient with respect to such a structure is a structure
of the same shape holding the gradient of every array in it.

We get this by *flattening*: a structure is taken apart into its leaves (the
arrays and numbers in it, in a fixed order) and a function that rebuilds the
same structure from new leaves. The differential operators box each leaf on
its own, rebuild the structure from the boxes and hand that to the user's
function; indexing into it (`params["W"]`, `layers[0][1]`) is ordinary Python
indexing that returns the traced leaf. The adjoints of the leaves are rebuilt
into the structure at the end.

    >>> leaves, rebuild = flatten({"W": 1.0, "b": (2.0, 3.0)})
    >>> leaves
    [1.0, 2.0, 3.0]
    >>> rebuild([10.0, 20.0, 30.0])
    {'W': 10.0, 'b': (20.0, 30.0)}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["flatten", "is_container", "leaf_paths"]

CONTAINER_TYPES = (tuple, list, dict)


def is_container(x: Any) -> bool:
    """True for the tuples, lists and dicts that flattening takes apart."""
    return isinstance(x, CONTAINER_TYPES)


def flatten(x: Any) -> tuple[list, Callable[[list], Any]]:
    """The leaves of `x` in order, and a function that rebuilds `x`'s structure from new leaves.

    Dicts are walked in their insertion order; namedtuples and tuple or list
    subclasses come back as their own type.
    """
    leaves: list = []
    builder = _collect(x, leaves)

    def rebuild(new_leaves: list) -> Any:
        if len(new_leaves) != len(leaves):
            raise ValueError(f"expected {len(leaves)} leaves to rebuild, got {len(new_leaves)}")
        return builder(iter(new_leaves))

    return leaves, rebuild


def _collect(x: Any, leaves: list) -> Callable:
    """Append x's leaves to `leaves`; return a builder that takes new leaves from an iterator."""
    if isinstance(x, dict):
        keys = list(x)
        builders = [_collect(x[key], leaves) for key in keys]
        return lambda it: type(x)(
            (key, build(it)) for key, build in zip(keys, builders, strict=True)
        )
    if isinstance(x, (tuple, list)):
        builders = [_collect(item, leaves) for item in x]
        if hasattr(x, "_fields"):  # a namedtuple takes its fields as arguments
            return lambda it: type(x)(*[build(it) for build in builders])
        return lambda it: type(x)(build(it) for build in builders)
    leaves.append(x)
    return next


def leaf_paths(x: Any, prefix: str = "") -> list[str]:
    """A readable path for every leaf, in flattening order: `['W']`, `[1][0]`, ...

    Error messages use these to say *which* array of a structure is wrong.
    """
    if isinstance(x, dict):
        return [path for key in x for path in leaf_paths(x[key], f"{prefix}[{key!r}]")]
    if isinstance(x, (tuple, list)):
        return [path for i, item in enumerate(x) for path in leaf_paths(item, f"{prefix}[{i}]")]
    return [prefix]
