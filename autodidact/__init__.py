"""autodidact: automatic differentiation you can read in a sitting.

    import autodidact.numpy as anp
    from autodidact import grad

    def f(x):
        return anp.sum(anp.tanh(x) ** 2)

    grad(f)(anp.ones(3))

The API follows HIPS Autograd. Read the library in this order: `tracer.py`
(boxes and nodes), `reverse.py` (the backward pass), `operators.py` (grad
and friends), then the NumPy bindings in `numpy/`. `forward.py` (forward
mode) and `batching.py` (vmap) are two more kinds of trace on the same tracer.
"""

from .batching import defbatch, vmap
from .checkpoint import checkpoint
from .fixed_point import fixed_point
from .forward import def_linear, defjvp, defjvp_argnum
from .operators import (
    elementwise_grad,
    grad,
    hessian,
    hessian_tensor_product,
    holomorphic_grad,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    make_hvp,
    make_jvp,
    make_vjp,
    stop_gradient,
    value_and_grad,
)
from .reverse import defvjp, defvjp_argnum, defvjp_argnums
from .test_util import check_grads
from .tracer import notrace_primitive, primitive

# The wrapped NumPy registers the Box for arrays and numbers and every rule, so
# `from autodidact import grad` works even before `import autodidact.numpy`.
from . import numpy  # noqa: E402, F401  isort: skip

__all__ = [
    "grad",
    "value_and_grad",
    "elementwise_grad",
    "holomorphic_grad",
    "make_vjp",
    "jacobian",
    "make_jvp",
    "jacfwd",
    "jacrev",
    "hessian",
    "hessian_tensor_product",
    "hvp",
    "make_hvp",
    "defvjp",
    "defvjp_argnum",
    "defvjp_argnums",
    "defjvp",
    "defjvp_argnum",
    "def_linear",
    "primitive",
    "notrace_primitive",
    "check_grads",
    "checkpoint",
    "fixed_point",
    "stop_gradient",
    "vmap",
    "defbatch",
]
