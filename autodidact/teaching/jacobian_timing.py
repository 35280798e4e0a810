"""Measure the full Jacobian by forward and by reverse mode as the number of outputs grows.

For f: R^n -> R^m, `jacfwd` pushes one tangent per input (n JVPs) and
`jacrev` pulls one cotangent per output (m VJPs). With n fixed and m swept,
reverse mode's time grows with m while forward mode's hardly moves, and the
two cross near m = n. `time_jacobians` measures that for f(x) = A x and
f(x) = tanh(A x) with a seeded A of shape (m, n):

    >>> timing = time_jacobians(n=100, ms=(10, 100, 1000))   # doctest: +SKIP
    >>> print(timing.table())                                 # doctest: +SKIP
    >>> timing.plot()                                         # doctest: +SKIP

Timing on a shared machine is noisy, so each measurement is made robust:
forward and reverse are timed alternately (a burst of load hits both), each
sample is the best of a few calls, and the forward/reverse ratio at each m is
the median of the paired ratios. The crossover m is where that ratio passes
1, interpolated on log-log scale between the two m that bracket it.

Both Jacobians are batched by default: the n JVPs (or m VJPs) run as one
pass through `vmap`. ``batched=False`` times the looped versions instead,
``jacfwd(f, batched=False)`` and ``jacrev(f, batched=False)``, one pass per
column or row: the n JVPs against m VJPs of the pass model (lecture 04 and
``autodidact timing``). With ``looped=True`` the sweep times both, and the
table and the plot show all four (lecture 10):

    >>> timing = time_jacobians(n=100, ms=(10, 100, 1000), looped=True)  # doctest: +SKIP
    >>> print(timing.batched_forward_text("tanh"))                         # doctest: +SKIP

`add_timing_command` adds ``autodidact timing`` to the course's command line.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

__all__ = [
    "FUNCTIONS",
    "TimingRow",
    "JacobianTiming",
    "TextProgress",
    "make_function",
    "crossover_m",
    "time_jacobians",
    "add_timing_command",
    "command_timing",
]

DEFAULT_MS = (10, 30, 100, 300, 1000)

#: The functions timed, by name: each maps a matrix A to f(x).
FUNCTIONS: dict[str, str] = {"linear": "A x", "tanh": "tanh(A x)"}


def make_function(kind: str, A: np.ndarray) -> Callable:
    """f(x) = A x ('linear') or tanh(A x) ('tanh'), written with autodidact.numpy."""
    import autodidact.numpy as anp

    if kind == "linear":
        return lambda x: anp.dot(A, x)
    if kind == "tanh":
        return lambda x: anp.tanh(anp.dot(A, x))
    raise ValueError(f"unknown function {kind!r}: choose from {', '.join(FUNCTIONS)}")


def exact_jacobian(kind: str, A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The Jacobian by hand: A, or diag(1 - tanh(A x)^2) A."""
    if kind == "linear":
        return A
    return (1.0 - np.tanh(A @ x) ** 2)[:, None] * A


class TextProgress:
    """A one-line text progress bar, redrawn in place with a carriage return.

    Plain text on a stream (stderr by default), so it works in a terminal and
    in a notebook alike and needs no extra package.
    """

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.total, self.done, self.width = total, 0, width
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()

    def _draw(self, label: str) -> None:
        filled = round(self.width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"\rtiming [{bar}] {self.done}/{self.total} {label:<22} {elapsed:5.1f} s")
        self.stream.flush()

    def step(self, label: str) -> None:
        """Show that the step `label` is starting."""
        self._draw(label)

    def advance(self, label: str = "") -> None:
        """Mark one step as done."""
        self.done += 1
        self._draw(label)

    def close(self) -> None:
        self._draw("done")
        self.stream.write("\n")
        self.stream.flush()


@dataclass(frozen=True)
class TimingRow:
    """One measured point: seconds for the full Jacobian of one function at one m."""

    function: str
    m: int
    forward_seconds: float
    reverse_seconds: float
    forward_over_reverse: float  # median of the paired ratios
    forward_looped_seconds: float | None = None  # jacfwd(f, batched=False), when timed
    reverse_looped_seconds: float | None = None  # jacrev(f, batched=False), when timed

    @property
    def faster(self) -> str:
        return "reverse" if self.forward_over_reverse > 1 else "forward"

    @property
    def has_loops(self) -> bool:
        return self.forward_looped_seconds is not None and self.reverse_looped_seconds is not None


def crossover_m(ms: Sequence[float], ratios: Sequence[float]) -> float | None:
    """The m where forward/reverse time passes 1, interpolated in log m against log ratio.

    `ratios[i]` is forward time over reverse time at `ms[i]` (above 1: reverse
    is faster). Returns the first crossing from above 1 to 1 or below, or
    None when the ratio never crosses.
    """
    points = sorted(zip(ms, ratios, strict=True))
    for (m0, r0), (m1, r1) in zip(points, points[1:]):
        if r0 > 1 >= r1:
            l0, l1 = math.log(r0), math.log(r1)
            fraction = l0 / (l0 - l1)
            return math.exp(math.log(m0) + fraction * (math.log(m1) - math.log(m0)))
    return None


@dataclass
class JacobianTiming:
    """The measurements of a sweep: one `TimingRow` per function and m."""

    n: int
    repeats: int
    rows: list[TimingRow] = field(default_factory=list)

    def functions(self) -> list[str]:
        return list(dict.fromkeys(row.function for row in self.rows))

    def rows_of(self, function: str) -> list[TimingRow]:
        return sorted((row for row in self.rows if row.function == function), key=lambda r: r.m)

    def crossover(self, function: str) -> float | None:
        """The interpolated m at which forward and reverse take equally long."""
        rows = self.rows_of(function)
        return crossover_m([row.m for row in rows], [row.forward_over_reverse for row in rows])

    def crossover_text(self, function: str) -> str:
        m = self.crossover(function)
        label = FUNCTIONS.get(function, function)
        if m is None:
            return f"f(x) = {label}: no crossover in the measured range of m"
        return f"f(x) = {label}: forward and reverse cross at m = {m:.0f} (n = {self.n})"

    @property
    def has_loops(self) -> bool:
        """Whether the looped Jacobians were timed too (``time_jacobians(..., looped=True)``)."""
        return bool(self.rows) and all(row.has_loops for row in self.rows)

    def batched_forward_text(self, function: str) -> str:
        """How the batched jacfwd's time grew with m, and how it compares with the looped one.

        One line, every number from the measurements: the batched jacfwd's time
        at the smallest and the largest m and its growth over the sweep, against
        the growth of m; then, at the largest m, the looped jacfwd's time over it.
        """
        rows = self.rows_of(function)
        first, last = rows[0], rows[-1]
        label = FUNCTIONS.get(function, function)
        text = (
            f"f(x) = {label}: batched jacfwd {1e3 * first.forward_seconds:.3f} ms at m = "
            f"{first.m}, {1e3 * last.forward_seconds:.3f} ms at m = {last.m} "
            f"({last.forward_seconds / first.forward_seconds:.1f}-fold while m grew "
            f"{last.m / first.m:.0f}-fold)"
        )
        if last.forward_looped_seconds is not None:
            text += (
                f"; at m = {last.m} the looped jacfwd takes "
                f"{last.forward_looped_seconds / last.forward_seconds:.1f} times as long"
            )
        return text

    def table(self) -> str:
        """The measurements as a plain-text table, with the crossover of each function."""
        if self.has_loops:
            return self._table_with_loops()
        header = (
            f"{'f(x)':<10} {'m':>6} {'forward (ms)':>13} {'reverse (ms)':>13} "
            f"{'fwd/rev':>8}  faster"
        )
        lines = [f"Full Jacobian of f: R^{self.n} -> R^m (median of {self.repeats})", header]
        lines.append("-" * len(header))
        for function in self.functions():
            for row in self.rows_of(function):
                lines.append(
                    f"{FUNCTIONS.get(function, function):<10} {row.m:>6} "
                    f"{1e3 * row.forward_seconds:>13.3f} {1e3 * row.reverse_seconds:>13.3f} "
                    f"{row.forward_over_reverse:>8.2f}  {row.faster}"
                )
        lines.append("")
        lines.extend(self.crossover_text(function) for function in self.functions())
        return "\n".join(lines)

    def _table_with_loops(self) -> str:
        header = (
            f"{'f(x)':<10} {'m':>6} {'jacfwd looped':>14} {'batched':>8} {'ratio':>6}  "
            f"{'jacrev looped':>14} {'batched':>8} {'ratio':>6}"
        )
        lines = [
            f"Full Jacobian of f: R^{self.n} -> R^m, times in ms (median of {self.repeats}); "
            "ratio = looped / batched",
            header,
            "-" * len(header),
        ]
        for function in self.functions():
            for row in self.rows_of(function):
                lines.append(
                    f"{FUNCTIONS.get(function, function):<10} {row.m:>6} "
                    f"{1e3 * row.forward_looped_seconds:>14.3f} "
                    f"{1e3 * row.forward_seconds:>8.3f} "
                    f"{row.forward_looped_seconds / row.forward_seconds:>6.1f}  "
                    f"{1e3 * row.reverse_looped_seconds:>14.3f} "
                    f"{1e3 * row.reverse_seconds:>8.3f} "
                    f"{row.reverse_looped_seconds / row.reverse_seconds:>6.1f}"
                )
        lines.append("")
        lines.extend(self.batched_forward_text(function) for function in self.functions())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, axes: Any = None) -> Any:
        """Time against m on log-log axes, one panel per function, crossover marked.

        With the looped Jacobians timed too, each panel has four curves: each
        mode batched (solid) and looped (dashed), in the mode's colour.
        Draws into `axes` (a sequence with one matplotlib Axes per function)
        when given, e.g. from ``plt.subplots(1, 2)``; otherwise makes a
        stand-alone Figure (no pyplot) and returns it.
        """
        functions = self.functions()
        figure = None
        if axes is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            figure = Figure(figsize=(4.6 * len(functions), 3.8), layout="constrained")
            FigureCanvasAgg(figure)
            axes = figure.subplots(1, len(functions), squeeze=False)[0]
        axes = list(np.ravel(axes))
        if len(axes) < len(functions):
            raise ValueError(f"need {len(functions)} axes, one per function; got {len(axes)}")
        loops = self.has_loops
        for panel, function in zip(axes, functions):
            rows = self.rows_of(function)
            ms = [row.m for row in rows]
            batched = ", batched" if loops else ""
            panel.loglog(
                ms,
                [1e3 * row.forward_seconds for row in rows],
                "o-",
                color="C0",
                label=f"forward{batched} (jacfwd)",
            )
            panel.loglog(
                ms,
                [1e3 * row.reverse_seconds for row in rows],
                "s-",
                color="C1",
                label=f"reverse{batched} (jacrev)",
            )
            if loops:
                panel.loglog(
                    ms,
                    [1e3 * row.forward_looped_seconds for row in rows],
                    "o--",
                    color="C0",
                    markerfacecolor="white",
                    label="forward, looped",
                )
                panel.loglog(
                    ms,
                    [1e3 * row.reverse_looped_seconds for row in rows],
                    "s--",
                    color="C1",
                    markerfacecolor="white",
                    label="reverse, looped",
                )
            crossing = self.crossover(function)
            if crossing is not None:
                panel.axvline(
                    crossing,
                    color="gray",
                    linestyle="--",
                    label=f"{'batched ' if loops else ''}crossover m = {crossing:.0f}",
                )
            panel.axvline(self.n, color="gray", linestyle=":", label=f"m = n = {self.n}")
            panel.set_xlabel("m, number of outputs")
            panel.set_ylabel("time for the full Jacobian (ms)")
            panel.set_title(f"f(x) = {FUNCTIONS.get(function, function)}, n = {self.n}")
            panel.grid(True, which="both", alpha=0.3)
            panel.legend(fontsize=8)
        return figure if figure is not None else axes[0].figure


def _best_of(call: Callable[[], Any], number: int) -> float:
    best = math.inf
    for _ in range(number):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def _warm_up(n: int, seed: int, seconds: float, looped: bool = False, batched: bool = True) -> None:
    """Run both modes untimed for about `seconds`, so the first measurement is not slowed."""
    from autodidact import jacfwd, jacrev

    rng = np.random.default_rng(seed)
    f = make_function("tanh", rng.standard_normal((n, n)) / np.sqrt(n))
    x = rng.standard_normal(n)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        jacfwd(f, batched=batched)(x)
        jacrev(f, batched=batched)(x)
        if looped:
            jacfwd(f, batched=False)(x)
            jacrev(f, batched=False)(x)


def time_jacobians(
    n: int = 100,
    ms: Sequence[int] = DEFAULT_MS,
    functions: Sequence[str] = ("linear", "tanh"),
    repeats: int = 5,
    best_of: int = 3,
    seed: int = 0,
    warmup_seconds: float = 0.3,
    progress: bool = True,
    stream: TextIO | None = None,
    looped: bool = False,
    batched: bool = True,
) -> JacobianTiming:
    """Time `jacfwd` against `jacrev` for each function and each m; return the measurements.

    For each m, A (m x n) and x are drawn from a generator seeded with
    `seed`. Both Jacobians are first checked against the exact one. Then
    `repeats` times: forward timed (best of `best_of` calls), then reverse
    likewise; reported times are the medians of these samples, and the
    forward/reverse ratio the median of the paired ratios. A short untimed
    warm-up comes first: the first fraction of a second of a fresh process
    runs measurably slower. ``batched=False`` times the looped versions (one
    pass per column or row) in place of the batched ones; with `looped`, each
    round times the looped versions after the batched ones.
    """
    from autodidact import jacfwd, jacrev

    if n < 1:
        raise ValueError(f"n must be a positive number of inputs, not {n}")
    if not ms or min(ms) < 1:
        raise ValueError(f"every m must be a positive number of outputs, got {list(ms)}")
    for function in functions:
        if function not in FUNCTIONS:
            raise ValueError(f"unknown function {function!r}: choose from {', '.join(FUNCTIONS)}")
    if repeats < 1 or best_of < 1:
        raise ValueError("repeats and best_of must be at least 1")
    if looped and not batched:
        raise ValueError(
            "looped=True times the looped versions beside the batched ones: keep batched"
        )
    _warm_up(n, seed, warmup_seconds, looped, batched)
    result = JacobianTiming(n=n, repeats=repeats)
    bar = TextProgress(len(functions) * len(ms), stream) if progress else None
    for function in functions:
        for m in ms:
            label = f"{FUNCTIONS[function]}, m = {m}"
            if bar is not None:
                bar.step(label)
            rng = np.random.default_rng([seed, m])
            A = rng.standard_normal((m, n)) / np.sqrt(n)
            x = rng.standard_normal(n)
            f = make_function(function, A)
            jacobians = {"jacfwd": jacfwd(f, batched=batched), "jacrev": jacrev(f, batched=batched)}
            if looped:
                jacobians["jacfwd looped"] = jacfwd(f, batched=False)
                jacobians["jacrev looped"] = jacrev(f, batched=False)
            exact = exact_jacobian(function, A, x)
            for name, jacobian in jacobians.items():
                if not np.allclose(jacobian(x), exact, rtol=1e-10, atol=1e-12):
                    raise AssertionError(f"{name} is wrong for f(x) = {label}")
            times: dict[str, list[float]] = {name: [] for name in jacobians}
            runs = {name: functools.partial(jacobian, x) for name, jacobian in jacobians.items()}
            for _ in range(repeats):  # alternate: a burst of load hits every variant
                for name, run in runs.items():
                    times[name].append(_best_of(run, best_of))
            ratios = [tf / tr for tf, tr in zip(times["jacfwd"], times["jacrev"])]
            loops = {}
            if looped:
                loops = {
                    "forward_looped_seconds": float(np.median(times["jacfwd looped"])),
                    "reverse_looped_seconds": float(np.median(times["jacrev looped"])),
                }
            result.rows.append(
                TimingRow(
                    function=function,
                    m=int(m),
                    forward_seconds=float(np.median(times["jacfwd"])),
                    reverse_seconds=float(np.median(times["jacrev"])),
                    forward_over_reverse=float(np.median(ratios)),
                    **loops,
                )
            )
            if bar is not None:
                bar.advance(label)
    if bar is not None:
        bar.close()
    return result


# ---------------------------------------------------------------------------
# The command line: autodidact timing [--n 100] [--m 10,30,100,300,1000] [--out timing.png]


class TimingArgumentError(ValueError):
    """A bad argument of ``autodidact timing``; its message is the one line shown."""


def _positive_int(text: str, what: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise TimingArgumentError(f"{what} must be a whole number, not {text.strip()!r}") from None
    if value < 1:
        raise TimingArgumentError(f"{what} must be at least 1, not {value}")
    return value


def parse_ms(text: str) -> list[int]:
    """'10,30,100' -> [10, 30, 100]: positive whole numbers, comma-separated."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise TimingArgumentError("--m needs at least one number, e.g. --m 10,100,1000")
    ms = [_positive_int(part, "each m in --m") for part in parts]
    return sorted(set(ms))


def add_timing_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``timing`` to an argparse subparsers object; its handler is `command_timing`."""
    parser = subparsers.add_parser(
        "timing",
        help="time the full Jacobian by forward and by reverse mode against m",
        description=(
            "Time jacfwd against jacrev on f(x) = A x and tanh(A x), f: R^n -> R^m, for each m; "
            "print a table with the crossover m and save a log-log plot. By default each mode "
            "loops, n JVPs against m VJPs; --batched times the one-pass (vmap) versions."
        ),
    )
    parser.add_argument("--n", default="100", help="number of inputs (default 100)")
    parser.add_argument(
        "--m",
        default=",".join(str(m) for m in DEFAULT_MS),
        help="comma-separated numbers of outputs (default 10,30,100,300,1000)",
    )
    parser.add_argument("--out", default="timing.png", help="where to save the plot")
    parser.add_argument(
        "--repeats", default="5", help="samples per point; the median is shown (default 5)"
    )
    parser.add_argument("--seed", default="0", help="seed of the random A and x (default 0)")
    parser.add_argument(
        "--batched",
        action="store_true",
        help="time the batched Jacobians (one vmap pass) instead of n JVPs against m VJPs",
    )
    parser.set_defaults(run=command_timing)
    return parser


def command_timing(args: argparse.Namespace) -> int:
    """Run the sweep the arguments describe; print the table; save the plot. Exit status."""
    try:
        n = _positive_int(args.n, "--n")
        ms = parse_ms(args.m)
        repeats = _positive_int(args.repeats, "--repeats")
        try:
            seed = int(args.seed)
        except ValueError:
            raise TimingArgumentError(f"--seed must be a whole number, not {args.seed!r}") from None
        out = Path(args.out)
        if out.suffix.lower() not in {".png", ".pdf", ".svg"}:
            raise TimingArgumentError(f"--out must end in .png, .pdf or .svg, not {args.out!r}")
        if not out.parent.is_dir():
            raise TimingArgumentError(f"--out: the folder {str(out.parent)!r} does not exist")
    except TimingArgumentError as error:
        print(f"autodidact timing: error: {error}", file=sys.stderr)
        return 2
    timing = time_jacobians(n=n, ms=ms, repeats=repeats, seed=seed, batched=args.batched)
    print(timing.table())
    figure = timing.plot()
    figure.savefig(out, dpi=100)
    print(f"\nplot saved to {out}")
    return 0
