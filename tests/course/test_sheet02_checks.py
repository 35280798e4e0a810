"""The checks of sheet 02 pass the solutions, and fail the stubs and plausible wrong answers."""

from __future__ import annotations

import numpy as np

import autodidact.numpy as anp
from autodidact import forward, grad, jacfwd, make_jvp
from autodidact.course.checking import run_check
from autodidact.course.verdicts import FAIL, PASS
from autodidact.numpy import numpy_vjps
from autodidact.teaching.trace_table import trace_table

from .both_ways import Wrong, both_ways

# --- the solutions, as on the sheet -------------------------------------------------------------


class Dual:
    def __init__(self, value, tangent):
        self.value = value
        self.tangent = tangent

    def __add__(self, other):
        other = lift(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    __radd__ = __add__

    def __sub__(self, other):
        other = lift(other)
        return Dual(self.value - other.value, self.tangent - other.tangent)

    def __rsub__(self, other):
        return lift(other) - self

    def __mul__(self, other):
        other = lift(other)
        return Dual(
            self.value * other.value, self.tangent * other.value + self.value * other.tangent
        )

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = lift(other)
        return Dual(
            self.value / other.value,
            (self.tangent * other.value - self.value * other.tangent) / other.value**2,
        )

    def __rtruediv__(self, other):
        return lift(other) / self

    def __pow__(self, n):
        return Dual(self.value**n, n * self.value ** (n - 1) * self.tangent)


def lift(x):
    return x if isinstance(x, Dual) else Dual(x, 0.0)


def dual_sin(d):
    return Dual(np.sin(d.value), np.cos(d.value) * d.tangent)


def dual_exp(d):
    return Dual(np.exp(d.value), np.exp(d.value) * d.tangent)


def dual_log(d):
    return Dual(np.log(d.value), d.tangent / d.value)


def forward_gradient(f, x):
    x = np.asarray(x, dtype=float)
    gradient = np.zeros(x.size)
    for k in range(x.size):
        duals = [Dual(x[i], 1.0 if i == k else 0.0) for i in range(x.size)]
        gradient[k] = f(duals).tangent
    return gradient


SOLUTIONS = {
    "Dual": Dual,
    "dual_sin": dual_sin,
    "dual_exp": dual_exp,
    "dual_log": dual_log,
    "forward_gradient": forward_gradient,
}


def stub(*args, **kwargs):
    raise NotImplementedError()


class StubDual:
    def __init__(self, value, tangent):
        raise NotImplementedError()


STUBS = dict.fromkeys(SOLUTIONS, stub) | {"Dual": StubDual}

# --- plausible wrong answers --------------------------------------------------------------------


class DualHalfProductRule(Dual):
    """Forgets the a b_dot term of the product rule."""

    def __mul__(self, other):
        other = lift(other)
        return DualHalfProductRule(self.value * other.value, self.tangent * other.value)

    __rmul__ = __mul__


class DualNoReflected(Dual):
    """4 - a computed as a - 4: __rsub__ forgot the order of the operands."""

    def __rsub__(self, other):
        return self - other


class DualQuotientSign(Dual):
    def __truediv__(self, other):
        other = lift(other)
        return Dual(
            self.value / other.value,
            (self.tangent * other.value + self.value * other.tangent) / other.value**2,
        )


def dual_exp_no_chain(d):
    return Dual(np.exp(d.value), np.exp(d.value))


def dual_exp_keeps_tangent(d):
    return Dual(np.exp(d.value), d.tangent)


def dual_sin_wrong_sign(d):
    return Dual(np.sin(d.value), -np.cos(d.value) * d.tangent)


def dual_log_times(d):
    return Dual(np.log(d.value), d.tangent * d.value)


class DualAddsInPlace(Dual):
    """a + b changes a and returns it: every later operation on a starts from a wrong a."""

    def __add__(self, other):
        other = lift(other)
        self.value += other.value
        self.tangent += other.tangent
        return self


class DualNoReflectedAdd(Dual):
    """No __radd__: 4 + a has no method to call."""

    __radd__ = None


class DualMultipliesTangents(Dual):
    def __mul__(self, other):
        other = lift(other)
        return Dual(self.value * other.value, self.tangent * other.tangent)

    __rmul__ = __mul__


class DualPowerWithoutChain(Dual):
    def __pow__(self, n):
        return Dual(self.value**n, n * self.value ** (n - 1))


def dual_sin_uses_sin(d):
    return Dual(np.sin(d.value), np.sin(d.value) * d.tangent)


def dual_sin_returns_number(d):
    return np.sin(d.value)


def dual_log_no_chain(d):
    return Dual(np.log(d.value), 1 / d.value)


def forward_gradient_all_ones(f, x):
    """Seeds every input with tangent 1: one pass, the sum of the partials."""
    out = f([Dual(v, 1.0) for v in x]).tangent
    return np.full(len(x), out)


def forward_gradient_extra_passes(f, x):
    f(list(x))  # an extra plain evaluation, to "get the value"
    return forward_gradient(f, x)


def forward_gradient_reads_the_value(f, x):
    x = np.asarray(x, dtype=float)
    return np.array(
        [f([Dual(x[i], float(i == k)) for i in range(x.size)]).value for k in range(x.size)]
    )


def forward_gradient_plain_numbers(f, x):
    return np.array([f(list(x)).tangent for _ in x])


WRONG = [
    ("Dual", DualHalfProductRule, "the product rule has a second term"),
    ("Dual", DualNoReflected, "4 - a came out as a - 4"),
    ("Dual", DualQuotientSign, "wrong sign"),
    ("Dual", DualAddsInPlace, "a + b changed a: return a new Dual"),
    Wrong("Dual", DualNoReflectedAdd, "__radd__", crashes=True),
    ("Dual", DualMultipliesTangents, "epsilon^2 term"),
    ("Dual", DualPowerWithoutChain, "the chain rule multiplies by it"),
    ("dual_exp", dual_exp_no_chain, "the chain rule multiplies by it"),
    ("dual_exp", dual_exp_keeps_tangent, "the incoming tangent unchanged"),
    ("dual_sin", dual_sin_wrong_sign, "wrong sign"),
    ("dual_sin", dual_sin_uses_sin, "where the derivative of sin at v belongs"),
    ("dual_sin", dual_sin_returns_number, "must return a Dual"),
    ("dual_log", dual_log_times, "the derivative of log at v is not v"),
    ("dual_log", dual_log_no_chain, "the chain rule multiplies by it"),
    ("forward_gradient", forward_gradient_all_ones, "moves all inputs at once"),
    ("forward_gradient", forward_gradient_extra_passes, "extra calls are not needed"),
    ("forward_gradient", forward_gradient_reads_the_value, "the derivative is in its tangent"),
    Wrong("forward_gradient", forward_gradient_plain_numbers, "list of Duals", crashes=True),
]


# Shortcuts: answers that let the library do the differentiating. Defined here, outside the
# package, they count as a student's code.


class DualPowerThroughTheLibrary(Dual):
    def __pow__(self, n):
        value, tangent = make_jvp(lambda v: v**n)(self.value)(self.tangent)
        return Dual(value, tangent)


def dual_sin_through_make_jvp(d):
    value, tangent = make_jvp(anp.sin)(d.value)(d.tangent)
    return Dual(value, tangent)


def dual_sin_through_the_trace_table(d):
    table = trace_table(anp.sin, d.value, direction=(d.tangent,))
    return Dual(table.output.value, table.output.tangent)


def dual_exp_through_the_jvp_rule(d):
    value = np.exp(d.value)
    return Dual(value, forward.jvp_rules[anp.exp][0](d.tangent, value, d.value))


def dual_log_through_the_derivative_table(d):
    return Dual(np.log(d.value), numpy_vjps.DERIVATIVES[anp.log](None, d.value) * d.tangent)


def forward_gradient_through_jacfwd(f, x):
    return jacfwd(lambda v: f(list(v)))(np.asarray(x, dtype=float))


def forward_gradient_through_make_jvp(f, x):
    """One pass per basis vector, as the sheet asks, but with the library's forward mode."""
    x = np.asarray(x, dtype=float)
    push = make_jvp(lambda v: f(list(v)))(x)
    return np.array([push(e)[1] for e in np.eye(x.size)])


def forward_gradient_through_grad(f, x):
    return grad(lambda v: f([v[i] for i in range(len(x))]))(np.asarray(x, dtype=float))


SHORTCUTS = [
    ("Dual", DualPowerThroughTheLibrary),
    ("dual_sin", dual_sin_through_make_jvp),
    ("dual_sin", dual_sin_through_the_trace_table),
    ("dual_exp", dual_exp_through_the_jvp_rule),
    ("dual_log", dual_log_through_the_derivative_table),
    ("forward_gradient", forward_gradient_through_jacfwd),
    ("forward_gradient", forward_gradient_through_make_jvp),
    ("forward_gradient", forward_gradient_through_grad),
]


TestBothWays = both_ways("02_forward_mode", SOLUTIONS, STUBS, WRONG, SHORTCUTS)


def test_verdict_reads_like_the_design_example():
    text = run_check("dual_exp", dual_exp_keeps_tangent).text
    assert text.startswith("dual_exp: FAIL on Dual(0.5, 1.0): expected tangent 1.64872"), text
    assert "got 1" in text


def test_the_shortcuts_would_pass_if_the_library_were_not_withheld():
    """Each shortcut computes the right numbers: only the withholding makes it fail."""
    d = Dual(0.7, -2.0)
    for answer, f, df in [
        (dual_sin_through_make_jvp, np.sin, np.cos),
        (dual_sin_through_the_trace_table, np.sin, np.cos),
        (dual_exp_through_the_jvp_rule, np.exp, np.exp),
        (dual_log_through_the_derivative_table, np.log, lambda v: 1 / v),
    ]:
        result = answer(d)
        assert np.isclose(result.value, f(0.7)) and np.isclose(result.tangent, df(0.7) * -2.0)
    power = DualPowerThroughTheLibrary(2.0, 1.5) ** 3
    assert np.isclose(power.tangent, 3 * 4.0 * 1.5)
    x = np.array([1.5, -2.0, 0.5])
    f = lambda x: x[0] * x[1] + x[1] / x[2]  # noqa: E731
    expected = np.array([x[1], x[0] + 1 / x[2], -x[1] / x[2] ** 2])
    assert np.allclose(forward_gradient_through_jacfwd(f, x), expected)
    assert np.allclose(forward_gradient_through_grad(f, x), expected)
    assert np.allclose(forward_gradient_through_make_jvp(f, x), expected)


def test_an_in_place_add_is_named_at_the_add_not_blamed_on_a_later_operation():
    verdict = run_check("Dual", DualAddsInPlace)
    assert verdict.detail.startswith("a + b with a = Dual(2.0, 1.5)"), verdict.text
    assert "expected a unchanged, Dual(2.0, 1.5), got a = Dual(5, 1) afterwards" in verdict.text
    assert "a + b changed a: return a new Dual" in verdict.hint


def test_an_operation_that_changes_its_right_operand_is_named_too():
    class DualSubtractsIntoOther(Dual):
        def __sub__(self, other):
            other = lift(other)
            other.value, other.tangent = self.value - other.value, self.tangent - other.tangent
            return other

    verdict = run_check("Dual", DualSubtractsIntoOther)
    assert "a - b changed b" in verdict.hint, verdict.text


def test_the_route_derives_the_rule_and_gives_no_code():
    first = run_check("Dual", DualQuotientSign)
    assert first.status == FAIL and not first.route and "hint=True" in first.hint
    second = run_check("Dual", DualQuotientSign, route=True)
    assert "q (b + b_dot epsilon) = a + a_dot epsilon" in second.route
    for text in (first.text, second.text):
        assert "return" not in text and "self." not in text and ".tangent" not in text


def test_the_library_is_whole_again_after_a_refused_shortcut():
    table = numpy_vjps.DERIVATIVES[anp.log]
    assert run_check("dual_log", dual_log_through_the_derivative_table).status == FAIL
    assert numpy_vjps.DERIVATIVES[anp.log] is table
    assert run_check("dual_log", dual_log).status == PASS
    assert make_jvp(anp.log)(2.0)(1.0) == (np.log(2.0), 0.5)
