"""A shared catalogue of test functions: every differentiable primitive, with inputs.

Each entry is (name, function, args). Inputs stay inside each function's
domain and away from its kinks, so central differences are accurate.
Both the reverse-mode and (later) forward-mode tests run over this list.
"""

import numpy as np

import autodidact.numpy as anp

rng = np.random.default_rng(0)


def positive(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


def unit(*shape):
    return rng.uniform(-0.8, 0.8, size=shape)


def normal(*shape):
    return rng.standard_normal(shape)


def scalar():
    return float(rng.uniform(0.3, 0.9))


UNARY = {
    "negative": (anp.negative, normal),
    "exp": (anp.exp, normal),
    "exp2": (anp.exp2, normal),
    "expm1": (anp.expm1, normal),
    "log": (anp.log, positive),
    "log2": (anp.log2, positive),
    "log10": (anp.log10, positive),
    "log1p": (anp.log1p, positive),
    "sqrt": (anp.sqrt, positive),
    "square": (anp.square, normal),
    "reciprocal": (anp.reciprocal, positive),
    "abs": (anp.abs, positive),
    "fabs": (lambda x: anp.fabs(-x), positive),
    "sin": (anp.sin, normal),
    "cos": (anp.cos, normal),
    "tan": (anp.tan, unit),
    "arcsin": (anp.arcsin, unit),
    "arccos": (anp.arccos, unit),
    "arctan": (anp.arctan, normal),
    "sinh": (anp.sinh, normal),
    "cosh": (anp.cosh, normal),
    "tanh": (anp.tanh, normal),
    "arcsinh": (anp.arcsinh, normal),
    "arccosh": (lambda x: anp.arccosh(x + 1.5), positive),
    "arctanh": (anp.arctanh, unit),
    "sinc": (anp.sinc, normal),
    "clip": (lambda x: anp.clip(x, -0.5, 0.5), normal),
    "where": (lambda x: anp.where(x > 0, x**2, anp.sin(x)), normal),
}

BINARY = {
    "add": (anp.add, normal, normal),
    "subtract": (anp.subtract, normal, normal),
    "multiply": (anp.multiply, normal, normal),
    "divide": (anp.divide, normal, positive),
    "true_divide": (anp.true_divide, normal, positive),
    "power": (anp.power, positive, normal),
    "maximum": (anp.maximum, normal, normal),
    "minimum": (anp.minimum, normal, normal),
    "fmax": (anp.fmax, normal, normal),
    "fmin": (anp.fmin, normal, normal),
    "arctan2": (anp.arctan2, normal, positive),
    "hypot": (anp.hypot, positive, positive),
    "logaddexp": (anp.logaddexp, normal, normal),
    "logaddexp2": (anp.logaddexp2, normal, normal),
    "mod": (anp.mod, positive, lambda *s: positive(*s) + 2.5),
    "remainder": (anp.remainder, positive, lambda *s: positive(*s) + 2.5),
}

# Broadcasting pairs of shapes for the binary functions.
BROADCAST_SHAPES = [
    ((), ()),
    ((3,), ()),
    ((), (3,)),
    ((4, 3), (3,)),
    ((4, 1), (1, 3)),
    ((2, 1, 3), (4, 3)),
]
SHAPES = [(), (4,), (3, 2)]


def reductions():
    x = normal(3, 4)
    cases = []
    for name, fun in [("sum", anp.sum), ("mean", anp.mean), ("var", anp.var), ("std", anp.std)]:
        for axis in [None, 0, 1, (0, 1)]:
            for keepdims in [False, True]:
                cases.append(
                    (
                        f"{name}-{axis}-{keepdims}",
                        lambda x, f=fun, a=axis, k=keepdims: f(x, axis=a, keepdims=k),
                        (x,),
                    )
                )
    for name, fun in [("max", anp.max), ("min", anp.min), ("amax", anp.amax), ("amin", anp.amin)]:
        for axis in [None, 0, 1]:
            cases.append((f"{name}-{axis}", lambda x, f=fun, a=axis: f(x, axis=a), (x,)))
    cases.append(("max-keepdims", lambda x: anp.max(x, axis=1, keepdims=True), (x,)))
    cases.append(("prod", lambda x: anp.prod(x), (positive(3, 2),)))
    cases.append(("prod-axis", lambda x: anp.prod(x, axis=0, keepdims=True), (positive(3, 2),)))
    cases.append(("var-ddof", lambda x: anp.var(x, axis=0, ddof=1), (x,)))
    cases.append(("std-ddof", lambda x: anp.std(x, ddof=1), (x,)))
    cases.append(("cumsum", lambda x: anp.cumsum(x), (x,)))
    cases.append(("cumsum-axis", lambda x: anp.cumsum(x, axis=1), (x,)))
    cases.append(("cumprod", lambda x: anp.cumprod(x), (positive(2, 3),)))
    cases.append(("cumprod-axis", lambda x: anp.cumprod(x, axis=0), (positive(2, 3),)))
    cases.append(("method-sum", lambda x: x.sum(axis=0), (x,)))
    cases.append(("method-mean", lambda x: x.mean(), (x,)))
    return cases


def products():
    A, B, v, w = normal(3, 4), normal(4, 2), normal(4), normal(3)
    return [
        ("dot-mm", anp.dot, (A, B)),
        ("dot-mv", anp.dot, (A, v)),
        ("dot-vm", anp.dot, (w, A)),
        ("dot-vv", anp.dot, (v, normal(4))),
        ("dot-scalar", anp.dot, (scalar(), v)),
        ("dot-nd", anp.dot, (normal(2, 3, 4), normal(5, 4, 2))),
        ("method-dot", lambda a, b: a.dot(b), (A, B)),
        ("matmul", anp.matmul, (A, B)),
        ("matmul-operator", lambda a, b: a @ b, (A, B)),
        ("matmul-mv", anp.matmul, (A, v)),
        ("matmul-vm", anp.matmul, (w, A)),
        ("matmul-vv", anp.matmul, (v, normal(4))),
        ("matmul-batched", anp.matmul, (normal(2, 3, 4), normal(4, 5))),
        ("matmul-broadcast", anp.matmul, (normal(2, 1, 3, 4), normal(3, 4, 2))),
        ("tensordot-2", lambda a, b: anp.tensordot(a, b, 2), (normal(2, 3, 4), normal(3, 4, 5))),
        (
            "tensordot-axes",
            lambda a, b: anp.tensordot(a, b, ([0, 2], [2, 0])),
            (normal(2, 3, 4), normal(4, 5, 2)),
        ),
        ("tensordot-0", lambda a, b: anp.tensordot(a, b, 0), (normal(2), normal(3))),
        ("einsum-matmul", lambda a, b: anp.einsum("ij,jk->ik", a, b), (A, B)),
        ("einsum-implicit", lambda a, b: anp.einsum("ij,jk", a, b), (A, B)),
        ("einsum-reduce", lambda a: anp.einsum("ij->i", a), (A,)),
        ("einsum-outer", lambda a, b: anp.einsum("i,j->ij", a, b), (v, w)),
        ("einsum-three", lambda a, b, c: anp.einsum("ij,jk,k->i", a, b, c), (A, B, normal(2))),
        (
            "einsum-ellipsis",
            lambda a, b: anp.einsum("...ij,...jk->...ik", a, b),
            (normal(2, 3, 4), normal(2, 4, 5)),
        ),
        ("outer", anp.outer, (v, w)),
        ("outer-matrix", anp.outer, (A, w)),
        ("inner", anp.inner, (v, normal(4))),
        ("inner-matrix", anp.inner, (A, normal(2, 4))),
        ("trace", anp.trace, (normal(3, 3),)),
        ("trace-offset", lambda a: anp.trace(a, 1), (normal(3, 4),)),
        ("trace-3d", lambda a: anp.trace(a, 0, 1, 2), (normal(2, 3, 3),)),
        ("diag-vector", anp.diag, (v,)),
        ("diag-vector-offset", lambda a: anp.diag(a, -1), (v,)),
        ("diag-matrix", anp.diag, (A,)),
        ("diagonal", anp.diagonal, (A,)),
        ("diagonal-offset", lambda a: anp.diagonal(a, 1), (A,)),
        ("diagonal-3d", lambda a: anp.diagonal(a, 0, 0, 2), (normal(3, 2, 4),)),
        ("kron", anp.kron, (normal(2, 3), normal(3, 2))),
        ("kron-vector", anp.kron, (normal(2), normal(3))),
        ("kron-mixed", anp.kron, (normal(3), normal(2, 2))),
    ]


def shape_ops():
    x = normal(3, 4)
    return [
        ("reshape", lambda x: anp.reshape(x, (2, 6)), (x,)),
        ("method-reshape", lambda x: x.reshape(6, 2), (x,)),
        ("ravel", anp.ravel, (x,)),
        ("transpose", anp.transpose, (x,)),
        ("transpose-axes", lambda x: anp.transpose(x, (2, 0, 1)), (normal(2, 3, 4),)),
        ("T", lambda x: x.T, (x,)),
        ("swapaxes", lambda x: anp.swapaxes(x, 0, 2), (normal(2, 3, 4),)),
        ("moveaxis", lambda x: anp.moveaxis(x, 0, -1), (normal(2, 3, 4),)),
        ("expand_dims", lambda x: anp.expand_dims(x, 1), (x,)),
        ("squeeze", anp.squeeze, (normal(3, 1, 2),)),
        ("broadcast_to", lambda x: anp.broadcast_to(x, (2, 3, 4)), (normal(3, 1),)),
        ("concatenate", lambda a, b: anp.concatenate([a, b], axis=1), (x, normal(3, 2))),
        ("concatenate-none", lambda a, b: anp.concatenate([a, b], axis=None), (x, normal(3, 2))),
        ("stack", lambda a, b: anp.stack([a, b], axis=1), (x, normal(3, 4))),
        ("stack-last", lambda a, b: anp.stack([a, b], axis=-1), (x, normal(3, 4))),
        ("hstack", lambda a, b: anp.hstack([a, b]), (x, normal(3, 2))),
        ("hstack-1d", lambda a, b: anp.hstack([a, b]), (normal(2), normal(3))),
        ("vstack", lambda a, b: anp.vstack([a, b]), (x, normal(4))),
        ("split", lambda x: anp.split(x, 2, axis=1)[1], (x,)),
        ("array_split", lambda x: anp.array_split(x, 3, axis=1)[0] * 2, (x,)),
        ("tile", lambda x: anp.tile(x, (2, 1, 3)), (x,)),
        ("repeat", lambda x: anp.repeat(x, 2, axis=1), (x,)),
        ("repeat-none", lambda x: anp.repeat(x, 3), (x,)),
        ("repeat-array", lambda x: anp.repeat(x, [1, 0, 2], axis=0), (x,)),
        ("flip", lambda x: anp.flip(x, 0), (x,)),
        ("flip-all", anp.flip, (x,)),
        ("roll", lambda x: anp.roll(x, 2, axis=1), (x,)),
        ("roll-flat", lambda x: anp.roll(x, -5), (x,)),
        ("triu", lambda x: anp.triu(x, 1), (x,)),
        ("tril", anp.tril, (x,)),
        ("pad", lambda x: anp.pad(x, ((1, 2), (0, 1))), (x,)),
        ("pad-int", lambda x: anp.pad(x, 2), (x,)),
        ("sort", lambda x: anp.sort(x, axis=1), (x,)),
        ("sort-none", lambda x: anp.sort(x, axis=None), (x,)),
        ("take", lambda x: anp.take(x, [0, 2, 2], axis=0), (x,)),
        ("take-flat", lambda x: anp.take(x, [[0, 5], [5, 11]]), (x,)),
        (
            "take_along_axis",
            lambda x: anp.take_along_axis(x, np.array([[0, 1], [3, 3], [2, 0]]), axis=1),
            (x,),
        ),
        ("array", lambda a, b: anp.array([a, b, a * b]), (scalar(), scalar())),
        ("array-nested", lambda a, b: anp.array([[a, b], [b, 1.0]]), (scalar(), scalar())),
        ("slice", lambda x: x[1:, ::2], (x,)),
        ("int-index", lambda x: x[[0, 0, 2], 1], (x,)),
        ("mask-index", lambda x: x[x > 0], (x,)),
        ("newaxis", lambda x: x[:, None, :], (x,)),
        ("iterate", lambda x: sum(row * i for i, row in enumerate(x)), (x,)),
    ]


def added_functions():
    """The functions and forms added for Autograd's own test suite (issue 13)."""
    x, A, B = normal(3, 4), normal(3, 4), normal(4, 2)
    distinct = np.array([0.3, -1.2, 2.5, 0.9, -0.4, 1.7])
    return [
        ("radians", anp.radians, (x,)),
        ("degrees", anp.degrees, (x,)),
        ("rot90", anp.rot90, (x,)),
        ("rot90-k2", lambda x: anp.rot90(x, 2), (x,)),
        ("rot90-k3-axes", lambda x: anp.rot90(x, 3, (2, 0)), (normal(2, 3, 4),)),
        ("append", anp.append, (normal(3), scalar())),
        ("append-axis", lambda a, b: anp.append(a, b, axis=0), (x, normal(1, 4))),
        ("r_", lambda a, b: anp.r_[a, b, 1:3], (normal(3), normal(2))),
        ("r_-matrices", lambda a, b: anp.r_[a, b], (x, normal(1, 4))),
        ("c_", lambda a, b: anp.c_[a, b, a], (x, normal(3))),
        ("make_diagonal", lambda d: anp.make_diagonal(d, axis1=-1, axis2=-2), (normal(2, 3),)),
        ("make_diagonal-offset", lambda d: anp.make_diagonal(d, -1), (normal(3),)),
        (
            "nan_to_num",
            lambda x: anp.sin(anp.nan_to_num(x + np.array([0.0, np.nan, np.inf, -np.inf]))),
            (normal(4),),
        ),
        ("linspace", lambda a, b: anp.linspace(a, b, 5), (scalar(), scalar() + 1)),
        ("linspace-one", lambda a, b: anp.linspace(a, b, 1), (scalar(), scalar())),
        ("linspace-arrays", lambda a, b: anp.linspace(a, b, 4, axis=-1), (normal(2), normal(2))),
        ("gradient", anp.gradient, (normal(5),)),
        ("gradient-axes", lambda x: anp.gradient(x, 0.5, axis=(0, -1)), (normal(4, 5),)),
        ("gradient-edge2", lambda x: anp.gradient(x, edge_order=2, axis=1), (normal(4, 5),)),
        ("diff", lambda x: anp.diff(x, 2, axis=0), (normal(4, 3),)),
        ("diff-prepend", lambda x: anp.diff(x, prepend=0.5, append=x[:, :1]), (normal(2, 4),)),
        ("partition", lambda x: anp.partition(x, 2), (distinct,)),
        ("partition-axis", lambda x: anp.partition(x, 1, axis=0), (distinct.reshape(3, 2),)),
        ("rollaxis", lambda x: anp.rollaxis(x, 2, 0), (normal(2, 3, 4),)),
        ("rollaxis-forward", lambda x: anp.rollaxis(x, 0, 3), (normal(2, 3, 4),)),
        ("cross", anp.cross, (normal(4, 3), normal(4, 3))),
        ("cross-axis", lambda a, b: anp.cross(a, b, axis=0), (normal(3, 2), normal(3, 2))),
        ("cross-axes", lambda a, b: anp.cross(a, b, 0, -1, 0), (normal(3, 2), normal(2, 3))),
        ("vsplit", lambda x: anp.vsplit(x, [1])[1], (x,)),
        ("hsplit", lambda x: anp.hsplit(x, 2)[0], (x,)),
        ("dsplit", lambda x: anp.dsplit(x, 2)[1], (normal(2, 2, 4),)),
        (
            "select",
            lambda a, b: anp.select([a > 0, b > 0], [a, b * 2], 0.5),
            (normal(3, 4), normal(3, 4)),
        ),
        ("row_stack", lambda a, b: anp.row_stack([a, b]), (normal(4), normal(2, 4))),
        ("einsum-operand-lists", lambda a, b: anp.einsum(a, [0, 1], b, [1, 2], [0, 2]), (A, B)),
        (
            "einsum-operand-lists-ellipsis",
            lambda a, b: anp.einsum(a, [Ellipsis, 0, 1], b, [Ellipsis, 1, 2]),
            (normal(2, 3, 4), normal(2, 4, 5)),
        ),
        ("mean-of-a-list", lambda x: anp.mean([x, 2 * x, x**2]), (scalar(),)),
        ("var-of-a-tuple", lambda x: anp.var((x, x + 2, x**2), axis=0), (normal(2),)),
        ("std-of-a-list", lambda x: anp.std([x, x**3]), (scalar(),)),
        ("norm-of-a-list", lambda x: anp.linalg.norm([x, x**2, 1.0]), (scalar(),)),
        ("std-of-one-entry", lambda x: anp.std(x, axis=0), (normal(1, 3),)),
    ]
