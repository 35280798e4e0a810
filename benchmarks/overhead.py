"""Tracing overhead of autodidact, against HIPS Autograd measured in the same run.

    python benchmarks/overhead.py [--rounds 7]

Prints three tables:
1. grad of a 100-operation scalar chain (sin, times 1.01, plus 0.1, repeated):
   cost per operation, ours and Autograd's, and their ratio (target <= 1).
2. value_and_grad over the forward pass for a two-layer tanh network with
   batch 64 and input size n (target: our ratio <= Autograd's at every n).
3. untraced autodidact.numpy against plain NumPy per call (target <= 0.5 us).

Timings alternate the two libraries (A, B, A, B, ...); each sample is the
best of several repetitions and the printed ratio is the median of the
paired ratios, since these machines are shared and noisy.
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

import numpy as np  # noqa: E402

import autodidact  # noqa: E402
import autodidact.numpy as anp  # noqa: E402

try:
    import autograd
    import autograd.numpy as agnp
except ImportError:  # the reference is optional: pip install -e ".[bench]"
    autograd = agnp = None

CHAIN_LENGTH = 100


def best_time(fun: Callable[[], object], repeat: int = 5) -> float:
    """Best-of-`repeat` seconds per call, with the call count chosen to fill ~20 ms."""
    timer = timeit.Timer(fun)
    number, _ = timer.autorange()
    number = max(1, number // 10)
    return min(timer.repeat(repeat=repeat, number=number)) / number


def paired(fun_a: Callable, fun_b: Callable, rounds: int) -> tuple[float, float, float]:
    """Alternate A and B; return best A, best B and the median of the ratios A/B."""
    times_a, times_b = [], []
    for _ in range(rounds):
        times_a.append(best_time(fun_a))
        times_b.append(best_time(fun_b))
    ratios = [a / b for a, b in zip(times_a, times_b)]
    return min(times_a), min(times_b), statistics.median(ratios)


def scalar_chain(np_module) -> Callable[[float], float]:
    def chain(x):
        for step in range(CHAIN_LENGTH):
            kind = step % 3
            if kind == 0:
                x = np_module.sin(x)
            elif kind == 1:
                x = x * 1.01
            else:
                x = x + 0.1
        return x

    return chain


def two_layer_net(np_module, n: int, batch: int = 64):
    rng = np.random.default_rng(0)
    params = (rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 1)) / np.sqrt(n))
    inputs = rng.standard_normal((batch, n))
    targets = rng.standard_normal((batch, 1))

    def loss(params):
        W1, W2 = params
        hidden = np_module.tanh(inputs @ W1)
        out = np_module.tanh(hidden @ W2)
        return np_module.mean((out - targets) ** 2)

    return loss, params


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="paired samples per measurement")
    args = parser.parse_args(argv)
    if autograd is None:
        print("HIPS Autograd is not installed (pip install -e '.[bench]'): no reference ratios.")

    print(f"\n1. grad of a {CHAIN_LENGTH}-operation scalar chain, cost per operation")
    ours = autodidact.grad(scalar_chain(anp))
    if autograd is not None:
        theirs = autograd.grad(scalar_chain(agnp))
        assert abs(ours(0.3) - theirs(0.3)) < 1e-12
        t_ours, t_theirs, ratio = paired(lambda: ours(0.3), lambda: theirs(0.3), args.rounds)
        print(f"{'autodidact':>12} {'autograd':>10} {'ratio':>7}")
        print(
            f"{t_ours / CHAIN_LENGTH * 1e6:9.2f} us {t_theirs / CHAIN_LENGTH * 1e6:7.2f} us "
            f"{ratio:7.2f}   (target: ratio <= 1)"
        )
    else:
        print(f"autodidact: {best_time(lambda: ours(0.3)) / CHAIN_LENGTH * 1e6:.2f} us per op")

    print("\n2. value_and_grad time over forward time, two-layer tanh net, batch 64")
    print(f"{'n':>6} {'autodidact':>11} {'autograd':>9} {'ratio of ratios':>16}")
    for n in (10, 100, 1000):
        print(network_line(n, args.rounds) + "   (target: ratio of ratios <= 1)")

    print("\n3. untraced autodidact.numpy against plain NumPy, per call")
    x = np.linspace(0.1, 1.0, 10)
    print(f"{'function':>10} {'numpy':>9} {'anp':>9} {'extra':>9}")
    for name, plain, wrapped, call_args in [
        ("sin", np.sin, anp.sin, (x,)),
        ("add", np.add, anp.add, (x, x)),
        ("sum", np.sum, anp.sum, (x,)),
        ("dot", np.dot, anp.dot, (x, x)),
    ]:
        t_plain, t_wrapped, extra = call_overhead(plain, wrapped, call_args, args.rounds)
        print(
            f"{name:>10} {t_plain * 1e6:6.2f} us {t_wrapped * 1e6:6.2f} us "
            f"{extra * 1e6:6.2f} us   (target: extra <= 0.5 us)"
        )


def network_line(n: int, rounds: int) -> str:
    """One row of table 2: value_and_grad over forward, ours and Autograd's."""
    loss, params = two_layer_net(anp, n)
    their_loss = two_layer_net(agnp, n)[0] if autograd is not None else None
    samples = []
    for _ in range(rounds):
        ours_vg = best_time(lambda: autodidact.value_and_grad(loss)(params))
        ours_fwd = best_time(lambda: loss(params))
        if autograd is None:
            samples.append((ours_vg / ours_fwd, float("nan")))
            continue
        theirs_vg = best_time(lambda: autograd.value_and_grad(their_loss)(params))
        theirs_fwd = best_time(lambda: their_loss(params))
        samples.append((ours_vg / ours_fwd, theirs_vg / theirs_fwd))
    our_ratio = statistics.median(s[0] for s in samples)
    their_ratio = statistics.median(s[1] for s in samples)
    relative = statistics.median(s[0] / s[1] for s in samples)
    return f"{n:>6} {our_ratio:11.2f} {their_ratio:9.2f} {relative:16.2f}"


def call_overhead(plain: Callable, wrapped: Callable, call_args: tuple, rounds: int):
    """Best plain time, best wrapped time and their difference: the extra cost per call."""
    plain_times, wrapped_times = [], []
    for _ in range(rounds):
        plain_times.append(best_time(lambda: plain(*call_args)))
        wrapped_times.append(best_time(lambda: wrapped(*call_args)))
    return min(plain_times), min(wrapped_times), min(wrapped_times) - min(plain_times)


if __name__ == "__main__":
    main()
