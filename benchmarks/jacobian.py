"""Forward against reverse mode for full Jacobians, and both against HIPS Autograd.

    python benchmarks/jacobian.py [--n 100] [--rounds 7]

Prints:
1. the sweep of `autodidact timing`: the full Jacobian of f(x) = A x and of
   f(x) = tanh(A x), f: R^n -> R^m, by jacfwd and by jacrev for m = 10 ... 1000,
   with the crossover m;
2. the targets, as ratios: reverse at least 4 times faster than forward at
   m = 10, forward at least 5 times faster than reverse at m = 1000, the
   crossover between m = 30 and m = 300;
3. the cost per JVP (jacfwd with batched=False, one JVP per basis vector,
   against a loop of `autograd.make_jvp` over the basis vectors) and per VJP
   (jacrev with batched=False against `autograd.jacobian`), as ratios
   ours / Autograd's (target <= 1).

Part 1 times the looped `jacfwd` and `jacrev` (batched=False: one pass per
column or row, as `autodidact timing` does by default), which is what the
targets of part 2 are written for; jacfwd and jacrev batch their passes by
default (vmap), and benchmarks/vmap.py compares the looped and the batched
Jacobians.

Timings alternate the two sides (A, B, A, B, ...); each sample is the best of
several calls, and every ratio is the median of the paired ratios, since
these machines are shared and noisy. BLAS is pinned to one thread.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import timeit  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402

from autodidact import jacfwd, jacrev  # noqa: E402
from autodidact.teaching.jacobian_timing import (  # noqa: E402
    FUNCTIONS,
    make_function,
    time_jacobians,
)

try:
    import autograd
    import autograd.numpy as agnp
except ImportError:  # the reference is optional: pip install -e ".[bench]"
    autograd = agnp = None

SWEEP = (10, 30, 100, 300, 1000)


def calls_per_sample(fun: Callable[[], object], seconds: float = 0.01) -> int:
    """How many calls of fun fill about `seconds`: one sample is best-of-3 of that many."""
    start = timeit.default_timer()
    fun()
    once = max(timeit.default_timer() - start, 1e-7)
    return max(1, int(seconds / once))


def best_time(fun: Callable[[], object], number: int, repeat: int = 3) -> float:
    """Best-of-`repeat` seconds per call, each repetition `number` calls."""
    return min(timeit.repeat(fun, repeat=repeat, number=number)) / number


def paired(fun_a: Callable, fun_b: Callable, rounds: int) -> tuple[float, float, float]:
    """Alternate A and B; return median A, median B and the median of the ratios A/B."""
    number_a, number_b = calls_per_sample(fun_a), calls_per_sample(fun_b)
    times_a, times_b = [], []
    for _ in range(rounds):
        times_a.append(best_time(fun_a, number_a))
        times_b.append(best_time(fun_b, number_b))
    ratios = [a / b for a, b in zip(times_a, times_b)]
    return statistics.median(times_a), statistics.median(times_b), statistics.median(ratios)


def autograd_function(kind: str, A: np.ndarray) -> Callable:
    if kind == "linear":
        return lambda x: agnp.dot(A, x)
    return lambda x: agnp.tanh(agnp.dot(A, x))


def autograd_jacfwd(f: Callable, x: np.ndarray) -> np.ndarray:
    """Autograd's forward-mode Jacobian: a make_jvp loop over the basis vectors."""
    push_forward = autograd.make_jvp(f)(x)
    return np.stack([push_forward(e)[1] for e in np.eye(x.size)], axis=-1)


def print_targets(timing) -> bool:
    print("\nTargets (ratios of the medians of paired samples):")
    print(f"{'f(x)':<10} {'target':<46} {'measured':>9}  verdict")
    all_met = True
    for function in timing.functions():
        rows = {row.m: row for row in timing.rows_of(function)}
        label = FUNCTIONS[function]
        checks = []
        if 10 in rows:
            ratio = rows[10].forward_over_reverse
            checks.append(("reverse >= 4x faster than forward at m = 10", ratio, ratio >= 4))
        if 1000 in rows:
            ratio = 1 / rows[1000].forward_over_reverse
            checks.append(("forward >= 5x faster than reverse at m = 1000", ratio, ratio >= 5))
        crossing = timing.crossover(function)
        checks.append(
            (
                "crossover m between 30 and 300",
                float("nan") if crossing is None else crossing,
                crossing is not None and 30 <= crossing <= 300,
            )
        )
        for text, value, met in checks:
            all_met &= met
            print(f"{label:<10} {text:<46} {value:>9.2f}  {'met' if met else 'MISSED'}")
    return all_met


def print_against_autograd(n: int, ms: tuple[int, ...], rounds: int) -> bool:
    from importlib.metadata import version

    print(f"\nCost per JVP and per VJP against HIPS Autograd {version('autograd')}, n = {n}")
    print("(jacfwd looped: n JVPs, against a make_jvp loop; jacrev looped: m VJPs, against")
    print(" autograd.jacobian)")
    header = (
        f"{'f(x)':<10} {'m':>5} {'per JVP ours':>13} {'Autograd':>9} {'ratio':>6}   "
        f"{'per VJP ours':>13} {'Autograd':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    all_met = True
    for function in FUNCTIONS:
        for m in ms:
            rng = np.random.default_rng([0, m])
            A = rng.standard_normal((m, n)) / np.sqrt(n)
            x = rng.standard_normal(n)
            ours, theirs = make_function(function, A), autograd_function(function, A)
            ours_fwd, ours_rev = jacfwd(ours, batched=False), jacrev(ours, batched=False)
            theirs_rev = autograd.jacobian(theirs)
            assert np.allclose(ours_fwd(x), autograd_jacfwd(theirs, x))
            assert np.allclose(ours_rev(x), theirs_rev(x))
            fwd_ours, fwd_theirs, fwd_ratio = paired(
                partial(ours_fwd, x), partial(autograd_jacfwd, theirs, x), rounds
            )
            rev_ours, rev_theirs, rev_ratio = paired(
                partial(ours_rev, x), partial(theirs_rev, x), rounds
            )
            all_met &= fwd_ratio <= 1 and rev_ratio <= 1
            print(
                f"{FUNCTIONS[function]:<10} {m:>5} {1e6 * fwd_ours / n:>10.1f} us "
                f"{1e6 * fwd_theirs / n:>6.1f} us {fwd_ratio:>6.2f}   "
                f"{1e6 * rev_ours / m:>10.1f} us {1e6 * rev_theirs / m:>6.1f} us {rev_ratio:>6.2f}"
            )
    return all_met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="number of inputs (default 100)")
    parser.add_argument("--rounds", type=int, default=7, help="paired samples per point")
    args = parser.parse_args()

    timing = time_jacobians(n=args.n, ms=SWEEP, repeats=args.rounds, progress=True, batched=False)
    print(timing.table())
    targets_met = print_targets(timing)
    if autograd is None:
        print('\nHIPS Autograd is not installed (pip install -e ".[bench]"): no reference.')
        return
    reference_met = print_against_autograd(args.n, (10, 100, 1000), args.rounds)
    print(
        "\nSummary: forward/reverse targets "
        + ("met" if targets_met else "MISSED")
        + "; per-JVP and per-VJP cost against Autograd "
        + ("<= 1 everywhere" if reference_met else "above 1 somewhere (see the table)")
    )


if __name__ == "__main__":
    main()
