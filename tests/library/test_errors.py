"""The errors a learner meets: each names the cause and the fix."""

import numpy as np
import pytest

import autodidact.numpy as anp
from autodidact import defvjp, grad, jacobian, make_vjp, primitive


def test_gradient_of_a_non_scalar_output():
    with pytest.raises(TypeError, match=r"shape \(3,\).*elementwise_grad.*jacobian"):
        grad(anp.sin)(np.ones(3))


def test_integer_input():
    with pytest.raises(TypeError, match=r"integers.*5\.0 rather than 5"):
        grad(anp.sin)(5)
    with pytest.raises(TypeError, match=r"integers.*astype\(float\)"):
        grad(lambda x: anp.sum(x))(np.arange(3))


def test_integer_leaf_inside_a_dict_is_named():
    with pytest.raises(TypeError, match=r"argument 0\['n'\]"):
        grad(lambda p: p["w"] * 2.0)({"w": 1.0, "n": 3})


def test_non_numeric_input():
    with pytest.raises(TypeError, match="not a number"):
        grad(lambda s: 1.0)("hello")


def test_primitive_without_a_vjp_is_named_with_the_fix():
    @primitive
    def mystery(x):
        return 2 * x

    with pytest.raises(NotImplementedError, match=r"no VJP for argument 0 of `mystery`.*defvjp"):
        grad(mystery)(1.0)


def test_in_place_assignment_into_a_traced_array():
    def f(x):
        x[0] = 1.0
        return anp.sum(x)

    with pytest.raises(TypeError, match=r"in-place assignment.*anp.where"):
        grad(f)(np.zeros(3))


def test_assigning_a_traced_value_into_a_numpy_array():
    def f(x):
        out = np.zeros(2)
        out[0] = x
        return anp.sum(out)

    # NumPy reports "setting an array element with a sequence" and chains our
    # explanation as the direct cause, which the traceback prints first.
    with pytest.raises((TypeError, ValueError)) as info:
        grad(f)(1.0)
    message = str(info.value) + str(info.value.__cause__)
    assert "autodidact.numpy" in message and "anp.stack" in message


def test_vjp_with_the_wrong_shape_is_named():
    @primitive
    def double(x):
        return 2 * x

    defvjp(double, lambda g, ans, x: anp.sum(g))  # forgets that x is a vector
    with pytest.raises(ValueError, match=r"VJP of `double` for argument 0.*shape \(\).*\(3,\)"):
        grad(lambda x: anp.sum(double(x)))(np.ones(3))


def test_argnum_out_of_range():
    with pytest.raises(IndexError, match=r"argnum=2.*2 positional argument"):
        grad(lambda a, b: a * b, argnum=2)(1.0, 2.0)


def test_plain_numpy_function_without_a_rule():
    with pytest.raises(TypeError, match=r"numpy.unwrap.*autodidact.numpy"):
        grad(lambda x: np.sum(np.unwrap(x)))(np.ones(3))


def test_plain_numpy_conversion_never_returns_an_object_array():
    with pytest.raises(TypeError, match="autodidact.numpy"):
        grad(lambda x: np.asarray([x, x]).sum())(1.0)
    with pytest.raises(TypeError, match="autodidact.numpy"):
        grad(lambda x: float(x) * 2)(1.0)


def test_jacobian_of_a_structure_is_refused_clearly():
    with pytest.raises(TypeError, match="single array"):
        jacobian(lambda p: p[0])((np.ones(2), np.ones(2)))


def test_forgotten_return():
    with pytest.raises(TypeError, match="forget to `return`"):
        grad(lambda x: None)(1.0)


def test_the_same_argnum_twice():
    with pytest.raises(ValueError, match="same argument twice"):
        grad(lambda a, b: a * b, (0, 0))(1.0, 2.0)


def test_cotangent_of_the_wrong_shape():
    vjp, _ = make_vjp(lambda a: a * 2)(np.ones(3))
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\).*output has shape \(3,\)"):
        vjp(np.ones(2))


def test_in_place_ufunc_into_a_numpy_array():
    def f(x):
        b = np.zeros(3)
        b += x
        return anp.sum(b)

    with pytest.raises(TypeError, match=r"in-place.*b = b \+ x"):
        grad(f)(np.ones(3))


def test_a_closure_over_a_traced_value_inside_a_primitive():
    from autodidact import checkpoint

    with pytest.raises(TypeError, match="closure.*as an argument"):
        grad(lambda a: checkpoint(lambda b: a * b)(a))(3.0)
