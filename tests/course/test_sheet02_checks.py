"""The checks of sheet 02 pass the solutions, and fail the stubs and plausible wrong answers."""

from __future__ import annotations

import numpy as np

from autodidact.course.checking import run_check

from .both_ways import both_ways

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


def forward_gradient_all_ones(f, x):
    """Seeds every input with tangent 1: one pass, the sum of the partials."""
    out = f([Dual(v, 1.0) for v in x]).tangent
    return np.full(len(x), out)


def forward_gradient_extra_passes(f, x):
    f(list(x))  # an extra plain evaluation, to "get the value"
    return forward_gradient(f, x)


WRONG = [
    ("Dual", DualHalfProductRule, "product rule"),
    ("Dual", DualNoReflected, "4 - a"),
    ("Dual", DualQuotientSign, "quotient rule"),
    ("dual_exp", dual_exp_no_chain, "incoming tangent"),
    ("dual_exp", dual_exp_keeps_tangent, "exp(v) times the incoming tangent"),
    ("dual_sin", dual_sin_wrong_sign, "cos(v)"),
    ("dual_log", dual_log_times, "divided by v"),
    ("forward_gradient", forward_gradient_all_ones, "basis"),
    ("forward_gradient", forward_gradient_extra_passes, "calls of f"),
]


TestBothWays = both_ways("02_forward_mode", SOLUTIONS, STUBS, WRONG)


def test_verdict_reads_like_the_design_example():
    text = run_check("dual_exp", dual_exp_keeps_tangent).text
    assert text.startswith("dual_exp: FAIL on Dual(0.5, 1.0): expected tangent 1.64872")
    assert "got 1" in text
    assert "the tangent of exp(v) is exp(v) times the incoming tangent" in text
