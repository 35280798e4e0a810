"""The same tests as the library's core, run on the engine a student built in sheet 08.

    run_battery(globals())     # in the sheet: prints one line per test

Each test is written once, as a function of a NumPy-like namespace `np_` and
a `grad`, and runs twice: on the library (`autodidact.numpy` and
`autodidact.grad`) and on the sheet's engine (its traced NumPy and the
student's `grad`, read from the sheet's namespace). The tests are those of
``tests/library/test_core.py`` that an engine of five functions can run: the
worked example, fan-out, a diamond, broadcasting against constant arrays, a
third derivative, nested traces told apart, a constant output, and a
10,000-step chain. Two answers agree when they match to 1e-12.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = [
    "TESTS",
    "BatteryRow",
    "battery_rows",
    "run_battery",
    "format_battery",
    "library_namespace",
    "sheet_namespace",
]

TOLERANCE = 1e-12
CHAIN_STEPS = 10_000
_RNG = np.random.default_rng(8)
_A = _RNG.standard_normal((2, 3))
_X = _RNG.standard_normal((3, 1))
_B = _RNG.standard_normal(4)


def worked_example(np_: Any, grad: Callable) -> tuple:
    """y = ln(x1) + x1 x2 - sin(x2) at (2, 5): dy/dx1 = 5.5, dy/dx2 = 2 - cos 5 = 1.716."""

    def y(x1, x2):
        return np_.log(x1) + x1 * x2 - np_.sin(x2)

    return grad(lambda x1: y(x1, 5.0))(2.0), grad(lambda x2: y(2.0, x2))(5.0)


def fan_out(np_: Any, grad: Callable) -> Any:
    """x feeds three children: d/dx (x x + sin x + 3 x) = 2 x + cos x + 3 at 0.7."""
    return grad(lambda x: x * x + np_.sin(x) + 3 * x)(0.7)


def diamond(np_: Any, grad: Callable) -> Any:
    """a = exp x feeds sin a and cos a, which meet again in their product, at x = 0.3."""

    def f(x):
        a = np_.exp(x)
        return np_.sin(a) * np_.cos(a)

    return grad(f)(0.3)


def broadcasting(np_: Any, grad: Callable) -> Any:
    """sum(tanh(A x + b)): x of shape (3, 1) meets a (2, 3) matrix and a (4,) vector."""
    return grad(lambda x: np_.total(np_.tanh(np_.matmul(_A, x) + _B)))(_X)


def third_derivative(np_: Any, grad: Callable) -> Any:
    """tanh''' at 0.4, by grad of grad of grad."""
    return grad(grad(grad(np_.tanh)))(0.4)


def nested_traces(np_: Any, grad: Callable) -> Any:
    """d/dx of grad(y -> x y)(x) = d/dx x = 1, at x = 5."""
    return grad(lambda x: grad(lambda y: x * y)(x))(5.0)


def perturbation_confusion(np_: Any, grad: Callable) -> Any:
    """Siskind and Pearlmutter: d/dx [x (d/dy (x + y) at y = 1)] at x = 1 is 1."""
    return grad(lambda x: x * grad(lambda y: x + y)(1.0))(1.0)


def constant_output(np_: Any, grad: Callable) -> Any:
    """An output that does not depend on x: the gradient is 0."""
    return grad(lambda x: 3.0)(1.0)


def long_chain(np_: Any, grad: Callable) -> Any:
    """10,000 Euler steps of dx/dt = sin x from x = 0.5: d x_final / d x_0."""

    def steps(x):
        for _ in range(CHAIN_STEPS):
            x = x + 1e-4 * np_.sin(x)
        return x

    return grad(steps)(0.5)


TESTS: dict[str, Callable] = {
    "worked example (both partials)": worked_example,
    "fan-out sums partial adjoints": fan_out,
    "diamond graph": diamond,
    "broadcasting with constant arrays": broadcasting,
    "third derivative of tanh": third_derivative,
    "nested trace is told apart": nested_traces,
    "perturbation confusion": perturbation_confusion,
    "output independent of input": constant_output,
    "10,000-step chain": long_chain,
}


def library_namespace() -> SimpleNamespace:
    """The library's side: autodidact.numpy under the names the sheet uses."""
    import autodidact.numpy as anp

    return SimpleNamespace(
        sin=anp.sin,
        cos=anp.cos,
        exp=anp.exp,
        log=anp.log,
        tanh=anp.tanh,
        total=anp.sum,
        matmul=anp.matmul,
    )


def sheet_namespace(namespace: Mapping[str, Any]) -> SimpleNamespace:
    """The sheet's traced NumPy, read from the sheet's namespace (its globals())."""
    names = ("sin", "cos", "exp", "log", "tanh", "total", "matmul")
    return SimpleNamespace(**{name: namespace.get(name) for name in names})


@dataclass(frozen=True)
class BatteryRow:
    """One test: what the library computed, what the engine computed (or why it could not)."""

    test: str
    library: Any
    engine: Any
    problem: str = ""  # "not done yet", or the exception the engine raised

    @property
    def agrees(self) -> bool:
        if self.problem:
            return False
        try:
            engine = np.asarray(self.engine, dtype=float)
        except (TypeError, ValueError):
            return False
        library = np.asarray(self.library, dtype=float)
        return engine.shape == library.shape and bool(
            np.allclose(engine, library, rtol=TOLERANCE, atol=TOLERANCE)
        )

    @property
    def outcome(self) -> str:
        if self.problem:
            return self.problem
        return "same" if self.agrees else "DIFFERENT"


def _run_engine(test: Callable, np_: Any, grad: Callable) -> tuple[Any, str]:
    try:
        with np.errstate(all="ignore"):
            return test(np_, grad), ""
    except NotImplementedError:
        return None, "not done yet"
    except RecursionError:
        return None, "RecursionError: too deep for recursion"
    except Exception as error:  # the student's engine may fail in any way: one line
        message = str(error).strip().splitlines()
        return None, f"{type(error).__name__}" + (f": {message[0][:60]}" if message else "")


def _short(value: Any) -> str:
    from autodidact.course.checking import format_value

    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    if isinstance(value, np.ndarray) and value.ndim > 1:
        value = value.ravel()  # a column of three numbers reads as [a, b, c]
    return format_value(value, width=36)


def run_battery(namespace: Mapping[str, Any]) -> None:
    """Run every test on the library and on the engine of the sheet whose globals() is given,
    and print the table."""
    print(format_battery(battery_rows(namespace)))


def battery_rows(namespace: Mapping[str, Any]) -> list[BatteryRow]:
    """Every test, run on the library and on the engine of the sheet whose globals() is given."""
    from autodidact import grad as library_grad

    library_np, engine_np = library_namespace(), sheet_namespace(namespace)
    engine_grad = namespace.get("grad")
    rows = []
    for name, test in TESTS.items():
        expected = test(library_np, library_grad)
        got, problem = _run_engine(test, engine_np, engine_grad)
        rows.append(BatteryRow(name, expected, got, problem))
    return rows


def format_battery(rows: list[BatteryRow]) -> str:
    """The rows as an aligned text table, with a last line counting the agreements."""
    header = ("test", "library", "your engine", "")
    lines = [header] + [
        (row.test, _short(row.library), "" if row.problem else _short(row.engine), row.outcome)
        for row in rows
    ]
    widths = [max(len(line[k]) for line in lines) for k in range(3)]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths)) + "  " + line[3]
        for line in lines
    ]
    text.insert(1, "  ".join("-" * width for width in widths))
    agreeing = sum(row.agrees for row in rows)
    text.append(f"\nyour engine agrees with the library on {agreeing} of {len(rows)} tests.")
    return "\n".join(line.rstrip() for line in text)
